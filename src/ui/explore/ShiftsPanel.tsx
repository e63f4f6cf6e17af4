/**
 * Shifts side by side for the current image and split layer ('explore.shifts' in the worker): AdvBN's
 * adversarial δ, random δ of the same ε (several seeded draws: mean and spread of p), AdaIN to a style
 * image the user drops (strength α), and a common corruption at severity 1–5 — each with what the model
 * predicts — and one sentence, computed from those numbers, of what the comparison shows. No tfjs here.
 * Whether the panel is open, α, the corruption and its severity live in the Explore store, so a link
 * reproduces them (`shifts=1&alpha=0.5&corruption=blur&severity=4`); the style image is a file and is not.
 */
import { useEffect, useRef, useState } from 'react';
import { engine, RequestCancelled } from '../../worker/client';
import type { ShiftOutcome, ShiftsRequest, ShiftsResult } from '../../worker/explore-protocol';
import { meanSpread, shiftSummary, SEVERITY_CORRUPTIONS } from '../../common/shift-summary';
import { RANGES, useExplore } from './explore-store';
import { RgbaView } from './Charts';
import { decodeImageFile, type SourceImage, type SquareImage } from './images';

const pct = (p: number) => `${(100 * p).toFixed(p < 0.1 && p > 0 ? 1 : 0)}%`;
const short = (labels: string[], i: number) => labels[i]?.split(',')[0] ?? `class ${i}`;

export type ShiftsTarget = Omit<ShiftsRequest, 'style' | 'corruption' | 'randomDraws' | 'seed'>;

