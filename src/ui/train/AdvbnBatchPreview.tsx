/**
 * What AdvBN does to a training batch at the current ε, τ, m: the clean batch, its decoded features
 * (m = 0) and the decoded AdvBN features, with the base model's prediction under each image.
 * The worker runs the same PGD as Algorithm 1 (one δ for the whole batch, true labels).
 */
import { useEffect, useRef, useState } from 'react';
import { engine, RequestCancelled } from '../../worker/client';
import type { ModelRef, PreviewRequest, PreviewResult } from '../../worker/train-protocol';

function Strip({ images, size, testid }: { images: Uint8ClampedArray[]; size: number; testid: string }) {
  const ref = useRef<HTMLCanvasElement>(null);
  const gap = 3;
  useEffect(() => {
    const c = ref.current;
    if (!c) return;
    const ctx = c.getContext('2d')!;
    ctx.fillStyle = '#0f1115';
    ctx.fillRect(0, 0, c.width, c.height);
    images.forEach((im, i) => ctx.putImageData(new ImageData(new Uint8ClampedArray(im), size, size), i * (size + gap), 0));
  }, [images, size]);
  return <canvas ref={ref} width={images.length * (size + gap) - gap} height={size} data-testid={testid} style={{ width: `${(images.length * (size + gap) - gap) * 1.5}px` }} />;
}

function Preds({ pred, labels, names }: { pred: number[]; labels: number[]; names: readonly string[] }) {
  const right = pred.filter((p, i) => p === labels[i]).length;
  return <span className="muted small">{right}/{labels.length} correct ({pred.map((p) => names[p] ?? p).join(', ')})</span>;
}

export function AdvbnBatchPreview(props: { model: ModelRef | null; layer: string; eps: number; tau: number; steps: number; seed: number; ready: boolean }) {
  const [res, setRes] = useState<PreviewResult | null>(null);
  const [error, setError] = useState<string | null>(null);
  const { model, layer, eps, tau, steps, seed, ready } = props;
  useEffect(() => {
    if (!model || !layer || !ready) return;
    const ctrl = new AbortController();
    const timer = setTimeout(() => {
      const req: PreviewRequest = { model, layer, eps, tau, steps, seed, n: 8 };
      engine().request('train.preview', req, { signal: ctrl.signal })
        .then((r) => { if (!ctrl.signal.aborted) { setRes(r); setError(null); } })
        .catch((e: Error) => { if (!ctrl.signal.aborted && !(e instanceof RequestCancelled)) setError(e.message); });
    }, 300);
    return () => { clearTimeout(timer); ctrl.abort(); };
  }, [model, layer, eps, tau, steps, seed, ready]);
  const names = Array.isArray(model?.entry.labels) ? model.entry.labels : [];
  return (
    <div className="panel batch-preview" data-testid="batch-preview" data-ready={res ? '1' : '0'}>
      <h3>AdvBN on a training batch (ε {eps}, τ {tau}, m {steps}, at {layer})</h3>
      <p className="muted small">One δ for the whole batch, as in training: PGD pushes the base model away from the true shapes by shifting the per-channel mean and spread of the features at {layer}. The decoder turns the features back into pictures{res && !res.decoderLayer ? ` — this model has no decoder for ${layer}, so only the clean batch is shown` : ''}.</p>
      {error && <div className="error" role="alert">{error}</div>}
      {res && <BatchRows res={res} names={names} />}
    </div>
  );
}

/** The rows of a batch preview: the clean batch, decoded m = 0 and decoded AdvBN, with predictions under them. */
export function BatchRows({ res, names }: { res: PreviewResult; names: readonly string[] }) {
  return (
    <div className="rows">
      <span>clean batch</span><div><Strip images={res.clean} size={res.size} testid="preview-clean" /><br /><Preds pred={res.cleanPred} labels={res.labels} names={names} /></div>
      {res.recon && <><span>decoded, m = 0</span><div><Strip images={res.recon} size={res.size} testid="preview-recon" /></div></>}
      {res.adv && <><span>decoded AdvBN</span><div><Strip images={res.adv} size={res.size} testid="preview-adv" /><br /><Preds pred={res.advPred} labels={res.labels} names={names} /> <span className="muted small">· PGD loss {res.loss[0].toFixed(2)} → {res.loss[1].toFixed(2)}</span></div></>}
      {!res.adv && <><span>AdvBN features</span><div><Preds pred={res.advPred} labels={res.labels} names={names} /></div></>}
    </div>
  );
}
