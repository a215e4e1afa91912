// Sorting a packed run by key bytes (memcmp order, shorter-prefix first, as compareKeys), fast enough
// for a million keys with long shared prefixes. Plain code over typed arrays: it runs on a bulk
// worker thread (bulk-worker.ts) or inline.
//
// What makes it fast on a virtual machine where one random read into a 60 MB arena costs ~100 ns
// and a byte loop ~1.3 ns a byte: touch each key at random as few times as possible, and only in
// tight loops whose reads can overlap.
//
// 1. An already-sorted run is detected in one linear pass and returned as is.
// 2. The prefix every key shares is skipped, and the next 6 bytes of each key (its "chunk", with
//    how many of the 6 bytes exist, so "ab" < "ab\0") are read in one sequential pass.
// 3. Large runs are sorted by chunk with an LSD radix sort over 16-bit digits, skipping digits that
//    are the same for every key (a composite key's chunk often varies in two or three bytes).
// 4. Then, a block of at least 64 keys (whole tie groups: keys equal in the chunk) at a time in
//    chunk order: the block's keys are touched in one tight loop, so their cache misses overlap;
//    each tie group is sorted by a multikey quicksort (Bentley and Sedgewick) over the next 6-byte
//    chunks, cached in a Float64Array beside the indices (before a range's chunks are compared,
//    the bytes all its keys share are skipped; small ranges finish with insertion sort), reading
//    keys that are now in the cache; and the block is copied into the output arena, four bytes at
//    a time. Each key is read from memory about once.
// Runs too small for step 3 are sorted by the quicksort directly and copied out at the end.
//
// Duplicates keep no particular order (they are equal).

import type { PackedRun } from "./packed-run.js";

/** Ranges at most this long are insertion-sorted. */
const SMALL = 16;
/** Runs at least this long take the radix path (steps 3 and 4). */
const RADIX_MIN = 1 << 16;
/** Keys whose reads are issued together in a gather. */
const GATHER_BATCH = 64;
/** Keys (whole tie groups) touched, sorted and copied out together in the radix path. */
const COPY_BLOCK = 64;
/** Ranges at most this long have their shared prefix measured by direct comparison. */
const LOCAL_RANGE = 4096;
/** 2^24 */
const TWO24 = 16777216;

/** Index of the first entry in (start, end) whose key is smaller than the one before it, or -1. */
export function firstOutOfOrder(keys: Uint8Array, ko: Uint32Array, start: number, end: number): number {
  for (let i = start + 1; i < end; i++) {
    const as = ko[i - 1];
    const bs = ko[i];
    const be = ko[i + 1];
    const al = bs - as;
    const bl = be - bs;
    const n = Math.min(al, bl);
    let j = 0;
    while (j < n && keys[as + j] === keys[bs + j]) j++;
    if (j < n ? keys[as + j] > keys[bs + j] : al > bl) return i;
  }
  return -1;
}

/**
 * The order that sorts keys 0..n-1 (a permutation of entry indices), or null when they are already
 * in order. (The in-memory path: `sortRun` is faster for large runs, as it also reorders the bytes.)
 */
export function sortedOrder(keys: Uint8Array, ko: Uint32Array, n: number): Uint32Array | null {
  if (firstOutOfOrder(keys, ko, 0, n) < 0) return null;
  const sorter = new RunSorter(keys, ko, identity(n));
  sorter.sort(0, n, 0);
  return sorter.idx;
}

/** `run` sorted by key: a new run (arenas in SharedArrayBuffers when `shared`), or `run` itself if already in order. */
export function sortRun(run: PackedRun, shared = true): PackedRun {
  const n = run.count;
  const { keys, keyOffsets: ko } = run;
  if (firstOutOfOrder(keys, ko, 0, n) < 0) return run;
  const out: PackedRun = { keys: EMPTY, keyOffsets: EMPTY_OFFSETS, count: n };
  let order: Uint32Array | null = null;
  if (run.prefixEnds !== undefined && n >= PREFIX_MIN) order = prefixOrder(keys, ko, run.prefixEnds, n);
  if (order !== null) {
    [out.keys, out.keyOffsets] = gather(keys, ko, order, n, shared);
  } else if (n < RADIX_MIN) {
    const sorter = new RunSorter(keys, ko, identity(n));
    sorter.sort(0, n, 0);
    order = sorter.idx;
    [out.keys, out.keyOffsets] = gather(keys, ko, order, n, shared);
  } else {
    order = sortLarge(keys, ko, n, out, shared);
  }
  if (run.values !== undefined && run.valueOffsets !== undefined) {
    [out.values, out.valueOffsets] = gather(run.values, run.valueOffsets, order, n, shared);
  }
  return out;
}

