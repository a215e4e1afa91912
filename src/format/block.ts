// Blocks: the sorted, prefix-compressed runs of internal entries that segment files are made of
// (data blocks and the index block). This file owns the block byte layout, the builder, the
// reader (`Block`, with an allocation-free point lookup) and `BlockIterator`.
//
// Layout of one block (its contents; the on-disk trailer is the segment file's business):
//
//   entry*            entries in internal order (user key ascending, seq descending)
//   restart: u32 LE*  offsets of the restart entries, strictly increasing, the first one 0
//   count: u32 LE     number of restart offsets (0 only for a block without entries)
//
//   entry = shared: varint      bytes of the key shared with the previous entry's key (0 at a restart)
//           unshared: varint    bytes of the key that follow
//           valueLength: varint
//           tag: varint         seq * 2 + kind (kind 0 = delete, 1 = put; seq <= MAX_SEQ = 2^52 - 1)
//           key[shared..]: unshared bytes
//           value: valueLength bytes
//
// Every `restartInterval`-th entry is a restart point and stores its whole key, so a reader can
// binary-search the restart points and then scan at most `restartInterval` entries. Readers check
// every length against the block bounds and that scans land exactly on restart points, and throw
// CorruptionError otherwise; each entry takes at least 4 bytes, so scans always terminate.

import { compareRange } from "./compare.js";
import { CorruptionError } from "./errors.js";
import type { EntryKind, InternalIterator } from "./internal-iterator.js";
import { type Cursor, readVarint, writeVarint } from "./varint.js";

/** `Block.get` outcomes. */
export const LOOKUP_ABSENT = 0; // the block shows the key has no visible version (a larger key follows)
export const LOOKUP_FOUND = 1; // `out` holds the newest visible version of the key
export const LOOKUP_PAST_END = 2; // every entry is before the target: look in the next block
export type LookupStatus = typeof LOOKUP_ABSENT | typeof LOOKUP_FOUND | typeof LOOKUP_PAST_END;

/** What `Block.get` fills in on LOOKUP_FOUND: the value is block.data[valueStart, valueEnd). */
export interface BlockLookup {
  kind: EntryKind;
  seq: number;
  valueStart: number;
  valueEnd: number;
}

export function newBlockLookup(): BlockLookup {
  return { kind: 0, seq: 0, valueStart: 0, valueEnd: 0 };
}

const EMPTY = new Uint8Array(0);
const EMPTY_I32 = new Int32Array(0);

// The decoded header of the entry most recently passed to `decodeHeader` (JS is single-threaded and
// no decode calls out, so one shared record avoids allocating per entry).
const H = { shared: 0, unshared: 0, valueLength: 0, tag: 0, keyPos: 0 };
const cursor: Cursor = { pos: 0 };

function varintSlow(block: Block, p: number, limit: number): number {
  cursor.pos = p;
  try {
    return readVarint(block.data, cursor, limit);
  } catch (err) {
    if (err instanceof RangeError) throw block.corrupt(`bad varint at ${p}: ${err.message}`);
    throw err;
  }
}

/** Decodes the header of the entry at `p` into H, checking that the entry ends within the entries area. */
function decodeHeader(block: Block, p: number): void {
  const data = block.data;
  const limit = block.restartsOffset;
  let b: number;
  if (p + 4 <= limit && ((b = data[p] | data[p + 1] | data[p + 2]) & 0x80) === 0) {
    // Fast path: shared, unshared and value length each fit one byte.
    H.shared = data[p];
    H.unshared = data[p + 1];
    H.valueLength = data[p + 2];
    p += 3;
  } else {
    b = data[p];
    if (p < limit && b < 0x80) {
      H.shared = b;
      p++;
    } else {
      H.shared = varintSlow(block, p, limit);
      p = cursor.pos;
    }
    b = data[p];
    if (p < limit && b < 0x80) {
      H.unshared = b;
      p++;
    } else {
      H.unshared = varintSlow(block, p, limit);
      p = cursor.pos;
    }
    b = data[p];
    if (p < limit && b < 0x80) {
      H.valueLength = b;
      p++;
    } else {
      H.valueLength = varintSlow(block, p, limit);
      p = cursor.pos;
    }
  }
  b = data[p];
  if (p < limit && b < 0x80) {
    H.tag = b;
    p++;
  } else {
    H.tag = varintSlow(block, p, limit);
    p = cursor.pos;
  }
  H.keyPos = p;
  if (p + H.unshared + H.valueLength > limit) {
    throw block.corrupt(`entry at ${p} runs past the end of the entries (${limit})`);
  }
}

