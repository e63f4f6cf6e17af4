import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { bareEntry, entryLabels, initialLayer, joinPath, offeredLayers, parseRegistry, RegistryError } from './registry';

test('the committed models/index.json parses', () => {
  const text = readFileSync(new URL('../../models/index.json', import.meta.url), 'utf8');
  const entries = parseRegistry(text, 'models/index.json');
  const vgg = entries.find((e) => e.id === 'vgg19');
  assert.ok(vgg);
  assert.equal(vgg.preprocessing, 'caffe');
  assert.equal(vgg.inputSize, 224);
  assert.match(entryLabels(vgg, 1000)[0]!, /^tench/);
});

test('registry errors name the entry and the field', () => {
  assert.throws(() => parseRegistry('{', 'x'), RegistryError);
  assert.throws(() => parseRegistry('{"models":{}}', 'x'), /expected \{"models"/);
  assert.throws(() => parseRegistry('{"models":[{"id":"a","path":"a","preprocessing":"rgb","inputSize":32,"defaultLayer":"c"}]}', 'x'), /model "a".*preprocessing/);
  assert.throws(() => parseRegistry('{"models":[{"id":"a b","path":"a"}]}', 'x'), /"id"/);
  const two = '{"id":"a","path":"a","preprocessing":"unit","inputSize":32,"defaultLayer":"c"}';
  assert.throws(() => parseRegistry(`{"models":[${two},${two}]}`, 'x'), /twice/);
});

test('layers offered: those with a present decoder, plus the default', () => {
  const [e] = parseRegistry(JSON.stringify({ models: [{ id: 'm', path: 'm', preprocessing: 'unit', inputSize: 32, labels: ['a', 'b'], defaultLayer: 'c4', decoders: { c3: 'd3', c4: 'd4', c2: 'd2' } }] }), 'x');
  assert.deepEqual(offeredLayers(e!, ['c3']), ['c3', 'c4']);
  assert.equal(initialLayer(e!, ['c3']), 'c3');
  assert.equal(initialLayer(e!, ['c3', 'c4']), 'c4');
  assert.equal(initialLayer(e!, ['c3'], 'c4'), 'c4');
  assert.equal(initialLayer(e!, ['c3'], 'c2'), 'c3');
  assert.deepEqual(entryLabels(e!, 3), ['a', 'b', 'class 2']);
});

test('a bare model folder gets an entry from model.json', () => {
  const mj = JSON.stringify({ modelTopology: { model_config: { config: { layers: [
    { class_name: 'InputLayer', config: { name: 'in', batch_input_shape: [null, 32, 32, 3] } },
    { class_name: 'Conv2D', config: { name: 'c1' } }, { class_name: 'Conv2D', config: { name: 'c2' } },
  ] } } }, weightsManifest: [] });
  const e = bareEntry('my model', mj, {});
  assert.equal(e.id, 'my_model');
  assert.equal(e.inputSize, 32);
  assert.equal(e.preprocessing, 'unit');
  assert.equal(e.defaultLayer, 'c2');
  assert.equal(bareEntry('m', mj, { c1: 'dec' }).defaultLayer, 'c1');
  assert.throws(() => bareEntry('m', 'nope', {}), RegistryError);
});

test('joinPath', () => {
  assert.equal(joinPath('', 'model.json'), 'model.json');
  assert.equal(joinPath('a/', './b', 'c.bin'), 'a/b/c.bin');
});

test('samples: files and style-world items parse; a bad sample is an error that names the entry', () => {
  const [e] = parseRegistry(JSON.stringify({ models: [{ id: 'm', path: 'm', preprocessing: 'unit', inputSize: 64, defaultLayer: 'c', samples: [
    { file: 'photos/cat.jpg' }, { styleWorld: { family: 'flat', seed: 1, index: 12 } },
  ] }] }), 'x');
  assert.deepEqual(e!.samples, [{ kind: 'file', path: 'photos/cat.jpg' }, { kind: 'style-world', family: 'flat', seed: 1, index: 12 }]);
  const [none] = parseRegistry(JSON.stringify({ models: [{ id: 'n', path: 'n', preprocessing: 'unit', inputSize: 64, defaultLayer: 'c' }] }), 'x');
  assert.deepEqual(none!.samples, []);
  assert.throws(() => parseRegistry(JSON.stringify({ models: [{ id: 'b', path: 'b', preprocessing: 'unit', inputSize: 64, defaultLayer: 'c', samples: [{ styleWorld: { family: 'flat', index: -1 } }] }] }), 'x'),
    /model "b", sample 1: each sample must be/);
  assert.throws(() => parseRegistry(JSON.stringify({ models: [{ id: 'b', path: 'b', preprocessing: 'unit', inputSize: 64, defaultLayer: 'c', samples: 'cat.jpg' }] }), 'x'), /"samples" must be a list/);
});
