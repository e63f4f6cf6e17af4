/** Names of the style-world model (no tfjs: usable on the UI thread). */
/** The style world's images: IMAGE_SIZE px, one of NUM_CLASSES shapes. */
export const IMAGE_SIZE = 64;
export const SHAPES = ['circle', 'square', 'triangle', 'star', 'cross', 'ring', 'hexagon', 'diamond', 'arrow', 'crescent'] as const;
export type ShapeName = (typeof SHAPES)[number];
export const NUM_CLASSES = SHAPES.length;

export const STYLE_WORLD_MODEL_ID = 'style-world';
export const STYLE_WORLD_LABELS: readonly string[] = SHAPES;
/** AdvBN's default position: the output of block 2 (a ReLU, so f_adv is clamped at 0). */
export const STYLE_WORLD_DEFAULT_LAYER = 'block2_relu1';
/**
 * Where Algorithm 1 puts AdvBN by default on this model: after block 1, so that three of the four
 * blocks (and their BatchNorms) are fine-tuned. Measured better than block2_relu1 on the held-out
 * styles (see `advbn train`); early positions also helped most in the paper (Table 2).
 */
export const STYLE_WORLD_TRAIN_LAYER = 'block1_relu1';

