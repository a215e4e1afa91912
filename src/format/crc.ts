// CRC32 of byte ranges, using zlib.crc32 (native, 2-3 GiB/s; Node >= 20.15).

import * as zlib from "node:zlib";

const nativeCrc32 = (zlib as unknown as { crc32?: (data: Uint8Array, value?: number) => number }).crc32;
if (typeof nativeCrc32 !== "function") {
  throw new Error("Shale needs zlib.crc32, which Node.js has from 20.15: please upgrade Node.js");
}

/** CRC32 of buf[start, end). */
export function crc32(buf: Uint8Array, start = 0, end: number = buf.length): number {
  const view = start === 0 && end === buf.length ? buf : buf.subarray(start, end);
  return nativeCrc32(view) >>> 0;
}
