// Tests of packed collections in a store: a key's small collection lives in the store's slab
// (attached by setObject, detached when the key goes), used_memory counts its block and not its
// bytes twice, a collection briefly under two keys (RENAME, MOVE) keeps its block until both are
// gone, an object a command still holds after deleting its key keeps working, and a conversion to
// the heap form moves the accounting from the slab to the heap estimate.

import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { T_HASH, T_LIST, T_SET, T_ZSET } from "./entry.js";
import { HashValue } from "./hash.js";
import { ListValue } from "./list.js";
import { HDR, readVarint, varintLenBig, writeVarintBig } from "./packed.js";
import { SetValue } from "./set.js";
import { CacheStore } from "./store.js";
import { SortedSet } from "./zset.js";

const key = (s: string) => Buffer.from(s, "latin1");

function smallHash(n: number): HashValue {
  const h = new HashValue();
  for (let i = 0; i < n; i++) h.set(`f${i}`, `value-${i}`);
  return h;
}

describe("packed collections in a store", () => {
  it("attach on setObject, detach on delete, and used_memory counts each byte once", () => {
    const store = new CacheStore();
    const db = store.dbs[0];
    const base = store.usedMemory();
    const blocksBase = store.slab.liveBlocks;
    const k = key("h");
    const hv = smallHash(10);
    const onHeap = hv.bytes;
    db.setObject(k, 0, k.length, T_HASH, hv);
    assert.equal(hv.attachedSlab(), store.slab);
    assert.equal(store.slab.liveBlocks, blocksBase + 2); // the key's block and the hash's
    assert.ok(hv.bytes < onHeap);
    const used = store.usedMemory() - base;
    // Key block + packed block (6 + 10 x ~15 bytes) + the JS object and its table slot: far below
    // the ~100 bytes per field a heap hash costs.
    assert.ok(used > 150 && used < 320, `used ${used}`);
    assert.ok(db.delete(k, 0, k.length));
    assert.equal(hv.attachedSlab(), null);
    assert.equal(store.slab.liveBlocks, blocksBase);
    // The object still works after its key went (a command may hold it).
    assert.equal(hv.get("f3"), "value-3");
    assert.equal(hv.size, 10);
  });

  it("a collection under two keys for a moment (RENAME) keeps its block until both are gone", () => {
    const store = new CacheStore();
    const db = store.dbs[0];
    const a = key("a");
    const b = key("b");
    const sv = new SetValue(["x", "y", "z"]);
    db.setObject(a, 0, 1, T_SET, sv);
    const blocks = store.slab.liveBlocks;
    db.setObject(b, 0, 1, T_SET, sv); // RENAME a b: the destination first, then the source goes
    db.delete(a, 0, 1);
    assert.equal(sv.attachedSlab(), store.slab);
    assert.equal(db.object<SetValue>(db.lookup(b, 0, 1)).has("y"), true);
    assert.equal(store.slab.liveBlocks, blocks);
    db.delete(b, 0, 1);
    assert.equal(sv.attachedSlab(), null);
    assert.equal(store.slab.liveBlocks, 0);
    // MOVE to another database of the same store.
    db.setObject(a, 0, 1, T_SET, sv);
    store.dbs[1].setObject(a, 0, 1, T_SET, sv);
    db.delete(a, 0, 1);
    assert.equal(sv.attachedSlab(), store.slab);
    store.flushAll();
    assert.equal(sv.attachedSlab(), null);
    assert.deepEqual([...sv].sort(), ["x", "y", "z"]);
  });

  it("a conversion moves the accounting from the slab to the heap estimate", () => {
    const store = new CacheStore();
    const db = store.dbs[0];
    const k = key("z");
    const z = new SortedSet();
    for (let i = 0; i < 100; i++) z.add(`member-${i}`, i);
    const h = db.setObject(k, 0, k.length, T_ZSET, z);
    const slabBefore = store.slab.bytesInUse;
    const usedBefore = store.usedMemory();
    for (let i = 100; i < 200; i++) z.add(`member-${i}`, i);
    db.objectChanged(h);
    assert.ok(store.slab.bytesInUse < slabBefore, "the packed block is freed");
    assert.ok(store.usedMemory() > usedBefore + 100 * 50, "the heap form is counted");
    db.delete(k, 0, k.length);
    assert.equal(store.slab.liveBlocks, 0);
  });

  it("every type round-trips through the store, flushAll releases every block", () => {
    const store = new CacheStore();
    const db = store.dbs[0];
    const l = new ListValue(["a", "b", "c"]);
    const s = new SetValue(["1", "2", "3"]);
    const z = new SortedSet();
    z.add("m", 1.5);
    const hv = smallHash(3);
    db.setObject(key("l"), 0, 1, T_LIST, l);
    db.setObject(key("s"), 0, 1, T_SET, s);
    db.setObject(key("z"), 0, 1, T_ZSET, z);
    db.setObject(key("h"), 0, 1, T_HASH, hv);
    // Changes after attaching grow and shrink the blocks in the slab.
    for (let i = 0; i < 200; i++) l.pushBack(`item-${i}`);
    for (let i = 0; i < 190; i++) l.popFront();
    assert.deepEqual(
      l.toArray(),
      Array.from({ length: 13 }, (_, i) => `item-${187 + i}`),
    );
    assert.equal(store.slab.liveBlocks, 8);
    store.flushAll();
    assert.equal(store.slab.bytesInUse, 0);
    assert.equal(l.length, 13);
    assert.equal(z.score("m"), 1.5);
  });
});

describe("packed bytes", () => {
  it("varints round-trip up to 2^53", () => {
    const b = new Uint8Array(16);
    for (const n of [0, 1, 127, 128, 16383, 16384, 2 ** 28 - 1, 2 ** 28, 2 ** 35 + 3, 2 ** 52 + 1, 2 ** 53 - 1]) {
      const end = writeVarintBig(b, 3, n);
      assert.equal(end - 3, varintLenBig(n), `${n}`);
      assert.equal(readVarint(b, 3), n);
    }
    assert.equal(HDR, 6);
  });
});
