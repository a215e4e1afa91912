// SetValue: the large-set structure of the cache (Redis's hashtable set encoding). Members are
// latin1 byte strings kept in a dense array plus a Map member -> array index, so add, remove (swap
// the last member into the hole) and has are O(1), and a uniformly random member is one array
// read (SRANDMEMBER, SPOP), which a Map alone cannot give.

function stringBytes(s: string): number {
  return 16 + ((s.length + 7) & ~7);
}

const MAP_ENTRY_BYTES = 34; // measured ~31 at 500k members (Node 20 x64)
const SLOT_BYTES = 8;

export class SetValue {
  private readonly items: string[] = [];
  private readonly index = new Map<string, number>();
  private payloadBytes = 0;

  constructor(members?: Iterable<string>) {
    if (members) for (const m of members) this.add(m);
  }

  get size(): number {
    return this.items.length;
  }

  /** Estimated heap bytes held: Map entries, the array and the strings. */
  get bytes(): number {
    return 64 + this.items.length * (MAP_ENTRY_BYTES + SLOT_BYTES) + this.payloadBytes;
  }

  has(member: string): boolean {
    return this.index.has(member);
  }

  /** SADD one member; returns whether it was new. */
  add(member: string): boolean {
    if (this.index.has(member)) return false;
    this.index.set(member, this.items.length);
    this.items.push(member);
    this.payloadBytes += stringBytes(member);
    return true;
  }

  /** SREM one member; returns whether it was there. */
  remove(member: string): boolean {
    const i = this.index.get(member);
    if (i === undefined) return false;
    this.removeIndex(i);
    return true;
  }

  /** The members, in no particular order (a live view: do not hold it across changes). */
  members(): readonly string[] {
    return this.items;
  }

  values(): IterableIterator<string> {
    return this.items.values();
  }

  [Symbol.iterator](): IterableIterator<string> {
    return this.items.values();
  }

  /** A uniformly random member, or undefined when empty. `random` returns [0, 1). */
  randomMember(random: () => number = Math.random): string | undefined {
    const n = this.items.length;
    return n === 0 ? undefined : this.items[Math.floor(random() * n)];
  }

  /**
   * SRANDMEMBER count: for count >= 0, min(count, size) distinct members (every member when
   * count >= size, else in random order); for count < 0, |count| members drawn independently,
   * repeats allowed.
   */
  randomMembers(count: number, random: () => number = Math.random): string[] {
    const n = this.items.length;
    if (n === 0 || count === 0) return [];
    if (count < 0) return this.randomWithRepeats(-count, random);
    return this.randomDistinct(count, random);
  }

  /** min(count, size) distinct members (count >= 0). */
  randomDistinct(count: number, random: () => number = Math.random): string[] {
    const n = this.items.length;
    if (count >= n) return this.items.slice();
    if (count <= 0) return [];
    const out: string[] = new Array(count);
    const idx = distinctIndexes(n, count, random);
    for (let k = 0; k < count; k++) out[k] = this.items[idx[k]];
    return out;
  }

  /** `count` members drawn independently (repeats allowed). */
  randomWithRepeats(count: number, random: () => number = Math.random): string[] {
    const n = this.items.length;
    if (n === 0) return [];
    const out: string[] = new Array(count);
    for (let k = 0; k < count; k++) out[k] = this.items[Math.floor(random() * n)];
    return out;
  }

  /**
   * One SSCAN step: visits up to `count` members and returns the next cursor (0 when done; start
   * with 0). Every member present for the whole scan is visited at least once; see scanSlots.
   */
  scan(cursor: number, count: number, visit: (member: string) => void): number {
    return scanSlots(this.items, cursor, count, visit);
  }

  /** SPOP: removes and returns a uniformly random member, or undefined when empty. */
  popRandom(random: () => number = Math.random): string | undefined {
    const n = this.items.length;
    if (n === 0) return undefined;
    const i = Math.floor(random() * n);
    const m = this.items[i];
    this.removeIndex(i);
    return m;
  }

  /** SPOP count: removes and returns min(count, size) distinct random members. */
  popRandomMany(count: number, random: () => number = Math.random): string[] {
    const n = this.items.length;
    if (count >= n) {
      const all = this.items.slice();
      this.clear();
      return all;
    }
    const out: string[] = [];
    for (let k = 0; k < count; k++) out.push(this.popRandom(random) as string);
    return out;
  }

  clear(): void {
    this.items.length = 0;
    this.index.clear();
    this.payloadBytes = 0;
  }

  private removeIndex(i: number): void {
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
