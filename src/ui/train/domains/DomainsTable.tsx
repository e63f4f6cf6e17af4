/**
 * The domains comparison's result: one row per test set, one column per arm — plain, AdvBN and the
 * controls (random δ uniform and matched, MixStyle, DSU), the arms with auxiliary BNs by the paper's rule
 * (clean BNs on source-val, auxiliary BNs on the targets), then each branch on every set — with Δ against
 * plain and its 95 % interval (paired bootstrap over seeds and test images), the verdicts from the
 * intervals, the time, and the §7 divergence.
 */
import { ARM_LABELS, type ArmSetStats } from '../../../common/domains-summary';
import { formatInterval, withinNoise, type Interval } from '../../../common/bootstrap';
import type { TrainDomainsResult } from '../../../worker/domains-protocol';
import { MSweepChart } from './MSweepChart';
import { BatchRows } from '../AdvbnBatchPreview';

const cell = (s: ArmSetStats | undefined) => (!s ? '—' : s.seeds.length > 1 ? `${s.mean.toFixed(1)} ± ${s.std.toFixed(1)}` : s.mean.toFixed(1));
const signed = (s: ArmSetStats | undefined) => (!s ? '—' : `${s.mean >= 0 ? '+' : ''}${s.mean.toFixed(1)}${s.seeds.length > 1 ? ` ± ${s.std.toFixed(1)}` : ''}`);
const cls = (s: ArmSetStats | undefined) => (!s ? '' : s.mean > 0.05 ? 'up' : s.mean < -0.05 ? 'down' : '');
/** A Δ with its bootstrap interval: coloured only when the interval leaves 0 out. */
const ciCls = (i: Interval) => (withinNoise(i) ? 'noise' : i.delta > 0 ? 'up' : 'down');
const BRANCH: Record<string, string> = {
  plain: 'its only (clean) BNs', advbn: 'rule: clean BNs on source-val, auxiliary BNs on targets',
  'random-uniform': 'rule: clean BNs on source-val, auxiliary BNs on targets', 'random-matched': 'rule: clean BNs on source-val, auxiliary BNs on targets',
  mixstyle: 'its only (clean) BNs', dsu: 'its only (clean) BNs',
};
const branchOf = (arm: string) => BRANCH[arm] ?? (arm.endsWith('-clean-bn') ? 'clean BNs on every set' : arm.endsWith('-aux-bn') ? 'auxiliary BNs on every set' : BRANCH.advbn!);

/** Δ against plain: with its 95 % interval (paired bootstrap) when there is one, else mean ± std over seeds. */
function DeltaCell({ d, ci }: { d: ArmSetStats | undefined; ci: Interval | undefined }) {
  if (ci) return <td className={ciCls(ci)} title={withinNoise(ci) ? 'within noise: the 95 % interval holds 0' : 'the 95 % interval leaves 0 out'}>{formatInterval(ci)}</td>;
  return <td className={cls(d)}>{signed(d)}</td>;
}

function Table({ r, arms, caption, testId }: { r: TrainDomainsResult; arms: string[]; caption: string; testId: string }) {
  const s = r.summary;
  const others = arms.filter((a) => a !== 'plain');
  return (
    <table className="report compare" data-testid={testId}>
      <caption>{caption}</caption>
      <thead>
        <tr><th>test set</th>{arms.map((a) => <th key={a} title={branchOf(a)}>{a}<br /><span className="muted small">{branchOf(a)}</span></th>)}{others.map((a) => <th key={`d-${a}`}>Δ {a}</th>)}</tr>
      </thead>
      <tbody>
        {s.sets.map((set) => (
          <tr key={set} data-set={set} className={set === 'source-val' ? 'clean-row' : ''}>
            <th scope="row">{set}</th>
            {arms.map((a) => <td key={a}>{cell(s.arms[a]?.[set])}</td>)}
            {others.map((a) => <DeltaCell key={`d-${a}`} d={s.delta[a]?.[set]} ci={s.bootstrap?.vsPlain[a]?.sets[set]} />)}
          </tr>
        ))}
        {Object.keys(s.meanTarget).length > 0 && (
          <tr className="mean-row" data-set="mean target">
            <th scope="row">mean target</th>
            {arms.map((a) => <td key={a}>{cell(s.meanTarget[a])}</td>)}
            {others.map((a) => <DeltaCell key={`d-${a}`} d={s.meanTargetDelta[a]} ci={s.bootstrap?.vsPlain[a]?.meanTarget ?? undefined} />)}
          </tr>
        )}
      </tbody>
    </table>
  );
}

