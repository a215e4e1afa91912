// RESP reply encoding for the cache face: a writer that appends RESP2 or RESP3 replies into slab buffers and
// hands them out for socket.write, plus the number formats Redis 7.0 uses for doubles (%.17g for ZSCORE and
// friends, the long double "human" format of INCRBYFLOAT and HINCRBYFLOAT).
//
// Slabs work like Node's Buffer pool: replies are written into a slab, take() hands out the bytes written since
// the last take() as a subarray, and later writes continue after them, so bytes handed out are never
// overwritten. A slab that fills up is left to the subarrays that still refer to it and a new one is started; a
// reply larger than a slab gets a buffer of its own.
//
// Text encodings: bulkString() writes latin1 (binary-safe strings are latin1 byte strings in this codebase),
// bulkUtf8() writes UTF-8. simple(), error(), verbatim() and bigNumber() write each char as one byte (latin1)
// when every char is at most U+00FF, and UTF-8 otherwise.

const SLAB = 16 * 1024;
const EMPTY = Buffer.alloc(0);
const CR = 13;
const LF = 10;
/** Longest header a length-prefixed reply needs: type byte, 16 digits, CRLF. */
const HEADER_MAX = 24;
/** Up to this many bytes are copied with a JS loop; beyond it a native copy is faster. */
const SHORT_COPY = 40;
const TWO53 = 9007199254740992;

export class ReplyWriter {
  /** The protocol the connection speaks, set by HELLO. */
  proto: 2 | 3 = 2;

  private readonly slabSize: number;
  private buf: Buffer = EMPTY;
  /** Start of the bytes not yet taken. */
  private start = 0;
  /** Write position. */
  private pos = 0;

  /** initialSize: the slab size (default 16 KiB). */
  constructor(initialSize?: number) {
    this.slabSize = Math.max(256, Math.floor(initialSize ?? SLAB));
  }

  /** Bytes written since the last take(). */
  get length(): number {
    return this.pos - this.start;
  }

  /**
   * Hands the pending bytes to the caller, or null when there are none. The Buffer may be passed to
   * socket.write: the writer never writes over it again.
   */
  take(): Buffer | null {
    if (this.pos === this.start) return null;
    const out = this.buf.subarray(this.start, this.pos);
    if (this.buf.length > this.slabSize) {
      // A buffer made for one large reply is not reused, so later small replies do not keep it alive.
      this.buf = EMPTY;
      this.start = this.pos = 0;
    } else {
      this.start = this.pos;
    }
    return out;
  }

  /** Discards the pending bytes. */
  reset(): void {
    this.pos = this.start;
  }

  /** +OK */
  ok(): void {
    this.ensure(5);
    const b = this.buf;
    let p = this.pos;
    b[p++] = 43; // +
    b[p++] = 79; // O
    b[p++] = 75; // K
    b[p++] = CR;
    b[p++] = LF;
    this.pos = p;
  }

  /** +s: a status reply. CR and LF in s become spaces, so a reply can never break the framing. */
  simple(s: string): void {
    this.line(43, s, 0, s.length);
  }

  /**
   * -msg: an error reply; msg is the text after the "-", e.g. "ERR syntax error". As Redis's
   * addReplyErrorFormat does, CR and LF at either end are trimmed and those inside become spaces.
   */
  error(msg: string): void {
    let from = 0;
    let to = msg.length;
    while (from < to && isCrLf(msg.charCodeAt(from))) from++;
    while (to > from && isCrLf(msg.charCodeAt(to - 1))) to--;
    this.line(45, msg, from, to);
  }

  /** :n for a safe integer. */
  integer(n: number): void {
    if (!Number.isSafeInteger(n)) {
      if (!Number.isInteger(n)) throw new RangeError(`not an integer: ${n}`);
      this.integerBig(BigInt(n));
      return;
    }
    this.ensure(HEADER_MAX);
    this.buf[this.pos++] = 58; // :
    this.writeInt(n);
    this.crlf();
  }

  /** :n for any integer (replies that can exceed 2^53, e.g. values near the 64-bit limits). */
  integerBig(n: bigint): void {
    const s = n.toString();
    this.ensure(s.length + 3);
    this.buf[this.pos++] = 58;
    this.writeLatin1(s);
    this.crlf();
  }

