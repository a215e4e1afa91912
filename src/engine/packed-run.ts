// Packed runs: many key/value pairs in two byte arenas with Uint32 offset arrays, the unit of bulk
// work (sortRuns in bulk-sort.ts, Store.ingestRuns). No object per entry, so a million pairs cost
// a few typed arrays, and a worker thread reads them in place when they sit in SharedArrayBuffers.
//
// This file owns the PackedRun shape, the growable PackedRunBuilder, and the small helpers both
// threads use on runs (comparing entries, copying a run into shared memory).

import { compareRange } from "../format/compare.js";
import { InvalidArgumentError } from "./errors.js";

/** The heads of a composed run (see PackedRun.heads). */
export interface RunHeads {
  /** Heads back to back; head h is keys[keyOffsets[h] .. keyOffsets[h+1]). */
  keys: Uint8Array;
  /** Length `count` + 1 (or more). */
  keyOffsets: Uint32Array;
  count: number;
  /** of[i]: the head that key i starts with (length at least the run's count). */
  of: Uint32Array;
}

export interface PackedRun {
  /**
   * Keys back to back; key i is keys[keyOffsets[i] .. keyOffsets[i+1]), or, in a run with
   * `heads`, the rest of key i after its head.
   */
  keys: Uint8Array;
  /** Length count+1 (or more; entries past `count` are ignored). */
  keyOffsets: Uint32Array;
  /** Optional values, same layout; absent means every value is empty. */
  values?: Uint8Array;
  valueOffsets?: Uint32Array;
  count: number;
  /**
   * The keys are only ever read by range scans, never looked up one by one (a table's secondary
   * index entries, say): `Store.ingestRuns` writes the run's files without a bloom filter, which
   * would cost time to build and bytes to store and never be asked.
   */
  rangeOnly?: boolean;
  /**
   * A hint for sorting (length `count`): key i is a prefix, its first `prefixEnds[i]` bytes, then a
   * suffix, and entries with equal prefixes probably already come in the order of their suffixes
   * (a secondary index's entries end with the primary key; rows loaded in primary key order give
   * exactly this). `sortRuns` then groups equal prefixes instead of comparing whole keys, and sorts
   * the usual way when the hint does not hold. The sorted run does not carry it.
   */
  prefixEnds?: Uint32Array;
  /**
   * A composed run (run-compose.ts): key i is head `heads.of[i]` followed by the bytes `keys` holds
   * for it, so a head many keys share is stored once. `Store.ingestRuns` writes such runs as any
   * other; `sortRuns` does not take them (they come sorted).
   */
  heads?: RunHeads;
}

export interface PackedRunBuilderOptions {
  /** Back the arenas with SharedArrayBuffers, so workers read them without a copy (default true). */
  shared?: boolean;
  /** Initial capacities (they grow by doubling). */
  entries?: number;
  keyBytes?: number;
  valueBytes?: number;
  /** Keep a value arena (default true); without one every value is empty and `add` ignores values. */
  values?: boolean;
}

const EMPTY = new Uint8Array(0);

function allocBytes(n: number, shared: boolean): Uint8Array {
  return shared ? new Uint8Array(new SharedArrayBuffer(n)) : new Uint8Array(n);
}

function allocOffsets(n: number, shared: boolean): Uint32Array {
  return shared ? new Uint32Array(new SharedArrayBuffer(n * 4)) : new Uint32Array(n);
}

/** True when the array's bytes live in a SharedArrayBuffer (readable by workers without a copy). */
export function isShared(a: ArrayBufferView | undefined): boolean {
  return a === undefined || a.buffer instanceof SharedArrayBuffer;
}

/**
 * Appends entries into growable arenas. Either `add` whole keys and values, or build an entry in
 * pieces (`keyByte`, `keyBytes`, `keyAscii`, `valueBytes`, ...) and close it with `end()`: that
 * writes composite keys straight into the arena without an intermediate array per key.
 * `finish()` hands out the run (views of the arenas, no copy) and resets the builder.
 */
