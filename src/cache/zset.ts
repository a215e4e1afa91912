// SortedSet: the sorted-set structure of the cache. Members are latin1 byte strings ordered by
// (score, member bytes), as Redis orders them. Two forms:
//
// - packed (see packed.ts) while the set has at most ZSET_PACKED_MAX_ENTRIES members of at most
//   ZSET_PACKED_MAX_VALUE bytes (Redis's zset-max-listpack-* defaults): [score][varint len][member]
//   per member in one slab block, in order; the score is a varint u: 0 for an f64 that follows (8
//   bytes, little-endian), else u - 1 is the zigzag of an integer score up to 2^51 (one byte for
//   small integers, as a listpack holds them). Every operation walks the block (O(n), n is small).
//   ZSCAN returns a packed set whole, with cursor 0.
// - ChunkedZset (Redis's skiplist + dict encoding), for good once a limit is crossed.
// Which encoding Redis reports for a set, and the replies that depend on it, are the commands'
// business (zsets.ts); the packed form only follows Redis's default limits to hold small sets.
//
// ChunkedZset order: sorted chunks of at most 128 entries (parallel member and score arrays). Each chunk's
// size and first score also sit in flat typed arrays, which searches binary-search before
// touching any chunk, and a Fenwick tree over the sizes maps rank <-> chunk in O(log chunks).
// A chunk over 128 splits (at the edge when the insert was at an end, so append-only workloads
// keep chunks full); one under 32 merges into a neighbour when the pair fits in 96. A split or
// merge memmoves the flat arrays and marks the Fenwick tree for an O(chunks) rebuild from them at
// the next rank query; plain inserts and removals update it in O(log chunks).
//
// Lookup: a Map member -> slot in dense, unordered slot arrays (member, score), removed by
// swapping the last slot into the hole. Slots give O(1) scores without boxing doubles in the Map,
// O(1) random members, and a SCAN cursor that survives changes (see scan).
//
// Scores are stored as given (never NaN: callers reject it). -0 and 0 compare equal, as in
// Redis; Redis's small (listpack) encoding happens to reply -0 as "0", its skiplist as "-0".

import { varintLen, writeVarint } from "./entry.js";
import {
  compareStr,
  decode,
  H_BIG,
  HDR,
  newBlock,
  P,
  Packed,
  readU24,
  readVarint,
  sameStr,
  varintLenBig,
  writeStr,
  writeVarintBig,
} from "./packed.js";
import { distinctIndexes, scanSlots } from "./set.js";

/** A member with its score. */
export interface ZEntry {
  readonly member: string;
  readonly score: number;
}

/** A score interval, ends exclusive when flagged (ZRANGEBYSCORE's "(1.5"). */
export interface ScoreRange {
  readonly min: number;
  readonly minEx: boolean;
  readonly max: number;
  readonly maxEx: boolean;
}

/** One end of a lex interval: "-" below every member, "+" above every member, "[m" or "(m". */
export type LexBound =
  | { readonly kind: "-" }
  | { readonly kind: "+" }
  | { readonly kind: "[" | "("; readonly value: string };

/** A lex interval (ZRANGEBYLEX min max). Meaningful when all scores are equal, as in Redis. */
export interface LexRange {
  readonly min: LexBound;
  readonly max: LexBound;
}

const DEFAULT_CHUNK = 128;

class Chunk {
  members: string[];
  scores: number[];
  constructor(members: string[], scores: number[]) {
    this.members = members;
    this.scores = scores;
  }
}

/** Heap estimate of one latin1 string held here (V8 SeqOneByteString: 16-byte header, 8-aligned). */
function stringBytes(s: string): number {
  return 16 + ((s.length + 7) & ~7);
}

// Per-entry estimates measured on Node 20 x64 (see the bytes getter).
const MAP_ENTRY_BYTES = 34; // small-integer values, so never boxed
const CHUNK_OVERHEAD_BYTES = 120;
const ENTRY_SLOT_BYTES = 42; // member pointer and unboxed score in a chunk and in the slots, with slack (measured)

/** The skiplist form (see the file comment). */
class ChunkedZset {
  private readonly maxChunk: number;
  private readonly map = new Map<string, number>(); // member -> slot
  private readonly slotMembers: string[] = [];
  private readonly slotScores: number[] = [];
  private chunks: Chunk[] = [];
  private fen: Int32Array = new Int32Array(2);
  // Flat per-chunk index, kept exact: entry counts and first scores. Searches and Fenwick
  // rebuilds read these instead of chasing chunk objects; a split or merge moves them with a
  // memmove.
  private sizes: Int32Array = new Int32Array(4);
  private heads: Float64Array = new Float64Array(4);
  private fenDirty = false;
  private payloadBytes = 0;

  constructor(maxChunk = DEFAULT_CHUNK) {
    this.maxChunk = Math.max(4, maxChunk | 0);
  }

  /** Number of members. */
  get size(): number {
    return this.map.size;
  }

  /** The member's score, or undefined. */
  score(member: string): number | undefined {
    const slot = this.map.get(member);
    return slot === undefined ? undefined : this.slotScores[slot];
  }

  has(member: string): boolean {
    return this.map.has(member);
  }