function copyBytes(dst: Uint8Array, dstPos: number, src: Uint8Array, start: number, end: number): void {
  const n = end - start;
  if (n < 32) {
    for (let i = 0; i < n; i++) dst[dstPos + i] = src[start + i];
  } else {
    dst.set(src.subarray(start, end), dstPos);
  }
}

/**
 * A DataView over the Uint8Array last asked for: the block builder is handed the same arenas (a
 * run's keys, its values) entry after entry, so one view each serves many copies.
 */
export class ViewCache {
  private arr: Uint8Array | null = null;
  private view: DataView = new DataView(new ArrayBuffer(0));

  of(a: Uint8Array): DataView {
    if (a !== this.arr) {
      this.arr = a;
      this.view = new DataView(a.buffer, a.byteOffset, a.byteLength);
    }
    return this.view;
  }
}

/**
 * copyBytes for the short pieces of an entry (keys, small values): four bytes at a time through
 * the arrays' views, the rest a byte at a time; long pieces by `set`.
 */
function copyShort(
  dst: Uint8Array,
  dv: DataView,
  dstPos: number,
  src: Uint8Array,
  sv: DataView,
  start: number,
  end: number,
): void {
  const n = end - start;
  if (n >= 256) {
    dst.set(src.subarray(start, end), dstPos);
    return;
  }
  let s = start;
  let d = dstPos;
  for (; s + 4 <= end; s += 4, d += 4) dv.setUint32(d, sv.getUint32(s));
  for (; s < end; s++) dst[d++] = src[s];
}

function grow(buf: Uint8Array, keep: number, need: number): Uint8Array {
  let cap = Math.max(buf.length * 2, 64);
  if (cap < need) cap = need;
  const out = new Uint8Array(cap);
  if (keep > 0) out.set(buf.subarray(0, keep));
  return out;
}

/** A decoded block: immutable contents plus the parsed trailer. Safe to share (e.g. through a cache). */
export class Block {
  /** The block contents (entries, restart array, count). Never modified. */
  readonly data: Uint8Array;
  /** End of the entries area, where the restart array begins. */
  readonly restartsOffset: number;
  readonly numRestarts: number;
  /** Approximate memory held, for cache accounting. */
  readonly byteSize: number;
  /** Set by the block cache on a hit; its CLOCK eviction gives referenced blocks a second chance. */
  referenced = false;
  /** Where the block came from, for error messages. */
  readonly file: string;
  readonly offset: number;

  constructor(data: Uint8Array, file = "block", offset = -1) {
    this.data = data;
    this.file = file;
    this.offset = offset;
    this.byteSize = data.byteLength + 96;
    const len = data.length;
    if (len < 4) throw this.corrupt(`block of ${len} bytes is too short for its restart count`);
    const n = (data[len - 4] | (data[len - 3] << 8) | (data[len - 2] << 16) | (data[len - 1] << 24)) >>> 0;
    if (n > (len - 4) / 4) throw this.corrupt(`restart count ${n} does not fit in ${len} bytes`);
    this.numRestarts = n;
    this.restartsOffset = len - 4 - 4 * n;
    if (n === 0 && this.restartsOffset !== 0) throw this.corrupt("entries without restart points");
    let prev = -1;
    for (let i = 0; i < n; i++) {
      const r = this.restartPoint(i);
      if (i === 0 ? r !== 0 : r <= prev || r >= this.restartsOffset) {
        throw this.corrupt(`restart point ${i} at ${r} out of order or bounds`);
      }
      prev = r;
    }
  }