export class PackedRunBuilder {
  private readonly shared: boolean;
  private readonly hasValues: boolean;
  private keys: Uint8Array;
  private keyOffsets: Uint32Array;
  private values: Uint8Array;
  private valueOffsets: Uint32Array;
  /** End of the bytes written so far (the open entry's bytes included). */
  private keyEnd = 0;
  private valueEnd = 0;
  private n = 0;

  constructor(options: PackedRunBuilderOptions = {}) {
    this.shared = options.shared ?? true;
    this.hasValues = options.values ?? true;
    const entries = Math.max(16, options.entries ?? 1024);
    this.keys = allocBytes(Math.max(64, options.keyBytes ?? entries * 32), this.shared);
    this.keyOffsets = allocOffsets(entries + 1, this.shared);
    this.values = this.hasValues ? allocBytes(Math.max(64, options.valueBytes ?? entries * 32), this.shared) : EMPTY;
    this.valueOffsets = allocOffsets(this.hasValues ? entries + 1 : 1, this.shared);
  }

  /** Entries closed so far. */
  get count(): number {
    return this.n;
  }

  /** Bytes of keys and values written so far. */
  get bytes(): number {
    return this.keyEnd + this.valueEnd;
  }

  /** Adds the pair keyBytes[ks, ke) -> valBytes[vs, ve) (defaults: whole arrays; no value = empty). */
  add(
    keyBytes: Uint8Array,
    ks = 0,
    ke = keyBytes.length,
    valBytes: Uint8Array = EMPTY,
    vs = 0,
    ve = valBytes.length,
  ): void {
    this.keyBytes(keyBytes, ks, ke);
    if (ve > vs && this.hasValues) this.valueBytes(valBytes, vs, ve);
    this.end();
  }

  /** Appends one byte to the open entry's key. */
  keyByte(b: number): void {
    if (this.keyEnd === this.keys.length) this.growKeys(1);
    this.keys[this.keyEnd++] = b;
  }

  /** Appends src[start, end) to the open entry's key. */
  keyBytes(src: Uint8Array, start = 0, end = src.length): void {
    const len = end - start;
    if (this.keyEnd + len > this.keys.length) this.growKeys(len);
    const k = this.keys;
    let p = this.keyEnd;
    if (len < 48) {
      for (let i = start; i < end; i++) k[p++] = src[i];
    } else {
      k.set(start === 0 && end === src.length ? src : src.subarray(start, end), p);
      p += len;
    }
    this.keyEnd = p;
  }

  /** Appends a string of char codes < 128 (not checked: higher codes are cut to a byte). */
  keyAscii(s: string): void {
    const len = s.length;
    if (this.keyEnd + len > this.keys.length) this.growKeys(len);
    const k = this.keys;
    let p = this.keyEnd;
    for (let i = 0; i < len; i++) k[p++] = s.charCodeAt(i);
    this.keyEnd = p;
  }

  /**
   * Makes room for `n` more key bytes and returns the arena; write them at `keyPosition` and then
   * call `keyAdvance(n)` (for encoders that write in place, e.g. `TextEncoder.encodeInto`).
   */
  reserveKey(n: number): Uint8Array {
    if (this.keyEnd + n > this.keys.length) this.growKeys(n);
    return this.keys;
  }

  get keyPosition(): number {
    return this.keyEnd;
  }

  keyAdvance(n: number): void {
    if (this.keyEnd + n > this.keys.length) throw new RangeError("keyAdvance past the reserved room");
    this.keyEnd += n;
  }

  /** Appends src[start, end) to the open entry's value. */
  valueBytes(src: Uint8Array, start = 0, end = src.length): void {
    if (!this.hasValues) throw new RangeError("this PackedRunBuilder was made without values");
    const len = end - start;
    if (this.valueEnd + len > this.values.length) this.growValues(len);
    const v = this.values;
    let p = this.valueEnd;
    if (len < 48) {
      for (let i = start; i < end; i++) v[p++] = src[i];
    } else {
      v.set(start === 0 && end === src.length ? src : src.subarray(start, end), p);
      p += len;
    }
    this.valueEnd = p;
  }

