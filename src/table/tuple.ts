// The order-preserving tuple encoding of table keys: a tuple of values becomes bytes whose
// unsigned lexicographic order equals the tuple's order, so the engine's byte order is the
// table's key order. Each component is self-delimiting; a descending component is the ascending
// encoding with every byte inverted (and a two-byte string terminator, so that a shorter string
// still sorts after its extensions). The format is in docs/format.md ("Tuple keys").
//
// Component encodings (type code first; codes order the types):
//   0x05                 null
//   0x06 / 0x07          false / true
//   0x0b ~len ~bytes     integer < -2^64+1 (len bytes of its magnitude, inverted)
//   0x0c..0x13 ~bytes    negative integer, 8..1 bytes of its magnitude, inverted
//   0x14                 zero
//   0x15..0x1c bytes     positive integer, 1..8 bytes big-endian
//   0x1d len bytes       integer >= 2^64
//   0x21 8 bytes         float64, sign-flipped so IEEE order is byte order (NaN last)
//   0x30 utf8 0x00       string: 0x00 in the text is escaped as 00 ff
//   0x31 bytes 0x00      bytes, escaped the same way
// Integers of any size (numbers that are safe integers, and bigints) share one order.

import { latin1 } from "../format/latin1.js";

export type TupleValue = null | boolean | number | bigint | string | Uint8Array;
export type Tuple = readonly TupleValue[];

export const CODE_NULL = 0x05;
export const CODE_FALSE = 0x06;
export const CODE_TRUE = 0x07;
const CODE_NEG_BIG = 0x0b;
const CODE_ZERO = 0x14;
const CODE_POS_BIG = 0x1d;
export const CODE_FLOAT = 0x21;
export const CODE_STRING = 0x30;
export const CODE_BYTES = 0x31;

/** A component is encoded in this direction; descending inverts its bytes. */
export type Direction = "asc" | "desc";

/** Thrown for a value the encoding cannot represent (NaN integers, non-integral "int" fields, ...). */
export class TupleError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "TupleError";
  }
}

const f64 = new Float64Array(1);
const f64Bytes = new Uint8Array(f64.buffer);
const littleEndian = new Uint8Array(new Uint16Array([1]).buffer)[0] === 1;

/**
 * A growable byte buffer that tuple components and record values are written into. One writer is
 * reused across many keys (call `reset`), so encoding allocates nothing per key.
 */
export class ByteWriter {
  buf: Uint8Array;
  pos = 0;

  /** `shared`: keep the bytes in a SharedArrayBuffer, so worker threads can read them in place. */
  constructor(
    capacity = 256,
    private readonly shared = false,
  ) {
    this.buf = this.alloc(capacity);
  }

  private alloc(n: number): Uint8Array {
    return this.shared ? new Uint8Array(new SharedArrayBuffer(n)) : new Uint8Array(n);
  }

  reset(): this {
    this.pos = 0;
    return this;
  }

  ensure(n: number): void {
    if (this.pos + n <= this.buf.length) return;
    let cap = this.buf.length * 2;
    while (cap < this.pos + n) cap *= 2;
    const next = this.alloc(cap);
    next.set(this.buf.subarray(0, this.pos));
    this.buf = next;
  }

  /** Makes the capacity at least `capacity` bytes (exactly that, when it has to grow). */
  reserve(capacity: number): void {
    if (capacity <= this.buf.length) return;
    const next = this.alloc(capacity);
    next.set(this.buf.subarray(0, this.pos));
    this.buf = next;
  }

  byte(b: number): void {
    if (this.pos >= this.buf.length) this.ensure(1);
    this.buf[this.pos++] = b;
  }

  bytes(src: Uint8Array, start = 0, end = src.length): void {
    const n = end - start;
    this.ensure(n);
    if (n < 32) {
      const buf = this.buf;
      let p = this.pos;
      for (let i = start; i < end; i++) buf[p++] = src[i];
    } else {
      this.buf.set(src.subarray(start, end), this.pos);
    }
    this.pos += n;
  }

