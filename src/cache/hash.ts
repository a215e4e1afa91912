// HashValue: the hash structure of the cache, in one of Redis's two encodings, which show through
// the protocol:
//
// - listpack: while the hash has at most hash-max-listpack-entries fields and no field or value
//   longer than hash-max-listpack-value bytes was ever stored, its fields and values are packed in
//   insertion order in one slab block (see packed.ts): [varint flen][field][varint vlen][value] per
//   field. Lookups walk the block (O(n), n is small, as in Redis); HGETALL, HKEYS and HSCAN follow
//   insertion order and HSCAN returns everything in one reply with cursor 0. A delete closes the gap.
// - hashtable: past those limits (one-way, as Redis's hashTypeConvert) the fields move, in their
//   order, into HashTable: fields and values in two dense arrays plus a Map field -> slot, so get,
//   set, delete and "a uniformly random field" (HRANDFIELD) are O(1) and a SCAN cursor can be a slot
//   position. A delete swaps the last slot into the hole, which keeps scanSlots' guarantee (every
//   field present for the whole scan is returned at least once).

import { varintLen, writeVarint } from "./entry.js";
import {
  decode,
  H_BIG,
  HDR,
  newBlock,
  P,
  PACKED_MAX_BYTES,
  Packed,
  readU24,
  readVarint,
  sameStr,
  writeStr,
} from "./packed.js";
import { distinctIndexes, scanSlots } from "./set.js";

function stringBytes(s: string): number {
  return 16 + ((s.length + 7) & ~7);
}

const MAP_ENTRY_BYTES = 34; // as measured for SetValue's Map<string, number> (Node 20 x64)
const SLOT_BYTES = 16; // a slot in each of the two arrays

/** Redis's defaults for hash-max-listpack-entries and hash-max-listpack-value. */
export const HASH_MAX_LISTPACK_ENTRIES = 512;
export const HASH_MAX_LISTPACK_VALUE = 64;

/** The hashtable encoding's structure (see the file comment). */
class HashTable {
  readonly keys: string[] = [];
  readonly vals: string[] = [];
  readonly index = new Map<string, number>();
  payloadBytes = 0;

  get bytes(): number {
    return 64 + this.keys.length * (MAP_ENTRY_BYTES + SLOT_BYTES) + this.payloadBytes;
  }

  get(field: string): string | undefined {
    const i = this.index.get(field);
    return i === undefined ? undefined : this.vals[i];
  }

  set(field: string, value: string): boolean {
    const i = this.index.get(field);
    if (i !== undefined) {
      this.payloadBytes += stringBytes(value) - stringBytes(this.vals[i]);
      this.vals[i] = value;
      return false;
    }
    this.index.set(field, this.keys.length);
    this.keys.push(field);
    this.vals.push(value);
    this.payloadBytes += stringBytes(field) + stringBytes(value);
    return true;
  }

  delete(field: string): boolean {
    const i = this.index.get(field);
    if (i === undefined) return false;
    const keys = this.keys;
    const vals = this.vals;
    this.payloadBytes -= stringBytes(field) + stringBytes(vals[i]);
    this.index.delete(field);
    const last = keys.length - 1;
    if (i !== last) {
      keys[i] = keys[last];
      vals[i] = vals[last];
      this.index.set(keys[i], i);
    }
    keys.pop();
    vals.pop();
    return true;
  }

  clone(): HashTable {
    const t = new HashTable();
    for (let i = 0; i < this.keys.length; i++) {
      t.keys.push(this.keys[i]);
      t.vals.push(this.vals[i]);
      t.index.set(this.keys[i], i);
    }
    t.payloadBytes = this.payloadBytes;
    return t;
  }

  clear(): void {
    this.keys.length = 0;
    this.vals.length = 0;
    this.index.clear();
    this.payloadBytes = 0;
  }
}

// find()'s results besides the entry position: the value's varint position, start and length, and the index.
let foundValueAt = 0;
let foundValueStart = 0;
let foundValueLen = 0;

/** The position of field's entry in b[p, end), or -1. */
function find(b: Uint8Array, p: number, end: number, field: string): number {
  const want = field.length;
  while (p < end) {
    const e = p;
    let fl = b[p];
    if (fl < 0x80) p++;
    else {
      fl = readVarint(b, p);
      p = P.q;
    }
    const fs = p;
    p += fl;
    const vp = p;
    let vl = b[p];
    if (vl < 0x80) p++;
    else {
      vl = readVarint(b, p);
      p = P.q;
    }
    if (fl === want && sameStr(b, fs, fl, field)) {
      foundValueAt = vp;
      foundValueStart = p;
      foundValueLen = vl;
      return e;
    }
    p += vl;
  }
  return -1;
}

