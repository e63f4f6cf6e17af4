/**
 * One sentence that says what a side-by-side comparison of shifts shows for one image, computed from
 * its numbers (p of the compared class under each shift). No tfjs: the page computes it.
 */
export interface ShiftNumbers {
  className: string;
  eps: number;
  /** p(class) on the clean image, under AdvBN's δ, and under each random draw of the same ε. */
  clean: number;
  adversarial: number;
  random: number[];
  /** AdaIN to a style image at α, when one was given. */
  adain?: { p: number; alpha: number };
  /** A corruption of the photo, when one was chosen. */
  corruption?: { p: number; name: string; severity: number };
}

/** The corruptions with five severities (ImageNet-C style), by name: the page's menu and the data layer's table. */
export const SEVERITY_CORRUPTIONS = ['noise', 'blur', 'contrast', 'brightness', 'jpeg', 'pixelate'] as const;
export type SeverityCorruption = (typeof SEVERITY_CORRUPTIONS)[number];

const pct = (p: number) => `${Math.round(100 * p)} %`;

export function meanSpread(v: readonly number[]): { mean: number; sd: number; min: number; max: number } {
  const mean = v.reduce((a, b) => a + b, 0) / v.length;
  const sd = Math.sqrt(v.reduce((a, b) => a + (b - mean) ** 2, 0) / Math.max(1, v.length - 1));
  return { mean, sd, min: Math.min(...v), max: Math.max(...v) };
}

export function shiftSummary(n: ShiftNumbers): string {
  const advDrop = n.clean - n.adversarial;
  const parts: string[] = [`At ε ${n.eps}, AdvBN's δ takes p(${n.className}) from ${pct(n.clean)} to ${pct(n.adversarial)}`];
  let verdict = '';
  if (n.random.length) {
    const r = meanSpread(n.random);
    const rndDrop = n.clean - r.mean;
    parts.push(`random δ of the same size ${n.random.length > 1 ? `gives ${Math.round(100 * r.mean)} ± ${Math.round(100 * r.sd)} % (${n.random.length} draws)` : `gives ${pct(r.mean)}`}`);
    if (advDrop <= 0.02 && rndDrop <= 0.02) verdict = 'neither moves the prediction at this strength';
    else if (advDrop > 2 * Math.max(rndDrop, 0.01)) verdict = `the adversarial direction moves it ${rndDrop > 0.005 ? `${(advDrop / rndDrop).toFixed(advDrop / rndDrop < 10 ? 1 : 0)}× as much as` : 'where'} a random one${rndDrop > 0.005 ? '' : ' does not'}`;
    else if (advDrop > rndDrop) verdict = 'the adversarial direction moves it somewhat more than a random one';
    else verdict = 'here a random δ moves it as much as the adversarial one';
  }
  const others: Array<[string, number]> = [];
  if (n.adain) {
    parts.push(`AdaIN to the style image (α ${n.adain.alpha}) gives ${pct(n.adain.p)}`);
    others.push(['the style transfer', n.clean - n.adain.p]);
  }
  if (n.corruption) {
    parts.push(`${n.corruption.name} at severity ${n.corruption.severity} gives ${pct(n.corruption.p)}`);
    others.push([`the ${n.corruption.name}`, n.clean - n.corruption.p]);
  }
  let sentence = parts.slice(0, -1).join('; ') + (parts.length > 1 ? '; ' : '') + parts[parts.length - 1];
  if (verdict) sentence += `: ${verdict}`;
  if (others.length) {
    const [name, drop] = others.reduce((a, b) => (b[1] > a[1] ? b : a));
    sentence += drop >= advDrop - 0.02
      ? `, and ${name} moves it as much as AdvBN`
      : `, and of the natural shifts ${name} comes closest (${pct(Math.max(0, drop))} of p lost against AdvBN's ${pct(advDrop)})`;
  }
  return sentence + '.';
}
