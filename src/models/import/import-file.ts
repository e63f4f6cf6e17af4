/**
 * One entry point for every supported file: detects the format from the first bytes and returns the
 * imported network or decoder. Keras .h5 → classifier (or encoder, `_notop`); PyTorch .pth →
 * torchvision VGG, AdaIN's vgg_normalised encoder, or the AdaIN/AdvBN decoder.
 */
import { fromKerasH5, fromTorchStateDict, type Imported } from './convert';
import { isHdf5, readKerasH5 } from './keras-h5';
import { isTorchFile, readTorchStateDict } from './torch-file';
import { ImportError, checkAborted, type ByteSource, type ImportOptions } from './source';

export const SUPPORTED_FILES = [
  'vgg19_weights_tf_dim_ordering_tf_kernels.h5 (Keras VGG-19; the _notop variant as an encoder)',
  'vgg19-dcbb9e9d.pth (torchvision VGG-19)',
  'vgg_normalised.pth + decoder.pth (the AdvBN authors\' AdaIN encoder and decoder)',
];

export async function importFile(src: ByteSource, opts: ImportOptions = {}, name?: string): Promise<Imported> {
  if (src.size < 8) throw new ImportError(`${src.name} has ${src.size} bytes: too short for any weights file. Expected one of: ${SUPPORTED_FILES.join('; ')}.`);
  const head = await src.read(0, 8);
  let result: Imported;
  if (isHdf5(head)) {
    const layers = await readKerasH5(src, opts);
    checkAborted(opts.signal);
    result = fromKerasH5(layers, src.name, name);
  } else if (isTorchFile(head)) {
    const sd = await readTorchStateDict(src, opts);
    checkAborted(opts.signal);
    opts.onProgress?.({ file: src.name, phase: 'convert', bytes: src.size, totalBytes: src.size });
    result = fromTorchStateDict(sd, src.name, name);
  } else {
    throw new ImportError(`${src.name} is neither HDF5 (Keras .h5) nor a PyTorch checkpoint (.pth). Expected one of: ${SUPPORTED_FILES.join('; ')}.`);
  }
  const layers = result.kind === 'decoder' ? result.decoder.net.layers.length : result.net.layers.length;
  opts.onProgress?.({ file: src.name, phase: 'convert', bytes: src.size, totalBytes: src.size, layers, totalLayers: layers });
  return result;
}
