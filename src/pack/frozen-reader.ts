// Reads over a fixed set of segment files arranged in levels, as of one sequence number: point
// lookups, iterators and snapshots (the KvReader the table layer reads through). An opened pack
// reads its sections this way, and `pack` reads the pinned files of a store this way to list the
// tables they hold. It walks the files with the live store's own read path (level-reader.ts).

import { StoreClosedError } from "../engine/errors.js";
import { getFromLevels, levelIterators } from "../engine/level-reader.js";
import { MergingIterator } from "../engine/merge-iterator.js";
import type { ReadOptions, Snapshot } from "../engine/store.js";
import { type IteratorOptions, type Key, StoreIterator, toKey } from "../engine/store-iterator.js";
import type { FileMeta } from "../engine/version.js";
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
    const children = levelIterators(this.levels, this.segmentFor);
    // One child (a pack whose data sits in one level) needs no merging.
    const merged = children.length === 1 ? children[0] : new MergingIterator(children);
    const it = new StoreIterator(merged, seq, options, (self) => this.iterators.delete(self));
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
