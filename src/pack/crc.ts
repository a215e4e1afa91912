// CRC32 for packs: a running CRC over chunks as they are written or read, and the CRC of a
// concatenation from the CRCs of its parts (zlib's crc32_combine). A pack's whole-body checksum is
// the combination of its header's and its sections' checksums, so writing and opening a pack
// checksum every byte once, not twice.

import * as zlib from "node:zlib";

/** The CRC32 of what `crc` covered followed by buf[start, end). */
export function crc32Update(crc: number, buf: Uint8Array, start = 0, end = buf.length): number {
  const view = start === 0 && end === buf.length ? buf : buf.subarray(start, end);
  return zlib.crc32(view, crc) >>> 0;
}

/** vec times the 32x32 GF(2) matrix `mat` (one column per bit of vec). */
function times(mat: Uint32Array, vec: number): number {
  let sum = 0;
  let i = 0;
  while (vec !== 0) {
    if (vec & 1) sum ^= mat[i];
    vec >>>= 1;
    i++;
  }
  return sum >>> 0;
}

function square(out: Uint32Array, mat: Uint32Array): void {
  for (let n = 0; n < 32; n++) out[n] = times(mat, mat[n]);
}

/** CRC32 of A followed by B, given crcA = CRC32(A), crcB = CRC32(B) and lenB = B's length in bytes. */
export function crc32Combine(crcA: number, crcB: number, lenB: number): number {
  if (lenB <= 0) return crcA >>> 0;
  const even = new Uint32Array(32);
  const odd = new Uint32Array(32);
  // odd: the operator for one zero bit.
  odd[0] = 0xedb88320;
  let row = 1;
  for (let n = 1; n < 32; n++) {
    odd[n] = row;
    row <<= 1;
  }
  square(even, odd); // two zero bits
  square(odd, even); // four zero bits
  let crc = crcA >>> 0;
  let len = lenB;
  // Apply len zero bytes to crcA: one squaring per bit of len (len may pass 2^32, so no shifts).
  for (;;) {
    square(even, odd);
    if (len % 2 === 1) crc = times(even, crc);
    len = Math.floor(len / 2);
    if (len === 0) break;
    square(odd, even);
    if (len % 2 === 1) crc = times(odd, crc);
    len = Math.floor(len / 2);
    if (len === 0) break;
  }
  return (crc ^ crcB) >>> 0;
}