  /**
   * Sets member's score. Returns undefined when the member is new, else its previous score (the
   * set is unchanged when that equals `score`). NaN must not be passed.
   */
  add(member: string, score: number): number | undefined {
    const slot = this.map.get(member);
    if (slot !== undefined) {
      const old = this.slotScores[slot];
      if (old === score && (old !== 0 || 1 / old === 1 / score)) return old;
      this.removeAt(old, member);
      this.insertEntry(member, score);
      this.slotScores[slot] = score;
      return old;
    }
    this.insertEntry(member, score);
    this.map.set(member, this.slotMembers.length);
    this.slotMembers.push(member);
    this.slotScores.push(score);
    this.payloadBytes += stringBytes(member);
    return undefined;
  }

  /** Removes member; returns whether it was there. */
  remove(member: string): boolean {
    const old = this.score(member);
    if (old === undefined) return false;
    this.removeAt(old, member);
    this.forget(member);
    return true;
  }

  /** 0-based rank of member in ascending order (descending when reverse), or undefined. */
  rank(member: string, reverse = false): number | undefined {
    const score = this.score(member);
    if (score === undefined) return undefined;
    const ci = this.chunkFor(score, member);
    const c = this.chunks[ci];
    const pos = lowerBound(c, score, member);
    const r = this.prefix(ci) + pos;
    return reverse ? this.map.size - 1 - r : r;
  }

  /** The entry at ascending rank r (0 <= r < size), or undefined. */
  at(r: number): ZEntry | undefined {
    if (r < 0 || r >= this.map.size || !Number.isInteger(r)) return undefined;
    const ci = this.chunkOfRank(r);
    const c = this.chunks[ci];
    const off = r - this.prefix(ci);
    return { member: c.members[off], score: c.scores[off] };
  }

  /**
   * Visits ranks first..last inclusive (0 <= first <= last < size, already resolved, e.g. with
   * numbers.ts resolveRange), ascending; with reverse, ranks counted from the top, in descending
   * order (ZREVRANGE first last). Only the visited entries are touched.
   */
  rangeByRank(first: number, last: number, reverse: boolean, visit: (member: string, score: number) => void): void {
    const n = this.map.size;
    if (first < 0) first = 0;
    if (last >= n) last = n - 1;
    if (first > last) return;
    let count = last - first + 1;
    if (!reverse) {
      let ci = this.chunkOfRank(first);
      let off = first - this.prefix(ci);
      while (count > 0) {
        const c = this.chunks[ci];
        const len = c.members.length;
        for (; off < len && count > 0; off++, count--) visit(c.members[off], c.scores[off]);
        ci++;
        off = 0;
      }
    } else {
      const startAsc = n - 1 - first;
      let ci = this.chunkOfRank(startAsc);
      let off = startAsc - this.prefix(ci);
      while (count > 0) {
        const c = this.chunks[ci];
        for (; off >= 0 && count > 0; off--, count--) visit(c.members[off], c.scores[off]);
        ci--;
        if (ci >= 0) off = this.chunks[ci].members.length - 1;
      }
    }
  }

  /** Rank of the first entry inside the range's lower end (size when none). */
  lowerRankByScore(min: number, exclusive: boolean): number {
    return exclusive ? this.firstRank((s) => s > min) : this.firstRank((s) => s >= min);
  }

  /** One past the rank of the last entry inside the range's upper end. */
  upperRankByScore(max: number, exclusive: boolean): number {
    return exclusive ? this.firstRank((s) => s >= max) : this.firstRank((s) => s > max);
  }

  /** Rank of the first member at or after the lex lower end. */
  lowerRankByLex(min: LexBound): number {
    switch (min.kind) {
      case "-":
        return 0;
      case "+":
        return this.map.size;
      case "[": {
        const v = min.value;
        return this.firstRank((_s, m) => m >= v);
      }
      default: {
        const v = min.value;
        return this.firstRank((_s, m) => m > v);
      }
    }
  }

  /** One past the rank of the last member at or before the lex upper end. */
  upperRankByLex(max: LexBound): number {
    switch (max.kind) {
      case "-":
        return 0;
      case "+":
        return this.map.size;
      case "[": {
        const v = max.value;
        return this.firstRank((_s, m) => m > v);
      }
      default: {
        const v = max.value;
        return this.firstRank((_s, m) => m >= v);
      }
    }
  }

  /** ZREMRANGEBYRANK on resolved ascending ranks first..last inclusive; returns the number removed. */
  deleteRangeByRank(first: number, last: number): number {
    const n = this.map.size;
    if (first < 0) first = 0;
    if (last >= n) last = n - 1;
    if (first > last) return 0;
    const removed = last - first + 1;
    let ci = this.chunkOfRank(first);
    let off = first - this.prefix(ci);
    let left = removed;
    const firstChunk = ci;
    let emptied = 0;
    while (left > 0) {
      const c = this.chunks[ci];
      const take = Math.min(c.members.length - off, left);
      for (let k = off; k < off + take; k++) this.forget(c.members[k]);
      c.members.splice(off, take);
      c.scores.splice(off, take);
      if (c.members.length === 0) emptied++;
      left -= take;
      ci++;
      off = 0;
    }
    if (emptied > 0) this.chunks = this.chunks.filter((c) => c.members.length > 0);
    this.reindex();
    // The boundary chunks may be small now; merge around the cut.
    const at = Math.min(firstChunk, this.chunks.length - 1);
    if (at >= 0) this.maybeMerge(at);
    if (at + 1 < this.chunks.length) this.maybeMerge(at + 1);
    return removed;
  }

  /** Removes and returns the lowest entry (ZPOPMIN), or undefined when empty. */
  popMin(): ZEntry | undefined {
    if (this.map.size === 0) return undefined;
    const c = this.chunks[0];
    const member = c.members[0];
    const score = c.scores[0];
    this.removeFromChunk(0, 0);
    this.forget(member);
    return { member, score };
  }

