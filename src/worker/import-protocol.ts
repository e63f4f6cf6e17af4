/**
 * Messages of the in-app import (UI ↔ worker), without tfjs: the UI imports this module.
 * 'models.import' takes the dropped files, streams {@link ImportEvent}s, and answers with the entry it
 * kept in IndexedDB (or an error that says what was found and what was expected). Cancel aborts it and
 * nothing is kept.
 */
import type { RegistryEntry } from '../common/registry';

export interface ImportRequest {
  files: File[];
  /** Model id (letters, digits, '.', '_', '-'). */
  id: string;
  /** Served decoders trained on the Keras VGG-19 (copied into the import of a Keras VGG-19 .h5): base URL + layer → folder. */
  kerasDecoders?: { base: string; dirs: Record<string, string> };
}

export interface ImportEvent {
  kind: 'import-progress';
  file: string;
  /** Which file of how many. */
  index: number;
  count: number;
  phase: 'read' | 'convert' | 'store';
  bytes: number;
  totalBytes: number;
  layers?: number;
  totalLayers?: number;
}

export interface ImportResult {
  entry: RegistryEntry;
  /** IndexedDB key prefix of the kept files (a FileSource of kind 'idb'). */
  prefix: string;
  /** Layers whose decoder was kept with it. */
  decoders: string[];
  description: string;
  ms: number;
}

/** The files the import understands, for people (the drop zone and the "no VGG-19" panel say this). */
export const SUPPORTED_WEIGHT_FILES = [
  { file: 'vgg19_weights_tf_dim_ordering_tf_kernels.h5', what: 'Keras VGG-19 (keras.applications); the _notop variant imports as an encoder' },
  { file: 'vgg19-dcbb9e9d.pth', what: 'torchvision VGG-19 (torchvision.models.vgg19 weights)' },
  { file: 'vgg_normalised.pth + decoder.pth', what: 'the AdvBN authors\' autoencoder (AdaIN encoder to relu4_1 and their decoder), dropped together' },
] as const;

/** A model id from file names: "vgg19-dcbb9e9d.pth" → "vgg19-dcbb9e9d". */
export function importId(names: string[]): string {
  const base = names.map((n) => n.replace(/\.[^.]*$/, '')).sort().join('+');
  return (base.replace(/[^A-Za-z0-9._-]+/g, '_').slice(0, 60) || 'imported');
}