  /** Offset of restart point i. */
  restartPoint(i: number): number {
    const d = this.data;
    const p = this.restartsOffset + 4 * i;
    return (d[p] | (d[p + 1] << 8) | (d[p + 2] << 16) | (d[p + 3] << 24)) >>> 0;
  }

  /** A CorruptionError naming this block. */
  corrupt(what: string): CorruptionError {
    const where = this.offset >= 0 ? `block at offset ${this.offset}` : "block";
    return new CorruptionError(this.file, `${where}: ${what}`);
  }

  /** Internal comparison of the entry at restart point i with (key, seq). */
  compareRestart(i: number, key: Uint8Array, seq: number, globalSeq: number): number {
    const p = this.restartPoint(i);
    decodeHeader(this, p);
    if (H.shared !== 0) throw this.corrupt(`restart entry at ${p} shares ${H.shared} key bytes`);
    const c = compareRange(this.data, H.keyPos, H.keyPos + H.unshared, key, 0, key.length);
    if (c !== 0) return c;
    return seq - (globalSeq >= 0 ? globalSeq : Math.floor(H.tag / 2));
  }

  /** Index of the last restart point whose entry is < (key, seq), or 0. Requires numRestarts > 0. */
  findRestart(key: Uint8Array, seq: number, globalSeq: number): number {
    let left = 0;
    let right = this.numRestarts - 1;
    while (left < right) {
      const mid = (left + right + 1) >>> 1;
      if (this.compareRestart(mid, key, seq, globalSeq) < 0) left = mid;
      else right = mid - 1;
    }
    return left;
  }

  /**
   * Point lookup: the newest entry for exactly `key` with seq <= snapshotSeq. On LOOKUP_FOUND, `out`
   * holds it. `globalSeq` >= 0 makes every entry read as having that sequence number. Allocation-free.
   */
  get(key: Uint8Array, snapshotSeq: number, out: BlockLookup, globalSeq = -1): LookupStatus {
    const n = this.numRestarts;
    if (n === 0) return LOOKUP_PAST_END;
    const data = this.data;
    const limit = this.restartsOffset;
    const klen = key.length;
    let r = this.findRestart(key, snapshotSeq, globalSeq);
    let p = this.restartPoint(r);
    let nextRestart = r + 1 < n ? this.restartPoint(r + 1) : limit;
    // The scan compares keys in place, without rebuilding them: `matched` is the length of the common
    // prefix of the previous key and `key`, and the previous key is always < `key` (or equal with a
    // too-new seq), so an entry that shares more than `matched` bytes with it is smaller as well.
    let keyLen = 0;
    let matched = 0;
    while (p < limit) {
      if (p >= nextRestart) {
        if (p > nextRestart) throw this.corrupt(`entry at ${p} straddles restart point ${nextRestart}`);
        r++;
        nextRestart = r + 1 < n ? this.restartPoint(r + 1) : limit;
        keyLen = 0;
      }
      decodeHeader(this, p);
      const shared = H.shared;
      const unshared = H.unshared;
      const kp = H.keyPos;
      if (shared > keyLen) throw this.corrupt(`entry at ${p} shares ${shared} bytes of a ${keyLen}-byte key`);
      keyLen = shared + unshared;
      let c = -1;
      if (shared <= matched) {
        const m = Math.min(unshared, klen - shared);
        let j = 0;
        while (j < m && data[kp + j] === key[shared + j]) j++;
        matched = shared + j;
        c = j < m ? data[kp + j] - key[shared + j] : keyLen - klen;
      }
      if (c > 0) return LOOKUP_ABSENT;
      if (c === 0) {
        const tag = H.tag;
        const seq = globalSeq >= 0 ? globalSeq : Math.floor(tag / 2);
        if (seq <= snapshotSeq) {
          out.kind = (tag % 2) as EntryKind;
          out.seq = seq;
          out.valueStart = kp + unshared;
          out.valueEnd = kp + unshared + H.valueLength;
          return LOOKUP_FOUND;
        }
      }
      p = kp + unshared + H.valueLength;
    }
    return LOOKUP_PAST_END;
  }

