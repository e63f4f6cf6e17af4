import { test } from 'node:test';
import assert from 'node:assert/strict';
import { DEFAULT_SETTINGS, linkProblems, normalizeSettings, parseSweepEps, pick, settingsFromParams, settingsToParams, sweepStrengths, useExplore, type ExploreSettings } from './explore-store';
import { readHash } from '../url-state';

test('settings survive a round trip through the URL', () => {
  const s: ExploreSettings = {
    model: 'vgg19', layer: 'block3_conv1', ae: 'adain', eps: 0.45, tau: 0.15, steps: 4, coupled: false,
    mode: 'image', label: 281, targeted: true, strengthSweep: 'grid', strengthSweepEps: '0,0.25,1.5', draws: 4,
    shifts: true, alpha: 0.35, corruption: 'blur', severity: 5,
  };
  const hash = `#/explore?${settingsToParams(s).toString()}`;
  const back = settingsFromParams(readHash(hash).params);
  assert.deepEqual(back, s);
});

test('defaults are left out of links, and an empty link gives the defaults', () => {
  assert.equal(settingsToParams({ ...DEFAULT_SETTINGS }).toString(), '');
  assert.deepEqual(settingsFromParams(new URLSearchParams('')), { ...DEFAULT_SETTINGS });
  assert.equal(settingsToParams({ ...DEFAULT_SETTINGS, steps: 3 }).toString(), 'steps=3');
});

test('bad values in a link fall back to defaults or are clamped, never NaN', () => {
  const s = settingsFromParams(new URLSearchParams('eps=NaN&tau=abc&steps=99&mode=bogus&label=-3&targeted=maybe'));
  assert.equal(s.eps, DEFAULT_SETTINGS.eps);
  assert.equal(s.tau, DEFAULT_SETTINGS.tau);
  assert.equal(s.steps, 20);
  assert.equal(s.mode, 'feature');
  assert.equal(s.label, -1);
  assert.equal(s.targeted, false);
  assert.equal(settingsFromParams(new URLSearchParams('eps=5')).eps, 2);
  assert.equal(settingsFromParams(new URLSearchParams('steps=2.6')).steps, 3);
});

test('the ablation coupling keeps ε = m·τ − 0.1', () => {
  const s = normalizeSettings({ ...DEFAULT_SETTINGS, coupled: true, steps: 3, tau: 0.2, eps: 0 });
  assert.equal(s.eps, 0.5);
  // Clamped to the slider's range.
  assert.equal(normalizeSettings({ ...DEFAULT_SETTINGS, coupled: true, steps: 20, tau: 1 }).eps, 2);
});

test('store: paper defaults, coupling follows m and τ, moving ε by hand ends the coupling', () => {
  const st = useExplore.getState();
  st.replace({ ...DEFAULT_SETTINGS, eps: 0.3, tau: 0.5, steps: 2 });
  useExplore.getState().paperDefaults();
  let s = pick(useExplore.getState());
  assert.deepEqual([s.eps, s.tau, s.steps], [1.1, 0.2, 6]);
  useExplore.getState().set({ coupled: true });
  useExplore.getState().set({ steps: 4 });
  s = pick(useExplore.getState());
  assert.equal(s.eps, 0.7);
  useExplore.getState().set({ eps: 1.5 });
  s = pick(useExplore.getState());
  assert.equal(s.coupled, false);
  assert.equal(s.eps, 1.5);
});

test('a link with NaN, out-of-range or unknown values: each is named, with what is used instead', () => {
  assert.deepEqual(linkProblems(new URLSearchParams('model=vgg19&eps=0.5&steps=3&label=7&mode=image&targeted=1&backend=wasm')), []);
  const p = linkProblems(new URLSearchParams('eps=NaN&tau=5&steps=2.5&label=abc&mode=pixels&targeted=maybe&backend=tpu'));
  assert.deepEqual(p, [
    'eps=NaN in the link is not a number; using 1.1.',
    'tau=5 in the link is outside 0.01–1; using 1.',
    'steps=2.5 in the link is not a step of the slider; using 3.',
    'label=abc in the link is not a class number; attacking the clean top-1.',
    'mode=pixels in the link is unknown (feature or image); using feature.',
    'targeted=maybe in the link is not 0 or 1; using 0.',
    'backend=tpu in the link is unknown (webgpu, webgl, wasm or cpu); choosing one automatically.',
  ]);
  assert.deepEqual(linkProblems(new URLSearchParams('steps=-4&eps=')), ['eps= in the link is not a number; using 1.1.', 'steps=-4 in the link is outside 0–20; using 0.']);
  // The coupled ε is computed, so a link's own ε is not a problem then.
  assert.deepEqual(linkProblems(new URLSearchParams('coupled=1&eps=0.3&steps=4&tau=0.35')), []);
});

