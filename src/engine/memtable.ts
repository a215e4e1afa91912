// The memtable: recent writes, sorted, in memory. An arena-based skiplist: keys and values are
// appended to one growable byte arena, and every node is a handful of slots in typed arrays
// (key offset and length, value offset and length, sequence number, kind, tower of next links).
// No object per entry, so a million entries cost a few typed arrays, not a million objects.
//
// Order is internal order: user key ascending, sequence number descending. Every write is a new
// node (MVCC); nothing is updated in place, so views into the arena stay valid: the arena only
// grows by copying into a larger buffer, and the old buffer keeps the bytes earlier views see.

import { compareRange } from "../format/compare.js";
import { type EntryKind, type InternalIterator, KIND_DELETE } from "../format/internal-iterator.js";

/** Copies src[s, e) to dst at `at`: a loop for short ranges, a native copy (without a subarray) otherwise. */
function copyBytes(dst: Uint8Array, at: number, src: Uint8Array, s: number, e: number): void {
  const n = e - s;
  if (n <= 48) {
    for (let i = 0; i < n; i++) dst[at + i] = src[s + i];
  } else if (s === 0 && e === src.length) {
    dst.set(src, at);
  } else {
    dst.set(src.subarray(s, e), at);
  }
}

const MAX_HEIGHT = 12;
const NIL = -1;
const HEAD = 0;

export interface MemtableEntry {
  kind: EntryKind;
  seq: number;
  value: Uint8Array;
}

export class Memtable {
  /** Bytes of keys and values. */
  arena: Uint8Array;
  private arenaUsed = 0;
  private count = 0; // nodes, including the head
  keyOff: Uint32Array;
  keyLen: Uint32Array;
  valOff: Uint32Array;
  valLen: Uint32Array;
  seqs: Float64Array;
  kinds: Uint8Array;
  private linkBase: Uint32Array;
  links: Int32Array;
  private linksUsed = 0;
  private height = 1;
  private readonly prevScratch = new Int32Array(MAX_HEIGHT);
  private readonly tail = new Int32Array(MAX_HEIGHT);
  private rnd = 0x2545f491;
  /** Highest sequence number inserted. */
  maxSeq = 0;
  /** Number of delete entries, for stats. */
  deletes = 0;

  /**
   * `initialBytes` and `initialNodes` size the arena and node arrays up front (the store passes its
   * write buffer size and the previous memtable's entry count), so a full memtable is built without
   * regrowing and copying its arrays.
   */
  constructor(initialBytes = 1 << 20, initialNodes = 1024) {
    this.arena = new Uint8Array(initialBytes);
    const nodes = Math.max(16, initialNodes);
    this.keyOff = new Uint32Array(nodes);
    this.keyLen = new Uint32Array(nodes);
    this.valOff = new Uint32Array(nodes);
    this.valLen = new Uint32Array(nodes);
    this.seqs = new Float64Array(nodes);
    this.kinds = new Uint8Array(nodes);
    this.linkBase = new Uint32Array(nodes);
    this.links = new Int32Array(nodes * 2);
    this.newNode(MAX_HEIGHT); // head
    this.links.fill(NIL, 0, MAX_HEIGHT);
    this.tail.fill(HEAD);
  }

  /** Entries held (versions, including deletes). */
  get entries(): number {
    return this.count - 1;
  }

  /** Bytes of keys and values held. */
  get arenaBytes(): number {
    return this.arenaUsed;
  }

  /** Approximate memory this memtable accounts for: arena bytes plus per-node slots. */
  get approximateBytes(): number {
    return this.arenaUsed + (this.count - 1) * 48;
  }

  private randomHeight(): number {
    // xorshift32; a node reaches level h+1 with probability 1/4
    let x = this.rnd;
    x ^= x << 13;
    x ^= x >>> 17;
    x ^= x << 5;
    this.rnd = x;
    let h = 1;
    while (h < MAX_HEIGHT && (x & 3) === 0) {
      h++;
      x >>>= 2;
    }
    return h;
  }

  private newNode(height: number): number {
    const n = this.count;
    if (n === this.keyOff.length) this.growNodes();
    if (this.linksUsed + height > this.links.length) {
      const bigger = new Int32Array(Math.max(this.links.length * 2, this.linksUsed + height));
      bigger.set(this.links);
      this.links = bigger;
    }
    this.linkBase[n] = this.linksUsed;
    this.linksUsed += height;
    this.count++;
    return n;
  }

