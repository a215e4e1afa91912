// Bytes as a latin1 "byte string" (one char per byte, codes 0-255) without an intermediate Buffer:
// Node's internal Buffer.prototype.latin1Slice, called on any Uint8Array.

const slice = (Buffer.prototype as unknown as { latin1Slice: (this: Uint8Array, s: number, e: number) => string })
  .latin1Slice;

/** buf[start, end) as a latin1 string. */
export function latin1(buf: Uint8Array, start: number, end: number): string {
  return slice.call(buf, start, end);
}
