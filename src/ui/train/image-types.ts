export const IMAGE_EXTENSIONS_RE = /\.(jpe?g|png|webp|gif|bmp)$/i;
