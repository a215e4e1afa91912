// Tests of SortedSet: seeded random operations against a naive sorted-array model (mixed scores,
// and equal scores for the lex operations), the range semantics confirmed on redis-server 7.0.15,
// and a 200k-member set exercising many chunks.

import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { seededRandom } from "../fs/random.js";
import { parseLexBoundStr, parseScoreRangeStr, resolveRange } from "./numbers.js";
import { Slab } from "./slab.js";
import { type LexBound, type LexRange, type ScoreRange, SortedSet, type ZEntry } from "./zset.js";

type E = { member: string; score: number };

function cmp(a: E, b: E): number {
  if (a.score !== b.score) return a.score < b.score ? -1 : 1;
  return a.member < b.member ? -1 : a.member > b.member ? 1 : 0;
}

/** The obvious model: a sorted array, every operation O(n). */
class Model {
  items: E[] = [];
  add(member: string, score: number): number | undefined {
    const i = this.items.findIndex((e) => e.member === member);
    const old = i >= 0 ? this.items[i].score : undefined;
    if (i >= 0) this.items.splice(i, 1);
    this.items.push({ member, score });
    this.items.sort(cmp);
    return old;
  }
  remove(member: string): boolean {
    const i = this.items.findIndex((e) => e.member === member);
    if (i < 0) return false;
    this.items.splice(i, 1);
    return true;
  }
  inScore(e: E, r: ScoreRange): boolean {
    return (r.minEx ? e.score > r.min : e.score >= r.min) && (r.maxEx ? e.score < r.max : e.score <= r.max);
  }
  inLex(e: E, r: LexRange): boolean {
    const geMin = (b: LexBound) =>
      b.kind === "-" ? true : b.kind === "+" ? false : b.kind === "[" ? e.member >= b.value : e.member > b.value;
    const leMax = (b: LexBound) =>
      b.kind === "+" ? true : b.kind === "-" ? false : b.kind === "[" ? e.member <= b.value : e.member < b.value;
    return geMin(r.min) && leMax(r.max);
  }
}

function collect(fn: (visit: (m: string, s: number) => void) => void): E[] {
  const out: E[] = [];
  fn((member, score) => out.push({ member, score }));
  return out;
}

/**
 * Random operations against the model. `maxChunk` starts the set in the skiplist form with chunks
 * that small; without it the set starts packed and converts once it holds more than 128 members
 * (a pool of 400) or never (a pool of 100). With a slab the packed set lives in it, now and then
 * leaves and comes back (as a key's set does), and scores include -0, huge and fractional ones.
 */
