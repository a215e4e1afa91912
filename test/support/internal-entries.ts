// A sorted-array model of internal entries (user key, seq, kind, value) for the format tests: the
// expected answer of a seek or a point lookup, and an assertion on an iterator's current entry.

import assert from "node:assert/strict";
import { compareInternal, compareKeys } from "../../src/format/compare.js";
import type { EntryKind, InternalIterator } from "../../src/format/internal-iterator.js";

export interface Entry {
  key: Uint8Array;
  seq: number;
  kind: EntryKind;
  value: Uint8Array;
}

/** Asserts that `it` is at `e` (or at the end, for undefined). */
export function assertAt(it: InternalIterator, e: Entry | undefined, what: string): void {
  if (e === undefined) {
    assert.equal(it.valid(), false, `${what}: expected end`);
    return;
  }
  assert.ok(it.valid(), `${what}: expected an entry`);
  assert.deepEqual(it.key(), e.key, what);
  assert.equal(it.seq(), e.seq, what);
  assert.equal(it.kind(), e.kind, what);
  assert.deepEqual(it.value(), e.value, what);
}

/** First index of sorted `entries` with entry >= (key, seq). */
export function lowerBound(entries: Entry[], key: Uint8Array, seq: number): number {
  let lo = 0;
  let hi = entries.length;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if (compareInternal(entries[mid].key, entries[mid].seq, key, seq) < 0) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}

/** The newest entry for `key` with seq <= snap, or undefined. */
export function modelGet(entries: Entry[], key: Uint8Array, snap: number): Entry | undefined {
  const i = lowerBound(entries, key, snap);
  return i < entries.length && compareKeys(entries[i].key, key) === 0 ? entries[i] : undefined;
}