  /** $len bytes: a bulk string copied from bytes[start, end). */
  bulk(bytes: Uint8Array, start = 0, end: number = bytes.length): void {
    const len = end - start;
    this.ensure(len + HEADER_MAX);
    const b = this.buf;
    b[this.pos++] = 36; // $
    this.writeInt(len);
    let p = this.pos;
    b[p++] = CR;
    b[p++] = LF;
    if (len <= SHORT_COPY) {
      for (let i = start; i < end; i++) b[p++] = bytes[i]!;
    } else {
      b.set(bytes.subarray(start, end), p);
      p += len;
    }
    b[p++] = CR;
    b[p++] = LF;
    this.pos = p;
  }

  /** A bulk string from a latin1 byte string (each char one byte). */
  bulkString(s: string): void {
    const len = s.length;
    this.ensure(len + HEADER_MAX);
    this.buf[this.pos++] = 36;
    this.writeInt(len);
    this.crlf();
    this.writeLatin1(s);
    this.crlf();
  }

  /** A bulk string from text, UTF-8 encoded. */
  bulkUtf8(s: string): void {
    const len = Buffer.byteLength(s, "utf8");
    if (len === s.length) {
      this.bulkString(s);
      return;
    }
    this.ensure(len + HEADER_MAX);
    this.buf[this.pos++] = 36;
    this.writeInt(len);
    this.crlf();
    this.pos += this.buf.write(s, this.pos, len, "utf8");
    this.crlf();
  }

  /** RESP2 $-1, RESP3 _ */
  nullBulk(): void {
    if (this.proto === 3) this.null3();
    else this.fixed(36, 45, 49); // $-1
  }

  /** RESP2 *-1, RESP3 _ */
  nullArray(): void {
    if (this.proto === 3) this.null3();
    else this.fixed(42, 45, 49); // *-1
  }

  /** *n */
  arrayHeader(n: number): void {
    this.header(42, n);
  }

  /** RESP3 %n; RESP2 *2n (the pairs flattened). */
  mapHeader(n: number): void {
    if (this.proto === 3) this.header(37, n);
    else this.header(42, n * 2);
  }

  /** RESP3 ~n; RESP2 *n */
  setHeader(n: number): void {
    this.header(this.proto === 3 ? 126 : 42, n);
  }

  /** RESP3 >n; RESP2 *n (how Redis sends pub/sub messages to RESP2 clients). */
  pushHeader(n: number): void {
    this.header(this.proto === 3 ? 62 : 42, n);
  }

  /** RESP3 ,x; RESP2 a bulk string. Both use formatDouble's %.17g text, as Redis 7.0 does. */
  double(x: number): void {
    const s = formatDouble(x);
    if (this.proto !== 3) {
      this.bulkString(s);
      return;
    }
    this.ensure(s.length + 3);
    this.buf[this.pos++] = 44; // ,
    this.writeLatin1(s);
    this.crlf();
  }

  /** RESP3 #t / #f; RESP2 :1 / :0 */
  boolean(b: boolean): void {
    if (this.proto === 3) this.fixed(35, b ? 116 : 102, -1);
    else this.fixed(58, b ? 49 : 48, -1);
  }

  /** RESP3 =len fmt:text (format is three characters, "txt" or "mkd"); RESP2 a bulk string of the text. */
  verbatim(text: string, format = "txt"): void {
    const wide = hasWideChar(text, 0, text.length);
    const len = wide ? Buffer.byteLength(text, "utf8") : text.length;
    if (this.proto !== 3) {
      if (wide) this.bulkUtf8(text);
      else this.bulkString(text);
      return;
    }
    const total = format.length + 1 + len;
    this.ensure(total + HEADER_MAX);
    this.buf[this.pos++] = 61; // =
    this.writeInt(total);
    this.crlf();
    this.writeLatin1(format);
    this.buf[this.pos++] = 58; // :
    if (wide) this.pos += this.buf.write(text, this.pos, len, "utf8");
    else this.writeLatin1(text);
    this.crlf();
  }

  /** RESP3 (digits; RESP2 a bulk string. */
  bigNumber(s: string): void {
    if (this.proto !== 3) this.bulkString(s);
    else this.line(40, s, 0, s.length);
  }

