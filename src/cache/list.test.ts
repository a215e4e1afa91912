// Tests of ListValue: seeded random operations against an array model (packed in a slab, across
// the conversion to the ring, ring wrap-around, growth and shrinking included), and LPOS/LREM/LTRIM/LINSERT semantics confirmed on redis-server 7.0.15.

import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { seededRandom } from "../fs/random.js";
import { ListValue } from "./list.js";
import { resolveRange } from "./numbers.js";
import { Slab } from "./slab.js";

/** LPOS on an array, written straight from the Redis documentation. */
function modelPositions(items: string[], v: string, rank: number, count: number, maxlen: number): number[] {
  const out: number[] = [];
  const order = items.map((_, i) => i);
  if (rank < 0) order.reverse();
  const limit = maxlen === 0 ? order.length : Math.min(maxlen, order.length);
  let matches = 0;
  for (let k = 0; k < limit; k++) {
    const i = order[k];
    if (items[i] !== v) continue;
    matches++;
    if (matches >= Math.abs(rank)) {
      out.push(i);
      if (count !== 0 && out.length === count) break;
    }
  }
  return out;
}

function modelRemove(items: string[], v: string, count: number): number {
  let limit = count === 0 ? Infinity : Math.abs(count);
  let removed = 0;
  if (count >= 0) {
    for (let i = 0; i < items.length && limit > 0; ) {
      if (items[i] === v) {
        items.splice(i, 1);
        removed++;
        limit--;
      } else i++;
    }
  } else {
    for (let i = items.length - 1; i >= 0 && limit > 0; i--) {
      if (items[i] === v) {
        items.splice(i, 1);
        removed++;
        limit--;
      }
    }
  }
  return removed;
}

/**
 * Random list operations against an array. `pad`: bytes added to half of the values, so the list
 * outgrows the packed form's 8 KiB (0: it stays packed). With a slab the list lives in it and now
 * and then leaves and comes back, as a key's list does.
 */
function runModel(seed: number, steps: number, pad = 0, slab?: Slab): void {
  const random = seededRandom(seed);
  const int = (lo: number, hi: number) => lo + Math.floor(random() * (hi - lo + 1));
  const padding = "p".repeat(pad);
  const value = () => `v${int(0, 12)}${random() < 0.1 ? "\u00ff" : ""}${pad > 0 && random() < 0.5 ? padding : ""}`;
  const l = new ListValue();
  let m: string[] = [];
  let packed = true;
  if (slab) l.attach(slab);
  // Phases bias toward growth then shrinkage so the ring resizes both ways.
  for (let step = 0; step < steps; step++) {
    const growing = Math.floor(step / 1500) % 2 === 0;
    const r = random();
    const n = m.length;
    const ctx = `seed ${seed} step ${step}`;
    if (r < (growing ? 0.3 : 0.1)) {
      const v = value();
      assert.equal(l.pushBack(v), m.push(v), ctx);
    } else if (r < (growing ? 0.55 : 0.2)) {
      const v = value();
      m.unshift(v);
      assert.equal(l.pushFront(v), m.length, ctx);
    } else if (r < 0.35) {
      assert.equal(l.popFront(), m.shift(), ctx);
    } else if (r < 0.5) {
      assert.equal(l.popBack(), m.pop(), ctx);
    } else if (r < 0.55) {
      const i = int(-n - 2, n + 2);
      assert.equal(l.get(i), i < 0 ? m[n + i] : m[i], ctx);
    } else if (r < 0.6) {
      const i = int(-n - 2, n + 2);
      const v = value();
      const j = i < 0 ? n + i : i;
      const ok = j >= 0 && j < n;
      assert.equal(l.set(i, v), ok, ctx);
      if (ok) m[j] = v;
    } else if (r < 0.66) {
      const pivot = value();
      const v = value();
      const after = random() < 0.5;
      const i = m.indexOf(pivot);
      assert.equal(l.insert(pivot, v, after), i >= 0, ctx);
      if (i >= 0) m.splice(after ? i + 1 : i, 0, v);
    } else if (r < 0.7) {
      const i = int(0, n);
      const v = value();
      l.insertAt(i, v);
      m.splice(i, 0, v);
    } else if (r < 0.74) {
      if (n > 0) {
        const i = int(0, n - 1);
        assert.equal(l.removeAt(i), m.splice(i, 1)[0], ctx);
      }
    } else if (r < 0.79) {
      const v = value();
      const count = int(-3, 3);
      assert.equal(l.remove(v, count), modelRemove(m, v, count), ctx);
    } else if (r < (growing ? 0.8 : 0.84)) {
      const range = resolveRange(int(-n - 2, n + 2), int(-n - 2, n + 2), n);
      if (range === null) {
        l.clear();
        m = [];
      } else {
        l.trim(range[0], range[1]);
        m = m.slice(range[0], range[1] + 1);
      }
    } else if (r < 0.9) {
      const range = resolveRange(int(-n - 2, n + 2), int(-n - 2, n + 2), n);
      const want = range === null ? [] : m.slice(range[0], range[1] + 1);
      if (range !== null) {
        assert.deepEqual(l.slice(range[0], range[1]), want, ctx);
        const seen: string[] = [];
        l.range(range[0], range[1], (v, i) => {
          assert.equal(m[i], v, ctx);
          seen.push(v);
        });
        assert.deepEqual(seen, want, ctx);
      }
    } else {
      const v = value();
      let rank = int(-4, 4);
      if (rank === 0) rank = 1;
      const count = int(0, 3);
      const maxlen = random() < 0.5 ? 0 : int(1, n + 1);
      assert.deepEqual(l.positions(v, rank, count, maxlen), modelPositions(m, v, rank, count, maxlen), ctx);
    }
    assert.equal(l.length, m.length, ctx);
    if (step % 101 === 0) assert.deepEqual(l.toArray(), m, ctx);
    if (slab) {
      if (slab.liveBlocks === 0) packed = false;
      assert.equal(slab.liveBlocks, packed ? 1 : 0, ctx);
      if (random() < 0.01) {
        l.detach();
        assert.equal(slab.liveBlocks, 0, ctx);
        l.attach(slab);
      }
    }
  }
  assert.deepEqual([...l], m);
  assert.deepEqual(l.clone().toArray(), m);
  if (pad === 0) assert.equal(slab?.liveBlocks ?? 1, 1, "a small list stays packed");
  if (slab) {
    l.clear();
    l.detach();
    assert.equal(slab.bytesInUse, 0);
  }
}