function runModel(
  seed: number,
  steps: number,
  equalScores: boolean,
  maxChunk?: number,
  memberPool = 400,
  slab?: Slab,
): void {
  const random = seededRandom(seed);
  const int = (lo: number, hi: number) => lo + Math.floor(random() * (hi - lo + 1));
  const z = new SortedSet(maxChunk);
  const m = new Model();
  if (slab) z.attach(slab);
  let packed = maxChunk === undefined;
  // Whether a ZSCAN went by steps (which moves a packed set to the skiplist form).
  let stepped = false;
  const member = () => {
    const n = int(0, memberPool);
    // Include bytes above 0x7f and a NUL so ordering is checked bytewise.
    return n % 37 === 0 ? `\u00ff${n}` : n % 41 === 0 ? `m\u0000${n}` : `m${n}`;
  };
  const scoreValues = [-Infinity, -2.5, -1, 0, 0, 1, 1, 2, 3.75, 10, Infinity];
  if (slab) scoreValues.push(-0, 2 ** 51, -(2 ** 51), 2 ** 51 + 2, 2 ** 53, -(2 ** 60), 1e300, 5e-324, 1000000);
  const score = () =>
    equalScores ? 0 : random() < 0.7 ? scoreValues[int(0, scoreValues.length - 1)] : random() * 20 - 10;
  const bound = (): number => (random() < 0.8 ? scoreValues[int(0, scoreValues.length - 1)] : random() * 20 - 10);
  const scoreRange = (): ScoreRange => ({ min: bound(), minEx: random() < 0.5, max: bound(), maxEx: random() < 0.5 });
  const lexBound = (): LexBound => {
    const r = random();
    if (r < 0.1) return { kind: "-" };
    if (r < 0.2) return { kind: "+" };
    return { kind: random() < 0.5 ? "[" : "(", value: random() < 0.5 ? member() : `m${int(0, 9)}` };
  };
  const lexRange = (): LexRange => ({ min: lexBound(), max: lexBound() });
  const ops: [string, number][] = [
    ["add", 40],
    ["remove", 12],
    ["rank", 6],
    ["at", 4],
    ["rangeByRank", 6],
    ["count", 6],
    ["rangeByScore", 6],
    ["deleteRange", equalScores ? 3 : 1],
    ["pop", 6],
    ["random", 2],
    ["scan", 1],
  ];
  const total = ops.reduce((a, [, w]) => a + w, 0);
  for (let step = 0; step < steps; step++) {
    let r = random() * total;
    let op = ops[0][0];
    for (const [name, w] of ops) {
      r -= w;
      if (r < 0) {
        op = name;
        break;
      }
    }
    const n = m.items.length;
    const ctx = `seed ${seed} step ${step} op ${op}`;
    switch (op) {
      case "add": {
        const k = member();
        const s = score();
        assert.equal(z.add(k, s), m.add(k, s), ctx);
        break;
      }
      case "remove": {
        const k = member();
        assert.equal(z.remove(k), m.remove(k), ctx);
        break;
      }
      case "rank": {
        const k = member();
        const i = m.items.findIndex((e) => e.member === k);
        assert.equal(z.rank(k), i < 0 ? undefined : i, ctx);
        assert.equal(z.rank(k, true), i < 0 ? undefined : n - 1 - i, ctx);
        assert.equal(z.score(k), i < 0 ? undefined : m.items[i].score, ctx);
        break;
      }
      case "at": {
        const i = int(-1, n);
        assert.deepEqual(z.at(i), m.items[i], ctx);
        break;
      }
      case "rangeByRank": {
        const range = resolveRange(int(-n - 2, n + 2), int(-n - 2, n + 2), n);
        const reverse = random() < 0.5;
        const got = range === null ? [] : collect((v) => z.rangeByRank(range[0], range[1], reverse, v));
        const src = reverse ? [...m.items].reverse() : m.items;
        const want = range === null ? [] : src.slice(range[0], range[1] + 1);
        assert.deepEqual(got, want, ctx);
        break;
      }
      case "count": {
        const sr = scoreRange();
        assert.equal(
          z.countByScore(sr),
          m.items.filter((e) => m.inScore(e, sr)).length,
          `${ctx} ${JSON.stringify(sr)}`,
        );
        if (equalScores) {
          const lr = lexRange();
          assert.equal(z.countByLex(lr), m.items.filter((e) => m.inLex(e, lr)).length, `${ctx} ${JSON.stringify(lr)}`);
        }
        break;
      }
      case "rangeByScore": {
        const reverse = random() < 0.5;
        const offset = random() < 0.2 ? -1 : int(0, 5);
        const limit = random() < 0.3 ? -1 : int(0, 20);
        const src = reverse ? [...m.items].reverse() : m.items;
        const pick = (matches: E[]) =>
          offset < 0 ? [] : matches.slice(offset, limit < 0 ? undefined : offset + limit);
        const sr = scoreRange();
        let got = collect((v) => z.rangeByScore(sr, reverse, offset, limit, v));
        assert.deepEqual(got, pick(src.filter((e) => m.inScore(e, sr))), `${ctx} ${JSON.stringify(sr)}`);
        if (equalScores) {
          const lr = lexRange();
          got = collect((v) => z.rangeByLex(lr, reverse, offset, limit, v));
          assert.deepEqual(got, pick(src.filter((e) => m.inLex(e, lr))), `${ctx} ${JSON.stringify(lr)}`);
        }
        break;
      }
      case "deleteRange": {
        const kind = int(0, equalScores ? 2 : 1);
        if (kind === 0) {
          const range = resolveRange(int(-n, n), int(-n, n), n);
          const want = range === null ? 0 : range[1] - range[0] + 1;
          assert.equal(range === null ? 0 : z.deleteRangeByRank(range[0], range[1]), want, ctx);
          if (range) m.items.splice(range[0], want);
        } else if (kind === 1) {
          const sr = scoreRange();
          const keep = m.items.filter((e) => !m.inScore(e, sr));
          assert.equal(z.deleteRangeByScore(sr), n - keep.length, ctx);
          m.items = keep;
        } else {
          const lr = lexRange();
          const keep = m.items.filter((e) => !m.inLex(e, lr));
          assert.equal(z.deleteRangeByLex(lr), n - keep.length, ctx);
          m.items = keep;
        }
        break;
      }
      case "pop": {
        if (random() < 0.5) assert.deepEqual(z.popMin(), m.items.shift(), ctx);
        else assert.deepEqual(z.popMax(), m.items.pop(), ctx);
        break;
      }
      case "scan": {
        // A whole scan with changes between steps: members present throughout are all visited
        // with their current scores.
        const before = new Set(m.items.map((e) => e.member));
        const touched = new Set<string>();
        const seen = new Map<string, number>();
        let cursor = 0;
        do {
          // A small set is mostly scanned whole: a scan by steps ends its packed form.
          const count = memberPool <= 128 && random() < 0.98 ? 200 : int(1, 50);
          if (count < z.size) stepped = true;
          cursor = z.scan(cursor, count, (k, sc) => seen.set(k, sc));
          for (let j = int(0, 3); j > 0; j--) {
            const k = member();
            touched.add(k);
            if (random() < 0.5) assert.equal(z.remove(k), m.remove(k), ctx);
            else {
              const sc = score();
              assert.equal(z.add(k, sc), m.add(k, sc), ctx);
            }
          }
        } while (cursor !== 0);
        for (const k of before) if (!touched.has(k)) assert.equal(seen.get(k), z.score(k), `${ctx} ${k}`);
        break;
      }
      case "random": {
        const count = int(-5, n + 3);
        const got = z.randomEntries(count, random);
        const byMember = new Map(m.items.map((e) => [e.member, e.score]));
        for (const e of got) assert.equal(byMember.get(e.member), e.score, ctx);
        if (count >= 0) {
          assert.equal(got.length, Math.min(count, n), ctx);
          assert.equal(new Set(got.map((e) => e.member)).size, got.length, ctx);
        } else assert.equal(got.length, n === 0 ? 0 : -count, ctx);
        break;
      }
    }
    assert.equal(z.size, m.items.length, ctx);
    if (step % 97 === 0) {
      z.checkInvariants();
      assert.deepEqual([...z.entries()], m.items, ctx);
    }
    if (slab) {
      if (slab.liveBlocks === 0) packed = false;
      assert.equal(slab.liveBlocks, packed ? 1 : 0, ctx);
      if (random() < 0.01) {
        z.detach();
        assert.equal(slab.liveBlocks, 0, ctx);
        z.attach(slab);
      }
    }
  }
  z.checkInvariants();
  assert.deepEqual([...z.entries()], m.items);
  if (memberPool <= 128 && maxChunk === undefined) assert.ok(packed || stepped, "a small set stays packed");
  if (slab) {
    z.deleteRangeByRank(0, z.size - 1);
    z.detach();
    assert.equal(slab.bytesInUse, 0);
  }
}

