// CRC32 of byte ranges, using zlib.crc32 (native, 2-3 GiB/s; Node >= 20.15).

import * as zlib from "node:zlib";

type Crc32 = (data: Uint8Array, value?: number) => number;
const maybeCrc32 = (zlib as unknown as { crc32?: Crc32 }).crc32;
if (typeof maybeCrc32 !== "function") {
  throw new Error("Shale needs zlib.crc32, which Node.js has from 20.15: please upgrade Node.js");
}
const nativeCrc32: Crc32 = maybeCrc32;

/** CRC32 of buf[start, end). */
export function crc32(buf: Uint8Array, start = 0, end: number = buf.length): number {
  const view = start === 0 && end === buf.length ? buf : buf.subarray(start, end);
  return nativeCrc32(view) >>> 0;
}
