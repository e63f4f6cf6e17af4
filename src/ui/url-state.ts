/**
 * URL ⇄ state, like TensorFlow Playground's state.ts: each store declares which of its fields are
 * serialised, with their types; the hash holds them as `#page?key=value&…` so a link reproduces a view.
 */
export type FieldType = 'number' | 'string' | 'boolean';
/**
 * Field name → its type; `{ type, param }` for a field whose URL parameter has another name (a field
 * renamed after links with the old name were shared: the links keep working).
 */
export type FieldSpec = Record<string, FieldType | { type: FieldType; param: string }>;

/** Each field of `spec` with its type and its URL parameter's name. */
const fieldsOf = (spec: FieldSpec) =>
  Object.entries(spec).map(([key, f]) => (typeof f === 'string' ? { key, type: f, param: key } : { key, ...f }));

export function readHash(hash = globalThis.location?.hash ?? ''): { page: string; params: URLSearchParams } {
  const h = hash.replace(/^#\/?/, '');
  const q = h.indexOf('?');
  return { page: q >= 0 ? h.slice(0, q) : h, params: new URLSearchParams(q >= 0 ? h.slice(q + 1) : '') };
}

/** Parses the fields of `spec` present in params; drops values that do not parse (NaN, bad booleans). */
export function parseFields<T extends Record<string, unknown>>(params: URLSearchParams, spec: FieldSpec): Partial<T> {
  const out: Record<string, unknown> = {};
  for (const { key, type, param } of fieldsOf(spec)) {
    const raw = params.get(param);
    if (raw === null) continue;
    if (type === 'number') {
      const n = Number(raw);
      if (raw.trim() !== '' && Number.isFinite(n)) out[key] = n;
    } else if (type === 'boolean') {
      if (raw === '1' || raw === 'true') out[key] = true;
      else if (raw === '0' || raw === 'false') out[key] = false;
    } else out[key] = raw;
  }
  return out as Partial<T>;
}

export function serializeFields(state: Record<string, unknown>, spec: FieldSpec): URLSearchParams {
  const p = new URLSearchParams();
  for (const { key, type, param } of fieldsOf(spec)) {
    const v = state[key];
    if (v === undefined || v === null || v === '') continue;
    p.set(param, type === 'boolean' ? (v ? '1' : '0') : String(v));
  }
  return p;
}

export function writeHash(page: string, params: URLSearchParams): void {
  const q = params.toString();
  const next = `#/${page}${q ? '?' + q : ''}`;
  if (globalThis.location && globalThis.location.hash !== next) history.replaceState(null, '', next);
}
