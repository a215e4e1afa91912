// Tests of HashValue: seeded random operations against a Map model (which keeps insertion order as
// a listpack does), the one-way switch to the hashtable layout, HRANDFIELD count semantics, the
// SCAN guarantee under concurrent removals and additions, and the memory estimate.

import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { seededRandom } from "../fs/random.js";
import { HashValue } from "./hash.js";

function runModel(seed: number, steps: number, maxEntries: number): void {
  const random = seededRandom(seed);
  const int = (lo: number, hi: number) => lo + Math.floor(random() * (hi - lo + 1));
  const field = () => `f${int(0, 200)}${random() < 0.05 ? "\u0000\u00ff" : ""}`;
  const h = new HashValue();
  const m = new Map<string, string>();
  for (let step = 0; step < steps; step++) {
    const r = random();
    const ctx = `seed ${seed} step ${step}`;
    if (r < 0.45) {
      const f = field();
      const v = random() < 0.01 ? "x".repeat(65) : `v${int(0, 1e6)}`;
      assert.equal(h.set(f, v, maxEntries, 64), !m.has(f), ctx);
      m.set(f, v);
    } else if (r < 0.75) {
      const f = field();
      assert.equal(h.delete(f), m.delete(f), ctx);
    } else {
      const f = field();
      assert.equal(h.get(f), m.get(f), ctx);
      assert.equal(h.has(f), m.has(f), ctx);
    }
    assert.equal(h.size, m.size, ctx);
    if (h.listpack) {
      // A listpack keeps insertion order, as a Map does (an update keeps its place).
      assert.deepEqual([...h.fields()], [...m.keys()], ctx);
      assert.deepEqual([...h.values()], [...m.values()], ctx);
    } else if (step % 53 === 0) {
      assert.deepEqual(new Map(h.entries()), m, ctx);
    }
  }
  assert.deepEqual(new Map(h), m);
}

describe("HashValue against a Map model", () => {
  for (const seed of [1, 2, 3]) it(`seed ${seed}, listpack limit 128`, () => runModel(seed, 8000, 128));
  it("seed 4, listpack limit 1000 (stays compact unless a long value arrives)", () => runModel(4, 8000, 1000));
});

describe("HashValue encoding", () => {
  it("converts when entries exceed the limit, and never back", () => {
    const h = new HashValue();
    for (let i = 0; i < 512; i++) h.set(`f${i}`, "v");
    assert.equal(h.encoding, "listpack");
    h.set("f512", "v");
    assert.equal(h.encoding, "hashtable");
    for (let i = 0; i < 100; i++) h.delete(`f${i}`);
    assert.equal(h.listpack, false);
  });

  it("converts on a field or value longer than the value limit", () => {
    const a = new HashValue();
    a.set("f", "x".repeat(64));
    assert.equal(a.listpack, true);
    a.set("f", "x".repeat(65));
    assert.equal(a.listpack, false);
    const b = new HashValue();
    b.set("y".repeat(65), "v");
    assert.equal(b.encoding, "hashtable");
  });

  it("honours other limits", () => {
    const h = new HashValue();
    h.set("a", "1", 0, 64);
    assert.equal(h.listpack, false);
    const g = new HashValue();
    g.set("abcd", "1", 10, 3);
    assert.equal(g.listpack, false);
  });

  it("clone keeps order, values, encoding and size estimate, and is independent", () => {
    const h = new HashValue();
    for (let i = 0; i < 10; i++) h.set(`f${i}`, `v${i}`);
    h.delete("f3");
    const c = h.clone();
    assert.deepEqual([...c.fields()], [...h.fields()]);
    assert.deepEqual([...c.values()], [...h.values()]);
    assert.equal(c.bytes, h.bytes);
    assert.equal(c.encoding, "listpack");
    c.set("f0", "changed");
    c.delete("f1");
    assert.equal(h.get("f0"), "v0");
    assert.equal(h.get("f1"), "v1");
    assert.equal(c.get("f2"), "v2");
    h.convertToHashtable();
    assert.equal(h.clone().encoding, "hashtable");
    assert.equal(c.listpack, true);
  });

  it("keeps insertion order across deletes while compact", () => {
    const h = new HashValue();
    for (const f of ["a", "b", "c", "d"]) h.set(f, f.toUpperCase());
    h.delete("b");
    h.set("b", "B2");
    h.set("a", "A2");
    assert.deepEqual([...h.fields()], ["a", "c", "d", "b"]);
    assert.deepEqual([...h.values()], ["A2", "C", "D", "B2"]);
  });
});

