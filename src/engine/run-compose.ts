// Composed runs: a run whose every key is one entry of a small dictionary followed by the tail of
// another run's key, built sorted without sorting it. A table's secondary index run is the case:
// its keys are (index values, primary key), the index values repeat (a few thousand distinct
// entitlements or principals over a million grants), and the primary keys are those of the record
// run, which usually arrives in key order. The table encodes each distinct index value once, and
// a code per row; this file sorts the dictionary (its distinct entries only), gives every entry a
// rank (equal entries one rank), places the rows by a counting sort on their ranks (stable, so rows
// of one rank stay in record order). The result is a run with heads (PackedRun.heads): the tails
// copied out in that order, and for each entry the dictionary entry it starts with, so a head is
// not copied once per key (the segment writer puts each key together as it writes it). A caller
// still writing the codes can group each finished slice of entries by code first (groupPiece, on
// a worker), and composing then only concatenates each head's groups.
//
// That order is the keys' byte order when the tails strictly increase and no dictionary entry is
// a proper prefix of another (a tuple of self-delimiting components never is): both are checked,
// and when either does not hold the composed keys are sorted the ordinary way (run-sort.ts), so
// the result is right for any input. Plain code over typed arrays: it runs on a bulk worker
// (bulk-worker.ts) or inline for small runs.

import { InvalidArgumentError } from "./errors.js";
import type { PackedRun } from "./packed-run.js";
import { sortedOrder, sortRun } from "./run-sort.js";

/** Entries whose tails are read together (see composeRun). */
const BATCH = 64;
/** Where the touch loop's sum goes, so the reads are not optimised away. */
let sink = 0;
export const touchSink = (): number => sink;

/** A run described by a dictionary of key heads, a head per entry, and the entries' key tails. */
export interface CodedRun {
  /** Key heads, in any order, possibly repeated; values are ignored. */
  dict: PackedRun;
  /** codes[i]: the dictionary entry key i starts with (length at least `count`). */
  codes: Uint32Array;
  /** Key i ends with key i of this run from byte `tailStart` on. */
  tails: PackedRun;
  tailStart: number;
  count: number;
  /** Carried to the composed run (see PackedRun.rangeOnly). */
  rangeOnly?: boolean;
  /**
   * The entries already grouped by code, piece by piece (`groupPiece`), in order and covering
   * [0, count): composing then only concatenates, per head, each piece's group.
   */
  pieces?: CodedPiece[];
}

/** Entries [start, end) of a coded run grouped by code, tails included (see `groupPiece`). */
export interface CodedPiece {
  start: number;
  end: number;
  /** The entries of code c are the piece's entries codeStarts[c] .. codeStarts[c+1] (none past its end). */
  codeStarts: Uint32Array;
  /** The entries' tails in that order, back to back; offsets from 0 (length end - start + 1). */
  tails: Uint8Array;
  tailOffsets: Uint32Array;
  /** Whether the tails strictly increase over the piece, from the entry before it (in entry order). */
  increasing: boolean;
}

/** Checks a coded run's shape before any byte is read: codes and tails cover `count` entries. */
export function checkCodedRun(c: CodedRun, index: number): void {
  const bad = (what: string) => new InvalidArgumentError(`coded run ${index}: ${what}`);
  if (c === null || typeof c !== "object") throw bad("not a CodedRun object");
  const { dict, codes, tails, tailStart, count } = c;
  if (!Number.isInteger(count) || count < 0) throw bad(`count must be an integer >= 0, got ${String(count)}`);
  if (!(codes instanceof Uint32Array) || codes.length < count) throw bad(`codes must be a Uint32Array of >= ${count}`);
  if (!Number.isInteger(tailStart) || tailStart < 0) throw bad(`tailStart must be an integer >= 0`);
  for (const [name, run, need] of [
    ["dict", dict, dict?.count],
    ["tails", tails, count],
  ] as const) {
    if (run === null || typeof run !== "object" || !(run.keys instanceof Uint8Array)) throw bad(`${name} is not a run`);
    if (!(run.keyOffsets instanceof Uint32Array) || !Number.isInteger(need) || run.keyOffsets.length < need + 1)
      throw bad(`${name}.keyOffsets is too short`);
    if (run.count < need) throw bad(`${name} has ${run.count} entries; ${need} needed`);
    let prev = run.keyOffsets[0];
    for (let i = 1; i <= need; i++) {
      const o = run.keyOffsets[i];
      if (o < prev) throw bad(`${name}.keyOffsets[${i}] is below the offset before it`);
      prev = o;
    }
    if (prev > run.keys.length) throw bad(`${name}.keyOffsets run past its arena`);
  }
}