  /** Appends bytes that are already RESP (a reply encoded once and reused). */
  raw(bytes: Uint8Array): void {
    const len = bytes.length;
    this.ensure(len);
    if (len <= SHORT_COPY) {
      const b = this.buf;
      let p = this.pos;
      for (let i = 0; i < len; i++) b[p++] = bytes[i]!;
    } else {
      this.buf.set(bytes, this.pos);
    }
    this.pos += len;
  }

  // ---- internals ----

  /** Makes room for n more bytes after the pending ones. */
  private ensure(n: number): void {
    if (this.pos + n > this.buf.length) this.grow(n);
  }

  private grow(n: number): void {
    const pending = this.pos - this.start;
    const need = pending + n;
    // A reply that outgrows a slab gets its own buffer; doubling keeps a long reply built piece by piece O(n).
    const size = need <= this.slabSize ? this.slabSize : Math.max(need, pending * 2);
    const nb = Buffer.allocUnsafeSlow(size);
    if (pending > 0) this.buf.copy(nb, 0, this.start, this.pos);
    this.buf = nb;
    this.start = 0;
    this.pos = pending;
  }

  private crlf(): void {
    this.buf[this.pos++] = CR;
    this.buf[this.pos++] = LF;
  }

  /** A three- or two-byte line such as "$-1" or "#t" (c = -1 for two). */
  private fixed(a: number, b: number, c: number): void {
    this.ensure(5);
    const buf = this.buf;
    let p = this.pos;
    buf[p++] = a;
    buf[p++] = b;
    if (c >= 0) buf[p++] = c;
    buf[p++] = CR;
    buf[p++] = LF;
    this.pos = p;
  }

  /** RESP3 null: _ */
  private null3(): void {
    this.ensure(3);
    this.buf[this.pos++] = 95;
    this.crlf();
  }

  private header(type: number, n: number): void {
    this.ensure(HEADER_MAX);
    this.buf[this.pos++] = type;
    this.writeInt(n);
    this.crlf();
  }

  /** type byte, s[from, to) with CR/LF as spaces, CRLF. */
  private line(type: number, s: string, from: number, to: number): void {
    if (hasWideChar(s, from, to)) {
      const text = s.slice(from, to).replace(/[\r\n]/g, " ");
      const len = Buffer.byteLength(text, "utf8");
      this.ensure(len + 3);
      this.buf[this.pos++] = type;
      this.pos += this.buf.write(text, this.pos, len, "utf8");
      this.crlf();
      return;
    }
    this.ensure(to - from + 3);
    const b = this.buf;
    let p = this.pos;
    b[p++] = type;
    for (let i = from; i < to; i++) {
      const c = s.charCodeAt(i);
      b[p++] = c === CR || c === LF ? 32 : c;
    }
    b[p++] = CR;
    b[p++] = LF;
    this.pos = p;
  }

  /** Writes s as latin1 (room already ensured). */
  private writeLatin1(s: string): void {
    const len = s.length;
    if (len <= SHORT_COPY) {
      const b = this.buf;
      let p = this.pos;
      for (let i = 0; i < len; i++) b[p++] = s.charCodeAt(i);
      this.pos = p;
    } else {
      this.pos += this.buf.write(s, this.pos, len, "latin1");
    }
  }

  /** Writes a safe integer's decimal digits (room already ensured). */
  private writeInt(n: number): void {
    const b = this.buf;
    let p = this.pos;
    if (n < 0) {
      b[p++] = 45;
      n = -n;
    }
    if (n < 10) {
      b[p++] = 48 + n;
      this.pos = p;
      return;
    }
    let len = 2;
    while (len < 17 && n >= POW10[len]!) len++;
    let q = p + len;
    this.pos = q;
    if (n < 2147483648) {
      // Small integers stay in int32 arithmetic, about twice as fast as the general loop below.
      while (n >= 10) {
        const t = (n / 10) | 0;
        b[--q] = 48 + n - t * 10;
        n = t;
      }
    } else {
      while (n >= 10) {
        const d = n % 10;
        b[--q] = 48 + d;
        n = (n - d) / 10;
      }
    }
    b[--q] = 48 + n;
  }
}