  iterator(globalSeq = -1): BlockIterator {
    return new BlockIterator(this, globalSeq);
  }
}

/**
 * An InternalIterator over one block. `setBlock` re-targets it without allocating, which is how
 * segment iterators walk from block to block. `key()` returns a view of an internal buffer that the
 * next move overwrites; `value()` is a view of the block's (immutable) data.
 */
export class BlockIterator implements InternalIterator {
  private block: Block | null = null;
  private data: Uint8Array = EMPTY;
  private limit = 0;
  private n = 0;
  private globalSeq = -1;
  /** Offset of the current entry; `limit` when not valid. */
  private cur = 0;
  private nextOff = 0;
  private restartIdx = 0;
  private nextRestart = 0;
  private keyBuf: Uint8Array = new Uint8Array(64);
  private keyLen = 0;
  private keyView: Uint8Array | null = null;
  private valView: Uint8Array | null = null;
  private curSeq = 0;
  private curKind: EntryKind = 0;
  private valStart = 0;
  private valEnd = 0;
  // prev() cache: offsets and keys of the entries of one restart interval, up to the current one.
  // (allocated on first use).
  private pcOffsets: Int32Array = EMPTY_I32;
  private pcKeyStarts: Int32Array = EMPTY_I32;
  private pcKeys: Uint8Array = EMPTY;
  /** Index of the current entry in the prev() cache; -1 when the cache is not in use. */
  private pcIdx = -1;

  constructor(block: Block | null = null, globalSeq = -1) {
    this.setBlock(block, globalSeq);
  }

  /** Points the iterator at another block (or none); it is left not valid. */
  setBlock(block: Block | null, globalSeq = -1): void {
    this.block = block;
    this.data = block === null ? EMPTY : block.data;
    this.limit = block === null ? 0 : block.restartsOffset;
    this.n = block === null ? 0 : block.numRestarts;
    this.globalSeq = globalSeq;
    this.invalidate();
  }

  private invalidate(): void {
    this.pcIdx = -1;
    this.cur = this.limit;
    this.nextOff = this.limit;
    this.restartIdx = this.n;
    this.valView = null;
  }

  private seekToRestart(i: number): void {
    this.keyLen = 0;
    this.restartIdx = i;
    const block = this.block!;
    this.nextOff = block.restartPoint(i);
    this.nextRestart = i + 1 < this.n ? block.restartPoint(i + 1) : this.limit;
  }

  /** Decodes the entry at nextOff; returns false (and invalidates) at the end of the entries. */
  private parseNext(): boolean {
    const p = this.nextOff;
    this.valView = null;
    this.pcIdx = -1;
    if (p >= this.limit) {
      this.invalidate();
      return false;
    }
    const block = this.block!;
    this.cur = p;
    if (p >= this.nextRestart) {
      if (p > this.nextRestart) throw block.corrupt(`entry at ${p} straddles restart point ${this.nextRestart}`);
      const i = ++this.restartIdx;
      this.nextRestart = i + 1 < this.n ? block.restartPoint(i + 1) : this.limit;
      this.keyLen = 0;
    }
    decodeHeader(block, p);
    const shared = H.shared;
    const unshared = H.unshared;
    const kp = H.keyPos;
    if (shared > this.keyLen) throw block.corrupt(`entry at ${p} shares ${shared} bytes of a ${this.keyLen}-byte key`);
    const keyLen = shared + unshared;
    if (keyLen > this.keyBuf.length) {
      this.keyBuf = grow(this.keyBuf, shared, keyLen);
      this.keyView = null;
    }
    copyBytes(this.keyBuf, shared, this.data, kp, kp + unshared);
    this.keyLen = keyLen;
    const tag = H.tag;
    this.curKind = (tag % 2) as EntryKind;
    this.curSeq = this.globalSeq >= 0 ? this.globalSeq : Math.floor(tag / 2);
    this.valStart = kp + unshared;
    this.valEnd = this.nextOff = kp + unshared + H.valueLength;
    return true;
  }

