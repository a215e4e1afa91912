// Redis's rules for reading and writing numbers, reproduced exactly: 64-bit integers (string2ll),
// doubles (strtod as getDoubleFromObject and zslParseRange use it), long doubles (strtold for
// INCRBYFLOAT/HINCRBYFLOAT, emulated as x87 80-bit extended with BigInt so results match to the
// digit), %.17g score replies, 64-bit overflow checks, score and lex range items, and the
// start/stop index rules. Every behaviour here was checked against redis-server 7.0.15.
//
// Strings are latin1 byte strings (one char per byte); byte ranges are (buf, start, end).

import { latin1 } from "../format/latin1.js";
import type { LexBound, ScoreRange } from "./zset.js";

/** Reply texts (without the leading '-') for the errors these rules raise. */
export const ERR_NOT_INTEGER = "ERR value is not an integer or out of range";
export const ERR_NOT_FLOAT = "ERR value is not a valid float";
export const ERR_OVERFLOW = "ERR increment or decrement would overflow";
/** DECRBY with -9223372036854775808 (checked before the addition). */
export const ERR_DECR_OVERFLOW = "ERR decrement would overflow";
export const ERR_INCR_NAN_INF = "ERR increment would produce NaN or Infinity";
/** HINCRBYFLOAT with an increment of inf. */
export const ERR_VALUE_NAN_INF = "ERR value is NaN or Infinity";
/** HINCRBYFLOAT on a field whose value is not a float. */
export const ERR_HASH_NOT_FLOAT = "ERR hash value is not a float";
export const ERR_SCORE_RANGE = "ERR min or max is not a float";
export const ERR_LEX_RANGE = "ERR min or max not valid string range item";

export const INT64_MAX = 9223372036854775807n;
export const INT64_MIN = -9223372036854775808n;
const SAFE_MAX = BigInt(Number.MAX_SAFE_INTEGER);
const SAFE_MIN = -SAFE_MAX;

/** An int64 as this layer carries it: a number when within ±(2^53-1), else a bigint. */
export type Int64 = number | bigint;

function normalize(v: bigint): Int64 {
  return v >= SAFE_MIN && v <= SAFE_MAX ? Number(v) : v;
}

// ---------------------------------------------------------------------------------------------
// Integers (string2ll)

/**
 * Redis `string2ll` over buf[start, end): optional '-', then "0" alone or a digit 1-9 followed by
 * digits; no '+', spaces, leading zeros or "-0"; at most 20 bytes; within int64. Returns a number
 * when the value is a safe integer (the common case, no BigInt touched), a bigint beyond ±(2^53-1),
 * null when invalid.
 */
export function parseInt64(buf: Uint8Array, start: number, end: number): Int64 | null {
  const len = end - start;
  if (len <= 0 || len >= 21) return null;
  let i = start;
  let neg = false;
  if (buf[i] === 0x2d) {
    neg = true;
    if (++i === end) return null;
  }
  let c = buf[i];
  if (c === 0x30) return len === 1 ? 0 : null;
  if (c < 0x31 || c > 0x39) return null;
  let v = c - 0x30;
  i++;
  const fastEnd = end - i > 14 ? i + 14 : end; // 15 digits always fit in a safe integer
  for (; i < fastEnd; i++) {
    c = buf[i];
    if (c < 0x30 || c > 0x39) return null;
    v = v * 10 + (c - 0x30);
  }
  if (i === end) return neg ? -v : v;
  let big = BigInt(v);
  for (; i < end; i++) {
    c = buf[i];
    if (c < 0x30 || c > 0x39) return null;
    big = big * 10n + BigInt(c - 0x30);
  }
  if (neg) big = -big;
  if (big > INT64_MAX || big < INT64_MIN) return null;
  return normalize(big);
}

