/** Weights from a URL: absolute paths in models/index.json, and errors that explain a 404 or a CORS refusal. */
import { test, afterEach } from 'node:test';
import assert from 'node:assert/strict';
import { fetchProblem, fileUrl, probeServedModels } from './registry';

const realFetch = globalThis.fetch;
afterEach(() => { globalThis.fetch = realFetch; });

test('fileUrl: registry-relative folders under the base, absolute URLs as they are', () => {
  assert.equal(fileUrl('https://app.example/studio/models/', 'vgg19', 'model.json'), 'https://app.example/studio/models/vgg19/model.json');
  assert.equal(fileUrl('https://app.example/models/', 'https://cdn.example/w/vgg19', 'model.json'), 'https://cdn.example/w/vgg19/model.json');
  assert.equal(fileUrl('https://app.example/models/', 'https://cdn.example/w/vgg19/', 'group1-shard1of9.bin'), 'https://cdn.example/w/vgg19/group1-shard1of9.bin');
});

test('an entry with an absolute URL is probed there; a 404 and a refused fetch are told apart', async () => {
  const index = { models: [
    { id: 'here', path: 'https://cdn.example/ok/', preprocessing: 'caffe', inputSize: 224, defaultLayer: 'block4_conv1', decoders: { block4_conv1: 'https://cdn.example/ok/dec' } },
    { id: 'gone', path: 'https://cdn.example/missing', preprocessing: 'torch', inputSize: 224, defaultLayer: 'block4_conv1' },
    { id: 'cors', path: 'https://other.example/vgg19', preprocessing: 'torch', inputSize: 224, defaultLayer: 'block4_conv1' },
  ] };
  const asked: string[] = [];
  globalThis.fetch = (async (input: string | URL) => {
    const url = String(input);
    asked.push(url);
    if (url === 'https://app.example/models/index.json') return new Response(JSON.stringify(index));
    if (url === 'https://cdn.example/ok/model.json') return new Response('{"modelTopology":{}}');
    if (url === 'https://cdn.example/ok/dec/decoder.json') return new Response('{"layer":"block4_conv1"}');
    if (url.startsWith('https://other.example/')) throw new TypeError('Failed to fetch');
    return new Response('not here', { status: 404 });
  }) as typeof fetch;
  const { models, error } = await probeServedModels('https://app.example/models/');
  assert.equal(error, null);
  const [here, gone, cors] = models;
  assert.equal(here!.present, true);
  assert.deepEqual(here!.decoders, ['block4_conv1']);
  assert.equal(here!.origin, 'cdn.example');
  assert.ok(asked.includes('https://cdn.example/ok/model.json'));
  assert.equal(gone!.present, false);
  assert.match(gone!.problem!, /https:\/\/cdn\.example\/missing\/model\.json was not found \(HTTP 404\)/);
  assert.equal(cors!.present, false);
  assert.match(cors!.problem!, /could not be fetched \(Failed to fetch\)/);
});

test('fetchProblem names CORS for another origin, not for the page\'s own', () => {
  assert.match(fetchProblem('https://cdn.example/a.bin', new TypeError('Failed to fetch'), 'https://app.example'), /Access-Control-Allow-Origin: https:\/\/app\.example/);
  assert.doesNotMatch(fetchProblem('https://app.example/models/a.bin', new TypeError('Failed to fetch'), 'https://app.example'), /CORS/);
  assert.match(fetchProblem('https://x/a', 403), /not public \(HTTP 403\)/);
});
