/** Node-side model loading: a folder on disk as a ReadFile. */
import { readFile, stat } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { ModelFormatError, type ReadFile } from './layers-format';

export async function folderReader(dir: string): Promise<ReadFile> {
  const abs = resolve(dir);
  const s = await stat(abs).catch(() => null);
  if (!s || !s.isDirectory()) {
    throw new ModelFormatError(`Model folder ${abs} does not exist. Expected a folder with model.json and its weight shards (TensorFlow.js layers format), e.g. ../shared/models/vgg19-imagenet-tfjs.`);
  }
  return async (name) => {
    const buf = await readFile(join(abs, name));
    return buf.buffer.slice(buf.byteOffset, buf.byteOffset + buf.byteLength) as ArrayBuffer;
  };
}