/** `parseInt64` over a latin1 string. */
export function parseInt64Str(s: string): Int64 | null {
  const len = s.length;
  if (len === 0 || len >= 21) return null;
  let i = 0;
  let neg = false;
  if (s.charCodeAt(0) === 0x2d) {
    neg = true;
    if (++i === len) return null;
  }
  let c = s.charCodeAt(i);
  if (c === 0x30) return len === 1 ? 0 : null;
  if (c < 0x31 || c > 0x39) return null;
  let v = c - 0x30;
  i++;
  const fastEnd = len - i > 14 ? i + 14 : len;
  for (; i < fastEnd; i++) {
    c = s.charCodeAt(i);
    if (c < 0x30 || c > 0x39) return null;
    v = v * 10 + (c - 0x30);
  }
  if (i === len) return neg ? -v : v;
  let big = BigInt(v);
  for (; i < len; i++) {
    c = s.charCodeAt(i);
    if (c < 0x30 || c > 0x39) return null;
    big = big * 10n + BigInt(c - 0x30);
  }
  if (neg) big = -big;
  if (big > INT64_MAX || big < INT64_MIN) return null;
  return normalize(big);
}

/**
 * `parseInt64`, always as a number: exact within ±(2^53-1), the nearest double beyond (so
 * 9223372036854775807 reads as 2^63). For indexes, counts and timeouts, where only clamping
 * matters. null when invalid.
 */
export function parseInt64Approx(buf: Uint8Array, start: number, end: number): number | null {
  const v = parseInt64(buf, start, end);
  return typeof v === "bigint" ? Number(v) : v;
}

/** `parseInt64Approx` over a latin1 string. */
export function parseInt64ApproxStr(s: string): number | null {
  const v = parseInt64Str(s);
  return typeof v === "bigint" ? Number(v) : v;
}

/** a + b as int64, or null when it leaves the int64 range (INCR/INCRBY/DECRBY/HINCRBY overflow). */
export function addInt64(a: Int64, b: Int64): Int64 | null {
  if (typeof a === "number" && typeof b === "number") {
    const s = a + b;
    if (Number.isSafeInteger(s)) return s;
  }
  const s = BigInt(a) + BigInt(b);
  if (s > INT64_MAX || s < INT64_MIN) return null;
  return normalize(s);
}

/** Whether a + b overflows int64: Redis answers ERR_OVERFLOW. */
export function incrOverflows(a: Int64, b: Int64): boolean {
  return addInt64(a, b) === null;
}

/** -v for DECRBY, or null for -2^63 (Redis answers ERR_DECR_OVERFLOW before adding). */
export function negateInt64(v: Int64): Int64 | null {
  if (typeof v === "number") return v === 0 ? 0 : -v;
  return v === INT64_MIN ? null : normalize(-v);
}

// ---------------------------------------------------------------------------------------------
// The strtod/strtold grammar, scanned once, converted to double or long double

const K_NONE = 0;
const K_DEC = 1;
const K_HEX = 2;
const K_INF = 3;
const K_NAN = 4;

// Scanner results (module state, so the hot path allocates nothing).
let scanKind = K_NONE;
let scanNeg = false;
let scanNumStart = 0; // the decimal literal (sign included) or hex digits ("0x" excluded)

function isSpace(c: number): boolean {
  return c === 0x20 || (c >= 0x09 && c <= 0x0d);
}
function isDigit(c: number): boolean {
  return c >= 0x30 && c <= 0x39;
}
function isHex(c: number): boolean {
  return (c >= 0x30 && c <= 0x39) || ((c | 0x20) >= 0x61 && (c | 0x20) <= 0x66);
}
function lower(c: number): number {
  return c >= 0x41 && c <= 0x5a ? c | 0x20 : c;
}
function matchWord(s: string, i: number, word: string): boolean {
  if (i + word.length > s.length) return false;
  for (let k = 0; k < word.length; k++) if (lower(s.charCodeAt(i + k)) !== word.charCodeAt(k)) return false;
  return true;
}

/**
 * Scans one C `strtod` number in s from i (whitespace already skipped by the caller when wanted);
 * returns the end index, or i when nothing converts (as strtod leaves endptr at nptr).
 */
