/**
 * Handlers of the Explore page (see src/ui/explore). All tfjs work of the page happens here.
 *
 * State kept between requests (so moving a slider only re-runs PGD):
 * - the loaded classifier (one at a time) and its decoders, by split layer;
 * - the current image's crop at the model's input size and its clean predictions;
 * - the features f = g^{1,l}(crop), re-encoded only when the image, model or layer change.
 *
 * Requests are serialised: a run that is cancelled finishes its current step, then the next request
 * starts, so two PGD runs never compete for the backend.
 */
import * as tf from '@tensorflow/tfjs';
import type { TypedHandlers } from './protocol';
import { abortError, exclusive } from './exclusive';
import { loadLayersModelNetwork, type ReadFile } from '../models/layers-format';
import { loadDecoder } from '../models/decoder';
import { disposeNetwork, forward, networkTensors, split, type Network, type Split } from '../models/network';
import { preprocess, resizeCenterCrop, rgbaToTensor, rgbToRgba, type Preprocessing } from '../models/preprocess';
import { fetchProblem, fileUrl, joinPath, type FileSource, type RegistryEntry } from '../common/registry';
import { cachingReader, idbReader } from '../common/idb-cache';
import { argmax } from '../common/predictions';
import { pgd, validatePgdSettings, type PgdSettings } from '../core/pgd';
import { makeObjective } from '../core/attack';
import { sweep, type StrengthSweepOutcome } from '../core/strength-sweep';
import { compareShifts } from '../core/shifts';
import { corruptionAt } from '../data/corruptions';
import { fitOrDispose } from '../backend/binding-limits';
import { registerHeldTensors } from './held-tensors';
import { getBackend } from '@tensorflow/tfjs';

import type { AutoencoderRef, ImageRequest, ImageResult, ModelProgress, ModelRequest, ModelResult, RunRequest, RunResult, RunStart, StepEvent, StrengthSweepCellEvent, StrengthSweepRequest, StrengthSweepResult, StrengthSweepStartEvent, ShiftOutcome, ShiftsRequest, ShiftsResult } from './explore-protocol';

export type * from './explore-protocol';

// ---- state ----

interface LoadedModel {
  key: string;
  entry: RegistryEntry;
  source: FileSource;
  net: Network;
  classes: number;
  decoders: Map<string, Network>;
}

let model: LoadedModel | null = null;
/** The separate encoder in use (one at a time) and its decoders. */
let autoenc: { key: string; net: Network; entry: RegistryEntry; decoders: Map<string, Network> } | null = null;
let image: { key: string; crop: tf.Tensor4D; cleanProbs: Float32Array } | null = null;
let features: { key: string; split: Split; f: tf.Tensor } | null = null;
// Read back before the engine leaves a GPU backend (held-tensors.ts).
registerHeldTensors(() => [
  ...[model, autoenc].flatMap((m) => (m ? [m.net, ...m.decoders.values()].flatMap(networkTensors) : [])),
  ...(image ? [image.crop] : []),
  ...(features ? [features.f] : []),
]);

/** A request meant for a model or image the worker no longer holds: cancelled, not failed. */
function staleError(why: string): Error {
  return abortError(`stale request: ${why}`);
}

// ---- reading files ----

async function fetchBuffer(url: string): Promise<ArrayBuffer> {
  let r: Response;
  try {
    r = await fetch(url);
  } catch (e) {
    throw new Error(fetchProblem(url, e as Error, self.location?.origin));
  }
  if (!r.ok) throw new Error(fetchProblem(url, r.status));
  return r.arrayBuffer();
}

/** A ReadFile for files in `dir` (registry-relative) of a source. */
export function readerFor(source: FileSource, dir: string): ReadFile {
  const under = (name: string) => joinPath(dir, name);
  switch (source.kind) {
    case 'url':
      // Fetched weights are kept in IndexedDB (versioned by their manifest): a reload does not fetch them again.
      return cachingReader((name) => fetchBuffer(fileUrl(source.base, dir, name)), `url:${fileUrl(source.base, dir, '')}`);
    case 'idb': {
      const read = idbReader(source.prefix);
      return (name) => read(under(name));
    }
    case 'files':
      return async (name) => {
        const f = source.files[under(name)];
        if (!f) throw new Error(`${under(name)} is not in the picked folder.`);
        return f.arrayBuffer();
      };
  }
}

