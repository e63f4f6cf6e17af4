/**
 * The Train page's robustness report: top-1 accuracy per test set and the §7 feature divergence per
 * layer, base model vs fine-tuned.
 */
import type { Report } from '../../common/train-types';
import { pct } from './format';

export function ReportTable({ before, after }: { before: Report; after: Report }) {
  const names = Object.keys(after.accuracy);
  const row = (name: string, b: number, a: number, cls = '') => (
    <tr key={name} className={cls} data-set={name}>
      <th scope="row">{name}</th><td>{pct(b)}</td><td>{pct(a)}</td>
      <td className={a - b > 0.0005 ? 'up' : a - b < -0.0005 ? 'down' : ''}>{a - b >= 0 ? '+' : ''}{((a - b) * 100).toFixed(1)}</td>
    </tr>
  );
  return (
    <table className="report" data-testid="report-table">
      <caption>Top-1 accuracy (%) per test set: base model vs fine-tuned</caption>
      <thead><tr><th>test set</th><th>base</th><th>fine-tuned</th><th>Δ</th></tr></thead>
      <tbody>
        {names.map((n) => row(n, before.accuracy[n]!, after.accuracy[n]!, n === 'clean' ? 'clean-row' : ''))}
        {!Number.isNaN(after.meanStyle) && row('mean held-out style', before.meanStyle, after.meanStyle, 'mean-row')}
        {!Number.isNaN(after.meanCorruption) && row('mean corruption', before.meanCorruption, after.meanCorruption, 'mean-row')}
      </tbody>
    </table>
  );
}

export function DivergenceTable({ before, after }: { before: Report; after: Report }) {
  const layers = Object.keys(after.divergenceMean);
  if (!layers.length) return null;
  const hasStyle = layers.some((l) => !Number.isNaN(after.divergenceMean[l]!.style));
  const f = (v: number | undefined) => (v === undefined || Number.isNaN(v) ? '—' : v.toFixed(3));
  return (
    <table className="report" data-testid="divergence-table">
      <caption>Feature divergence (§7, symmetric KL per channel) between clean and shifted test sets — lower means the layer sees the shift less</caption>
      <thead><tr><th>layer</th>{hasStyle && <><th>styles: base</th><th>fine-tuned</th></>}<th>corruptions: base</th><th>fine-tuned</th></tr></thead>
      <tbody>
        {layers.map((l) => (
          <tr key={l}>
            <th scope="row">{l}</th>
            {hasStyle && <><td>{f(before.divergenceMean[l]?.style)}</td><td>{f(after.divergenceMean[l]?.style)}</td></>}
            <td>{f(before.divergenceMean[l]?.corruption)}</td><td>{f(after.divergenceMean[l]?.corruption)}</td>
          </tr>
        ))}
      </tbody>
    </table>
  );
}
