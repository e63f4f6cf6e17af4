/** The committed style-world model and its block1_relu1 decoder, loaded from models/ (for fast tests on a real model). */
import { loadDecoderFolder, loadModelFolder } from '../cli/vgg';
import { split, type Network } from '../models/network';
import type { Classifier } from '../core/attack';

export const STYLE_WORLD_DIR = new URL('../../models/style-world/', import.meta.url).pathname;

export async function loadStyleWorldClassifier(layer = 'block1_relu1'): Promise<{ c: Classifier; decoder: Network }> {
  const { net, meta } = await loadModelFolder(STYLE_WORLD_DIR);
  const decoder = (await loadDecoderFolder(STYLE_WORLD_DIR + 'decoder-block1_relu1')).net;
  return { c: { split: split(net, layer), preprocessing: meta.preprocessing }, decoder };
}
