/**
 * The image files the project reads: JPEG and PNG, what the CLI's decoders read (jpeg-js, pngjs:
 * src/data/image-file.ts). The page reads the same set, so a folder gives the same images, and the same
 * test split, in the browser and in the CLI.
 */
export const IMAGE_EXTENSIONS = /\.(jpe?g|png)$/i;
