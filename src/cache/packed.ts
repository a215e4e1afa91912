// Packed small collections: while a hash, set, list or sorted set is small, its elements live as bytes
// in one slab block (listpack-like) instead of as JS strings in Maps and arrays. Packed is the base
// of HashValue, SetValue, ListValue and SortedSet; each keeps its public API and switches, one way as
// Redis does, to its heap structure (the "big" one) when it grows past its limits.
//
// A block: [used u24][count u24][entries: `used` bytes]. The entry layouts are the subclasses' (all
// start with varint lengths and hold latin1 bytes). An object is in one of three states, by `h`:
//   h > 0    attached: the bytes are in slab block h of `rep` (a Slab); the store attached it
//            (CacheStore.addObject) and detaches it when the key goes (removeObject)
//   h === 0  unattached: the bytes are in `rep`, a heap Uint8Array (a new object being filled by a
//            command, a clone, a removed key's object that a command still holds)
//   h === -1 big: `rep` is the heap structure; no bytes
// Only two fields, so a packed collection costs one small JS object (40 bytes) plus its block.
//
// A block grows into the next size class when an edit needs room and moves to a smaller class when
// it falls below three quarters of its block; the slab counts the block (bytesInUse), `bytes` counts
// only what stays on the heap.

import { latin1 } from "../format/latin1.js";
import { varintLen } from "./entry.js";
import { Slab } from "./slab.js";

/** Header bytes of a packed block: used u24, count u24. */
export const HDR = 6;
/** The most entry bytes a packed block may hold (u24). */
export const PACKED_MAX_BYTES = 0xffffff;

const EMPTY: Uint8Array = new Uint8Array(0);
/** Heap estimate of a packed collection's JS object: header, map, properties, elements and two fields. */
const WRAPPER_BYTES = 40;
/** Heap estimate of a Uint8Array's own objects (the view and its ArrayBuffer), beyond its bytes. */
const TYPED_ARRAY_BYTES = 96;

/**
 * Where open() found the bytes: the block starts at b[o]; its entries at b[o + HDR]. `q` is the
 * position after the varint readVarint() read last. Shared scratch: valid until the next open().
 */
export const P: { b: Uint8Array; o: number; q: number } = { b: EMPTY, o: 0, q: 0 };

export const H_UNATTACHED = 0;
export const H_BIG = -1;

// ---- byte helpers ----

/** Reads a varint at b[p]; leaves the position after it in P.q. */
export function readVarint(b: Uint8Array, p: number): number {
  let x = b[p++];
  if (x < 0x80) {
    P.q = p;
    return x;
  }
  x &= 0x7f;
  let shift = 7;
  for (;;) {
    const y = b[p++];
    x += (y & 0x7f) * 2 ** shift;
    if (y < 0x80) break;
    shift += 7;
  }
  P.q = p;
  return x;
}

/** Writes n (0 <= n < 2^53) as a varint at b[p]; returns the position after it. */
export function writeVarintBig(b: Uint8Array, p: number, n: number): number {
  while (n >= 0x80) {
    b[p++] = (n % 0x80) | 0x80;
    n = Math.floor(n / 0x80);
  }
  b[p++] = n;
  return p;
}

/** Bytes of the varint of n (0 <= n < 2^53). */
export function varintLenBig(n: number): number {
  if (n < 0x10000000) return varintLen(n);
  let k = 1;
  while (n >= 0x80) {
    n = Math.floor(n / 0x80);
    k++;
  }
  return k;
}

/** b[s, e) as a latin1 string (up to 4 bytes without a call into the runtime). */
export function decode(b: Uint8Array, s: number, e: number): string {
  switch (e - s) {
    case 0:
      return "";
    case 1:
      return String.fromCharCode(b[s]);
    case 2:
      return String.fromCharCode(b[s], b[s + 1]);
    case 3:
      return String.fromCharCode(b[s], b[s + 1], b[s + 2]);
    case 4:
      return String.fromCharCode(b[s], b[s + 1], b[s + 2], b[s + 3]);
    default:
      return latin1(b, s, e);
  }
}

/** Writes the latin1 string s at b[p]; returns the position after it. */
export function writeStr(b: Uint8Array, p: number, s: string): number {
  const n = s.length;
  for (let i = 0; i < n; i++) b[p + i] = s.charCodeAt(i);
  return p + n;
}

/** Whether b[p, p + len) holds the latin1 string s. */
export function sameStr(b: Uint8Array, p: number, len: number, s: string): boolean {
  if (len !== s.length) return false;
  for (let i = 0; i < len; i++) if (b[p + i] !== s.charCodeAt(i)) return false;
  return true;
}

/** Compares b[p, p + len) with the latin1 string s by bytes, as JS compares latin1 strings. */
export function compareStr(b: Uint8Array, p: number, len: number, s: string): number {
  const n = s.length;
  const m = Math.min(len, n);
  for (let i = 0; i < m; i++) {
    const d = b[p + i] - s.charCodeAt(i);
    if (d !== 0) return d;
  }
  return len - n;
}

export function readU24(b: Uint8Array, p: number): number {
  return b[p] | (b[p + 1] << 8) | (b[p + 2] << 16);
}

export function writeU24(b: Uint8Array, p: number, n: number): void {
  b[p] = n;
  b[p + 1] = n >>> 8;
  b[p + 2] = n >>> 16;
}

/** An unattached empty block with room for `room` entry bytes. */
export function newBlock(room = 32): Uint8Array {
  return new Uint8Array(HDR + room);
}

// ---- the base class ----

/** A collection whose small form is packed bytes (see the file comment); Big is its heap structure. */
export abstract class Packed<Big extends object> {
  /** The Slab (attached), the heap bytes (unattached) or the big structure; see `h`. */
  protected rep: Slab | Uint8Array | Big;
  /** Block handle (> 0), H_UNATTACHED or H_BIG. */
  protected h: number;

