/**
 * advbn train --data DIR --source photo [--compare] [--seeds 3] [--json] …
 *   Algorithm 1 on a domains folder (DIR/<domain>/<class>/<image>, e.g. PACS): VGG-19 split at --layer,
 *   its features cached once per image, VGG-19's own layers after the split fine-tuned with inserted
 *   (and auxiliary) BNs and a new linear layer; plain, AdvBN and its controls (random-uniform,
 *   random-matched, mixstyle, dsu; --arms picks) from the same base with the same batches, for every seed;
 *   accuracy on source-val, every other domain and --extra-test folders, with a paired bootstrap of each Δ.
 * --sweep-m 0,1,2,3,6: the paper's strength ablation instead (τ 0.2, ε = m·τ − 0.1; m 0 = plain).
 */
import { existsSync, statSync } from 'node:fs';
import { basename, dirname, join, resolve } from 'node:path';
import * as tf from '@tensorflow/tfjs';
import { Options, UsageError } from '../args';
import { DEFAULT_MODEL_DIR, loadDecoderFolder, loadVgg, progress } from '../vgg';
import { defaultCacheDir, featureKey, folderFeatureStore } from '../feature-cache';
import { contentOverlap } from '../data-overlap';
import { writeDomainPictures, type PictureBatch } from '../domains-pictures';
import { cachedFeatures, encodeImages, featureBatch, type FeatureSet } from '../../core/domains-features';
import { compareOnDomains, domainArms, DOMAIN_ARMS, mSweepArms, type DomainArm, type DomainArmName, type DomainCompareResult } from '../../core/domains-compare';
import { cleanHead, DEFAULT_TRAIN_SETTINGS, pgdHead, type AdvbnTrainSettings } from '../../core/advbn-training';
import { previewAdvbnBatch, spreadIndices } from '../../core/batch-preview';
import type { Decoder } from '../../models/decoder';
import { ablationEps, validatePgdSettings } from '../../core/pgd';
import { checkSameClasses, domainSetSpecs, type DomainSetSpec, type DomainsLayout } from '../../common/domains';
import { listDomainsFolder, loadDomainImage } from '../../data/domains-folder';
import { domainMarkdown, domainVerdicts, summarizeDomains, type SetKind } from '../../common/domains-summary';
import { disposeNetwork, layerIndex } from '../../models/network';
import { DOMAIN_DEFAULTS, GPU_PRESET } from '../../common/train-settings';

export { DOMAIN_DEFAULTS, GPU_PRESET };

const log = (quiet: boolean, msg: string) => { if (!quiet) process.stderr.write(msg + '\n'); };
const parseList = (s: string, name: string) => s.split(',').map((x) => {
  const v = Number(x.trim());
  if (x.trim() === '' || !Number.isInteger(v) || v < 0) throw new UsageError(`--${name} takes whole numbers ≥ 0 separated by commas, got "${s}".`);
  return v;
});

interface SetSpec extends DomainSetSpec { root: string }

