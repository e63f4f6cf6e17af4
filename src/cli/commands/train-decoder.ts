/**
 * advbn train-decoder --model DIR --layer L --images DIR [--size 128] [--batch 8] [--steps N]
 *                     [--lr 1e-3] [--tv 1e-4] [--feature-loss 0] [--via LAYER --via-decoder DIR] [--resume DIR]
 *                     [--checkpoint-every 100] [--seed 1] --out DIR
 */
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import * as tf from '@tensorflow/tfjs';
import { Options } from '../args';
import { DEFAULT_MODEL_DIR, loadDecoderFolder, loadVgg, log } from '../vgg';
import { buildNetwork, createDecoder, loadDecoder, mirrorSpec, serializeDecoder, type Decoder, type DecoderManifest } from '../../models/decoder';
import { decoderTrainStep, featureStd, psnr, reconstruct } from '../../core/train-decoder';
import { ImageCache, listImages, loadCenterCrop, randomCropBatch, trainEvalSplit } from '../../data/image-folder';
import { mulberry32 } from '../../common/random';
import { disposeNetwork, forwardRange, split } from '../../models/network';
import { top1 } from '../../core/attack';

export interface TrainingLog {
  steps: number;
  crops: number;
  seconds: number;
  curve: Array<{ step: number; loss: number; psnr?: number; retention?: number; seconds: number }>;
  [k: string]: unknown;
}

async function saveDecoder(d: Decoder, dir: string, precision: 'float16' | 'float32', prefix = '') {
  mkdirSync(dir, { recursive: true });
  const { json, weights } = await serializeDecoder(d, precision);
  const jsonName = prefix ? `${prefix}.json` : 'decoder.json';
  const m = JSON.parse(json) as DecoderManifest;
  if (prefix) m.weights.path = `${prefix}.bin`;
  writeFileSync(join(dir, m.weights.path), weights);
  writeFileSync(join(dir, jsonName), JSON.stringify(m, null, 1));
  if (!prefix && m.training) writeFileSync(join(dir, 'training-curve.csv'), curveCsv(m.training as TrainingLog));
}

/**
 * The learning curve beside a decoder: one row per checkpoint (held-out PSNR in dB at 224 px, and the
 * fraction of held-out images whose reconstruction keeps VGG-19's top-1), earlier phases first.
 */
export function curveCsv(t: TrainingLog): string {
  const phases: TrainingLog[] = [];
  for (let p: TrainingLog | undefined = t; p; p = (p.previous ?? undefined) as TrainingLog | undefined) phases.unshift(p);
  const rows = ['phase,step,seconds,loss,psnr_db,top1_kept'];
  phases.forEach((p, i) => {
    for (const c of p.curve ?? []) rows.push([i + 1, c.step, c.seconds, c.loss.toFixed(5), c.psnr ?? '', c.retention ?? ''].join(','));
  });
  return rows.join('\n') + '\n';
}

