// Tests of SetValue: seeded random operations against a Set model (on the heap and in a slab,
// packed and across the conversion to the hashtable form), SRANDMEMBER/SPOP count semantics (positive: distinct, capped at the size; negative: repeats allowed), and uniformity
// of the random picks.

import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { seededRandom } from "../fs/random.js";
import { distinctIndexes, SetValue, scanSlots } from "./set.js";
import { Slab } from "./slab.js";

type Members = "strings" | "few" | "integers";

/**
 * Random SADD/SREM/SPOP/SRANDMEMBER against a Set. `kind`: "strings" (a pool of 300, so the set
 * leaves the packed form), "few" (a pool of 100: it stays packed), "integers" (a pool of 700
 * integers, with a rare string: packed up to 512 integers, converted by the string or the 513th).
 * With a slab the set lives in it and now and then leaves and comes back, as a key's set does.
 */
function runModel(seed: number, steps: number, kind: Members = "strings", slab?: Slab): void {
  const random = seededRandom(seed);
  const int = (lo: number, hi: number) => lo + Math.floor(random() * (hi - lo + 1));
  const member = (): string => {
    if (kind === "integers") return random() < 0.002 ? "x" : String(int(-350, 350));
    return `m${int(0, kind === "few" ? 100 : 300)}${random() < 0.05 ? "\u0000\u00ff" : ""}`;
  };
  const s = new SetValue();
  const m = new Set<string>();
  let packed = true;
  if (slab) s.attach(slab);
  for (let step = 0; step < steps; step++) {
    const r = random();
    const ctx = `seed ${seed} step ${step}`;
    if (slab) {
      // One block while packed, none after the conversion, which is for good.
      if (slab.liveBlocks === 0) packed = false;
      assert.equal(slab.liveBlocks, packed ? 1 : 0, ctx);
      if (random() < 0.01) {
        s.detach();
        assert.equal(slab.liveBlocks, 0, ctx);
        s.attach(slab);
      }
    }
    if (r < 0.4) {
      const k = member();
      assert.equal(s.add(k), !m.has(k), ctx);
      m.add(k);
    } else if (r < 0.65) {
      const k = member();
      assert.equal(s.remove(k), m.delete(k), ctx);
    } else if (r < 0.75) {
      const k = member();
      assert.equal(s.has(k), m.has(k), ctx);
    } else if (r < 0.82) {
      const k = s.popRandom(random);
      if (m.size === 0) assert.equal(k, undefined, ctx);
      else {
        assert.ok(k !== undefined && m.has(k), ctx);
        m.delete(k);
      }
    } else if (r < 0.85) {
      const count = int(0, 8);
      const got = s.popRandomMany(count, random);
      assert.equal(got.length, Math.min(count, m.size), ctx);
      assert.equal(new Set(got).size, got.length, ctx);
      for (const k of got) assert.ok(m.delete(k), ctx);
    } else {
      const count = int(-10, m.size + 5);
      const got = s.randomMembers(count, random);
      for (const k of got) assert.ok(m.has(k), ctx);
      if (count >= 0) {
        assert.equal(got.length, Math.min(count, m.size), ctx);
        assert.equal(new Set(got).size, got.length, ctx);
      } else assert.equal(got.length, m.size === 0 ? 0 : -count, ctx);
    }
    assert.equal(s.size, m.size, ctx);
    if (step % 97 === 0) assert.deepEqual(new Set(s), m, ctx);
  }
  assert.deepEqual(new Set(s.members()), m);
  if (kind === "few") assert.equal(slab?.liveBlocks ?? 1, 1, "a small set stays packed");
  const c = s.clone();
  assert.deepEqual(c.members(), s.members());
  if (slab) {
    s.clear();
    s.detach();
    assert.equal(slab.bytesInUse, 0);
  }
}

describe("SetValue against a Set model", () => {
  for (const seed of [1, 2, 3, 4]) it(`seed ${seed}`, () => runModel(seed, 10000));
  for (const seed of [5, 6]) it(`seed ${seed}, in a slab`, () => runModel(seed, 10000, "strings", new Slab()));
  for (const seed of [7, 8]) it(`seed ${seed}, small, in a slab`, () => runModel(seed, 10000, "few", new Slab()));
  for (const seed of [9, 10])
    it(`seed ${seed}, integers, in a slab`, () => runModel(seed, 10000, "integers", new Slab()));
});

describe("SetValue packed form", () => {
  it("stays packed up to 128 members of up to 64 bytes, or 512 integers, then converts for good", () => {
    const slab = new Slab();
    const strings = new SetValue();
    strings.attach(slab);
    for (let i = 0; i < 128; i++) strings.add(`member-${i}`);
    assert.equal(slab.liveBlocks, 1);
    strings.add("member-128");
    assert.equal(slab.liveBlocks, 0);
    strings.remove("member-128");
    strings.remove("member-127");
    assert.equal(slab.liveBlocks, 0);
    assert.equal(strings.size, 127);

    const ints = new SetValue();
    ints.attach(slab);
    for (let i = 0; i < 512; i++) ints.add(String(i * 7 - 1000));
    assert.equal(slab.liveBlocks, 1);
    assert.equal(ints.has("-1000"), true);
    assert.equal(ints.has("-0"), false);
    ints.add("0512"); // not an integer as an intset holds one
    assert.equal(slab.liveBlocks, 0);

    const long = new SetValue(["a"]);
    long.attach(slab);
    long.add("x".repeat(64));
    assert.equal(slab.liveBlocks, 1);
    long.add("y".repeat(65));
    assert.equal(slab.liveBlocks, 0);
    assert.deepEqual(long.members(), ["a", "x".repeat(64), "y".repeat(65)]);
  });

  it("keeps slot order: appends, and a removal closes the gap", () => {
    const s = new SetValue(["a", "b", "c", "d"]);
    s.remove("b");
    s.add("e");
    assert.deepEqual(s.members(), ["a", "c", "d", "e"]);
    assert.equal(
      s.popRandom(() => 0.3),
      "c",
    );
    assert.deepEqual(s.members(), ["a", "d", "e"]);
  });
});

