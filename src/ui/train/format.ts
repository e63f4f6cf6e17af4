/** Numbers as the Train page shows them. */

/** A fraction as a percentage with one decimal ("—" for none). */
export const pct = (v: number | undefined) => (v === undefined || Number.isNaN(v) ? '—' : `${(v * 100).toFixed(1)}`);
/** Seconds as "42 s" or "3 min 5 s". */
export const fmtTime = (s: number) => (s < 60 ? `${Math.round(s)} s` : `${Math.floor(s / 60)} min ${Math.round(s % 60)} s`);