  /** Internal comparison of the current entry with (key, seq). */
  private compareCurrent(key: Uint8Array, seq: number): number {
    const c = compareRange(this.keyBuf, 0, this.keyLen, key, 0, key.length);
    return c !== 0 ? c : seq - this.curSeq;
  }

  valid(): boolean {
    return this.cur < this.limit;
  }

  seekToFirst(): void {
    if (this.n === 0) {
      this.invalidate();
      return;
    }
    this.seekToRestart(0);
    this.parseNext();
  }

  seekToLast(): void {
    if (this.n === 0) {
      this.invalidate();
      return;
    }
    this.seekToRestart(this.n - 1);
    if (!this.parseNext()) throw this.block!.corrupt("last restart point has no entry");
    while (this.nextOff < this.limit) this.parseNext();
  }

  seek(key: Uint8Array, seq: number): void {
    if (this.n === 0) {
      this.invalidate();
      return;
    }
    this.seekToRestart(this.block!.findRestart(key, seq, this.globalSeq));
    while (this.parseNext()) {
      if (this.compareCurrent(key, seq) >= 0) return;
    }
  }

  seekForPrev(key: Uint8Array, seq: number): void {
    this.seek(key, seq);
    if (!this.valid()) this.seekToLast();
    else if (this.compareCurrent(key, seq) > 0) this.prev();
  }

  next(): void {
    if (this.cur < this.limit) this.parseNext();
  }

  prev(): void {
    const original = this.cur;
    if (original >= this.limit) return;
    if (this.pcIdx > 0) {
      this.restoreCached(this.pcIdx - 1);
      return;
    }
    const block = this.block!;
    let r = this.restartIdx;
    while (block.restartPoint(r) >= original) {
      if (r === 0) {
        this.invalidate();
        return;
      }
      r--;
    }
    // Scan the restart interval up to the current entry once, remembering each entry's offset and
    // key, so that further prev() calls within the interval cost one header decode each.
    this.seekToRestart(r);
    let count = 0;
    let keysLen = 0;
    do {
      if (!this.parseNext()) throw block.corrupt(`lost entry boundary before ${original}`);
      if (count + 1 >= this.pcOffsets.length) {
        const cap = Math.max(32, this.pcOffsets.length * 2);
        const offsets = new Int32Array(cap);
        offsets.set(this.pcOffsets);
        this.pcOffsets = offsets;
        const starts = new Int32Array(cap);
        starts.set(this.pcKeyStarts);
        this.pcKeyStarts = starts;
      }
      if (keysLen + this.keyLen > this.pcKeys.length) this.pcKeys = grow(this.pcKeys, keysLen, keysLen + this.keyLen);
      copyBytes(this.pcKeys, keysLen, this.keyBuf, 0, this.keyLen);
      this.pcOffsets[count] = this.cur;
      this.pcKeyStarts[count] = keysLen;
      keysLen += this.keyLen;
      count++;
    } while (this.nextOff < original);
    if (this.nextOff !== original) throw block.corrupt(`entry at ${this.cur} overlaps entry at ${original}`);
    this.pcKeyStarts[count] = keysLen;
    this.pcIdx = count - 1;
  }