const EMPTY = new Uint8Array(0);
const EMPTY_OFFSETS = new Uint32Array(1);

/** Runs at least this long try `prefixOrder` when they carry prefix ends. */
const PREFIX_MIN = 4096;

/**
 * The order that sorts a run whose keys are each a prefix (the first `prefixEnds[i]` bytes) and a
 * suffix, when entries with equal prefixes already come in the order of their suffixes: a
 * secondary index run, say, whose keys end with the primary key of rows that arrived in primary
 * key order. Entries are grouped by prefix through a hash table (each key's prefix read about
 * twice, front to back, where a comparison sort compares keys that share long prefixes many
 * times); the groups are sorted by their prefixes; the entries are laid out group by group, each
 * group in its original order. Returns null when the run does not fit, and the caller sorts it
 * the usual way: a suffix out of order within a group, more distinct prefixes than a grouping
 * gains from (an eighth of the entries), or one prefix a proper prefix of another (the two
 * groups' keys could then interleave).
 */
export function prefixOrder(keys: Uint8Array, ko: Uint32Array, prefixEnds: Uint32Array, n: number): Uint32Array | null {
  const maxGroups = Math.max(1024, n >>> 3);
  let cap = 4096;
  let table = new Int32Array(cap); // group id + 1, 0 = empty slot
  const groupFirst = new Uint32Array(maxGroups); // an entry of the group (its first)
  const groupLast = new Uint32Array(maxGroups); // the group's latest entry so far
  const groupSize = new Uint32Array(maxGroups);
  const groupHash = new Int32Array(maxGroups);
  const groupOf = new Uint32Array(n);
  const dv = new DataView(keys.buffer, keys.byteOffset, keys.byteLength);
  let groups = 0;
  for (let i = 0; i < n; i++) {
    const s = ko[i];
    const keyLen = ko[i + 1] - s;
    const plen = Math.min(prefixEnds[i], keyLen);
    const pe = s + plen;
    // FNV-1a over the prefix, four bytes a step.
    let h = 0x811c9dc5 ^ plen;
    let p = s;
    for (; p + 4 <= pe; p += 4) h = Math.imul(h ^ dv.getInt32(p, true), 0x01000193);
    for (; p < pe; p++) h = Math.imul(h ^ keys[p], 0x01000193);
    h ^= h >>> 15;
    let slot = h & (cap - 1);
    let g = -1;
    for (;;) {
      const t = table[slot];
      if (t === 0) break;
      const cand = t - 1;
      if (groupHash[cand] === h) {
        const r = groupFirst[cand];
        const rs = ko[r];
        const rLen = ko[r + 1] - rs;
        const rp = Math.min(prefixEnds[r], rLen);
        if (rp === plen) {
          let j = 0;
          while (j + 4 <= plen && dv.getInt32(rs + j, true) === dv.getInt32(s + j, true)) j += 4;
          while (j < plen && keys[rs + j] === keys[s + j]) j++;
          if (j === plen) {
            g = cand;
            break;
          }
        }
      }
      slot = (slot + 1) & (cap - 1);
    }
    if (g >= 0) {
      // The suffix must not be below the group's last one (equal keys may stay in any order).
      const l = groupLast[g];
      const ls = ko[l];
      const lLen = ko[l + 1] - ls;
      const lp = ls + Math.min(prefixEnds[l], lLen);
      if (compareSuffix(keys, lp, ko[l + 1], pe, ko[i + 1]) > 0) return null;
      groupLast[g] = i;
      groupSize[g]++;
    } else {
      if (groups === maxGroups) return null;
      g = groups++;
      groupFirst[g] = groupLast[g] = i;
      groupSize[g] = 1;
      groupHash[g] = h;
      table[slot] = g + 1;
      if (groups * 2 > cap) {
        cap *= 2;
        table = new Int32Array(cap);
        for (let x = 0; x < groups; x++) {
          let sl = groupHash[x] & (cap - 1);
          while (table[sl] !== 0) sl = (sl + 1) & (cap - 1);
          table[sl] = x + 1;
        }
      }
    }
    groupOf[i] = g;
  }
  // The groups in prefix order: a small run of one prefix per group, sorted.
  let total = 0;
  const plens = new Uint32Array(groups);
  for (let g = 0; g < groups; g++) {
    const r = groupFirst[g];
    const rLen = ko[r + 1] - ko[r];
    plens[g] = Math.min(prefixEnds[r], rLen);
    total += plens[g];
  }
  const pk = new Uint8Array(total);
  const po = new Uint32Array(groups + 1);
  for (let g = 0, q = 0; g < groups; g++) {
    const rs = ko[groupFirst[g]];
    for (let j = 0; j < plens[g]; j++) pk[q++] = keys[rs + j];
    po[g + 1] = q;
  }
  const rank = sortedOrder(pk, po, groups) ?? identity(groups);
  // Adjacent prefixes in order: neither may be a proper prefix of the next.
  for (let k = 1; k < groups; k++) {
    const a = rank[k - 1];
    const b = rank[k];
    const al = po[a + 1] - po[a];
    if (al < po[b + 1] - po[b]) {
      let j = 0;
      while (j < al && pk[po[a] + j] === pk[po[b] + j]) j++;
      if (j === al) return null;
    }
  }
  // Where each group starts in the output, then every entry in its group's place, in input order.
  const next = new Uint32Array(groups);
  for (let k = 0, at = 0; k < groups; k++) {
    next[rank[k]] = at;
    at += groupSize[rank[k]];
  }
  const order = new Uint32Array(n);
  for (let i = 0; i < n; i++) order[next[groupOf[i]]++] = i;
  return order;
}

