import { test } from 'node:test';
import assert from 'node:assert/strict';
import { meanSpread, shiftSummary } from './shift-summary';

const base = { className: 'cross', eps: 1.1, clean: 0.98, adversarial: 0.01, random: [0.9, 0.8, 0.7] };

test('the sentence follows the numbers: adversarial against uniform random δ (named as such), and the closest natural shift', () => {
  assert.equal(shiftSummary(base),
    "At ε 1.1, AdvBN's δ takes p(cross) from 98 % to 1 %; uniform random δ in [1 − ε, 1 + ε] gives 80 ± 10 % (3 draws): the adversarial direction moves it 5.4× as much as a uniform random δ (3.5–12× over the draws' mean ± sd).");
  assert.match(shiftSummary({ ...base, random: [0.98, 0.98] }), /moves it where the uniform random draws, spread around no change \(0 % ± 0 of p lost\), do not\.$/);
  assert.match(shiftSummary({ ...base, adversarial: 0.5, random: [0.45, 0.5] }), /one of the uniform random draws moves it as much as the adversarial δ \(up to 53 % of p lost against AdvBN's 48 %\)\.$/);
  assert.match(shiftSummary({ ...base, adversarial: 0.97, random: [0.98] }), /neither moves the prediction at this strength\.$/);
  const all = shiftSummary({ ...base, adain: { p: 0.3, alpha: 0.8 }, corruption: { p: 0.9, name: 'noise', severity: 3 } });
  assert.match(all, /AdaIN to the style image \(α 0\.8\) gives 30 %; noise at severity 3 gives 90 %: .*, and of the natural shifts the style transfer comes closest \(68 % of p lost against AdvBN's 97 %\)\.$/);
  assert.match(shiftSummary({ ...base, corruption: { p: 0, name: 'blur', severity: 5 } }), /, and the blur moves it as much as AdvBN\.$/);
  const s = meanSpread([1, 2, 3]);
  assert.deepEqual([s.mean, s.sd, s.min, s.max], [2, 1, 1, 3]);
});

// The cases below failed on the old sentence (checked before the fix): it said "random δ of the same size" of
// the uniform draws, gave a ratio whatever the draws' spread, and called a shift that raised p "closest".

test('no ratio when the random draws\' spread covers it', () => {
  // Drops 0, 0.88, 0.08, 0.48: mean 0.36 ± 0.40, so mean − sd < 0: the old sentence said "2.7× as much".
  const wide = shiftSummary({ ...base, adversarial: 0.2, random: [0.98, 0.1, 0.9, 0.5] });
  assert.doesNotMatch(wide, /×/);
  assert.match(wide, /one of the uniform random draws moves it as much as the adversarial δ \(up to 88 % of p lost against AdvBN's 78 %\)\.$/);
  const aroundZero = shiftSummary({ ...base, adversarial: 0.2, random: [0.98, 0.98, 0.3, 0.9] });
  assert.doesNotMatch(aroundZero, /×/);
  assert.match(aroundZero, /moves it where the uniform random draws, spread around no change \(19 % ± 33 of p lost\), do not\.$/);
  // Drops 0.38, 0.43, 0.08, 0.40: mean + sd reaches the adversarial drop 0.46.
  const spread = shiftSummary({ ...base, adversarial: 0.52, random: [0.6, 0.55, 0.9, 0.58] });
  assert.doesNotMatch(spread, /×/);
  assert.match(spread, /the adversarial direction moves it more on average, within the spread of the uniform random draws \(32 % ± 16 of p lost against 46 %\)\.$/);
  // One draw: no spread, so no ratio either.
  assert.match(shiftSummary({ ...base, random: [0.8] }), /more than the one draw of a uniform random δ \(one draw: no spread, no ratio\)\.$/);
});

test('a natural shift that raised p is said to have raised it, not to come closest', () => {
  const up = shiftSummary({ ...base, corruption: { p: 0.995, name: 'noise', severity: 1 } });
  assert.doesNotMatch(up, /closest/);
  assert.match(up, /, and no natural shift here lowers p; the noise raised p \(to 100 %\)\.$/);
  const mixed = shiftSummary({ ...base, adain: { p: 0.5, alpha: 1 }, corruption: { p: 0.995, name: 'noise', severity: 1 } });
  assert.match(mixed, /the style transfer comes closest \(48 % of p lost against AdvBN's 97 %\); the noise raised p \(to 100 %\)\.$/);
});

test('"random δ of the same size" is the magnitude-matched control; the uniform one is named for what it is', () => {
  const both = shiftSummary({ ...base, matched: [0.6, 0.5, 0.7], random: [0.9, 0.8, 0.7] });
  assert.match(both, /random δ of the same size \(AdvBN's sizes per channel, random direction\) gives 60 ± 10 % \(3 draws\); uniform random δ in \[1 − ε, 1 \+ ε\] gives 80 ± 10 % \(3 draws\)/);
  // The verdict uses the matched draws: drops 0.38, 0.48, 0.28 → 97 / 38 = 2.6×.
  assert.match(both, /: the adversarial direction moves it 2\.6× as much as a random δ of the same size \(2\.0–3\.5× over the draws' mean ± sd\)\.$/);
  assert.doesNotMatch(shiftSummary(base), /same size/);
});