// walk()'s results: field and value positions of the entry at p, and the next entry's position.
let wFieldStart = 0;
let wFieldEnd = 0;
let wValueStart = 0;
let wValueEnd = 0;

/** Reads the entry at p into the w* variables; returns the position after it. */
function walk(b: Uint8Array, p: number): number {
  let n = b[p];
  if (n < 0x80) p++;
  else {
    n = readVarint(b, p);
    p = P.q;
  }
  wFieldStart = p;
  p += n;
  wFieldEnd = p;
  n = b[p];
  if (n < 0x80) p++;
  else {
    n = readVarint(b, p);
    p = P.q;
  }
  wValueStart = p;
  p += n;
  wValueEnd = p;
  return p;
}

export class HashValue extends Packed<HashTable> {
  constructor() {
    super(newBlock(), false);
  }

  get size(): number {
    return this.h === H_BIG ? this.big.keys.length : this.count();
  }

  /** Estimated heap bytes held (a packed hash's block is counted by the slab, not here). */
  get bytes(): number {
    return this.heapBytes((t) => t.bytes);
  }

  /** Whether Redis would still hold this hash as a listpack (insertion order, one-step HSCAN). */
  get listpack(): boolean {
    return this.h !== H_BIG;
  }

  /** Redis's OBJECT ENCODING name for this hash. */
  get encoding(): "listpack" | "hashtable" {
    return this.h !== H_BIG ? "listpack" : "hashtable";
  }

  has(field: string): boolean {
    if (this.h === H_BIG) return this.big.index.has(field);
    const o = this.open();
    const b = P.b;
    return find(b, o + HDR, o + HDR + readU24(b, o), field) >= 0;
  }

  get(field: string): string | undefined {
    if (this.h === H_BIG) return this.big.get(field);
    const o = this.open();
    const b = P.b;
    if (find(b, o + HDR, o + HDR + readU24(b, o), field) < 0) return undefined;
    return decode(b, foundValueStart, foundValueStart + foundValueLen);
  }

  /**
   * Sets a field (HSET); returns whether it was new. maxEntries and maxValue are the listpack
   * limits in force (hash-max-listpack-entries / -value).
   */
  set(
    field: string,
    value: string,
    maxEntries = HASH_MAX_LISTPACK_ENTRIES,
    maxValue = HASH_MAX_LISTPACK_VALUE,
  ): boolean {
    if (this.h === H_BIG) return this.big.set(field, value);
    if (field.length > maxValue || value.length > maxValue) return this.convert().set(field, value);
    const o = this.open();
    const b = P.b;
    const used = readU24(b, o);
    const n = readU24(b, o + 3);
    const start = o + HDR;
    const vl = value.length;
    if (find(b, start, start + used, field) >= 0) {
      // Replace the value in place (its varint and bytes).
      const del = foundValueStart + foundValueLen - foundValueAt;
      const ins = varintLen(vl) + vl;
      if (used - del + ins > PACKED_MAX_BYTES) return this.convert().set(field, value);
      const p = this.splice(foundValueAt - start, del, ins);
      writeStr(P.b, writeVarint(P.b, p, vl), value);
      // Redis's hashTypeSet converts after an update too when the hash is over the entry limit.
      if (n > maxEntries) this.convert();
      return false;
    }
    const fl = field.length;
    const ins = varintLen(fl) + fl + varintLen(vl) + vl;
    if (n + 1 > maxEntries || used + ins > PACKED_MAX_BYTES) return this.convert().set(field, value);
    const p = this.splice(used, 0, ins);
    const pb = P.b;
    writeStr(pb, writeVarint(pb, writeStr(pb, writeVarint(pb, p, fl), field), vl), value);
    this.setCount(n + 1);
    return true;
  }

  /** Removes a field (HDEL); returns whether it was there. */
  delete(field: string): boolean {
    if (this.h === H_BIG) return this.big.delete(field);
    const o = this.open();
    const b = P.b;
    const start = o + HDR;
    const e = find(b, start, start + readU24(b, o), field);
    if (e < 0) return false;
    const n = readU24(b, o + 3);
    this.splice(e - start, foundValueStart + foundValueLen - e, 0);
    this.setCount(n - 1);
    return true;
  }

