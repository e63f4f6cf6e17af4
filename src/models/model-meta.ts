/**
 * What a model folder says about itself, in model.json's `userDefinedMetadata.advbn` (written by
 * `advbn import` and the in-app import): how to feed it and whether it classifies or only encodes.
 * Folders without it (the shared VGG-19, older exports) are Keras VGG: Caffe preprocessing. No tfjs.
 */
import type { Preprocessing } from '../common/preprocessing';

export interface ModelMeta {
  role: 'classifier' | 'encoder';
  preprocessing: Preprocessing;
  inputSize: number;
  classes: number | null;
  defaultLayer?: string;
  /** Where the weights came from, e.g. "torchvision VGG (16 conv, 1000 classes) from vgg19-dcbb9e9d.pth". */
  source?: string;
}

const PRE = ['caffe', 'unit', 'torch', 'rgb01'];

/** Reads the metadata from model.json text; defaults for folders that have none. */
export function modelMeta(modelJsonText: string): ModelMeta {
  let j: { userDefinedMetadata?: { advbn?: Partial<ModelMeta> } } = {};
  try { j = JSON.parse(modelJsonText); } catch { /* the loader reports bad JSON */ }
  const m = j.userDefinedMetadata?.advbn ?? {};
  return {
    role: m.role === 'encoder' ? 'encoder' : 'classifier',
    preprocessing: PRE.includes(m.preprocessing as string) ? (m.preprocessing as Preprocessing) : 'caffe',
    inputSize: typeof m.inputSize === 'number' ? m.inputSize : 224,
    classes: typeof m.classes === 'number' ? m.classes : null,
    ...(typeof m.defaultLayer === 'string' ? { defaultLayer: m.defaultLayer } : {}),
    ...(typeof m.source === 'string' ? { source: m.source } : {}),
  };
}
