// SetValue: the set structure of the cache. Members are latin1 byte strings, in one of two forms:
//
// - packed (see packed.ts), while the set is small: [varint len][member] per member in one slab
//   block, in slot order (a new member is appended, a removal closes the gap). Lookups walk the
//   block (O(n), n is small). Packed while it has at most SET_PACKED_MAX_ENTRIES members of at most
//   SET_PACKED_MAX_VALUE bytes, or, when every member is an integer, at most
//   SET_PACKED_MAX_INTEGERS (Redis 7.0's set-max-intset-entries default: its intsets are as small).
// - SetTable (Redis's hashtable set encoding), for good once a limit is crossed: members in a dense
//   array plus a Map member -> array index, so add, remove (swap the last member into the hole) and
//   has are O(1), and a uniformly random member is one array read (SRANDMEMBER, SPOP), which a Map
//   alone cannot give. The conversion keeps the slot order.
//
// Either way the slots only move by a removal that closes a gap or fills it with the last member,
// so scanSlots' guarantee holds across changes and across the conversion. The reply order Redis
// has for intsets (sorted) is the commands' business (sets.ts intsetOrder), as is OBJECT ENCODING.

import { varintLen, writeVarint } from "./entry.js";
import { decode, H_BIG, HDR, newBlock, P, Packed, readU24, readVarint, sameStr, writeStr } from "./packed.js";

function stringBytes(s: string): number {
  return 16 + ((s.length + 7) & ~7);
}

const MAP_ENTRY_BYTES = 34; // measured ~31 at 500k members (Node 20 x64)
const SLOT_BYTES = 8;

/** The packed form's limits (Redis 7.2's set-max-listpack-entries / -value defaults). */
export const SET_PACKED_MAX_ENTRIES = 128;
export const SET_PACKED_MAX_VALUE = 64;
/** A set of integers only stays packed up to this many members (set-max-intset-entries). */
export const SET_PACKED_MAX_INTEGERS = 512;

/** Whether s is a decimal integer as an intset would hold it (no sign on 0, no leading zeros). */
function integerLike(s: string): boolean {
  const n = s.length;
  if (n === 0 || n > 20) return false;
  let i = s.charCodeAt(0) === 45 ? 1 : 0;
  if (i === n) return false;
  const first = s.charCodeAt(i);
  if (first < 49 || first > 57) return n === 1 && first === 48;
  for (i++; i < n; i++) {
    const c = s.charCodeAt(i);
    if (c < 48 || c > 57) return false;
  }
  return true;
}

/** integerLike for b[p, p + len). */
function integerLikeBytes(b: Uint8Array, p: number, len: number): boolean {
  if (len === 0 || len > 20) return false;
  const end = p + len;
  if (b[p] === 45) p++;
  if (p === end) return false;
  const first = b[p];
  if (first < 49 || first > 57) return len === 1 && first === 48;
  for (p++; p < end; p++) if (b[p] < 48 || b[p] > 57) return false;
  return true;
}

/** The hashtable form (see the file comment). */
class SetTable {
  readonly items: string[] = [];
  readonly index = new Map<string, number>();
  payloadBytes = 0;

  get bytes(): number {
    return 64 + this.items.length * (MAP_ENTRY_BYTES + SLOT_BYTES) + this.payloadBytes;
  }

  add(member: string): boolean {
    if (this.index.has(member)) return false;
    this.index.set(member, this.items.length);
    this.items.push(member);
    this.payloadBytes += stringBytes(member);
    return true;
  }

  remove(member: string): boolean {
    const i = this.index.get(member);
    if (i === undefined) return false;
    this.removeIndex(i);
    return true;
  }

  removeIndex(i: number): void {
    const items = this.items;
    const m = items[i];
    const last = items.pop() as string;
    if (i < items.length) {
      items[i] = last;
      this.index.set(last, i);
    }
    this.index.delete(m);
    this.payloadBytes -= stringBytes(m);
  }

  clear(): void {
    this.items.length = 0;
    this.index.clear();
    this.payloadBytes = 0;
  }
}

// find()'s result besides the entry position: the member's start and length.
let foundStart = 0;
let foundLen = 0;

/** The position of member's entry in b[p, end), or -1. */
function find(b: Uint8Array, p: number, end: number, member: string): number {
  const want = member.length;
  while (p < end) {
    const e = p;
    let n = b[p];
    if (n < 0x80) p++;
    else {
      n = readVarint(b, p);
      p = P.q;
    }
    if (n === want && sameStr(b, p, n, member)) {
      foundStart = p;
      foundLen = n;
      return e;
    }
    p += n;
  }
  return -1;
}

