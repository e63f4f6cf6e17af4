import { describeCheck, VGG19_SOURCES } from '../common/vgg19-sources';
import { DOMAIN_DEFAULTS as D, GPU_PRESET } from '../common/train-settings';

export const HELP: Record<string, string> = {
  get: `advbn get vgg19 [--from keras|torchvision] [--url URL] [--sha256 HEX] [--out DIR] [--downloads DIR] [--keep] [--json]
  Downloads VGG-19's ImageNet weights as published, checks them, imports them (as advbn import does) into
  --out (default models/vgg19-keras or models/vgg19-torchvision) and registers them in the index.json beside
  it, so npm start lists them:
    --from keras (default)  ${VGG19_SOURCES.keras.url}
                            (${VGG19_SOURCES.keras.size}; the project's VGG-19 decoders are linked to it)
    --from torchvision      ${VGG19_SOURCES.torchvision.url} (${VGG19_SOURCES.torchvision.size})
  --url: a mirror of the same file. The check: neither publisher states a full SHA-256, so by default the
  file is checked the way its publisher's own library checks it — Keras: ${describeCheck(VGG19_SOURCES.keras.check)};
  torchvision: ${describeCheck(VGG19_SOURCES.torchvision.check)}. --sha256 HEX checks the whole SHA-256 instead.
  The download goes through --downloads/FILE.part (default ./downloads): an interrupted or truncated
  download keeps its .part and the same command resumes it (HTTP Range; a server that ignores Range sends
  it again from the start); a file that fails its check is deleted. No network, an HTTP error, a wrong
  hash: one line, exit 1, nothing written to models/. --keep keeps the checked file after the import.`,
  import: `advbn import FILE… --out models/NAME [--name TEXT] [--no-index] [--json]
  Imports weights people already have into a model folder (TF.js layers format + decoders) and adds the
  entry NAME to the index.json beside it (models/index.json), so the app and --model/--encoder load it:
    vgg19_weights_tf_dim_ordering_tf_kernels.h5   Keras VGG-19 (Caffe preprocessing; the project's VGG-19
                                                  decoders in models/ are linked to it); _notop: an encoder
    vgg19-dcbb9e9d.pth                            torchvision VGG-19 (torchvision normalisation)
    vgg_normalised.pth decoder.pth                the AdvBN authors' AdaIN encoder (cut at relu4_1, RGB in
                                                  [0, 1]) and their decoder, as one autoencoder
  Anything else (optimizer checkpoints, other architectures, truncated files) is refused, nothing written.`,
  perturb: `advbn perturb --image FILE|DIR [--model DIR] [--layer block4_conv1] [--eps 1.1] [--tau 0.2] [--steps 6]
              [--mode feature|image] [--decoder DIR] [--encoder DIR] [--label N] [--target N] [--batch-size 1]
              [--out FILE.png|DIR] [--labels FILE] [--shard K/N] [--restart] [--json]
  AdvBN PGD on the image's features at --layer. Label: clean top-1 unless --label; --target N runs a
  targeted attack toward class N. --mode image needs --decoder: the loss is VGG-19 on the decoded image,
  and the JSON adds the m = 0 reconstruction (top-5, PSNR against the crop).
  With a folder, writes one decoded adversarial PNG per image into --out (an ImageNet-AdvBN-style set)
  and ends with a table: top-1 accuracy on the originals, the reconstructions and the AdvBN images.
  A folder run keeps a manifest in --out (manifest.jsonl; manifest-K-of-N.jsonl with --shard K/N, every
  N-th image from the K-th): a rerun skips the images it lists (other settings are refused: --restart
  starts over); 'advbn merge DIR' joins the shards.
  --labels (default $ADVBN_CLASSES_JSON): a classes JSON ([{index, wnid}] or {wnid: index}) for
  wnid_… file names, or a text file of "<file name> <class index>" lines.
  --encoder DIR: an autoencoder apart from the classifier (image mode): L = CE(C(D(f_adv(E(x)))), y), E the
  encoder folder cut at the decoder's layer, D --decoder, C --model. The authors' ImageNet-AdvBN pipeline:
    advbn import vgg_normalised.pth decoder.pth --out models/adain
    advbn import vgg19-dcbb9e9d.pth --out models/torchvision-vgg19
    advbn perturb --model models/torchvision-vgg19 --encoder models/adain --decoder models/adain/decoder-relu4_1 …`,
  sweep: `advbn sweep --images DIR [--model DIR] [--layer block4_conv1] [--eps 0,0.3,0.5,0.7,0.9,1.1] [--tau 0.2] [--steps 6]
            [--paper [--max-steps 8]] [--random-draws 5] [--seed 1] [--mode feature|image] [--decoder DIR]
            [--labels FILE] [--count N] [--shard K/N] [--manifest FILE.jsonl] [--restart] [--out strip.png] [--json]
  Top-1 accuracy of the folder's images (sorted; --count: the first N) under AdvBN at each strength, and
  under two random controls, --random-draws seeded draws each per image: uniform random δ (δμ, δσ uniform in
  [1 − ε, 1 + ε]) and random δ of the same size (the adversarial δ's per-channel |δ − 1|, permuted across
  channels, random signs).
  Strengths: an ε grid at fixed --steps and --tau, or --paper: τ = 0.2, m = 1…--max-steps, ε = m·τ − 0.1.
  Labels: --labels (default $ADVBN_CLASSES_JSON), as for perturb; without, accuracy is agreement with the
  clean top-1. --mode image needs --decoder (the loss and the predictions are the classifier's on the
  decoded image). --out: a PNG strip of the first image (top row AdvBN, bottom row random draw 0).
  --json: {"eps": […], "adversarial": [acc %…], "random": [acc %…], "matched": [acc %…], "n": N, …}.
  --manifest: one line per finished image; a rerun skips what is there (resume; --restart starts over). --shard K/N (K from 0)
  sweeps every N-th image from the K-th; 'advbn merge' joins the shards' manifests.`,
  merge: `advbn merge MANIFEST|DIR… [--out merged.jsonl] [--allow-missing] [--json]
  Joins the manifests of a sharded run — advbn sweep --shard K/N --manifest FILE, or advbn perturb --image DIR
  --out DIR --shard K/N (manifest-K-of-N.jsonl in DIR; name the folder) — and prints the whole run's table,
  the one a single run prints. Refuses manifests of other settings, a shard given twice, an image in two
  shards, and (without --allow-missing) a missing shard. --out writes the joined manifest.`,
  bench: `advbn bench [--model DIR] [--layer block4_conv1] [--decoder DIR] [--runs 3] [--backends wasm,webgpu,cpu] [--modes feature,image]
              [--kernels tfjs,ours] [--conv-transpose naive|matmul|naive,matmul] [--threads N] [--profile] [--json]
  Median time of one PGD step (forward + backward + update) at 224 px, feature and image mode, one table
  per backend: threads, ms/step, GFLOP/s and the fraction of the backend's peak (best GFLOP/s of a 3×3 conv
  28×28×512→512 on the same backend and threads, measured in the same run), and what a step moves: reads
  (device → CPU; PGD reads once a step; WASM's count adds heap reads by kernels written in JS)
  and, on WebGPU, uploads per step and the warm-up step's upload (the weights, once). --kernels (WASM): the
  kernel sets to time, interleaved step by step: tfjs's (XNNPACK) and/or ours (Winograd 3×3 convolutions, fc
  matrix–vector). --conv-transpose: the WebGPU kernel(s) of the convolution's input gradient to time
  (default naive). --profile: time per kernel of one step. A backend that cannot start here (webgpu without
  a hardware adapter) is reported with the reason; --allow-software-gpu runs webgpu on SwiftShader/lavapipe,
  and then, unless --layer, --modes or --runs say otherwise, every backend runs at block5_conv3, feature mode,
  one timed step, and the output says "software adapter: ratios only".
advbn bench --train [--layer block4_conv1] [--size 80] [--batch 32] [--m 3] [--runs 3] [--modes plain,advbn]
              [--kernels ours,tfjs] [--pytorch /usr/bin/python3] [--threads N] [--profile] [--json]
  Median time of one training step of the domains head on WASM (rows train-plain, train-advbn; mode, kernels,
  median_ms): VGG-19 after --layer with BNs and auxiliary twins, GAP, linear 7-way, Adam, AdvBN m steps.
  --pytorch PYTHON interleaves scripts/bench_pytorch_train_step.py's same step (same threads) with ours.
  --profile: time per kernel of one step, and the filter transforms of our Winograd kernels.`,
  'train-decoder': `advbn train-decoder --layer L --images DIR --out DIR [--model DIR] [--size 128] [--batch 8]
              [--steps 1000] [--lr 1e-3] [--tv 1e-4] [--feature-loss W] [--via LAYER --via-decoder DIR] [--resume DIR]
              [--checkpoint-every 100] [--eval-images 6] [--seed 1]
  Trains a mirror decoder for features at L (staged with --via: L → via features, then the via decoder).
  --feature-loss W adds W × the MSE between the encoder's features of the decoded image and the input
  features (divided by the feature scale²): it keeps the class. --resume DIR continues a checkpoint, or
  fine-tunes a committed decoder (a staged one end to end).`,
  'eval-decoder': `advbn eval-decoder --decoder DIR --images DIR [--model DIR] [--count 90] [--grid FILE.png] [--json]
  Mean PSNR (RGB, 0–255) and SSIM of 224 px centre-crop reconstructions (m = 0) on held-out images, and
  how often VGG-19's top-1 on the reconstruction equals its top-1 on the original (top1_kept).`,
  train: `advbn train --data style-world [--advbn|--no-advbn] [--layer block1_relu1] [--epochs 2] [--seed 1] [--json]
              [--model models/style-world] [--train-size 1500] [--batch 32] [--lr 0.01] [--eps 1.0] [--tau 0.35]
              [--pgd-steps 3] [--adv-weight 1] [--adv-bn auxiliary|frozen] [--test-size 150] [--no-divergence] [--out DIR]
  Algorithm 1: freezes the style-world model up to --layer and fine-tunes the head with CE(clean) + CE(AdvBN)
  (auxiliary BatchNorms; SGD, momentum 0.9, weight decay 1e-4, lr ÷ 10 at half). --no-advbn: the same
  fine-tuning without AdvBN (baseline). Prints accuracy per test set before and after (clean, each held-out
  style, each corruption), mean held-out style / corruption accuracy, feature divergence per layer, timings.
  --out DIR also writes the fine-tuned model (TF.js layers format). --adv-weight w: loss = CE(clean) + w·CE(AdvBN).
  --adv-bn frozen: the adversarial path uses the clean BNs in eval mode instead of auxiliary BNs (an experiment).
advbn train --data style-world --compare [--seeds 3] [same options]
  Plain and AdvBN fine-tuning from the same base, same images, same order, for seeds S, S+1, …; prints one
  table: base / plain / AdvBN / Δ AdvBN − plain (mean ± sample std over seeds, Δ paired by seed).
advbn train --data style-world --decoder LAYER --out DIR [--decoder-steps 1500] [--decoder-width 16]
  A decoder for the existing style-world model at LAYER, written to DIR/decoder-LAYER (the Explore view).
advbn train --data style-world --base --out DIR [--epochs 4] [--train-size 4000] [--lr 0.01] [--decoder-steps 600]
  Standard training of the style-world model from scratch (Adam), then its decoder for block2_relu1:
  how models/style-world was made.
advbn train --data DIR [--source photo] [--extra-test DIR]… [--compare] [--seeds 3] [--seed 1] [--json]
              [--model VGG19_DIR] [--layer ${D.layer}] [--size ${D.size}] [--epochs ${D.epochs}] [--batch ${D.batch}] [--lr 1e-4]
              [--optimizer adam|sgd] [--eps ${D.pgd.eps}] [--tau ${D.pgd.tau}] [--pgd-steps ${D.pgd.steps}] [--test-size ${D.testSize}]
              [--arms plain,advbn,random-uniform,random-matched,mixstyle,dsu] [--sweep-m 0,1,2,3,6] [--cache-dir DIR] [--no-cache] [--no-divergence]
              [--preset gpu] [--pictures DIR] [--decoder DIR]
  A domains folder (DIR/<domain>/<class>/<image>, e.g. PACS): VGG-19 split at --layer, features computed once
  per image and cached (default ~/.cache/advbn/features); VGG-19's own layers after the split through block5
  fine-tuned, a BatchNorm inserted after each convolution (identity on the source statistics, with an
  auxiliary twin), average pooling and a new linear layer. Arms from the same base on the same batches:
  plain, advbn (PGD on δ, head in inference mode with the auxiliary BNs), random-uniform (δ uniform in
  [1 − ε, 1 + ε]), random-matched (PGD's per-channel sizes |δ − 1|, permuted, random signs), mixstyle, dsu
  (per-instance statistics mixed / resampled, p 0.5, single loss).
  The source's seeded fifth is source-val; every other domain (at most --test-size images, 0 = all) is a
  target; --extra-test folders' domains are extra/<domain>. Prints per set and arm mean ± std over seeds,
  Δ against plain with its 95 % interval (paired bootstrap over seeds and test images; "within noise" when
  it holds 0), verdicts; advbn/random-* follow the paper's rule (clean BNs on source-val,
  auxiliary BNs elsewhere), *-clean-bn / *-aux-bn give each branch. --sweep-m: the strength ablation
  (τ 0.2, ε = m·τ − 0.1; m 0 = plain). --preset gpu: ${GPU_PRESET.size} px, ${GPU_PRESET.layer}, ${GPU_PRESET.epochs} epochs, every test image.
  --pictures DIR: per target a grid of test images, bars above/below green or red for plain/AdvBN (seed 1);
  with a decoder for --layer (--decoder DIR, else models/decoder-<layer>, else one beside the model) also
  advbn-batch.png: AdvBN on a source training batch by the trained AdvBN network, decoded (m = 0 and AdvBN).`,
};