describe("SortedSet against a model", () => {
  for (const seed of [1, 2]) {
    it(`mixed scores, seed ${seed}`, () => runModel(seed, 6000, false));
  }
  for (const [seed, chunk] of [
    [3, 4],
    [4, 8],
    [5, 16],
  ]) {
    it(`mixed scores, seed ${seed}, chunks of ${chunk}`, () => runModel(seed, 6000, false, chunk));
  }
  for (const [seed, chunk] of [
    [11, 128],
    [12, 4],
    [13, 8],
  ]) {
    it(`equal scores with lex ranges, seed ${seed}, chunks of ${chunk}`, () => runModel(seed, 6000, true, chunk));
  }
  for (const seed of [21, 22]) {
    it(`mixed scores, seed ${seed}, in a slab`, () => runModel(seed, 6000, false, undefined, 400, new Slab()));
    it(`mixed scores, seed ${seed}, small, in a slab`, () => runModel(seed, 6000, false, undefined, 100, new Slab()));
    it(`equal scores, seed ${seed}, small, in a slab`, () => runModel(seed, 6000, true, undefined, 100, new Slab()));
  }
});

describe("SortedSet packed form", () => {
  it("converts past 128 members or a member over 64 bytes, for good", () => {
    const slab = new Slab();
    const z = new SortedSet();
    z.attach(slab);
    for (let i = 0; i < 128; i++) z.add(`m${i}`, i % 10);
    assert.equal(slab.liveBlocks, 1);
    assert.equal(z.add("m0", 5), 0); // a rescore is no new member
    assert.equal(slab.liveBlocks, 1);
    z.add("m128", 1);
    assert.equal(slab.liveBlocks, 0);
    z.deleteRangeByRank(0, 120);
    assert.equal(slab.liveBlocks, 0);
    const long = new SortedSet();
    long.attach(slab);
    long.add("x".repeat(64), 1);
    assert.equal(slab.liveBlocks, 1);
    long.add("y".repeat(65), 1);
    assert.equal(slab.liveBlocks, 0);
    assert.deepEqual(
      [...long.entries()].map((e) => e.member.length),
      [64, 65],
    );
  });

  it("keeps small integer scores in a byte and others exactly", () => {
    const slab = new Slab();
    const z = new SortedSet();
    z.attach(slab);
    for (let i = 0; i < 40; i++) z.add(`k${i}`, i - 20);
    // 40 entries of 1 (score) + 1 (length) + 2-3 bytes, and the header: one small block.
    assert.ok(slab.bytesInUse <= 6 + 40 * 5, `${slab.bytesInUse}`);
    const odd = [-0, 0.1, -(2 ** 51), 2 ** 51, 2 ** 51 + 2, 2 ** 53 + 2, -1e308, Number.MIN_VALUE];
    for (let i = 0; i < odd.length; i++) z.add(`o${i}`, odd[i]);
    for (let i = 0; i < odd.length; i++) assert.ok(Object.is(z.score(`o${i}`), odd[i]), `score ${odd[i]}`);
    z.checkInvariants();
  });

  it("ZSCAN: a packed set whole when the count covers it, else by steps in the skiplist form", () => {
    const slab = new Slab();
    const z = new SortedSet();
    z.attach(slab);
    for (let i = 0; i < 10; i++) z.add(`m${i}`, i);
    const seen: string[] = [];
    assert.equal(
      z.scan(0, 10, (m) => seen.push(m)),
      0,
    );
    assert.equal(seen.length, 10);
    assert.equal(slab.liveBlocks, 1);
    const steps: string[] = [];
    let cursor = z.scan(0, 3, (m) => steps.push(m));
    assert.notEqual(cursor, 0);
    assert.equal(slab.liveBlocks, 0);
    while (cursor !== 0) cursor = z.scan(cursor, 3, (m) => steps.push(m));
    assert.deepEqual(steps.sort(), seen.sort());
  });
});