  /** Removes and returns the highest entry (ZPOPMAX), or undefined when empty. */
  popMax(): ZEntry | undefined {
    if (this.map.size === 0) return undefined;
    const ci = this.chunks.length - 1;
    const c = this.chunks[ci];
    const off = c.members.length - 1;
    const member = c.members[off];
    const score = c.scores[off];
    this.removeFromChunk(ci, off);
    this.forget(member);
    return { member, score };
  }

  /** A uniformly random entry, or undefined when empty. `random` returns [0, 1). */
  randomEntry(random: () => number = Math.random): ZEntry | undefined {
    const n = this.map.size;
    if (n === 0) return undefined;
    const slot = Math.floor(random() * n);
    return { member: this.slotMembers[slot], score: this.slotScores[slot] };
  }

  /**
   * ZRANDMEMBER count: for count >= 0, min(count, size) distinct entries (the whole set in order
   * when count >= size, else in random order); for count < 0, |count| entries drawn independently
   * (repeats allowed).
   */
  randomEntries(count: number, random: () => number = Math.random): ZEntry[] {
    const n = this.map.size;
    const out: ZEntry[] = [];
    if (n === 0 || count === 0) return out;
    if (count < 0) {
      for (let k = -count; k > 0; k--) out.push(this.randomEntry(random)!);
      return out;
    }
    if (count >= n) {
      this.rangeByRank(0, n - 1, false, (member, score) => out.push({ member, score }));
      return out;
    }
    for (const slot of distinctIndexes(n, count, random)) {
      out.push({ member: this.slotMembers[slot], score: this.slotScores[slot] });
    }
    return out;
  }

  /** All entries in ascending order. */
  *entries(): IterableIterator<ZEntry> {
    for (const c of this.chunks) {
      // Copy the chunk's slice first so a caller that mutates the set between yields sees a
      // consistent (if stale) chunk rather than shifted arrays.
      const members = c.members.slice();
      const scores = c.scores.slice();
      for (let k = 0; k < members.length; k++) yield { member: members[k], score: scores[k] };
    }
  }

  /** Visits every entry in ascending order (faster than entries()). Do not mutate while visiting. */
  forEach(visit: (member: string, score: number) => void): void {
    for (const c of this.chunks) {
      const { members, scores } = c;
      for (let k = 0; k < members.length; k++) visit(members[k], scores[k]);
    }
  }

  /**
   * One ZSCAN step: visits up to `count` entries in no particular order and returns the next
   * cursor (0 when done; start with 0). Slots are walked from the top down, and a removal only
   * moves the top slot into the hole, so every member present for the whole scan is visited at
   * least once, whatever is added, removed or rescored in between (Redis's SCAN guarantee);
   * members may repeat. Cursors are slot counts, so they stay below 2^32.
   */
  scan(cursor: number, count: number, visit: (member: string, score: number) => void): number {
    return scanSlots(this.slotMembers, cursor, count, (member, slot) => visit(member, this.slotScores[slot]));
  }

  /**
   * Estimated heap bytes held: member strings (shared by the Map, chunks and slots), Map
   * entries, chunk and slot entries, per-chunk overhead and the Fenwick tree.
   */
  get bytes(): number {
    const n = this.map.size;
    return (
      64 +
      this.payloadBytes +
      n * (MAP_ENTRY_BYTES + ENTRY_SLOT_BYTES) +
      this.chunks.length * CHUNK_OVERHEAD_BYTES +
      this.fen.byteLength +
      this.sizes.byteLength +
      this.heads.byteLength
    );
  }

  /** Checks the internal invariants (tests). */
  checkInvariants(): void {
    let total = 0;
    let prevScore = -Infinity;
    let prevMember: string | null = null;
    for (let ci = 0; ci < this.chunks.length; ci++) {
      const c = this.chunks[ci];
      if (c.members.length === 0 || c.members.length > this.maxChunk)
        throw new Error(`chunk ${ci} size ${c.members.length}`);
      if (c.members.length !== c.scores.length) throw new Error("parallel arrays differ");
      if (this.prefix(ci) !== total) throw new Error(`prefix(${ci}) ${this.prefix(ci)} != ${total}`);
      if (this.sizes[ci] !== c.members.length || !Object.is(this.heads[ci], c.scores[0])) {
        throw new Error(`flat index disagrees at chunk ${ci}`);
      }
      for (let k = 0; k < c.members.length; k++) {
        const m = c.members[k];
        const s = c.scores[k];
        if (prevMember !== null && compare(prevScore, prevMember, s, m) >= 0) throw new Error(`order at ${ci}/${k}`);
        const slot = this.map.get(m);
        if (slot === undefined || this.slotMembers[slot] !== m || !Object.is(this.slotScores[slot], s)) {
          throw new Error(`slots disagree for ${m}`);
        }
        prevScore = s;
        prevMember = m;
      }
      total += c.members.length;
    }
    if (total !== this.map.size || this.slotMembers.length !== total || this.slotScores.length !== total) {
      throw new Error(`size ${total} != ${this.map.size}`);
    }
  }

  // -- internals ---------------------------------------------------------------------------

  /** Drops member from the Map and the slots (swap-remove). */
  private forget(member: string): void {
    const slot = this.map.get(member) as number;
    const lastMember = this.slotMembers.pop() as string;
    const lastScore = this.slotScores.pop() as number;
    if (slot < this.slotMembers.length) {
      this.slotMembers[slot] = lastMember;
      this.slotScores[slot] = lastScore;
      this.map.set(lastMember, slot);
    }
    this.map.delete(member);
    this.payloadBytes -= stringBytes(member);
  }