/**
 * Groups entries [start, end) of a coded run by code (a counting sort; each group keeps entry
 * order) and copies their tails out in that order. Done piece by piece while the codes are still
 * being written (a bulk load's first pass), this leaves composing the whole run little to do; a
 * piece's tails are near each other in memory, where the whole run's are read in a scattered order.
 */
export function groupPiece(
  codes: Uint32Array,
  tailRun: PackedRun,
  tailStart: number,
  start: number,
  end: number,
  shared = true,
): CodedPiece {
  const tk = tailRun.keys;
  const tko = tailRun.keyOffsets;
  const n = end - start;
  let max = 0;
  let bytes = 0;
  for (let i = start; i < end; i++) {
    if (codes[i] > max) max = codes[i];
    const l = tko[i + 1] - tko[i] - tailStart;
    if (l < 0) throw new InvalidArgumentError(`coded run: tail ${i} is shorter than tailStart (${tailStart})`);
    bytes += l;
  }
  const codeStarts = new Uint32Array(n > 0 ? max + 2 : 1);
  for (let i = start; i < end; i++) codeStarts[codes[i] + 1]++;
  for (let x = 1; x < codeStarts.length; x++) codeStarts[x] += codeStarts[x - 1];
  const next = codeStarts.slice();
  const order = new Uint32Array(n);
  for (let i = start; i < end; i++) order[next[codes[i]]++] = i;
  const tails = alloc8(bytes, shared);
  const tailOffsets = alloc32(n + 1, shared);
  let p = 0;
  for (let j = 0; j < n; j++) {
    const i = order[j];
    for (let k = tko[i] + tailStart, e = tko[i + 1]; k < e; k++) tails[p++] = tk[k];
    tailOffsets[j + 1] = p;
  }
  let increasing = true;
  for (let i = Math.max(start, 1); i < end && increasing; i++) {
    const ps = tko[i - 1] + tailStart;
    const ts = tko[i] + tailStart;
    const pl = ts - ps;
    const tl = tko[i + 1] - ts;
    const m = Math.min(pl, tl);
    let k = 0;
    while (k < m && tk[ps + k] === tk[ts + k]) k++;
    if (k < m ? tk[ps + k] > tk[ts + k] : pl >= tl) increasing = false;
  }
  return { start, end, codeStarts, tails, tailOffsets, increasing };
}

/**
 * Checks what `groupPiece` reads: codes and tail offsets of entries [start, end) (and the entry
 * before, for the order check), inside their arrays.
 */
export function checkPiece(codes: Uint32Array, tails: PackedRun, tailStart: number, start: number, end: number): void {
  const bad = (what: string) => new InvalidArgumentError(`coded run piece ${start}..${end}: ${what}`);
  if (!Number.isInteger(start) || !Number.isInteger(end) || start < 0 || end < start) throw bad("not a range");
  if (!(codes instanceof Uint32Array) || codes.length < end) throw bad(`codes must be a Uint32Array of >= ${end}`);
  if (!Number.isInteger(tailStart) || tailStart < 0) throw bad("tailStart must be an integer >= 0");
  if (tails === null || typeof tails !== "object" || !(tails.keys instanceof Uint8Array))
    throw bad("tails is not a run");
  const ko = tails.keyOffsets;
  if (!(ko instanceof Uint32Array) || ko.length < end + 1) throw bad("tails.keyOffsets is too short");
  let prev = ko[Math.max(0, start - 1)];
  for (let i = Math.max(0, start - 1) + 1; i <= end; i++) {
    if (ko[i] < prev) throw bad(`tails.keyOffsets[${i}] is below the offset before it`);
    prev = ko[i];
  }
  if (prev > tails.keys.length) throw bad("tails.keyOffsets run past its arena");
}