/** memcmp order of keys[a, ae) and keys[b, be). */
function compareSuffix(keys: Uint8Array, a: number, ae: number, b: number, be: number): number {
  const al = ae - a;
  const bl = be - b;
  const m = Math.min(al, bl);
  for (let j = 0; j < m; j++) {
    const d = keys[a + j] - keys[b + j];
    if (d !== 0) return d;
  }
  return al - bl;
}

function identity(n: number): Uint32Array {
  const a = new Uint32Array(n);
  for (let i = 0; i < n; i++) a[i] = i;
  return a;
}

/** Steps 2-4 for a large run: fills out.keys/keyOffsets and returns the order (for the values). */
function sortLarge(keys: Uint8Array, ko: Uint32Array, n: number, out: PackedRun, shared: boolean): Uint32Array {
  // Step 2: chunks at the shared prefix's end, as hi = bytes 0-3, lo = bytes 4-5 << 3 | count.
  let hi: Uint32Array = new Uint32Array(n);
  let lo: Uint32Array = new Uint32Array(n);
  let depth = commonPrefix(keys, ko, n);
  for (;;) {
    fillWords(keys, ko, n, depth, hi, lo);
    const skip = sharedChunkBytes(hi, lo, n);
    if (skip < 0) {
      // Every key is the same: any order is sorted.
      const ident = identity(n);
      [out.keys, out.keyOffsets] = gather(keys, ko, ident, n, shared);
      return ident;
    }
    if (skip === 0) break;
    depth += skip;
  }
  // Step 3.
  let idx = identity(n);
  [idx, hi, lo] = radixSortWords(idx, hi, lo, n);
  // Step 4, a block of whole tie groups (at least COPY_BLOCK keys) at a time.
  let total = 0;
  for (let i = 0; i < n; i++) total += ko[i + 1] - ko[i];
  const dst = shared ? new Uint8Array(new SharedArrayBuffer(total)) : new Uint8Array(total);
  const dOff = shared ? new Uint32Array(new SharedArrayBuffer((n + 1) * 4)) : new Uint32Array(n + 1);
  out.keys = dst;
  out.keyOffsets = dOff;
  const sorter = new RunSorter(keys, ko, idx);
  const copier = new Copier(keys, ko, idx, dst, dOff);
  let start = 0;
  while (start < n) {
    let end = start;
    while (end < n && end - start < COPY_BLOCK) {
      const h = hi[end];
      const l = lo[end];
      end++;
      while (end < n && hi[end] === h && lo[end] === l) end++;
    }
    copier.touch(start, end);
    for (let i = start; i < end; ) {
      const h = hi[i];
      const l = lo[i];
      let j = i + 1;
      while (j < end && hi[j] === h && lo[j] === l) j++;
      if (j - i > 1 && (l & 7) === 6) sorter.sort(i, j, depth + 6);
      i = j;
    }
    copier.copy(start, end);
    start = end;
  }
  return idx;
}