describe("ListValue against an array model", () => {
  for (const seed of [1, 2, 3, 4, 5]) it(`seed ${seed}`, () => runModel(seed, 8000));
  for (const seed of [6, 7]) it(`seed ${seed}, in a slab`, () => runModel(seed, 8000, 0, new Slab()));
  for (const seed of [8, 9, 10])
    it(`seed ${seed}, long values, in a slab`, () => runModel(seed, 8000, 300, new Slab()));
  it("seed 11, long values", () => runModel(11, 8000, 150));
});

describe("ListValue packed form", () => {
  it("stays packed while its entries fit in 8 KiB, then converts for good", () => {
    const slab = new Slab();
    const l = new ListValue();
    l.attach(slab);
    // 2 length bytes + 100 bytes per value: 80 values fit (8,160 bytes), the 81st does not.
    for (let i = 0; i < 80; i++) l.pushBack(`${String(i).padStart(3, "0")}${"x".repeat(97)}`);
    assert.equal(slab.liveBlocks, 1);
    assert.ok(slab.bytesInUse >= 8160 && slab.bytesInUse < 8160 * 1.25, `${slab.bytesInUse}`);
    l.pushFront("y".repeat(100));
    assert.equal(slab.liveBlocks, 0);
    assert.equal(l.length, 81);
    assert.equal(l.at(0), "y".repeat(100));
    assert.equal(l.at(80).slice(0, 3), "079");
    while (l.length > 1) l.popBack();
    assert.equal(slab.liveBlocks, 0);
  });

  it("walks to an index from the nearer end or from the last position, with long lengths", () => {
    const values = Array.from({ length: 60 }, (_, i) => (i % 7 === 0 ? "L".repeat(130 + i) : `v${i}`));
    const l = new ListValue(values);
    for (let i = 0; i < 60; i++) assert.equal(l.at(i), values[i]);
    for (let i = 59; i >= 0; i--) assert.equal(l.at(i), values[i]);
    for (const i of [30, 5, 55, 31, 29, 0, 59]) assert.equal(l.get(i - 60), values[i]);
    assert.deepEqual(l.positions("L".repeat(130 + 56), -1, 0, 0), [56]);
    assert.equal(l.popBack(), values[59]);
    assert.equal(l.popBack(), values[58]);
    assert.equal(l.popBack(), values[57]);
    assert.equal(l.popBack(), values[56]);
  });
});

