/** Small SVG views of a PGD run: predictions, loss/probability per step, δμ and δσ per channel. */
import { useLayoutEffect, useMemo, useRef } from 'react';
import { topK } from '../../common/predictions';
import { paint, type SquareImage } from './images';

export function Predictions(props: { title: string; probs: Float32Array | null; labels: string[]; testid: string; kind: 'clean' | 'adv'; highlight?: number; note?: string }) {
  const preds = props.probs ? topK(props.probs, 5, props.labels) : [];
  return (
    <div className={`preds ${props.kind}`}>
      <h3>{props.title}</h3>
      {props.note && <div className="muted small">{props.note}</div>}
      <ol data-testid={props.testid} aria-label={props.title}>
        {preds.map((p) => (
          <li key={p.index} className={p.index === props.highlight ? 'attacked' : ''} data-class={p.index} data-prob={p.prob}>
            <span className="pred-name" title={p.name}>{p.name.split(',')[0]}</span>
            <span className="pred-bar" aria-hidden="true"><span style={{ width: `${Math.max(0.5, p.prob * 100)}%` }} /></span>
            <span className="pred-prob">{(p.prob * 100).toFixed(1)}%</span>
          </li>
        ))}
        {!preds.length && <li className="muted">—</li>}
      </ol>
    </div>
  );
}

/** Loss and the attacked class's probability per step, on two y-axes (loss left, probability right). */
export function LossChart(props: { losses: number[]; probs: number[]; steps: number; targeted: boolean }) {
  const W = 420, H = 180, L = 48, R = 48, T = 14, B = 30;
  const n = Math.max(1, props.steps);
  const x = (i: number) => L + ((W - L - R) * i) / n;
  const finite = props.losses.filter(Number.isFinite);
  const lmax = Math.max(1e-6, ...finite), lmin = Math.min(0, ...finite);
  const yl = (v: number) => T + (H - T - B) * (1 - (v - lmin) / (lmax - lmin || 1));
  const yp = (v: number) => T + (H - T - B) * (1 - v);
  const line = (vals: number[], y: (v: number) => number) => vals.map((v, i) => `${x(i).toFixed(1)},${y(v).toFixed(1)}`).join(' ');
  return (
    <figure className="chart" data-testid="loss-chart" data-losses={props.losses.join(' ')}>
      <svg viewBox={`0 0 ${W} ${H}`} role="img" aria-label="Loss and attacked-class probability per PGD step">
        <rect x={L} y={T} width={W - L - R} height={H - T - B} className="chart-bg" />
        {Array.from({ length: n + 1 }, (_, i) => (
          <text key={i} x={x(i)} y={H - 10} className="tick" textAnchor="middle">{n > 10 && i % 2 ? '' : i}</text>
        ))}
        <text x={6} y={T + 10} className="tick loss">{lmax.toFixed(2)}</text>
        <text x={6} y={H - B} className="tick loss">{lmin.toFixed(2)}</text>
        <text x={W - 6} y={T + 10} className="tick prob" textAnchor="end">100%</text>
        <text x={W - 6} y={H - B} className="tick prob" textAnchor="end">0%</text>
        <polyline points={line(props.losses, yl)} className="line loss" />
        <polyline points={line(props.probs, yp)} className="line prob" />
        {props.losses.map((v, i) => <circle key={`l${i}`} cx={x(i)} cy={yl(v)} r={3} className="dot loss" />)}
        {props.probs.map((v, i) => <circle key={`p${i}`} cx={x(i)} cy={yp(v)} r={3} className="dot prob" />)}
      </svg>
      <figcaption>
        <span className="ex-legend loss">■ loss (CE{props.targeted ? ' to target' : ''})</span>{' '}
        <span className="ex-legend prob">■ p(attacked class)</span> <span className="muted">· x: PGD step</span>
      </figcaption>
    </figure>
  );
}

/**
 * δ per channel, sorted, as bars around 1 (the identity); ±ε drawn as dashed lines. The bars are two paths
 * (above and below 1), not an element per channel: at block4_conv1 that was 2 × 512 elements made and
 * diffed on the page's main thread at every PGD step, CPU the step itself needs on a small machine.
 */