  /** Appends one byte to the open entry's value. */
  valueByte(b: number): void {
    if (!this.hasValues) throw new RangeError("this PackedRunBuilder was made without values");
    if (this.valueEnd === this.values.length) this.growValues(1);
    this.values[this.valueEnd++] = b;
  }

  /** Same contract as `reserveKey`, for the value arena. */
  reserveValue(n: number): Uint8Array {
    if (!this.hasValues) throw new RangeError("this PackedRunBuilder was made without values");
    if (this.valueEnd + n > this.values.length) this.growValues(n);
    return this.values;
  }

  get valuePosition(): number {
    return this.valueEnd;
  }

  valueAdvance(n: number): void {
    if (this.valueEnd + n > this.values.length) throw new RangeError("valueAdvance past the reserved room");
    this.valueEnd += n;
  }

  /** Closes the open entry: the bytes appended since the last `end()` form its key and value. */
  end(): void {
    const n = ++this.n;
    if (n >= this.keyOffsets.length) {
      this.keyOffsets = growOffsets(this.keyOffsets, n, this.shared);
      if (this.hasValues) this.valueOffsets = growOffsets(this.valueOffsets, n, this.shared);
    }
    this.keyOffsets[n] = this.keyEnd;
    if (this.hasValues) this.valueOffsets[n] = this.valueEnd;
  }

  /** The run built so far (views of the arenas, no copy); the builder starts empty again. */
  finish(): PackedRun {
    const n = this.n;
    const run: PackedRun = {
      keys: this.keys.subarray(0, this.keyEnd),
      keyOffsets: this.keyOffsets.subarray(0, n + 1),
      count: n,
    };
    if (this.hasValues) {
      run.values = this.values.subarray(0, this.valueEnd);
      run.valueOffsets = this.valueOffsets.subarray(0, n + 1);
    }
    const entries = Math.max(16, Math.min(n, 1024));
    this.keys = allocBytes(Math.max(64, entries * 32), this.shared);
    this.keyOffsets = allocOffsets(entries + 1, this.shared);
    this.values = this.hasValues ? allocBytes(Math.max(64, entries * 32), this.shared) : EMPTY;
    this.valueOffsets = allocOffsets(this.hasValues ? entries + 1 : 1, this.shared);
    this.keyEnd = this.valueEnd = this.n = 0;
    return run;
  }

  private growKeys(extra: number): void {
    this.keys = growBytes(this.keys, this.keyEnd, this.keyEnd + extra, this.shared);
  }

  private growValues(extra: number): void {
    this.values = growBytes(this.values, this.valueEnd, this.valueEnd + extra, this.shared);
  }
}

function growBytes(a: Uint8Array, used: number, need: number, shared: boolean): Uint8Array {
  let cap = a.length * 2;
  while (cap < need) cap *= 2;
  const b = allocBytes(cap, shared);
  b.set(a.subarray(0, used));
  return b;
}

function growOffsets(a: Uint32Array, need: number, shared: boolean): Uint32Array {
  let cap = a.length * 2;
  while (cap <= need) cap *= 2;
  const b = allocOffsets(cap, shared);
  b.set(a);
  return b;
}

/** A run holding the given pairs (for tests and small inputs; builds shared arenas by default). */
export function packRun(
  pairs: Iterable<readonly [Uint8Array, Uint8Array?]>,
  options?: PackedRunBuilderOptions,
): PackedRun {
  const b = new PackedRunBuilder(options);
  for (const [k, v] of pairs) b.add(k, 0, k.length, v ?? EMPTY);
  return b.finish();
}

/** Key i of a run: a view, or for a run with heads a new array holding the head and the rest. */
export function runKey(run: PackedRun, i: number): Uint8Array {
  const rest = run.keys.subarray(run.keyOffsets[i], run.keyOffsets[i + 1]);
  const h = run.heads;
  if (h === undefined) return rest;
  const head = h.keys.subarray(h.keyOffsets[h.of[i]], h.keyOffsets[h.of[i] + 1]);
  const key = new Uint8Array(head.length + rest.length);
  key.set(head);
  key.set(rest, head.length);
  return key;
}