function scanStrtod(s: string, i: number): number {
  const len = s.length;
  const begin = i;
  scanKind = K_NONE;
  scanNeg = false;
  let c = i < len ? s.charCodeAt(i) : 0;
  if (c === 0x2b || c === 0x2d) {
    scanNeg = c === 0x2d;
    i++;
    c = i < len ? s.charCodeAt(i) : 0;
  }
  const afterSign = i;
  if (matchWord(s, i, "inf")) {
    scanKind = K_INF;
    return matchWord(s, i + 3, "inity") ? i + 8 : i + 3;
  }
  if (matchWord(s, i, "nan")) {
    scanKind = K_NAN;
    i += 3;
    if (i < len && s.charCodeAt(i) === 0x28) {
      let j = i + 1;
      while (j < len) {
        const d = s.charCodeAt(j);
        if (isDigit(d) || (lower(d) >= 0x61 && lower(d) <= 0x7a) || d === 0x5f) j++;
        else break;
      }
      if (j < len && s.charCodeAt(j) === 0x29) i = j + 1;
    }
    return i;
  }
  if (c === 0x30 && i + 1 < len && (s.charCodeAt(i + 1) | 0x20) === 0x78) {
    let j = i + 2;
    let digits = 0;
    while (j < len && isHex(s.charCodeAt(j))) {
      j++;
      digits++;
    }
    if (j < len && s.charCodeAt(j) === 0x2e) {
      j++;
      while (j < len && isHex(s.charCodeAt(j))) {
        j++;
        digits++;
      }
    }
    if (digits > 0) {
      scanKind = K_HEX;
      scanNumStart = i + 2;
      return scanExponent(s, j, 0x70);
    }
    // "0x" without hex digits: strtod reads the "0" alone.
    scanKind = K_DEC;
    scanNumStart = begin;
    return i + 1;
  }
  let j = afterSign;
  let digits = 0;
  while (j < len && isDigit(s.charCodeAt(j))) {
    j++;
    digits++;
  }
  if (j < len && s.charCodeAt(j) === 0x2e) {
    j++;
    while (j < len && isDigit(s.charCodeAt(j))) {
      j++;
      digits++;
    }
  }
  if (digits === 0) return begin;
  scanKind = K_DEC;
  scanNumStart = begin;
  return scanExponent(s, j, 0x65);
}

/** An exponent part ('e' or 'p', optional sign, at least one digit) is consumed only when complete. */
function scanExponent(s: string, j: number, letter: number): number {
  const len = s.length;
  if (j < len && (s.charCodeAt(j) | 0x20) === letter) {
    let k = j + 1;
    if (k < len && (s.charCodeAt(k) === 0x2b || s.charCodeAt(k) === 0x2d)) k++;
    if (k < len && isDigit(s.charCodeAt(k))) {
      while (k < len && isDigit(s.charCodeAt(k))) k++;
      return k;
    }
  }
  return j;
}

// Conversion results.
let convRange = 0; // 0 fine; 1 overflow (ERANGE, ±HUGE_VAL); -1 underflow to zero (ERANGE, 0)

/** The exact value of a scanned hex literal s[scanNumStart, end): mantissa * 2^exp2. */
function hexParts(s: string, end: number): { mant: bigint; exp2: number } {
  let i = scanNumStart;
  let hex = "";
  let fracDigits = 0;
  let seenDot = false;
  for (; i < end; i++) {
    const c = s.charCodeAt(i);
    if (c === 0x2e) seenDot = true;
    else if (isHex(c)) {
      hex += s[i];
      if (seenDot) fracDigits++;
    } else break;
  }
  let exp = 0;
  if (i < end) {
    // 'p' [sign] digits, saturated far beyond any representable range.
    i++;
    let sign = 1;
    if (s.charCodeAt(i) === 0x2d) {
      sign = -1;
      i++;
    } else if (s.charCodeAt(i) === 0x2b) i++;
    for (; i < end; i++) exp = Math.min(exp * 10 + (s.charCodeAt(i) - 0x30), 1e9);
    exp *= sign;
  }
  return { mant: BigInt(`0x${hex}`), exp2: exp - 4 * fracDigits };
}

function bitLength(v: bigint): number {
  return v === 0n ? 0 : v.toString(2).length;
}

/**
 * Rounds mant * 2^exp2 (mant >= 0) to nearest-even with `bits` of precision, the unit in the last
 * place no lower than 2^minUlp (subnormals), and overflow at 2^maxExp. Sets convRange. Returns the
 * significand q (value q * 2^e) with e in roundedExp.
 */
