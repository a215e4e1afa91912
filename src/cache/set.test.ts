// Tests of SetValue: seeded random operations against a Set model, SRANDMEMBER/SPOP count
// semantics (positive: distinct, capped at the size; negative: repeats allowed), and uniformity
// of the random picks.

import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { seededRandom } from "../fs/random.js";
import { distinctIndexes, SetValue, scanSlots } from "./set.js";

function runModel(seed: number, steps: number): void {
  const random = seededRandom(seed);
  const int = (lo: number, hi: number) => lo + Math.floor(random() * (hi - lo + 1));
  const member = () => `m${int(0, 300)}${random() < 0.05 ? "\u0000\u00ff" : ""}`;
  const s = new SetValue();
  const m = new Set<string>();
  for (let step = 0; step < steps; step++) {
    const r = random();
    const ctx = `seed ${seed} step ${step}`;
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
}

describe("SetValue against a Set model", () => {
  for (const seed of [1, 2, 3, 4]) it(`seed ${seed}`, () => runModel(seed, 10000));
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
    const s = new SetValue();
    const empty = s.bytes;
    for (let i = 0; i < 1000; i++) s.add(`member-${i}`);
    assert.ok(s.bytes > empty + 1000 * 40);
    const all = s.popRandomMany(5000);
    assert.equal(all.length, 1000);
    assert.equal(s.size, 0);
    assert.equal(s.bytes, empty);
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