/** Whether pieces can be composed as they are: in order, covering [0, n), tails increasing. */
function usablePieces(pieces: CodedPiece[] | undefined, n: number): pieces is CodedPiece[] {
  if (pieces === undefined) return false;
  let at = 0;
  const nonDecreasing = (a: Uint32Array, m: number) => {
    for (let i = 1; i < m; i++) if (a[i] < a[i - 1]) return false;
    return true;
  };
  for (const p of pieces) {
    if (p === null || typeof p !== "object" || p.start !== at || p.end < p.start || p.increasing !== true) return false;
    const len = p.end - p.start;
    const { tails, tailOffsets: to, codeStarts: cs } = p;
    if (!(tails instanceof Uint8Array) || !(to instanceof Uint32Array) || !(cs instanceof Uint32Array)) return false;
    if (to.length < len + 1 || to[0] !== 0 || to[len] > tails.length || !nonDecreasing(to, len + 1)) return false;
    if (cs.length < 1 || cs[0] !== 0 || cs[cs.length - 1] !== len || !nonDecreasing(cs, cs.length)) return false;
    at = p.end;
  }
  return at === n;
}

/**
 * The run's keys, composed and sorted, in a new run (arenas in SharedArrayBuffers when `shared`;
 * its heads are the dictionary's arrays); no values. Equal keys stay (ingestRuns rejects them).
 */
export function composeRun(c: CodedRun, shared = true): PackedRun {
  const n = c.count;
  const { codes, tailStart } = c;
  const dk = c.dict.keys;
  const dko = c.dict.keyOffsets;
  const d = c.dict.count;
  const tk = c.tails.keys;
  const tko = c.tails.keyOffsets;

  // Rank every dictionary entry (equal entries share one) and see whether any is a proper prefix of
  // another: if one is, it is one of the next entry in sorted order.
  const order = sortedOrder(dk, dko, d);
  const rank = new Uint32Array(d);
  let ranks = 0;
  let prefixFree = true;
  for (let j = 0; j < d; j++) {
    const e = order === null ? j : order[j];
    if (j > 0) {
      const p = order === null ? j - 1 : order[j - 1];
      const ps = dko[p];
      const pl = dko[p + 1] - ps;
      const es = dko[e];
      const el = dko[e + 1] - es;
      let k = 0;
      const m = Math.min(pl, el);
      while (k < m && dk[ps + k] === dk[es + k]) k++;
      if (k === pl && k === el) {
        rank[e] = ranks - 1;
        continue;
      }
      if (k === pl) prefixFree = false;
    }
    rank[e] = ranks++;
  }

  if (prefixFree && ranks === d && usablePieces(c.pieces, n)) {
    // One code per head, and the entries grouped by code piece by piece: each head's entries are
    // its group in each piece in turn, copied out whole.
    for (const piece of c.pieces) {
      if (piece.codeStarts.length > d + 1) {
        throw new InvalidArgumentError(
          `coded run: a code in entries ${piece.start}..${piece.end} is past the dictionary`,
        );
      }
    }
    return fromPieces(c, c.pieces, order, shared);
  }

  // Counting sort of the entries by rank, and the bytes they need; tails checked as they pass.
  const starts = new Uint32Array(ranks + 1);
  let total = 0;
  let tailsIncrease = true;
  for (let i = 0; i < n; i++) {
    const code = codes[i];
    if (code >= d) throw new InvalidArgumentError(`coded run: codes[${i}] = ${code}; the dictionary has ${d} entries`);
    const ts = tko[i] + tailStart;
    const te = tko[i + 1];
    if (ts > te) throw new InvalidArgumentError(`coded run: tail ${i} is shorter than tailStart (${tailStart})`);
    starts[rank[code] + 1]++;
    total += dko[code + 1] - dko[code] + (te - ts);
    if (i > 0 && tailsIncrease) {
      const ps = tko[i - 1] + tailStart;
      const pl = ts - ps;
      const tl = te - ts;
      const m = Math.min(pl, tl);
      let k = 0;
      while (k < m && tk[ps + k] === tk[ts + k]) k++;
      if (k < m ? tk[ps + k] > tk[ts + k] : pl >= tl) tailsIncrease = false;
    }
  }
  if (total > 0xffffffff) throw new RangeError(`a composed run of ${total} bytes is over the 4 GiB a run can hold`);
  // Each rank's first position in the output; one dictionary entry stands for the rank's head.
  const head = new Uint32Array(ranks);
  for (let e = 0; e < d; e++) head[rank[e]] = e;
  for (let r = 0; r < ranks; r++) starts[r + 1] += starts[r];
  const next = starts.slice(0, ranks);
  const placed = new Uint32Array(n);
  for (let i = 0; i < n; i++) placed[next[rank[codes[i]]]++] = i;

  if (prefixFree && tailsIncrease) {
    // In order: a run with heads (each key: its rank's head, then its tail). The tails are read in
    // a scattered order (a cache miss each in a large run), so a batch at a time, first their
    // offsets and then one byte of each are read in loops of independent loads, whose misses
    // overlap, and then the batch is copied.
    let tailBytes = 0;
    for (let i = 0; i < n; i++) tailBytes += tko[i + 1] - tko[i] - tailStart;
    const keys = alloc8(tailBytes, shared);
    const ko = alloc32(n + 1, shared);
    const of = alloc32(n, shared);
    const kv = view(keys);
    const tv = view(tk);
    const ts = new Uint32Array(BATCH);
    const te = new Uint32Array(BATCH);
    let touched = 0;
    let p = 0;
    let r = 0;
    let rankEnd = ranks > 0 ? starts[1] : 0;
    for (let j0 = 0; j0 < n; j0 += BATCH) {
      const m = Math.min(BATCH, n - j0);
      for (let b = 0; b < m; b++) {
        const i = placed[j0 + b];
        ts[b] = tko[i] + tailStart;
        te[b] = tko[i + 1];
      }
      for (let b = 0; b < m; b++) touched += tk[ts[b]] | 0;
      for (let b = 0; b < m; b++) {
        while (j0 + b >= rankEnd) rankEnd = starts[++r + 1];
        of[j0 + b] = head[r];
        let k = ts[b];
        const end = te[b];
        for (; k + 4 <= end; k += 4, p += 4) kv.setUint32(p, tv.getUint32(k, true), true);
        for (; k < end; k++) keys[p++] = tk[k];
        ko[j0 + b + 1] = p;
      }
    }
    sink = touched;
    const run: PackedRun = { keys, keyOffsets: ko, count: n, heads: { keys: dk, keyOffsets: dko, count: d, of } };
    if (c.rangeOnly) run.rangeOnly = true;
    return run;
  }

  // Not in order as laid out: every key written whole, and sorted.
  const keys = alloc8(total, shared);
  const ko = alloc32(n + 1, shared);
  let p = 0;
  for (let i = 0; i < n; i++) {
    const code = codes[i];
    for (let k = dko[code], e = dko[code + 1]; k < e; k++) keys[p++] = dk[k];
    for (let k = tko[i] + tailStart, e = tko[i + 1]; k < e; k++) keys[p++] = tk[k];
    ko[i + 1] = p;
  }
  const sorted = sortRun({ keys, keyOffsets: ko, count: n }, shared);
  if (c.rangeOnly) sorted.rangeOnly = true;
  return sorted;
}

