// Tests of the block cache: LRU order, the byte bound, per-file eviction and the statistics.

import assert from "node:assert/strict";
import { describe, it, test } from "node:test";
import { Block, BlockBuilder } from "./block.js";
import { BlockCache } from "./block-cache.js";
import { KIND_PUT } from "./internal-iterator.js";

/** A block whose byteSize is exactly `size` (contents size + the fixed overhead Block charges). */
function blockOf(size: number): Block {
  const overhead = new Block(new Uint8Array(4)).byteSize - 4;
  assert.ok(size >= overhead + 4);
  const b = new BlockBuilder(1);
  const entryBytes = size - overhead - 8; // one restart offset and the count
  let valueLength = entryBytes - 5; // 1-byte shared, unshared, tag and key
  if (valueLength >= 128) valueLength--; // 2-byte value length varint
  b.add(Uint8Array.of(1), 0, 1, 1, KIND_PUT, new Uint8Array(valueLength), 0, valueLength);
  const block = new Block(b.finish().slice());
  assert.equal(block.byteSize, size);
  return block;
}

describe("BlockCache", () => {
  it("returns what was set and counts hits and misses", () => {
    const cache = new BlockCache(10_000);
    const a = blockOf(1000);
    assert.equal(cache.get(1, 0), undefined);
    cache.set(1, 0, a);
    assert.equal(cache.get(1, 0), a);
    assert.equal(cache.get(1, 4096), undefined);
    assert.equal(cache.get(2, 0), undefined);
    assert.deepEqual(cache.stats(), { hits: 1, misses: 3, bytes: 1000, capacity: 10_000, entries: 1 });
  });

  it("evicts least recently used blocks to stay within capacity", () => {
    const cache = new BlockCache(3000);
    const blocks = [blockOf(1000), blockOf(1000), blockOf(1000), blockOf(1000)];
    cache.set(7, 0, blocks[0]);
    cache.set(7, 100, blocks[1]);
    cache.set(7, 200, blocks[2]);
    assert.equal(cache.get(7, 0), blocks[0]); // refresh: 100 is now the oldest
    cache.set(7, 300, blocks[3]);
    assert.equal(cache.get(7, 100), undefined);
    assert.equal(cache.get(7, 0), blocks[0]);
    assert.equal(cache.get(7, 200), blocks[2]);
    assert.equal(cache.get(7, 300), blocks[3]);
    const s = cache.stats();
    assert.equal(s.bytes, 3000);
    assert.equal(s.entries, 3);
  });

  it("replaces a block at the same place and re-accounts its size", () => {
    const cache = new BlockCache(5000);
    cache.set(1, 0, blockOf(1000));
    const b = blockOf(2000);
    cache.set(1, 0, b);
    assert.equal(cache.get(1, 0), b);
    assert.equal(cache.stats().bytes, 2000);
    assert.equal(cache.stats().entries, 1);
  });

  it("does not cache a block larger than the capacity", () => {
    const cache = new BlockCache(500);
    cache.set(1, 0, blockOf(1000));
    assert.equal(cache.get(1, 0), undefined);
    assert.equal(cache.stats().entries, 0);
    assert.equal(cache.stats().bytes, 0);
    const none = new BlockCache(0);
    none.set(1, 0, blockOf(200));
    assert.equal(none.get(1, 0), undefined);
    assert.throws(() => new BlockCache(-1), RangeError);
  });

  it("evicts all blocks of one file", () => {
    const cache = new BlockCache(100_000);
    for (let f = 1; f <= 3; f++) for (let off = 0; off < 10; off++) cache.set(f, off * 4096, blockOf(200));
    cache.evictFile(2);
    cache.evictFile(99);
    assert.equal(cache.stats().entries, 20);
    assert.equal(cache.stats().bytes, 4000);
    for (let off = 0; off < 10; off++) {
      assert.equal(cache.get(2, off * 4096), undefined);
      assert.ok(cache.get(1, off * 4096));
      assert.ok(cache.get(3, off * 4096));
    }
    // The LRU list stays consistent after removals from its middle.
    const small = new BlockCache(1000);
    for (let i = 0; i < 5; i++) small.set(i % 2, i, blockOf(200));
    small.evictFile(0);
    for (let i = 5; i < 12; i++) small.set(5, i, blockOf(200));
    assert.equal(small.stats().entries, 5);
    assert.equal(small.stats().bytes, 1000);
    small.clear();
    assert.equal(small.stats().entries, 0);
  });

  it("keys large offsets and file numbers apart", () => {
    const cache = new BlockCache(10_000);
    const a = blockOf(200);
    const b = blockOf(200);
    cache.set(2 ** 40, 2 ** 33, a);
    cache.set(2 ** 40 + 1, 2 ** 33, b);
    assert.equal(cache.get(2 ** 40, 2 ** 33), a);
    assert.equal(cache.get(2 ** 40 + 1, 2 ** 33), b);
  });
});

test("a reader's slot holds the cached block until the cache evicts it", () => {
  const blocks = [0, 1, 2, 3].map(() => blockOf(200));
  const cache = new BlockCache(3 * 200);
  const slots: (Block | undefined)[] = new Array(4).fill(undefined);
  cache.set(1, 0, blocks[0], { slots, index: 0 });
  cache.set(1, 1, blocks[1], { slots, index: 1 });
  cache.set(1, 2, blocks[2], { slots, index: 2 });
  assert.equal(slots[0], blocks[0]);
  cache.hit(blocks[0]); // referenced: survives the next eviction
  cache.set(1, 3, blocks[3], { slots, index: 3 });
  assert.equal(slots[0], blocks[0], "the referenced block got a second chance");
  assert.equal(slots[1], undefined, "the oldest unreferenced block was evicted and its slot cleared");
  assert.equal(cache.stats().hits, 1);
  cache.evictFile(1);
  assert.deepEqual(slots, [undefined, undefined, undefined, undefined]);
});
