/**
 * The style-world model's decoder (§5): the mirror of its encoder up to the split layer, trained with
 * the project's decoder-training step (pixel MSE + small TV, Adam) on style-world images.
 */
import * as tf from '@tensorflow/tfjs';
import type { Network } from '../models/network';
import { buildNetwork, mirrorSpec, type Decoder, type DecoderManifest, DECODER_FORMAT } from '../models/decoder';
import { decoderTrainStep, featureStd, psnr, reconstruct } from './train-decoder';
import { mulberry32, randInt } from '../common/random';
import { batchOf, type ImageSet } from '../data/style-world-data';

/**
 * A mirror decoder for `layer`; BatchNorms are skipped when mirroring (the decoder has none).
 * `width` > 0 puts two extra 3×3 conv + ReLU layers (C → width → C) before the mirror: a mirror of
 * block 1 alone is a single linear conv, too weak to bring back the colours its ReLU features keep.
 */
export function createStyleWorldDecoder(encoder: Network, layer: string, featureScale: number, seed = 1, width = 0): Decoder {
  const view: Network = { ...encoder, layers: encoder.layers.filter((l) => l.kind !== 'batchnorm') };
  const mirror = mirrorSpec(view, layer);
  const first = mirror.find((l) => l.kind === 'conv2d');
  const c = first && first.kind === 'conv2d' ? first.shape[2] : 0;
  const extra: DecoderManifest['layers'] = width > 0 && c > 0 ? [
    { kind: 'conv2d', name: 'pre_conv1', shape: [3, 3, c, width], activation: 'relu' },
    { kind: 'conv2d', name: 'pre_conv2', shape: [3, 3, width, c], activation: 'relu' },
  ] : [];
  const specs: DecoderManifest['layers'] = [{ kind: 'scale', name: 'feature_scale', factor: 1 / featureScale }, ...extra, ...mirror];
  const manifest: DecoderManifest = {
    format: DECODER_FORMAT, version: 1, encoder: encoder.name, layer, preprocessing: 'unit', output: 'rgb01',
    featureScale, layers: specs, weights: { path: 'weights.bin', entries: [] },
  };
  return { manifest, net: buildNetwork(`decoder-${layer}`, specs, seed) };
}

export async function trainStyleWorldDecoder(
  encoder: Network, layer: string, images: ImageSet, steps: number, seed: number,
  onStep?: (step: number, loss: number, psnr?: number) => void, batch = 16, width = 0,
): Promise<{ decoder: Decoder; psnr: number }> {
  const rng = mulberry32(seed + 77);
  const n = images.labels.length;
  const pickBatch = () => batchOf(images, Array.from({ length: batch }, () => randInt(rng, 0, n)));
  const probe = pickBatch();
  const scale = await featureStd(encoder, 'unit', layer, probe.x);
  probe.x.dispose();
  const decoder = createStyleWorldDecoder(encoder, layer, scale, seed, width);
  const optimizer = tf.train.adam(2e-3);
  const evalBatch = batchOf(images, Array.from({ length: 32 }, (_, i) => n - 1 - i));
  let last = NaN;
  for (let s = 0; s < steps; s++) {
    const b = pickBatch();
    const loss = await decoderTrainStep({ encoder, preprocessing: 'unit', layer, decoder: decoder.net, tvWeight: 1e-4, optimizer }, b.x);
    b.x.dispose();
    let p: number | undefined;
    if (s % 100 === 0 || s === steps - 1) {
      const rec = reconstruct(encoder, 'unit', layer, decoder.net, evalBatch.x);
      p = last = await psnr(rec, evalBatch.x);
      rec.dispose();
    }
    onStep?.(s, loss, p);
  }
  evalBatch.x.dispose();
  optimizer.dispose();
  decoder.manifest.training = { steps, batch, width, psnr: last, images: 'style world (training families)' };
  return { decoder, psnr: last };
}
