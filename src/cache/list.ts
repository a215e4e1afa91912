// ListValue: the large-list structure of the cache (Redis's quicklist). A deque of latin1 byte
// strings in a ring buffer whose capacity is a power of two: O(1) push and pop at both ends, O(1)
// index, O(n) for the middle edits (LINSERT, LREM, LSET by value), shifting the shorter side.
// The buffer doubles when full and halves when a quarter full, and vacated slots are cleared so
// popped strings can be collected.
//
// Indexes taken by range/trim are resolved ones (0 <= first <= last < length; see numbers.ts
// resolveRange); get/set take Redis indexes (negative counts from the tail).

const MIN_CAPACITY = 8;

function stringBytes(s: string): number {
  return 16 + ((s.length + 7) & ~7);
}

export class ListValue {
  private buf: (string | undefined)[] = new Array(MIN_CAPACITY);
  private mask = MIN_CAPACITY - 1;
  private head = 0;
  private len = 0;
  private payloadBytes = 0;

  constructor(items?: Iterable<string>) {
    if (items) for (const v of items) this.pushBack(v);
  }

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
