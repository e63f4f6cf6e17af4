/** Names and geometry of input preprocessing (no tfjs: the UI draws the crop with these). */
/**
 * 'caffe': Keras VGG preprocessing, RGB→BGR then minus the ImageNet BGR means, on a 0–255 scale.
 * 'unit': the RGB [0, 1] image minus 0.5 (the project's own small models).
 * 'torch': torchvision's normalisation, (RGB [0, 1] − mean) / std per channel (imported PyTorch models).
 * 'rgb01': the RGB [0, 1] image as is (AdaIN's vgg_normalised encoder, used by the AdvBN authors).
 */
export type Preprocessing = 'caffe' | 'unit' | 'torch' | 'rgb01';

export const PREPROCESSINGS: readonly Preprocessing[] = ['caffe', 'unit', 'torch', 'rgb01'];

/** The crop rectangle resizeCenterCrop takes, in source pixels (for drawing it over the photo). */
export function centerCropRect(h: number, w: number): { x: number; y: number; size: number } {
  const size = Math.min(h, w);
  return { x: Math.floor((w - size) / 2), y: Math.floor((h - size) / 2), size };
}