const POW10: number[] = [];
for (let i = 0, v = 1; i <= 17; i++, v *= 10) POW10.push(v);
/** 5^k, exact up to k = 22. */
const POW5: number[] = [];
for (let i = 0, v = 1; i <= 22; i++, v *= 5) POW5.push(v);

function isCrLf(c: number): boolean {
  return c === CR || c === LF;
}

function hasWideChar(s: string, from: number, to: number): boolean {
  for (let i = from; i < to; i++) if (s.charCodeAt(i) > 0xff) return true;
  return false;
}

// ---- %.17g ----

/**
 * x as C's printf("%.17g") prints it with glibc: what Redis 7.0 replies for ZSCORE, ZINCRBY, WITHSCORES and the
 * RESP3 double type ("0.10000000000000001", "1e+17", "1.4999999999999999e-07", "-0", "inf", "-inf", "nan").
 */
export function formatDouble(x: number): string {
  if (Number.isInteger(x) && x <= TWO53 && x >= -TWO53) {
    // Below 1e17 %.17g prints integers in full; up to 2^53 String() does the same.
    if (x === 0 && 1 / x < 0) return "-0";
    return String(x);
  }
  if (Number.isNaN(x)) return "nan";
  if (x === Number.POSITIVE_INFINITY) return "inf";
  if (x === Number.NEGATIVE_INFINITY) return "-inf";
  const neg = x < 0;
  const a = neg ? -x : x;
  let digits: string;
  let exp: number;
  const y = a * 33554432; // a * 2^25, exact
  if (a < TWO53 && Number.isInteger(y)) {
    // a = m / 2^k with m odd and 1 <= k <= 25, so its exact decimal expansion m * 5^k / 10^k is finite.
    let m = a * 2;
    let k = 1;
    while (!Number.isInteger(m)) {
      m *= 2;
      k++;
    }
    const p = k <= 22 ? m * POW5[k]! : TWO53;
    if (p < TWO53) {
      // At most 16 significant digits: %.17g prints the exact value (no toExponential needed, which is slow).
      digits = String(p);
      exp = digits.length - 1 - k;
    } else {
      ({ digits, exp } = exponential17(a));
      // toExponential rounds a tie away from zero, glibc to even. A tie at 17 digits needs an exact expansion of
      // exactly 18 significant digits.
      const approxDigits = Math.log10(m) + k * 0.6989700043360189;
      if (approxDigits > 16.9 && approxDigits < 18.1) {
        const tie = evenTie(a);
        if (tie !== null) ({ digits, exp } = tie);
      }
    }
  } else {
    ({ digits, exp } = exponential17(a));
  }
  let end = digits.length;
  while (end > 1 && digits.charCodeAt(end - 1) === 48) end--;
  digits = digits.slice(0, end);
  let s: string;
  if (exp < -4 || exp >= 17) {
    const mant = digits.length > 1 ? `${digits[0]}.${digits.slice(1)}` : digits;
    const ae = exp < 0 ? -exp : exp;
    s = `${mant}e${exp < 0 ? "-" : "+"}${ae < 10 ? "0" : ""}${ae}`;
  } else if (exp >= 0) {
    if (digits.length <= exp + 1) s = digits + "0".repeat(exp + 1 - digits.length);
    else s = `${digits.slice(0, exp + 1)}.${digits.slice(exp + 1)}`;
  } else {
    s = `0.${"0".repeat(-exp - 1)}${digits}`;
  }
  return neg ? `-${s}` : s;
}

/** a's first 17 significant digits, rounded (ties away from zero), and its decimal exponent. */
function exponential17(a: number): { digits: string; exp: number } {
  const s = a.toExponential(16);
  const e = s.indexOf("e");
  return { digits: s[0]! + s.slice(2, e), exp: Number(s.slice(e + 1)) };
}

/** For a positive non-integer with at most 25 fraction bits: its 17 digits rounded half-to-even when its exact
 * expansion is a tie at 17 digits, else null. */
function evenTie(a: number): { digits: string; exp: number } | null {
  const scaled = BigInt(a * 33554432) * 298023223876953125n; // a * 2^25 * 5^25 = a * 10^25
  const full = scaled.toString();
  let end = full.length;
  while (full.charCodeAt(end - 1) === 48) end--;
  if (end !== 18 || full.charCodeAt(17) !== 53) return null;
  let q = BigInt(full.slice(0, 17));
  let exp = full.length - 1 - 25;
  if (q % 2n === 1n) q += 1n;
  let digits = q.toString();
  if (digits.length > 17) {
    digits = digits.slice(0, 17);
    exp++;
  }
  return { digits, exp };
}