export function ShiftsPanel(props: {
  target: ShiftsTarget | null; labels: string[]; crop: SquareImage | null;
  settings: { draws: number; shifts: boolean; alpha: number; corruption: string; severity: number };
}) {
  const { target, labels } = props;
  const { shifts: open, alpha, corruption, severity } = props.settings;
  const set = useExplore((s) => s.set);
  const [style, setStyle] = useState<SourceImage | null>(null);
  const [styleError, setStyleError] = useState<string | null>(null);
  const [result, setRes] = useState<(ShiftsResult & { model: string }) | null>(null);
  // Only a result of the model shown now (after a model switch its images have another size).
  const res = result && target && result.model === target.model ? result : null;
  const [state, setState] = useState<'idle' | 'running' | 'done' | 'error'>('idle');
  const [error, setError] = useState<string | null>(null);
  const draws = Math.max(1, props.settings.draws);
  const key = open && target ? JSON.stringify([target, style?.key, alpha, corruption, severity, draws]) : '';
  const live = useRef({ target, style });
  live.current = { target, style };

  useEffect(() => {
    if (!key) return;
    const { target: t, style: s } = live.current;
    if (!t) return;
    const ctrl = new AbortController();
    const timer = setTimeout(() => {
      setState('running');
      const req: ShiftsRequest = {
        ...t, randomDraws: draws, seed: 1, corruption: { name: corruption, severity },
        style: s ? { rgba: s.rgba, width: s.width, height: s.height, alpha } : null,
      };
      engine().request('explore.shifts', req, { signal: ctrl.signal })
        .then((r) => { if (!ctrl.signal.aborted) { setRes({ ...r, model: t.model ?? '' }); setState('done'); setError(null); } })
        .catch((e: Error) => { if (!ctrl.signal.aborted && !(e instanceof RequestCancelled)) { setState('error'); setError(e.message); } });
    }, 250);
    return () => { clearTimeout(timer); ctrl.abort(); };
  }, [key]);

  const onStyleFile = async (file: File | undefined) => {
    if (!file) return;
    setStyleError(null);
    try { setStyle(await decodeImageFile(file)); } catch (e) { setStyleError((e as Error).message); }
  };
  const cls = res ? short(labels, res.label) : '';
  const pic = (rgba: Uint8ClampedArray | undefined): SquareImage | null => (rgba && res ? { rgba, size: res.size } : null);
  const rnd = res && res.random.length ? meanSpread(res.random.map((o) => o.p)) : null;
  const sentence = res && target ? shiftSummary({
    className: cls, eps: target.settings.eps, clean: res.clean.p, adversarial: res.adversarial.p, random: res.random.map((o) => o.p), matched: res.matched.map((o) => o.p),
    ...(res.adain ? { adain: { p: res.adain.p, alpha } } : {}),
    ...(res.corrupted ? { corruption: { p: res.corrupted.p, name: corruption, severity } } : {}),
  }) : '';

  const caption = (o: ShiftOutcome) => (
    <>top-1 <b>{short(labels, o.top1)}</b> {pct(o.top1Prob)}<br />p({cls}) <b>{pct(o.p)}</b></>
  );
  return (
    <div className="panel shifts" data-testid="shifts" data-state={state}
      onDragOver={(e) => { if (open) e.preventDefault(); }}
      onDrop={(e) => { if (!open) return; e.preventDefault(); e.stopPropagation(); void onStyleFile(e.dataTransfer.files[0]); }}>
      <h3>Shifts side by side: AdvBN, random δ, style transfer, corruption</h3>
      <div className="row sweep-controls">
        <button type="button" onClick={() => set({ shifts: true })} disabled={!target || open}>Compare shifts</button>
        {open && <>
          <label>style image <input type="file" accept="image/*" aria-label="Style image" onChange={(e) => void onStyleFile(e.target.files?.[0])} /></label>
          <label>α {alpha.toFixed(2)} <input type="range" aria-label="Style strength α" min={RANGES.alpha.min} max={RANGES.alpha.max} step={RANGES.alpha.step} value={alpha} onChange={(e) => set({ alpha: Number(e.target.value) })} /></label>
          <label>corruption{' '}
            <select aria-label="Corruption" value={corruption} onChange={(e) => set({ corruption: e.target.value })}>
              {SEVERITY_CORRUPTIONS.map((n) => <option key={n} value={n}>{n}</option>)}
            </select>
          </label>
          <label>severity {severity} <input type="range" aria-label="Severity" min={RANGES.severity.min} max={RANGES.severity.max} step={RANGES.severity.step} value={severity} onChange={(e) => set({ severity: Number(e.target.value) })} /></label>
        </>}
      </div>
      {open && <div className="muted small">{state === 'running' ? 'computing…' : 'Drop a painting here (or choose a file) to add AdaIN style transfer.'}</div>}
      {styleError && <div className="error small" role="alert">{styleError}</div>}
      {state === 'error' && <div className="error" role="alert" data-testid="shifts-error">{error}</div>}
      {open && res && (
        <>
          <div className="sweep-row shifts-row">
            <figure data-testid="shift-clean"><RgbaView image={props.crop} testid="shift-img-clean" label="clean" /><figcaption>clean<br />{caption(res.clean)}</figcaption></figure>
            <figure data-testid="shift-adv" data-p={res.adversarial.p.toFixed(4)}><RgbaView image={pic(res.adversarial.image)} testid="shift-img-adv" label="AdvBN δ" className="adv" />
              <figcaption>AdvBN δ, ε {target?.settings.eps}<br />{caption(res.adversarial)}</figcaption></figure>
            {res.random[0] && rnd && (
              <figure data-testid="shift-random" data-p={rnd.mean.toFixed(4)}><RgbaView image={pic(res.random[0].image)} testid="shift-img-random" label="random δ" />
                <figcaption>uniform random δ in [1 − ε, 1 + ε] (draw 1 of {res.random.length})<br />p({cls}) <b>{pct(rnd.mean)}</b> ± {(100 * rnd.sd).toFixed(0)}<br /><span className="muted">min {pct(rnd.min)} · max {pct(rnd.max)}</span></figcaption></figure>
            )}
            {res.adain && (
              <figure data-testid="shift-adain" data-p={res.adain.p.toFixed(4)}><RgbaView image={pic(res.adain.image)} testid="shift-img-adain" label="AdaIN" />
                <figcaption>AdaIN, α {alpha} <span className="muted">(style: {style?.name.slice(0, 18)})</span><br />{caption(res.adain)}</figcaption></figure>
            )}
            {res.styleCrop && <figure><RgbaView image={pic(res.styleCrop)} testid="shift-img-style" label="style image" /><figcaption className="muted">the style image</figcaption></figure>}
            {res.corrupted && (
              <figure data-testid="shift-corrupted" data-p={res.corrupted.p.toFixed(4)}><RgbaView image={pic(res.corrupted.image)} testid="shift-img-corrupted" label="corrupted" />
                <figcaption>{corruption}, severity {severity}<br />{caption(res.corrupted)}</figcaption></figure>
            )}
          </div>
          <p data-testid="shifts-summary">{sentence}</p>
        </>
      )}
    </div>
  );
}