  /** Makes cached entry i (of the interval prev() scanned) the current entry. */
  private restoreCached(i: number): void {
    const block = this.block!;
    const p = this.pcOffsets[i];
    decodeHeader(block, p);
    const ks = this.pcKeyStarts[i];
    const keyLen = this.pcKeyStarts[i + 1] - ks;
    if (keyLen > this.keyBuf.length) {
      this.keyBuf = grow(this.keyBuf, 0, keyLen);
      this.keyView = null;
    }
    copyBytes(this.keyBuf, 0, this.pcKeys, ks, ks + keyLen);
    this.keyLen = keyLen;
    const kp = H.keyPos;
    const tag = H.tag;
    this.curKind = (tag % 2) as EntryKind;
    this.curSeq = this.globalSeq >= 0 ? this.globalSeq : Math.floor(tag / 2);
    this.valStart = kp + H.unshared;
    this.valEnd = this.nextOff = kp + H.unshared + H.valueLength;
    this.cur = p;
    this.valView = null;
    this.pcIdx = i;
  }

  key(): Uint8Array {
    let v = this.keyView;
    if (v === null || v.length !== this.keyLen) v = this.keyView = this.keyBuf.subarray(0, this.keyLen);
    return v;
  }

  seq(): number {
    return this.curSeq;
  }

  kind(): EntryKind {
    return this.curKind;
  }

  value(): Uint8Array {
    let v = this.valView;
    if (v === null) v = this.valView = this.data.subarray(this.valStart, this.valEnd);
    return v;
  }

  /** Key bytes of the current entry are keyBuffer()[0, keyLength()): for in-place comparisons. */
  keyBuffer(): Uint8Array {
    return this.keyBuf;
  }

  keyLength(): number {
    return this.keyLen;
  }

  /** The current value is block data[valueStart(), valueEnd()). */
  valueStart(): number {
    return this.valStart;
  }

  valueEnd(): number {
    return this.valEnd;
  }

  close(): void {
    this.setBlock(null);
  }
}

/** Builds one block. `finish` returns a view of an internal buffer, valid until `reset` or `add`. */
export class BlockBuilder {
  readonly restartInterval: number;
  private buf: Uint8Array;
  private pos = 0;
  private restarts: number[] = [];
  private counter = 0;
  private count = 0;
  private last: Uint8Array = new Uint8Array(64);
  private lastLen = 0;
  private finished = false;
  private bufView: DataView;
  private lastView = new DataView(this.last.buffer);
  private readonly keyViews = new ViewCache();
  private readonly valueViews = new ViewCache();
  /** A prefix length the next key is known to share with the last one (SegmentWriter.sharesWithPrevious). */
  knownShared = 0;

  constructor(restartInterval = 16, initialCapacity = 4096) {
    if (!Number.isInteger(restartInterval) || restartInterval < 1) {
      throw new RangeError(`restartInterval must be an integer >= 1, got ${restartInterval}`);
    }
    this.restartInterval = restartInterval;
    this.buf = new Uint8Array(Math.max(initialCapacity, 64));
    this.bufView = new DataView(this.buf.buffer);
  }

