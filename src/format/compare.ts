// Byte-wise key comparison. Keys are compared as unsigned bytes, shorter-is-smaller on a common
// prefix (memcmp order). A plain JS loop beats Buffer.compare (a native call, ~200 ns) for the
// short keys a store holds; the ranged form compares keys in place inside packed arenas.

/** Compares a[aStart, aEnd) with b[bStart, bEnd): negative, zero or positive. */
export function compareRange(
  a: Uint8Array,
  aStart: number,
  aEnd: number,
  b: Uint8Array,
  bStart: number,
  bEnd: number,
): number {
  const aLen = aEnd - aStart;
  const bLen = bEnd - bStart;
  const n = aLen < bLen ? aLen : bLen;
  for (let i = 0; i < n; i++) {
    const d = a[aStart + i] - b[bStart + i];
    if (d !== 0) return d;
  }
  return aLen - bLen;
}

/** Compares two whole keys. */
export function compareKeys(a: Uint8Array, b: Uint8Array): number {
  const n = a.length < b.length ? a.length : b.length;
  for (let i = 0; i < n; i++) {
    const d = a[i] - b[i];
    if (d !== 0) return d;
  }
  return a.length - b.length;
}

/**
 * Internal key order: user key ascending, then sequence number descending, so that the newest
 * version of a key comes first.
 */
export function compareInternal(aKey: Uint8Array, aSeq: number, bKey: Uint8Array, bSeq: number): number {
  const c = compareKeys(aKey, bKey);
  if (c !== 0) return c;
  return bSeq - aSeq;
}
