/**
 * The δ charts at the size of a real split (512 channels at block4_conv1): a fixed number of elements
 * whatever the channel count (they re-render at every PGD step on the page's main thread), and the bars
 * they draw are the channels' values.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createElement } from 'react';
import { renderToStaticMarkup } from 'react-dom/server';
import { DeltaChart } from './Charts';

const render = (values: Float32Array, eps = 0.5) => renderToStaticMarkup(createElement(DeltaChart, { title: 'δμ per channel', values, eps, testid: 'delta-mu' }));
const count = (html: string, tag: string) => html.split(`<${tag}`).length - 1;

test('the δ chart draws 512 channels with as many elements as 8: one path of bars above 1, one below', () => {
  const many = Float32Array.from({ length: 512 }, (_, i) => 0.5 + i / 511);
  const few = Float32Array.from({ length: 8 }, (_, i) => 0.5 + i / 7);
  const a = render(many), b = render(few);
  for (const tag of ['rect', 'path', 'line', 'text']) assert.equal(count(a, tag), count(b, tag), `<${tag}> elements: ${count(a, tag)} for 512 channels, ${count(b, tag)} for 8`);
  assert.equal(count(a, 'path'), 2);
});

test('each channel is one bar on its side of 1, and the caption gives min, mean and max', () => {
  const v = Float32Array.from([1.5, 0.5, 1.2, 0.9, 1.0]);
  const html = render(v);
  const d = (cls: string) => new RegExp(`<path d="([^"]*)" class="${cls}"`).exec(html)![1]!;
  assert.equal(d('bar up').split('M').length - 1, 3, 'three values ≥ 1');
  assert.equal(d('bar down').split('M').length - 1, 2, 'two values < 1');
  assert.match(html, /min 0\.50 · mean 1\.02 · max 1\.50/);
  assert.match(html, /data-values="1\.5 0\.5 1\.2/);
});
