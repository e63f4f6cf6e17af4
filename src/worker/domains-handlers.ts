/**
 * The Train page's domains comparison (see core/domains-compare.ts): a domains folder decoded on the UI
 * thread, its features at the split layer computed once per image (progress per set) and kept in
 * IndexedDB, then plain / AdvBN / random-δ fine-tuning of VGG-19's layers after the split over seeds,
 * with pause / resume (train.pause) and cancel.
 *
 *   train.domains  TrainDomainsRequest  → events DomainsEvent…, result TrainDomainsResult
 */
import * as tf from '@tensorflow/tfjs';
import type { TypedHandlers } from './protocol';
import type { PreviewResult } from './train-protocol';
import type { DomainsEvent, TrainDomainsRequest, TrainDomainsResult } from './domains-protocol';
import { endPause, layerDecoder, loadModelAndHash, pauseState, previewResult } from './train-handlers';
import { cachedFeatures, encodeImages, featureBatch, type FeatureSet, type FeatureStore } from '../core/domains-features';
import { previewAdvbnBatch, spreadIndices } from '../core/batch-preview';
import { compareOnDomains, domainArms, mSweepArms } from '../core/domains-compare';
import { cleanHead, DEFAULT_TRAIN_SETTINGS, pgdHead, type AdvbnTrainSettings } from '../core/advbn-training';
import { validatePgdSettings } from '../core/pgd';
import { disposeNetwork, layerIndex, type Network } from '../models/network';
import { domainVerdicts, summarizeDomains, type SetKind } from '../common/domains-summary';
import { fnv1a, idbGet, idbPut, metaGet, metaPut } from '../common/idb-cache';

/** Features in IndexedDB: the float32 bytes as a file, the shape in the meta store. */
const idbFeatureStore: FeatureStore = {
  async get(key) {
    const shape = await metaGet<[number, number, number]>(`${key}:shape`);
    const bytes = shape ? await idbGet(key) : undefined;
    return shape && bytes ? { features: new Float32Array(bytes), shape } : null;
  },
  async put(key, features, shape) {
    try {
      await idbPut(key, features.slice().buffer);
      await metaPut(`${key}:shape`, shape);
    } catch { /* storage full or refused: the run goes on, features are computed again next time */ }
  },
};

