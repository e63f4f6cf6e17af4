/**
 * A minimal, non-executing reader for Python pickles, enough for PyTorch state dicts.
 *
 * Why our own: no maintained JavaScript unpickler handles PyTorch's persistent ids (the references
 * from tensors to their storages), and a general unpickler would have to call arbitrary Python
 * callables. This one never calls anything: GLOBAL yields a {@link PyGlobal} name, REDUCE/NEWOBJ a
 * {@link PyCall} record of "callable + arguments" (except `collections.OrderedDict`, which becomes a
 * Map), and BINPERSID hands the persistent id to the caller. The torch reader then interprets the few
 * calls a state dict contains (`torch._utils._rebuild_tensor_v2`, `_rebuild_parameter`) and reports
 * anything else by name. Opcodes: those of protocols 2–4 that plain data uses (no text-mode opcodes
 * of protocol 0/1 beyond what Python 2 era torch files contain).
 */

export class PickleError extends Error {}

export interface PyGlobal { kind: 'global'; module: string; name: string; }
export interface PyCall { kind: 'call'; callable: unknown; args: unknown[]; state?: unknown; }
export type PyDict = Map<unknown, unknown>;

export function isGlobal(x: unknown, module?: string, name?: string): x is PyGlobal {
  const g = x as PyGlobal;
  return !!g && typeof g === 'object' && g.kind === 'global' && (module === undefined || g.module === module) && (name === undefined || g.name === name);
}
export function isCall(x: unknown): x is PyCall {
  return !!x && typeof x === 'object' && (x as PyCall).kind === 'call';
}
/** "module.name" of a call's callable, or '?' . */
export function callName(c: PyCall): string {
  return isGlobal(c.callable) ? `${c.callable.module}.${c.callable.name}` : '?';
}

const MARK = Symbol('mark');

export interface PickleResult { value: unknown; end: number; }

/**
 * Reads one pickle starting at `start` of `bytes`; returns the value and the offset after STOP.
 * `persistentLoad` turns a persistent id (BINPERSID) into a value.
 */
