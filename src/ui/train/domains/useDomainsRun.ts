/**
 * The domains comparison's run: the picked folder's sets decoded on this thread, then 'train.domains'
 * (features, then plain / AdvBN / control arms over seeds, or an m sweep) streamed as a phase line and
 * the last step, with pause / resume / cancel.
 */
import { DOMAIN_ARMS } from '../../../common/train-settings';
import { useCallback, useRef, useState } from 'react';
import { engine, RequestCancelled } from '../../../worker/client';
import type { KnownModel } from '../../../common/registry';
import type { StepResult } from '../../../common/train-types';
import type { DomainsEvent, TrainDomainsRequest, TrainDomainsResult } from '../../../worker/domains-protocol';
import { parseSweepM, useTrainStore } from '../train-store';
import { decodeDomainSets, type PickedDomains } from './domains-data';
import { togglePaused, type RunState } from '../useTrainRun';


const PHASE_TEXT: Record<string, string> = {
  reading: 'reading images', loading: 'loading the model', features: 'features at the split layer', init: 'initialising the inserted BNs on the source',
  training: 'training', evaluating: 'evaluating',
};

/** `end`: the index of block5_pool in the model's layers (−1: not a VGG-19). */
export function useDomainsRun(model: KnownModel | null, picked: PickedDomains | null, end: number) {
  const [state, setState] = useState<RunState>('idle');
  const [phase, setPhase] = useState<string | null>(null);
  const [step, setStep] = useState<{ arm: string; seed: number; step: number; total: number; last: StepResult } | null>(null);
  const [error, setError] = useState<string | null>(null);
  const [result, setResult] = useState<TrainDomainsResult | null>(null);
  const run = useRef<{ id: string; ctrl: AbortController } | null>(null);

  const start = useCallback(async () => {
    const s = useTrainStore.getState().settings;
    if (!picked) { setError('Pick a domains folder first (root/<domain>/<class>/<image>, e.g. PACS).'); return; }
    if (!model) return;
    if (end < 0) { setError(`${model.entry.name} has no block5_pool layer: the domains comparison fine-tunes a VGG-19.`); return; }
    const sweepM = parseSweepM(s.dMSweep);
    if (sweepM instanceof Error) { setError(sweepM.message); return; }
    const id = `domains-${Date.now()}`;
    const ctrl = new AbortController();
    run.current = { id, ctrl };
    setState('running'); setError(null); setStep(null); setPhase('reading');
    try {
      const sets = await decodeDomainSets(picked, s.dSource, s.dTestSize, s.dSize, (d, t) => setPhase(`reading ${d}/${t}`));
      if (ctrl.signal.aborted) throw new RequestCancelled();
      const req: TrainDomainsRequest = {
        runId: id, model: { source: model.source, entry: model.entry }, layer: s.dLayer, size: s.dSize, classes: picked.layout.classes, sets,
        arms: s.dRandom ? [...DOMAIN_ARMS] : ['plain', 'advbn'], seeds: s.seeds, epochs: s.dEpochs, batchSize: s.batchSize,
        lr: s.dLr, eps: s.dEps, tau: s.dTau, pgdSteps: s.dM, ...(sweepM ? { sweepM } : {}),
      };
      const r = await engine().request('train.domains', req, {
        signal: ctrl.signal,
        onEvent: (p) => {
          const e = p as DomainsEvent;
          if (e.kind === 'phase') {
            const what = PHASE_TEXT[e.phase] ?? e.phase;
            setPhase(e.phase === 'features' ? `${what}: ${e.set} ${e.cached ? '(from this browser\'s cache)' : `${e.done ?? 0}/${e.total ?? 0}`}`
              : `${what}${e.seed != null ? ` — seed ${e.seed}` : ''}${e.arm ? `, ${e.arm}` : ''}`);
          } else {
            const { kind: _k, arm, seed, total, ...st } = e;
            setStep({ arm, seed, step: st.step + 1, total, last: st });
          }
        },
      });
      setResult(r);
      setState('done');
    } catch (e) {
      if (e instanceof RequestCancelled || ctrl.signal.aborted) setState('cancelled');
      else { setError((e as Error).message); setState('error'); }
    } finally {
      setPhase(null);
    }
  }, [picked, model, end]);

  const togglePause = useCallback(async () => {
    if (!run.current) return;
    const pause = await togglePaused(run.current.id, state);
    setState((now) => (now === 'running' || now === 'paused' ? (pause ? 'paused' : 'running') : now));
  }, [state]);

  const cancel = useCallback(() => { run.current?.ctrl.abort(); }, []);

  return { state, phase, step, error, setError, result, start, togglePause, cancel };
}