  /** Index of the chunk that holds, or would hold, (score, member). */
  private chunkFor(score: number, member: string): number {
    const heads = this.heads;
    let lo = 0;
    let hi = this.chunks.length - 1;
    // Last chunk whose first entry <= key (0 when the key precedes everything).
    while (lo < hi) {
      const mid = (lo + hi + 1) >>> 1;
      const h = heads[mid];
      if (h < score || (h === score && this.chunks[mid].members[0] <= member)) lo = mid;
      else hi = mid - 1;
    }
    return lo;
  }

  private insertEntry(member: string, score: number): void {
    if (this.chunks.length === 0) {
      this.insertChunk(0, new Chunk([member], [score]));
      return;
    }
    const ci = this.chunkFor(score, member);
    const c = this.chunks[ci];
    const pos = lowerBound(c, score, member);
    c.members.splice(pos, 0, member);
    c.scores.splice(pos, 0, score);
    this.sizes[ci]++;
    if (pos === 0) this.heads[ci] = score;
    if (c.members.length > this.maxChunk) this.split(ci, pos);
    else if (!this.fenDirty) this.fenAdd(ci, 1);
  }

  private split(ci: number, insertedAt: number): void {
    const c = this.chunks[ci];
    const len = c.members.length;
    let at: number;
    if (insertedAt === len - 1 && ci === this.chunks.length - 1) at = len - 1;
    else if (insertedAt === 0 && ci === 0) at = 1;
    else at = len >>> 1;
    const right = new Chunk(c.members.splice(at), c.scores.splice(at));
    this.sizes[ci] = at;
    this.insertChunk(ci + 1, right);
  }

  /** Puts chunk c at index i, shifting the flat index up by one. */
  private insertChunk(i: number, c: Chunk): void {
    const n = this.chunks.length;
    if (n === this.sizes.length) {
      const sizes = new Int32Array(n * 2);
      sizes.set(this.sizes);
      this.sizes = sizes;
      const heads = new Float64Array(n * 2);
      heads.set(this.heads);
      this.heads = heads;
    }
    this.chunks.splice(i, 0, c);
    this.sizes.copyWithin(i + 1, i, n);
    this.heads.copyWithin(i + 1, i, n);
    this.sizes[i] = c.members.length;
    this.heads[i] = c.scores[0];
    this.fenDirty = true;
  }

  /** Drops chunk i, shifting the flat index down by one. */
  private deleteChunk(i: number): void {
    const n = this.chunks.length;
    this.chunks.splice(i, 1);
    this.sizes.copyWithin(i, i + 1, n);
    this.heads.copyWithin(i, i + 1, n);
    this.fenDirty = true;
  }

  /** Recomputes the flat index from the chunks (after bulk changes). */
  private reindex(): void {
    const n = this.chunks.length;
    if (this.sizes.length < n) {
      this.sizes = new Int32Array(n * 2);
      this.heads = new Float64Array(n * 2);
    }
    for (let i = 0; i < n; i++) {
      const c = this.chunks[i];
      this.sizes[i] = c.members.length;
      this.heads[i] = c.scores[0];
    }
    this.fenDirty = true;
  }

  /** Removes the stored entry (score, member), which must exist. */
  private removeAt(score: number, member: string): void {
    const ci = this.chunkFor(score, member);
    const pos = lowerBound(this.chunks[ci], score, member);
    this.removeFromChunk(ci, pos);
  }

  private removeFromChunk(ci: number, pos: number): void {
    const c = this.chunks[ci];
    if (pos === c.members.length - 1) {
      c.members.pop();
      c.scores.pop();
    } else if (pos === 0) {
      c.members.shift();
      c.scores.shift();
    } else {
      c.members.splice(pos, 1);
      c.scores.splice(pos, 1);
    }
    if (c.members.length === 0) {
      this.deleteChunk(ci);
      return;
    }
    this.sizes[ci]--;
    if (pos === 0) this.heads[ci] = c.scores[0];
    if (!this.fenDirty) this.fenAdd(ci, -1);
    if (c.members.length < this.maxChunk >>> 2) this.maybeMerge(ci);
  }

  /** Merges chunk ci into a neighbour when it is small and the pair fits comfortably. */
  private maybeMerge(ci: number): void {
    const chunks = this.chunks;
    const c = chunks[ci];
    if (c === undefined || c.members.length >= this.maxChunk >>> 2) return;
    const mergedMax = (this.maxChunk * 3) >>> 2;
    const prev = ci > 0 ? chunks[ci - 1] : undefined;
    const next = ci + 1 < chunks.length ? chunks[ci + 1] : undefined;
    if (prev !== undefined && prev.members.length + c.members.length <= mergedMax) {
      for (let k = 0; k < c.members.length; k++) {
        prev.members.push(c.members[k]);
        prev.scores.push(c.scores[k]);
      }
      this.sizes[ci - 1] = prev.members.length;
      this.deleteChunk(ci);
    } else if (next !== undefined && next.members.length + c.members.length <= mergedMax) {
      next.members = c.members.concat(next.members);
      next.scores = c.scores.concat(next.scores);
      this.sizes[ci + 1] = next.members.length;
      this.heads[ci + 1] = next.scores[0];
      this.deleteChunk(ci);
    }
  }