/** Length of the prefix keys 0..n-1 all share (compared four bytes at a time, in arena order). */
function commonPrefix(keys: Uint8Array, ko: Uint32Array, n: number): number {
  const dv = new DataView(keys.buffer, keys.byteOffset, keys.byteLength);
  const f = ko[0];
  let shared = ko[1] - f;
  for (let i = 1; i < n && shared > 0; i++) {
    const s = ko[i];
    const m = Math.min(ko[i + 1] - s, shared);
    let j = 0;
    while (j + 4 <= m && dv.getUint32(s + j) === dv.getUint32(f + j)) j += 4;
    while (j < m && keys[s + j] === keys[f + j]) j++;
    shared = j;
  }
  return shared;
}

/** Reads the 6-byte chunk at `depth` of every key (in arena order) into hi/lo words. */
function fillWords(
  keys: Uint8Array,
  ko: Uint32Array,
  n: number,
  depth: number,
  hi: Uint32Array,
  lo: Uint32Array,
): void {
  for (let i = 0; i < n; i++) {
    const p = ko[i] + depth;
    const rem = ko[i + 1] - p;
    if (rem >= 6) {
      hi[i] = ((keys[p] << 24) | (keys[p + 1] << 16) | (keys[p + 2] << 8) | keys[p + 3]) >>> 0;
      lo[i] = (keys[p + 4] << 11) | (keys[p + 5] << 3) | 6;
    } else {
      let h = 0;
      for (let j = 0; j < 4; j++) h = (h << 8) | (j < rem ? keys[p + j] : 0);
      hi[i] = h >>> 0;
      lo[i] = ((rem > 4 ? keys[p + 4] : 0) << 11) | Math.max(rem, 0);
    }
  }
}

/**
 * How many leading chunk bytes every key shares (0-6; 6 only when all chunks are full and equal),
 * or -1 when every key is the same (equal chunks, none full). Found from the smallest and largest.
 */
function sharedChunkBytes(hi: Uint32Array, lo: Uint32Array, n: number): number {
  let minH = hi[0];
  let minL = lo[0];
  let maxH = minH;
  let maxL = minL;
  for (let i = 1; i < n; i++) {
    const h = hi[i];
    const l = lo[i];
    if (h < minH || (h === minH && l < minL)) {
      minH = h;
      minL = l;
    }
    if (h > maxH || (h === maxH && l > maxL)) {
      maxH = h;
      maxL = l;
    }
  }
  if (minH === maxH && minL === maxL) return (minL & 7) === 6 ? 6 : -1;
  const count = Math.min(minL & 7, maxL & 7);
  let m = 0;
  const x = (minH ^ maxH) >>> 0;
  if (x !== 0) m = Math.clz32(x) >>> 3;
  else m = 4 + (Math.clz32((minL ^ maxL) >>> 3) - 16 >= 8 ? 1 : 0);
  return Math.min(m, count);
}

