/**
 * The paper's Figure 4 on a domains folder: accuracy against AdvBN strength (m, with τ 0.2 and
 * ε = m·τ − 0.1; m 0 = plain fine-tuning), one line per set, mean over seeds with ± std as error bars.
 * Drawn as SVG (no chart library: the project's other curves are hand-drawn SVG too).
 */
import type { DomainSummary } from '../../../common/domains-summary';

const COLORS = ['#1b6ca8', '#d9822b', '#2e9e5b', '#b03a48', '#7a4fa3', '#6b6b6b', '#c1a01a'];

export function MSweepChart({ summary, ms, arms }: { summary: DomainSummary; ms: number[]; arms: string[] }) {
  const W = 520, H = 260, L = 44, R = 120, T = 14, B = 36;
  const lines = [...summary.sets.map((s) => ({ name: s, get: (a: string) => summary.arms[a]?.[s] })), { name: 'mean target', get: (a: string) => summary.meanTarget[a] }]
    .filter((l) => arms.every((a) => l.get(a)));
  const values = lines.flatMap((l) => arms.flatMap((a) => { const v = l.get(a)!; return [v.mean - v.std, v.mean + v.std]; }));
  const lo = Math.max(0, Math.floor(Math.min(...values) / 10) * 10), hi = Math.min(100, Math.ceil(Math.max(...values) / 10) * 10);
  const x = (i: number) => L + ((W - L - R) * (ms.length > 1 ? (ms[i]! - ms[0]!) / (ms[ms.length - 1]! - ms[0]!) : 0.5));
  const y = (v: number) => T + (H - T - B) * (1 - (v - lo) / Math.max(1e-9, hi - lo));
  const ticks = Array.from({ length: (hi - lo) / 10 + 1 }, (_, i) => lo + 10 * i);
  return (
    <svg className="sweep-chart" viewBox={`0 0 ${W} ${H}`} width={W} height={H} role="img" data-testid="domains-sweep-chart"
      aria-label={`Accuracy against AdvBN strength m (${ms.join(', ')}) per set`}>
      {ticks.map((t) => <g key={t}><line x1={L} x2={W - R} y1={y(t)} y2={y(t)} stroke="#ddd" /><text x={L - 6} y={y(t) + 4} textAnchor="end" fontSize="11">{t}</text></g>)}
      {ms.map((m, i) => <text key={m} x={x(i)} y={H - B + 16} textAnchor="middle" fontSize="11">{m === 0 ? 'plain' : `m ${m}`}</text>)}
      <text x={(L + W - R) / 2} y={H - 4} textAnchor="middle" fontSize="11">AdvBN strength (τ 0.2, ε = m·τ − 0.1)</text>
      {lines.map((l, k) => {
        const c = COLORS[k % COLORS.length]!;
        const pts = arms.map((a, i) => ({ x: x(i), v: l.get(a)! }));
        return (
          <g key={l.name} data-set={l.name}>
            <polyline fill="none" stroke={c} strokeWidth={l.name === 'mean target' ? 3 : 1.5} strokeDasharray={l.name === 'source-val' ? '4 3' : undefined}
              points={pts.map((p) => `${p.x},${y(p.v.mean)}`).join(' ')} />
            {pts.map((p, i) => <line key={i} x1={p.x} x2={p.x} y1={y(p.v.mean - p.v.std)} y2={y(p.v.mean + p.v.std)} stroke={c} />)}
            <text x={W - R + 6} y={y(pts[pts.length - 1]!.v.mean) + 4} fontSize="11" fill={c}>{l.name}</text>
          </g>
        );
      })}
    </svg>
  );
}