  /** The first ascending rank whose entry satisfies pred (monotone: false..., true...), or size. */
  private firstRank(pred: (score: number, member: string) => boolean): number {
    const chunks = this.chunks;
    let lo = 0;
    let hi = chunks.length;
    // First chunk whose last entry satisfies pred.
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      const c = chunks[mid];
      const k = c.members.length - 1;
      if (pred(c.scores[k], c.members[k])) hi = mid;
      else lo = mid + 1;
    }
    if (lo === chunks.length) return this.map.size;
    const c = chunks[lo];
    let a = 0;
    let b = c.members.length - 1;
    while (a < b) {
      const mid = (a + b) >>> 1;
      if (pred(c.scores[mid], c.members[mid])) b = mid;
      else a = mid + 1;
    }
    return this.prefix(lo) + a;
  }

  // Fenwick tree over chunk sizes (1-based inside fen).

  private rebuild(): void {
    const n = this.chunks.length;
    let cap = 1;
    while (cap < n) cap <<= 1;
    if (this.fen.length !== cap + 1) this.fen = new Int32Array(cap + 1);
    const fen = this.fen;
    fen.fill(0);
    fen.set(this.sizes.subarray(0, n), 1);
    for (let i = 1; i <= cap; i++) {
      const j = i + (i & -i);
      if (j <= cap) fen[j] += fen[i];
    }
    this.fenDirty = false;
  }

  private fenAdd(ci: number, delta: number): void {
    const fen = this.fen;
    for (let i = ci + 1; i < fen.length; i += i & -i) fen[i] += delta;
  }

  /** Number of entries in chunks before ci. */
  private prefix(ci: number): number {
    if (this.fenDirty) this.rebuild();
    const fen = this.fen;
    let s = 0;
    for (let i = ci; i > 0; i -= i & -i) s += fen[i];
    return s;
  }

  /** Chunk index holding ascending rank r (0 <= r < size). */
  private chunkOfRank(r: number): number {
    if (this.fenDirty) this.rebuild();
    const fen = this.fen;
    const cap = fen.length - 1;
    let pos = 0;
    let rem = r;
    for (let step = cap; step > 0; step >>= 1) {
      const next = pos + step;
      if (next <= cap && fen[next] <= rem) {
        pos = next;
        rem -= fen[next];
      }
    }
    return pos; // 0-based chunk index
  }
}

/** The packed form's limits: Redis's zset-max-listpack-entries / -value defaults. */
export const ZSET_PACKED_MAX_ENTRIES = 128;
export const ZSET_PACKED_MAX_VALUE = 64;

const TWO51 = 2 ** 51;
const F64 = new Float64Array(1);
const F64_BYTES = new Uint8Array(F64.buffer);

/** The score's varint u (0: an f64 follows). */
function scoreCode(score: number): number {
  if (Number.isInteger(score) && score <= TWO51 && score >= -TWO51 && !(score === 0 && 1 / score < 0)) {
    return (score >= 0 ? 2 * score : -2 * score - 1) + 1;
  }
  return 0;
}

/** Bytes of a packed entry for (member, score). */
function entryBytes(member: string, score: number): number {
  const u = scoreCode(score);
  return (u === 0 ? 9 : varintLenBig(u)) + varintLen(member.length) + member.length;
}

function writeEntry(b: Uint8Array, p: number, member: string, score: number): void {
  const u = scoreCode(score);
  if (u === 0) {
    b[p++] = 0;
    F64[0] = score;
    for (let k = 0; k < 8; k++) b[p + k] = F64_BYTES[k];
    p += 8;
  } else p = writeVarintBig(b, p, u);
  writeStr(b, writeVarint(b, p, member.length), member);
}

// readEntry()'s results: the entry's score and member bytes.
let zScore = 0;
let zStart = 0;
let zLen = 0;

/** Reads the entry at p into zScore/zStart/zLen; returns the position after it. */
function readEntry(b: Uint8Array, p: number): number {
  let u = b[p];
  if (u < 0x80) p++;
  else {
    u = readVarint(b, p);
    p = P.q;
  }
  if (u === 0) {
    for (let k = 0; k < 8; k++) F64_BYTES[k] = b[p + k];
    zScore = F64[0];
    p += 8;
  } else {
    const z = u - 1;
    zScore = z % 2 === 0 ? z / 2 : -(z + 1) / 2;
  }
  let n = b[p];
  if (n < 0x80) p++;
  else {
    n = readVarint(b, p);
    p = P.q;
  }
  zStart = p;
  zLen = n;
  return p + n;
}

/** Whether the entry read last sorts before (score, member). */
function readBefore(b: Uint8Array, score: number, member: string): boolean {
  return zScore < score || (zScore === score && compareStr(b, zStart, zLen, member) < 0);
}

export class SortedSet extends Packed<ChunkedZset> {
  /**
   * `maxChunk` (entries per chunk, at least 4) exists for tests that want many chunks: such a set
   * starts in the skiplist form.
   */
  constructor(maxChunk?: number) {
    super(maxChunk === undefined ? newBlock() : new ChunkedZset(maxChunk), maxChunk !== undefined);
  }

  /** Number of members. */
  get size(): number {
    return this.h === H_BIG ? this.big.size : this.count();
  }

  /** The member's score, or undefined. */
  score(member: string): number | undefined {
    if (this.h === H_BIG) return this.big.score(member);
    return this.find(member) < 0 ? undefined : zScore;
  }

  has(member: string): boolean {
    if (this.h === H_BIG) return this.big.has(member);
    return this.find(member) >= 0;
  }

