/**
 * The comparison table: per test set, the base model, plain fine-tuning, AdvBN fine-tuning and
 * Δ = AdvBN − plain (mean ± std over seeds; Δ paired by seed). The row that matters — mean held-out
 * style — is highlighted, with a one-line verdict that says whether the gain exceeds the seed noise.
 */
import type { MeanStd, SummaryRow } from '../../common/compare-summary';

const pct = (v: number) => (Number.isNaN(v) ? '—' : (v * 100).toFixed(1));
const pm = (m: MeanStd) => (m.n > 1 ? `${pct(m.mean)} ± ${pct(m.std)}` : pct(m.mean));
const signed = (m: MeanStd) => `${m.mean >= 0 ? '+' : ''}${pct(m.mean)}${m.n > 1 ? ` ± ${pct(m.std)}` : ''}`;

/**
 * Plain words for the held-out-style row. A rough guide, not a test: the gain counts as beyond the noise
 * when it exceeds twice its standard error over the seeds (paired differences).
 */
export function verdict(row: SummaryRow | undefined): string {
  if (!row) return '';
  const d = row.delta;
  const gain = `${d.mean >= 0 ? '+' : ''}${(d.mean * 100).toFixed(1)} points`;
  if (d.n < 2) return `AdvBN vs plain on held-out styles: ${gain} (one seed: run more seeds to see whether it exceeds the noise).`;
  const se = d.std / Math.sqrt(d.n);
  const clear = Math.abs(d.mean) > 2 * se;
  return `AdvBN vs plain on held-out styles: ${gain} ± ${(d.std * 100).toFixed(1)} (std over ${d.n} seeds) — ${clear ? (d.mean > 0 ? 'more than twice its standard error: a gain beyond the seed noise' : 'AdvBN is worse, beyond the seed noise') : 'within the seed noise'}.`;
}

export function CompareTable({ rows, seeds, descriptions }: { rows: SummaryRow[]; seeds: number[]; descriptions?: Record<string, string> }) {
  return (
    <table className="report compare" data-testid="compare-table" data-seeds={seeds.length}>
      <caption>Top-1 accuracy (%) per test set{seeds.length > 1 ? `, mean ± std over ${seeds.length} seeds (${seeds.join(', ')})` : ` (seed ${seeds[0]})`}. Δ = AdvBN − plain, paired by seed.</caption>
      <thead><tr><th>test set</th><th>base</th><th>plain fine-tuning</th><th>AdvBN fine-tuning</th><th>Δ vs plain</th></tr></thead>
      <tbody>
        {rows.map((r) => (
          <tr key={r.set} data-set={r.set} className={r.kind === 'mean' ? 'mean-row' : r.kind === 'clean' ? 'clean-row' : ''} title={descriptions?.[r.set]}>
            <th scope="row">{r.set}{r.kind === 'style' && <span className="muted small"> (held-out style)</span>}</th>
            <td>{pct(r.base)}</td><td>{pm(r.plain)}</td><td>{pm(r.advbn)}</td>
            <td className={r.delta.mean > 0.0005 ? 'up' : r.delta.mean < -0.0005 ? 'down' : ''}>{signed(r.delta)}</td>
          </tr>
        ))}
      </tbody>
    </table>
  );
}