/** Value i of a run, as a view (empty when the run has no values). */
export function runValue(run: PackedRun, i: number): Uint8Array {
  const vo = run.valueOffsets;
  if (run.values === undefined || vo === undefined) return EMPTY;
  return run.values.subarray(vo[i], vo[i + 1]);
}

/** Compares key i of run a with key j of run b. */
export function compareRunKeys(a: PackedRun, i: number, b: PackedRun, j: number): number {
  if (a.heads !== undefined || b.heads !== undefined) {
    const x = runKey(a, i);
    const y = runKey(b, j);
    return compareRange(x, 0, x.length, y, 0, y.length);
  }
  return compareRange(a.keys, a.keyOffsets[i], a.keyOffsets[i + 1], b.keys, b.keyOffsets[j], b.keyOffsets[j + 1]);
}

/**
 * Checks a run's shape (offset arrays long enough, values and their offsets given together, the
 * last offsets inside the arenas); per-entry offsets are checked where the entries are read.
 */
export function checkRunShape(run: PackedRun, index: number): void {
  const bad = (what: string) => new InvalidArgumentError(`packed run ${index}: ${what}`);
  if (run === null || typeof run !== "object") throw bad("not a PackedRun object");
  const { keys, keyOffsets, values, valueOffsets, count } = run;
  if (!Number.isInteger(count) || count < 0) throw bad(`count must be an integer >= 0, got ${String(count)}`);
  if (!(keys instanceof Uint8Array)) throw bad("keys must be a Uint8Array");
  if (!(keyOffsets instanceof Uint32Array)) throw bad("keyOffsets must be a Uint32Array");
  if (keyOffsets.length < count + 1)
    throw bad(`keyOffsets has ${keyOffsets.length} offsets; count ${count} needs ${count + 1}`);
  if (keyOffsets[count] > keys.length)
    throw bad(`keyOffsets[${count}] = ${keyOffsets[count]} is past the key arena (${keys.length} bytes)`);
  if (run.prefixEnds !== undefined) {
    if (!(run.prefixEnds instanceof Uint32Array)) throw bad("prefixEnds must be a Uint32Array");
    if (run.prefixEnds.length < count)
      throw bad(`prefixEnds has ${run.prefixEnds.length} entries; count ${count} needs ${count}`);
  }
  if ((values === undefined) !== (valueOffsets === undefined))
    throw bad("values and valueOffsets must be given together");
  const h = run.heads;
  if (h !== undefined) {
    if (h === null || typeof h !== "object") throw bad("heads must be an object");
    if (!(h.keys instanceof Uint8Array)) throw bad("heads.keys must be a Uint8Array");
    if (!Number.isInteger(h.count) || h.count < 0) throw bad("heads.count must be an integer >= 0");
    if (!(h.keyOffsets instanceof Uint32Array) || h.keyOffsets.length < h.count + 1)
      throw bad(`heads.keyOffsets must be a Uint32Array of at least ${h.count + 1} offsets`);
    if (!(h.of instanceof Uint32Array) || h.of.length < count)
      throw bad(`heads.of must be a Uint32Array of at least ${count} entries`);
    let prev = h.keyOffsets[0];
    for (let i = 1; i <= h.count; i++) {
      if (h.keyOffsets[i] < prev) throw bad(`heads.keyOffsets[${i}] is below the offset before it`);
      prev = h.keyOffsets[i];
    }
    if (prev > h.keys.length) throw bad("heads.keyOffsets run past heads.keys");
  }
  if (values !== undefined && valueOffsets !== undefined) {
    if (!(values instanceof Uint8Array)) throw bad("values must be a Uint8Array");
    if (!(valueOffsets instanceof Uint32Array)) throw bad("valueOffsets must be a Uint32Array");
    if (valueOffsets.length < count + 1)
      throw bad(`valueOffsets has ${valueOffsets.length} offsets; count ${count} needs ${count + 1}`);
    if (valueOffsets[count] > values.length)
      throw bad(`valueOffsets[${count}] is past the value arena (${values.length} bytes)`);
  }
}