/** Reads the entry at p: leaves its member in foundStart/foundLen; returns the position after it. */
function walk(b: Uint8Array, p: number): number {
  let n = b[p];
  if (n < 0x80) p++;
  else {
    n = readVarint(b, p);
    p = P.q;
  }
  foundStart = p;
  foundLen = n;
  return p + n;
}

export class SetValue extends Packed<SetTable> {
  constructor(members?: Iterable<string>) {
    super(newBlock(), false);
    if (members) for (const m of members) this.add(m);
  }

  get size(): number {
    return this.h === H_BIG ? this.big.items.length : this.count();
  }

  /** Estimated heap bytes held (a packed set's block is counted by the slab, not here). */
  get bytes(): number {
    return this.heapBytes((t) => t.bytes);
  }

  has(member: string): boolean {
    if (this.h === H_BIG) return this.big.index.has(member);
    const o = this.open();
    const b = P.b;
    return find(b, o + HDR, o + HDR + readU24(b, o), member) >= 0;
  }

  /** SADD one member; returns whether it was new. */
  add(member: string): boolean {
    if (this.h === H_BIG) return this.big.add(member);
    const o = this.open();
    const b = P.b;
    const used = readU24(b, o);
    const start = o + HDR;
    if (find(b, start, start + used, member) >= 0) return false;
    const n = readU24(b, o + 3);
    const len = member.length;
    if (
      len > SET_PACKED_MAX_VALUE ||
      (n >= SET_PACKED_MAX_ENTRIES &&
        (n >= SET_PACKED_MAX_INTEGERS || !integerLike(member) || !this.allIntegers(b, start, start + used)))
    ) {
      return this.convert().add(member);
    }
    const p = this.splice(used, 0, varintLen(len) + len);
    writeStr(P.b, writeVarint(P.b, p, len), member);
    this.setCount(n + 1);
    return true;
  }

  /** SREM one member; returns whether it was there. */
  remove(member: string): boolean {
    if (this.h === H_BIG) return this.big.remove(member);
    const o = this.open();
    const b = P.b;
    const start = o + HDR;
    const e = find(b, start, start + readU24(b, o), member);
    if (e < 0) return false;
    this.removeEntry(e - start, foundStart + foundLen - e);
    return true;
  }

  /** The members in slot order, in no particular order otherwise. Do not hold it across changes. */
  members(): readonly string[] {
    if (this.h === H_BIG) return this.big.items;
    const o = this.open();
    const b = P.b;
    const n = readU24(b, o + 3);
    const out: string[] = new Array(n);
    let p = o + HDR;
    for (let i = 0; i < n; i++) {
      p = walk(b, p);
      out[i] = decode(b, foundStart, foundStart + foundLen);
    }
    return out;
  }

  values(): IterableIterator<string> {
    return this.members().values();
  }

  [Symbol.iterator](): IterableIterator<string> {
    return this.members().values();
  }

  /** A uniformly random member, or undefined when empty. `random` returns [0, 1). */
  randomMember(random: () => number = Math.random): string | undefined {
    const n = this.size;
    return n === 0 ? undefined : this.memberAt(Math.floor(random() * n));
  }

  /**
   * SRANDMEMBER count: for count >= 0, min(count, size) distinct members (every member when
   * count >= size, else in random order); for count < 0, |count| members drawn independently,
   * repeats allowed.
   */
  randomMembers(count: number, random: () => number = Math.random): string[] {
    const n = this.size;
    if (n === 0 || count === 0) return [];
    if (count < 0) return this.randomWithRepeats(-count, random);
    return this.randomDistinct(count, random);
  }

  /** min(count, size) distinct members (count >= 0). */
  randomDistinct(count: number, random: () => number = Math.random): string[] {
    const items = this.members();
    const n = items.length;
    if (count >= n) return items.slice();
    if (count <= 0) return [];
    const out: string[] = new Array(count);
    const idx = distinctIndexes(n, count, random);
    for (let k = 0; k < count; k++) out[k] = items[idx[k]];
    return out;
  }

  /** `count` members drawn independently (repeats allowed). */
  randomWithRepeats(count: number, random: () => number = Math.random): string[] {
    const items = this.members();
    const n = items.length;
    if (n === 0) return [];
    const out: string[] = new Array(count);
    for (let k = 0; k < count; k++) out[k] = items[Math.floor(random() * n)];
    return out;
  }

