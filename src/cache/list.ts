// ListValue: the list structure of the cache, in one of two forms:
//
// - packed (see packed.ts) while its entries fit in LIST_PACKED_MAX_BYTES (8 KiB, the size of one
//   node of Redis's quicklist at list-max-listpack-size -2): [varint len][value][backlen] per value
//   in one slab block, head to tail; backlen is the value's length as a varint written backwards,
//   so the block can be walked from either end (as a listpack). An index is reached by walking from
//   the nearer end, or from the position found last (one list's cursor, kept across calls, so a
//   loop over at(i) walks each entry once).
// - ListRing, for good once the packed form would outgrow its limit: a deque of latin1 byte strings
//   in a ring buffer whose capacity is a power of two: O(1) push and pop at both ends, O(1) index,
//   O(n) for the middle edits (LINSERT, LREM, LSET by value), shifting the shorter side. The buffer
//   doubles when full and halves when a quarter full, and vacated slots are cleared so popped
//   strings can be collected.
//
// Indexes taken by range/trim are resolved ones (0 <= first <= last < length; see numbers.ts
// resolveRange); get/set take Redis indexes (negative counts from the tail).

import { varintLen, writeVarint } from "./entry.js";
import { decode, H_BIG, HDR, newBlock, P, Packed, readU24, readVarint, sameStr, writeStr } from "./packed.js";

/** The most bytes of entries a packed list holds (list-max-listpack-size -2: 8 KiB). */
export const LIST_PACKED_MAX_BYTES = 8192;

const MIN_CAPACITY = 8;

function stringBytes(s: string): number {
  return 16 + ((s.length + 7) & ~7);
}

/** The quicklist form: a ring of strings (see the file comment). */
class ListRing {
  private buf: (string | undefined)[] = new Array(MIN_CAPACITY);
  private mask = MIN_CAPACITY - 1;
  private head = 0;
  private len = 0;
  private payloadBytes = 0;

  get length(): number {
    return this.len;
  }

  /** Estimated heap bytes held: the slot array plus the strings. */
  get bytes(): number {
    return 64 + this.buf.length * 8 + this.payloadBytes;
  }

  /** RPUSH one value; returns the new length. */
  pushBack(v: string): number {
    if (this.len === this.buf.length) this.resize(this.buf.length * 2);
    this.buf[(this.head + this.len) & this.mask] = v;
    this.payloadBytes += stringBytes(v);
    return ++this.len;
  }

  /** LPUSH one value; returns the new length. */
  pushFront(v: string): number {
    if (this.len === this.buf.length) this.resize(this.buf.length * 2);
    this.head = (this.head - 1) & this.mask;
    this.buf[this.head] = v;
    this.payloadBytes += stringBytes(v);
    return ++this.len;
  }

  /** LPOP one value, or undefined when empty. */
  popFront(): string | undefined {
    if (this.len === 0) return undefined;
    const v = this.buf[this.head] as string;
    this.buf[this.head] = undefined;
    this.head = (this.head + 1) & this.mask;
    this.len--;
    this.payloadBytes -= stringBytes(v);
    this.maybeShrink();
    return v;
  }

  /** RPOP one value, or undefined when empty. */
  popBack(): string | undefined {
    if (this.len === 0) return undefined;
    const i = (this.head + this.len - 1) & this.mask;
    const v = this.buf[i] as string;
    this.buf[i] = undefined;
    this.len--;
    this.payloadBytes -= stringBytes(v);
    this.maybeShrink();
    return v;
  }

  /** LINDEX: the value at a Redis index (negative from the tail), or undefined when out of range. */
  get(index: number): string | undefined {
    if (index < 0) index += this.len;
    if (index < 0 || index >= this.len || !Number.isInteger(index)) return undefined;
    return this.buf[(this.head + index) & this.mask];
  }

  /** LSET: replaces the value at a Redis index; false when out of range ("ERR index out of range"). */
  set(index: number, v: string): boolean {
    if (index < 0) index += this.len;
    if (index < 0 || index >= this.len || !Number.isInteger(index)) return false;
    const i = (this.head + index) & this.mask;
    this.payloadBytes += stringBytes(v) - stringBytes(this.buf[i] as string);
    this.buf[i] = v;
    return true;
  }

  /** The value at a resolved index 0 <= i < length (no checks). */
  at(i: number): string {
    return this.buf[(this.head + i) & this.mask] as string;
  }

