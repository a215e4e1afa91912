// HashValue: the hash structure of the cache. Fields and values are latin1 byte strings kept in two
// dense arrays plus a Map field -> slot, so get, set, delete and "a uniformly random field"
// (HRANDFIELD) are O(1) and a SCAN cursor can be a slot position.
//
// It also tracks which encoding Redis would use, because that shows through the protocol: while a
// hash is "listpack-sized" (at most hash-max-listpack-entries fields, no field or value longer than
// hash-max-listpack-value bytes ever stored), Redis keeps insertion order (HGETALL, HKEYS, HSCAN)
// and HSCAN returns everything in one reply with cursor 0. Like Redis's conversion, leaving that
// state is one-way. While listpack-sized, a delete closes the gap in place (O(n), n is small) to keep
// insertion order; afterwards it swaps the last slot into the hole, which keeps scanSlots' guarantee
// (every field present for the whole scan is returned at least once).

import { distinctIndexes, scanSlots } from "./set.js";

function stringBytes(s: string): number {
  return 16 + ((s.length + 7) & ~7);
}

const MAP_ENTRY_BYTES = 34; // as measured for SetValue's Map<string, number> (Node 20 x64)
const SLOT_BYTES = 16; // a slot in each of the two arrays

/** Redis's defaults for hash-max-listpack-entries and hash-max-listpack-value. */
export const HASH_MAX_LISTPACK_ENTRIES = 512;
export const HASH_MAX_LISTPACK_VALUE = 64;

export class HashValue {
  private readonly keys: string[] = [];
  private readonly vals: string[] = [];
  private readonly index = new Map<string, number>();
  private payloadBytes = 0;
  private compact = true;

  get size(): number {
    return this.keys.length;
  }

  /** Estimated heap bytes held: Map entries, the arrays and the strings. */
  get bytes(): number {
    return 64 + this.keys.length * (MAP_ENTRY_BYTES + SLOT_BYTES) + this.payloadBytes;
  }

  /** Whether Redis would still hold this hash as a listpack (insertion order, one-step HSCAN). */
  get listpack(): boolean {
    return this.compact;
  }

  /** Redis's OBJECT ENCODING name for this hash. */
  get encoding(): "listpack" | "hashtable" {
    return this.compact ? "listpack" : "hashtable";
  }

  has(field: string): boolean {
    return this.index.has(field);
  }

  get(field: string): string | undefined {
    const i = this.index.get(field);
    return i === undefined ? undefined : this.vals[i];
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
    if (this.compact && (field.length > maxValue || value.length > maxValue)) this.compact = false;
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
    if (this.compact && this.keys.length > maxEntries) this.compact = false;
    return true;
  }

  /** Removes a field (HDEL); returns whether it was there. */
  delete(field: string): boolean {
    const i = this.index.get(field);
    if (i === undefined) return false;
    const keys = this.keys;
    const vals = this.vals;
    this.payloadBytes -= stringBytes(field) + stringBytes(vals[i]);
    this.index.delete(field);
    const last = keys.length - 1;
    if (i === last) {
      keys.pop();
      vals.pop();
    } else if (this.compact) {
      keys.splice(i, 1);
      vals.splice(i, 1);
      for (let j = i; j < last; j++) this.index.set(keys[j], j);
    } else {
      keys[i] = keys[last];
      vals[i] = vals[last];
      keys.pop();
      vals.pop();
      this.index.set(keys[i], i);
    }
    return true;
  }

  /** The fields, slot by slot (insertion order while listpack-sized); a live view. */
  fields(): readonly string[] {
    return this.keys;
  }

  /** The values, in the same slots as fields(); a live view. */
  values(): readonly string[] {
    return this.vals;
  }

  fieldAt(slot: number): string {
    return this.keys[slot];
  }

  valueAt(slot: number): string {
    return this.vals[slot];
  }

  /** A uniformly random slot, or -1 when empty. `random` returns [0, 1). */
  randomSlot(random: () => number = Math.random): number {
    const n = this.keys.length;
    return n === 0 ? -1 : Math.floor(random() * n);
  }

  /**
   * HRANDFIELD count's slots: for count < 0, |count| slots drawn independently (repeats allowed);
   * for count >= size, every slot in order; else `count` distinct slots in random order.
   */
  randomSlots(count: number, random: () => number = Math.random): number[] {
    const n = this.keys.length;
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
   * done; start with 0). A listpack-sized hash is returned whole whatever the cursor, as Redis
   * does; otherwise about `count` fields per step, and every field present for the whole scan is
   * visited at least once (see scanSlots).
   */
  scan(cursor: number, count: number, visit: (field: string, value: string, slot: number) => void): number {
    const keys = this.keys;
    const vals = this.vals;
    if (this.compact) {
      for (let i = 0; i < keys.length; i++) visit(keys[i], vals[i], i);
      return 0;
    }
    return scanSlots(keys, cursor, count, (f, slot) => visit(f, vals[slot], slot));
  }

  /** Leaves the listpack state for good (as Redis's hashTypeConvert does). */
  convertToHashtable(): void {
    this.compact = false;
  }

  /** A copy with the same fields, values, slot order and encoding (COPY; Redis's hashTypeDup). */
  clone(): HashValue {
    const h = new HashValue();
    for (let i = 0; i < this.keys.length; i++) {
      h.keys.push(this.keys[i]);
      h.vals.push(this.vals[i]);
      h.index.set(this.keys[i], i);
    }
    h.payloadBytes = this.payloadBytes;
    h.compact = this.compact;
    return h;
  }

  [Symbol.iterator](): IterableIterator<[string, string]> {
    return this.entries();
  }

  *entries(): IterableIterator<[string, string]> {
    for (let i = 0; i < this.keys.length; i++) yield [this.keys[i], this.vals[i]];
  }

  clear(): void {
    this.keys.length = 0;
    this.vals.length = 0;
    this.index.clear();
    this.payloadBytes = 0;
  }
}