  constructor(rep: Uint8Array | Big, big: boolean) {
    this.rep = rep;
    this.h = big ? H_BIG : H_UNATTACHED;
  }

  /** The heap structure; only when h === H_BIG. */
  protected get big(): Big {
    return this.rep as Big;
  }

  /** Builds the heap structure holding the packed entries (in their order). */
  protected abstract unpack(): Big;

  /** Leaves the packed form for good: the entries move into the heap structure, the block is freed. */
  protected convert(): Big {
    const big = this.unpack();
    if (this.h > 0) (this.rep as Slab).free(this.h);
    this.rep = big;
    this.h = H_BIG;
    return big;
  }

  /** Points P at the packed bytes; returns the block's offset (P.o). */
  protected open(): number {
    const h = this.h;
    if (h > 0) {
      const s = this.rep as Slab;
      P.b = s.page(h);
      P.o = s.offset(h);
    } else {
      P.b = this.rep as Uint8Array;
      P.o = 0;
    }
    return P.o;
  }

  /** Packed entry count. */
  protected count(): number {
    const o = this.open();
    return readU24(P.b, o + 3);
  }

  /** Sets the packed entry count (after open()/splice(), which leave P at the block). */
  protected setCount(n: number): void {
    writeU24(P.b, P.o + 3, n);
  }

  /**
   * Replaces `del` entry bytes at entry offset `at` with a gap of `ins` bytes (to be written by the
   * caller), moving the block to a bigger or smaller one when needed. Leaves P at the (possibly new)
   * block and returns the gap's absolute position in P.b.
   */
  protected splice(at: number, del: number, ins: number): number {
    let o = this.open();
    let b = P.b;
    const used = readU24(b, o);
    const nu = used - del + ins;
    const start = o + HDR;
    const h = this.h;
    let move = false;
    let cap: number;
    if (h > 0) {
      cap = (this.rep as Slab).sizeOf(h);
      move = HDR + nu > cap || (cap > 64 && Slab.blockSize(HDR + nu) * 4 < cap * 3);
    } else {
      cap = b.length;
      move = HDR + nu > cap;
    }
    if (move) {
      let nb: Uint8Array;
      let no: number;
      let nh = 0;
      if (h > 0) {
        const s = this.rep as Slab;
        nh = s.alloc(HDR + nu);
        nb = s.page(nh);
        no = s.offset(nh);
        // The old block's page may be the same page: alloc never hands out a live block, so the
        // copies below never overlap.
      } else {
        // Off-heap buffers are slow to make: start them at 256 bytes.
        nb = new Uint8Array(Math.max(HDR + nu, cap * 2, 256));
        no = 0;
      }
      nb[no + 3] = b[o + 3];
      nb[no + 4] = b[o + 4];
      nb[no + 5] = b[o + 5];
      nb.set(b.subarray(start, start + at), no + HDR);
      nb.set(b.subarray(start + at + del, start + used), no + HDR + at + ins);
      if (h > 0) {
        (this.rep as Slab).free(h);
        this.h = nh;
      } else this.rep = nb;
      b = nb;
      o = no;
      P.b = b;
      P.o = o;
    } else if (ins !== del) {
      b.copyWithin(start + at + ins, start + at + del, start + used);
    }
    writeU24(b, o, nu);
    return o + HDR + at;
  }

  /** Empties the packed form (keeps the current state otherwise). */
  protected resetPacked(): void {
    if (this.h > 0) {
      const o = this.open();
      this.splice(0, readU24(P.b, o), 0);
      this.setCount(0);
    } else {
      this.rep = newBlock();
    }
  }

  /** A copy of the packed block in a heap Uint8Array of exactly its size (clone, detach). */
  protected copyBlock(): Uint8Array {
    const o = this.open();
    const b = P.b;
    const n = HDR + readU24(b, o);
    const out = new Uint8Array(n);
    out.set(b.subarray(o, o + n));
    return out;
  }

  /** Heap bytes of this object: the JS object, plus its heap bytes or heap structure. */
  protected heapBytes(bigBytes: (big: Big) => number): number {
    const h = this.h;
    if (h > 0) return WRAPPER_BYTES;
    if (h === H_BIG) return WRAPPER_BYTES + bigBytes(this.rep as Big);
    return WRAPPER_BYTES + TYPED_ARRAY_BYTES + (this.rep as Uint8Array).length;
  }

  /** The slab this object's block is in, or null (unattached or big). */
  attachedSlab(): Slab | null {
    return this.h > 0 ? (this.rep as Slab) : null;
  }

  /** Moves unattached packed bytes into a block of `slab` (CacheStore.addObject). */
  attach(slab: Slab): void {
    if (this.h !== H_UNATTACHED) {
      if (this.h > 0 && this.rep !== slab) throw new Error("cache: a collection is attached to another store");
      return;
    }
    const b = this.rep as Uint8Array;
    const n = HDR + readU24(b, 0);
    const h = slab.alloc(n);
    slab.page(h).set(b.subarray(0, n), slab.offset(h));
    this.rep = slab;
    this.h = h;
  }

  /**
   * Moves the packed bytes out of the slab into a heap copy and frees the block (CacheStore.removeObject),
   * so a command still holding the object after its key went can go on using it.
   */
  detach(): void {
    if (this.h <= 0) return;
    const copy = this.copyBlock();
    (this.rep as Slab).free(this.h);
    this.rep = copy;
    this.h = H_UNATTACHED;
  }
}

/** Whether obj is a packed collection (store attach/detach). */
export function isPacked(obj: object): obj is Packed<object> {
  return obj instanceof Packed;
}
