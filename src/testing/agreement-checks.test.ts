/** The agreement judgement itself (shared by the agreement tests and gpu-check) on made-up results. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { agreementProblems } from './agreement-checks';
import type { AgreementOutput, BackendResult } from './webgpu-agreement';

const step = (backend: string, over: Partial<Record<string, number[]>> = {}, top5 = [3, 1, 4, 0, 2]): BackendResult => ({
  backend, ranOn: backend, seconds: 1, top5,
  values: {
    cleanProbs: [0.1, 0.2, 0.05, 0.4, 0.25], loss: [0.9163, 1.5],
    deltaMu: Array.from({ length: 16 }, (_, i) => (i % 3 ? 1.2 : 0.8)), deltaSigma: Array.from({ length: 16 }, (_, i) => (i % 2 ? 1.2 : 0.8)),
    decoded: [0.5, 0.25, 1], ...over,
  },
});
const out = (gpu: BackendResult, name: AgreementOutput['case'] = 'style-image'): AgreementOutput => ({ case: name, adapter: 'test', results: [step('wasm'), gpu] });

test('equal results agree; a loss off by 1e-6 relative still agrees', () => {
  assert.deepEqual(agreementProblems(out(step('webgpu'))), []);
  assert.deepEqual(agreementProblems(out(step('webgpu', { loss: [0.9163, 1.5 * (1 + 1e-6)] }))), []);
});

test('δ flipped on 7 of 16 channels (WASM\'s old MaxPoolGrad), a loss off by 1e-3, another top-5 and a WebGPU half that fell back are each named', () => {
  const flipped = step('wasm').values.deltaMu!.map((v, i) => (i < 7 ? 2 - v : v));
  assert.match(agreementProblems(out(step('webgpu', { deltaMu: flipped }))).join('\n'), /δμ: 7 of 16 channels differ/);
  assert.match(agreementProblems(out(step('webgpu', { loss: [0.9163, 1.5015] }))).join('\n'), /loss at step 1/);
  assert.match(agreementProblems(out(step('webgpu', {}, [1, 3, 4, 0, 2]))).join('\n'), /clean top-5/);
  assert.match(agreementProblems(out(step('webgpu', { decoded: [0.5, 0.25, 0.9] }))).join('\n'), /decoded image/);
  assert.match(agreementProblems(out({ ...step('webgpu'), ranOn: 'cpu' })).join('\n'), /WebGPU half ran on cpu/);
});
