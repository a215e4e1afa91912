// The bulk loader's run arenas: a packed run being written, keys (and values) straight into
// growable arenas in shared memory, closed entry by entry, handed out as PackedRun views.

import type { PackedRun } from "../engine/packed-run.js";
import { ByteWriter } from "./tuple.js";

/**
 * A packed run being written: keys (and values) straight into growable arenas in shared memory,
 * so encoding copies nothing and the sort workers read the bytes in place.
 */
export class RunArena {
  readonly keys: ByteWriter;
  readonly values: ByteWriter | null;
  private keyOffsets: Uint32Array;
  private valueOffsets: Uint32Array;
  /** Index runs: each key's length before its primary key (PackedRun.prefixEnds, a sorting hint). */
  private prefixEnds: Uint32Array | null;
  count = 0;

  constructor(entries: number, keyBytes: number, valueBytes: number, prefixes = false) {
    this.keys = new ByteWriter(Math.max(64, keyBytes), true);
    this.values = valueBytes > 0 ? new ByteWriter(Math.max(64, valueBytes), true) : null;
    this.keyOffsets = sharedOffsets(entries + 1);
    this.valueOffsets = sharedOffsets(valueBytes > 0 ? entries + 1 : 1);
    this.prefixEnds = prefixes ? sharedOffsets(entries + 1) : null;
    if (!prefixes) this.prefixEnd = undefined;
  }

  prefixEnd?: (length: number) => void = (length) => {
    (this.prefixEnds as Uint32Array)[this.count] = length;
  };

  /** Grows the arenas (once) to hold `factor` times the entries and bytes written so far, plus a margin. */
  reserveFor(factor: number): void {
    const grow = (w: ByteWriter) => w.reserve(Math.ceil(w.pos * factor * 1.05) + 64);
    grow(this.keys);
    if (this.values) grow(this.values);
    const entries = Math.ceil(this.count * factor) + 2;
    if (entries > this.keyOffsets.length) {
      this.keyOffsets = resized(this.keyOffsets, entries);
      if (this.values) this.valueOffsets = resized(this.valueOffsets, entries);
      if (this.prefixEnds) this.prefixEnds = resized(this.prefixEnds, entries);
    }
  }

  /** Closes the entry whose bytes were written since the last `end`. */
  end(): void {
    const n = ++this.count;
    if (n >= this.keyOffsets.length) {
      this.keyOffsets = grow(this.keyOffsets);
      if (this.values) this.valueOffsets = grow(this.valueOffsets);
      if (this.prefixEnds) this.prefixEnds = grow(this.prefixEnds);
    }
    this.keyOffsets[n] = this.keys.pos;
    if (this.values) this.valueOffsets[n] = this.values.pos;
  }

  /** The keys closed so far as a run without values (views, no copy). */
  keyRun(): PackedRun {
    const n = this.count;
    return { keys: this.keys.buf.subarray(0, this.keys.pos), keyOffsets: this.keyOffsets.subarray(0, n + 1), count: n };
  }

  /**
   * Entries [start, end) as a run: views of the arenas as they are now, which later entries do not
   * change (they go past its end, or into new arenas when these grow).
   */
  slice(start: number, end: number): PackedRun {
    const run: PackedRun = {
      keys: this.keys.buf,
      keyOffsets: this.keyOffsets.subarray(start, end + 1),
      count: end - start,
    };
    if (this.values) {
      run.values = this.values.buf;
      run.valueOffsets = this.valueOffsets.subarray(start, end + 1);
    }
    return run;
  }

  finish(): PackedRun {
    const n = this.count;
    const run: PackedRun = {
      keys: this.keys.buf.subarray(0, this.keys.pos),
      keyOffsets: this.keyOffsets.subarray(0, n + 1),
      count: n,
    };
    if (this.values) {
      run.values = this.values.buf.subarray(0, this.values.pos);
      run.valueOffsets = this.valueOffsets.subarray(0, n + 1);
    }
    if (this.prefixEnds) run.prefixEnds = this.prefixEnds.subarray(0, n);
    return run;
  }
}

/** A zeroed Uint32Array of `n` (at least 2) in a SharedArrayBuffer. */
export function sharedOffsets(n: number): Uint32Array {
  return new Uint32Array(new SharedArrayBuffer(Math.max(2, n) * 4));
}

function resized(a: Uint32Array, n: number): Uint32Array {
  const next = sharedOffsets(n);
  next.set(a);
  return next;
}

function grow(a: Uint32Array): Uint32Array {
  const next = sharedOffsets(a.length * 2);
  next.set(a);
  return next;
}