describe("HashValue random fields", () => {
  const h = new HashValue();
  for (let i = 0; i < 10; i++) h.set(`f${i}`, `v${i}`);
  const random = seededRandom(7);

  it("count >= size returns every slot in order", () => {
    assert.deepEqual(h.randomSlots(10, random), [0, 1, 2, 3, 4, 5, 6, 7, 8, 9]);
    assert.deepEqual(h.randomSlots(1000, random), [0, 1, 2, 3, 4, 5, 6, 7, 8, 9]);
  });

  it("0 < count < size returns distinct slots", () => {
    for (const n of [1, 2, 3, 5, 9]) {
      const got = h.randomSlots(n, random);
      assert.equal(got.length, n);
      assert.equal(new Set(got).size, n);
      for (const s of got) assert.ok(s >= 0 && s < 10);
    }
  });

  it("negative count draws with repeats", () => {
    const got = h.randomSlots(-50, random);
    assert.equal(got.length, 50);
    assert.ok(new Set(got).size < 50);
    assert.deepEqual(h.randomSlots(0, random), []);
    assert.deepEqual(new HashValue().randomSlots(-3, random), []);
    assert.equal(new HashValue().randomSlot(random), -1);
  });

  it("picks uniformly", () => {
    const counts = new Array(10).fill(0);
    for (let i = 0; i < 20000; i++) counts[h.randomSlot(random)]++;
    for (const c of counts) assert.ok(c > 1700 && c < 2300, `count ${c}`);
  });
});

describe("HashValue scan", () => {
  it("returns a compact hash whole with cursor 0, whatever the cursor", () => {
    const h = new HashValue();
    for (let i = 0; i < 50; i++) h.set(`f${i}`, `v${i}`);
    const seen: string[] = [];
    assert.equal(
      h.scan(17, 5, (f, v, slot) => {
        assert.equal(h.fieldAt(slot), f);
        assert.equal(h.valueAt(slot), v);
        seen.push(f);
      }),
      0,
    );
    assert.equal(seen.length, 50);
  });

  for (const seed of [11, 12, 13, 14, 15]) {
    it(`visits every field present throughout, under removals and additions (seed ${seed})`, () => {
      const random = seededRandom(seed);
      const h = new HashValue();
      for (let i = 0; i < 1000; i++) h.set(`f${i}`, `v${i}`);
      assert.equal(h.listpack, false);
      const removed = new Set<string>();
      const seen = new Set<string>();
      let cursor = 0;
      let next = 1000;
      let rounds = 0;
      do {
        cursor = h.scan(cursor, 1 + Math.floor(random() * 20), (f, v) => {
          assert.equal(h.get(f), v);
          seen.add(f);
        });
        for (let k = 0; k < 5; k++) {
          const f = h.fieldAt(Math.floor(random() * h.size));
          h.delete(f);
          removed.add(f);
          h.set(`n${next++}`, "x");
        }
        rounds++;
      } while (cursor !== 0 && rounds < 10000);
      assert.equal(cursor, 0);
      for (let i = 0; i < 1000; i++) {
        const f = `f${i}`;
        if (!removed.has(f)) assert.ok(seen.has(f), `missed ${f}`);
      }
    });
  }
});

describe("HashValue memory estimate", () => {
  it("grows with content and returns to its start when emptied", () => {
    const h = new HashValue();
    const empty = h.bytes;
    for (let i = 0; i < 300; i++) h.set(`field:${i}`, "v".repeat(i % 50));
    const full = h.bytes;
    assert.ok(full > empty + 300 * 50);
    h.set("field:1", "w".repeat(1000));
    assert.ok(h.bytes > full + 900);
    for (let i = 0; i < 300; i++) h.delete(`field:${i}`);
    assert.equal(h.bytes, empty);
    h.set("a", "b");
    h.clear();
    assert.equal(h.bytes, empty);
    assert.equal(h.size, 0);
  });
});
