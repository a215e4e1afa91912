// Tests of blocks: builder/reader round trips, iterator seeks and moves in both directions across
// restart intervals, point lookups over many versions of a key, and detection of malformed blocks.

import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { assertAt, type Entry, lowerBound, modelGet } from "../../test/support/internal-entries.js";
import { seededRandom } from "../fs/random.js";
import { Block, BlockBuilder, LOOKUP_ABSENT, LOOKUP_FOUND, LOOKUP_PAST_END, newBlockLookup } from "./block.js";
import { compareInternal, compareKeys } from "./compare.js";
import { CorruptionError } from "./errors.js";
import { KIND_DELETE, KIND_PUT, MAX_SEQ } from "./internal-iterator.js";

const enc = new TextEncoder();
const bytes = (s: string) => enc.encode(s);

function cmpEntry(a: Entry, b: Entry): number {
  return compareInternal(a.key, a.seq, b.key, b.seq);
}

/** Random entries in internal order: shared prefixes, 1-3 versions per key, some deletes and big values. */
function makeEntries(n: number, seed: number): Entry[] {
  const r = seededRandom(seed);
  const keys = new Map<string, Uint8Array>();
  while (keys.size < n) {
    const len = 1 + Math.floor(r() * 20);
    const k = new Uint8Array(len);
    for (let i = 0; i < len; i++) k[i] = i < 3 ? 97 + Math.floor(r() * 3) : Math.floor(r() * 256);
    keys.set(Buffer.from(k).toString("hex"), k);
  }
  const out: Entry[] = [];
  let seq = 1;
  for (const key of keys.values()) {
    const versions = 1 + Math.floor(r() * 3);
    for (let v = 0; v < versions; v++) {
      const kind = r() < 0.2 ? KIND_DELETE : KIND_PUT;
      const vlen = kind === KIND_DELETE ? 0 : r() < 0.05 ? 200 + Math.floor(r() * 300) : Math.floor(r() * 20);
      const value = new Uint8Array(vlen);
      for (let i = 0; i < vlen; i++) value[i] = Math.floor(r() * 256);
      out.push({ key, seq: seq++ * 7919, kind, value });
    }
  }
  return out.sort(cmpEntry);
}

function build(entries: Entry[], restartInterval: number): Block {
  const b = new BlockBuilder(restartInterval, 16);
  for (const e of entries) b.add(e.key, 0, e.key.length, e.seq, e.kind, e.value, 0, e.value.length);
  assert.equal(b.entries(), entries.length);
  const data = b.finish();
  assert.equal(data.length, b.estimatedSize());
  return new Block(data.slice(), "test.block", 0);
}