  private growNodes(): void {
    const size = this.keyOff.length * 2;
    const grow = <T extends Uint32Array | Float64Array | Uint8Array>(a: T, make: (n: number) => T): T => {
      const b = make(size);
      b.set(a);
      return b;
    };
    this.keyOff = grow(this.keyOff, (n) => new Uint32Array(n));
    this.keyLen = grow(this.keyLen, (n) => new Uint32Array(n));
    this.valOff = grow(this.valOff, (n) => new Uint32Array(n));
    this.valLen = grow(this.valLen, (n) => new Uint32Array(n));
    this.seqs = grow(this.seqs, (n) => new Float64Array(n));
    this.kinds = grow(this.kinds, (n) => new Uint8Array(n));
    this.linkBase = grow(this.linkBase, (n) => new Uint32Array(n));
  }

  private reserveArena(bytes: number): number {
    if (this.arenaUsed + bytes > this.arena.length) {
      const bigger = new Uint8Array(Math.max(this.arena.length * 2, this.arenaUsed + bytes));
      bigger.set(this.arena.subarray(0, this.arenaUsed));
      this.arena = bigger;
    }
    const at = this.arenaUsed;
    this.arenaUsed += bytes;
    return at;
  }

  /** Length of the common prefix found by the last `cmpFrom`. */
  private lcp = 0;

  /**
   * Compares node n with (key[ks, ke), seq) in internal order, knowing the first `from` bytes are
   * equal; leaves the common prefix length in `this.lcp`. During a descent every node compared
   * lies between a lower and an upper bound, so it shares with the key whatever prefix both bounds
   * share with it: those bytes need no comparing (keys with long common prefixes are the norm).
   */
  private cmpFrom(n: number, key: Uint8Array, ks: number, ke: number, seq: number, from: number): number {
    const arena = this.arena;
    const off = this.keyOff[n];
    const alen = this.keyLen[n];
    const blen = ke - ks;
    const m = Math.min(alen, blen);
    let i = from;
    while (i < m && arena[off + i] === key[ks + i]) i++;
    this.lcp = i;
    if (i < m) return arena[off + i] - key[ks + i];
    if (alen !== blen) return alen - blen;
    return seq - this.seqs[n];
  }

  /**
   * Fills `prevScratch` with the last node < (key, seq) at every level; returns the level-0 one.
   */
  private descend(key: Uint8Array, ks: number, ke: number, seq: number): number {
    const links = this.links;
    const linkBase = this.linkBase;
    const prev = this.prevScratch;
    let x = HEAD;
    let lcpLo = 0; // common prefix with x (the head counts as sharing nothing)
    let lcpHi = 0; // common prefix with the upper bound (none yet: +infinity)
    for (let l = this.height - 1; l >= 0; l--) {
      for (;;) {
        const nx = links[linkBase[x] + l];
        if (nx === NIL) break;
        const c = this.cmpFrom(nx, key, ks, ke, seq, Math.min(lcpLo, lcpHi));
        if (c >= 0) {
          lcpHi = this.lcp;
          break;
        }
        x = nx;
        lcpLo = this.lcp;
      }
      prev[l] = x;
    }
    return x;
  }

  /** Compares node n with (key[ks, ke), seq) in internal order. */
  private cmpNode(n: number, key: Uint8Array, ks: number, ke: number, seq: number): number {
    const off = this.keyOff[n];
    const c = compareRange(this.arena, off, off + this.keyLen[n], key, ks, ke);
    if (c !== 0) return c;
    return seq - this.seqs[n];
  }

  /** Inserts a version. `key[ks, ke)` and `value[vs, ve)` are copied into the arena. */
  add(
    seq: number,
    kind: EntryKind,
    key: Uint8Array,
    ks: number,
    ke: number,
    value: Uint8Array,
    vs: number,
    ve: number,
  ): void {
    const klen = ke - ks;
    const vlen = kind === KIND_DELETE ? 0 : ve - vs;
    const at = this.reserveArena(klen + vlen);
    const arena = this.arena;
    copyBytes(arena, at, key, ks, ke);
    if (vlen > 0) copyBytes(arena, at + klen, value, vs, ve);

    const prev = this.prevScratch;
    const last = this.tail[0];
    if (last !== HEAD && this.cmpNode(last, key, ks, ke, seq) < 0) {
      // Appending past the largest entry (sequential loads): the tails are the predecessors.
      for (let l = 0; l < this.height; l++) prev[l] = this.tail[l];
    } else {
      this.descend(key, ks, ke, seq);
    }
    const h = this.randomHeight();
    if (h > this.height) {
      for (let l = this.height; l < h; l++) prev[l] = HEAD;
      this.height = h;
    }
    const n = this.newNode(h);
    const nl = this.links; // newNode may have grown it
    this.keyOff[n] = at;
    this.keyLen[n] = klen;
    this.valOff[n] = at + klen;
    this.valLen[n] = vlen;
    this.seqs[n] = seq;
    this.kinds[n] = kind;
    const base = this.linkBase[n];
    for (let l = 0; l < h; l++) {
      const p = this.linkBase[prev[l]] + l;
      nl[base + l] = nl[p];
      nl[p] = n;
      if (nl[base + l] === NIL) this.tail[l] = n;
    }
    if (seq > this.maxSeq) this.maxSeq = seq;
    if (kind === KIND_DELETE) this.deletes++;
  }