  /** The fields, slot by slot (insertion order while a listpack). Do not hold it across changes. */
  fields(): readonly string[] {
    if (this.h === H_BIG) return this.big.keys;
    return this.unpackList(true);
  }

  /** The values, in the same slots as fields(). Do not hold it across changes. */
  values(): readonly string[] {
    if (this.h === H_BIG) return this.big.vals;
    return this.unpackList(false);
  }

  fieldAt(slot: number): string {
    if (this.h === H_BIG) return this.big.keys[slot];
    if (!this.seek(slot)) return undefined as unknown as string;
    return decode(P.b, wFieldStart, wFieldEnd);
  }

  valueAt(slot: number): string {
    if (this.h === H_BIG) return this.big.vals[slot];
    if (!this.seek(slot)) return undefined as unknown as string;
    return decode(P.b, wValueStart, wValueEnd);
  }

  /** A uniformly random slot, or -1 when empty. `random` returns [0, 1). */
  randomSlot(random: () => number = Math.random): number {
    const n = this.size;
    return n === 0 ? -1 : Math.floor(random() * n);
  }

  /**
   * HRANDFIELD count's slots: for count < 0, |count| slots drawn independently (repeats allowed);
   * for count >= size, every slot in order; else `count` distinct slots in random order.
   */
  randomSlots(count: number, random: () => number = Math.random): number[] {
    const n = this.size;
    if (n === 0 || count === 0) return [];
    if (count < 0) {
      const out: number[] = new Array(-count);
      for (let k = 0; k < -count; k++) out[k] = Math.floor(random() * n);
      return out;
    }
    if (count >= n) {
      const out: number[] = new Array(n);
      for (let k = 0; k < n; k++) out[k] = k;
      return out;
    }
    return distinctIndexes(n, count, random);
  }

  /**
   * One HSCAN step: calls visit for the fields of this step and returns the next cursor (0 when
   * done; start with 0). A listpack is returned whole whatever the cursor, as Redis does;
   * otherwise about `count` fields per step, and every field present for the whole scan is
   * visited at least once (see scanSlots).
   */
  scan(cursor: number, count: number, visit: (field: string, value: string, slot: number) => void): number {
    if (this.h !== H_BIG) {
      const keys = this.unpackList(true);
      const vals = this.unpackList(false);
      for (let i = 0; i < keys.length; i++) visit(keys[i], vals[i], i);
      return 0;
    }
    const vals = this.big.vals;
    return scanSlots(this.big.keys, cursor, count, (f, slot) => visit(f, vals[slot], slot));
  }

  /** Leaves the listpack encoding for good (as Redis's hashTypeConvert does). */
  convertToHashtable(): void {
    if (this.h !== H_BIG) this.convert();
  }

  /** A copy with the same fields, values, slot order and encoding (COPY; Redis's hashTypeDup). */
  clone(): HashValue {
    const c = new HashValue();
    if (this.h === H_BIG) {
      c.rep = this.big.clone();
      c.h = H_BIG;
    } else c.rep = this.copyBlock();
    return c;
  }

  [Symbol.iterator](): IterableIterator<[string, string]> {
    return this.entries();
  }

  *entries(): IterableIterator<[string, string]> {
    const keys = this.fields();
    const vals = this.values();
    for (let i = 0; i < keys.length; i++) yield [keys[i], vals[i]];
  }

  clear(): void {
    if (this.h === H_BIG) this.big.clear();
    else this.resetPacked();
  }

  protected unpack(): HashTable {
    const t = new HashTable();
    const keys = this.unpackList(true);
    const vals = this.unpackList(false);
    for (let i = 0; i < keys.length; i++) t.set(keys[i], vals[i]);
    return t;
  }

  /** The packed fields (or values) in order, as a new array. */
  private unpackList(fields: boolean): string[] {
    const o = this.open();
    const b = P.b;
    const n = readU24(b, o + 3);
    const out: string[] = new Array(n);
    let p = o + HDR;
    for (let i = 0; i < n; i++) {
      p = walk(b, p);
      out[i] = fields ? decode(b, wFieldStart, wFieldEnd) : decode(b, wValueStart, wValueEnd);
    }
    return out;
  }

  /** Leaves the w* variables at the packed entry of `slot`; false when there is none. */
  private seek(slot: number): boolean {
    const o = this.open();
    const b = P.b;
    if (!(slot >= 0 && slot < readU24(b, o + 3))) return false;
    let p = o + HDR;
    for (let i = 0; i <= slot; i++) p = walk(b, p);
    return true;
  }
}
