// The user-facing iterator: a consistent snapshot of the store, walked forward or in reverse
// between optional bounds. It turns the merged stream of internal entries (every version of every
// key) into the newest visible version of each key, hiding deletes and versions newer than its
// snapshot. It holds the memtables and the version it started with, so the files it reads stay
// alive until it is closed.

import { compareKeys } from "../format/compare.js";
import { type InternalIterator, KIND_PUT, MAX_SEQ } from "../format/internal-iterator.js";
import { InvalidArgumentError } from "./errors.js";

export type Key = Uint8Array | string;

export interface RangeOptions {
  gt?: Key;
  gte?: Key;
  lt?: Key;
  lte?: Key;
  /** Only keys that start with these bytes. */
  prefix?: Key;
}

export interface IteratorOptions extends RangeOptions {
  reverse?: boolean;
  /** Stop after this many entries. */
  limit?: number;
}

export type Entry = [key: Uint8Array, value: Uint8Array];

const encoder = new TextEncoder();

/** A key as bytes (strings as UTF-8); anything else is an InvalidArgumentError. */
export function toKey(k: Key): Uint8Array {
  if (typeof k === "string") return encoder.encode(k);
  if (k instanceof Uint8Array) return k;
  throw new InvalidArgumentError(`a key must be a Uint8Array or a string, got ${k === null ? "null" : typeof k}`);
}

/** The smallest key greater than every key that starts with `prefix`, or undefined if none (all 0xff). */
export function prefixSuccessor(prefix: Uint8Array): Uint8Array | undefined {
  for (let i = prefix.length - 1; i >= 0; i--) {
    if (prefix[i] !== 0xff) {
      const out = new Uint8Array(prefix.subarray(0, i + 1)); // a copy even for a Buffer (whose slice is a view)
      out[i]++;
      return out;
    }
  }
  return undefined;
}

/** Lower and upper bounds as (key, inclusive) pairs; the tighter of prefix and explicit bounds wins. */
export interface Bounds {
  lower?: Uint8Array;
  lowerInclusive: boolean;
  upper?: Uint8Array;
  upperInclusive: boolean;
}

export function resolveBounds(o: RangeOptions): Bounds {
  const b: Bounds = { lowerInclusive: true, upperInclusive: false };
  const tightenLower = (k: Uint8Array, inclusive: boolean) => {
    const c = b.lower === undefined ? 1 : compareKeys(k, b.lower);
    if (c > 0 || (c === 0 && !inclusive)) {
      b.lower = k;
      b.lowerInclusive = inclusive;
    }
  };
  const tightenUpper = (k: Uint8Array, inclusive: boolean) => {
    const c = b.upper === undefined ? -1 : compareKeys(k, b.upper);
    if (c < 0 || (c === 0 && !inclusive)) {
      b.upper = k;
      b.upperInclusive = inclusive;
    }
  };
  if (o.gte !== undefined) tightenLower(toKey(o.gte), true);
  if (o.gt !== undefined) tightenLower(toKey(o.gt), false);
  if (o.lte !== undefined) tightenUpper(toKey(o.lte), true);
  if (o.lt !== undefined) tightenUpper(toKey(o.lt), false);
  if (o.prefix !== undefined) {
    const p = toKey(o.prefix);
    tightenLower(p, true);
    const succ = prefixSuccessor(p);
    if (succ) tightenUpper(succ, false);
  }
  return b;
}

export class StoreIterator implements IterableIterator<Entry> {
  private started = false;
  private done = false;
  private closed = false;
  private closeReason: Error | null = null;
  private emitted = 0;
  private readonly bounds: Bounds;
  private readonly reverse: boolean;
  private readonly limit: number;
  private scratch = new Uint8Array(64);

  constructor(
    private readonly it: InternalIterator,
    private readonly readSeq: number,
    options: IteratorOptions,
    private readonly release: (self: StoreIterator) => void,
    /** The internal iterator yields at most one version of each key (a frozen level of single-seq files). */
    private readonly uniqueKeys = false,
  ) {
    this.bounds = resolveBounds(options);
    this.reverse = options.reverse === true;
    this.limit = options.limit ?? Number.POSITIVE_INFINITY;
  }

  private start(): void {
    this.started = true;
    const { lower, lowerInclusive, upper, upperInclusive } = this.bounds;
    if (!this.reverse) {
      if (lower) this.it.seek(lower, MAX_SEQ);
      else this.it.seekToFirst();
      if (lower && !lowerInclusive) this.skipKey(lower);
    } else {
      if (upper) this.it.seekForPrev(upper, upperInclusive ? 0 : MAX_SEQ);
      else this.it.seekToLast();
      if (upper && !upperInclusive) this.skipKey(upper);
    }
  }

  /** Moves past every version of `key` at the current position. */
  private skipKey(key: Uint8Array): void {
    const it = this.it;
    while (it.valid() && compareKeys(it.key(), key) === 0) {
      if (this.reverse) it.prev();
      else it.next();
    }
  }