// ---- INCRBYFLOAT's long double format ----
//
// Redis 7.0 does INCRBYFLOAT and HINCRBYFLOAT in C long double (x87 80-bit: a 64-bit significand) and replies
// (and stores) printf("%.17Lf") with trailing zeros and a trailing dot removed, "-0" becoming "0". JS has no long
// double, so it is emulated exactly with BigInt: addLongDoubleHuman() reproduces Redis's result from the two
// decimal texts; formatDoubleHuman() formats a JS number as if Redis had parsed its shortest decimal text.
//
// Confirmed on redis-server 7.0.15: 10.5 + 0.1 -> "10.6", 5.0e3 -> "5000", 1e-20 -> "0", 0.1 + 0.2 -> "0.3",
// 1 + -1.1 -> "-0.1", 1000 + 0.1 -> "1000.09999999999999998", 17179869184 + 1.1 ->
// "17179869185.09999999962747097", 123456.789 -> "123456.78900000000000148", 5e-18 -> "0",
// 6e-18 -> "0.00000000000000001", 1e300 -> 301 digits ending "...915104006144".
//
// Where the two differ: a double sum carries binary error a long double sum does not show, so
// formatDoubleHuman(0.1 + 0.2) is "0.30000000000000004" where Redis says "0.3"; INCRBYFLOAT should use
// addLongDoubleHuman. Long double also reaches about 1.19e4932, so sums past 1.8e308 are finite in Redis.

/** x in Redis's INCRBYFLOAT reply format, reading x as the decimal number String(x) shows. */
export function formatDoubleHuman(x: number): string {
  if (Number.isNaN(x)) return "nan";
  if (x === Number.POSITIVE_INFINITY) return "inf";
  if (x === Number.NEGATIVE_INFINITY) return "-inf";
  if (Number.isInteger(x) && x <= TWO53 && x >= -TWO53) return x === 0 ? "0" : String(x);
  const d = parseDecimal(String(x));
  const v = d === null ? null : decimalToLd(d);
  if (v === null) return String(x); // not reached: String() of a finite number always parses and fits
  return formatLdHuman(v);
}

/**
 * Redis 7.0's INCRBYFLOAT/HINCRBYFLOAT result for the decimal texts a (the current value, "0" for a missing key)
 * and b (the increment): both rounded to long double, added in long double, formatted like formatDoubleHuman.
 * Returns "inf" or "-inf" when the sum overflows long double (Redis then replies "ERR increment would produce
 * NaN or Infinity"), and undefined when an operand is not a plain decimal number within long double range
 * (strtold's hex floats, inf, nan, anything invalid): validate operands first, and fall back to
 * formatDoubleHuman(Number(a) + Number(b)) for the forms this does not emulate.
 */
export function addLongDoubleHuman(a: string, b: string): string | undefined {
  const da = parseDecimal(a);
  const db = parseDecimal(b);
  if (da === null || db === null) return undefined;
  const x = decimalToLd(da);
  const y = decimalToLd(db);
  if (x === null || y === null) return undefined;
  const e0 = Math.min(x.e, y.e);
  const ax = x.m << BigInt(x.e - e0);
  const ay = y.m << BigInt(y.e - e0);
  const sum = (x.neg ? -ax : ax) + (y.neg ? -ay : ay);
  if (sum === 0n) return "0";
  const neg = sum < 0n;
  const mag = neg ? -sum : sum;
  const r = e0 >= 0 ? roundToLd(mag << BigInt(e0), 1n) : roundToLd(mag, 1n << BigInt(-e0));
  if (r === "inf") return neg ? "-inf" : "inf";
  return formatLdHuman({ neg, m: r.m, e: r.e });
}

/** ±m·2^e with m < 2^64; m = 0 for zero. */
interface LongDouble {
  neg: boolean;
  m: bigint;
  e: number;
}