let roundedExp = 0;
function roundBinary(mant: bigint, exp2: number, bits: number, minUlp: number, maxExp: number): bigint {
  convRange = 0;
  if (mant === 0n) {
    roundedExp = 0;
    return 0n;
  }
  const len = bitLength(mant);
  if (exp2 + len > maxExp + 1) {
    convRange = 1;
    return 0n;
  }
  if (exp2 + len < minUlp - 1) {
    convRange = -1;
    return 0n;
  }
  let ulp = exp2 + len - bits;
  if (ulp < minUlp) ulp = minUlp;
  let q: bigint;
  if (ulp <= exp2) q = mant << BigInt(exp2 - ulp);
  else {
    const shift = BigInt(ulp - exp2);
    q = mant >> shift;
    const rem = mant - (q << shift);
    const half = 1n << (shift - 1n);
    if (rem > half || (rem === half && (q & 1n) === 1n)) q += 1n;
    if (bitLength(q) > bits) {
      q >>= 1n;
      ulp += 1;
    }
  }
  if (q === 0n) {
    convRange = -1;
    return 0n;
  }
  if (ulp + bitLength(q) > maxExp) {
    convRange = 1;
    return 0n;
  }
  roundedExp = ulp;
  return q;
}

/** The scanned literal ending at `end` as a double (strtod), setting convRange. */
function convertDouble(s: string, end: number): number {
  convRange = 0;
  switch (scanKind) {
    case K_INF:
      return scanNeg ? -Infinity : Infinity;
    case K_NAN:
      return Number.NaN;
    case K_HEX: {
      const { mant, exp2 } = hexParts(s, end);
      const q = roundBinary(mant, exp2, 53, -1074, 1024);
      let v: number;
      if (convRange === 1) v = Infinity;
      else if (q === 0n) v = 0;
      else if (roundedExp >= -1022) v = Number(q) * 2 ** roundedExp;
      else v = Number(q) * 2 ** (roundedExp + 1022) * 2 ** -1022;
      return scanNeg ? -v : v;
    }
    default: {
      const v = Number(s.slice(scanNumStart, end));
      if (v === Infinity || v === -Infinity) convRange = 1;
      else if (v === 0) {
        for (let i = scanNumStart; i < end; i++) {
          const c = s.charCodeAt(i);
          if (c === 0x65 || c === 0x45) break;
          if (c >= 0x31 && c <= 0x39) {
            convRange = -1;
            break;
          }
        }
      }
      return v;
    }
  }
}

// ---------------------------------------------------------------------------------------------
// Doubles

/**
 * Redis `getDoubleFromObject` (ZADD scores, ZINCRBY, ZADD INCR): the whole string must be one C
 * strtod number; no leading space; "inf", "+inf", "-inf", "infinity" (any case) accepted; nan,
 * overflow ("1e400") and underflow to zero ("1e-400") rejected; "5.", ".5", "1e3", "0x10",
 * "0x1p3", "00012" accepted. null when invalid (reply ERR_NOT_FLOAT).
 */
export function parseDoubleStr(s: string): number | null {
  const len = s.length;
  if (len === 0) return null;
  // Fast path: a plain integer of up to 15 digits.
  let i = 0;
  let c = s.charCodeAt(0);
  if (c === 0x2d) i = 1;
  if (len - i <= 15 && len > i) {
    let v = 0;
    for (; i < len; i++) {
      c = s.charCodeAt(i);
      if (c < 0x30 || c > 0x39) break;
      v = v * 10 + (c - 0x30);
    }
    if (i === len) return s.charCodeAt(0) === 0x2d ? -v : v;
  }
  if (isSpace(s.charCodeAt(0))) return null;
  const end = scanStrtod(s, 0);
  if (end !== len || scanKind === K_NONE) return null;
  const v = convertDouble(s, end);
  if (convRange !== 0 || Number.isNaN(v)) return null;
  return v;
}

/** `parseDoubleStr` over buf[start, end). */
export function parseDouble(buf: Uint8Array, start: number, end: number): number | null {
  // Fast path without a string: a plain integer of up to 15 digits.
  let i = start;
  if (buf[i] === 0x2d) i++;
  if (end > i && end - i <= 15) {
    let v = 0;
    for (; i < end; i++) {
      const c = buf[i];
      if (c < 0x30 || c > 0x39) break;
      v = v * 10 + (c - 0x30);
    }
    if (i === end) return buf[start] === 0x2d ? -v : v;
  }
  return parseDoubleStr(latin1(buf, start, end));
}