function sourceName(source: FileSource, dir: string): string {
  if (source.kind === 'url') return fileUrl(source.base, dir, '');
  return `picked folder${dir ? '/' + joinPath(dir) : ''}`;
}

// ---- helpers ----

/** The ε, τ, m of a message, validated: what is not a number becomes NaN and is refused by name. */
function pgdSettingsOf(s: Partial<PgdSettings> | null | undefined): PgdSettings {
  return validatePgdSettings({ eps: Number(s?.eps), tau: Number(s?.tau), steps: Number(s?.steps) });
}

function disposeFeatures() {
  features?.f.dispose();
  features = null;
}
function disposeImage() {
  image?.crop.dispose();
  image = null;
  disposeFeatures();
}
function disposeModel() {
  if (!model) return;
  disposeNetwork(model.net);
  for (const d of model.decoders.values()) disposeNetwork(d);
  model = null;
  disposeImage();
}

function classify(net: Network, pre: Preprocessing, rgb: tf.Tensor4D): tf.Tensor2D {
  return tf.tidy(() => tf.softmax(forward(net, preprocess(pre, rgb)) as tf.Tensor2D));
}

function disposeAutoencoder() {
  if (!autoenc) return;
  disposeNetwork(autoenc.net);
  for (const d of autoenc.decoders.values()) disposeNetwork(d);
  autoenc = null;
}

/** Loads (or reuses) a separate encoder and its decoder for `ref.layer`. */
async function autoencoderFor(ref: AutoencoderRef): Promise<{ encoder: Split; decoder: Network; preprocessing: Preprocessing }> {
  if (autoenc?.key !== ref.key) {
    disposeFeatures();
    disposeAutoencoder();
    const net = await loadLayersModelNetwork(readerFor(ref.source, ref.entry.path), sourceName(ref.source, ref.entry.path), ref.entry.id);
    await fitOrDispose(net);
    autoenc = { key: ref.key, net, entry: ref.entry, decoders: new Map() };
  }
  const a = autoenc!;
  let decoder = a.decoders.get(ref.layer);
  if (!decoder) {
    const dir = a.entry.decoders[ref.layer];
    if (dir === undefined) throw new Error(`${a.entry.name} has no decoder for ${ref.layer}.`);
    const d = await loadDecoder(readerFor(ref.source, dir), sourceName(ref.source, dir));
    if (d.manifest.layer !== ref.layer) {
      disposeNetwork(d.net);
      throw new Error(`The decoder in ${dir} decodes ${d.manifest.layer}, not ${ref.layer}.`);
    }
    decoder = d.net;
    a.decoders.set(ref.layer, decoder);
  }
  return { encoder: split(a.net, ref.layer), decoder, preprocessing: a.entry.preprocessing };
}

async function decoderFor(layer: string): Promise<Network> {
  const m = model!;
  const have = m.decoders.get(layer);
  if (have) return have;
  const dir = m.entry.decoders[layer];
  if (dir === undefined) throw new Error(`${m.entry.name} has no decoder for ${layer}.`);
  const d = await loadDecoder(readerFor(m.source, dir), sourceName(m.source, dir));
  if (d.manifest.layer !== layer) {
    disposeNetwork(d.net);
    throw new Error(`The decoder in ${dir} decodes ${d.manifest.layer}, not ${layer}.`);
  }
  m.decoders.set(layer, d.net);
  return d.net;
}

/** The model and image a request is for, or a clear error (none loaded) / a cancel (the user switched meanwhile). */
function current(p: { model?: string; image?: string }): { m: LoadedModel; img: NonNullable<typeof image> } {
  if (!model) throw new Error('No model is loaded.');
  if (!image) throw new Error('No image is loaded.');
  if ((p.model !== undefined && p.model !== model.key) || (p.image !== undefined && image.key !== `${model.key}|${p.image}`)) {
    throw staleError(`this request was for ${p.model} / image ${p.image}; the engine now holds ${image.key}`);
  }
  return { m: model, img: image };
}