interface Decimal {
  neg: boolean;
  /** The significant digits as an integer. */
  digits: bigint;
  /** Count of significant digits, for the range check. */
  ndigits: number;
  /** value = digits * 10^exp10 */
  exp10: number;
}

const DECIMAL = /^([+-]?)(\d*)(?:\.(\d*))?(?:[eE]([+-]?\d+))?$/;

function parseDecimal(s: string): Decimal | null {
  const m = DECIMAL.exec(s);
  if (m === null) return null;
  const int = m[2]!;
  const frac = m[3] ?? "";
  if (int.length + frac.length === 0) return null;
  const all = (int + frac).replace(/^0+/, "");
  const expText = m[4];
  // An exponent too long to matter still has to be read as "huge" rather than parsed into a bad number.
  let exp = expText === undefined ? 0 : expText.length > 9 ? (expText[0] === "-" ? -1e9 : 1e9) : Number(expText);
  exp -= frac.length;
  return { neg: m[1] === "-", digits: all.length === 0 ? 0n : BigInt(all), ndigits: all.length, exp10: exp };
}

/** The long double nearest to d (what strtold returns), or null outside long double range. */
function decimalToLd(d: Decimal): LongDouble | null {
  if (d.digits === 0n) return { neg: d.neg, m: 0n, e: 0 };
  const magnitude = d.ndigits + d.exp10; // d is in [10^(magnitude-1), 10^magnitude)
  if (magnitude > 4934) return null; // beyond 1.19e4932: strtold overflows (ERANGE)
  if (magnitude < -4950) return null; // below the smallest subnormal: strtold underflows to 0 (ERANGE)
  const r =
    d.exp10 >= 0 ? roundToLd(d.digits * 10n ** BigInt(d.exp10), 1n) : roundToLd(d.digits, 10n ** BigInt(-d.exp10));
  if (r === "inf" || r.m === 0n) return null;
  return { neg: d.neg, m: r.m, e: r.e };
}

const TWO63 = 1n << 63n;
const TWO64 = 1n << 64n;
/** Exponent of the least significant significand bit of the smallest normal and all subnormal long doubles. */
const LD_MIN_E = -16445;
/** Largest exponent of a finite long double's least significant significand bit. */
const LD_MAX_E = 16320;

function bitLength(n: bigint): number {
  return n.toString(2).length;
}

/** num/den (both positive) rounded half-to-even to a 64-bit significand: m·2^e, or "inf" when it overflows. */
function roundToLd(num: bigint, den: bigint): { m: bigint; e: number } | "inf" {
  let e = bitLength(num) - bitLength(den) - 64;
  for (;;) {
    if (e < LD_MIN_E) e = LD_MIN_E;
    const n = e >= 0 ? num : num << BigInt(-e);
    const dd = e >= 0 ? den << BigInt(e) : den;
    let q = n / dd;
    if (q >= TWO64) {
      e++;
      continue;
    }
    if (q < TWO63 && e > LD_MIN_E) {
      e--;
      continue;
    }
    const twice = (n - q * dd) * 2n;
    if (twice > dd || (twice === dd && (q & 1n) === 1n)) q++;
    if (q === TWO64) {
      q = TWO63;
      e++;
    }
    if (e > LD_MAX_E) return "inf";
    return { m: q, e };
  }
}

/** printf("%.17Lf") of v, trailing zeros and dot removed, "-0" as "0": Redis's LD_STR_HUMAN. */
function formatLdHuman(v: LongDouble): string {
  const SCALE = 100000000000000000n; // 10^17
  let q: bigint;
  if (v.e >= 0) {
    q = (v.m << BigInt(v.e)) * SCALE;
  } else {
    const num = v.m * SCALE;
    const den = 1n << BigInt(-v.e);
    q = num / den;
    const twice = (num - q * den) * 2n;
    if (twice > den || (twice === den && (q & 1n) === 1n)) q++;
  }
  const s = q.toString().padStart(18, "0");
  const int = s.slice(0, s.length - 17);
  let frac = s.slice(s.length - 17);
  let end = frac.length;
  while (end > 0 && frac.charCodeAt(end - 1) === 48) end--;
  frac = frac.slice(0, end);
  const out = frac.length > 0 ? `${int}.${frac}` : int;
  return v.neg && out !== "0" ? `-${out}` : out;
}