  /**
   * Sets member's score. Returns undefined when the member is new, else its previous score (the
   * set is unchanged when that equals `score`). NaN must not be passed.
   */
  add(member: string, score: number): number | undefined {
    if (this.h === H_BIG) return this.big.add(member, score);
    const e = this.find(member);
    if (e >= 0) {
      const old = zScore;
      if (old === score && (old !== 0 || 1 / old === 1 / score)) return old;
      const n = readU24(P.b, P.o + 3);
      this.removeBytes(e - P.o - HDR, zStart + zLen - e, n - 1);
      this.insert(member, score, n - 1);
      return old;
    }
    const n = readU24(P.b, P.o + 3);
    if (n >= ZSET_PACKED_MAX_ENTRIES || member.length > ZSET_PACKED_MAX_VALUE) {
      return this.convert().add(member, score);
    }
    this.insert(member, score, n);
    return undefined;
  }

  /** Removes member; returns whether it was there. */
  remove(member: string): boolean {
    if (this.h === H_BIG) return this.big.remove(member);
    const e = this.find(member);
    if (e < 0) return false;
    this.removeBytes(e - P.o - HDR, zStart + zLen - e, readU24(P.b, P.o + 3) - 1);
    return true;
  }

  /** 0-based rank of member in ascending order (descending when reverse), or undefined. */
  rank(member: string, reverse = false): number | undefined {
    if (this.h === H_BIG) return this.big.rank(member, reverse);
    const o = this.open();
    const b = P.b;
    const n = readU24(b, o + 3);
    let p = o + HDR;
    for (let r = 0; r < n; r++) {
      p = readEntry(b, p);
      if (sameStr(b, zStart, zLen, member)) return reverse ? n - 1 - r : r;
    }
    return undefined;
  }

  /** The entry at ascending rank r (0 <= r < size), or undefined. */
  at(r: number): ZEntry | undefined {
    if (this.h === H_BIG) return this.big.at(r);
    const o = this.open();
    const b = P.b;
    const n = readU24(b, o + 3);
    if (r < 0 || r >= n || !Number.isInteger(r)) return undefined;
    let p = o + HDR;
    for (let k = 0; k <= r; k++) p = readEntry(b, p);
    return { member: decode(b, zStart, zStart + zLen), score: zScore };
  }

  /**
   * Visits ranks first..last inclusive (0 <= first <= last < size, already resolved, e.g. with
   * numbers.ts resolveRange), ascending; with reverse, ranks counted from the top, in descending
   * order (ZREVRANGE first last). Only the visited entries are touched.
   */
  rangeByRank(first: number, last: number, reverse: boolean, visit: (member: string, score: number) => void): void {
    if (this.h === H_BIG) {
      this.big.rangeByRank(first, last, reverse, visit);
      return;
    }
    const n = this.count();
    if (first < 0) first = 0;
    if (last >= n) last = n - 1;
    if (first > last) return;
    // Ascending ranks lo..hi, read out first: `visit` may change the set.
    const lo = reverse ? n - 1 - last : first;
    const hi = reverse ? n - 1 - first : last;
    const members: string[] = [];
    const scores: number[] = [];
    this.readRanks(lo, hi, members, scores);
    if (!reverse) for (let k = 0; k < members.length; k++) visit(members[k], scores[k]);
    else for (let k = members.length - 1; k >= 0; k--) visit(members[k], scores[k]);
  }

  /** Rank of the first entry inside the range's lower end (size when none). */
  lowerRankByScore(min: number, exclusive: boolean): number {
    if (this.h === H_BIG) return this.big.lowerRankByScore(min, exclusive);
    return this.firstRankByScore(min, exclusive);
  }

  /** One past the rank of the last entry inside the range's upper end. */
  upperRankByScore(max: number, exclusive: boolean): number {
    if (this.h === H_BIG) return this.big.upperRankByScore(max, exclusive);
    return this.firstRankByScore(max, !exclusive);
  }

  /** Rank of the first member at or after the lex lower end. */
  lowerRankByLex(min: LexBound): number {
    if (this.h === H_BIG) return this.big.lowerRankByLex(min);
    switch (min.kind) {
      case "-":
        return 0;
      case "+":
        return this.count();
      default:
        return this.firstRankByLex(min.value, min.kind === "(");
    }
  }

  /** One past the rank of the last member at or before the lex upper end. */
  upperRankByLex(max: LexBound): number {
    if (this.h === H_BIG) return this.big.upperRankByLex(max);
    switch (max.kind) {
      case "-":
        return 0;
      case "+":
        return this.count();
      default:
        return this.firstRankByLex(max.value, max.kind === "[");
    }
  }

  /** ZCOUNT, O(log n). */
  countByScore(range: ScoreRange): number {
    const lo = this.lowerRankByScore(range.min, range.minEx);
    const hi = this.upperRankByScore(range.max, range.maxEx);
    return hi > lo ? hi - lo : 0;
  }

  /** ZLEXCOUNT, O(log n). */
  countByLex(range: LexRange): number {
    const lo = this.lowerRankByLex(range.min);
    const hi = this.upperRankByLex(range.max);
    return hi > lo ? hi - lo : 0;
  }

  /** The ascending rank interval [lo, hi) of a score range (empty when hi <= lo). */
  ranksByScore(range: ScoreRange): [number, number] {
    return [this.lowerRankByScore(range.min, range.minEx), this.upperRankByScore(range.max, range.maxEx)];
  }

  /** The ascending rank interval [lo, hi) of a lex range. */
  ranksByLex(range: LexRange): [number, number] {
    return [this.lowerRankByLex(range.min), this.upperRankByLex(range.max)];
  }

