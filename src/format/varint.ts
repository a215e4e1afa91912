// Unsigned LEB128 varints for safe integers (up to 2^53 - 1), written into and read from byte
// arrays without allocation. Every Shale format that needs a compact length or number uses these.

/** Bytes needed to encode `n` (0 <= n <= Number.MAX_SAFE_INTEGER). */
export function varintSize(n: number): number {
  let size = 1;
  while (n >= 0x80) {
    n = Math.floor(n / 128);
    size++;
  }
  return size;
}

/** Writes `n` at `pos`; returns the position after it. */
export function writeVarint(buf: Uint8Array, pos: number, n: number): number {
  while (n >= 0x80) {
    buf[pos++] = (n & 0x7f) | 0x80;
    n = Math.floor(n / 128);
  }
  buf[pos++] = n;
  return pos;
}

/**
 * A reader cursor: `readVarint` stores the position after the number in `cursor.pos`.
 * Throws RangeError on a varint that runs past `end` or is longer than a safe integer allows;
 * format readers turn that into a CorruptionError with context.
 */
export interface Cursor {
  pos: number;
}

export function readVarint(buf: Uint8Array, cursor: Cursor, end: number = buf.length): number {
  let pos = cursor.pos;
  if (pos >= end) throw new RangeError("varint runs past the end of its buffer");
  let b = buf[pos++];
  if (b < 0x80) {
    cursor.pos = pos;
    return b;
  }
  let result = b & 0x7f;
  let mul = 128;
  for (let i = 1; i < 8; i++) {
    if (pos >= end) throw new RangeError("varint runs past the end of its buffer");
    b = buf[pos++];
    result += (b & 0x7f) * mul;
    if (b < 0x80) {
      cursor.pos = pos;
      if (result > Number.MAX_SAFE_INTEGER) throw new RangeError("varint exceeds 2^53");
      return result;
    }
    mul *= 128;
  }
  throw new RangeError("varint longer than 8 bytes");
}
