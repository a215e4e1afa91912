import assert from "node:assert/strict";
import { test } from "node:test";
import { compareKeys } from "../format/compare.js";
import { randomInt, seededRandom } from "../fs/random.js";
import { type PackedRun, packRun, runKey, runValue } from "./packed-run.js";
import { firstOutOfOrder, prefixOrder, sortedOrder, sortRun } from "./run-sort.js";

type Pair = [Uint8Array, Uint8Array];

interface Shape {
  n: number;
  /** Bytes keys are drawn from (few, so keys tie and are prefixes of each other). */
  alphabet: number[];
  maxLen: number;
  /** A prefix every key starts with. */
  prefix: number;
  /** Chance a key repeats an earlier one. */
  dup: number;
}

function makePairs(seed: number, s: Shape): Pair[] {
  const rnd = seededRandom(seed);
  const prefix = Array.from({ length: s.prefix }, () => randomInt(rnd, 0, 255));
  const pairs: Pair[] = [];
  for (let i = 0; i < s.n; i++) {
    let key: Uint8Array;
    if (i > 0 && rnd() < s.dup) {
      const earlier = pairs[randomInt(rnd, 0, i - 1)][0];
      // a duplicate, or a prefix of an earlier key
      key = rnd() < 0.5 ? earlier : earlier.subarray(0, randomInt(rnd, 0, earlier.length));
    } else {
      const len = randomInt(rnd, 0, s.maxLen);
      const body = Array.from({ length: len }, () => s.alphabet[randomInt(rnd, 0, s.alphabet.length - 1)]);
      key = new Uint8Array([...prefix, ...body]);
    }
    pairs.push([key, new TextEncoder().encode(`v${i}`)]);
  }
  return pairs;
}

function byKeyThenValue(a: Pair, b: Pair): number {
  return compareKeys(a[0], b[0]) || compareKeys(a[1], b[1]);
}

function pairsOf(run: PackedRun): Pair[] {
  const out: Pair[] = [];
  for (let i = 0; i < run.count; i++) out.push([runKey(run, i).slice(), runValue(run, i).slice()]);
  return out;
}

function checkSorted(pairs: Pair[], sorted: PackedRun, label: string): void {
  assert.equal(sorted.count, pairs.length, label);
  for (let i = 1; i < sorted.count; i++) {
    if (compareKeys(runKey(sorted, i - 1), runKey(sorted, i)) > 0) assert.fail(`${label}: out of order at ${i}`);
  }
  // Same pairs (equal keys may come in any order, so compare as sorted multisets).
  const want = pairs.slice().sort(byKeyThenValue);
  const got = pairsOf(sorted).sort(byKeyThenValue);
  for (let i = 0; i < want.length; i++) {
    if (byKeyThenValue(want[i], got[i]) !== 0) assert.fail(`${label}: pair ${i} differs`);
  }
}

const SHAPES: Array<[string, Shape]> = [
  ["tiny alphabet, prefixes and duplicates", { n: 300, alphabet: [0, 1, 255], maxLen: 9, prefix: 0, dup: 0.3 }],
  ["empty and short keys", { n: 200, alphabet: [0, 97], maxLen: 3, prefix: 0, dup: 0.2 }],
  ["long shared prefix", { n: 1000, alphabet: [0, 48, 49, 50], maxLen: 20, prefix: 40, dup: 0.1 }],
  ["random bytes", { n: 2000, alphabet: Array.from({ length: 256 }, (_, i) => i), maxLen: 12, prefix: 0, dup: 0.05 }],
];

test("sortRun orders small runs like compareKeys (random keys, prefixes, duplicates, empty keys)", () => {
  for (const [name, shape] of SHAPES) {
    for (let seed = 1; seed <= 15; seed++) {
      const pairs = makePairs(seed, shape);
      const run = packRun(pairs, { shared: seed % 2 === 0 });
      checkSorted(pairs, sortRun(run), `${name} seed ${seed}`);
      checkSorted(pairs, sortRun(run, false), `${name} seed ${seed} (unshared output)`);
    }
  }
});

test("sortRun orders large runs (the radix path) like compareKeys", () => {
  const big: Array<[string, Shape]> = [
    ["large, tiny alphabet", { n: 70_000, alphabet: [0, 1, 2], maxLen: 24, prefix: 5, dup: 0.2 }],
    [
      "large, digits after a long prefix",
      { n: 80_000, alphabet: [48, 49, 50, 51, 52, 53, 54, 55, 56, 57], maxLen: 14, prefix: 30, dup: 0.02 },
    ],
    [
      "large, random bytes",
      { n: 70_000, alphabet: Array.from({ length: 256 }, (_, i) => i), maxLen: 8, prefix: 0, dup: 0.1 },
    ],
  ];
  for (const [name, shape] of big) {
    const pairs = makePairs(7, shape);
    checkSorted(pairs, sortRun(packRun(pairs)), name);
  }
  // Composite index keys with long shared parts, as a table's secondary index makes them.
  const pairs: Pair[] = [];
  const enc = new TextEncoder();
  for (let i = 0; i < 100_000; i++) {
    const e = String((i * 7919) % 500).padStart(4, "0");
    const u = String((i * 104729) % 3000).padStart(8, "0");
    pairs.push([
      enc.encode(`\x00\x01\x07\x02entitlement-${e}\x00\x02user\x00\x02user-${u}\x00\x02grant-${i}\x00`),
      enc.encode(""),
    ]);
  }
  checkSorted(pairs, sortRun(packRun(pairs, { values: false })), "composite index keys");
  // Keys of zero bytes of every length: padding a short key's chunk with zeros must not make it
  // tie with a longer key.
  const rnd = seededRandom(5);
  const zeros = Array.from({ length: 70_000 }, (_, i): Pair => {
    const key = new Uint8Array(randomInt(rnd, 0, 9));
    if (i % 1000 === 0 && key.length > 5) key[key.length - 1] = 1;
    return [key, enc.encode(String(i))];
  });
  checkSorted(zeros, sortRun(packRun(zeros)), "zero bytes of every length");
  // Every key equal, and every key empty.
  const same = Array.from({ length: 70_000 }, (): Pair => [enc.encode("same-key"), enc.encode("x")]);
  same[5] = [enc.encode("same-kez"), enc.encode("x")];
  checkSorted(same, sortRun(packRun(same)), "all equal but one");
  const empty = Array.from({ length: 70_000 }, (_, i): Pair => [new Uint8Array(0), enc.encode(String(i))]);
  const run = packRun(empty);
  assert.equal(sortRun(run), run, "all-empty keys are already sorted");
});