describe("ListValue semantics confirmed on redis-server", () => {
  const list = (...v: string[]) => new ListValue(v);

  it("LPOS with RANK, COUNT and MAXLEN", () => {
    // RPUSH L a b c a b c a x a
    const l = list("a", "b", "c", "a", "b", "c", "a", "x", "a");
    const first = (rank: number, maxlen = 0) => l.positions("a", rank, 1, maxlen)[0];
    assert.equal(first(1), 0); // LPOS L a
    assert.equal(first(2), 3); // RANK 2
    assert.equal(first(-1), 8); // RANK -1
    assert.equal(first(-2), 6); // RANK -2
    assert.deepEqual(l.positions("a", 1, 0, 0), [0, 3, 6, 8]); // COUNT 0
    assert.deepEqual(l.positions("a", 1, 2, 0), [0, 3]); // COUNT 2
    assert.deepEqual(l.positions("a", -1, 0, 0), [8, 6, 3, 0]); // RANK -1 COUNT 0
    assert.deepEqual(l.positions("a", 2, 0, 4), [3]); // RANK 2 COUNT 0 MAXLEN 4
    assert.deepEqual(l.positions("a", -1, 0, 3), [8, 6]); // RANK -1 COUNT 0 MAXLEN 3
    assert.equal(first(2, 3), undefined); // MAXLEN 3 RANK 2 -> nil
    assert.deepEqual(l.positions("z", 1, 0, 0), []); // z COUNT 0 -> empty array
    assert.deepEqual(l.positions("a", 9, 0, 0), []); // RANK 9 COUNT 0 -> empty array
    assert.deepEqual(l.positions("a", 2 ** 63, 0, 0), []);
  });

  it("LREM with positive, negative and zero counts", () => {
    // RPUSH L3 a b a c a; LREM L3 <count> <v>; LRANGE L3 0 -1
    const rows: [number, string, number, string[]][] = [
      [-1, "a", 1, ["a", "b", "a", "c"]],
      [1, "a", 1, ["b", "a", "c", "a"]],
      [0, "a", 3, ["b", "c"]],
      [-2, "a", 2, ["a", "b", "c"]],
      [2, "a", 2, ["b", "c", "a"]],
      [5, "z", 0, ["a", "b", "a", "c", "a"]],
    ];
    for (const [count, v, removed, rest] of rows) {
      const l = list("a", "b", "a", "c", "a");
      assert.equal(l.remove(v, count), removed);
      assert.deepEqual(l.toArray(), rest);
    }
  });

  it("LINSERT before and after the first pivot", () => {
    const l = list("a", "b", "a");
    assert.equal(l.insert("a", "x", false), true);
    assert.equal(l.insert("a", "y", true), true);
    assert.equal(l.insert("q", "z", true), false);
    assert.deepEqual(l.toArray(), ["x", "a", "y", "b", "a"]);
  });

  it("LTRIM and LRANGE index rules", () => {
    const l = list("a", "b", "c", "d", "e");
    const r = resolveRange(1, -2, l.length)!;
    l.trim(r[0], r[1]);
    assert.deepEqual(l.toArray(), ["b", "c", "d"]);
    assert.equal(resolveRange(5, 10, l.length), null); // LTRIM then empties the list
    assert.equal(l.get(-1), "d");
    assert.equal(l.get(-4), undefined);
    assert.equal(l.get(3), undefined);
    assert.equal(l.set(-3, "B"), true);
    assert.equal(l.set(3, "x"), false);
    assert.deepEqual(l.slice(0, 99), ["B", "c", "d"]);
  });

  it("grows and shrinks its ring and accounts bytes", () => {
    const l = new ListValue();
    for (let i = 0; i < 100; i++) l.pushBack(`value-${i}`);
    const slab = new Slab();
    l.attach(slab);
    const inSlab = l.bytes;
    assert.ok(slab.bytesInUse > 100 * 8);
    for (let i = 0; i < 100_000; i++)
      if (i % 2) l.pushBack(`value-${i}`);
      else l.pushFront(`value-${i}`);
    assert.equal(slab.bytesInUse, 0);
    assert.equal(l.length, 100_100);
    assert.ok(l.bytes > 100_000 * 40);
    assert.equal(l.get(0), "value-99998");
    assert.equal(l.get(-1), "value-99999");
    while (l.length > 10) l.popBack();
    assert.ok(l.bytes < inSlab + 1000, `bytes ${l.bytes}`);
    const small = l.bytes;
    l.clear();
    assert.ok(l.bytes <= small);
    assert.equal(l.popFront(), undefined);
    assert.equal(l.popBack(), undefined);
  });
});