/**
 * Checks that entries [start, end) of a run have non-decreasing offsets ending inside the arenas, so
 * every entry lies inside them. Linear over the offset arrays; cheap next to the work.
 */
export function checkRunOffsets(run: PackedRun, index: number, start: number, end: number): void {
  const check = (o: Uint32Array, what: string, arena: Uint8Array) => {
    if (o[end] > arena.length) {
      throw new InvalidArgumentError(
        `packed run ${index}: ${what}[${end}] = ${o[end]} is past its arena (${arena.length} bytes)`,
      );
    }
    let prev = o[start];
    for (let i = start + 1; i <= end; i++) {
      const x = o[i];
      if (x < prev) {
        throw new InvalidArgumentError(
          `packed run ${index}: ${what}[${i}] = ${x} is below ${what}[${i - 1}] = ${prev}`,
        );
      }
      prev = x;
    }
  };
  check(run.keyOffsets, "keyOffsets", run.keys);
  if (run.valueOffsets && run.values) check(run.valueOffsets, "valueOffsets", run.values);
  const h = run.heads;
  if (h !== undefined) {
    for (let i = start; i < end; i++) {
      if (h.of[i] >= h.count) {
        throw new InvalidArgumentError(`packed run ${index}: heads.of[${i}] = ${h.of[i]}; there are ${h.count} heads`);
      }
    }
  }
}

/**
 * The run with its arrays in SharedArrayBuffers: itself when they already are, else a copy of just
 * the bytes the run uses (offsets rebased to 0). Workers then read it without a copy each.
 */
export function toSharedRun(run: PackedRun): PackedRun {
  if (
    isShared(run.keys) &&
    isShared(run.keyOffsets) &&
    isShared(run.values) &&
    isShared(run.valueOffsets) &&
    isShared(run.prefixEnds) &&
    (run.heads === undefined || (isShared(run.heads.keys) && isShared(run.heads.keyOffsets) && isShared(run.heads.of)))
  )
    return run;
  const n = run.count;
  const rebase = (bytes: Uint8Array, offs: Uint32Array): [Uint8Array, Uint32Array] => {
    const base = offs[0];
    const used = offs[n] - base;
    const b = allocBytes(used, true);
    b.set(bytes.subarray(base, offs[n]));
    const o = allocOffsets(n + 1, true);
    if (base === 0) o.set(offs.subarray(0, n + 1));
    else for (let i = 0; i <= n; i++) o[i] = offs[i] - base;
    return [b, o];
  };
  const [keys, keyOffsets] = rebase(run.keys, run.keyOffsets);
  const out: PackedRun = { keys, keyOffsets, count: n };
  if (run.rangeOnly) out.rangeOnly = true;
  if (run.prefixEnds !== undefined) {
    out.prefixEnds = isShared(run.prefixEnds) ? run.prefixEnds : allocOffsets(n, true);
    if (out.prefixEnds !== run.prefixEnds) out.prefixEnds.set(run.prefixEnds.subarray(0, n));
  }
  if (run.values !== undefined && run.valueOffsets !== undefined) {
    const [values, valueOffsets] = rebase(run.values, run.valueOffsets);
    out.values = values;
    out.valueOffsets = valueOffsets;
  }
  if (run.heads !== undefined) {
    const h = run.heads;
    const shared = <T extends Uint8Array | Uint32Array>(a: T, n: number): T => {
      if (isShared(a)) return a;
      const c = (a instanceof Uint8Array ? allocBytes(n, true) : allocOffsets(n, true)) as T;
      c.set(a.subarray(0, n) as never);
      return c;
    };
    out.heads = {
      keys: shared(h.keys, h.keys.length),
      keyOffsets: shared(h.keyOffsets, h.count + 1),
      count: h.count,
      of: shared(h.of, n),
    };
  }
  return out;
}
