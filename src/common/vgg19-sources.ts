/**
 * Where VGG-19's ImageNet weights are published, and what each publisher itself checks when its own
 * library downloads them. Used by `advbn get vgg19` and by the pages that say where to get VGG-19.
 * No tfjs here (the UI reads it).
 *
 * Neither publisher states a full SHA-256 anywhere we could find: Keras's `get_file` checks the md5
 * below (keras.applications.vgg19, `file_hash=`), and torch.hub's `load_state_dict_from_url(check_hash=True)`
 * checks that the file's SHA-256 starts with the hex in its name (`vgg19-dcbb9e9d.pth` → "dcbb9e9d").
 * So that is what is checked by default; `--sha256 HEX` checks a full hash you have.
 */
export type VggSourceId = 'keras' | 'torchvision';

export interface PublishedCheck {
  /** 'md5': the whole md5 (Keras); 'sha256-prefix': the start of the SHA-256 (torch.hub). */
  kind: 'md5' | 'sha256-prefix';
  hex: string;
}

export interface VggSource {
  id: VggSourceId;
  /** What it is, for people. */
  what: string;
  url: string;
  /** The file name the publisher uses (what `advbn import` and the page's import expect). */
  file: string;
  check: PublishedCheck;
  /** Approximate size for people ("548 MB"). */
  size: string;
  /** The model folder (under models/) and registry id `advbn get` writes. */
  folder: string;
  name: string;
}

export const VGG19_SOURCES: Record<VggSourceId, VggSource> = {
  keras: {
    id: 'keras', what: 'Keras VGG-19 (keras.applications.VGG19; the project\'s VGG-19 decoders were trained on it)',
    url: 'https://storage.googleapis.com/tensorflow/keras-applications/vgg19/vgg19_weights_tf_dim_ordering_tf_kernels.h5',
    file: 'vgg19_weights_tf_dim_ordering_tf_kernels.h5', check: { kind: 'md5', hex: 'cbe5617147190e668d6c5d5026f83318' },
    size: '548 MB', folder: 'vgg19-keras', name: 'VGG-19 (ImageNet, Keras weights)',
  },
  torchvision: {
    id: 'torchvision', what: 'torchvision VGG-19 (torchvision.models.vgg19, IMAGENET1K_V1)',
    url: 'https://download.pytorch.org/models/vgg19-dcbb9e9d.pth',
    file: 'vgg19-dcbb9e9d.pth', check: { kind: 'sha256-prefix', hex: 'dcbb9e9d' },
    size: '548 MB', folder: 'vgg19-torchvision', name: 'VGG-19 (ImageNet, torchvision weights)',
  },
};

/** "the md5 Keras checks (cbe5…)" / "the SHA-256 prefix torch.hub checks (dcbb9e9d)". */
export function describeCheck(c: PublishedCheck): string {
  return c.kind === 'md5' ? `md5 ${c.hex} (what Keras checks)` : `SHA-256 starting with ${c.hex} (what torch.hub checks)`;
}

/** Null when the file passes `check`, else why not (an md5 check needs `md5`: browsers cannot compute one). */
export function checkProblem(h: { md5?: string; sha256: string }, check: PublishedCheck | { kind: 'sha256'; hex: string }, file: string): string | null {
  const hex = check.hex.toLowerCase();
  if (check.kind === 'md5') return h.md5 === hex ? null : `${file} has md5 ${h.md5}, expected ${hex} (what Keras checks): not the published file`;
  if (check.kind === 'sha256-prefix') return h.sha256.startsWith(hex) ? null : `${file} has SHA-256 ${h.sha256}, which does not start with ${hex} (what torch.hub checks): not the published file`;
  return h.sha256 === hex ? null : `${file} has SHA-256 ${h.sha256}, expected ${hex} (--sha256): not the file you meant`;
}