/** LSD radix sort of (idx, hi, lo) by (hi, lo), in 16-bit digits; digits equal for all keys are skipped. */
function radixSortWords(
  idx: Uint32Array,
  hi: Uint32Array,
  lo: Uint32Array,
  n: number,
): [Uint32Array, Uint32Array, Uint32Array] {
  const cCount = new Uint32Array(8);
  const c45 = new Uint32Array(65536);
  const c23 = new Uint32Array(65536);
  const c01 = new Uint32Array(65536);
  for (let i = 0; i < n; i++) {
    const l = lo[i];
    const h = hi[i];
    cCount[l & 7]++;
    c45[l >>> 3]++;
    c23[h & 0xffff]++;
    c01[h >>> 16]++;
  }
  let ti: Uint32Array = new Uint32Array(n);
  let th: Uint32Array = new Uint32Array(n);
  let tl: Uint32Array = new Uint32Array(n);
  const digits: Array<[Uint32Array, number]> = [
    [cCount, 0],
    [c45, 1],
    [c23, 2],
    [c01, 3],
  ];
  for (const [count, which] of digits) {
    if (isConstant(count, n)) continue;
    let sum = 0;
    for (let b = 0; b < count.length; b++) {
      const c = count[b];
      count[b] = sum;
      sum += c;
    }
    if (which === 0) {
      for (let i = 0; i < n; i++) {
        const l = lo[i];
        const p = count[l & 7]++;
        ti[p] = idx[i];
        th[p] = hi[i];
        tl[p] = l;
      }
    } else if (which === 1) {
      for (let i = 0; i < n; i++) {
        const l = lo[i];
        const p = count[l >>> 3]++;
        ti[p] = idx[i];
        th[p] = hi[i];
        tl[p] = l;
      }
    } else {
      const shift = which === 2 ? 0 : 16;
      for (let i = 0; i < n; i++) {
        const h = hi[i];
        const p = count[(h >>> shift) & 0xffff]++;
        ti[p] = idx[i];
        th[p] = h;
        tl[p] = lo[i];
      }
    }
    [idx, ti] = [ti, idx];
    [hi, th] = [th, hi];
    [lo, tl] = [tl, lo];
  }
  return [idx, hi, lo];
}

function isConstant(count: Uint32Array, n: number): boolean {
  for (let b = 0; b < count.length; b++) {
    const c = count[b];
    if (c !== 0) return c === n;
  }
  return true;
}

/** Copies entries in `order` into a new arena (SharedArrayBuffer-backed when `shared`), offsets from 0. */
function gather(
  src: Uint8Array,
  so: Uint32Array,
  order: Uint32Array,
  n: number,
  shared: boolean,
): [Uint8Array, Uint32Array] {
  let total = 0;
  for (let i = 0; i < n; i++) total += so[i + 1] - so[i];
  const dst = shared ? new Uint8Array(new SharedArrayBuffer(total)) : new Uint8Array(total);
  const dOff = shared ? new Uint32Array(new SharedArrayBuffer((n + 1) * 4)) : new Uint32Array(n + 1);
  const c = new Copier(src, so, order, dst, dOff);
  for (let b = 0; b < n; b += GATHER_BATCH) {
    const e = Math.min(b + GATHER_BATCH, n);
    c.touch(b, e);
    c.copy(b, e);
  }
  return [dst, dOff];
}

/**
 * Copies entries of an arena into another in a given order, a range of positions at a time and
 * from the start (dOff[i + 1] is set as entry i is copied). `touch` first reads one byte at each
 * end of every key in a range in a tight loop, so that the cache misses of many keys overlap;
 * the copy then runs four bytes at a time.
 */
class Copier {
  private readonly sv: DataView;
  private readonly dv: DataView;
  /** The touch loop's (meaningless) sum, kept so the reads are not optimised away. */
  sink = 0;

  constructor(
    private readonly src: Uint8Array,
    private readonly so: Uint32Array,
    private readonly order: Uint32Array,
    private readonly dst: Uint8Array,
    private readonly dOff: Uint32Array,
  ) {
    this.sv = new DataView(src.buffer, src.byteOffset, src.byteLength);
    this.dv = new DataView(dst.buffer, dst.byteOffset, dst.byteLength);
  }

  touch(lo: number, hi: number): void {
    const { src, so, order } = this;
    let sink = this.sink;
    for (let i = lo; i < hi; i++) {
      const k = order[i];
      const s = so[k];
      const t = so[k + 1];
      if (t > s) sink = (sink + src[s] + src[t - 1]) | 0;
    }
    this.sink = sink;
  }

  copy(lo: number, hi: number): void {
    const { src, so, order, dst, dOff, sv, dv } = this;
    let p = dOff[lo];
    for (let i = lo; i < hi; i++) {
      const k = order[i];
      let s = so[k];
      const t = so[k + 1];
      for (; s + 4 <= t; s += 4, p += 4) dv.setUint32(p, sv.getUint32(s, true), true);
      for (; s < t; s++) dst[p++] = src[s];
      dOff[i + 1] = p;
    }
  }
}