  /**
   * ZRANGEBYSCORE / ZREVRANGEBYSCORE with LIMIT: visits entries in the range, ascending (descending
   * when reverse), skipping `offset` of them and visiting at most `limit` (negative: all). Returns
   * the number visited.
   */
  rangeByScore(
    range: ScoreRange,
    reverse: boolean,
    offset: number,
    limit: number,
    visit: (member: string, score: number) => void,
  ): number {
    const [lo, hi] = this.ranksByScore(range);
    return this.visitInterval(lo, hi, reverse, offset, limit, visit);
  }

  /** ZRANGEBYLEX / ZREVRANGEBYLEX with LIMIT, as rangeByScore. */
  rangeByLex(
    range: LexRange,
    reverse: boolean,
    offset: number,
    limit: number,
    visit: (member: string, score: number) => void,
  ): number {
    const [lo, hi] = this.ranksByLex(range);
    return this.visitInterval(lo, hi, reverse, offset, limit, visit);
  }

  /** ZREMRANGEBYRANK on resolved ascending ranks first..last inclusive; returns the number removed. */
  deleteRangeByRank(first: number, last: number): number {
    if (this.h === H_BIG) return this.big.deleteRangeByRank(first, last);
    const o = this.open();
    const b = P.b;
    const n = readU24(b, o + 3);
    if (first < 0) first = 0;
    if (last >= n) last = n - 1;
    if (first > last) return 0;
    const start = o + HDR;
    let p = start;
    for (let k = 0; k < first; k++) p = readEntry(b, p);
    const from = p;
    for (let k = first; k <= last; k++) p = readEntry(b, p);
    const removed = last - first + 1;
    this.removeBytes(from - start, p - from, n - removed);
    return removed;
  }

  /** ZREMRANGEBYSCORE; returns the number removed. */
  deleteRangeByScore(range: ScoreRange): number {
    const [lo, hi] = this.ranksByScore(range);
    return hi > lo ? this.deleteRangeByRank(lo, hi - 1) : 0;
  }

  /** ZREMRANGEBYLEX; returns the number removed. */
  deleteRangeByLex(range: LexRange): number {
    const [lo, hi] = this.ranksByLex(range);
    return hi > lo ? this.deleteRangeByRank(lo, hi - 1) : 0;
  }

  /** Removes and returns the lowest entry (ZPOPMIN), or undefined when empty. */
  popMin(): ZEntry | undefined {
    if (this.h === H_BIG) return this.big.popMin();
    const e = this.at(0);
    if (e !== undefined) this.deleteRangeByRank(0, 0);
    return e;
  }

  /** Removes and returns the highest entry (ZPOPMAX), or undefined when empty. */
  popMax(): ZEntry | undefined {
    if (this.h === H_BIG) return this.big.popMax();
    const n = this.count();
    const e = this.at(n - 1);
    if (e !== undefined) this.deleteRangeByRank(n - 1, n - 1);
    return e;
  }

  /** A uniformly random entry, or undefined when empty. `random` returns [0, 1). */
  randomEntry(random: () => number = Math.random): ZEntry | undefined {
    if (this.h === H_BIG) return this.big.randomEntry(random);
    const n = this.count();
    return n === 0 ? undefined : this.at(Math.floor(random() * n));
  }

  /**
   * ZRANDMEMBER count: for count >= 0, min(count, size) distinct entries (the whole set in order
   * when count >= size, else in random order); for count < 0, |count| entries drawn independently
   * (repeats allowed).
   */
  randomEntries(count: number, random: () => number = Math.random): ZEntry[] {
    if (this.h === H_BIG) return this.big.randomEntries(count, random);
    const n = this.count();
    const out: ZEntry[] = [];
    if (n === 0 || count === 0) return out;
    const members: string[] = [];
    const scores: number[] = [];
    this.readRanks(0, n - 1, members, scores);
    if (count < 0) {
      for (let k = -count; k > 0; k--) {
        const i = Math.floor(random() * n);
        out.push({ member: members[i], score: scores[i] });
      }
    } else if (count >= n) {
      for (let i = 0; i < n; i++) out.push({ member: members[i], score: scores[i] });
    } else {
      for (const i of distinctIndexes(n, count, random)) out.push({ member: members[i], score: scores[i] });
    }
    return out;
  }

  /** All entries in ascending order. */
  *entries(): IterableIterator<ZEntry> {
    if (this.h === H_BIG) {
      yield* this.big.entries();
      return;
    }
    const members: string[] = [];
    const scores: number[] = [];
    this.readRanks(0, this.count() - 1, members, scores);
    for (let k = 0; k < members.length; k++) yield { member: members[k], score: scores[k] };
  }

  /** Visits every entry in ascending order (faster than entries()). Do not mutate while visiting. */
  forEach(visit: (member: string, score: number) => void): void {
    if (this.h === H_BIG) {
      this.big.forEach(visit);
      return;
    }
    this.rangeByRank(0, this.count() - 1, false, visit);
  }

  /**
   * One ZSCAN step: visits up to `count` entries in no particular order and returns the next
   * cursor (0 when done; start with 0). Every member present for the whole scan is visited at
   * least once, whatever is added, removed or rescored in between (Redis's SCAN guarantee);
   * members may repeat. A packed set that `count` covers is visited whole, with cursor 0; one it
   * does not cover (the commands scan a small set by steps only where Redis holds it as a
   * skiplist) moves to the skiplist form first, whose slots then start in rank order.
   */
  scan(cursor: number, count: number, visit: (member: string, score: number) => void): number {
    if (this.h !== H_BIG) {
      if (count >= this.count()) {
        this.forEach(visit);
        return 0;
      }
      this.convert();
    }
    return this.big.scan(cursor, count, visit);
  }