/** composeRun from pieces: the heads in `order` (null: in dictionary order), each head's groups piece by piece. */
function fromPieces(c: CodedRun, pieces: CodedPiece[], order: Uint32Array | null, shared: boolean): PackedRun {
  const n = c.count;
  const d = c.dict.count;
  let bytes = 0;
  for (const piece of pieces) bytes += piece.tailOffsets[piece.end - piece.start];
  const keys = alloc8(bytes, shared);
  const ko = alloc32(n + 1, shared);
  const of = alloc32(n, shared);
  let j = 0;
  let p = 0;
  for (let x = 0; x < d; x++) {
    const e = order === null ? x : order[x];
    for (const piece of pieces) {
      const cs = piece.codeStarts;
      if (e + 1 >= cs.length) continue;
      const a = cs[e];
      const b = cs[e + 1];
      if (a === b) continue;
      const to = piece.tailOffsets;
      const from = to[a];
      const len = to[b] - from;
      if (len >= 64) keys.set(piece.tails.subarray(from, to[b]), p);
      else for (let k = 0; k < len; k++) keys[p + k] = piece.tails[from + k];
      const shift = p - from;
      for (let k = a; k < b; k++) {
        ko[j + 1] = to[k + 1] + shift;
        of[j++] = e;
      }
      p += len;
    }
  }
  const run: PackedRun = {
    keys,
    keyOffsets: ko,
    count: n,
    heads: { keys: c.dict.keys, keyOffsets: c.dict.keyOffsets, count: d, of },
  };
  if (c.rangeOnly) run.rangeOnly = true;
  return run;
}

function alloc8(n: number, shared: boolean): Uint8Array {
  return shared ? new Uint8Array(new SharedArrayBuffer(n)) : new Uint8Array(n);
}

function alloc32(n: number, shared: boolean): Uint32Array {
  return shared ? new Uint32Array(new SharedArrayBuffer(n * 4)) : new Uint32Array(n);
}

function view(a: Uint8Array): DataView {
  return new DataView(a.buffer, a.byteOffset, a.byteLength);
}