  /**
   * One SSCAN step: visits up to `count` members and returns the next cursor (0 when done; start
   * with 0). Every member present for the whole scan is visited at least once; see scanSlots.
   */
  scan(cursor: number, count: number, visit: (member: string) => void): number {
    return scanSlots(this.members(), cursor, count, visit);
  }

  /** SPOP: removes and returns a uniformly random member, or undefined when empty. */
  popRandom(random: () => number = Math.random): string | undefined {
    const n = this.size;
    if (n === 0) return undefined;
    const i = Math.floor(random() * n);
    if (this.h === H_BIG) {
      const m = this.big.items[i];
      this.big.removeIndex(i);
      return m;
    }
    const o = this.open();
    const b = P.b;
    const start = o + HDR;
    let p = start;
    for (let k = 0; k < i; k++) p = walk(b, p);
    const end = walk(b, p);
    const m = decode(b, foundStart, foundStart + foundLen);
    this.removeEntry(p - start, end - p);
    return m;
  }

  /** SPOP count: removes and returns min(count, size) distinct random members. */
  popRandomMany(count: number, random: () => number = Math.random): string[] {
    const n = this.size;
    if (count >= n) {
      const all = this.members().slice();
      this.clear();
      return all;
    }
    const out: string[] = [];
    for (let k = 0; k < count; k++) out.push(this.popRandom(random) as string);
    return out;
  }

  clear(): void {
    if (this.h === H_BIG) this.big.clear();
    else this.resetPacked();
  }

  /** A copy with the same members in the same slots (COPY). */
  clone(): SetValue {
    const c = new SetValue();
    if (this.h === H_BIG) {
      const t = new SetTable();
      for (const m of this.big.items) t.add(m);
      c.rep = t;
      c.h = H_BIG;
    } else c.rep = this.copyBlock();
    return c;
  }

  protected unpack(): SetTable {
    const t = new SetTable();
    for (const m of this.members()) t.add(m);
    return t;
  }

  /** The member in slot i (0 <= i < size). */
  private memberAt(i: number): string {
    if (this.h === H_BIG) return this.big.items[i];
    const o = this.open();
    const b = P.b;
    let p = o + HDR;
    for (let k = 0; k <= i; k++) p = walk(b, p);
    return decode(b, foundStart, foundStart + foundLen);
  }

  /** Removes the packed entry of `len` bytes at entry offset `at`. */
  private removeEntry(at: number, len: number): void {
    const n = this.count();
    this.splice(at, len, 0);
    this.setCount(n - 1);
  }

  /** Whether every packed member in b[p, end) is an integer. */
  private allIntegers(b: Uint8Array, p: number, end: number): boolean {
    while (p < end) {
      p = walk(b, p);
      if (!integerLikeBytes(b, foundStart, foundLen)) return false;
    }
    return true;
  }
}

/**
 * `count` distinct indexes in [0, n), 0 < count < n, in random order: a partial Fisher-Yates over
 * a copy when count is a large share of n (Redis's case 3), else rejection sampling (case 4).
 */
export function distinctIndexes(n: number, count: number, random: () => number = Math.random): number[] {
  if (count * 3 > n) {
    const idx = new Int32Array(n);
    for (let i = 0; i < n; i++) idx[i] = i;
    const out: number[] = new Array(count);
    for (let i = 0; i < count; i++) {
      const j = i + Math.floor(random() * (n - i));
      const t = idx[j];
      idx[j] = idx[i];
      idx[i] = t;
      out[i] = t;
    }
    return out;
  }
  const seen = new Set<number>();
  const out: number[] = [];
  while (out.length < count) {
    const r = Math.floor(random() * n);
    if (!seen.has(r)) {
      seen.add(r);
      out.push(r);
    }
  }
  return out;
}

/**
 * One SCAN step over dense slots that are removed by swapping the last slot into the hole. The
 * cursor is the number of slots still to visit, walked from the top down (0 starts a scan, and
 * is returned when it ends). A removal moves the top slot, already visited or still above the
 * cursor, into a hole: visited members may come back (allowed), unvisited ones stay below the
 * cursor. Additions land above it. So every member present throughout is visited at least once.
 */
export function scanSlots(
  slots: readonly string[],
  cursor: number,
  count: number,
  visit: (member: string, slot: number) => void,
): number {
  const n = slots.length;
  let p = cursor === 0 || cursor > n ? n : cursor;
  if (count < 1) count = 1;
  const stop = p > count ? p - count : 0;
  while (p > stop) {
    p--;
    visit(slots[p], p);
  }
  return p;
}
