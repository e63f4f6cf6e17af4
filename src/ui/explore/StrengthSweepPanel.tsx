/**
 * The strength sweep (the paper's Figure 3): for the current image, AdvBN at a series of strengths —
 * the paper's m = 1…8 at τ = 0.2 (ε = m·τ − 0.1) or an ε grid at the current m and τ — a row of decoded
 * images with top-1 and p(class) under each, and p against strength beside random δ of the same ε.
 * Cells appear as the worker finishes them ('explore.sweep'); Cancel stops it; the settings live in the
 * URL (explore-store); "Download PNG" exports the row and the curve as one image. No tfjs here.
 */
import { useEffect, useRef, useState } from 'react';
import { engine, RequestCancelled } from '../../worker/client';
import type { StrengthSweepCellEvent, StrengthSweepEvent, StrengthSweepRequest } from '../../worker/explore-protocol';
import { MAX_DRAWS, parseSweepEps, sweepStrengths, useExplore, type ExploreSettings } from './explore-store';
import { RgbaView } from './Charts';
import { downloadCanvas, exportScale, paint, type SquareImage } from './images';

export interface StrengthSweepTarget {
  model: string; image: string; layer: string; decoder: boolean; mode: 'feature' | 'image';
  /** Attacked class; null: the clean top-1. */
  label: number | null;
}

interface Cell extends StrengthSweepCellEvent { pic: SquareImage | null }
interface StrengthSweepState { state: 'idle' | 'running' | 'done' | 'stopped' | 'error'; cells: Cell[]; label: number | null; error: string | null; count: number; model: string }
const IDLE: StrengthSweepState = { state: 'idle', cells: [], label: null, error: null, count: 0, model: '' };

const mean = (v: number[]) => (v.length ? v.reduce((a, b) => a + b, 0) / v.length : NaN);
const spread = (v: number[]) => (v.length ? [Math.min(...v), Math.max(...v)] as const : null);
const pct = (p: number) => `${(100 * p).toFixed(p < 0.1 && p > 0 ? 1 : 0)}%`;
const short = (name: string | undefined, i: number) => name?.split(',')[0] ?? `class ${i}`;