  private pastEnd(key: Uint8Array): boolean {
    const b = this.bounds;
    if (!this.reverse) {
      if (!b.upper) return false;
      const c = compareKeys(key, b.upper);
      return c > 0 || (c === 0 && !b.upperInclusive);
    }
    if (!b.lower) return false;
    const c = compareKeys(key, b.lower);
    return c < 0 || (c === 0 && !b.lowerInclusive);
  }

  private forwardStep(): Entry | undefined {
    const it = this.it;
    const readSeq = this.readSeq;
    while (it.valid()) {
      if (it.seq() > readSeq) {
        it.next();
        continue;
      }
      const view = it.key();
      if (this.pastEnd(view)) return undefined;
      const key = view.slice(); // the view is only valid until the iterator moves
      const isPut = it.kind() === KIND_PUT;
      const value = isPut ? it.value() : undefined;
      it.next();
      // Older versions of the same key follow: skip them.
      while (it.valid() && compareKeys(it.key(), key) === 0) it.next();
      if (value) return [key, value];
    }
    return undefined;
  }

  private reverseStep(): Entry | undefined {
    const it = this.it;
    const readSeq = this.readSeq;
    while (it.valid()) {
      const view = it.key();
      if (this.pastEnd(view)) return undefined;
      const key = view.slice(); // the view is only valid until the iterator moves
      // Versions of one key arrive oldest first; the last visible one is the newest we may see.
      let value: Uint8Array | undefined;
      let seen = false;
      while (it.valid() && compareKeys(it.key(), key) === 0) {
        if (it.seq() <= readSeq) {
          seen = true;
          value = it.kind() === KIND_PUT ? it.value() : undefined;
        }
        it.prev();
      }
      if (seen && value) return [key, value];
    }
    return undefined;
  }

  /** The next entry, or undefined at the end (and after `close`). */
  read(): Entry | undefined {
    if (this.closeReason) throw this.closeReason;
    if (this.done) return undefined;
    if (!this.started) this.start();
    const e = this.emitted < this.limit ? (this.reverse ? this.reverseStep() : this.forwardStep()) : undefined;
    if (!e) {
      this.done = true;
      this.close();
      return undefined;
    }
    this.emitted++;
    return e;
  }

  /**
   * Calls `fn(key, value)` for the next entries, in order, until it returns false or the entries
   * end; returns how many it was given. Nothing is allocated per entry but the value view: `key`
   * is a scratch buffer valid only during the call (copy it to keep it); `value` stays valid.
   */
  visit(fn: (key: Uint8Array, value: Uint8Array) => boolean | undefined): number {
    if (this.closeReason) throw this.closeReason;
    if (this.done) return 0;
    if (!this.started) this.start();
    if (this.reverse) {
      let n = 0;
      for (let e = this.read(); e; e = this.read()) {
        n++;
        if (fn(e[0], e[1]) === false) break;
      }
      return n;
    }
    const it = this.it;
    const readSeq = this.readSeq;
    let n = 0;
    if (this.uniqueKeys) {
      // No older versions follow a key, so the caller gets the iterator's own view of it.
      while (it.valid() && this.emitted < this.limit) {
        const view = it.key();
        if (this.pastEnd(view)) break;
        if (it.seq() > readSeq || it.kind() !== KIND_PUT) {
          it.next();
          continue;
        }
        this.emitted++;
        n++;
        const more = fn(view, it.value());
        it.next();
        if (more === false) return n;
      }
      this.done = true;
      this.close();
      return n;
    }
    let scratch = this.scratch;
    while (it.valid() && this.emitted < this.limit) {
      if (it.seq() > readSeq) {
        it.next();
        continue;
      }
      const view = it.key();
      if (this.pastEnd(view)) break;
      if (view.length > scratch.length) scratch = this.scratch = new Uint8Array(view.length * 2);
      for (let i = 0; i < view.length; i++) scratch[i] = view[i];
      const key = scratch.subarray(0, view.length);
      const value = it.kind() === KIND_PUT ? it.value() : undefined;
      it.next();
      while (it.valid() && compareKeys(it.key(), key) === 0) it.next();
      if (!value) continue;
      this.emitted++;
      n++;
      if (fn(key, value) === false) return n;
    }
    this.done = true;
    this.close();
    return n;
  }

  /** Up to `n` next entries; an empty array at the end. */
  nextv(n: number): Entry[] {
    const out: Entry[] = [];
    for (let i = 0; i < n; i++) {
      const e = this.read();
      if (!e) break;
      out.push(e);
    }
    return out;
  }

  next(): IteratorResult<Entry> {
    const e = this.read();
    return e ? { done: false, value: e } : { done: true, value: undefined };
  }

  [Symbol.iterator](): this {
    return this;
  }

  /** Releases the snapshot and files this iterator holds. Safe to call twice. */
  close(): void {
    if (this.closed) return;
    this.closed = true;
    this.done = true;
    this.it.close();
    this.release(this);
  }

  /** Called by the store when it closes under an open iterator. */
  abandon(reason: Error): void {
    if (this.closed) return;
    this.closeReason = reason;
    this.close();
  }

  return(): IteratorResult<Entry> {
    this.close();
    return { done: true, value: undefined };
  }
}