/**
 * Multikey quicksort of entry positions `idx` by the keys of one arena, with 6-byte chunks cached
 * in a Float64Array: chunk as a 48-bit integer, times 8, plus how many of its bytes exist.
 */
class RunSorter {
  readonly idx: Uint32Array;
  private readonly cache: Float64Array;
  private readonly view: DataView;
  /** Pending ranges: lo, hi, depth triples (depth < 0: the cache is valid for depth -depth-1). */
  private readonly stack: number[] = [];

  /** Sorts (ranges of) `idx`, entry indices into keys/ko. */
  constructor(
    private readonly keys: Uint8Array,
    private readonly ko: Uint32Array,
    idx: Uint32Array,
  ) {
    this.idx = idx;
    this.cache = new Float64Array(idx.length);
    this.view = new DataView(keys.buffer, keys.byteOffset, keys.byteLength);
  }

  /** Sorts idx[lo, hi), whose keys agree on their first `depth` bytes. */
  sort(lo: number, hi: number, depth: number): void {
    const stack = this.stack;
    stack.push(lo, hi, depth);
    while (stack.length > 0) {
      const d = stack.pop() as number;
      const h = stack.pop() as number;
      const l = stack.pop() as number;
      this.sortRange(l, h, d);
    }
  }

  private sortRange(lo: number, hi: number, depth: number): void {
    const cache = this.cache;
    const idx = this.idx;
    const stack = this.stack;
    const d = depth < 0 ? -depth - 1 : this.fill(lo, hi, depth);
    if (d < 0) return; // every key in the range is the same
    for (;;) {
      if (hi - lo <= SMALL) {
        this.insertionSort(lo, hi, d);
        return;
      }
      const v = this.pivot(lo, hi);
      // Dijkstra's three-way partition: [lo, lt) < v, [lt, gt) = v, [gt, hi) > v.
      let lt = lo;
      let gt = hi - 1;
      let i = lo;
      while (i <= gt) {
        const c = cache[i];
        if (c < v) {
          if (i !== lt) {
            cache[i] = cache[lt];
            cache[lt] = c;
            const t = idx[i];
            idx[i] = idx[lt];
            idx[lt] = t;
          }
          lt++;
          i++;
        } else if (c > v) {
          cache[i] = cache[gt];
          cache[gt] = c;
          const t = idx[i];
          idx[i] = idx[gt];
          idx[gt] = t;
          gt--;
        } else {
          i++;
        }
      }
      gt++;
      // The equal keys share 6 more bytes when the chunk was full; otherwise they are all the same key.
      if (gt - lt > 1 && v - Math.floor(v / 8) * 8 === 6) stack.push(lt, gt, d + 6);
      // Go on with the smaller side, push the larger (both keep the cache at depth d).
      if (lt - lo < hi - gt) {
        if (hi - gt > 1) stack.push(gt, hi, -d - 1);
        hi = lt;
      } else {
        if (lt - lo > 1) stack.push(lo, lt, -d - 1);
        lo = gt;
      }
      if (hi - lo < 2) return;
    }
  }

  /** Median of three (of three medians for large ranges) of the cached chunks. */
  private pivot(lo: number, hi: number): number {
    const c = this.cache;
    const n = hi - lo;
    const mid = lo + (n >>> 1);
    if (n > 512) {
      const s = n >>> 3;
      return med3(
        med3(c[lo], c[lo + s], c[lo + 2 * s]),
        med3(c[mid - s], c[mid], c[mid + s]),
        med3(c[hi - 1 - 2 * s], c[hi - 1 - s], c[hi - 1]),
      );
    }
    return med3(c[lo], c[mid], c[hi - 1]);
  }