describe("SortedSet semantics confirmed on redis-server", () => {
  const entries = (z: SortedSet) => [...z.entries()].map((e) => e.member);
  const visit = (fn: (v: (m: string, s: number) => void) => void) => collect(fn).map((e) => e.member);

  it("orders equal scores by member bytes", () => {
    const z = new SortedSet();
    for (const m of ["b", "a", "\u00ff", "A", "", "a\u0000"]) z.add(m, 1);
    z.add("low", -Infinity);
    z.add("high", Infinity);
    assert.deepEqual(entries(z), ["low", "", "A", "a", "a\u0000", "b", "\u00ff", "high"]);
  });

  it("reports new members and previous scores", () => {
    const z = new SortedSet();
    assert.equal(z.add("a", 1), undefined);
    assert.equal(z.add("a", 1), 1);
    assert.equal(z.add("a", 2), 1);
    assert.equal(z.score("a"), 2);
    assert.equal(z.add("b", 0), undefined);
    assert.equal(z.add("b", -0), 0); // a sign change is stored (the skiplist replies "-0")
    assert.ok(Object.is(z.score("b"), -0));
    assert.equal(z.remove("a"), true);
    assert.equal(z.remove("a"), false);
  });

  it("ranges by score with LIMIT like ZRANGEBYSCORE / ZREVRANGEBYSCORE", () => {
    // ZADD z 1 a 2 b 3 c 4 d
    const z = new SortedSet();
    for (const [m, s] of [
      ["a", 1],
      ["b", 2],
      ["c", 3],
      ["d", 4],
    ] as const)
      z.add(m, s);
    const all = parseScoreRangeStr("-inf", "+inf")!;
    assert.deepEqual(
      visit((v) => z.rangeByScore(all, false, -1, 2, v)),
      [],
    ); // LIMIT -1 2
    assert.deepEqual(
      visit((v) => z.rangeByScore(all, false, 1, -1, v)),
      ["b", "c", "d"],
    ); // LIMIT 1 -1
    assert.deepEqual(
      visit((v) => z.rangeByScore(all, false, 1, -5, v)),
      ["b", "c", "d"],
    ); // LIMIT 1 -5
    assert.deepEqual(
      visit((v) => z.rangeByScore(all, true, 1, 2, v)),
      ["c", "b"],
    ); // ZREVRANGEBYSCORE z +inf -inf LIMIT 1 2
    assert.equal(z.countByScore(parseScoreRangeStr("(1", "(1")!), 0);
    assert.equal(z.countByScore(parseScoreRangeStr("1", "1")!), 1);
    assert.equal(z.countByScore(parseScoreRangeStr("5", "1")!), 0);
  });

  it("counts like ZCOUNT with loose bounds", () => {
    // ZADD z 0 a 1 b 2 c 1.5 d -1 e
    const z = new SortedSet();
    for (const [m, s] of [
      ["a", 0],
      ["b", 1],
      ["c", 2],
      ["d", 1.5],
      ["e", -1],
    ] as const)
      z.add(m, s);
    const rows: [string, string[], number][] = [
      // [bound, ZRANGEBYSCORE z <bound> +inf, ZCOUNT z -inf <bound>]
      ["(", ["b", "d", "c"], 1],
      ["", ["a", "b", "d", "c"], 2],
      [" 1", ["b", "d", "c"], 3],
      ["(1", ["d", "c"], 2],
      ["1e400", [], 5],
      ["-inf", ["e", "a", "b", "d", "c"], 0],
      ["1e-400", ["a", "b", "d", "c"], 2],
      ["(1.5", ["c"], 3],
    ];
    for (const [b, above, below] of rows) {
      assert.deepEqual(
        visit((v) => z.rangeByScore(parseScoreRangeStr(b, "+inf")!, false, 0, -1, v)),
        above,
        b,
      );
      assert.equal(z.countByScore(parseScoreRangeStr("-inf", b)!), below, b);
    }
  });

  it("counts like ZLEXCOUNT and ranges like ZRANGEBYLEX", () => {
    // ZADD l 0 a 0 b 0 c 0 "" 0 ab
    const z = new SortedSet();
    for (const m of ["a", "b", "c", "", "ab"]) z.add(m, 0);
    const lex = (min: string, max: string): LexRange => ({ min: parseLexBoundStr(min)!, max: parseLexBoundStr(max)! });
    const rows: [string, string[], number][] = [
      // [item, ZRANGEBYLEX l <item> +, ZLEXCOUNT l - <item>]
      ["-", ["", "a", "ab", "b", "c"], 0],
      ["+", [], 5],
      ["[", ["", "a", "ab", "b", "c"], 1],
      ["(", ["a", "ab", "b", "c"], 0],
      ["[b", ["b", "c"], 4],
      ["(b", ["c"], 3],
      ["[-", ["a", "ab", "b", "c"], 1],
    ];
    for (const [b, above, below] of rows) {
      assert.deepEqual(
        visit((v) => z.rangeByLex(lex(b, "+"), false, 0, -1, v)),
        above,
        b,
      );
      assert.equal(z.countByLex(lex("-", b)), below, b);
    }
    assert.deepEqual(
      visit((v) => z.rangeByLex(lex("[a\u0000", "+"), false, 0, -1, v)),
      ["ab", "b", "c"],
    );
    assert.deepEqual(
      visit((v) => z.rangeByLex(lex("+", "-"), true, 1, 1, v)),
      [],
    );
    assert.deepEqual(
      visit((v) => z.rangeByLex(lex("-", "+"), true, 1, 1, v)),
      ["b"],
    ); // ZREVRANGEBYLEX z + - LIMIT 1 1 (on a b c d: c; here: b)
  });

  it("pops, deletes ranges and handles the empty set", () => {
    const z = new SortedSet();
    assert.equal(z.popMin(), undefined);
    assert.equal(z.popMax(), undefined);
    assert.equal(z.randomEntry(), undefined);
    assert.deepEqual(z.randomEntries(5), []);
    assert.equal(z.rank("x"), undefined);
    assert.equal(z.countByScore(parseScoreRangeStr("-inf", "+inf")!), 0);
    assert.equal(z.deleteRangeByRank(0, 10), 0);
    for (let i = 0; i < 10; i++) z.add(`m${i}`, i);
    assert.deepEqual(z.popMin(), { member: "m0", score: 0 });
    assert.deepEqual(z.popMax(), { member: "m9", score: 9 });
    assert.equal(z.deleteRangeByScore(parseScoreRangeStr("(2", "4")!), 2);
    assert.equal(z.deleteRangeByLex({ min: { kind: "[", value: "m5" }, max: { kind: "(", value: "m7" } }), 2);
    assert.deepEqual(entries(z), ["m1", "m2", "m7", "m8"]);
    assert.equal(z.deleteRangeByRank(0, 3), 4);
    assert.equal(z.size, 0);
    z.checkInvariants();
  });
});

