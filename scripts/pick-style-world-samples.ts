// Picks the style-world model's sample images for the Explore page's first view (models/index.json
// "samples"): items of the training styles that the model classifies correctly and confidently, whose
// m = 0 reconstruction is close (PSNR), and whose prediction AdvBN changes at the paper's settings.
//   node --import tsx scripts/pick-style-world-samples.ts [--layer block1_relu1] [--decoder DIR] [--per-family 40]
import * as tf from '@tensorflow/tfjs';
import { useNodeBackend } from '../src/backend/node/backend-node';
import { folderReader } from '../src/models/node-io';
import { loadLayersModelNetwork } from '../src/models/layers-format';
import { loadDecoder } from '../src/models/decoder';
import { forward, split } from '../src/models/network';
import { preprocess } from '../src/models/preprocess';
import { attack } from '../src/core/attack';
import { PAPER_DEFAULTS } from '../src/core/pgd';
import { IMAGE_SIZE, renderItem, SHAPES, TRAIN_FAMILIES } from '../src/data/style-world';

const arg = (name: string, def: string) => { const i = process.argv.indexOf(`--${name}`); return i >= 0 ? process.argv[i + 1]! : def; };
const layer = arg('layer', 'block1_relu1');
const decDir = arg('decoder', `models/style-world/decoder-${layer}`);
const perFamily = Number(arg('per-family', '30'));
const seed = Number(arg('seed', '1'));
await useNodeBackend('wasm');
const net = await loadLayersModelNetwork(await folderReader('models/style-world'), 'style-world', 'style-world');
const dec = await loadDecoder(await folderReader(decDir), decDir);
const s = split(net, layer);
const rows: Array<{ family: string; index: number; label: string; p: number; psnr: number; adv: string; advP: number }> = [];
const px = new Float32Array(IMAGE_SIZE * IMAGE_SIZE * 3);
for (const family of TRAIN_FAMILIES) {
  for (let index = 0; index < perFamily; index++) {
    const item = renderItem([family], seed, 'sample', index, px);
    // The UI sends RGBA bytes: round like it does.
    const x = tf.tidy(() => tf.div(tf.round(tf.mul(tf.tensor4d(px, [1, IMAGE_SIZE, IMAGE_SIZE, 3]), 255)), 255)) as tf.Tensor4D;
    const rec = tf.tidy(() => tf.clipByValue(forward(dec.net, s.encode(preprocess('unit', x))), 0, 1));
    const mse = tf.tidy(() => tf.mean(tf.square(tf.sub(tf.round(tf.mul(rec, 255)), tf.round(tf.mul(x, 255))))));
    const psnr = 10 * Math.log10((255 * 255) / (await mse.data())[0]!);
    const r = await attack({ split: s, preprocessing: 'unit' }, { images: x, mode: 'feature', decoder: null, settings: PAPER_DEFAULTS });
    tf.dispose([x, rec, mse]);
    const last = r.reports[r.reports.length - 1]!.probs;
    let best = 0;
    for (let k = 1; k < last.length; k++) if (last[k]! > last[best]!) best = k;
    rows.push({ family, index, label: SHAPES[item.label]!, p: r.cleanProbs[item.label]!, psnr, adv: SHAPES[best]!, advP: last[best]! });
  }
}
const good = rows.filter((r) => r.p > 0.9 && r.adv !== r.label).sort((a, b) => b.psnr - a.psnr);
console.log(`layer ${layer}; ${rows.length} candidates; correct (p > 0.9) and flipped by AdvBN (ε ${PAPER_DEFAULTS.eps}, τ ${PAPER_DEFAULTS.tau}, m ${PAPER_DEFAULTS.steps}): ${good.length}`);
console.log(`median PSNR of all candidates: ${rows.map((r) => r.psnr).sort((a, b) => a - b)[rows.length >> 1]!.toFixed(1)} dB`);
for (const r of good.slice(0, 15)) console.log(JSON.stringify({ styleWorld: { family: r.family, seed, index: r.index } }), r.label, r.p.toFixed(2), `${r.psnr.toFixed(1)} dB`, '→', r.adv, r.advP.toFixed(2));