export function DomainsTable({ result, decoderLayers }: { result: TrainDomainsResult; decoderLayers: string[] }) {
  const main = result.arms;
  const branches = Object.keys(result.summary.arms).filter((a) => a.endsWith('-clean-bn') || a.endsWith('-aux-bn'));
  const seeds = result.seeds;
  const f = (v: number | undefined) => (v === undefined || Number.isNaN(v) ? '—' : v.toFixed(3));
  const sets = result.summary.sets.filter((x) => x !== 'source-val');
  return (
    <div className="panel" data-testid="domains-report">
      <h3>{result.sweepM ? 'Accuracy against AdvBN strength (the paper\'s Figure 4)' : `Plain vs AdvBN${main.length > 2 ? ` vs ${main.slice(2).map((a) => ARM_LABELS[a] ?? a).join(', ')}` : ''} on unseen styles`}</h3>
      {result.sweepM && <MSweepChart summary={result.summary} ms={result.sweepM} arms={main} />}
      {result.verdicts.map((v) => <p key={v} className="verdict" data-testid="domains-verdict">{v}</p>)}
      <Table r={result} arms={main} testId="domains-table"
        caption={`Top-1 accuracy (%), mean ± std over ${seeds.length} seed${seeds.length > 1 ? 's' : ''} (${seeds.join(', ')}); Δ against plain [95 % interval, paired bootstrap over seeds and test images; uncoloured: within noise]. Each column says which BatchNorms its numbers use.`} />
      {branches.length > 0 && (
        <details>
          <summary>Each BN branch on every set</summary>
          <Table r={result} arms={['plain', ...branches]} testId="domains-branches" caption="The same runs, one BN branch on every set." />
        </details>
      )}
      <p className="muted small" data-testid="domains-timing">
        {result.steps} steps per arm and seed on {result.backend}; features {result.timing.imagesEncoded ? `computed for ${result.timing.imagesEncoded} images in ${result.timing.featureSeconds.toFixed(0)} s` : 'all from this browser\'s cache'};
        seconds per epoch: {main.map((a) => `${a} ${result.timing.secondsPerEpoch[a]?.toFixed(1)}`).join(', ')}; total {result.timing.totalSeconds.toFixed(0)} s.
      </p>
      {result.divergenceLayer && (
        <table className="report" data-testid="domains-divergence">
          <caption>Feature divergence (§7) between source-val and each set at {result.divergenceLayer} (seed {seeds[0]}, clean BNs) — lower: the layer sees the style shift less</caption>
          <thead><tr><th>set</th>{main.map((a) => <th key={a}>{a}</th>)}</tr></thead>
          <tbody>{sets.map((x) => <tr key={x}><th scope="row">{x}</th>{main.map((a) => <td key={a}>{f(result.divergence[a]?.[x])}</td>)}</tr>)}</tbody>
        </table>
      )}
      {result.batch ? (
        <div className="batch-preview" data-testid="domains-batch">
          <h4>AdvBN on a source training batch, decoded (the trained AdvBN network, seed {seeds[0]}, auxiliary BNs, at {result.batch.decoderLayer})</h4>
          <BatchRows res={result.batch} names={result.classes} />
        </div>
      ) : !result.sweepM && result.arms.includes('advbn') && (
        <p className="muted small" data-testid="domains-batch-none">No decoder for this split layer, so AdvBN on a training batch cannot be shown as pictures{decoderLayers.length ? `: split at a layer with one (${decoderLayers.join(', ')}) to see it` : ''}.</p>
      )}
    </div>
  );
}