  /** Visits resolved indexes first..last inclusive, head to tail (clamped to the list). */
  range(first: number, last: number, visit: (v: string, index: number) => void): void {
    if (first < 0) first = 0;
    if (last >= this.len) last = this.len - 1;
    const { buf, mask, head } = this;
    for (let i = first; i <= last; i++) visit(buf[(head + i) & mask] as string, i);
  }

  /** The values at resolved indexes first..last inclusive, head to tail. */
  slice(first: number, last: number): string[] {
    if (first < 0) first = 0;
    if (last >= this.len) last = this.len - 1;
    const out: string[] = [];
    const { buf, mask, head } = this;
    for (let i = first; i <= last; i++) out.push(buf[(head + i) & mask] as string);
    return out;
  }

  /** All values head to tail. */
  *values(): IterableIterator<string> {
    for (let i = 0; i < this.len; i++) yield this.buf[(this.head + i) & this.mask] as string;
  }

  [Symbol.iterator](): IterableIterator<string> {
    return this.values();
  }

  toArray(): string[] {
    return this.len === 0 ? [] : this.slice(0, this.len - 1);
  }

  /**
   * LINSERT: inserts v before (or after) the first occurrence of pivot from the head. Returns false
   * when pivot is absent (Redis replies -1).
   */
  insert(pivot: string, v: string, after: boolean): boolean {
    const { buf, mask, head, len } = this;
    let at = -1;
    for (let i = 0; i < len; i++) {
      if (buf[(head + i) & mask] === pivot) {
        at = i;
        break;
      }
    }
    if (at < 0) return false;
    this.insertAt(after ? at + 1 : at, v);
    return true;
  }

  /** Inserts v so that it lands at resolved index i (0 <= i <= length). */
  insertAt(i: number, v: string): void {
    if (i <= 0) {
      this.pushFront(v);
      return;
    }
    if (i >= this.len) {
      this.pushBack(v);
      return;
    }
    if (this.len === this.buf.length) this.resize(this.buf.length * 2);
    const { buf, mask } = this;
    if (i < this.len - i) {
      // Shift the front part one slot toward the head.
      this.head = (this.head - 1) & mask;
      const h = this.head;
      for (let k = 0; k < i; k++) buf[(h + k) & mask] = buf[(h + k + 1) & mask];
    } else {
      const h = this.head;
      for (let k = this.len; k > i; k--) buf[(h + k) & mask] = buf[(h + k - 1) & mask];
    }
    buf[(this.head + i) & mask] = v;
    this.len++;
    this.payloadBytes += stringBytes(v);
  }

  /** Removes the value at resolved index i (0 <= i < length) and returns it. */
  removeAt(i: number): string {
    if (i === 0) return this.popFront() as string;
    if (i === this.len - 1) return this.popBack() as string;
    const { buf, mask } = this;
    const h = this.head;
    const v = buf[(h + i) & mask] as string;
    if (i < this.len - 1 - i) {
      for (let k = i; k > 0; k--) buf[(h + k) & mask] = buf[(h + k - 1) & mask];
      buf[h] = undefined;
      this.head = (h + 1) & mask;
    } else {
      for (let k = i; k < this.len - 1; k++) buf[(h + k) & mask] = buf[(h + k + 1) & mask];
      buf[(h + this.len - 1) & mask] = undefined;
    }
    this.len--;
    this.payloadBytes -= stringBytes(v);
    this.maybeShrink();
    return v;
  }

  /**
   * LREM: removes up to |count| occurrences of v, from the head when count > 0, from the tail when
   * count < 0, all when count is 0. Returns the number removed.
   */
  remove(v: string, count: number): number {
    const { buf, mask, head, len } = this;
    let limit = count === 0 ? len : Math.abs(count);
    let removed = 0;
    if (count >= 0) {
      let w = 0;
      for (let r = 0; r < len; r++) {
        const x = buf[(head + r) & mask] as string;
        if (limit > 0 && x === v) {
          limit--;
          removed++;
        } else {
          if (w !== r) buf[(head + w) & mask] = x;
          w++;
        }
      }
      for (let k = w; k < len; k++) buf[(head + k) & mask] = undefined;
    } else {
      let w = len - 1;
      for (let r = len - 1; r >= 0; r--) {
        const x = buf[(head + r) & mask] as string;
        if (limit > 0 && x === v) {
          limit--;
          removed++;
        } else {
          if (w !== r) buf[(head + w) & mask] = x;
          w--;
        }
      }
      for (let k = 0; k <= w; k++) buf[(head + k) & mask] = undefined;
      this.head = (head + w + 1) & mask;
    }
    this.len -= removed;
    this.payloadBytes -= removed * stringBytes(v);
    this.maybeShrink();
    return removed;
  }