  /** Unsigned LEB128 varint (up to 2^53). */
  varint(n: number): void {
    this.ensure(8);
    const buf = this.buf;
    while (n >= 0x80) {
      buf[this.pos++] = (n % 0x80) | 0x80;
      n = Math.floor(n / 0x80);
    }
    buf[this.pos++] = n;
  }

  float64(x: number): void {
    this.ensure(8);
    f64[0] = x;
    const buf = this.buf;
    if (littleEndian) for (let i = 7; i >= 0; i--) buf[this.pos++] = f64Bytes[i];
    else for (let i = 0; i < 8; i++) buf[this.pos++] = f64Bytes[i];
  }

  /**
   * UTF-8 of `s`. ASCII is copied with a plain loop (the common case for ids and names); anything
   * else goes through `TextEncoder.encodeInto`. When `escapeZero`, each 0x00 byte becomes 00 ff.
   */
  utf8(s: string, escapeZero: boolean): void {
    const n = s.length;
    this.ensure(n);
    const buf = this.buf;
    let p = this.pos;
    let i = 0;
    for (; i < n; i++) {
      const c = s.charCodeAt(i);
      if (c >= 0x80 || (c === 0 && escapeZero)) break;
      buf[p++] = c;
    }
    this.pos = p;
    if (i === n) return;
    const rest = i === 0 ? s : s.slice(i);
    this.ensure(rest.length * 3);
    if (!escapeZero) {
      this.pos += encoder.encodeInto(rest, this.buf.subarray(this.pos)).written;
      return;
    }
    const encoded = encoder.encode(rest);
    this.ensure(encoded.length * 2);
    const out = this.buf;
    p = this.pos;
    for (let j = 0; j < encoded.length; j++) {
      const b = encoded[j];
      out[p++] = b;
      if (b === 0) out[p++] = 0xff;
    }
    this.pos = p;
  }

  /** A copy of the bytes written so far. */
  toBytes(): Uint8Array {
    return this.buf.slice(0, this.pos);
  }
}

const encoder = new TextEncoder();
const decoder = new TextDecoder("utf-8", { fatal: true });

function writeBigMagnitude(w: ByteWriter, mag: bigint, negative: boolean): void {
  // Minimal big-endian bytes of the magnitude.
  const bytes: number[] = [];
  let m = mag;
  while (m > 0n) {
    bytes.push(Number(m & 0xffn));
    m >>= 8n;
  }
  bytes.reverse();
  const len = bytes.length;
  if (len <= 8) {
    w.byte(negative ? CODE_ZERO - len : CODE_ZERO + len);
    for (const b of bytes) w.byte(negative ? 0xff - b : b);
    return;
  }
  if (len > 255) throw new TupleError("integer too large for a tuple key (more than 255 bytes)");
  w.byte(negative ? CODE_NEG_BIG : CODE_POS_BIG);
  w.byte(negative ? 0xff - len : len);
  for (const b of bytes) w.byte(negative ? 0xff - b : b);
}

function writeInteger(w: ByteWriter, x: number): void {
  if (x === 0) {
    w.byte(CODE_ZERO);
    return;
  }
  const negative = x < 0;
  let mag = negative ? -x : x;
  let len = 0;
  for (let m = mag; m >= 1; m = Math.floor(m / 256)) len++;
  w.byte(negative ? CODE_ZERO - len : CODE_ZERO + len);
  w.ensure(len);
  const buf = w.buf;
  const start = w.pos;
  for (let i = len - 1; i >= 0; i--) {
    const b = mag % 256;
    buf[start + i] = negative ? 0xff - b : b;
    mag = Math.floor(mag / 256);
  }
  w.pos = start + len;
}