  /**
   * Appends an entry. Entries must come in internal order; the builder does not check (the segment
   * writer does). `seq` must be an integer in 0..MAX_SEQ. `sharedWithLast`, when given, is the
   * length of the prefix the key shares with the last key added (the segment writer measures it
   * for its order check), so it is not measured twice.
   */
  add(
    keyBuf: Uint8Array,
    keyStart: number,
    keyEnd: number,
    seq: number,
    kind: EntryKind,
    valBuf: Uint8Array,
    valStart: number,
    valEnd: number,
    sharedWithLast = -1,
  ): void {
    if (this.finished) throw new Error("BlockBuilder.add after finish (call reset first)");
    const keyLen = keyEnd - keyStart;
    const valLen = valEnd - valStart;
    let shared = 0;
    if (this.counter === 0) {
      this.restarts.push(this.pos);
    } else if (sharedWithLast >= 0) {
      shared = sharedWithLast;
    } else {
      const last = this.last;
      const max = Math.min(keyLen, this.lastLen);
      while (shared < max && last[shared] === keyBuf[keyStart + shared]) shared++;
    }
    if (++this.counter === this.restartInterval) this.counter = 0;
    const unshared = keyLen - shared;
    const need = this.pos + 40 + unshared + valLen;
    if (need > this.buf.length) {
      this.buf = grow(this.buf, this.pos, need);
      this.bufView = new DataView(this.buf.buffer);
    }
    const buf = this.buf;
    let p = this.pos;
    if (shared < 0x80 && unshared < 0x80 && valLen < 0x80) {
      buf[p] = shared;
      buf[p + 1] = unshared;
      buf[p + 2] = valLen;
      p += 3;
    } else {
      p = writeVarint(buf, p, shared);
      p = writeVarint(buf, p, unshared);
      p = writeVarint(buf, p, valLen);
    }
    p = writeVarint(buf, p, seq * 2 + kind);
    const kv = this.keyViews.of(keyBuf);
    copyShort(buf, this.bufView, p, keyBuf, kv, keyStart + shared, keyEnd);
    p += unshared;
    if (valLen > 0) copyShort(buf, this.bufView, p, valBuf, this.valueViews.of(valBuf), valStart, valEnd);
    this.pos = p + valLen;
    if (keyLen > this.last.length) {
      this.last = grow(this.last, shared, keyLen);
      this.lastView = new DataView(this.last.buffer);
    }
    copyShort(this.last, this.lastView, shared, keyBuf, kv, keyStart + shared, keyEnd);
    this.lastLen = keyLen;
    this.count++;
  }

  /** Size of the block if finished now. */
  estimatedSize(): number {
    return this.finished ? this.pos : this.pos + 4 * this.restarts.length + 4;
  }

  /** Appends the restart array; returns the block contents (a view valid until `reset`). */
  finish(): Uint8Array {
    if (!this.finished) {
      const n = this.restarts.length;
      const need = this.pos + 4 * n + 4;
      if (need > this.buf.length) {
        this.buf = grow(this.buf, this.pos, need);
        this.bufView = new DataView(this.buf.buffer);
      }
      const buf = this.buf;
      let p = this.pos;
      for (let i = 0; i <= n; i++) {
        const v = i < n ? this.restarts[i] : n;
        buf[p] = v & 0xff;
        buf[p + 1] = (v >>> 8) & 0xff;
        buf[p + 2] = (v >>> 16) & 0xff;
        buf[p + 3] = (v >>> 24) & 0xff;
        p += 4;
      }
      this.pos = p;
      this.finished = true;
    }
    return this.buf.subarray(0, this.pos);
  }

  reset(): void {
    this.pos = 0;
    this.restarts.length = 0;
    this.counter = 0;
    this.count = 0;
    this.lastLen = 0;
    this.finished = false;
  }

  empty(): boolean {
    return this.count === 0;
  }

  /** Entries added since the last reset. */
  entries(): number {
    return this.count;
  }

  /** The last key added is lastKeyBuffer()[0, lastKeyLength()). */
  lastKeyBuffer(): Uint8Array {
    return this.last;
  }

  lastKeyLength(): number {
    return this.lastLen;
  }

  /**
   * The length of the prefix keyBuf[keyStart, keyEnd) shares with the last key added (four bytes at
   * a time), from the prefix `knownShared` says it shares (then reset to 0). The segment writer's
   * order check and the prefix compression both need it.
   */
  sharedWithLast(keyBuf: Uint8Array, keyStart: number, keyEnd: number): number {
    const last = this.last;
    const max = Math.min(keyEnd - keyStart, this.lastLen);
    const lv = this.lastView;
    const kv = this.keyViews.of(keyBuf);
    let shared = this.knownShared;
    this.knownShared = 0;
    if (shared > max) shared = max;
    while (shared + 4 <= max && lv.getUint32(shared) === kv.getUint32(keyStart + shared)) shared += 4;
    while (shared < max && last[shared] === keyBuf[keyStart + shared]) shared++;
    return shared;
  }
}