  /** First node >= (key, seq) in internal order, or NIL. */
  seekNode(key: Uint8Array, seq: number): number {
    const x = this.descend(key, 0, key.length, seq);
    return this.links[this.linkBase[x]];
  }

  /** Last node < (key, seq) in internal order, or NIL. */
  seekBeforeNode(key: Uint8Array, seq: number): number {
    const links = this.links;
    let x = HEAD;
    for (let l = this.height - 1; l >= 0; l--) {
      for (;;) {
        const nx = links[this.linkBase[x] + l];
        if (nx === NIL || this.cmpNode(nx, key, 0, key.length, seq) >= 0) break;
        x = nx;
      }
    }
    return x === HEAD ? NIL : x;
  }

  /** Node before `n` (by search), or NIL. */
  prevNode(n: number): number {
    const links = this.links;
    const off = this.keyOff[n];
    const end = off + this.keyLen[n];
    const seq = this.seqs[n];
    let x = HEAD;
    for (let l = this.height - 1; l >= 0; l--) {
      for (;;) {
        const nx = links[this.linkBase[x] + l];
        if (nx === NIL || nx === n) break;
        const c = compareRange(this.arena, this.keyOff[nx], this.keyOff[nx] + this.keyLen[nx], this.arena, off, end);
        if (c > 0 || (c === 0 && this.seqs[nx] <= seq)) break;
        x = nx;
      }
    }
    return x === HEAD ? NIL : x;
  }

  nextNode(n: number): number {
    return this.links[this.linkBase[n]];
  }

  firstNode(): number {
    return this.links[this.linkBase[HEAD]];
  }

  lastNode(): number {
    return this.count > 1 ? this.tail[0] : NIL;
  }

  /** Newest version of `key` with seq <= `snapshotSeq`, or undefined. The value is a view into the arena. */
  get(key: Uint8Array, snapshotSeq: number): MemtableEntry | undefined {
    const n = this.seekNode(key, snapshotSeq);
    if (n === NIL) return undefined;
    const off = this.keyOff[n];
    if (compareRange(this.arena, off, off + this.keyLen[n], key, 0, key.length) !== 0) return undefined;
    const vo = this.valOff[n];
    return { kind: this.kinds[n] as EntryKind, seq: this.seqs[n], value: this.arena.subarray(vo, vo + this.valLen[n]) };
  }

  iterator(): InternalIterator {
    return new MemtableIterator(this);
  }
}

class MemtableIterator implements InternalIterator {
  private node = NIL;
  constructor(private readonly mem: Memtable) {}
  valid(): boolean {
    return this.node !== NIL;
  }
  seekToFirst(): void {
    this.node = this.mem.firstNode();
  }
  seekToLast(): void {
    this.node = this.mem.lastNode();
  }
  seek(key: Uint8Array, seq: number): void {
    this.node = this.mem.seekNode(key, seq);
  }
  seekForPrev(key: Uint8Array, seq: number): void {
    // The last entry <= (key, seq) is the one before the first entry >= (key, seq - 1).
    this.node = this.mem.seekBeforeNode(key, seq - 1);
  }
  next(): void {
    this.node = this.mem.nextNode(this.node);
  }
  prev(): void {
    this.node = this.mem.prevNode(this.node);
  }
  key(): Uint8Array {
    const off = this.mem.keyOff[this.node];
    return this.mem.arena.subarray(off, off + this.mem.keyLen[this.node]);
  }
  seq(): number {
    return this.mem.seqs[this.node];
  }
  kind(): EntryKind {
    return this.mem.kinds[this.node] as EntryKind;
  }
  value(): Uint8Array {
    const off = this.mem.valOff[this.node];
    return this.mem.arena.subarray(off, off + this.mem.valLen[this.node]);
  }
  close(): void {
    this.node = NIL;
  }
}