export function StrengthSweepPanel(props: { target: StrengthSweepTarget | null; labels: string[]; settings: ExploreSettings; busy: boolean }) {
  const { target, labels, settings } = props;
  const set = useExplore((s) => s.set);
  const [st, setSt] = useState<StrengthSweepState>(IDLE);
  const [nonce, setNonce] = useState(0);
  const ctrlRef = useRef<AbortController | null>(null);
  const strengths = sweepStrengths(settings);
  const [epsText, setEpsText] = useState(settings.strengthSweepEps);
  useEffect(() => setEpsText(settings.strengthSweepEps), [settings.strengthSweepEps]);
  const request: StrengthSweepRequest | null = target && settings.strengthSweep ? {
    model: target.model, image: target.image, layer: target.layer, decoder: target.decoder, mode: target.mode,
    label: target.label, strengths, randomDraws: settings.draws, seed: 1,
  } : null;
  const key = request ? JSON.stringify([request, nonce]) : '';
  const reqRef = useRef(request);
  reqRef.current = request;

  const runId = useRef(0);
  useEffect(() => {
    const req = reqRef.current;
    const id = ++runId.current;
    if (!req) { setSt(IDLE); return; }
    const ctrl = new AbortController();
    ctrlRef.current = ctrl;
    // Only the latest sweep writes the state: a replaced one (settings changed) settles silently.
    const update = (f: (s: StrengthSweepState) => StrengthSweepState) => { if (runId.current === id) setSt(f); };
    setSt({ ...IDLE, state: 'running', count: req.strengths.length, model: req.model ?? '' });
    engine().request('explore.sweep', req, {
      signal: ctrl.signal,
      onEvent: (p) => {
        if (ctrl.signal.aborted) return;
        const ev = p as StrengthSweepEvent;
        if (ev.kind === 'sweep-start') update((s) => ({ ...s, label: ev.label }));
        else update((s) => ({ ...s, cells: [...s.cells, { ...ev, pic: ev.image ? { rgba: ev.image, size: ev.size } : null }] }));
      },
    })
      .then(() => update((s) => ({ ...s, state: 'done' })))
      .catch((e: Error) => {
        if (ctrl.signal.aborted || e instanceof RequestCancelled) update((s) => ({ ...s, state: 'stopped' }));
        else update((s) => ({ ...s, state: 'error', error: e.message }));
      });
    return () => ctrl.abort();
  }, [key]);

  const cancel = () => ctrlRef.current?.abort();
  // Only cells of the model shown now: after a model switch the old cells (another input size) go at once.
  const cells = target && st.model === target.model ? st.cells : [];
  const label = st.label ?? target?.label ?? null;
  const className = label !== null ? short(labels[label], label) : '—';
  const [exportError, setExportError] = useState<string | null>(null);
  const exportPng = async () => {
    setExportError(null);
    try {
      await downloadCanvas(sweepCanvas(cells, labels, className), `advbn-sweep-${settings.strengthSweep}-${target?.layer ?? ''}.png`);
    } catch (e) {
      setExportError(`The PNG could not be made: ${(e as Error).message}`);
    }
  };

  return (
    <div className="panel sweep" data-testid="sweep" data-state={st.state} data-cells={cells.length}>
      <h3>Strength sweep: the decoded image and {label !== null ? `p(${className})` : 'the probability of the clean top-1 class'} as the perturbation grows</h3>
      <div className="row sweep-controls">
        <label>strengths{' '}
          <select aria-label="Sweep strengths" value={settings.strengthSweep || 'paper'} onChange={(e) => set({ strengthSweep: e.target.value as ExploreSettings['strengthSweep'] })}>
            <option value="paper">paper: τ 0.2, m 1…8, ε = m·τ − 0.1</option>
            <option value="grid">ε grid at m = {settings.steps}, τ = {settings.tau}</option>
          </select>
        </label>
        {settings.strengthSweep === 'grid' && (
          <label>ε{' '}
            <input aria-label="Sweep ε list" value={epsText} size={22} onChange={(e) => setEpsText(e.target.value)}
              onBlur={() => { if (parseSweepEps(epsText)) set({ strengthSweepEps: epsText }); else setEpsText(settings.strengthSweepEps); }} />
          </label>
        )}
        <label>random draws{' '}
          <input aria-label="Random draws" type="number" min={0} max={MAX_DRAWS} value={settings.draws} onChange={(e) => set({ draws: Number(e.target.value) })} style={{ width: '3.5em' }} />
        </label>
        <button type="button" onClick={() => (settings.strengthSweep ? setNonce((n) => n + 1) : set({ strengthSweep: 'paper' }))} disabled={!target}>Sweep strengths</button>
        <button type="button" onClick={cancel} disabled={st.state !== 'running'}>Cancel sweep</button>
        <button type="button" onClick={() => void exportPng()} disabled={!cells.some((c) => c.pic)}>Download sweep PNG</button>
        {settings.strengthSweep && <button type="button" onClick={() => set({ strengthSweep: '' })}>Close</button>}
      </div>
      <div className="muted small" data-testid="sweep-status" role="status">
        {!settings.strengthSweep ? 'Runs AdvBN at each strength on this image, beside random δ of the same ε.'
          : st.state === 'running' ? `sweeping: ${st.cells.length} of ${st.count} strengths done${props.busy ? ' (after the run in progress)' : ''}…`
          : st.state === 'done' ? `done: ${st.cells.length} strengths, ${Math.round(st.cells.reduce((a, c) => a + c.ms, 0))} ms`
          : st.state === 'stopped' ? `cancelled after ${st.cells.length} of ${st.count} strengths`
          : st.state === 'error' ? '' : ''}
      </div>
      {st.state === 'error' && <div className="error" role="alert" data-testid="sweep-error">{st.error}</div>}
      {settings.strengthSweep && (
        <>
          <div className="sweep-row">
            {cells.map((c) => {
              const rp = mean(c.randomP);
              return (
                <figure key={c.index} data-testid="sweep-cell" data-p={c.p.toFixed(4)} data-random-p={Number.isFinite(rp) ? rp.toFixed(4) : ''}>
                  <RgbaView image={c.pic} testid={`sweep-img-${c.index}`} label={`ε ${c.strength.eps}`} />
                  <figcaption>
                    ε {c.strength.eps} · m {c.strength.steps}<br />
                    top-1 <b>{short(labels[c.top1], c.top1)}</b> {pct(c.top1Prob)}<br />
                    p({className}) <b>{pct(c.p)}</b>
                    {c.randomP.length > 0 && <><br /><span className="muted">uniform random δ: {pct(rp)}</span></>}
                    {c.matchedP.length > 0 && <><br /><span className="muted">same-size random δ: {pct(mean(c.matchedP))}</span></>}
                  </figcaption>
                </figure>
              );
            })}
          </div>
          <SweepCurve cells={cells} className={className} />
        </>
      )}
      {exportError && <div className="error small" role="alert">{exportError}</div>}
    </div>
  );
}