test("an already sorted run comes back as is, without a copy", () => {
  const enc = new TextEncoder();
  const pairs = Array.from(
    { length: 1000 },
    (_, i): Pair => [enc.encode(`k${String(i).padStart(5, "0")}`), enc.encode("v")],
  );
  pairs.push([enc.encode("k99999"), enc.encode("dup")], [enc.encode("k99999"), enc.encode("dup")]);
  const run = packRun(pairs);
  assert.equal(sortRun(run), run);
  assert.equal(sortedOrder(run.keys, run.keyOffsets, run.count), null);
  assert.equal(firstOutOfOrder(run.keys, run.keyOffsets, 0, run.count), -1);
  const swapped = packRun([pairs[1], pairs[0], ...pairs.slice(2)]);
  assert.equal(firstOutOfOrder(swapped.keys, swapped.keyOffsets, 0, swapped.count), 1);
});

test("sortedOrder returns a permutation that sorts the keys", () => {
  const pairs = makePairs(3, SHAPES[0][1]);
  const run = packRun(pairs);
  const order = sortedOrder(run.keys, run.keyOffsets, run.count);
  assert.ok(order);
  const seen = new Set(order);
  assert.equal(seen.size, run.count);
  for (let i = 1; i < order.length; i++) assert.ok(compareKeys(runKey(run, order[i - 1]), runKey(run, order[i])) <= 0);
});

test("sorting works on runs whose arenas are views into larger buffers", () => {
  const pairs = makePairs(11, SHAPES[2][1]);
  const run = packRun(pairs, { shared: false });
  // Shift the arenas inside bigger buffers, offsets not starting at 0.
  const keys = new Uint8Array(run.keys.length + 10);
  keys.set(run.keys, 7);
  const ko = new Uint32Array(run.count + 3);
  for (let i = 0; i <= run.count; i++) ko[i + 2] = run.keyOffsets[i];
  const shifted: PackedRun = {
    keys: keys.subarray(7),
    keyOffsets: ko.subarray(2, run.count + 3),
    values: run.values,
    valueOffsets: run.valueOffsets,
    count: run.count,
  };
  checkSorted(pairs, sortRun(shifted), "shifted views");
});

test("a run with prefix ends sorts by grouping prefixes when suffixes are in order, and the usual way when not", () => {
  const rnd = seededRandom(77);
  const enc = new TextEncoder();
  // Keys: a prefix drawn from `groups` values (some longer than others), then a suffix.
  const build = (n: number, groups: number, suffixOf: (i: number) => string, prefixOf = (g: number) => `p${g}|`) => {
    const pairs: Pair[] = [];
    const ends = new Uint32Array(n);
    for (let i = 0; i < n; i++) {
      const prefix = prefixOf(randomInt(rnd, 0, groups - 1));
      pairs.push([enc.encode(`${prefix}${suffixOf(i)}`), enc.encode(`v${i}`)]);
      ends[i] = enc.encode(prefix).length;
    }
    const run = packRun(pairs);
    run.prefixEnds = ends;
    return { pairs, run };
  };
  const ordered = (i: number) => String(i).padStart(7, "0");
  // [label, run, whether grouping applies]
  const cases: Array<[string, ReturnType<typeof build>, boolean]> = [
    ["suffixes in order", build(20_000, 300, ordered), true],
    ["one group", build(5000, 1, ordered), true],
    ["suffixes out of order", build(20_000, 300, () => String(randomInt(rnd, 0, 999_999)).padStart(7, "0")), false],
    ["too many groups", build(20_000, 15_000, ordered), false],
    // "p1" is a proper prefix of "p1x": the two groups' keys would interleave.
    ["a prefix of another", build(9000, 3, ordered, (g) => ["p1", "p1x", "p2"][g]), false],
    ["duplicates", build(8000, 50, (i) => String(i >> 2).padStart(7, "0")), true],
  ];
  for (const [label, { pairs, run }, groups] of cases) {
    const order = prefixOrder(run.keys, run.keyOffsets, run.prefixEnds as Uint32Array, run.count);
    assert.equal(order !== null, groups, `${label}: grouping ${groups ? "applies" : "does not apply"}`);
    const sorted = sortRun(run, false);
    checkSorted(pairs, sorted, label);
    if (sorted !== run) assert.equal(sorted.prefixEnds, undefined, `${label}: a sorted run carries no hint`);
  }
});
