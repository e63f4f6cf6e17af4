/**
 * Input conventions. Images move through the app as RGB float tensors in [0, 1], [N, H, W, 3];
 * each classifier says how it wants them.
 */
import * as tf from '@tensorflow/tfjs';
import { centerCropRect, type Preprocessing } from '../common/preprocessing';

export { centerCropRect, type Preprocessing };


export const CAFFE_BGR_MEAN = [103.939, 116.779, 123.68] as const;
export const TORCH_MEAN = [0.485, 0.456, 0.406] as const;
export const TORCH_STD = [0.229, 0.224, 0.225] as const;

export function preprocess(kind: Preprocessing, rgb01: tf.Tensor): tf.Tensor {
  return tf.tidy(() => {
    if (kind === 'unit') return tf.sub(rgb01, 0.5);
    if (kind === 'rgb01') return tf.clone(rgb01);
    if (kind === 'torch') return tf.div(tf.sub(rgb01, tf.tensor1d(TORCH_MEAN as unknown as number[])), tf.tensor1d(TORCH_STD as unknown as number[]));
    const bgr = tf.reverse(rgb01, -1);
    return tf.sub(tf.mul(bgr, 255), tf.tensor1d(CAFFE_BGR_MEAN as unknown as number[]));
  });
}

/** Resizes the short side to `size` and centre-crops a size×size square (bilinear). [H,W,3] → [size,size,3]. */
export function resizeCenterCrop(rgb: tf.Tensor3D, size: number): tf.Tensor3D {
  return tf.tidy(() => {
    const [h, w] = rgb.shape;
    const s = size / Math.min(h, w);
    const nh = Math.max(size, Math.round(h * s));
    const nw = Math.max(size, Math.round(w * s));
    const resized = tf.image.resizeBilinear(rgb, [nh, nw], true);
    const top = Math.floor((nh - size) / 2);
    const left = Math.floor((nw - size) / 2);
    return tf.slice(resized, [top, left, 0], [size, size, 3]);
  });
}


/** RGBA bytes → [H, W, 3] float RGB in [0, 1]. */
export function rgbaToTensor(data: Uint8Array | Uint8ClampedArray, width: number, height: number): tf.Tensor3D {
  const rgb = new Float32Array(width * height * 3);
  for (let i = 0, j = 0; i < width * height * 4; i += 4, j += 3) {
    rgb[j] = data[i]! / 255;
    rgb[j + 1] = data[i + 1]! / 255;
    rgb[j + 2] = data[i + 2]! / 255;
  }
  return tf.tensor3d(rgb, [height, width, 3]);
}

/** [H, W, 3] RGB values in [0, 1] (clamped) → RGBA bytes. */
export function rgbToRgba(rgb: Float32Array | number[], width: number, height: number): Uint8ClampedArray {
  const out = new Uint8ClampedArray(width * height * 4);
  for (let i = 0, j = 0; j < width * height * 3; i += 4, j += 3) {
    out[i] = Math.round(rgb[j]! * 255);
    out[i + 1] = Math.round(rgb[j + 1]! * 255);
    out[i + 2] = Math.round(rgb[j + 2]! * 255);
    out[i + 3] = 255;
  }
  return out;
}
