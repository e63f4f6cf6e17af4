import { writeFileSync } from 'node:fs';
import { join } from 'node:path';

/** Writes a tiny Keras-style layers model (RGB 4×4: conv → pool → flatten → dense) with uint8-quantized weights. */
export function writeTinyModel(dir: string) {
  const layers = [
    { class_name: 'InputLayer', config: { name: 'input_1', batch_input_shape: [null, 4, 4, 3] } },
    { class_name: 'Conv2D', config: { name: 'c1', activation: 'relu', padding: 'same', strides: [1, 1], use_bias: true } },
    { class_name: 'MaxPooling2D', config: { name: 'p1', pool_size: [2, 2], strides: [2, 2] } },
    { class_name: 'Flatten', config: { name: 'f' } },
    { class_name: 'Dense', config: { name: 'd', activation: 'softmax', use_bias: true } },
  ];
  const kernel = Array.from({ length: 9 * 3 * 2 }, (_, i) => (i % 5) / 4);
  const bias = [0, 0.5];
  const dense = Array.from({ length: 8 * 3 }, (_, i) => (i % 3) / 2);
  const dbias = [0, 0, 1];
  const all = [kernel, bias, dense, dbias];
  const q = (v: number[]) => ({ min: 0, scale: 0.25, bytes: v.map((x) => Math.round(x / 0.25)) });
  const specs = [['c1/kernel', [3, 3, 3, 2]], ['c1/bias', [2]], ['d/kernel', [8, 3]], ['d/bias', [3]]] as const;
  const bytes: number[] = [];
  const weights = specs.map(([name, shape], i) => {
    const qq = q(all[i]!);
    bytes.push(...qq.bytes);
    return { name, shape, dtype: 'float32', quantization: { dtype: 'uint8', min: 0, scale: 0.25, original_dtype: 'float32' } };
  });
  writeFileSync(join(dir, 'model.json'), JSON.stringify({ format: 'layers-model', modelTopology: { model_config: { class_name: 'Functional', config: { layers } } }, weightsManifest: [{ paths: ['group1-shard1of1.bin'], weights }] }));
  writeFileSync(join(dir, 'group1-shard1of1.bin'), new Uint8Array(bytes));
}

