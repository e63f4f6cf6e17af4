/** A small argument parser: `--name value`, `--flag`, `--no-flag`, positional words. */
export interface ParsedArgs {
  positional: string[];
  options: Map<string, string | boolean>;
  /** Every value of each option, in order (a repeated option: `--extra-test A --extra-test B`). */
  all?: Map<string, Array<string | boolean>>;
}

export function parseArgs(argv: string[]): ParsedArgs {
  const positional: string[] = [];
  const options = new Map<string, string | boolean>();
  const all = new Map<string, Array<string | boolean>>();
  const set = (k: string, v: string | boolean) => { options.set(k, v); all.set(k, [...(all.get(k) ?? []), v]); };
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i]!;
    if (a.startsWith('--')) {
      const eq = a.indexOf('=');
      if (eq > 0) { set(a.slice(2, eq), a.slice(eq + 1)); continue; }
      const name = a.slice(2);
      const next = argv[i + 1];
      if (next !== undefined && !next.startsWith('--')) { set(name, next); i++; }
      else if (name.startsWith('no-')) set(name.slice(3), false);
      else set(name, true);
    } else positional.push(a);
  }
  return { positional, options, all };
}

export class UsageError extends Error {}

export class Options {
  private used = new Set<string>();
  constructor(private args: ParsedArgs) {}
  /** Words that are not options (after the command name). */
  positional(): string[] {
    return [...this.args.positional];
  }
  string(name: string, fallback?: string): string {
    this.used.add(name);
    const v = this.args.options.get(name);
    if (v === undefined) {
      if (fallback === undefined) throw new UsageError(`--${name} is required.`);
      return fallback;
    }
    if (typeof v !== 'string') throw new UsageError(`--${name} needs a value.`);
    return v;
  }
  /** Every value of a repeatable option (none: []). */
  strings(name: string): string[] {
    this.used.add(name);
    const vs = this.args.all?.get(name) ?? (this.args.options.has(name) ? [this.args.options.get(name)!] : []);
    return vs.map((v) => {
      if (typeof v !== 'string') throw new UsageError(`--${name} needs a value.`);
      return v;
    });
  }
  optionalString(name: string): string | undefined {
    this.used.add(name);
    const v = this.args.options.get(name);
    if (v === undefined) return undefined;
    if (typeof v !== 'string') throw new UsageError(`--${name} needs a value.`);
    return v;
  }
  number(name: string, fallback?: number): number {
    const raw = this.optionalString(name);
    if (raw === undefined) {
      if (fallback === undefined) throw new UsageError(`--${name} is required.`);
      return fallback;
    }
    const n = Number(raw);
    if (raw.trim() === '' || !Number.isFinite(n)) throw new UsageError(`--${name} must be a finite number, got "${raw}".`);
    return n;
  }
  integer(name: string, fallback?: number): number {
    const n = this.number(name, fallback);
    if (!Number.isInteger(n)) throw new UsageError(`--${name} must be a whole number, got ${n}.`);
    return n;
  }
  optionalInteger(name: string): number | undefined {
    return this.args.options.has(name) ? this.integer(name) : (this.used.add(name), undefined);
  }
  flag(name: string, fallback = false): boolean {
    this.used.add(name);
    const v = this.args.options.get(name);
    if (v === undefined) return fallback;
    if (typeof v === 'boolean') return v;
    if (v === 'true') return true;
    if (v === 'false') return false;
    throw new UsageError(`--${name} is a flag; got "${v}".`);
  }
  /** Throws on options the command does not know (typos should not be silently ignored). */
  done(): void {
    const unknown = [...this.args.options.keys()].filter((k) => !this.used.has(k));
    if (unknown.length) throw new UsageError(`Unknown option(s): ${unknown.map((u) => '--' + u).join(', ')}.`);
  }
}