export async function trainDomainsCommand(o: Options, data: string): Promise<void> {
  const preset = o.optionalString('preset');
  if (preset !== undefined && preset !== 'gpu') throw new UsageError(`--preset must be gpu, got "${preset}".`);
  const p = preset === 'gpu' ? { ...DOMAIN_DEFAULTS, ...GPU_PRESET } : DOMAIN_DEFAULTS;
  const source = o.string('source', 'photo');
  const extras = o.strings('extra-test');
  const modelDir = o.string('model', DEFAULT_MODEL_DIR);
  const layer = o.string('layer', p.layer);
  const size = o.integer('size', p.size);
  const epochs = o.number('epochs', p.epochs);
  const batchSize = o.integer('batch', p.batch);
  const lr = o.number('lr', p.lr);
  const optimizer = o.string('optimizer', p.optimizer);
  if (optimizer !== 'adam' && optimizer !== 'sgd') throw new UsageError(`--optimizer must be adam or sgd, got "${optimizer}".`);
  const pgd = { eps: o.number('eps', p.pgd.eps), tau: o.number('tau', p.pgd.tau), steps: o.integer('pgd-steps', p.pgd.steps) };
  const seed = o.integer('seed', 1);
  const seedCount = o.integer('seeds', 3);
  const testSize = o.integer('test-size', p.testSize);
  const armList = o.string('arms', DOMAIN_ARMS.join(',')).split(',').map((s) => s.trim());
  const sweep = o.optionalString('sweep-m');
  const cacheOn = o.flag('cache', true);
  const cacheDir = o.string('cache-dir', defaultCacheDir());
  const json = o.flag('json');
  const quiet = json || o.flag('quiet');
  const divergence = o.flag('divergence', true);
  const pictures = o.optionalString('pictures');
  const decoderOpt = o.optionalString('decoder');
  o.flag('compare'); // the domains mode always compares its arms; accepted for the issue's command line
  o.done();
  if (seedCount < 1) throw new UsageError(`--seeds must be at least 1, got ${seedCount}.`);
  if (size < 32) throw new UsageError(`--size must be at least 32 px, got ${size}.`);
  for (const a of armList) if (!(DOMAIN_ARMS as readonly string[]).includes(a)) throw new UsageError(`--arms takes ${DOMAIN_ARMS.join(', ')}; got "${a}".`);
  if (armList[0] !== 'plain') throw new UsageError('--arms must start with plain (every Δ is against it).');

  const base: AdvbnTrainSettings = { ...DEFAULT_TRAIN_SETTINGS, advbn: false, lr, optimizer, pgd, weightDecay: optimizer === 'sgd' ? DEFAULT_TRAIN_SETTINGS.weightDecay : 0 };
  let sweepM: number[] | null = null;
  if (sweep !== undefined) {
    sweepM = parseList(sweep, 'sweep-m');
    if (sweepM[0] !== 0) throw new UsageError('--sweep-m must start with 0 (plain fine-tuning, the reference of every Δ).');
  }
  const arms: DomainArm[] = sweepM ? mSweepArms(sweepM, base) : domainArms(armList as DomainArmName[], base);
  for (const a of arms) if (a.settings.advbn) validatePgdSettings(a.settings.pgd);

  const t0 = performance.now();
  const root = resolve(data);
  if (!statSync(root, { throwIfNoEntry: false })?.isDirectory()) {
    throw new UsageError(`--data must be style-world or a domains folder (DIR/<domain>/<class>/<image>); ${data} is not a folder.`);
  }
  const layout = listDomainsFolder(root);
  if (!layout.domains.includes(source)) throw new UsageError(`--source ${source} is not a domain of ${data}; its domains: ${layout.domains.join(', ')}.`);
  const sourceFiles = { root, paths: layout.items[source]!.map((i) => i.path) };
  const extraLayouts: Array<[string, DomainsLayout]> = extras.map((d) => {
    const l = listDomainsFolder(resolve(d));
    checkSameClasses(layout, l, d);
    // A target that holds training images would inflate every number: refuse it.
    const overlap = contentOverlap(sourceFiles, { root: resolve(d), paths: l.domains.flatMap((dom) => l.items[dom]!.map((i) => i.path)) });
    if (overlap.length) {
      const shown = overlap.slice(0, 3).map(([t, s]) => `${t} = ${s}`).join('; ');
      throw new UsageError(`--extra-test ${d}: ${overlap.length} image${overlap.length === 1 ? ' is' : 's are'} byte for byte a training image of ${data} (${shown}${overlap.length > 3 ? '; …' : ''}); test images must not be training images.`);
    }
    return [resolve(d), l];
  });
  const targets = layout.domains.filter((d) => d !== source);
  const roots = [root, ...extraLayouts.map(([r]) => r)];
  const specs: SetSpec[] = domainSetSpecs(layout, source, testSize, extraLayouts.map(([, l]) => l)).map((s) => ({ ...s, root: roots[s.folder]! }));

  // The decoder of the AdvBN batch picture: --decoder, else the project's models/decoder-<layer> (as advbn
  // bench finds it), else one beside the model folder.
  const decoderDir = decoderOpt ?? [resolve('models', `decoder-${layer}`), join(dirname(resolve(modelDir)), `decoder-${layer}`)]
    .find((d) => existsSync(join(d, 'decoder.json'))) ?? resolve('models', `decoder-${layer}`);
  let decoder: Decoder | null = null;
  if (pictures && (decoderOpt !== undefined || existsSync(join(decoderDir, 'decoder.json')))) {
    decoder = await loadDecoderFolder(decoderDir);
    if (decoder.manifest.layer !== layer) {
      disposeNetwork(decoder.net);
      throw new UsageError(`--decoder ${decoderDir} decodes ${decoder.manifest.layer}, not the split layer ${layer}.`);
    }
  }
  const vgg = await loadVgg(modelDir);
  let batchPicture: PictureBatch | undefined;
  try {
    layerIndex(vgg, layer);
    const store = cacheOn ? folderFeatureStore(cacheDir) : null;
    const sets: FeatureSet[] = [];
    const tEnc = performance.now();
    let computed = 0;
    for (const s of specs) {
      const key = featureKey(modelDir, layer, size, s.root, s.items.map((i) => i.path));
      const r = await cachedFeatures(store, key, () => {
        log(quiet, `features at ${layer} of ${s.name} (${s.items.length} images, ${size} px)…`);
        computed += s.items.length;
        return encodeImages(vgg, layer, 'caffe', s.items.length, (i) => loadDomainImage(s.root, s.items[i]!, size), {
          onProgress: quiet ? undefined : (d, t) => progress(d, t, s.name),
        });
      });
      if (r.cached) log(quiet, `features of ${s.name}: from the cache`);
      sets.push({ name: s.name, kind: s.kind, features: r.features, shape: r.shape, labels: s.items.map((i) => i.label), paths: s.items.map((i) => i.path) });
    }
    const encodeSeconds = (performance.now() - tEnc) / 1000;
    const seeds = Array.from({ length: seedCount }, (_, i) => seed + i);
    const train = sets[0]!, evalSets = sets.slice(1);
    log(quiet, `training ${arms.map((a) => a.name).join(', ')} × seeds ${seeds.join(', ')}: ${train.labels.length} source images, ${epochs} epochs of batches of ${batchSize}`);
    const tTrain = performance.now();
    const preds = new Map<string, { plain?: Int32Array; advbn?: Int32Array }>();
    const result: DomainCompareResult = await compareOnDomains({
      vgg, layer, classes: layout.classes.length, train, sets: evalSets, arms, seeds, epochs, batchSize, divergence,
      onStep: (sd, arm, r, total) => { if (r.step % 10 === 0 || r.step === total - 1) log(quiet, `seed ${sd} ${arm.padEnd(6)} step ${r.step + 1}/${total} clean ${r.cleanLoss.toFixed(3)} (${(r.cleanAcc * 100).toFixed(0)}%)${r.advLoss !== null ? ` adv ${r.advLoss.toFixed(3)} (${(r.advAcc! * 100).toFixed(0)}%)` : ''} ${r.ms.toFixed(0)} ms`); },
      onPhase: (ph, sd, arm) => { if (ph === 'evaluating') log(quiet, `seed ${sd}: evaluating ${arm}…`); },
      onPredictions: (sd, arm, set, clean, aux) => {
        if (!pictures || sd !== seeds[0] || set.kind === 'source-val' || (arm !== 'plain' && arm !== 'advbn')) return;
        const p = preds.get(set.name) ?? {};
        p[arm] = arm === 'advbn' ? (aux ?? clean) : clean;
        preds.set(set.name, p);
      },
      onTrained: async (sd, arm, trainer) => {
        if (!decoder || sd !== seeds[0] || arm !== 'advbn') return;
        const idx = spreadIndices(train.labels.length);
        const f = featureBatch(train, idx);
        try {
          const preview = await previewAdvbnBatch(f, trainer.relu, pgdHead(trainer), idx.map((i) => train.labels[i]!), trainer.settings.pgd, decoder.net, cleanHead(trainer));
          batchPicture = { root: specs[0]!.root, items: idx.map((i) => specs[0]!.items[i]!), preview };
        } finally {
          f.dispose();
        }
      },
    });
    const trainSeconds = (performance.now() - tTrain) / 1000;
    if (pictures) {
      const pics = specs.filter((sp) => preds.get(sp.name)?.plain && preds.get(sp.name)?.advbn)
        .map((sp) => ({ name: sp.name, root: sp.root, items: sp.items, plain: preds.get(sp.name)!.plain!, advbn: preds.get(sp.name)!.advbn! }));
      for (const f of writeDomainPictures(pictures, pics, layout.classes, size, 24, batchPicture)) log(quiet, `wrote ${f}`);
      if (!decoder) log(quiet, `no decoder at ${decoderDir}: no picture of AdvBN on a training batch (--decoder DIR names one for ${layer})`);
    }
    const setKinds = evalSets.map((s) => ({ name: s.name, kind: s.kind as SetKind, labels: s.labels }));
    const summary = summarizeDomains(setKinds, result.runs, arms.map((a) => a.name));
    const settings = {
      data: basename(root), source, targets, extras: extraLayouts.map(([r]) => basename(r)), classes: layout.classes, model: basename(modelDir),
      layer, size, epochs, batchSize, steps: result.steps, stepsPerEpoch: result.stepsPerEpoch, lr, optimizer, pgd,
      arms: Object.fromEntries(arms.map((a) => [a.name, a.settings.advbn ? { perturbation: a.settings.perturbation ?? 'adversarial', pgd: a.settings.pgd } : a.settings.augment ?? 'plain'])),
      seeds, testSize, sizes: Object.fromEntries(sets.map((s) => [s.name, s.labels.length])), backend: tf.getBackend(),
      branchRule: 'advbn, random-uniform, random-matched: clean BNs on source-val, auxiliary BNs on target and extra sets; *-clean-bn / *-aux-bn: one branch everywhere; plain, mixstyle, dsu: their only BNs',
    };
    const perArm = (name: string) => result.runs.filter((r) => r.arm === name);
    const timing = Object.fromEntries(arms.map((a) => {
      const runs = perArm(a.name);
      const epochS = runs.flatMap((r) => r.epochSeconds);
      // Three significant digits, not one decimal: a short epoch (a small set on a fast machine) is not 0 s.
      const sig = (v: number) => +v.toPrecision(3);
      return [a.name, { trainSeconds: runs.map((r) => sig(r.trainSeconds)), secondsPerEpoch: sig(epochS.reduce((x, y) => x + y, 0) / Math.max(1, epochS.length)) }];
    }));
    const verdicts = sweepM ? [] : domainVerdicts(summary);
    const sweepOut = sweepM ? {
      m: sweepM, eps: sweepM.map((m) => (m === 0 ? 0 : ablationEps(m, 0.2))),
      sets: Object.fromEntries([...summary.sets, 'mean target'].map((s) => [s, {
        mean: arms.map((a) => (s === 'mean target' ? summary.meanTarget[a.name]?.mean : summary.arms[a.name]![s]!.mean) ?? NaN),
        std: arms.map((a) => (s === 'mean target' ? summary.meanTarget[a.name]?.std : summary.arms[a.name]![s]!.std) ?? NaN),
      }])),
    } : undefined;
    const divergenceOut = Object.fromEntries(arms.map((a) => [a.name, perArm(a.name).map((r) => r.divergence)]));
    // Every test image's prediction (per arm, seed, branch, set): the bootstrap can be redone from the JSON.
    const predictionsOut = Object.fromEntries(arms.map((a) => [a.name, Object.fromEntries(perArm(a.name).map((r) => [r.seed, {
      clean: Object.fromEntries(Object.entries(r.predictions!.clean).map(([k, v]) => [k, Array.from(v)])),
      aux: r.predictions!.aux ? Object.fromEntries(Object.entries(r.predictions!.aux).map(([k, v]) => [k, Array.from(v)])) : null,
    }]))]));
    const seconds = +((performance.now() - t0) / 1000).toFixed(1);
    if (json) {
      process.stdout.write(JSON.stringify({
        sets: summary.sets, arms: summary.arms, delta: summary.delta, meanTarget: summary.meanTarget, meanTargetDelta: summary.meanTargetDelta,
        bootstrap: summary.bootstrap, verdicts, sweep: sweepOut, settings, timing: { ...timing, encodeSeconds: +encodeSeconds.toFixed(1), imagesEncoded: computed, trainSeconds: +trainSeconds.toFixed(1) },
        divergence: divergenceOut, predictions: predictionsOut, labels: Object.fromEntries(evalSets.map((s) => [s.name, s.labels])), seconds,
      }) + '\n');
    } else {
      const order = Object.keys(summary.arms).filter((a) => !a.endsWith('-clean-bn') && !a.endsWith('-aux-bn'));
      process.stdout.write(`VGG-19 split at ${layer}, ${size} px; source ${source}; ${epochs} epochs × ${result.stepsPerEpoch} steps of ${batchSize}, ${optimizer} lr ${lr}\n\n`);
      process.stdout.write(domainMarkdown(summary, order) + '\n\n');
      const branches = Object.keys(summary.arms).filter((a) => a.endsWith('-clean-bn') || a.endsWith('-aux-bn'));
      if (branches.length) process.stdout.write('Each BN branch on every set:\n\n' + domainMarkdown(summary, ['plain', ...branches]) + '\n\n');
      for (const v of verdicts) process.stdout.write(v + '\n');
      process.stdout.write(`time: features ${encodeSeconds.toFixed(0)} s (${computed} images computed), training and evaluation ${trainSeconds.toFixed(0)} s; s per epoch: ${arms.map((a) => `${a.name} ${timing[a.name]!.secondsPerEpoch}`).join(', ')}; total ${seconds.toFixed(0)} s\n`);
    }
  } finally {
    disposeNetwork(vgg);
    if (decoder) disposeNetwork(decoder.net);
  }
}
