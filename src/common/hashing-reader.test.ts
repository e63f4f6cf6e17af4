import { test } from 'node:test';
import assert from 'node:assert/strict';
import { hashingReader } from './hashing-reader';

test('a hashing reader passes the bytes through and hashes what was read: other weight bytes, another digest', async () => {
  const folder = (weight: number) => {
    const files: Record<string, Uint8Array> = { 'model.json': new TextEncoder().encode('{"same":"topology"}'), 'group1-shard1of1.bin': new Uint8Array([1, 2, 3, weight]) };
    return hashingReader(async (name) => files[name]!.slice().buffer);
  };
  const digestOf = async (weight: number) => {
    const r = folder(weight);
    assert.equal(await r.digest(), '', 'nothing read yet');
    for (const name of ['model.json', 'group1-shard1of1.bin']) await r.read(name);
    return r.digest();
  };
  const a = folder(4);
  assert.deepEqual(Array.from(new Uint8Array(await a.read('group1-shard1of1.bin'))), [1, 2, 3, 4]);
  assert.match(await digestOf(4), /^[0-9a-f]{64}$/);
  assert.equal(await digestOf(4), await digestOf(4));
  assert.notEqual(await digestOf(5), await digestOf(4));
});