/** Appends one ascending component for `v`. */
export function writeComponent(w: ByteWriter, v: TupleValue): void {
  switch (typeof v) {
    case "string":
      w.byte(CODE_STRING);
      w.utf8(v, true);
      w.byte(0);
      return;
    case "number":
      if (Number.isSafeInteger(v)) writeInteger(w, v);
      else if (Number.isInteger(v)) writeBigMagnitude(w, BigInt(v < 0 ? -v : v), v < 0);
      else {
        w.byte(CODE_FLOAT);
        writeFloatBits(w, v);
      }
      return;
    case "bigint":
      if (v === 0n) w.byte(CODE_ZERO);
      else writeBigMagnitude(w, v < 0n ? -v : v, v < 0n);
      return;
    case "boolean":
      w.byte(v ? CODE_TRUE : CODE_FALSE);
      return;
    case "object":
      if (v === null) {
        w.byte(CODE_NULL);
        return;
      }
      if (v instanceof Uint8Array) {
        w.byte(CODE_BYTES);
        w.ensure(v.length + 1);
        for (let i = 0; i < v.length; i++) {
          w.byte(v[i]);
          if (v[i] === 0) w.byte(0xff);
        }
        w.byte(0);
        return;
      }
  }
  throw new TupleError(`cannot encode ${describe(v)} in a tuple key`);
}

/** A float component (code 0x21): integral values of a float field stay floats. */
export function writeFloat(w: ByteWriter, x: number): void {
  w.byte(CODE_FLOAT);
  writeFloatBits(w, x);
}

function writeFloatBits(w: ByteWriter, x: number): void {
  const start = w.pos;
  w.float64(Number.isNaN(x) ? Number.NaN : x);
  const buf = w.buf;
  if (buf[start] & 0x80) {
    for (let i = start; i < start + 8; i++) buf[i] = 0xff - buf[i];
  } else {
    buf[start] |= 0x80;
  }
}

/** Appends one component in `dir`; a descending one is inverted (strings with a 2-byte end). */
export function writeDirected(w: ByteWriter, v: TupleValue, dir: Direction, asFloat = false): void {
  const start = w.pos;
  if (asFloat && typeof v === "number") writeFloat(w, v);
  else writeComponent(w, v);
  if (dir === "asc") return;
  const code = w.buf[start];
  if (code === CODE_STRING || code === CODE_BYTES) w.byte(0); // terminator 00 00: inverted, ff ff
  const buf = w.buf;
  for (let i = start; i < w.pos; i++) buf[i] = 0xff - buf[i];
}

/** Encodes a whole tuple, every component ascending unless `dirs` says otherwise. */
export function encodeTuple(values: Tuple, dirs?: readonly Direction[]): Uint8Array {
  const w = new ByteWriter(64);
  for (let i = 0; i < values.length; i++) writeDirected(w, values[i], dirs?.[i] ?? "asc");
  return w.toBytes();
}

/** Reads components back; `pos` advances past each. Integers come back as numbers when safe. */
export class TupleReader {
  pos: number;
  constructor(
    public buf: Uint8Array,
    start = 0,
    public end = buf.length,
  ) {
    this.pos = start;
  }

  /** Points the reader at another buffer (readers are reused to avoid an object per key). */
  reset(buf: Uint8Array, start = 0, end = buf.length): this {
    this.buf = buf;
    this.pos = start;
    this.end = end;
    return this;
  }

  done(): boolean {
    return this.pos >= this.end;
  }