function checkBlock(entries: Entry[], block: Block, seed: number): void {
  const it = block.iterator();
  // Forward.
  let i = 0;
  for (it.seekToFirst(); it.valid(); it.next()) assertAt(it, entries[i], `forward ${i++}`);
  assert.equal(i, entries.length);
  // Backward.
  i = entries.length - 1;
  for (it.seekToLast(); it.valid(); it.prev()) assertAt(it, entries[i], `backward ${i--}`);
  assert.equal(i, -1);
  // Exact seeks, then a few steps each way.
  const r = seededRandom(seed);
  for (let j = 0; j < entries.length; j++) {
    const e = entries[j];
    it.seek(e.key, e.seq);
    assertAt(it, e, `seek ${j}`);
    it.seekForPrev(e.key, e.seq);
    assertAt(it, e, `seekForPrev ${j}`);
    const steps = Math.floor(r() * 4);
    for (let s = 1; s <= steps; s++) {
      it.prev();
      assertAt(it, entries[j - s], `seek ${j} prev ${s}`);
    }
    it.seek(e.key, MAX_SEQ);
    assertAt(it, entries[lowerBound(entries, e.key, MAX_SEQ)], `seek any version ${j}`);
    for (let s = 1; s <= steps; s++) {
      it.next();
      assertAt(it, entries[lowerBound(entries, e.key, MAX_SEQ) + s], `seek ${j} next ${s}`);
    }
  }
  // Seeks to keys that are not in the block, with random snapshot seqs.
  const lookup = newBlockLookup();
  for (let j = 0; j < 500; j++) {
    const base = entries[Math.floor(r() * entries.length)].key;
    const key = r() < 0.5 ? base.slice() : Uint8Array.from([...base, Math.floor(r() * 256)]);
    if (r() < 0.2 && key.length > 1) key[key.length - 1] ^= 1;
    const seq = Math.floor(r() * entries.length * 8000);
    const lb = lowerBound(entries, key, seq);
    it.seek(key, seq);
    assertAt(it, entries[lb], `random seek ${j}`);
    // Last entry <= (key, seq).
    let le = lb;
    if (lb === entries.length || compareInternal(entries[lb].key, entries[lb].seq, key, seq) > 0) le = lb - 1;
    it.seekForPrev(key, seq);
    assertAt(it, le >= 0 ? entries[le] : undefined, `random seekForPrev ${j}`);
    const want = modelGet(entries, key, seq);
    const status = block.get(key, seq, lookup);
    if (want === undefined) {
      assert.notEqual(status, LOOKUP_FOUND, `get ${j}`);
      assert.equal(status, lb === entries.length ? LOOKUP_PAST_END : LOOKUP_ABSENT, `get status ${j}`);
    } else {
      assert.equal(status, LOOKUP_FOUND, `get ${j}`);
      assert.equal(lookup.seq, want.seq);
      assert.equal(lookup.kind, want.kind);
      assert.deepEqual(block.data.subarray(lookup.valueStart, lookup.valueEnd), want.value);
    }
  }
}

