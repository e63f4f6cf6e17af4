import { test } from 'node:test';
import assert from 'node:assert/strict';
import { meanSpread, shiftSummary } from './shift-summary';

test('the sentence follows the numbers: adversarial against random, and the closest natural shift', () => {
  const base = { className: 'cross', eps: 1.1, clean: 0.98, adversarial: 0.01, random: [0.9, 0.8, 0.7] };
  assert.equal(shiftSummary(base),
    "At ε 1.1, AdvBN's δ takes p(cross) from 98 % to 1 %; random δ of the same size gives 80 ± 10 % (3 draws): the adversarial direction moves it 5.4× as much as a random one.");
  assert.match(shiftSummary({ ...base, random: [0.98, 0.98] }), /moves it where a random one does not\.$/);
  assert.match(shiftSummary({ ...base, adversarial: 0.5, random: [0.45, 0.5] }), /here a random δ moves it as much as the adversarial one\.$/);
  assert.match(shiftSummary({ ...base, adversarial: 0.97, random: [0.98] }), /neither moves the prediction at this strength\.$/);
  const all = shiftSummary({ ...base, adain: { p: 0.3, alpha: 0.8 }, corruption: { p: 0.9, name: 'noise', severity: 3 } });
  assert.match(all, /AdaIN to the style image \(α 0\.8\) gives 30 %; noise at severity 3 gives 90 %: .*, and of the natural shifts the style transfer comes closest \(68 % of p lost against AdvBN's 97 %\)\.$/);
  assert.match(shiftSummary({ ...base, corruption: { p: 0, name: 'blur', severity: 5 } }), /, and the blur moves it as much as AdvBN\.$/);
  const s = meanSpread([1, 2, 3]);
  assert.deepEqual([s.mean, s.sd, s.min, s.max], [2, 1, 1, 3]);
});
