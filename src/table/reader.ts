// What the table layer reads through: point lookups, ordered iterators and snapshots. A live Store
// satisfies it, and so does an opened pack, which is why tables answer the same queries on both.

import type { ReadOptions, Snapshot } from "../engine/store.js";
import type { IteratorOptions, Key, StoreIterator } from "../engine/store-iterator.js";

export interface KvReader {
  get(key: Key, options?: ReadOptions): Uint8Array | undefined;
  iterator(options?: IteratorOptions & ReadOptions): StoreIterator;
  snapshot(): Snapshot;
}
