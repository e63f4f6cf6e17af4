/** Live training curves (SVG): clean and adversarial loss, and accuracy, per step (smoothed). */
import type { StepResult } from '../../common/train-types';
import { niceTicks } from '../../common/nice-ticks';

interface Series { name: string; color: string; values: Array<number | null>; dash?: string }

function smooth(values: Array<number | null>, k = 0.8): Array<number | null> {
  let s: number | null = null;
  return values.map((v) => (v === null ? null : (s = s === null ? v : k * s + (1 - k) * v)));
}

/** The smoothed curves' last values, as the status line prints them ("clean loss 0.612, AdvBN loss 0.801"). */
function ends(series: Series[]): string {
  return series.flatMap((s) => {
    const last = [...s.values].reverse().find((v): v is number => v !== null);
    return last === undefined ? [] : [`${s.name} ${last.toFixed(3)}`];
  }).join(', ');
}

/** The loss curves' ends (smoothed, as drawn) for a run's steps: what the status line should say. */
export function lossCurveEnds(steps: StepResult[]): string {
  return ends(lossSeries(steps));
}

/** `total`: the run's steps (0: not known yet, the axis then says "step"). */
function Chart(props: { title: string; series: Series[]; total: number; yMax?: number; testid: string; percent?: boolean }) {
  const W = 460, H = 200, L = 44, B = 26, T = 10, R = 10;
  const all = props.series.flatMap((s) => s.values.filter((v): v is number => v !== null));
  const axis = props.percent ? { ticks: [0, 0.25, 0.5, 0.75, 1], top: 1, label: (t: number) => `${Math.round(t * 100)}%` } : niceTicks(props.yMax ?? Math.max(0.1, ...all) * 1.05);
  const yMax = props.yMax ?? axis.top;
  const span = Math.max(props.total, ...props.series.map((s) => s.values.length), 2);
  const x = (i: number) => L + ((W - L - R) * i) / (span - 1);
  const y = (v: number) => T + (H - T - B) * (1 - v / yMax);
  return (
    <figure className="chart" data-testid={props.testid} data-ends={ends(props.series)}>
      <figcaption>{props.title}</figcaption>
      <svg viewBox={`0 0 ${W} ${H}`} role="img" aria-label={props.title}>
        {axis.ticks.map((t) => (
          <g key={t}>
            <line x1={L} x2={W - R} y1={y(t)} y2={y(t)} className="grid" />
            <text x={L - 6} y={y(t) + 4} textAnchor="end" className="tick y">{axis.label(t)}</text>
          </g>
        ))}
        <text x={(W + L) / 2} y={H - 4} textAnchor="middle" className="tick">{props.total > 0 ? `step (of ${props.total})` : 'step'}</text>
        {props.series.map((s) => {
          const pts = s.values.map((v, i) => (v === null ? null : `${x(i).toFixed(1)},${y(v).toFixed(1)}`)).filter(Boolean);
          return pts.length ? <polyline key={s.name} points={pts.join(' ')} fill="none" stroke={s.color} strokeWidth={2.5} strokeDasharray={s.dash} data-series={s.name} /> : null;
        })}
      </svg>
      <div className="legend">{props.series.map((s) => <span key={s.name}><i style={{ background: s.color }} />{s.name}</span>)}</div>
    </figure>
  );
}

function lossSeries(steps: StepResult[]): Series[] {
  const loss: Series[] = [{ name: 'clean loss', color: 'var(--clean)', values: smooth(steps.map((s) => s.cleanLoss)) }];
  if (steps.some((s) => s.advLoss !== null)) loss.push({ name: 'AdvBN loss', color: 'var(--adv)', values: smooth(steps.map((s) => s.advLoss)) });
  return loss;
}

export function Curves({ steps, total }: { steps: StepResult[]; total: number }) {
  const loss = lossSeries(steps);
  const acc: Series[] = [{ name: 'clean accuracy', color: 'var(--clean)', values: smooth(steps.map((s) => s.cleanAcc)) }];
  if (loss.length > 1) acc.push({ name: 'AdvBN accuracy', color: 'var(--adv)', values: smooth(steps.map((s) => s.advAcc)) });
  return (
    <div className="curves" data-testid="curves" data-steps={steps.length}>
      <Chart title="Cross-entropy (training batches)" series={loss} total={total} testid="chart-loss" />
      <Chart title="Accuracy (training batches)" series={acc} total={total} yMax={1} percent testid="chart-acc" />
    </div>
  );
}

/**
 * Both arms of a comparison on the same axes: plain fine-tuning's clean loss / accuracy, AdvBN
 * fine-tuning's clean loss / accuracy and its adversarial (AdvBN-path) loss / accuracy. Same steps,
 * same batches, so the curves are directly comparable.
 */
function compareLossSeries(plain: StepResult[], advbn: StepResult[]): Series[] {
  return [
    { name: 'AdvBN: clean loss', color: 'var(--clean)', values: smooth(advbn.map((s) => s.cleanLoss)) },
    { name: 'AdvBN: adversarial loss', color: 'var(--adv)', values: smooth(advbn.map((s) => s.advLoss)), dash: '6 4' },
    // Plain is dotted and drawn last: where the two clean curves overlap, both stay visible.
    { name: 'plain: clean loss', color: 'var(--plain)', values: smooth(plain.map((s) => s.cleanLoss)), dash: '2 5' },
  ];
}

/** The comparison's loss curves' ends (smoothed, as drawn). */
export function compareLossCurveEnds(plain: StepResult[], advbn: StepResult[]): string {
  return ends(compareLossSeries(plain, advbn));
}

export function CompareCurves({ plain, advbn, total, caption }: { plain: StepResult[]; advbn: StepResult[]; total: number; caption?: string }) {
  const loss = compareLossSeries(plain, advbn);
  const acc: Series[] = [
    { name: 'AdvBN: clean accuracy', color: 'var(--clean)', values: smooth(advbn.map((s) => s.cleanAcc)) },
    { name: 'AdvBN: adversarial accuracy', color: 'var(--adv)', values: smooth(advbn.map((s) => s.advAcc)), dash: '6 4' },
    { name: 'plain: clean accuracy', color: 'var(--plain)', values: smooth(plain.map((s) => s.cleanAcc)), dash: '2 5' },
  ];
  return (
    <div className="curves" data-testid="curves" data-steps={Math.min(plain.length, advbn.length)} data-plain-steps={plain.length} data-advbn-steps={advbn.length}>
      {caption && <p className="muted small curves-caption">{caption}</p>}
      <Chart title="Cross-entropy (training batches)" series={loss} total={total} testid="chart-loss" />
      <Chart title="Accuracy (training batches)" series={acc} total={total} yMax={1} percent testid="chart-acc" />
    </div>
  );
}
