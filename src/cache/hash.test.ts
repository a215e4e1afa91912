// Tests of HashValue: seeded random operations against a Map model (which keeps insertion order as
// a listpack does), on the heap and in a slab, across the one-way switch from the packed listpack
// to the hashtable layout; HRANDFIELD count semantics, the SCAN guarantee under concurrent removals
// and additions, and the memory accounting of both forms.

import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { seededRandom } from "../fs/random.js";
import { HashValue } from "./hash.js";
import { Slab } from "./slab.js";

/**
 * Random HSET/HDEL/HGET against a Map. With a slab, the hash lives in it (as a key's hash does), and
 * now and then leaves it and comes back (a removed key's object, a RENAME): the block must always
 * be the only one, sized for the packed bytes, and freed once the hash is a hashtable.
 */
function runModel(seed: number, steps: number, maxEntries: number, slab?: Slab): void {
  const random = seededRandom(seed);
  const int = (lo: number, hi: number) => lo + Math.floor(random() * (hi - lo + 1));
  const field = () => `f${int(0, 200)}${random() < 0.05 ? "\u0000\u00ff" : ""}`;
  const h = new HashValue();
  const m = new Map<string, string>();
  if (slab) h.attach(slab);
  for (let step = 0; step < steps; step++) {
    const r = random();
    const ctx = `seed ${seed} step ${step}`;
    if (slab) {
      assert.equal(slab.liveBlocks, h.listpack ? 1 : 0, ctx);
      if (random() < 0.01) {
        h.detach();
        assert.equal(slab.liveBlocks, 0, ctx);
        h.attach(slab);
      }
    }
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
  const c = h.clone();
  assert.equal(c.encoding, h.encoding);
  assert.deepEqual([...c.fields()], [...h.fields()]);
  assert.deepEqual([...c.values()], [...h.values()]);
  if (slab) {
    h.clear();
    h.detach();
    assert.equal(slab.bytesInUse, 0);
  }
}

describe("HashValue against a Map model", () => {
  for (const seed of [1, 2, 3]) it(`seed ${seed}, listpack limit 128`, () => runModel(seed, 8000, 128));
  it("seed 4, listpack limit 1000 (stays compact unless a long value arrives)", () => runModel(4, 8000, 1000));
  for (const seed of [5, 6, 7]) {
    it(`seed ${seed}, in a slab, listpack limit 128`, () => runModel(seed, 8000, 128, new Slab()));
  }
  it("seed 8, in a slab, listpack limit 1000", () => runModel(8, 8000, 1000, new Slab()));
  it("packs fields in insertion order and converts past the limits, across many hashes", () => {
    const random = seededRandom(9);
    for (let k = 0; k < 200; k++) {
      const limit = 1 + Math.floor(random() * 20);
      const slab = new Slab();
      const h = new HashValue();
      h.attach(slab);
      const m = new Map<string, string>();
      for (let step = 0; step < 60; step++) {
        const f = `k${Math.floor(random() * 30)}`;
        if (random() < 0.7) {
          const v = "v".repeat(Math.floor(random() * 70));
          const wasListpack = h.listpack;
          h.set(f, v, limit, 64);
          m.set(f, v);
          // Converts exactly where Redis does: past the entry limit or on a value over 64 bytes.
          if (wasListpack) assert.equal(h.listpack, m.size <= limit && v.length <= 64, `hash ${k} step ${step}`);
        } else assert.equal(h.delete(f), m.delete(f));
        assert.deepEqual(new Map(h), m);
        if (h.listpack) assert.deepEqual([...h.fields()], [...m.keys()]);
      }
    }
  });
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
    const slab = new Slab();
    h.attach(slab);
    c.attach(slab);
    assert.equal(c.bytes, h.bytes);
    assert.equal(slab.liveBlocks, 2);
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
  it("a listpack in a slab: the block grows and shrinks with content, the heap part stays put", () => {
    const slab = new Slab();
    const h = new HashValue();
    h.attach(slab);
    const heap = h.bytes;
    const empty = slab.bytesInUse;
    for (let i = 0; i < 300; i++) h.set(`field:${i}`, "v".repeat(i % 50));
    assert.equal(h.bytes, heap);
    const full = slab.bytesInUse;
    assert.ok(full > empty + 300 * 30, `${full}`);
    // Packed: about a length byte per field and value plus the bytes (Redis's listpack is alike).
    assert.ok(full < 300 * (2 + 9 + 25) * 1.3, `${full}`);
    for (let i = 0; i < 290; i++) h.delete(`field:${i}`);
    assert.ok(slab.bytesInUse < full / 4, `${slab.bytesInUse}`);
    h.clear();
    assert.equal(slab.bytesInUse, empty);
    assert.equal(h.size, 0);
    h.detach();
    assert.equal(slab.bytesInUse, 0);
    assert.equal(slab.liveBlocks, 0);
  });

  it("a hashtable lives on the heap: grows with content and returns to its start when emptied", () => {
    const slab = new Slab();
    const h = new HashValue();
    h.attach(slab);
    h.convertToHashtable();
    assert.equal(slab.bytesInUse, 0);
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
    assert.equal(slab.bytesInUse, 0);
  });

  it("a detached listpack keeps its content on the heap and can be attached again", () => {
    const slab = new Slab();
    const h = new HashValue();
    for (let i = 0; i < 20; i++) h.set(`f${i}`, `v${i}`);
    h.attach(slab);
    assert.equal(h.attachedSlab(), slab);
    const inSlab = h.bytes;
    h.detach();
    assert.equal(h.attachedSlab(), null);
    assert.ok(h.bytes > inSlab);
    assert.equal(slab.liveBlocks, 0);
    assert.equal(h.get("f7"), "v7");
    h.set("f20", "v20");
    h.attach(slab);
    assert.equal(h.size, 21);
    assert.equal(h.get("f20"), "v20");
    assert.throws(() => h.attach(new Slab()), /another store/);
  });
});
