import type { Options } from '../args';
export async function perturbCommand(_o: Options): Promise<void> { throw new Error('not yet implemented'); }