export function DeltaChart(props: { title: string; values: Float32Array | null; eps: number; testid: string }) {
  const W = 420, H = 150, L = 40, T = 10, B = 22;
  const { values, eps } = props;
  const c = useMemo(() => {
    const vals = values ? Array.from(values).sort((a, b) => a - b) : [];
    let lo = Math.min(0, 1 - eps), hi = Math.max(2, 1 + eps), mean = 0;
    for (const v of vals) { lo = Math.min(lo, v); hi = Math.max(hi, v); mean += v / vals.length; }
    const y = (v: number) => T + (H - T - B) * (1 - (v - lo) / (hi - lo || 1));
    const bw = vals.length ? (W - L - 6) / vals.length : 0, w = Math.max(0.6, bw * 0.9).toFixed(2);
    const up: string[] = [], down: string[] = [];
    vals.forEach((v, i) => {
      const top = Math.min(y(v), y(1)), h = Math.max(0.5, Math.abs(y(v) - y(1)));
      (v >= 1 ? up : down).push(`M${(L + i * bw).toFixed(2)} ${top.toFixed(2)}h${w}v${h.toFixed(2)}h-${w}z`);
    });
    return { vals, mean, y, up: up.join(''), down: down.join(''), data: values ? Array.from(values).join(' ') : '' };
  }, [values, eps]);
  const { vals, mean, y } = c;
  return (
    <figure className="chart" data-testid={props.testid} data-values={c.data}>
      <svg viewBox={`0 0 ${W} ${H}`} role="img" aria-label={`${props.title}, one bar per channel, sorted`}>
        <rect x={L} y={T} width={W - L - 6} height={H - T - B} className="chart-bg" />
        <path d={c.up} className="bar up" />
        <path d={c.down} className="bar down" />
        <line x1={L} x2={W - 6} y1={y(1)} y2={y(1)} className="axis" />
        <line x1={L} x2={W - 6} y1={y(1 + eps)} y2={y(1 + eps)} className="bound" />
        <line x1={L} x2={W - 6} y1={y(1 - eps)} y2={y(1 - eps)} className="bound" />
        <text x={4} y={y(1) + 4} className="tick">1</text>
        <text x={4} y={y(1 + eps) + 4} className="tick">{(1 + eps).toFixed(2)}</text>
        <text x={4} y={y(1 - eps) + 4} className="tick">{(1 - eps).toFixed(2)}</text>
        <text x={L} y={H - 6} className="tick">{vals.length} channels, sorted</text>
      </svg>
      <figcaption>{props.title}{vals.length ? ` · min ${vals[0]!.toFixed(2)} · mean ${mean.toFixed(2)} · max ${vals[vals.length - 1]!.toFixed(2)}` : ''}</figcaption>
    </figure>
  );
}

/**
 * Beside the δ bars when ε > 1: δ is drawn from [1 − ε, 1 + ε], so a scale can be negative — σ's
 * scale crosses zero and the features' deviations flip sign (the paper's defaults, ε = 1.1, allow it).
 */
export function DeltaNote({ eps }: { eps: number }) {
  if (!(eps > 1)) return null;
  return (
    <p className="muted small" data-testid="delta-note">
      ε &gt; 1: each δ is drawn from [{(1 - eps).toFixed(2)}, {(1 + eps).toFixed(2)}], so a bar below zero is allowed — the scale of σ
      (and of μ) crosses zero and that channel's deviations (mean) flip sign. The paper's defaults (ε = 1.1) allow it.
    </p>
  );
}

/**
 * An RGBA image on a canvas, shown enlarged (pixelated for small models). The pixels carry their own
 * size, so the canvas always matches them.
 */
export function RgbaView(props: { image: SquareImage | null; testid: string; label: string; className?: string }) {
  const ref = useRef<HTMLCanvasElement>(null);
  const { image } = props;
  // Before the browser paints: the canvas never shows (or measures) its default 300×150.
  useLayoutEffect(() => {
    if (image) paint(ref.current, image.rgba, image.size, image.size);
  }, [image]);
  return image
    ? <canvas ref={ref} data-testid={props.testid} aria-label={props.label} role="img" className={`rgba ${props.className ?? ''} ${image.size < 128 ? 'pixelated' : ''}`} />
    : <div className={`rgba placeholder ${props.className ?? ''}`} data-testid={`${props.testid}-empty`}>{props.label}: —</div>;
}