  /**
   * The next component. `cache`: decode short text through the string cache (decodeText); false
   * for values that rarely repeat, such as the last field of a primary key.
   */
  read(dir: Direction = "asc", cache = true): TupleValue {
    const buf = this.buf;
    if (this.pos >= this.end) throw new TupleError("tuple ended early");
    const inv = dir === "desc" ? 0xff : 0;
    const code = buf[this.pos++] ^ inv;
    if (code === CODE_STRING && inv === 0) {
      // Fast path: an ascending string with no escaped zero decodes in place.
      const start = this.pos;
      let p = start;
      while (p < this.end && buf[p] !== 0) p++;
      if (p < this.end && (p + 1 >= this.end || buf[p + 1] !== 0xff)) {
        this.pos = p + 1;
        return cache ? decodeText(buf, start, p) : decodeTextOnce(buf, start, p);
      }
    }
    if (code === CODE_STRING || code === CODE_BYTES) {
      const bytes = this.readEscaped(inv);
      return code === CODE_BYTES ? bytes : decodeText(bytes, 0, bytes.length);
    }
    if (code === CODE_NULL) return null;
    if (code === CODE_FALSE) return false;
    if (code === CODE_TRUE) return true;
    if (code === CODE_ZERO) return 0;
    if (code === CODE_FLOAT) {
      if (this.pos + 8 > this.end) throw new TupleError("float component cut short");
      const first = buf[this.pos] ^ inv;
      const negative = (first & 0x80) === 0;
      for (let i = 0; i < 8; i++) {
        let b = buf[this.pos + i] ^ inv;
        b = negative ? 0xff - b : i === 0 ? b & 0x7f : b;
        f64Bytes[littleEndian ? 7 - i : i] = b;
      }
      this.pos += 8;
      return f64[0];
    }
    if (code > CODE_ZERO && code <= CODE_POS_BIG)
      return this.readInt(code === CODE_POS_BIG ? -1 : code - CODE_ZERO, false, inv);
    if (code >= CODE_NEG_BIG && code < CODE_ZERO)
      return this.readInt(code === CODE_NEG_BIG ? -1 : CODE_ZERO - code, true, inv);
    throw new TupleError(`unknown tuple type code 0x${code.toString(16)} at byte ${this.pos - 1}`);
  }

  /** Moves past one component without decoding it. */
  skip(dir: Direction = "asc"): void {
    const inv = dir === "desc" ? 0xff : 0;
    const code = this.buf[this.pos] ^ inv;
    if (code === CODE_STRING || code === CODE_BYTES) {
      this.pos++;
      const buf = this.buf;
      const zero = inv; // a raw zero byte, as stored
      for (let p = this.pos; p < this.end; p++) {
        if (buf[p] !== zero) continue;
        const next = p + 1 < this.end ? buf[p + 1] ^ inv : -1;
        if (next === 0xff) {
          p++;
          continue;
        }
        this.pos = inv ? p + 2 : p + 1;
        return;
      }
      throw new TupleError("unterminated string component");
    }
    this.read(dir);
  }

  private readInt(len: number, negative: boolean, inv: number): number | bigint {
    const buf = this.buf;
    if (len < 0) {
      const l = buf[this.pos++] ^ inv;
      len = negative ? 0xff - l : l;
    }
    if (this.pos + len > this.end) throw new TupleError("integer component cut short");
    if (len <= 6) {
      let m = 0;
      for (let i = 0; i < len; i++) {
        const b = buf[this.pos + i] ^ inv;
        m = m * 256 + (negative ? 0xff - b : b);
      }
      this.pos += len;
      return negative ? -m : m;
    }
    let m = 0n;
    for (let i = 0; i < len; i++) {
      const b = buf[this.pos + i] ^ inv;
      m = (m << 8n) | BigInt(negative ? 0xff - b : b);
    }
    this.pos += len;
    const v = negative ? -m : m;
    return v >= BigInt(Number.MIN_SAFE_INTEGER) && v <= BigInt(Number.MAX_SAFE_INTEGER) ? Number(v) : v;
  }

  private readEscaped(inv: number): Uint8Array {
    const buf = this.buf;
    const start = this.pos;
    // Fast path: no escapes before the terminator.
    let p = start;
    let escaped = false;
    for (; p < this.end; p++) {
      const b = buf[p] ^ inv;
      if (b !== 0) continue;
      if (p + 1 < this.end && (buf[p + 1] ^ inv) === 0xff) {
        escaped = true;
        p++;
        continue;
      }
      break;
    }
    if (p >= this.end) throw new TupleError("unterminated string component");
    const end = p;
    this.pos = inv ? p + 2 : p + 1;
    if (!escaped && !inv) return buf.slice(start, end); // a copy: keys may sit in reused buffers
    const out: number[] = [];
    for (let i = start; i < end; i++) {
      const b = buf[i] ^ inv;
      out.push(b);
      if (b === 0) i++;
    }
    return Uint8Array.from(out);
  }
}