  /** LTRIM on a resolved range: keeps indexes first..last inclusive (clamped), drops the rest. */
  trim(first: number, last: number): void {
    if (first < 0) first = 0;
    if (last >= this.len) last = this.len - 1;
    if (first > last) {
      this.clear();
      return;
    }
    const { buf, mask, head } = this;
    for (let i = 0; i < first; i++) {
      const j = (head + i) & mask;
      this.payloadBytes -= stringBytes(buf[j] as string);
      buf[j] = undefined;
    }
    for (let i = last + 1; i < this.len; i++) {
      const j = (head + i) & mask;
      this.payloadBytes -= stringBytes(buf[j] as string);
      buf[j] = undefined;
    }
    this.head = (head + first) & mask;
    this.len = last - first + 1;
    this.maybeShrink();
  }

  /** Removes every value. */
  clear(): void {
    this.buf = new Array(MIN_CAPACITY);
    this.mask = MIN_CAPACITY - 1;
    this.head = 0;
    this.len = 0;
    this.payloadBytes = 0;
  }

  /**
   * LPOS: indexes (from the head) of matches of v. rank != 0: start at the rank-th match from the
   * head (rank > 0) or from the tail (rank < 0, results then in tail-to-head order); count: how
   * many to return, 0 for all; maxlen: compare at most this many entries, 0 for all. The command
   * validates its arguments first (RANK 0, negative COUNT or MAXLEN are errors), and replies the
   * first element, or nil, when COUNT was not given. Note Redis 7.0 turns RANK
   * -9223372036854775808 into "the first match from the tail" (its negation overflows).
   */
  positions(v: string, rank: number, count: number, maxlen: number): number[] {
    const out: number[] = [];
    const { buf, mask, head, len } = this;
    const skip = Math.abs(rank) - 1;
    const limit = maxlen === 0 || maxlen > len ? len : maxlen;
    let matches = 0;
    if (rank > 0) {
      for (let i = 0; i < limit; i++) {
        if (buf[(head + i) & mask] === v && matches++ >= skip) {
          out.push(i);
          if (count !== 0 && out.length >= count) break;
        }
      }
    } else {
      for (let k = 0; k < limit; k++) {
        const i = len - 1 - k;
        if (buf[(head + i) & mask] === v && matches++ >= skip) {
          out.push(i);
          if (count !== 0 && out.length >= count) break;
        }
      }
    }
    return out;
  }

  private maybeShrink(): void {
    const cap = this.buf.length;
    if (cap > MIN_CAPACITY && this.len < cap >>> 2) this.resize(cap >>> 1);
  }

  private resize(cap: number): void {
    const next: (string | undefined)[] = new Array(cap);
    const { buf, mask, head, len } = this;
    for (let i = 0; i < len; i++) next[i] = buf[(head + i) & mask];
    this.buf = next;
    this.mask = cap - 1;
    this.head = 0;
  }
}

/** Bytes of a packed entry holding a value of `len` bytes. */
function entryBytes(len: number): number {
  return 2 * varintLen(len) + len;
}

/** Writes the entry for v at b[p]; returns the position after it. */
function writeEntry(b: Uint8Array, p: number, v: string): number {
  const len = v.length;
  p = writeStr(b, writeVarint(b, p, len), v);
  // backlen: the same 7-bit groups, low group last, a high bit on every byte but the first.
  const k = varintLen(len);
  for (let j = 0; j < k; j++) b[p + k - 1 - j] = ((len >>> (7 * j)) & 0x7f) | (j < k - 1 ? 0x80 : 0);
  return p + k;
}

// readEntry()'s result: the value's bytes.
let vStart = 0;
let vLen = 0;

/** Reads the entry at p into vStart/vLen; returns the position after it. */
function readEntry(b: Uint8Array, p: number): number {
  let n = b[p];
  if (n < 0x80) p++;
  else {
    n = readVarint(b, p);
    p = P.q;
  }
  vStart = p;
  vLen = n;
  return p + n + varintLen(n);
}

/** The position of the entry that ends at p (reads its backlen). */
function entryBefore(b: Uint8Array, p: number): number {
  let x = b[--p];
  let len = x & 0x7f;
  let k = 1;
  while (x & 0x80) {
    x = b[--p];
    len += (x & 0x7f) * 2 ** (7 * k);
    k++;
  }
  return p - len - k;
}