  /** Estimated heap bytes held (a packed set's block is counted by the slab, not here). */
  get bytes(): number {
    return this.heapBytes((z) => z.bytes);
  }

  /** Checks the internal invariants (tests). */
  checkInvariants(): void {
    if (this.h === H_BIG) {
      this.big.checkInvariants();
      return;
    }
    const o = this.open();
    const b = P.b;
    const n = readU24(b, o + 3);
    const end = o + HDR + readU24(b, o);
    let p = o + HDR;
    let prevScore = Number.NEGATIVE_INFINITY;
    let prevMember: string | null = null;
    const seen = new Set<string>();
    for (let k = 0; k < n; k++) {
      if (p >= end) throw new Error(`packed: ${k} entries before the end, count ${n}`);
      p = readEntry(b, p);
      const m = decode(b, zStart, zStart + zLen);
      if (prevMember !== null && compare(prevScore, prevMember, zScore, m) >= 0)
        throw new Error(`packed order at ${k}`);
      if (seen.has(m)) throw new Error(`packed: ${m} twice`);
      seen.add(m);
      prevScore = zScore;
      prevMember = m;
    }
    if (p !== end) throw new Error(`packed: entries end at ${p - o}, used says ${end - o}`);
  }

  protected unpack(): ChunkedZset {
    const z = new ChunkedZset();
    const members: string[] = [];
    const scores: number[] = [];
    this.readRanks(0, this.count() - 1, members, scores);
    for (let k = 0; k < members.length; k++) z.add(members[k], scores[k]);
    return z;
  }

  // -- packed internals ------------------------------------------------------------------------

  /** The position of member's entry (P at the block, zScore its score), or -1. */
  private find(member: string): number {
    const o = this.open();
    const b = P.b;
    const end = o + HDR + readU24(b, o);
    const want = member.length;
    let p = o + HDR;
    while (p < end) {
      const e = p;
      p = readEntry(b, p);
      if (zLen === want && sameStr(b, zStart, zLen, member)) return e;
    }
    return -1;
  }

  /** Inserts a member the set does not hold, in order; n is the count before. */
  private insert(member: string, score: number, n: number): void {
    const o = this.open();
    const b = P.b;
    const start = o + HDR;
    const end = start + readU24(b, o);
    let p = start;
    while (p < end) {
      const next = readEntry(b, p);
      if (!readBefore(b, score, member)) break;
      p = next;
    }
    const at = this.splice(p - start, 0, entryBytes(member, score));
    writeEntry(P.b, at, member, score);
    this.setCount(n + 1);
  }

  private removeBytes(at: number, len: number, count: number): void {
    this.splice(at, len, 0);
    this.setCount(count);
  }

  /** Appends the entries of ascending ranks lo..hi (within the set) to members and scores. */
  private readRanks(lo: number, hi: number, members: string[], scores: number[]): void {
    const o = this.open();
    const b = P.b;
    let p = o + HDR;
    for (let k = 0; k < lo; k++) p = readEntry(b, p);
    for (let k = lo; k <= hi; k++) {
      p = readEntry(b, p);
      members.push(decode(b, zStart, zStart + zLen));
      scores.push(zScore);
    }
  }

  /** The first rank whose score is > x (strict) or >= x, or size. */
  private firstRankByScore(x: number, strict: boolean): number {
    const o = this.open();
    const b = P.b;
    const n = readU24(b, o + 3);
    let p = o + HDR;
    for (let r = 0; r < n; r++) {
      p = readEntry(b, p);
      if (strict ? zScore > x : zScore >= x) return r;
    }
    return n;
  }

  /** The first rank whose member is > v (strict) or >= v, or size. */
  private firstRankByLex(v: string, strict: boolean): number {
    const o = this.open();
    const b = P.b;
    const n = readU24(b, o + 3);
    let p = o + HDR;
    for (let r = 0; r < n; r++) {
      p = readEntry(b, p);
      const c = compareStr(b, zStart, zLen, v);
      if (strict ? c > 0 : c >= 0) return r;
    }
    return n;
  }

  private visitInterval(
    lo: number,
    hi: number,
    reverse: boolean,
    offset: number,
    limit: number,
    visit: (member: string, score: number) => void,
  ): number {
    if (offset < 0) return 0; // Redis: a negative offset gives an empty reply
    let count = hi - lo - offset;
    if (count <= 0) return 0;
    if (limit >= 0 && limit < count) count = limit;
    if (count === 0) return 0;
    if (!reverse) this.rangeByRank(lo + offset, lo + offset + count - 1, false, visit);
    else {
      const n = this.size;
      const topAsc = hi - 1 - offset; // highest ascending rank to visit
      this.rangeByRank(n - 1 - topAsc, n - 1 - topAsc + count - 1, true, visit);
    }
    return count;
  }
}

function compare(s1: number, m1: string, s2: number, m2: string): number {
  if (s1 < s2) return -1;
  if (s1 > s2) return 1;
  return m1 < m2 ? -1 : m1 > m2 ? 1 : 0;
}

/** First position in c whose entry is >= (score, member). */
function lowerBound(c: Chunk, score: number, member: string): number {
  const { members, scores } = c;
  let lo = 0;
  let hi = members.length;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    const s = scores[mid];
    if (s < score || (s === score && members[mid] < member)) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}
