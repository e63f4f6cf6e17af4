/**
 * node --import tsx scripts/merge-domains.ts a.json b.json … [--markdown] [--order plain,advbn,…]
 * Joins `advbn train --data … --json` runs of one comparison that were split by seed or by arm (one
 * process each, on a shared machine) and prints the joined summary with its bootstrap intervals and
 * verdicts as JSON, or with --markdown the table and verdicts (columns in --order, else as the runs name them).
 */
import { readFileSync } from 'node:fs';
import { mergeDomainRuns, type DomainRunJson } from '../src/common/domains-merge';
import { domainMarkdown, domainVerdicts } from '../src/common/domains-summary';

const args = process.argv.slice(2);
const markdown = args.includes('--markdown');
const orderAt = args.indexOf('--order');
const order = orderAt >= 0 ? args[orderAt + 1]?.split(',') : undefined;
const files = args.filter((a, i) => a !== '--markdown' && (orderAt < 0 || (i !== orderAt && i !== orderAt + 1)));
if (!files.length) {
  process.stderr.write('usage: node --import tsx scripts/merge-domains.ts a.json b.json … [--markdown] [--order plain,advbn,…]\n');
  process.exit(2);
}
const runs = files.map((f) => JSON.parse(readFileSync(f, 'utf8').trim().split('\n').pop()!) as DomainRunJson);
const { summary, armNames } = mergeDomainRuns(runs);
const verdicts = domainVerdicts(summary);
if (markdown) {
  process.stdout.write(domainMarkdown(summary, order ?? armNames) + '\n\n');
  const branches = Object.keys(summary.arms).filter((a) => a.endsWith('-clean-bn') || a.endsWith('-aux-bn'));
  if (branches.length) process.stdout.write(domainMarkdown(summary, ['plain', ...branches]) + '\n\n');
  for (const v of verdicts) process.stdout.write(v + '\n');
} else {
  process.stdout.write(JSON.stringify({ ...summary, verdicts, files }) + '\n');
}