export function readPickle(bytes: Uint8Array, start = 0, persistentLoad: (pid: unknown) => unknown = (p) => p): PickleResult {
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const text = new TextDecoder();
  const latin1 = new TextDecoder('latin1');
  let pos = start;
  const stack: unknown[] = [];
  const memo = new Map<number, unknown>();
  const need = (n: number) => {
    if (pos + n > bytes.length) throw new PickleError(`pickle ends early (at byte ${bytes.length}, needed ${pos + n}): the file is truncated.`);
  };
  const u8 = () => { need(1); return bytes[pos++]!; };
  const u16 = () => { need(2); const v = view.getUint16(pos, true); pos += 2; return v; };
  const u32 = () => { need(4); const v = view.getUint32(pos, true); pos += 4; return v; };
  const i32 = () => { need(4); const v = view.getInt32(pos, true); pos += 4; return v; };
  const u64 = () => { need(8); const v = Number(view.getBigUint64(pos, true)); pos += 8; return v; };
  const take = (n: number) => { need(n); const b = bytes.subarray(pos, pos + n); pos += n; return b; };
  const line = () => {
    const e = bytes.indexOf(0x0a, pos);
    if (e < 0) throw new PickleError('pickle ends early inside a text line: the file is truncated.');
    const s = latin1.decode(bytes.subarray(pos, e));
    pos = e + 1;
    return s;
  };
  const pop = () => {
    if (!stack.length) throw new PickleError(`pickle stack underflow at byte ${pos}: not a pickle this reader understands.`);
    return stack.pop();
  };
  const popMark = (): unknown[] => {
    const items: unknown[] = [];
    for (;;) {
      const v = pop();
      if (v === MARK) return items.reverse();
      items.push(v);
    }
  };
  const top = () => stack[stack.length - 1];
  const setItems = (d: unknown, kv: unknown[]) => {
    if (!(d instanceof Map)) throw new PickleError(`SETITEM(S) on a ${describe(d)}, expected a dict.`);
    for (let i = 0; i + 1 < kv.length; i += 2) d.set(kv[i], kv[i + 1]);
  };
  const append = (l: unknown, items: unknown[]) => {
    if (!Array.isArray(l)) throw new PickleError(`APPEND(S) on a ${describe(l)}, expected a list.`);
    l.push(...items);
  };
  const call = (callable: unknown, args: unknown[]): unknown => {
    if (isGlobal(callable, 'collections', 'OrderedDict')) return new Map();
    if (isGlobal(callable, '__builtin__', 'set') || isGlobal(callable, 'builtins', 'set')) return new Set(Array.isArray(args[0]) ? args[0] : []);
    return { kind: 'call', callable, args } satisfies PyCall;
  };
  for (;;) {
    const at = pos;
    const op = u8();
    switch (op) {
      case 0x80: u8(); break; // PROTO
      case 0x95: u64(); break; // FRAME (protocol 4): a hint only
      case 0x2e: // STOP
        if (stack.length !== 1) throw new PickleError(`pickle STOP with ${stack.length} values on the stack.`);
        return { value: stack[0], end: pos };
      case 0x28: stack.push(MARK); break; // MARK
      case 0x7d: stack.push(new Map()); break; // EMPTY_DICT
      case 0x5d: stack.push([]); break; // EMPTY_LIST
      case 0x29: stack.push([]); break; // EMPTY_TUPLE (tuples are arrays)
      case 0x8f: stack.push(new Set()); break; // EMPTY_SET
      case 0x4e: stack.push(null); break; // NONE
      case 0x88: stack.push(true); break; // NEWTRUE
      case 0x89: stack.push(false); break; // NEWFALSE
      case 0x4b: stack.push(u8()); break; // BININT1
      case 0x4d: stack.push(u16()); break; // BININT2
      case 0x4a: stack.push(i32()); break; // BININT
      case 0x8a: { // LONG1
        const n = u8();
        const b = take(n);
        let v = 0n;
        for (let i = n - 1; i >= 0; i--) v = (v << 8n) | BigInt(b[i]!);
        if (n && b[n - 1]! & 0x80) v -= 1n << BigInt(8 * n);
        stack.push(v >= BigInt(Number.MIN_SAFE_INTEGER) && v <= BigInt(Number.MAX_SAFE_INTEGER) ? Number(v) : v);
        break;
      }
      case 0x47: { need(8); stack.push(view.getFloat64(pos, false)); pos += 8; break; } // BINFLOAT (big-endian)
      case 0x58: stack.push(text.decode(take(u32()))); break; // BINUNICODE
      case 0x8c: stack.push(text.decode(take(u8()))); break; // SHORT_BINUNICODE
      case 0x8d: stack.push(text.decode(take(u64()))); break; // BINUNICODE8
      case 0x55: stack.push(latin1.decode(take(u8()))); break; // SHORT_BINSTRING (Python 2 str)
      case 0x54: stack.push(latin1.decode(take(i32()))); break; // BINSTRING
      case 0x43: stack.push(take(u8()).slice()); break; // SHORT_BINBYTES
      case 0x42: stack.push(take(u32()).slice()); break; // BINBYTES
      case 0x74: stack.push(popMark()); break; // TUPLE
      case 0x85: stack.push([pop()]); break; // TUPLE1
      case 0x86: { const b = pop(); const a = pop(); stack.push([a, b]); break; } // TUPLE2
      case 0x87: { const c = pop(); const b = pop(); const a = pop(); stack.push([a, b, c]); break; } // TUPLE3
      case 0x6c: stack.push(popMark()); break; // LIST
      case 0x64: { const kv = popMark(); const d = new Map(); setItems(d, kv); stack.push(d); break; } // DICT
      case 0x73: { const v = pop(); const k = pop(); setItems(top(), [k, v]); break; } // SETITEM
      case 0x75: { const kv = popMark(); setItems(top(), kv); break; } // SETITEMS
      case 0x61: { const v = pop(); append(top(), [v]); break; } // APPEND
      case 0x65: { const items = popMark(); append(top(), items); break; } // APPENDS
      case 0x90: { const items = popMark(); const s = top(); if (s instanceof Set) items.forEach((i) => s.add(i)); break; } // ADDITEMS
      case 0x91: stack.push(new Set(popMark())); break; // FROZENSET
      case 0x63: { const module = line(); const name = line(); stack.push({ kind: 'global', module, name } satisfies PyGlobal); break; } // GLOBAL
      case 0x93: { const name = pop(); const module = pop(); stack.push({ kind: 'global', module: String(module), name: String(name) } satisfies PyGlobal); break; } // STACK_GLOBAL
      case 0x52: { const args = pop(); const f = pop(); stack.push(call(f, Array.isArray(args) ? args : [args])); break; } // REDUCE
      case 0x81: { const args = pop(); const cls = pop(); stack.push(call(cls, Array.isArray(args) ? args : [args])); break; } // NEWOBJ
      case 0x92: { pop(); const args = pop(); const cls = pop(); stack.push(call(cls, Array.isArray(args) ? args : [args])); break; } // NEWOBJ_EX
      case 0x62: { // BUILD: a state for the object below; kept on calls, ignored on dicts (torch's _metadata)
        const state = pop();
        const obj = top();
        if (isCall(obj)) obj.state = state;
        break;
      }
      case 0x51: stack.push(persistentLoad(pop())); break; // BINPERSID
      case 0x71: memo.set(u8(), top()); break; // BINPUT
      case 0x72: memo.set(u32(), top()); break; // LONG_BINPUT
      case 0x94: memo.set(memo.size, top()); break; // MEMOIZE
      case 0x68: case 0x6a: { // BINGET, LONG_BINGET
        const k = op === 0x68 ? u8() : u32();
        if (!memo.has(k)) throw new PickleError(`pickle refers to memo entry ${k}, which was never stored.`);
        stack.push(memo.get(k));
        break;
      }
      case 0x30: pop(); break; // POP
      case 0x31: popMark(); break; // POP_MARK
      case 0x32: stack.push(top()); break; // DUP
      default:
        throw new PickleError(`pickle opcode 0x${op.toString(16)} at byte ${at} is not one that state dicts use.`);
    }
  }
}

/** A short description of a pickled value for error messages. */
export function describe(v: unknown): string {
  if (v === null) return 'None';
  if (v instanceof Map) return `dict with keys ${[...v.keys()].slice(0, 6).map((k) => JSON.stringify(String(k))).join(', ')}${v.size > 6 ? ', …' : ''}`;
  if (Array.isArray(v)) return `tuple/list of ${v.length}`;
  if (isCall(v)) return `${callName(v)}(…) object`;
  if (isGlobal(v)) return `${v.module}.${v.name}`;
  return typeof v;
}