/** p(class) against ε: the adversarial δ (line and dots) and random δ (mean line, min–max band). */
function SweepCurve(props: { cells: Cell[]; className: string }) {
  const W = 520, H = 170, L = 40, R = 12, T = 10, B = 28;
  const cells = props.cells;
  if (!cells.length) return null;
  const xmax = Math.max(0.1, ...cells.map((c) => c.strength.eps));
  const x = (e: number) => L + ((W - L - R) * e) / xmax;
  const y = (p: number) => T + (H - T - B) * (1 - p);
  const adv = cells.map((c) => `${x(c.strength.eps).toFixed(1)},${y(c.p).toFixed(1)}`).join(' ');
  const withRandom = cells.filter((c) => c.randomP.length);
  const rnd = withRandom.map((c) => `${x(c.strength.eps).toFixed(1)},${y(mean(c.randomP)).toFixed(1)}`).join(' ');
  const band = [
    ...withRandom.map((c) => `${x(c.strength.eps).toFixed(1)},${y(spread(c.randomP)![1]).toFixed(1)}`),
    ...[...withRandom].reverse().map((c) => `${x(c.strength.eps).toFixed(1)},${y(spread(c.randomP)![0]).toFixed(1)}`),
  ].join(' ');
  return (
    <figure className="chart" data-testid="sweep-curve">
      <svg viewBox={`0 0 ${W} ${H}`} role="img" aria-label={`p(${props.className}) against ε, adversarial and random δ`}>
        <rect x={L} y={T} width={W - L - R} height={H - T - B} className="chart-bg" />
        <text x={4} y={T + 8} className="tick">100%</text>
        <text x={4} y={H - B} className="tick">0%</text>
        {cells.map((c) => <text key={c.index} x={x(c.strength.eps)} y={H - 10} className="tick" textAnchor="middle">{c.strength.eps}</text>)}
        {withRandom.length > 0 && <polygon points={band} className="band random" />}
        {withRandom.length > 0 && <polyline points={rnd} className="line random" />}
        <polyline points={adv} className="line prob" />
        {cells.map((c) => <circle key={c.index} cx={x(c.strength.eps)} cy={y(c.p)} r={3} className="dot prob" data-testid="sweep-dot" />)}
      </svg>
      <figcaption>
        <span className="ex-legend prob">■ AdvBN δ</span>{' '}
        <span className="ex-legend random">■ random δ, same ε (mean, min–max)</span> <span className="muted">· y: p({props.className}) · x: ε</span>
      </figcaption>
    </figure>
  );
}

/** The row of cells (image, ε, top-1, p) and the curve, on one canvas for the PNG export. */
export function sweepCanvas(cells: Cell[], labels: string[], className: string): HTMLCanvasElement {
  const pics = cells.filter((c) => c.pic);
  if (!pics.length) throw new Error('No decoded image to export yet.');
  const size = pics[0]!.pic!.size;
  const s = Math.max(96, size * exportScale(size) / 2);
  const gap = 8, textH = 58, chartH = 180;
  const c = document.createElement('canvas');
  c.width = Math.max(520, pics.length * (s + gap) + gap);
  c.height = gap + s + textH + chartH;
  const ctx = c.getContext('2d')!;
  ctx.fillStyle = '#ffffff';
  ctx.fillRect(0, 0, c.width, c.height);
  ctx.imageSmoothingEnabled = false;
  const tmp = document.createElement('canvas');
  tmp.width = tmp.height = size;
  ctx.fillStyle = '#111';
  ctx.font = '12px sans-serif';
  pics.forEach((cell, i) => {
    const x0 = gap + i * (s + gap);
    paint(tmp, cell.pic!.rgba, size, size);
    ctx.drawImage(tmp, x0, gap, s, s);
    const lines = [`ε ${cell.strength.eps} · m ${cell.strength.steps}`, `${short(labels[cell.top1], cell.top1).slice(0, 16)} ${pct(cell.top1Prob)}`, `p ${pct(cell.p)}${cell.randomP.length ? ` · rnd ${pct(mean(cell.randomP))}` : ''}`];
    lines.forEach((t, k) => ctx.fillText(t, x0, gap + s + 16 + 16 * k, s));
  });
  // The curve: p(class) against ε, adversarial (red) and random mean (grey).
  const L = 40, T = gap + s + textH, W = c.width - L - gap, H = chartH - 30;
  const xmax = Math.max(0.1, ...cells.map((k) => k.strength.eps));
  const x = (e: number) => L + (W * e) / xmax;
  const y = (p: number) => T + H * (1 - p);
  ctx.strokeStyle = '#ccc';
  ctx.strokeRect(L, T, W, H);
  ctx.fillText('p=1', 4, T + 10);
  ctx.fillText('0', 4, T + H);
  ctx.fillText(`p(${className}) against ε`, L + 4, T + H + 20);
  const line = (pts: Array<[number, number]>, color: string) => {
    ctx.strokeStyle = color;
    ctx.lineWidth = 2;
    ctx.beginPath();
    pts.forEach(([e, p], i) => (i ? ctx.lineTo(x(e), y(p)) : ctx.moveTo(x(e), y(p))));
    ctx.stroke();
  };
  line(cells.filter((k) => k.randomP.length).map((k) => [k.strength.eps, mean(k.randomP)]), '#888');
  line(cells.map((k) => [k.strength.eps, k.p]), '#d33');
  return c;
}