/**
 * One end of a score range, as zslParseRange reads it (ZRANGEBYSCORE, ZCOUNT, ZRANGE BYSCORE,
 * ZREMRANGEBYSCORE): an optional '(' for exclusive, then C strtod with its looseness: leading
 * whitespace allowed, parsing stops at a NUL byte, "" and "(" read as 0, overflow gives ±inf and
 * underflow 0; nan rejected. null when invalid (reply ERR_SCORE_RANGE).
 */
export function parseScoreBoundStr(s: string): { value: number; exclusive: boolean } | null {
  let i = 0;
  const exclusive = s.charCodeAt(0) === 0x28;
  if (exclusive) i = 1;
  const numberStart = i;
  const len = s.length;
  while (i < len && isSpace(s.charCodeAt(i))) i++;
  let end = scanStrtod(s, i);
  let value = 0;
  if (scanKind === K_NONE) end = numberStart;
  else value = convertDouble(s, end);
  if (end < len && s.charCodeAt(end) !== 0) return null;
  if (Number.isNaN(value)) return null;
  return { value, exclusive };
}

/** `parseScoreBoundStr` over buf[start, end). */
export function parseScoreBound(
  buf: Uint8Array,
  start: number,
  end: number,
): { value: number; exclusive: boolean } | null {
  return parseScoreBoundStr(latin1(buf, start, end));
}

/** Both ends of a score range; null when either is invalid (reply ERR_SCORE_RANGE). */
export function parseScoreRangeStr(min: string, max: string): ScoreRange | null {
  const lo = parseScoreBoundStr(min);
  if (lo === null) return null;
  const hi = parseScoreBoundStr(max);
  if (hi === null) return null;
  return { min: lo.value, minEx: lo.exclusive, max: hi.value, maxEx: hi.exclusive };
}

/**
 * One end of a lex range, as zslParseLexRangeItem reads it: "-" and "+" (a NUL byte may follow,
 * as C sees the string end there), "[member" inclusive, "(member" exclusive; anything else, the
 * empty string included, is invalid (reply ERR_LEX_RANGE).
 */
export function parseLexBoundStr(s: string): LexBound | null {
  if (s.length === 0) return null;
  const c = s.charCodeAt(0);
  if (c === 0x2d || c === 0x2b) {
    if (s.length > 1 && s.charCodeAt(1) !== 0) return null;
    return c === 0x2d ? LEX_MIN : LEX_MAX;
  }
  if (c === 0x5b) return { kind: "[", value: s.slice(1) };
  if (c === 0x28) return { kind: "(", value: s.slice(1) };
  return null;
}

/** `parseLexBoundStr` over buf[start, end). */
export function parseLexBound(buf: Uint8Array, start: number, end: number): LexBound | null {
  return parseLexBoundStr(latin1(buf, start, end));
}

const LEX_MIN: LexBound = { kind: "-" };
const LEX_MAX: LexBound = { kind: "+" };

// ---------------------------------------------------------------------------------------------
// Formatting doubles as Redis 7.0 replies them

/**
 * A double as Redis 7.0's addReplyDouble writes it (ZSCORE, ZINCRBY, WITHSCORES): "inf"/"-inf",
 * otherwise printf "%.17g" with glibc's round-half-even ("1.1000000000000001", "1e+17",
 * "9.9999999999999694e-311", "-0"). Redis 7.2+ writes the shortest round-trip form instead.
 */
export function formatDouble(d: number): string {
  if (Number.isSafeInteger(d)) return d === 0 && 1 / d < 0 ? "-0" : String(d);
  if (d === Infinity) return "inf";
  if (d === -Infinity) return "-inf";
  if (Number.isNaN(d)) return "nan";
  // 17 significant digits, which V8 rounds half-up and glibc half-even. A tie needs an exact
  // decimal expansion of 18 digits, so at most 18 binary fraction digits (d * 2^18 an integer),
  // and toExponential(17) then ends in that 5.
  if (Number.isInteger(d * 262144)) {
    const e18 = d.toExponential(17);
    if (e18.charCodeAt(e18.indexOf("e") - 1) === 0x35) return gFormat(exactExponential17(d));
  }
  return gFormat(d.toExponential(16));
}