  /**
   * Caches each key's chunk at `depth` for idx[lo, hi), first skipping the bytes all of them
   * share (found from the smallest and largest chunk). Returns the depth of the cached chunks,
   * or -1 when every key in the range is the same.
   */
  private fill(lo: number, hi: number, depth: number): number {
    const keys = this.keys;
    const ko = this.ko;
    const idx = this.idx;
    const cache = this.cache;
    let d = depth;
    if (hi - lo <= LOCAL_RANGE) {
      const dv = this.view;
      // A small range is likely cache-resident: measure its shared prefix against its first key.
      const f = idx[lo];
      const fs = ko[f] + d;
      const fl = ko[f + 1] - fs;
      let shared = fl;
      let sameLength = true;
      for (let i = lo + 1; i < hi; i++) {
        const k = idx[i];
        const s = ko[k] + d;
        const len = ko[k + 1] - s;
        if (len !== fl) sameLength = false;
        const m = Math.min(len, shared);
        let j = 0;
        while (j + 4 <= m && dv.getUint32(s + j) === dv.getUint32(fs + j)) j += 4;
        while (j < m && keys[s + j] === keys[fs + j]) j++;
        shared = j;
        if (shared === 0 && (fl > 0 || !sameLength)) break;
      }
      if (shared === fl && sameLength) return -1;
      d += shared;
    }
    for (;;) {
      let min = Number.POSITIVE_INFINITY;
      let max = -1;
      for (let i = lo; i < hi; i++) {
        const k = idx[i];
        const p = ko[k] + d;
        const rem = ko[k + 1] - p;
        let h: number;
        let l: number;
        let c: number;
        if (rem >= 6) {
          h = (keys[p] << 16) | (keys[p + 1] << 8) | keys[p + 2];
          l = (keys[p + 3] << 16) | (keys[p + 4] << 8) | keys[p + 5];
          c = 6;
        } else {
          h = rem > 0 ? keys[p] << 16 : 0;
          if (rem > 1) h |= keys[p + 1] << 8;
          if (rem > 2) h |= keys[p + 2];
          l = rem > 3 ? keys[p + 3] << 16 : 0;
          if (rem > 4) l |= keys[p + 4] << 8;
          c = Math.max(rem, 0);
        }
        const v = (h * TWO24 + l) * 8 + c;
        cache[i] = v;
        if (v < min) min = v;
        if (v > max) max = v;
      }
      if (min === max) {
        if (min - Math.floor(min / 8) * 8 !== 6) return -1;
        d += 6;
        continue;
      }
      // Bytes the smallest and largest chunks share (and every chunk between them).
      const a = Math.floor(min / 8);
      const b = Math.floor(max / 8);
      const ca = min - a * 8;
      const cb = max - b * 8;
      let m = 0;
      let unit = 2 ** 40;
      while (m < 6 && Math.floor(a / unit) % 256 === Math.floor(b / unit) % 256) {
        m++;
        unit /= 256;
      }
      m = Math.min(m, ca, cb);
      if (m === 0) return d;
      d += m;
    }
  }

  /** Insertion sort of idx[lo, hi) by cached chunk (at depth d), then by the bytes after it. */
  private insertionSort(lo: number, hi: number, d: number): void {
    const cache = this.cache;
    const idx = this.idx;
    const keys = this.keys;
    const ko = this.ko;
    for (let i = lo + 1; i < hi; i++) {
      const c = cache[i];
      const k = idx[i];
      let j = i - 1;
      for (; j >= lo; j--) {
        const cj = cache[j];
        if (cj < c) break;
        if (cj === c) {
          // Equal chunks: when full, the keys go on; compare what follows.
          if (c - Math.floor(c / 8) * 8 !== 6) break;
          const kj = idx[j];
          const as = ko[kj] + d + 6;
          const ae = ko[kj + 1];
          const bs = ko[k] + d + 6;
          const be = ko[k + 1];
          const al = ae - as;
          const bl = be - bs;
          const m = Math.min(al, bl);
          let x = 0;
          while (x < m && keys[as + x] === keys[bs + x]) x++;
          if (x < m ? keys[as + x] < keys[bs + x] : al <= bl) break;
        }
        cache[j + 1] = cj;
        idx[j + 1] = idx[j];
      }
      cache[j + 1] = c;
      idx[j + 1] = k;
    }
  }
}

function med3(a: number, b: number, c: number): number {
  if (a < b) {
    if (b < c) return b;
    return Math.max(a, c);
  }
  if (a < c) return a;
  return Math.max(b, c);
}
