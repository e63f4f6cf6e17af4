import type { Options } from '../args';
export async function evalDecoderCommand(_o: Options): Promise<void> { throw new Error('not yet implemented'); }