/** The attacked class: the given one (checked), or the clean top-1. */
function checkedLabel(requested: number | null | undefined, cleanProbs: Float32Array, classes: number): number {
  const label = requested === null || requested === undefined ? argmax(cleanProbs) : requested;
  if (!Number.isInteger(label) || label < 0 || label >= classes) throw new RangeError(`Label ${String(requested)} is not a class of this model (0–${classes - 1}).`);
  return label;
}

// ---- handlers ----

export const exploreHandlers = {
  async 'explore.model'(p: ModelRequest, { signal, emit }): Promise<ModelResult> {
    return exclusive(signal, async () => {
      const t0 = performance.now();
      if (model?.key === p.key) {
        return { key: p.key, classes: model.classes, inputSize: p.entry.inputSize, layers: model.net.layers.map((l) => l.name), ms: 0 };
      }
      disposeModel();
      const inner = readerFor(p.source, p.entry.path);
      let total = 0, loaded = 0, bytes = 0;
      // A load the user cancelled (another model chosen meanwhile) stops at the next file, before any
      // weights are decoded: the next model does not wait for 138 MB it will not use.
      const read: ReadFile = async (name) => {
        if (signal.aborted) throw abortError();
        const buf = await inner(name);
        if (signal.aborted) throw abortError();
        if (name === 'model.json') {
          try {
            total = (JSON.parse(new TextDecoder().decode(buf)) as { weightsManifest: Array<{ paths: string[] }> }).weightsManifest.reduce((n, g) => n + g.paths.length, 0);
          } catch { /* the loader reports bad JSON */ }
        } else {
          loaded++;
          bytes += buf.byteLength;
          emit({ kind: 'progress', loaded, total, bytes } satisfies ModelProgress);
        }
        return buf;
      };
      const net = await loadLayersModelNetwork(read, sourceName(p.source, p.entry.path), p.entry.id);
      await fitOrDispose(net);
      if (net.inputShape[0] !== p.entry.inputSize || net.inputShape[2] !== 3) {
        const got = net.inputShape.join('×');
        disposeNetwork(net);
        throw new Error(`${p.entry.name}: model.json says the input is ${got}, the registry says ${p.entry.inputSize}×${p.entry.inputSize}×3.`);
      }
      // Number of classes: one forward pass of a blank image.
      const probe = tf.tidy(() => forward(net, tf.zeros([1, ...net.inputShape])));
      const classes = probe.shape[1]!;
      probe.dispose();
      model = { key: p.key, entry: p.entry, source: p.source, net, classes, decoders: new Map() };
      return { key: p.key, classes, inputSize: p.entry.inputSize, layers: net.layers.map((l) => l.name), ms: performance.now() - t0 };
    });
  },

  async 'explore.image'(p: ImageRequest, { signal }): Promise<ImageResult> {
    return exclusive(signal, async () => {
      if (!model) throw new Error('No model is loaded.');
      if (!(p.width > 0 && p.height > 0) || p.rgba.length !== p.width * p.height * 4) throw new Error('The image has no pixels.');
      const t0 = performance.now();
      disposeImage();
      const size = model.entry.inputSize;
      const crop = tf.tidy(() => {
        const rgb = rgbaToTensor(p.rgba, p.width, p.height);
        return resizeCenterCrop(rgb, size).expandDims(0) as tf.Tensor4D;
      });
      const probsT = classify(model.net, model.entry.preprocessing, crop);
      const [cleanProbs, pixels] = await Promise.all([probsT.data() as Promise<Float32Array>, crop.data() as Promise<Float32Array>]);
      probsT.dispose();
      image = { key: `${model.key}|${p.key}`, crop, cleanProbs };
      return { key: p.key, size, crop: rgbToRgba(pixels, size, size), cleanProbs: cleanProbs.slice(), ms: performance.now() - t0 };
    });
  },

  async 'explore.run'(p: RunRequest, { signal, emit }): Promise<RunResult> {
    return exclusive(signal, async () => {
      const { m: model, img: image } = current(p);
      const settings = pgdSettingsOf(p.settings);
      if (p.mode !== 'feature' && p.mode !== 'image') throw new Error(`Loss mode "${String(p.mode)}" is unknown (feature or image).`);
      const label = checkedLabel(p.label, image.cleanProbs, model.classes);
      const t0 = performance.now();
      const ae = p.autoencoder ? await autoencoderFor(p.autoencoder) : null;
      if (ae && p.mode !== 'image') throw new Error('A separate autoencoder works in image mode only: the classifier\'s head cannot read its encoder\'s features.');
      const decoder = ae ? ae.decoder : p.decoder ? await decoderFor(p.layer) : null;
      if (p.mode === 'image' && !decoder) throw new Error(`Image mode needs a decoder for ${p.layer}; none is present. Use feature mode, or train one with "advbn train-decoder --layer ${p.layer}".`);
      const fKey = `${image.key}|${ae ? `ae:${p.autoencoder!.key}|` : ''}${p.layer}`;
      if (features?.key !== fKey) {
        disposeFeatures();
        const s = ae ? ae.encoder : split(model.net, p.layer);
        const pre = ae ? ae.preprocessing : model!.entry.preprocessing;
        const crop = image.crop;
        const f = tf.tidy(() => s.encode(preprocess(pre, crop)));
        await f.data();
        features = { key: fKey, split: s, f };
      }
      const { split: s, f } = features;
      // With a separate encoder, the objective runs the whole classifier on the decoded image (image mode).
      const classifierSplit = ae ? split(model.net, model.net.layers[0]!.name) : s;
      const backend = getBackend();
      emit({ kind: 'start', label, encodeMs: performance.now() - t0, backend, relu: s.relu, channels: f.shape[f.rank - 1]! } satisfies RunStart);
      const size = model.entry.inputSize;
      const it = pgd(f, s.relu, makeObjective({ split: classifierSplit, preprocessing: model.entry.preprocessing }, p.mode, decoder), { labels: [label], targeted: !!p.targeted }, settings, { signal, images: !!decoder });
      let steps = 0;
      for (;;) {
        const r = await it.next();
        if (r.done) {
          r.value.mu.dispose();
          r.value.sigma.dispose();
          break;
        }
        const rep = r.value;
        // Copies: on some backends data() hands out the tensor's own storage, which must not be transferred.
        const ev: StepEvent = {
          kind: 'step', step: rep.step, loss: rep.loss, probs: rep.probs.slice(), attackedProb: rep.probs[label]!,
          deltaMu: rep.deltaMu.slice(), deltaSigma: rep.deltaSigma.slice(), size, ms: rep.ms, decodeMs: rep.decodeMs,
        };
        const transfer: Transferable[] = [ev.probs.buffer, ev.deltaMu.buffer, ev.deltaSigma.buffer];
        if (rep.image) {
          ev.image = rgbToRgba(rep.image.data, size, size);
          transfer.push(ev.image.buffer);
        }
        emit(ev, transfer as ArrayBuffer[]);
        steps = rep.step;
      }
      return { steps, label, totalMs: performance.now() - t0, backend };
    });
  },

  /**
   * A strength sweep on the current image: AdvBN at each strength (the classifier's own layers) and
   * random δ of the same ε; one 'cell' event per strength as it is done. Cancellable between steps.
   */
  async 'explore.sweep'(p: StrengthSweepRequest, { signal, emit }): Promise<StrengthSweepResult> {
    return exclusive(signal, async () => {
      const { m, img } = current(p);
      if (p.mode !== 'feature' && p.mode !== 'image') throw new Error(`Loss mode "${String(p.mode)}" is unknown (feature or image).`);
      if (!Array.isArray(p.strengths) || !p.strengths.length) throw new Error('The sweep names no strength.');
      const strengths = p.strengths.map(pgdSettingsOf);
      const label = checkedLabel(p.label, img.cleanProbs, m.classes);
      const t0 = performance.now();
      const decoder = p.decoder ? await decoderFor(p.layer) : null;
      if (p.mode === 'image' && !decoder) throw new Error(`Image mode needs a decoder for ${p.layer}; none is present. Use feature mode.`);
      const size = m.entry.inputSize;
      emit({ kind: 'sweep-start', label, count: strengths.length, backend: getBackend() } satisfies StrengthSweepStartEvent);
      let cells = 0;
      const c = { split: split(m.net, p.layer), preprocessing: m.entry.preprocessing };
      for await (const cell of sweep(c, {
        images: img.crop, mode: p.mode, decoder, strengths, labels: [label], randomDraws: p.randomDraws, seed: p.seed,
        key: img.key, decode: decoder ? { adversarial: true } : undefined,
      }, { signal })) {
        const top1 = argmax(cell.adversarial.probs);
        const ev: StrengthSweepCellEvent = {
          kind: 'cell', index: cell.index, strength: cell.strength, top1, top1Prob: cell.adversarial.probs[top1]!, p: cell.adversarial.probs[label]!,
          randomP: cell.random.map((r) => r.probs[label]!), randomTop1: cell.random.map((r) => argmax(r.probs)),
          matchedP: cell.matched.map((r) => r.probs[label]!), size, ms: cell.ms,
        };
        if (cell.adversarial.image) ev.image = rgbToRgba(cell.adversarial.image.data, size, size);
        emit(ev, ev.image ? [ev.image.buffer as ArrayBuffer] : []);
        cells++;
      }
      return { cells, label, totalMs: performance.now() - t0 };
    });
  },

  /** AdvBN's δ, random δ of the same ε, AdaIN to a dropped style image, and a corruption, side by side. */
  async 'explore.shifts'(p: ShiftsRequest, { signal }): Promise<ShiftsResult> {
    return exclusive(signal, async () => {
      const { m, img } = current(p);
      const settings = pgdSettingsOf(p.settings);
      if (p.mode !== 'feature' && p.mode !== 'image') throw new Error(`Loss mode "${String(p.mode)}" is unknown (feature or image).`);
      const label = checkedLabel(p.label, img.cleanProbs, m.classes);
      const corruption = p.corruption ? corruptionAt(p.corruption.name, p.corruption.severity) : undefined;
      const style = p.style;
      if (style && (!(style.width > 0 && style.height > 0) || style.rgba.length !== style.width * style.height * 4)) throw new Error('The style image has no pixels.');
      const t0 = performance.now();
      const decoder = p.decoder ? await decoderFor(p.layer) : null;
      if (p.mode === 'image' && !decoder) throw new Error(`Image mode needs a decoder for ${p.layer}; none is present. Use feature mode.`);
      const size = m.entry.inputSize;
      const styleCrop = style ? tf.tidy(() => resizeCenterCrop(rgbaToTensor(style.rgba, style.width, style.height), size).expandDims(0) as tf.Tensor4D) : null;
      try {
        const r = await compareShifts({ split: split(m.net, p.layer), preprocessing: m.entry.preprocessing }, {
          image: img.crop, mode: p.mode, decoder, settings, label, randomDraws: p.randomDraws, seed: p.seed, key: img.key,
          style: styleCrop ? { image: styleCrop, alpha: Number(style!.alpha) } : undefined, corruption,
        }, signal);
        const out = (o: StrengthSweepOutcome): ShiftOutcome => {
          const top1 = argmax(o.probs);
          return { p: o.probs[label]!, top1, top1Prob: o.probs[top1]!, ...(o.image ? { image: rgbToRgba(o.image.data, size, size) } : {}) };
        };
        return {
          label, size, clean: out({ probs: r.cleanProbs }), adversarial: out(r.adversarial), random: r.random.map(out), matched: r.matched.map(out),
          adain: r.adain ? out(r.adain) : null, corrupted: r.corrupted ? out(r.corrupted) : null,
          styleCrop: styleCrop ? rgbToRgba((await styleCrop.data()) as Float32Array, size, size) : null, ms: performance.now() - t0,
        };
      } finally {
        styleCrop?.dispose();
      }
    });
  },

  /** Forgets the loaded model (e.g. before loading a bigger one); frees its tensors. */
  async 'explore.unload'(_p: unknown, { signal }): Promise<{ ok: true }> {
    return exclusive(signal, async () => {
      disposeModel();
      disposeAutoencoder();
      return { ok: true };
    });
  },
} satisfies Partial<TypedHandlers>;