/** "%.17g" layout of a toExponential(16) string. */
function gFormat(e: string): string {
  const neg = e.charCodeAt(0) === 0x2d;
  const body = neg ? e.slice(1) : e;
  const ePos = body.indexOf("e");
  const exp = Number(body.slice(ePos + 1));
  const digits = body[0] + body.slice(2, ePos); // 17 digits
  let out: string;
  if (exp < -4 || exp >= 17) {
    let frac = digits.slice(1);
    let k = frac.length;
    while (k > 0 && frac.charCodeAt(k - 1) === 0x30) k--;
    frac = frac.slice(0, k);
    const a = Math.abs(exp);
    out = `${digits[0]}${frac ? `.${frac}` : ""}e${exp < 0 ? "-" : "+"}${a < 10 ? "0" : ""}${a}`;
  } else {
    let int: string;
    let frac: string;
    if (exp >= 0) {
      int = digits.slice(0, exp + 1);
      frac = digits.slice(exp + 1);
    } else {
      int = "0";
      frac = "0".repeat(-exp - 1) + digits;
    }
    let k = frac.length;
    while (k > 0 && frac.charCodeAt(k - 1) === 0x30) k--;
    frac = frac.slice(0, k);
    out = frac ? `${int}.${frac}` : int;
  }
  return neg ? `-${out}` : out;
}

const F64 = new Float64Array(1);
const U32 = new Uint32Array(F64.buffer);

/** d as toExponential(16) would write it, but rounded half-even from the exact binary value. */
function exactExponential17(d: number): string {
  F64[0] = d;
  const hi = U32[1];
  const lo = U32[0];
  const neg = hi >>> 31 === 1;
  const bexp = (hi >>> 20) & 0x7ff;
  let mant = (BigInt(hi & 0xfffff) << 32n) | BigInt(lo);
  let e2: number;
  if (bexp === 0) e2 = -1074;
  else {
    mant |= 1n << 52n;
    e2 = bexp - 1075;
  }
  // Exact decimal: value = D * 10^p.
  let D: bigint;
  let p: number;
  if (e2 >= 0) {
    D = mant << BigInt(e2);
    p = 0;
  } else {
    D = mant * 5n ** BigInt(-e2);
    p = e2;
  }
  let s = D.toString();
  const exp = s.length - 1 + p;
  if (s.length > 17) {
    const keep = BigInt(s.slice(0, 17));
    const restDigits = s.slice(17);
    const first = restDigits.charCodeAt(0) - 0x30;
    let more = false;
    for (let i = 1; i < restDigits.length; i++)
      if (restDigits.charCodeAt(i) !== 0x30) {
        more = true;
        break;
      }
    let r = keep;
    if (first > 5 || (first === 5 && (more || (keep & 1n) === 1n))) r += 1n;
    s = r.toString();
    if (s.length > 17) return `${neg ? "-" : ""}${s[0]}.${s.slice(1, 17)}e${exp + 1 >= 0 ? "+" : ""}${exp + 1}`;
  } else s = s.padEnd(17, "0");
  return `${neg ? "-" : ""}${s[0]}.${s.slice(1)}e${exp >= 0 ? "+" : ""}${exp}`;
}

// ---------------------------------------------------------------------------------------------
// Long doubles (INCRBYFLOAT, HINCRBYFLOAT)

/**
 * An x87 80-bit extended value: sign * q * 2^e with q < 2^64, or an infinity. Redis adds
 * INCRBYFLOAT operands as `long double` and prints "%.17Lf", which is why 0.1 + 0.2 gives "0.3"
 * there; doing the same in binary64 would give "0.30000000000000004".
 */
export interface LongDouble {
  readonly neg: boolean;
  readonly q: bigint;
  readonly e: number;
  readonly inf: boolean;
}

/** MAX_LONG_DOUBLE_CHARS: string2ld refuses strings this long or longer. */
const MAX_LONG_DOUBLE_CHARS = 5 * 1024;
const LD_BITS = 64;
const LD_MIN_ULP = -16445;
const LD_MAX_EXP = 16384;

/**
 * Redis `string2ld`: the whole string one strtold number, no leading space, shorter than 5120
 * bytes; nan, overflow and underflow to zero rejected; inf accepted. null when invalid.
 */
