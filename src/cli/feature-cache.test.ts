import { test } from 'node:test';
import assert from 'node:assert/strict';
import { cpSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { featureKey } from './feature-cache';
import { writeDomainsFixture, writeTinyVggFolder } from '../testing/domains-fixture';

// Regression: the key hashed model.json only, so two models of one topology with other weights (a
// fine-tuned copy, a re-import) shared cached features.
test('feature-cache keys follow the weights\' bytes, not only model.json', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'advbn-feature-key-'));
  try {
    writeDomainsFixture(join(dir, 'data'), 1, { photo: ['flat'] });
    await writeTinyVggFolder(join(dir, 'a'));
    cpSync(join(dir, 'a'), join(dir, 'b'), { recursive: true });
    const key = (model: string) => featureKey(join(dir, model), 'block5_conv1', 32, join(dir, 'data'), ['photo']);
    assert.equal(key('a'), key('b'), 'the same bytes in another folder: the same key');
    const json = JSON.parse(readFileSync(join(dir, 'b', 'model.json'), 'utf8')) as { weightsManifest: Array<{ paths: string[] }> };
    const shard = join(dir, 'b', json.weightsManifest[0]!.paths[0]!);
    const bytes = readFileSync(shard);
    bytes[bytes.length - 1] ^= 1; // one bit of one weight
    writeFileSync(shard, bytes);
    assert.notEqual(key('a'), key('b'), 'other weights under the same model.json: another key');
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