export async function trainDecoderCommand(o: Options): Promise<void> {
  const modelDir = o.string('model', DEFAULT_MODEL_DIR);
  const layer = o.string('layer');
  const imagesDir = o.string('images');
  const size = o.integer('size', 128);
  const batch = o.integer('batch', 8);
  const steps = o.integer('steps', 1000);
  const lr = o.number('lr', 1e-3);
  const tv = o.number('tv', 1e-4);
  const featureWeight = o.number('feature-loss', 0);
  const seed = o.integer('seed', 1);
  const every = o.integer('checkpoint-every', 100);
  const evalImages = o.integer('eval-images', 6);
  const via = o.optionalString('via');
  const viaDecoderDir = o.optionalString('via-decoder');
  const resume = o.optionalString('resume');
  const out = o.string('out');
  o.done();
  if (via && !viaDecoderDir) throw new Error('--via needs --via-decoder DIR (a trained decoder for the via layer).');

  const vgg = await loadVgg(modelDir);
  const files = listImages(imagesDir);
  const { train, evaluation } = trainEvalSplit(files);
  log(`images: ${train.length} train, ${evaluation.length} held out (every 10th)`);
  const cache = new ImageCache();
  const rng = mulberry32(seed);
  const viaDecoder = viaDecoderDir ? await loadDecoderFolder(viaDecoderDir) : null;

  let decoder: Decoder;
  let logState: TrainingLog = { steps: 0, crops: 0, seconds: 0, curve: [] };
  // --resume DIR: the float32 checkpoint when the folder has one, else the committed (fp16) decoder.json.
  // A committed decoder starts a new phase (its earlier training is kept under `previous`); a staged
  // (stacked) decoder resumed without --via is fine-tuned end to end on pixels.
  const fromCheckpoint = !!resume && existsSync(join(resume, 'checkpoint.json'));
  if (resume && (fromCheckpoint || existsSync(join(resume, 'decoder.json')))) {
    decoder = await loadDecoder(async (name) => {
      const buf = readFileSync(join(resume, name === 'decoder.json' && fromCheckpoint ? 'checkpoint.json' : name));
      return buf.buffer.slice(buf.byteOffset, buf.byteOffset + buf.byteLength) as ArrayBuffer;
    }, resume);
    if (decoder.manifest.layer !== layer) throw new Error(`--resume ${resume} decodes ${decoder.manifest.layer}, not --layer ${layer}.`);
    const earlier = decoder.manifest.training as TrainingLog | undefined;
    logState = fromCheckpoint && earlier ? earlier : { steps: 0, crops: 0, seconds: 0, curve: [], previous: earlier ?? null };
    log(`resumed from ${resume} (${fromCheckpoint ? 'checkpoint' : 'decoder.json'}) at step ${logState.steps}`);
  } else if (resume) {
    throw new Error(`--resume ${resume}: no checkpoint.json or decoder.json there.`);
  } else {
    const probe = randomCropBatch(cache, train, 8, size, mulberry32(seed + 1000));
    const scale = await featureStd(vgg, 'caffe', layer, probe);
    probe.dispose();
    log(`feature std at ${layer}: ${scale.toFixed(1)}`);
    if (via && viaDecoder) {
      // Staged: the top maps `layer` features to `via` features (scaled as the via decoder expects).
      const top = mirrorSpec(vgg, layer, via, 'top');
      const specs: DecoderManifest['layers'] = [{ kind: 'scale', name: 'feature_scale', factor: 1 / scale }, ...top];
      decoder = {
        manifest: { ...viaDecoder.manifest, layer, featureScale: scale, layers: specs, weights: { path: 'weights.bin', entries: [] } },
        net: buildNetwork(`decoder-top-${layer}`, specs, seed),
      };
    } else {
      decoder = createDecoder(vgg, 'vgg19-imagenet (Keras)', layer, scale, seed);
    }
  }
  const optimizer = tf.train.adam(lr);
  const setup = {
    encoder: vgg, preprocessing: 'caffe' as const, layer, decoder: decoder.net, tvWeight: tv, optimizer,
    featureLoss: featureWeight > 0 && !via ? { weight: featureWeight, scale: decoder.manifest.featureScale } : undefined,
    via: via && viaDecoder ? { layer: via, scale: viaDecoder.manifest.featureScale } : undefined,
  };
  const evalSet = evaluation.slice(0, evalImages);

  const classifier = { split: split(vgg, layer), preprocessing: 'caffe' as const };
  const originalTop1 = new Map<string, number>();
  /**
   * Held-out PSNR at 224 px centre crops (for staged training: of the stacked decoder), and class
   * retention: the fraction of held-out images whose reconstruction keeps VGG-19's top-1 on the original.
   */
  const evaluate = async (): Promise<{ psnr: number; retention: number }> => {
    let total = 0, kept = 0;
    for (const f of evalSet) {
      const x = loadCenterCrop(f, 224);
      const y = setup.via ? reconstructMid(x) : reconstruct(vgg, 'caffe', layer, decoder.net, x);
      total += await psnr(y, x);
      if (!originalTop1.has(f)) originalTop1.set(f, (await top1(classifier, x))[0]!);
      if ((await top1(classifier, y))[0] === originalTop1.get(f)) kept++;
      tf.dispose([x, y]);
    }
    return { psnr: total / evalSet.length, retention: kept / evalSet.length };
  };
  /** Staged: top (layer → scaled via-features), then the via decoder without its own input scaling. */
  const reconstructMid = (x: tf.Tensor4D): tf.Tensor4D => tf.tidy(() => {
    const mid = reconstruct(vgg, 'caffe', layer, decoder.net, x);
    return forwardRange(viaDecoder!.net, mid, 1, viaDecoder!.net.layers.length) as tf.Tensor4D;
  });

  const start = performance.now();
  const startSeconds = logState.seconds;
  let windowLoss = 0, windowN = 0, windowStart = performance.now();
  if (logState.steps >= steps) {
    // Nothing left to train (e.g. a resumed staged run): re-evaluate and re-save, which re-stacks the
    // top on the current via decoder.
    const { psnr: p } = await evaluate();
    log(`step ${logState.steps} ≥ --steps ${steps}: nothing to train; held-out PSNR ${p.toFixed(2)} dB, saved again`);
    if (setup.via && viaDecoder) await saveStacked(decoder, viaDecoder, out);
    else await saveDecoder(decoder, out, 'float16');
  }
  for (let s = logState.steps + 1; s <= steps; s++) {
    const x = randomCropBatch(cache, train, batch, size, rng);
    const loss = await decoderTrainStep(setup, x);
    x.dispose();
    windowLoss += loss; windowN++;
    logState.steps = s;
    logState.crops += batch;
    const elapsed = startSeconds + (performance.now() - start) / 1000;
    logState.seconds = elapsed;
    if (s % 10 === 0 || s === steps) {
      const rate = (windowN * batch) / ((performance.now() - windowStart) / 1000);
      const eta = ((steps - s) * batch) / rate;
      log(`step ${s}/${steps} loss ${(windowLoss / windowN).toFixed(5)} ${rate.toFixed(2)} crops/s ETA ${Math.round(eta / 60)} min`);
    }
    if (s % every === 0 || s === steps) {
      const { psnr: p, retention } = await evaluate();
      logState.curve.push({ step: s, loss: windowLoss / windowN, psnr: Math.round(p * 100) / 100, retention, seconds: Math.round(elapsed) });
      windowLoss = 0; windowN = 0; windowStart = performance.now();
      log(`checkpoint step ${s}: held-out PSNR ${p.toFixed(2)} dB, top-1 kept ${(retention * 100).toFixed(0)} % (${evalSet.length} images, 224 px)`);
      decoder.manifest.training = { ...logState, size, batch, lr, tv, featureLoss: featureWeight, layer, via: via ?? null, images: imagesDir.split('/').slice(-1)[0] };
      await saveDecoder(decoder, out, 'float32', 'checkpoint');
      if (setup.via && viaDecoder) await saveStacked(decoder, viaDecoder, out);
      else await saveDecoder(decoder, out, 'float16');
    }
  }
  optimizer.dispose();
  disposeNetwork(vgg);
}


/** The full decoder for a staged run: top (layer → via features) followed by the via decoder. */
async function saveStacked(top: Decoder, via: Decoder, out: string) {
  const layers = [...top.net.layers, ...via.net.layers.slice(1)];
  const specs = [...top.manifest.layers, ...via.manifest.layers.slice(1)];
  const stacked: Decoder = { manifest: { ...top.manifest, layers: specs, training: { ...top.manifest.training, viaDecoder: via.manifest.layer, viaTraining: via.manifest.training } }, net: { ...top.net, layers } };
  await saveDecoder(stacked, out, 'float16');
}