export function parseLongDouble(s: string): LongDouble | null {
  const len = s.length;
  if (len === 0 || len >= MAX_LONG_DOUBLE_CHARS || isSpace(s.charCodeAt(0))) return null;
  const end = scanStrtod(s, 0);
  if (end !== len || scanKind === K_NONE || scanKind === K_NAN) return null;
  const neg = scanNeg;
  if (scanKind === K_INF) return { neg, q: 0n, e: 0, inf: true };
  let q: bigint;
  if (scanKind === K_HEX) {
    const { mant, exp2 } = hexParts(s, end);
    q = roundBinary(mant, exp2, LD_BITS, LD_MIN_ULP, LD_MAX_EXP);
  } else q = decimalToLongDouble(s, scanNumStart, end);
  if (convRange !== 0) return null;
  return { neg, q, e: q === 0n ? 0 : roundedExp, inf: false };
}

/** A decimal literal s[start, end) (sign allowed) rounded to 64 bits; sets convRange. */
function decimalToLongDouble(s: string, start: number, end: number): bigint {
  let digits = "";
  let pointShift = 0;
  let seenDot = false;
  let i = start;
  const c0 = s.charCodeAt(i);
  if (c0 === 0x2b || c0 === 0x2d) i++;
  for (; i < end; i++) {
    const c = s.charCodeAt(i);
    if (c === 0x2e) seenDot = true;
    else if (isDigit(c)) {
      if (digits.length > 0 || c !== 0x30) digits += s[i];
      if (seenDot) pointShift--;
    } else break;
  }
  let exp = 0;
  if (i < end) {
    i++;
    let sign = 1;
    if (s.charCodeAt(i) === 0x2d) {
      sign = -1;
      i++;
    } else if (s.charCodeAt(i) === 0x2b) i++;
    for (; i < end; i++) exp = Math.min(exp * 10 + (s.charCodeAt(i) - 0x30), 1e9);
    exp *= sign;
  }
  convRange = 0;
  if (digits.length === 0) return 0n;
  const p = exp + pointShift; // value = digits * 10^p
  const magnitude = digits.length + p; // value < 10^magnitude, >= 10^(magnitude-1)
  if (magnitude - 1 >= 4933) {
    convRange = 1;
    return 0n;
  }
  if (magnitude < -4952) {
    convRange = -1;
    return 0n;
  }
  const D = BigInt(digits);
  if (p >= 0) return roundBinary(D * 5n ** BigInt(p), p, LD_BITS, LD_MIN_ULP, LD_MAX_EXP);
  // D / 10^-p = D / 5^-p * 2^p: divide with enough quotient bits, then a sticky bit.
  const den = 5n ** BigInt(-p);
  const shift = Math.max(0, bitLength(den) - bitLength(D) + LD_BITS + 3);
  const num = D << BigInt(shift);
  const quo = num / den;
  const sticky = quo * den === num ? 0n : 1n;
  return roundBinary((quo << 1n) | sticky, p - shift - 1, LD_BITS, LD_MIN_ULP, LD_MAX_EXP);
}

/** a + b in x87 extended arithmetic; null for NaN (inf - inf). */
export function addLongDouble(a: LongDouble, b: LongDouble): LongDouble | null {
  if (a.inf || b.inf) {
    if (a.inf && b.inf && a.neg !== b.neg) return null;
    return a.inf ? a : b;
  }
  if (a.q === 0n && b.q === 0n) return { neg: a.neg && b.neg, q: 0n, e: 0, inf: false };
  if (a.q === 0n) return b;
  if (b.q === 0n) return a;
  const e = Math.min(a.e, b.e);
  const av = a.q << BigInt(a.e - e);
  const bv = b.q << BigInt(b.e - e);
  const sum = (a.neg ? -av : av) + (b.neg ? -bv : bv);
  if (sum === 0n) return { neg: false, q: 0n, e: 0, inf: false };
  const neg = sum < 0n;
  const q = roundBinary(neg ? -sum : sum, e, LD_BITS, LD_MIN_ULP, LD_MAX_EXP);
  if (convRange === 1) return { neg, q: 0n, e: 0, inf: true };
  return { neg, q, e: q === 0n ? 0 : roundedExp, inf: false };
}

const TEN17 = 10n ** 17n;

/**
 * Redis ld2string(..., LD_STR_HUMAN): "%.17Lf" (round-half-even on the exact value), trailing zeros
 * and a bare '.' removed, "-0" written "0"; infinities as "inf"/"-inf".
 */
