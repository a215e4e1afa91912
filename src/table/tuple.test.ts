import assert from "node:assert/strict";
import { test } from "node:test";
import { compareKeys } from "../format/compare.js";
import { seededRandom } from "../fs/random.js";
import { ByteWriter, type Direction, decodeTuple, encodeTuple, type TupleValue, writeDirected } from "./tuple.js";

// The tuple order the encoding must reproduce: by type rank, then by value; a shorter tuple that
// is a prefix of a longer one comes first; a descending component reverses its comparison.
function rank(v: TupleValue): number {
  if (v === null) return 0;
  if (typeof v === "boolean") return 1;
  if (typeof v === "bigint" || (typeof v === "number" && Number.isInteger(v))) return 2;
  if (typeof v === "number") return 3;
  if (typeof v === "string") return 4;
  return 5;
}

const utf8 = new TextEncoder();

function compareValue(a: TupleValue, b: TupleValue): number {
  const ra = rank(a);
  const rb = rank(b);
  if (ra !== rb) return ra - rb;
  if (ra === 1) return Number(a) - Number(b);
  if (ra === 2) {
    const x = BigInt(a as number | bigint);
    const y = BigInt(b as number | bigint);
    return x < y ? -1 : x > y ? 1 : 0;
  }
  if (ra === 3) {
    const x = a as number;
    const y = b as number;
    if (Number.isNaN(x) || Number.isNaN(y)) return Number.isNaN(x) ? (Number.isNaN(y) ? 0 : 1) : -1;
    if (x === 0 && y === 0) return Object.is(x, -0) === Object.is(y, -0) ? 0 : Object.is(x, -0) ? -1 : 1;
    return x < y ? -1 : x > y ? 1 : 0;
  }
  if (ra === 4) return compareKeys(utf8.encode(a as string), utf8.encode(b as string));
  if (ra === 5) return compareKeys(a as Uint8Array, b as Uint8Array);
  return 0;
}

function compareTuples(a: TupleValue[], b: TupleValue[], dirs: Direction[]): number {
  const n = Math.min(a.length, b.length);
  for (let i = 0; i < n; i++) {
    const c = compareValue(a[i], b[i]);
    if (c !== 0) return dirs[i] === "desc" ? -c : c;
  }
  return a.length - b.length;
}

/** An integer in [0, n). */
function randomInt(rnd: () => number, n: number): number {
  return Math.floor(rnd() * n);
}

function randomString(rnd: () => number): string {
  const alphabet = ["", "a", "b", "\u0000", "\u0001", "z", "é", "€", "😀", "\uffff", "ab", "a\u0000b"];
  let s = "";
  const n = randomInt(rnd, 4);
  for (let i = 0; i < n; i++) s += alphabet[randomInt(rnd, alphabet.length)];
  return s;
}

function randomValue(rnd: () => number): TupleValue {
  switch (randomInt(rnd, 8)) {
    case 0:
      return randomInt(rnd, 10) === 0 ? null : rnd() < 0.5;
    case 1: {
      const pick = [
        0,
        1,
        -1,
        255,
        256,
        -256,
        -255,
        65535,
        2 ** 32,
        -(2 ** 32),
        Number.MAX_SAFE_INTEGER,
        Number.MIN_SAFE_INTEGER,
      ];
      return rnd() < 0.5 ? pick[randomInt(rnd, pick.length)] : Math.floor((rnd() - 0.5) * 2 ** randomInt(rnd, 54));
    }
    case 2: {
      const pick = [
        0n,
        2n ** 64n,
        -(2n ** 64n),
        2n ** 64n - 1n,
        -(2n ** 64n) + 1n,
        2n ** 70n,
        -(2n ** 70n),
        2n ** 53n,
        -(2n ** 53n) - 1n,
      ];
      return pick[randomInt(rnd, pick.length)];
    }
    case 3: {
      const pick = [
        0.5,
        -0.5,
        -0,
        0.25,
        Number.POSITIVE_INFINITY,
        Number.NEGATIVE_INFINITY,
        Number.NaN,
        1e-300,
        -1e300,
        Number.MIN_VALUE,
      ];
      return rnd() < 0.5 ? pick[randomInt(rnd, pick.length)] : (rnd() - 0.5) * 10 ** randomInt(rnd, 20) + 0.1;
    }
    case 4:
    case 5:
      return randomString(rnd);
    default: {
      const n = randomInt(rnd, 4);
      const out = new Uint8Array(n);
      for (let i = 0; i < n; i++) out[i] = [0, 1, 0xfe, 0xff, 0x30][randomInt(rnd, 5)];
      return out;
    }
  }
}