describe("SortedSet at scale", () => {
  it("holds 200k members with O(log n) rank, counts and range starts", () => {
    const random = seededRandom(99);
    const z = new SortedSet();
    const n = 200_000;
    const scores = new Float64Array(n);
    for (let i = 0; i < n; i++) {
      scores[i] = Math.floor(random() * 1e6) / 8;
      z.add(`member:${i}`, scores[i]);
    }
    assert.equal(z.size, n);
    z.checkInvariants();
    const sorted = Array.from(scores.keys()).sort(
      (a, b) => scores[a] - scores[b] || (`member:${a}` < `member:${b}` ? -1 : 1),
    );
    for (let k = 0; k < 2000; k++) {
      const r = Math.floor(random() * n);
      const i = sorted[r];
      assert.equal(z.rank(`member:${i}`), r);
      assert.deepEqual(z.at(r), { member: `member:${i}`, score: scores[i] });
    }
    const sortedScores = sorted.map((i) => scores[i]);
    for (let k = 0; k < 100; k++) {
      const lo = random() * 125_000;
      const hi = lo + random() * 20_000;
      const want = sortedScores.filter((s) => s >= lo && s < hi).length;
      assert.equal(z.countByScore({ min: lo, minEx: false, max: hi, maxEx: true }), want);
    }
    const window = collect((v) => z.rangeByRank(150_000, 150_009, true, v));
    assert.deepEqual(
      window.map((e) => e.member),
      sorted
        .slice(n - 1 - 150_009, n - 1 - 150_000 + 1)
        .reverse()
        .map((i) => `member:${i}`),
    );
    // Remove a large middle slice, then every third member, then update every fifth score.
    assert.equal(z.deleteRangeByRank(50_000, 149_999), 100_000);
    let left = n - 100_000;
    for (let r = 0; r < n; r += 3) {
      const i = sorted[r];
      if (r < 50_000 || r >= 150_000) {
        assert.equal(z.remove(`member:${i}`), true);
        left--;
      }
    }
    assert.equal(z.size, left);
    for (const e of [...z.entries()].filter((_, k) => k % 5 === 0)) z.add(e.member, -e.score);
    z.checkInvariants();
    let prev: ZEntry | undefined;
    for (const e of z.entries()) {
      if (prev) assert.ok(prev.score < e.score || (prev.score === e.score && prev.member < e.member));
      prev = e;
    }
    assert.ok(z.bytes > left * 50);
  });

  it("keeps chunks full under ascending appends", () => {
    const z = new SortedSet();
    for (let i = 0; i < 100_000; i++) z.add(`k${String(i).padStart(6, "0")}`, i);
    z.checkInvariants();
    const perMember = z.bytes / z.size;
    assert.ok(perMember < 110, `bytes per member ${perMember}`);
    assert.equal(z.rank("k099999"), 99_999);
    while (z.size > 0) z.popMin();
    z.checkInvariants();
  });
});
