// The iterator contract shared by memtables, segment files and the merging iterator: a cursor
// over internal entries (user key, sequence number, kind, value) in internal key order (user key
// ascending, sequence descending). The engine builds its user-facing iterators on top of it.

/** Entry kinds, as stored in the WAL, the memtable and segment files. */
export const KIND_DELETE = 0;
export const KIND_PUT = 1;
export type EntryKind = typeof KIND_DELETE | typeof KIND_PUT;

/** The largest sequence number Shale assigns (2^52 - 1, so seq * 2 + kind stays a safe integer). */
export const MAX_SEQ = 2 ** 52 - 1;

export interface InternalIterator {
  valid(): boolean;
  seekToFirst(): void;
  seekToLast(): void;
  /** Positions at the first entry >= (key, seq) in internal order. Use MAX_SEQ for "any version of key". */
  seek(key: Uint8Array, seq: number): void;
  /** Positions at the last entry <= (key, seq) in internal order. Use 0 for "any version of key". */
  seekForPrev(key: Uint8Array, seq: number): void;
  next(): void;
  prev(): void;
  /** User key of the current entry. The view is valid until the iterator moves; copy to keep it. */
  key(): Uint8Array;
  seq(): number;
  kind(): EntryKind;
  /** Value of the current entry (empty for a delete). Same lifetime rule as `key()`. */
  value(): Uint8Array;
  close(): void;
}
