// Reads over a fixed set of segment files arranged in levels, as of one sequence number: point
// lookups, iterators and snapshots (the KvReader the table layer reads through). An opened pack
// reads its sections this way, and `pack` reads the pinned files of a store this way to list the
// tables they hold. It walks the files with the live store's own read path (level-reader.ts).

import { StoreClosedError } from "../engine/errors.js";
import { getFromLevels, levelIterators } from "../engine/level-reader.js";
import { MergingIterator } from "../engine/merge-iterator.js";
import type { ReadOptions, Snapshot } from "../engine/store.js";
import {
  type Bounds,
  type IteratorOptions,
  type Key,
  resolveBounds,
  StoreIterator,
  toKey,
} from "../engine/store-iterator.js";
import type { FileMeta } from "../engine/version.js";
import { compareKeys } from "../format/compare.js";
import { KIND_PUT } from "../format/internal-iterator.js";
import type { Segment } from "../format/segment.js";
import type { KvReader } from "../table/reader.js";

export class FrozenReader implements KvReader {
  private readonly iterators = new Set<StoreIterator>();
  private closedReason: Error | null = null;

  constructor(
    /** Level 0 newest first, then levels of disjoint files in key order. */
    readonly levels: readonly FileMeta[][],
    private readonly segmentFor: (f: FileMeta) => Segment,
    /** Reads see entries with sequence numbers up to this. */
    readonly lastSeq: number,
    private readonly name: string,
  ) {}

  private checkOpen(): void {
    if (this.closedReason) throw new StoreClosedError(`${this.name} is closed`);
  }

  get(key: Key, options?: ReadOptions): Uint8Array | undefined {
    this.checkOpen();
    const seq = options?.snapshot ? Math.min(options.snapshot.seq, this.lastSeq) : this.lastSeq;
    const r = getFromLevels(this.levels, toKey(key), seq, this.segmentFor);
    return r !== undefined && r.kind === KIND_PUT ? r.value : undefined;
  }

  iterator(options: IteratorOptions & ReadOptions = {}): StoreIterator {
    this.checkOpen();
    const seq = options.snapshot ? Math.min(options.snapshot.seq, this.lastSeq) : this.lastSeq;
    // Only the files that can hold keys in range: a table's rows usually sit in one level, apart
    // from the small files with the catalog and row counts, and one child needs no merging.
    const levels = overlapping(this.levels, resolveBounds(options));
    const children = levelIterators(levels, this.segmentFor);
    const merged = children.length === 1 ? children[0] : new MergingIterator(children);
    // One child whose files each hold entries of a single sequence number (ingested or packed
    // files, say) yields every key once: the iterator then needs no check for older versions.
    const single = children.length === 1 && levels.every((files) => files.every(oneVersionPerKey));
    const it = new StoreIterator(merged, seq, options, (self) => this.iterators.delete(self), single);
    this.iterators.add(it);
    return it;
  }

  /** Everything here is immutable, so a snapshot is the sequence number reads use. */
  snapshot(): Snapshot {
    this.checkOpen();
    return { seq: this.lastSeq, release: () => undefined };
  }

  /** Closes open iterators (using them afterwards throws StoreClosedError); later reads throw too. */
  close(): void {
    if (this.closedReason) return;
    this.closedReason = new StoreClosedError(`${this.name} was closed while this iterator was open`);
    for (const it of [...this.iterators]) it.abandon(this.closedReason);
  }
}

/** A file whose entries all share one sequence number holds at most one version of each key. */
function oneVersionPerKey(f: FileMeta): boolean {
  return f.globalSeq !== undefined || f.minSeq === f.maxSeq;
}

/** The levels with only the files whose key range meets `b` (files outside it cannot contribute). */
function overlapping(levels: readonly FileMeta[][], b: Bounds): FileMeta[][] {
  if (b.lower === undefined && b.upper === undefined) return levels as FileMeta[][];
  const { lower, upper } = b;
  return levels.map((files) =>
    files.filter((f) => {
      if (lower !== undefined) {
        const c = compareKeys(f.largest, lower);
        if (c < 0 || (c === 0 && !b.lowerInclusive)) return false;
      }
      if (upper !== undefined) {
        const c = compareKeys(f.smallest, upper);
        if (c > 0 || (c === 0 && !b.upperInclusive)) return false;
      }
      return true;
    }),
  );
}
