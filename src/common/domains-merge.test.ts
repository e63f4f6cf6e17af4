import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mergeDomainRuns, type DomainRunJson } from './domains-merge';

const settings = { data: 'pacs', source: 'photo', targets: ['sketch'], layer: 'block5_conv1', size: 80, epochs: 1, batchSize: 32, steps: 3, lr: 1e-4, optimizer: 'adam', pgd: { eps: 0.5 }, testSize: 4 };
const labels = { 'source-val': [0, 1], sketch: [0, 1, 1, 0] };
const run = (seed: number, plainSketch: number[], advSketch: number[]): DomainRunJson => ({
  sets: ['source-val', 'sketch'], labels, settings: { ...settings, seeds: [seed] },
  predictions: {
    plain: { [seed]: { clean: { 'source-val': [0, 1], sketch: plainSketch }, aux: null } },
    advbn: { [seed]: { clean: { 'source-val': [0, 0], sketch: [1, 1, 1, 1] }, aux: { 'source-val': [1, 1], sketch: advSketch } } },
  },
});

test('runs split by seed join into one summary: accuracies from the predictions, the rule branch, the bootstrap', () => {
  const { summary, armNames } = mergeDomainRuns([run(2, [0, 0, 0, 0], [0, 1, 1, 0]), run(1, [0, 1, 1, 1], [0, 1, 1, 0])]);
  assert.deepEqual(armNames, ['plain', 'advbn']);
  assert.deepEqual(summary.seeds, [1, 2]);
  assert.deepEqual(summary.arms.plain!.sketch!.seeds, [75, 50]);
  // The rule: clean BNs on source-val (50 %), auxiliary BNs on the target (100 %).
  assert.deepEqual(summary.arms.advbn!['source-val']!.seeds, [50, 50]);
  assert.deepEqual(summary.arms.advbn!.sketch!.seeds, [100, 100]);
  assert.deepEqual(summary.meanTargetDelta.advbn!.seeds, [25, 50]);
  assert.equal(summary.bootstrap!.vsPlain.advbn!.meanTarget!.delta, 37.5);
  // The same arm and seed twice (plain beside each group of a split run) is kept once when it agrees, refused when not.
  assert.deepEqual(mergeDomainRuns([run(1, [0, 0, 0, 0], [0, 0, 0, 0]), run(1, [0, 0, 0, 0], [0, 0, 0, 0])]).summary.seeds, [1]);
  assert.throws(() => mergeDomainRuns([run(1, [0, 0, 0, 0], [0, 0, 0, 0]), run(1, [1, 0, 0, 0], [0, 0, 0, 0])]), /Arm plain, seed 1 is in more than one run, with different predictions/);
  assert.throws(() => mergeDomainRuns([run(1, [0, 0, 0, 0], [0, 0, 0, 0]), { ...run(2, [0, 0, 0, 0], [0, 0, 0, 0]), settings: { ...settings, seeds: [2], size: 96 } }]), /The runs differ in size: 80 vs 96/);
});