test('the strength sweep in the link: kind, ε list and draws; bad values are named and replaced', () => {
  const s = settingsFromParams(new URLSearchParams('sweep=paper&draws=5'));
  assert.equal(s.strengthSweep, 'paper');
  assert.equal(settingsToParams(s).toString(), 'sweep=paper&draws=5');
  assert.deepEqual(sweepStrengths(s).map((x) => [x.eps, x.tau, x.steps]), [[0.1, 0.2, 1], [0.3, 0.2, 2], [0.5, 0.2, 3], [0.7, 0.2, 4], [0.9, 0.2, 5], [1.1, 0.2, 6], [1.3, 0.2, 7], [1.5, 0.2, 8]]);
  const g = settingsFromParams(new URLSearchParams('sweep=grid&sweepEps=0, 0.5,1&steps=3&tau=0.3'));
  assert.deepEqual(sweepStrengths(g), [{ eps: 0, tau: 0.3, steps: 3 }, { eps: 0.5, tau: 0.3, steps: 3 }, { eps: 1, tau: 0.3, steps: 3 }]);
  assert.equal(g.strengthSweepEps, '0,0.5,1');
  assert.deepEqual(sweepStrengths({ ...g, strengthSweep: '' }), []);
  const bad = new URLSearchParams('sweep=wide&sweepEps=0,abc&draws=99');
  const b = settingsFromParams(bad);
  assert.deepEqual([b.strengthSweep, b.strengthSweepEps, b.draws], ['', DEFAULT_SETTINGS.strengthSweepEps, 10]);
  assert.deepEqual(linkProblems(bad), [
    'sweep=wide in the link is unknown (paper or grid); no sweep.',
    'sweepEps=0,abc in the link is not a list of up to 12 ε from 0 to 2; using 0,0.3,0.5,0.7,0.9,1.1.',
    'draws=99 in the link is not a whole number from 0 to 10; using 10.',
  ]);
  assert.equal(parseSweepEps('0,2.5'), null, 'beyond the ε slider');
  assert.equal(parseSweepEps(Array(13).fill('0.1').join(',')), null, 'too many cells');
});

test('the shifts side by side in the link: open, α, corruption, severity; bad values are named and replaced', () => {
  const s = settingsFromParams(new URLSearchParams('shifts=1&alpha=0.5&corruption=jpeg&severity=4'));
  assert.deepEqual([s.shifts, s.alpha, s.corruption, s.severity], [true, 0.5, 'jpeg', 4]);
  assert.equal(settingsToParams(s).toString(), 'shifts=1&alpha=0.5&corruption=jpeg&severity=4');
  assert.equal(settingsToParams({ ...s, shifts: false, alpha: 1, corruption: 'noise', severity: 3 }).toString(), '', 'the defaults are left out');
  assert.deepEqual(linkProblems(new URLSearchParams('shifts=1&alpha=0.5&corruption=jpeg&severity=4')), []);
  const bad = new URLSearchParams('shifts=yes&alpha=0.33&corruption=fog&severity=9');
  const b = settingsFromParams(bad);
  assert.deepEqual([b.shifts, b.alpha, b.corruption, b.severity], [false, 0.35, 'noise', 5]);
  assert.deepEqual(linkProblems(bad), [
    'shifts=yes in the link is not 0 or 1; using 0.',
    'alpha=0.33 in the link is not a step of 0.05 from 0 to 1; using 0.35.',
    'severity=9 in the link is not a whole number from 1 to 5; using 5.',
    'corruption=fog in the link is unknown (noise, blur, contrast, brightness, jpeg, pixelate); using noise.',
  ]);
  assert.equal(settingsFromParams(new URLSearchParams('alpha=NaN')).alpha, 1);
  assert.equal(settingsFromParams(new URLSearchParams('alpha=-2')).alpha, 0);
});