describe("block", () => {
  for (const interval of [1, 2, 16]) {
    it(`round-trips and seeks with restart interval ${interval}`, () => {
      const entries = makeEntries(300, interval);
      const block = build(entries, interval);
      assert.equal(block.numRestarts, Math.ceil(entries.length / interval));
      checkBlock(entries, block, interval * 31);
    });
  }

  it("walks randomly back and forth (prev cache and next interleaved)", () => {
    const entries = makeEntries(400, 77);
    for (const interval of [1, 3, 16]) {
      const block = build(entries, interval);
      const it = block.iterator();
      const r = seededRandom(interval);
      let pos = Math.floor(r() * entries.length);
      it.seek(entries[pos].key, entries[pos].seq);
      for (let step = 0; step < 2000; step++) {
        if (pos < 0 || pos >= entries.length) {
          pos = Math.floor(r() * entries.length);
          it.seek(entries[pos].key, entries[pos].seq);
        }
        const back = r() < 0.6;
        const run = 1 + Math.floor(r() * 20);
        for (let i = 0; i < run && pos >= 0 && pos < entries.length; i++) {
          if (back) {
            it.prev();
            pos--;
          } else {
            it.next();
            pos++;
          }
          assertAt(it, entries[pos], `walk ${interval} step ${step}`);
        }
      }
    }
  });

  it("finds the right version among many versions of one key", () => {
    const key = bytes("the-key");
    const entries: Entry[] = [{ key: bytes("a"), seq: 5, kind: KIND_PUT, value: bytes("a") }];
    for (let s = 200; s >= 2; s -= 2) {
      entries.push({ key, seq: s, kind: s % 10 === 0 ? KIND_DELETE : KIND_PUT, value: bytes(`v${s}`) });
    }
    entries.push({ key: bytes("the-kez"), seq: 1, kind: KIND_PUT, value: bytes("z") });
    for (const interval of [1, 3, 16]) {
      const block = build(entries, interval);
      const out = newBlockLookup();
      for (let snap = 0; snap <= 210; snap++) {
        const status = block.get(key, snap, out);
        if (snap < 2) {
          assert.equal(status, LOOKUP_ABSENT);
          continue;
        }
        assert.equal(status, LOOKUP_FOUND, `snap ${snap}`);
        const want = Math.min(200, snap - (snap % 2));
        assert.equal(out.seq, want);
        assert.equal(out.kind, want % 10 === 0 ? KIND_DELETE : KIND_PUT);
        assert.deepEqual(block.data.subarray(out.valueStart, out.valueEnd), bytes(`v${want}`));
      }
      // Iteration in seq-descending order, and seeks by seq.
      const it = block.iterator();
      it.seek(key, MAX_SEQ);
      assert.equal(it.seq(), 200);
      it.seek(key, 101);
      assert.equal(it.seq(), 100);
      it.seekForPrev(key, 101);
      assert.equal(it.seq(), 102);
      it.seekForPrev(key, 0);
      assert.equal(it.seq(), 2);
      it.next();
      assert.deepEqual(it.key(), bytes("the-kez"));
      it.prev();
      it.prev();
      assert.equal(it.seq(), 4);
      checkBlock(entries, block, interval);
    }
  });

  it("reports keys past the end and before the start", () => {
    const entries = makeEntries(50, 9);
    const block = build(entries, 4);
    const out = newBlockLookup();
    assert.equal(block.get(Uint8Array.of(0xff, 0xff, 0xff, 0xff), MAX_SEQ, out), LOOKUP_PAST_END);
    assert.equal(block.get(new Uint8Array(0), MAX_SEQ, out), LOOKUP_ABSENT);
    const it = block.iterator();
    it.seek(Uint8Array.of(0xff, 0xff, 0xff, 0xff), MAX_SEQ);
    assert.equal(it.valid(), false);
    it.seekForPrev(new Uint8Array(0), MAX_SEQ);
    assert.equal(it.valid(), false);
    it.seekToFirst();
    it.prev();
    assert.equal(it.valid(), false);
    it.seekToLast();
    it.next();
    assert.equal(it.valid(), false);
  });

  it("handles big keys, values and sequence numbers (multi-byte varints)", () => {
    const entries: Entry[] = [];
    for (let i = 0; i < 40; i++) {
      const key = new Uint8Array(150 + i).fill(0x41);
      key[key.length - 1] = i;
      entries.push({ key, seq: MAX_SEQ - i, kind: KIND_PUT, value: new Uint8Array(1000 + i).fill(i) });
    }
    entries.sort(cmpEntry);
    for (const interval of [1, 16]) checkBlock(entries, build(entries, interval), 5);
  });

  it("applies a global sequence number", () => {
    const entries = makeEntries(60, 3).filter((e, i, all) => i === 0 || compareKeys(all[i - 1].key, e.key) !== 0);
    const block = build(entries, 4);
    const it = block.iterator(1000);
    let n = 0;
    for (it.seekToFirst(); it.valid(); it.next()) {
      assert.equal(it.seq(), 1000);
      n++;
    }
    assert.equal(n, entries.length);
    const out = newBlockLookup();
    const e = entries[17];
    assert.equal(block.get(e.key, 999, out, 1000), LOOKUP_ABSENT);
    assert.equal(block.get(e.key, 1000, out, 1000), LOOKUP_FOUND);
    assert.equal(out.seq, 1000);
    it.seek(e.key, 999);
    assert.deepEqual(it.key(), entries[18].key);
    it.seek(e.key, 1000);
    assert.deepEqual(it.key(), e.key);
  });

  it("builds an empty block and reuses a builder", () => {
    const b = new BlockBuilder(16);
    assert.ok(b.empty());
    const empty = new Block(b.finish().slice());
    assert.equal(empty.numRestarts, 0);
    const it = empty.iterator();
    it.seekToFirst();
    assert.equal(it.valid(), false);
    it.seekToLast();
    assert.equal(it.valid(), false);
    it.seek(bytes("a"), MAX_SEQ);
    assert.equal(it.valid(), false);
    assert.equal(empty.get(bytes("a"), MAX_SEQ, newBlockLookup()), LOOKUP_PAST_END);
    b.reset();
    b.add(bytes("k"), 0, 1, 1, KIND_PUT, bytes("v"), 0, 1);
    assert.equal(b.empty(), false);
    assert.throws(() => {
      b.finish();
      b.add(bytes("l"), 0, 1, 1, KIND_PUT, bytes("v"), 0, 1);
    });
    b.reset();
    const entries = makeEntries(20, 4);
    for (const e of entries) b.add(e.key, 0, e.key.length, e.seq, e.kind, e.value, 0, e.value.length);
    checkBlock(entries, new Block(b.finish().slice()), 1);
    assert.throws(() => new BlockBuilder(0), RangeError);
  });

  it("rejects malformed trailers", () => {
    const goodBlock = build(makeEntries(40, 5), 4);
    const good = goodBlock.data;
    const rs = goodBlock.restartsOffset;
    const bad = (data: Uint8Array, what: string) =>
      assert.throws(() => new Block(data, "f.seg", 10), CorruptionError, what);
    bad(new Uint8Array(3), "too short");
    bad(Uint8Array.of(0, 0, 0, 0, 0), "entries without restarts");
    const bigCount = good.slice();
    bigCount[bigCount.length - 1] = 0x7f;
    bad(bigCount, "restart count too big");
    const disorder = good.slice();
    disorder.copyWithin(rs + 4, rs + 8, rs + 12); // restart 1 = restart 2
    bad(disorder, "restart points out of order");
    const notZero = good.slice();
    notZero[rs] = 1;
    bad(notZero, "first restart not 0");
    try {
      new Block(bigCount, "f.seg", 10);
    } catch (err) {
      assert.ok(err instanceof CorruptionError);
      assert.match(err.message, /f\.seg/);
      assert.match(err.message, /offset 10/);
    }
  });

  it("throws CorruptionError (never loops or misreads silently) on damaged entries", () => {
    const entries = makeEntries(80, 6);
    for (const interval of [1, 4, 16]) {
      const good = build(entries, interval).data;
      const r = seededRandom(interval);
      let detected = 0;
      for (let trial = 0; trial < 1500; trial++) {
        const data = good.slice();
        const flips = 1 + Math.floor(r() * 3);
        for (let f = 0; f < flips; f++) data[Math.floor(r() * data.length)] ^= 1 << Math.floor(r() * 8);
        try {
          const block = new Block(data, "fuzz", 0);
          const it = block.iterator();
          let steps = 0;
          for (it.seekToFirst(); it.valid(); it.next()) assert.ok(++steps <= data.length, "forward scan too long");
          steps = 0;
          for (it.seekToLast(); it.valid(); it.prev()) assert.ok(++steps <= data.length, "backward scan too long");
          const out = newBlockLookup();
          for (let j = 0; j < 10; j++) {
            const e = entries[Math.floor(r() * entries.length)];
            it.seek(e.key, e.seq);
            it.seekForPrev(e.key, e.seq);
            block.get(e.key, e.seq, out);
          }
        } catch (err) {
          if (!(err instanceof CorruptionError)) throw err;
          detected++;
        }
      }
      assert.ok(detected > 100, `only ${detected} damaged blocks detected`);
    }
  });

  it("detects a varint running past the entries and lengths past the end", () => {
    const b = new BlockBuilder(16);
    b.add(bytes("key"), 0, 3, 5, KIND_PUT, bytes("value"), 0, 5);
    const data = b.finish().slice();
    // Entry: shared 0, unshared 3, valueLength 5, tag 11, "key", "value".
    const longValue = data.slice();
    longValue[2] = 100;
    assert.throws(() => build0(longValue).iterator().seekToFirst(), CorruptionError);
    const runaway = data.slice();
    runaway.fill(0xff, 0, 12);
    assert.throws(() => build0(runaway).iterator().seekToFirst(), CorruptionError);
    assert.throws(() => build0(runaway).get(bytes("key"), 9, newBlockLookup()), CorruptionError);
    const sharedAtRestart = data.slice();
    sharedAtRestart[0] = 1;
    assert.throws(() => build0(sharedAtRestart).iterator().seekToFirst(), CorruptionError);
  });
});

function build0(data: Uint8Array): Block {
  return new Block(data, "unit", 0);
}
