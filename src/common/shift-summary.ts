/**
 * One sentence that says what a side-by-side comparison of shifts shows for one image, computed from
 * its numbers (p of the compared class under each shift). No tfjs: the page computes it.
 */
export interface ShiftNumbers {
  className: string;
  eps: number;
  /** p(class) on the clean image and under AdvBN's δ. */
  clean: number;
  adversarial: number;
  /** p(class) under each uniform random draw, δμ, δσ ~ U[1 − ε, 1 + ε]. */
  random: number[];
  /**
   * p(class) under each magnitude-matched draw: AdvBN's per-channel sizes |δ − 1|, permuted across
   * channels, random signs (random-delta.ts). When given, it is the "random δ of the same size".
   */
  matched?: number[];
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

/** Below this change of p (2 points) a shift "does not move" the prediction. */
const MOVE = 0.02;

/**
 * How the adversarial drop compares with the random draws' drops, from their spread: a ratio only when
 * the draws' spread (mean ± sd, two or more draws) stays clear of both 0 and the adversarial drop.
 */
function directionVerdict(advDrop: number, drops: number[], c: { one: string; draws: string }): string {
  const r = meanSpread(drops);
  if (advDrop <= MOVE && r.max <= MOVE) return 'neither moves the prediction at this strength';
  if (advDrop <= MOVE) return `AdvBN's δ does not move it, ${c.one} does (up to ${pct(r.max)} of p lost)`;
  if (r.max >= advDrop) return `one of the ${c.draws} moves it as much as the adversarial δ (up to ${pct(r.max)} of p lost against AdvBN's ${pct(advDrop)})`;
  if (drops.length < 2) return `the adversarial direction moves it more than the one draw of ${c.one} (one draw: no spread, no ratio)`;
  const lo = r.mean - r.sd, hi = r.mean + r.sd;
  if (hi >= advDrop) return `the adversarial direction moves it more on average, within the spread of the ${c.draws} (${pct(r.mean)} ± ${Math.round(100 * r.sd)} of p lost against ${pct(advDrop)})`;
  if (lo <= 0.005) return `the adversarial direction moves it where the ${c.draws}, spread around no change (${r.mean < 0 ? '−' : ''}${pct(Math.abs(r.mean))} ± ${Math.round(100 * r.sd)} of p lost), do not`;
  const x = (v: number) => v.toFixed(v < 10 ? 1 : 0);
  return `the adversarial direction moves it ${x(advDrop / r.mean)}× as much as ${c.one} (${x(advDrop / hi)}–${x(advDrop / lo)}× over the draws' mean ± sd)`;
}

export function shiftSummary(n: ShiftNumbers): string {
  const advDrop = n.clean - n.adversarial;
  const parts: string[] = [`At ε ${n.eps}, AdvBN's δ takes p(${n.className}) from ${pct(n.clean)} to ${pct(n.adversarial)}`];
  const draws = (v: number[]) => {
    const r = meanSpread(v);
    return v.length > 1 ? `gives ${Math.round(100 * r.mean)} ± ${Math.round(100 * r.sd)} % (${v.length} draws)` : `gives ${pct(r.mean)}`;
  };
  let verdict = '';
  const matched = n.matched?.length ? n.matched : null;
  if (matched) {
    parts.push(`random δ of the same size (AdvBN's sizes per channel, random direction) ${draws(matched)}`);
    verdict = directionVerdict(advDrop, matched.map((p) => n.clean - p), { one: 'a random δ of the same size', draws: 'same-size random draws' });
  }
  if (n.random.length) {
    parts.push(`uniform random δ in [1 − ε, 1 + ε] ${draws(n.random)}`);
    if (!matched) verdict = directionVerdict(advDrop, n.random.map((p) => n.clean - p), { one: 'a uniform random δ', draws: 'uniform random draws' });
  }
  const others: Array<[string, number, number]> = [];
  if (n.adain) {
    parts.push(`AdaIN to the style image (α ${n.adain.alpha}) gives ${pct(n.adain.p)}`);
    others.push(['the style transfer', n.clean - n.adain.p, n.adain.p]);
  }
  if (n.corruption) {
    parts.push(`${n.corruption.name} at severity ${n.corruption.severity} gives ${pct(n.corruption.p)}`);
    others.push([`the ${n.corruption.name}`, n.clean - n.corruption.p, n.corruption.p]);
  }
  let sentence = parts.slice(0, -1).join('; ') + (parts.length > 1 ? '; ' : '') + parts[parts.length - 1];
  if (verdict) sentence += `: ${verdict}`;
  if (others.length) {
    const raised = others.filter(([, drop]) => drop < -0.005);
    const lowering = others.filter(([, drop]) => drop > 0.005);
    const tail: string[] = [];
    if (lowering.length) {
      const [name, drop] = lowering.reduce((a, b) => (b[1] > a[1] ? b : a));
      tail.push(drop >= advDrop - MOVE
        ? `${name} moves it as much as AdvBN`
        : `of the natural shifts ${name} comes closest (${pct(drop)} of p lost against AdvBN's ${pct(advDrop)})`);
    } else {
      tail.push('no natural shift here lowers p');
    }
    for (const [name, , p] of raised) tail.push(`${name} raised p (to ${pct(p)})`);
    sentence += `, and ${tail.join('; ')}`;
  }
  return sentence + '.';
}