export const domainsHandlers = {
  async 'train.domains'(p: TrainDomainsRequest, { signal, emit }): Promise<TrainDomainsResult> {
    const ev = (e: DomainsEvent) => emit(e);
    const t0 = performance.now();
    const pause = pauseState(p.runId);
    signal.addEventListener('abort', () => { pause.release?.(); }, { once: true });
    if (!Number.isInteger(p.seeds) || p.seeds < 1 || p.seeds > 10) throw new RangeError(`Seeds must be a whole number from 1 to 10, got ${p.seeds}.`);
    if (p.sets.length < 2 || p.sets[0]!.kind !== 'train') throw new Error('A domains run needs the source training set first and at least one test set.');
    const base: AdvbnTrainSettings = { ...DEFAULT_TRAIN_SETTINGS, advbn: false, lr: p.lr, optimizer: 'adam', weightDecay: 0, pgd: { eps: p.eps, tau: p.tau, steps: p.pgdSteps } };
    const arms = p.sweepM ? mSweepArms(p.sweepM, base) : domainArms(p.arms, base);
    for (const a of arms) if (a.settings.advbn) validatePgdSettings(a.settings.pgd);
    ev({ kind: 'phase', phase: 'loading' });
    const { net: vgg, bytesHash } = await loadModelAndHash(p.model);
    let decoder: Network | null = null;
    try {
      layerIndex(vgg, p.layer);
      const sets: FeatureSet[] = [];
      let encoded = 0;
      const tf0 = performance.now();
      const per = p.size * p.size * 3;
      for (const s of p.sets) {
        if (signal.aborted) throw new DOMException('cancelled', 'AbortError');
        const n = s.labels.length;
        if (s.pixels.length !== n * per) throw new Error(`Set ${s.name}: ${s.pixels.length} bytes for ${n} images of ${p.size}² px.`);
        // The model's bytes, not only its id: another model (or a re-import) under one id has other weights.
        const key = `features:${p.model.entry.id}:${bytesHash}:${p.layer}:${p.size}:${fnv1a(s.fingerprint)}:${n}`;
        const r = await cachedFeatures(idbFeatureStore, key, () => {
          encoded += n;
          return encodeImages(vgg, p.layer, p.model.entry.preprocessing, n,
            (i) => tf.tidy(() => tf.div(tf.tensor3d(s.pixels.subarray(i * per, (i + 1) * per), [p.size, p.size, 3], 'int32'), 255) as tf.Tensor3D),
            { signal, onProgress: (done, total) => ev({ kind: 'phase', phase: 'features', set: s.name, done, total }) });
        });
        if (r.cached) ev({ kind: 'phase', phase: 'features', set: s.name, cached: true, done: n, total: n });
        sets.push({ name: s.name, kind: s.kind, features: r.features, shape: r.shape, labels: s.labels, paths: s.paths });
      }
      const featureSeconds = (performance.now() - tf0) / 1000;
      const seeds = Array.from({ length: p.seeds }, (_, i) => 1 + i);
      const train = sets[0]!, evalSets = sets.slice(1);
      // AdvBN on 8 source training images spread over the set (so over its classes) by the trained AdvBN network (seed 1), decoded when the model has a decoder at l.
      decoder = p.sweepM || !p.arms.includes('advbn') ? null : await layerDecoder(p.model, p.layer);
      let batch: PreviewResult | null = null;
      const result = await compareOnDomains({
        vgg, layer: p.layer, classes: p.classes.length, train, sets: evalSets, arms, seeds, epochs: p.epochs, batchSize: Math.min(p.batchSize, train.labels.length),
        signal,
        waitWhilePaused: async () => { while (pause.paused && pause.wait && !signal.aborted) await pause.wait; },
        onStep: (seed, arm, r, total) => ev({ kind: 'step', arm, seed, total, ...r }),
        onPhase: (phase, seed, arm) => ev({ kind: 'phase', phase, seed, arm }),
        onTrained: async (seed, arm, trainer) => {
          if (!decoder || seed !== seeds[0] || arm !== 'advbn') return;
          const idx = spreadIndices(train.labels.length);
          const labels = idx.map((i) => train.labels[i]!);
          const f = featureBatch(train, idx);
          try {
            const pv = await previewAdvbnBatch(f, trainer.relu, pgdHead(trainer), labels, trainer.settings.pgd, decoder, cleanHead(trainer));
            const src = p.sets[0]!.pixels, per = p.size * p.size * 3;
            const clean = idx.map((i) => {
              const out = new Uint8ClampedArray(p.size * p.size * 4);
              for (let k = 0, q = i * per; k < p.size * p.size; k++, q += 3) { out[4 * k] = src[q]!; out[4 * k + 1] = src[q + 1]!; out[4 * k + 2] = src[q + 2]!; out[4 * k + 3] = 255; }
              return out;
            });
            batch = previewResult(pv, clean, p.size, labels, p.layer);
          } finally {
            f.dispose();
          }
        },
      });
      const summary = summarizeDomains(evalSets.map((s) => ({ name: s.name, kind: s.kind as SetKind, labels: s.labels })), result.runs, arms.map((a) => a.name));
      const secondsPerEpoch = Object.fromEntries(arms.map((a) => {
        const e = result.runs.filter((r) => r.arm === a.name).flatMap((r) => r.epochSeconds);
        return [a.name, e.reduce((x, y) => x + y, 0) / Math.max(1, e.length)];
      }));
      const first = result.runs.filter((r) => r.seed === seeds[0]);
      const layers = Object.keys(first[0]?.divergence ?? {});
      const divergenceLayer = layers[layers.length - 1] ?? null;
      const divergence = Object.fromEntries(first.map((r) => [r.arm, divergenceLayer ? r.divergence[divergenceLayer]! : {}]));
      return {
        runId: p.runId, summary, verdicts: p.sweepM ? [] : domainVerdicts(summary), arms: arms.map((a) => a.name), sweepM: p.sweepM ?? null, seeds, steps: result.steps,
        timing: { featureSeconds, imagesEncoded: encoded, secondsPerEpoch, totalSeconds: (performance.now() - t0) / 1000 },
        divergence, divergenceLayer, backend: tf.getBackend(), batch, classes: p.classes,
      };
    } finally {
      disposeNetwork(vgg);
      if (decoder) disposeNetwork(decoder);
      endPause(p.runId);
    }
  },
} satisfies Partial<TypedHandlers>;