// Buffer's native latin1 slicer (format/latin1.ts): for ASCII it is the UTF-8 decoding, and it
// makes one flat string where building one char by char made dozens of throwaway strings per row.

// Decoded short ASCII strings are cached by their bytes (direct-mapped, with a second-chance bit):
// records repeat the same names, types and ids of related rows over and over, and a cache hit
// costs a hash and a compare of a few bytes instead of a new string (and the GC work after it).
// A miss only replaces an entry that has not been hit since it was last spared, so a stream of
// unique ids does not push out the strings that repeat.
const TEXT_CACHE_SLOTS = 4096;
const TEXT_CACHE_MAX = 32;
const textCache: (string | undefined)[] = new Array(TEXT_CACHE_SLOTS);
const textCacheBytes = new Uint8Array(TEXT_CACHE_SLOTS * TEXT_CACHE_MAX);
const textCacheLens = new Uint8Array(TEXT_CACHE_SLOTS);
const textCacheHit = new Uint8Array(TEXT_CACHE_SLOTS);

/** UTF-8 text of buf[start, end), without the cache (for text that is seldom seen twice). */
export function decodeTextOnce(buf: Uint8Array, start: number, end: number): string {
  for (let i = start; i < end; i++) {
    if (buf[i] >= 0x80) return decoder.decode(buf.subarray(start, end));
  }
  return latin1(buf, start, end);
}

/**
 * UTF-8 text of buf[start, end); short ASCII (the common case for ids and names) is cached. The
 * slot comes from the length and the first and last four bytes (where names and ids of one kind
 * differ), so a hit reads each byte once, in the comparison that confirms it.
 */
export function decodeText(buf: Uint8Array, start: number, end: number): string {
  const len = end - start;
  if (len > TEXT_CACHE_MAX) return decodeTextOnce(buf, start, end);
  let h = Math.imul(len, 0x9e3779b1);
  if (len >= 4) {
    h = Math.imul(
      h ^ (buf[start] | (buf[start + 1] << 8) | (buf[start + 2] << 16) | (buf[start + 3] << 24)),
      0x85ebca6b,
    );
    h = Math.imul(h ^ (buf[end - 4] | (buf[end - 3] << 8) | (buf[end - 2] << 16) | (buf[end - 1] << 24)), 0xc2b2ae35);
  } else {
    for (let i = start; i < end; i++) h = Math.imul(h ^ buf[i], 0x01000193);
  }
  const slot = (h ^ (h >>> 16)) & (TEXT_CACHE_SLOTS - 1);
  const cached = textCache[slot];
  const base = slot * TEXT_CACHE_MAX;
  if (cached !== undefined && textCacheLens[slot] === len) {
    // Cached bytes are ASCII, so equal bytes are ASCII too.
    let i = 0;
    while (i < len && textCacheBytes[base + i] === buf[start + i]) i++;
    if (i === len) {
      textCacheHit[slot] = 1;
      return cached;
    }
  }
  for (let i = start; i < end; i++) {
    if (buf[i] >= 0x80) return decoder.decode(buf.subarray(start, end));
  }
  const text = latin1(buf, start, end);
  if (cached !== undefined && textCacheHit[slot] === 1) {
    textCacheHit[slot] = 0; // spared once; replaced on the next miss unless hit again
    return text;
  }
  textCache[slot] = text;
  textCacheLens[slot] = len;
  for (let i = 0; i < len; i++) textCacheBytes[base + i] = buf[start + i];
  return text;
}

/** Decodes a whole tuple (every component ascending unless `dirs` says otherwise). */
export function decodeTuple(bytes: Uint8Array, dirs?: readonly Direction[]): TupleValue[] {
  const r = new TupleReader(bytes);
  const out: TupleValue[] = [];
  while (!r.done()) out.push(r.read(dirs?.[out.length] ?? "asc"));
  return out;
}

function describe(v: unknown): string {
  if (v === undefined) return "undefined";
  if (typeof v === "object") return v === null ? "null" : (v.constructor?.name ?? "object");
  return typeof v;
}