// The position found last: list, index, entry offset from the entries' start. Any change to a
// packed list drops it.
let cursorList: ListValue | null = null;
let cursorIndex = 0;
let cursorPos = 0;

export class ListValue extends Packed<ListRing> {
  constructor(items?: Iterable<string>) {
    super(newBlock(), false);
    if (items) for (const v of items) this.pushBack(v);
  }

  get length(): number {
    return this.h === H_BIG ? this.big.length : this.count();
  }

  /** Estimated heap bytes held (a packed list's block is counted by the slab, not here). */
  get bytes(): number {
    return this.heapBytes((r) => r.bytes);
  }

  /** RPUSH one value; returns the new length. */
  pushBack(v: string): number {
    if (this.h === H_BIG) return this.big.pushBack(v);
    const o = this.open();
    const used = readU24(P.b, o);
    const n = readU24(P.b, o + 3);
    const size = entryBytes(v.length);
    if (used + size > LIST_PACKED_MAX_BYTES) return this.convert().pushBack(v);
    cursorList = null;
    const at = this.splice(used, 0, size);
    writeEntry(P.b, at, v);
    this.setCount(n + 1);
    return n + 1;
  }

  /** LPUSH one value; returns the new length. */
  pushFront(v: string): number {
    if (this.h === H_BIG) return this.big.pushFront(v);
    const o = this.open();
    const used = readU24(P.b, o);
    const n = readU24(P.b, o + 3);
    const size = entryBytes(v.length);
    if (used + size > LIST_PACKED_MAX_BYTES) return this.convert().pushFront(v);
    cursorList = null;
    const at = this.splice(0, 0, size);
    writeEntry(P.b, at, v);
    this.setCount(n + 1);
    return n + 1;
  }

  /** LPOP one value, or undefined when empty. */
  popFront(): string | undefined {
    if (this.h === H_BIG) return this.big.popFront();
    const o = this.open();
    const b = P.b;
    const n = readU24(b, o + 3);
    if (n === 0) return undefined;
    const end = readEntry(b, o + HDR);
    const v = decode(b, vStart, vStart + vLen);
    this.removeBytes(0, end - o - HDR, n - 1);
    return v;
  }

  /** RPOP one value, or undefined when empty. */
  popBack(): string | undefined {
    if (this.h === H_BIG) return this.big.popBack();
    const o = this.open();
    const b = P.b;
    const n = readU24(b, o + 3);
    if (n === 0) return undefined;
    const used = readU24(b, o);
    const end = o + HDR + used;
    const e = entryBefore(b, end);
    readEntry(b, e);
    const v = decode(b, vStart, vStart + vLen);
    this.removeBytes(e - o - HDR, end - e, n - 1);
    return v;
  }

  /** LINDEX: the value at a Redis index (negative from the tail), or undefined when out of range. */
  get(index: number): string | undefined {
    if (this.h === H_BIG) return this.big.get(index);
    const n = this.count();
    if (index < 0) index += n;
    if (index < 0 || index >= n || !Number.isInteger(index)) return undefined;
    return this.at(index);
  }

  /** LSET: replaces the value at a Redis index; false when out of range ("ERR index out of range"). */
  set(index: number, v: string): boolean {
    if (this.h === H_BIG) return this.big.set(index, v);
    const n = this.count();
    if (index < 0) index += n;
    if (index < 0 || index >= n || !Number.isInteger(index)) return false;
    const pos = this.seek(index);
    const b = P.b;
    const start = P.o + HDR;
    const used = readU24(b, P.o);
    const old = readEntry(b, start + pos) - start - pos;
    const size = entryBytes(v.length);
    if (used - old + size > LIST_PACKED_MAX_BYTES) return this.convert().set(index, v);
    cursorList = null;
    const at = this.splice(pos, old, size);
    writeEntry(P.b, at, v);
    return true;
  }

  /** The value at a resolved index 0 <= i < length (no checks). */
  at(i: number): string {
    if (this.h === H_BIG) return this.big.at(i);
    const pos = this.seek(i);
    const b = P.b;
    readEntry(b, P.o + HDR + pos);
    return decode(b, vStart, vStart + vLen);
  }

