// The layout of one key's block in the slab:
//
//   [type u8][flags u8][lru u24][expire-at f64, only when flags has TTL][klen varint][vlen varint][key][value]
//
// type: 0 marks a free block, else one of the value types below. The 24-bit lru field holds the
// LRU clock (seconds) or, under an LFU policy, minutes (16 bits) and a log counter (8 bits), as in
// Redis. expire-at is an absolute Unix time in milliseconds. A string's value is its bytes; a
// collection's value is the 4-byte id of its object in the store's object table.

export const T_FREE = 0;
export const T_STRING = 1;
export const T_LIST = 2;
export const T_SET = 3;
export const T_ZSET = 4;
export const T_HASH = 5;

export type ValueType = typeof T_STRING | typeof T_LIST | typeof T_SET | typeof T_ZSET | typeof T_HASH;

export const TYPE_NAMES = ["none", "string", "list", "set", "zset", "hash"] as const;

export const F_TTL = 1;
export const HEADER = 5;
export const TTL_BYTES = 8;

export function varintLen(n: number): number {
  return n < 0x80 ? 1 : n < 0x4000 ? 2 : n < 0x200000 ? 3 : n < 0x10000000 ? 4 : 5;
}

/** Bytes a block needs for a key of klen bytes and a value of vlen bytes. */
export function entrySize(klen: number, vlen: number, ttl: boolean): number {
  return HEADER + (ttl ? TTL_BYTES : 0) + varintLen(klen) + varintLen(vlen) + klen + vlen;
}

export function writeVarint(b: Uint8Array, pos: number, n: number): number {
  while (n >= 0x80) {
    b[pos++] = (n & 0x7f) | 0x80;
    n >>>= 7;
  }
  b[pos++] = n;
  return pos;
}

/** Offset of the klen varint in a block at `off`. */
export function lengthsAt(page: Uint8Array, off: number): number {
  return off + HEADER + ((page[off + 1] & F_TTL) !== 0 ? TTL_BYTES : 0);
}