function encodeWith(values: TupleValue[], dirs: Direction[]): Uint8Array {
  const w = new ByteWriter(8);
  for (let i = 0; i < values.length; i++) {
    const v = values[i];
    writeDirected(w, v, dirs[i], typeof v === "number" && !Number.isInteger(v));
  }
  return w.toBytes();
}

test("byte order of encoded tuples equals tuple order, ascending and descending", () => {
  const rnd = seededRandom(Number(process.env.SHALE_SEED ?? 7));
  for (let trial = 0; trial < 20000; trial++) {
    const len = 1 + randomInt(rnd, 3);
    const dirs: Direction[] = Array.from({ length: len }, () => (rnd() < 0.4 ? "desc" : "asc"));
    const a = Array.from({ length: 1 + randomInt(rnd, len) }, () => randomValue(rnd));
    // Share a prefix often, so later components and terminators get compared.
    const b = a.slice(0, randomInt(rnd, a.length + 1));
    while (b.length < 1 + randomInt(rnd, len)) b.push(randomValue(rnd));
    const want = Math.sign(compareTuples(a, b, dirs));
    const got = Math.sign(compareKeys(encodeWith(a, dirs), encodeWith(b, dirs)));
    assert.equal(got, want, `order of ${String(a)} vs ${String(b)} with ${dirs}`);
  }
});

test("tuples decode back to their values", () => {
  const rnd = seededRandom(11);
  for (let trial = 0; trial < 5000; trial++) {
    const len = 1 + randomInt(rnd, 4);
    const dirs: Direction[] = Array.from({ length: len }, () => (rnd() < 0.4 ? "desc" : "asc"));
    const values = Array.from({ length: len }, () => randomValue(rnd));
    const decoded = decodeTuple(encodeWith(values, dirs), dirs);
    assert.equal(decoded.length, values.length);
    for (let i = 0; i < len; i++) {
      const v = values[i];
      const d = decoded[i];
      if (typeof v === "bigint" && typeof d === "number") assert.equal(BigInt(d), v);
      else if (typeof v === "number" && Number.isNaN(v)) assert.ok(Number.isNaN(d));
      else if (typeof v === "number" && Number.isInteger(v) && !Number.isSafeInteger(v)) assert.equal(d, BigInt(v));
      else if (Object.is(v, -0))
        assert.ok(Object.is(d, 0), "an integral -0 is the integer 0"); // not a float field
      else assert.deepEqual(d, v);
    }
  }
});

test("strings sort by UTF-8 bytes, and zero bytes inside them keep order", () => {
  const keys = ["", "\u0000", "\u0000\u0000", "a", "a\u0000", "a\u0001", "ab", "é", "😀", "\uffff"];
  const sorted = [...keys].sort((x, y) => compareKeys(utf8.encode(x), utf8.encode(y)));
  const byEncoding = [...keys].sort((x, y) => compareKeys(encodeTuple([x]), encodeTuple([y])));
  assert.deepEqual(byEncoding, sorted);
  assert.deepEqual(decodeTuple(encodeTuple(["a\u0000b", 5, null])), ["a\u0000b", 5, null]);
});

test("unencodable values are clear errors", () => {
  assert.throws(() => encodeTuple([undefined as unknown as TupleValue]), /cannot encode undefined/);
  assert.throws(() => encodeTuple([{} as unknown as TupleValue]), /cannot encode Object/);
});