  /** Visits resolved indexes first..last inclusive, head to tail (clamped to the list). */
  range(first: number, last: number, visit: (v: string, index: number) => void): void {
    if (this.h === H_BIG) {
      this.big.range(first, last, visit);
      return;
    }
    if (first < 0) first = 0;
    const values = this.slice(first, last);
    for (let k = 0; k < values.length; k++) visit(values[k], first + k);
  }

  /** The values at resolved indexes first..last inclusive, head to tail. */
  slice(first: number, last: number): string[] {
    if (this.h === H_BIG) return this.big.slice(first, last);
    const n = this.count();
    if (first < 0) first = 0;
    if (last >= n) last = n - 1;
    const out: string[] = [];
    if (first > last) return out;
    let p = P.o + HDR + this.seek(first);
    const b = P.b;
    for (let i = first; i <= last; i++) {
      p = readEntry(b, p);
      out.push(decode(b, vStart, vStart + vLen));
    }
    return out;
  }

  /** All values head to tail. */
  *values(): IterableIterator<string> {
    if (this.h === H_BIG) {
      yield* this.big.values();
      return;
    }
    yield* this.toArray();
  }

  [Symbol.iterator](): IterableIterator<string> {
    return this.values();
  }

  toArray(): string[] {
    if (this.h === H_BIG) return this.big.toArray();
    const n = this.count();
    return n === 0 ? [] : this.slice(0, n - 1);
  }

  /**
   * LINSERT: inserts v before (or after) the first occurrence of pivot from the head. Returns false
   * when pivot is absent (Redis replies -1).
   */
  insert(pivot: string, v: string, after: boolean): boolean {
    if (this.h === H_BIG) return this.big.insert(pivot, v, after);
    const o = this.open();
    const b = P.b;
    const n = readU24(b, o + 3);
    let p = o + HDR;
    for (let i = 0; i < n; i++) {
      p = readEntry(b, p);
      if (sameStr(b, vStart, vLen, pivot)) {
        this.insertAt(after ? i + 1 : i, v);
        return true;
      }
    }
    return false;
  }

  /** Inserts v so that it lands at resolved index i (0 <= i <= length). */
  insertAt(i: number, v: string): void {
    if (this.h === H_BIG) {
      this.big.insertAt(i, v);
      return;
    }
    const n = this.count();
    if (i <= 0) {
      this.pushFront(v);
      return;
    }
    if (i >= n) {
      this.pushBack(v);
      return;
    }
    const pos = this.seek(i);
    const size = entryBytes(v.length);
    if (readU24(P.b, P.o) + size > LIST_PACKED_MAX_BYTES) {
      this.convert().insertAt(i, v);
      return;
    }
    cursorList = null;
    const at = this.splice(pos, 0, size);
    writeEntry(P.b, at, v);
    this.setCount(n + 1);
  }

  /** Removes the value at resolved index i (0 <= i < length) and returns it. */
  removeAt(i: number): string {
    if (this.h === H_BIG) return this.big.removeAt(i);
    const n = this.count();
    const pos = this.seek(i);
    const b = P.b;
    const start = P.o + HDR;
    const end = readEntry(b, start + pos);
    const v = decode(b, vStart, vStart + vLen);
    this.removeBytes(pos, end - start - pos, n - 1);
    return v;
  }

  /**
   * LREM: removes up to |count| occurrences of v, from the head when count > 0, from the tail when
   * count < 0, all when count is 0. Returns the number removed.
   */
  remove(v: string, count: number): number {
    if (this.h === H_BIG) return this.big.remove(v, count);
    const o = this.open();
    const b = P.b;
    const n = readU24(b, o + 3);
    const start = o + HDR;
    const end = start + readU24(b, o);
    let limit = count === 0 ? n : Math.abs(count);
    // The entries to drop, as positions ascending.
    const drop: number[] = [];
    if (count >= 0) {
      for (let p = start; p < end && limit > 0; ) {
        const e = p;
        p = readEntry(b, p);
        if (sameStr(b, vStart, vLen, v)) {
          drop.push(e);
          limit--;
        }
      }
    } else {
      for (let p = end; p > start && limit > 0; ) {
        p = entryBefore(b, p);
        readEntry(b, p);
        if (sameStr(b, vStart, vLen, v)) {
          drop.push(p);
          limit--;
        }
      }
      drop.reverse();
    }
    if (drop.length === 0) return 0;
    cursorList = null;
    // Close the gaps front to back, then give the freed tail back.
    let w = drop[0];
    for (let k = 0; k < drop.length; k++) {
      const from = readEntry(b, drop[k]);
      const to = k + 1 < drop.length ? drop[k + 1] : end;
      b.copyWithin(w, from, to);
      w += to - from;
    }
    this.removeBytes(w - start, end - w, n - drop.length);
    return drop.length;
  }