export function formatLongDouble(x: LongDouble): string {
  if (x.inf) return x.neg ? "-inf" : "inf";
  let n: bigint;
  if (x.e >= 0) n = (x.q << BigInt(x.e)) * TEN17;
  else {
    const num = x.q * TEN17;
    const shift = BigInt(-x.e);
    n = num >> shift;
    const rem = num - (n << shift);
    const half = 1n << (shift - 1n);
    if (rem > half || (rem === half && (n & 1n) === 1n)) n += 1n;
  }
  const int = n / TEN17;
  let frac = (n % TEN17).toString().padStart(17, "0");
  let k = 17;
  while (k > 0 && frac.charCodeAt(k - 1) === 0x30) k--;
  frac = frac.slice(0, k);
  const body = frac ? `${int}.${frac}` : int.toString();
  return x.neg && body !== "0" ? `-${body}` : body;
}

/** The outcome of INCRBYFLOAT / HINCRBYFLOAT: the new value's text, or an error reply text. */
export type FloatIncrResult = { ok: true; value: string } | { ok: false; error: string };

/**
 * INCRBYFLOAT: current (null for a missing key, 0) + incr in long double, formatted as Redis
 * stores and replies it. Errors: ERR_NOT_FLOAT when either does not parse, ERR_INCR_NAN_INF when
 * the sum is infinite or NaN.
 */
export function incrByFloat(current: string | null, incr: string): FloatIncrResult {
  const fast = fastIntegerSum(current, incr);
  if (fast !== null) return { ok: true, value: fast };
  const a = current === null ? ZERO_LD : parseLongDouble(current);
  const b = parseLongDouble(incr);
  if (a === null || b === null) return { ok: false, error: ERR_NOT_FLOAT };
  const sum = addLongDouble(a, b);
  if (sum === null || sum.inf) return { ok: false, error: ERR_INCR_NAN_INF };
  return { ok: true, value: formatLongDouble(sum) };
}

/**
 * HINCRBYFLOAT, with its own order of checks: incr invalid (ERR_NOT_FLOAT), incr infinite
 * (ERR_VALUE_NAN_INF), field value invalid (ERR_HASH_NOT_FLOAT), sum infinite (ERR_INCR_NAN_INF).
 */
export function hincrByFloat(current: string | null, incr: string): FloatIncrResult {
  const b = parseLongDouble(incr);
  if (b === null) return { ok: false, error: ERR_NOT_FLOAT };
  if (b.inf) return { ok: false, error: ERR_VALUE_NAN_INF };
  const fast = fastIntegerSum(current, incr);
  if (fast !== null) return { ok: true, value: fast };
  const a = current === null ? ZERO_LD : parseLongDouble(current);
  if (a === null) return { ok: false, error: ERR_HASH_NOT_FLOAT };
  const sum = addLongDouble(a, b);
  if (sum === null || sum.inf) return { ok: false, error: ERR_INCR_NAN_INF };
  return { ok: true, value: formatLongDouble(sum) };
}

const ZERO_LD: LongDouble = { neg: false, q: 0n, e: 0, inf: false };

/** Both plain safe integers (within 2^53, so exact in long double too): their sum's text. */
function fastIntegerSum(current: string | null, incr: string): string | null {
  const a = current === null ? 0 : parseInt64Str(current);
  if (typeof a !== "number") return null;
  const b = parseInt64Str(incr);
  if (typeof b !== "number") return null;
  const s = a + b;
  return Number.isSafeInteger(s) ? String(s) : null;
}

// ---------------------------------------------------------------------------------------------
// Index rules

/**
 * Redis's start/stop rule for LRANGE, LTRIM, ZRANGE, ZREMRANGEBYRANK: negatives count from the
 * end, start clamps to 0, stop to length-1; empty when start > stop or start >= length. Returns
 * the inclusive [first, last], or null for an empty range. Inputs may be approximate int64s.
 */
export function resolveRange(start: number, stop: number, length: number): [number, number] | null {
  if (start < 0) start = length + start;
  if (stop < 0) stop = length + stop;
  if (start < 0) start = 0;
  if (start > stop || start >= length) return null;
  if (stop >= length) stop = length - 1;
  return [start, stop];
}