describe("SetValue random selection", () => {
  it("picks members uniformly", () => {
    const random = seededRandom(5);
    const s = new SetValue(Array.from({ length: 20 }, (_, i) => `m${i}`));
    s.remove("m3"); // a swap-remove must not bias the picks
    s.add("m3");
    const counts = new Map<string, number>();
    const draws = 200_000;
    for (let i = 0; i < draws; i++) {
      const k = s.randomMember(random)!;
      counts.set(k, (counts.get(k) ?? 0) + 1);
    }
    assert.equal(counts.size, 20);
    for (const [, c] of counts) assert.ok(Math.abs(c - draws / 20) < draws / 20 / 10, `count ${c}`);
  });

  it("follows SRANDMEMBER's count rules", () => {
    const s = new SetValue(["a", "b", "c"]);
    assert.deepEqual(s.randomMembers(0), []);
    assert.deepEqual(new Set(s.randomMembers(5)), new Set(["a", "b", "c"])); // whole set
    assert.equal(s.randomMembers(2).length, 2);
    assert.equal(s.randomMembers(-7).length, 7); // repeats allowed
    assert.deepEqual(new SetValue().randomMembers(-3), []);
    assert.equal(new SetValue().randomMember(), undefined);
    assert.equal(new SetValue().popRandom(), undefined);
  });

  it("draws distinct indexes in both of Redis's regimes", () => {
    const random = seededRandom(9);
    for (const [n, count] of [
      [10, 9],
      [1000, 10],
      [1000, 500],
      [2, 1],
    ]) {
      const idx = distinctIndexes(n, count, random);
      assert.equal(idx.length, count);
      assert.equal(new Set(idx).size, count);
      for (const i of idx) assert.ok(i >= 0 && i < n && Number.isInteger(i));
    }
  });

  it("pops everything when the count covers the set, and accounts bytes", () => {
    const slab = new Slab();
    const s = new SetValue();
    s.attach(slab);
    const inSlab = s.bytes;
    for (let i = 0; i < 100; i++) s.add(`member-${i}`);
    assert.equal(s.bytes, inSlab);
    assert.ok(slab.bytesInUse > 100 * 10);
    for (let i = 100; i < 1000; i++) s.add(`member-${i}`);
    assert.equal(slab.bytesInUse, 0);
    const big = s.bytes;
    assert.ok(big > inSlab + 1000 * 40);
    const all = s.popRandomMany(5000);
    assert.equal(all.length, 1000);
    assert.equal(s.size, 0);
    assert.ok(s.bytes < big - 1000 * 40);
  });
});

describe("SetValue scan", () => {
  it("visits every member present throughout, while members come and go", () => {
    for (const seed of [1, 2, 3, 4, 5, 6]) {
      const random = seededRandom(seed);
      const int = (lo: number, hi: number) => lo + Math.floor(random() * (hi - lo + 1));
      const s = new SetValue();
      for (let i = 0; i < 500; i++) s.add(`m${int(0, 800)}`);
      const before = new Set(s);
      const removed = new Set<string>();
      const seen = new Set<string>();
      let cursor = 0;
      let calls = 0;
      do {
        cursor = s.scan(cursor, int(1, 40), (m) => seen.add(m));
        calls++;
        for (let k = int(0, 30); k > 0; k--) {
          const m = `m${int(0, 1200)}`;
          if (random() < 0.5) {
            if (s.remove(m)) removed.add(m);
          } else s.add(m);
        }
      } while (cursor !== 0 && calls < 10_000);
      assert.equal(cursor, 0, `seed ${seed}`);
      for (const m of before) if (!removed.has(m)) assert.ok(seen.has(m), `seed ${seed}: ${m} missed`);
    }
  });

  it("walks slots from the top down and ends with cursor 0", () => {
    const visited: number[] = [];
    const slots = ["a", "b", "c", "d", "e"];
    let cursor = scanSlots(slots, 0, 2, (_m, i) => visited.push(i));
    assert.equal(cursor, 3);
    cursor = scanSlots(slots, cursor, 2, (_m, i) => visited.push(i));
    assert.equal(cursor, 1);
    cursor = scanSlots(slots, cursor, 2, (_m, i) => visited.push(i));
    assert.equal(cursor, 0);
    assert.deepEqual(visited, [4, 3, 2, 1, 0]);
    assert.equal(
      scanSlots([], 0, 10, () => assert.fail()),
      0,
    );
    assert.equal(
      scanSlots(["x"], 99, 10, () => {}),
      0,
    ); // a cursor past the end restarts at the top
  });
});