  /** LTRIM on a resolved range: keeps indexes first..last inclusive (clamped), drops the rest. */
  trim(first: number, last: number): void {
    if (this.h === H_BIG) {
      this.big.trim(first, last);
      return;
    }
    const n = this.count();
    if (first < 0) first = 0;
    if (last >= n) last = n - 1;
    if (first > last) {
      this.clear();
      return;
    }
    const from = this.seek(first);
    const lastPos = this.seek(last);
    const start = P.o + HDR;
    const to = readEntry(P.b, start + lastPos) - start;
    const used = readU24(P.b, P.o);
    cursorList = null;
    if (to < used) this.splice(to, used - to, 0);
    if (from > 0) this.splice(0, from, 0);
    this.setCount(last - first + 1);
  }

  /** Removes every value. */
  clear(): void {
    if (this.h === H_BIG) this.big.clear();
    else {
      cursorList = null;
      this.resetPacked();
    }
  }

  /**
   * LPOS: indexes (from the head) of matches of v. rank != 0: start at the rank-th match from the
   * head (rank > 0) or from the tail (rank < 0, results then in tail-to-head order); count: how
   * many to return, 0 for all; maxlen: compare at most this many entries, 0 for all. The command
   * validates its arguments first (RANK 0, negative COUNT or MAXLEN are errors), and replies the
   * first element, or nil, when COUNT was not given. Note Redis 7.0 turns RANK
   * -9223372036854775808 into "the first match from the tail" (its negation overflows).
   */
  positions(v: string, rank: number, count: number, maxlen: number): number[] {
    if (this.h === H_BIG) return this.big.positions(v, rank, count, maxlen);
    const out: number[] = [];
    const o = this.open();
    const b = P.b;
    const len = readU24(b, o + 3);
    const start = o + HDR;
    const skip = Math.abs(rank) - 1;
    const limit = maxlen === 0 || maxlen > len ? len : maxlen;
    let matches = 0;
    if (rank > 0) {
      let p = start;
      for (let i = 0; i < limit; i++) {
        p = readEntry(b, p);
        if (sameStr(b, vStart, vLen, v) && matches++ >= skip) {
          out.push(i);
          if (count !== 0 && out.length >= count) break;
        }
      }
    } else {
      let p = start + readU24(b, o);
      for (let k = 0; k < limit; k++) {
        p = entryBefore(b, p);
        readEntry(b, p);
        if (sameStr(b, vStart, vLen, v) && matches++ >= skip) {
          out.push(len - 1 - k);
          if (count !== 0 && out.length >= count) break;
        }
      }
    }
    return out;
  }

  /** A copy with the same values (COPY). */
  clone(): ListValue {
    const c = new ListValue();
    if (this.h === H_BIG) {
      const r = new ListRing();
      for (const v of this.big.values()) r.pushBack(v);
      c.rep = r;
      c.h = H_BIG;
    } else c.rep = this.copyBlock();
    return c;
  }

  protected unpack(): ListRing {
    const r = new ListRing();
    for (const v of this.toArray()) r.pushBack(v);
    cursorList = null;
    return r;
  }

  /**
   * The entry offset (from the entries' start) of resolved index i (0 <= i < length), walking from
   * the nearer end or from the position found last. Leaves P at the block.
   */
  private seek(i: number): number {
    const o = this.open();
    const b = P.b;
    const start = o + HDR;
    const n = readU24(b, o + 3);
    let idx: number;
    let pos: number;
    if (i <= n - 1 - i) {
      idx = 0;
      pos = 0;
    } else {
      idx = n;
      pos = readU24(b, o);
    }
    if (cursorList === this && Math.abs(cursorIndex - i) < Math.abs(idx - i)) {
      idx = cursorIndex;
      pos = cursorPos;
    }
    while (idx < i) {
      pos = readEntry(b, start + pos) - start;
      idx++;
    }
    while (idx > i) {
      pos = entryBefore(b, start + pos) - start;
      idx--;
    }
    cursorList = this;
    cursorIndex = i;
    cursorPos = pos;
    return pos;
  }

  /** Drops `len` entry bytes at entry offset `at`, leaving `count` entries. */
  private removeBytes(at: number, len: number, count: number): void {
    cursorList = null;
    this.splice(at, len, 0);
    this.setCount(count);
  }
}
