// Tests of segment files: write/read round trips against a sorted-array model (gets, full scans both
// ways, random seeks) across block sizes, restart intervals, bloom settings and compressions; the
// global sequence override; writer argument checks; and CorruptionError on damaged or short files.

import assert from "node:assert/strict";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { describe, it } from "node:test";
import { assertAt, type Entry, lowerBound, modelGet } from "../../test/support/internal-entries.js";
import { NodeFileSystem } from "../fs/node.js";
import { seededRandom } from "../fs/random.js";
import type { ReadableFile, WritableFile } from "../fs/types.js";
import { BlockCache } from "./block-cache.js";
import { compareInternal, compareKeys } from "./compare.js";
import { crc32 } from "./crc.js";
import { CorruptionError } from "./errors.js";
import { type EntryKind, KIND_DELETE, KIND_PUT, MAX_SEQ } from "./internal-iterator.js";
import {
  SEGMENT_FOOTER_SIZE,
  Segment,
  type SegmentCompression,
  SegmentWriter,
  type SegmentWriterOptions,
  zstdAvailable,
} from "./segment.js";

// --- Test doubles -------------------------------------------------------------------------------

class MemWritable implements WritableFile {
  readonly appends: number[] = [];
  private chunks: Uint8Array[] = [];
  private len = 0;
  constructor(readonly path: string) {}
  get size(): number {
    return this.len;
  }
  append(data: Uint8Array): void {
    this.chunks.push(data.slice());
    this.appends.push(data.length);
    this.len += data.length;
  }
  writeAt(): void {
    throw new Error("not used");
  }
  truncate(): void {
    throw new Error("not used");
  }
  async sync(): Promise<void> {}
  syncSync(): void {}
  close(): void {}
  contents(): Uint8Array {
    const out = new Uint8Array(this.len);
    let p = 0;
    for (const c of this.chunks) {
      out.set(c, p);
      p += c.length;
    }
    return out;
  }
}

class MemReadable implements ReadableFile {
  reads = 0;
  closed = false;
  constructor(
    readonly path: string,
    private readonly data: Uint8Array,
  ) {}
  get size(): number {
    return this.data.length;
  }
  read(buf: Uint8Array, offset: number, length: number, position: number): number {
    this.reads++;
    const n = Math.max(0, Math.min(length, this.data.length - position));
    buf.set(this.data.subarray(position, position + n), offset);
    return n;
  }
  close(): void {
    this.closed = true;
  }
}

// --- Model --------------------------------------------------------------------------------------

/** n random entries in internal order: 1-3 versions per key, ~20% deletes, a few values bigger than a block. */
function makeEntries(n: number, seed: number, versions = 3): Entry[] {
  const r = seededRandom(seed);
  const keys = new Map<string, Uint8Array>();
  const out: Entry[] = [];
  while (out.length < n) {
    const len = 1 + Math.floor(r() * 24);
    const k = new Uint8Array(len);
    for (let i = 0; i < len; i++) k[i] = i < 4 ? 0x61 + Math.floor(r() * 4) : Math.floor(r() * 256);
    const hex = Buffer.from(k).toString("hex");
    if (keys.has(hex)) continue;
    keys.set(hex, k);
    const nv = 1 + Math.floor(r() * versions);
    for (let v = 0; v < nv; v++) {
      const kind = r() < 0.2 ? KIND_DELETE : KIND_PUT;
      const vlen = kind === KIND_DELETE ? 0 : r() < 0.003 ? 6000 : Math.floor(r() * 100);
      const value = new Uint8Array(vlen);
      for (let i = 0; i < vlen; i++) value[i] = (i * 7 + len) & 0xff;
      out.push({ key: k, seq: 0, kind, value });
    }
  }
  // Unique seqs in random order, spread over a wide range.
  const seqs = out.map((_, i) => i * 13 + 5);
  for (let i = seqs.length - 1; i > 0; i--) {
    const j = Math.floor(r() * (i + 1));
    [seqs[i], seqs[j]] = [seqs[j], seqs[i]];
  }
  out.forEach((e, i) => {
    e.seq = seqs[i];
  });
  return out.sort((a, b) => compareInternal(a.key, a.seq, b.key, b.seq));
}

function writeSegment(entries: Entry[], options: SegmentWriterOptions = {}, name = "/db/000007.seg") {
  const file = new MemWritable(name);
  const writer = new SegmentWriter(file, options);
  for (const e of entries) writer.addEntry(e.key, e.seq, e.kind, e.value);
  const estimate = writer.estimatedFileSize();
  const props = writer.finish();
  const contents = file.contents();
  assert.equal(props.fileSize, contents.length);
  assert.ok(Math.abs(estimate - contents.length) < contents.length * 0.2 + 200, `estimate ${estimate}`);
  return { file, props, contents };
}

function checkSegment(entries: Entry[], seg: Segment, seed: number): void {
  const it = seg.iterator();
  let i = 0;
  for (it.seekToFirst(); it.valid(); it.next()) assertAt(it, entries[i], `forward ${i++}`);
  assert.equal(i, entries.length);
  i = entries.length - 1;
  for (it.seekToLast(); it.valid(); it.prev()) assertAt(it, entries[i], `backward ${i--}`);
  assert.equal(i, -1);

  const r = seededRandom(seed);
  const maxSeq = entries.length * 13 + 10;
  const randomKey = (): Uint8Array => {
    const base = entries[Math.floor(r() * entries.length)].key;
    const x = r();
    if (x < 0.5) return base.slice();
    if (x < 0.7) return Uint8Array.from([...base, Math.floor(r() * 256)]);
    const k = base.slice();
    k[k.length - 1] ^= 1 + Math.floor(r() * 255);
    return x < 0.85 ? k : base.subarray(0, Math.floor(r() * base.length));
  };
  for (let j = 0; j < 2000; j++) {
    const key = randomKey();
    const seq = r() < 0.2 ? MAX_SEQ : r() < 0.1 ? 0 : Math.floor(r() * maxSeq);
    const lb = lowerBound(entries, key, seq);
    it.seek(key, seq);
    assertAt(it, entries[lb], `seek ${j}`);
    const steps = Math.floor(r() * 5);
    const backward = r() < 0.5;
    for (let s = 1; s <= steps && it.valid(); s++) {
      if (backward) it.prev();
      else it.next();
      const idx = backward ? lb - s : lb + s;
      assertAt(it, idx >= 0 ? entries[idx] : undefined, `seek ${j} step ${s}`);
    }
    const le = lb < entries.length && compareInternal(entries[lb].key, entries[lb].seq, key, seq) === 0 ? lb : lb - 1;
    it.seekForPrev(key, seq);
    assertAt(it, le >= 0 ? entries[le] : undefined, `seekForPrev ${j}`);
    if (it.valid()) {
      it.next();
      assertAt(it, entries[le + 1], `seekForPrev ${j} then next`);
    }
    const want = modelGet(entries, key, seq);
    const got = seg.get(key, seq);
    if (want === undefined) assert.equal(got, undefined, `get ${j}`);
    else {
      assert.ok(got !== undefined, `get ${j}`);
      assert.equal(got.seq, want.seq);
      assert.equal(got.kind, want.kind);
      assert.deepEqual(got.value, want.value);
      assert.ok(seg.mayContain(key));
    }
  }
  it.seek(Uint8Array.of(0xff, 0xff, 0xff, 0xff, 0xff), MAX_SEQ);
  assert.equal(it.valid(), false);
  it.seekForPrev(new Uint8Array(0), MAX_SEQ);
  assert.equal(it.valid(), false);
  it.seekForPrev(Uint8Array.of(0xff, 0xff, 0xff, 0xff, 0xff), 0);
  assertAt(it, entries[entries.length - 1], "seekForPrev past the end");
  it.close();
  assert.equal(it.valid(), false);
}

function expectedProps(entries: Entry[]) {
  let minSeq = MAX_SEQ;
  let maxSeq = 0;
  for (const e of entries) {
    minSeq = Math.min(minSeq, e.seq);
    maxSeq = Math.max(maxSeq, e.seq);
  }
  return {
    entries: entries.length,
    deletes: entries.filter((e) => e.kind === KIND_DELETE).length,
    smallestKey: entries[0].key,
    smallestSeq: entries[0].seq,
    largestKey: entries[entries.length - 1].key,
    largestSeq: entries[entries.length - 1].seq,
    minSeq,
    maxSeq,
  };
}

// --- Round trips --------------------------------------------------------------------------------

describe("segment round trip", () => {
  const entries = makeEntries(12_000, 42);
  const configs: { name: string; options: SegmentWriterOptions; cache?: number; verify?: boolean }[] = [
    { name: "defaults, with a cache", options: {}, cache: 1 << 20 },
    { name: "no bloom filter, no cache", options: { bloomBitsPerKey: 0 } },
    {
      name: "64-byte blocks, restart interval 1, small cache",
      options: { blockSize: 64, restartInterval: 1 },
      cache: 8192,
    },
    { name: "deflate", options: { compression: "deflate", blockSize: 1024, restartInterval: 4 }, cache: 1 << 16 },
    {
      name: "16 KiB blocks, 5 bits per key, no checksum verification",
      options: { blockSize: 16384, bloomBitsPerKey: 5 },
      verify: false,
    },
  ];
  if (zstdAvailable()) configs.push({ name: "zstd", options: { compression: "zstd" }, cache: 1 << 16 });

  for (const { name, options, cache, verify } of configs) {
    it(name, () => {
      const { props, contents } = writeSegment(entries, options);
      assert.deepEqual({ ...props, fileSize: 0, dataSize: 0 }, { ...expectedProps(entries), fileSize: 0, dataSize: 0 });
      assert.ok(props.dataSize > 0 && props.dataSize < props.fileSize);
      const blockCache = cache === undefined ? undefined : new BlockCache(cache);
      const file = new MemReadable("/db/000007.seg", contents);
      const seg = Segment.open(file, { fileNumber: 7, cache: blockCache, verifyChecksums: verify });
      assert.deepEqual(seg.properties, props);
      assert.equal(seg.hasFilter(), options.bloomBitsPerKey !== 0);
      assert.ok(seg.memoryUsage() > 0 && seg.memoryUsage() < contents.length);
      checkSegment(entries, seg, 7);
      if (blockCache !== undefined) assert.ok(blockCache.stats().hits > 0);
      seg.close();
      assert.ok(file.closed);
    });
  }

  it("searches an index whose keys share a long prefix (including keys shorter than it)", () => {
    const r = seededRandom(8);
    const prefix = new TextEncoder().encode("tenant/0042/user/");
    const keyMap = new Map<string, Uint8Array>();
    for (let i = 0; i < 3000; i++) {
      const len = Math.floor(r() * 12);
      const suffix = Uint8Array.from({ length: len }, () => (r() < 0.3 ? 0 : Math.floor(r() * 4) + 0x30));
      const key = new Uint8Array(prefix.length + len);
      key.set(prefix);
      key.set(suffix, prefix.length);
      keyMap.set(Buffer.from(key).toString("hex"), key);
    }
    const sorted = [...keyMap.values()].sort(compareKeys);
    const list: Entry[] = [];
    sorted.forEach((key, i) => {
      for (let v = 0; v < 1 + (i % 3); v++)
        list.push({ key, seq: 1000 + i * 3 - v, kind: KIND_PUT, value: key.slice(0, 5) });
    });
    for (const blockSize of [48, 300]) {
      const { contents } = writeSegment(list, { blockSize, restartInterval: 2 });
      const seg = Segment.open(new MemReadable("p", contents), { fileNumber: 1 });
      checkSegment(list, seg, blockSize);
      const it = seg.iterator();
      for (let len = 0; len <= prefix.length; len++) {
        const probe = prefix.subarray(0, len);
        it.seek(probe, MAX_SEQ);
        assertAt(it, list[lowerBound(list, probe, MAX_SEQ)], `prefix probe ${len}`);
        assert.equal(seg.get(probe, MAX_SEQ) === undefined, modelGet(list, probe, MAX_SEQ) === undefined);
      }
      const other = prefix.slice();
      other[3] += 1;
      it.seek(other, MAX_SEQ);
      assert.equal(it.valid(), false);
      other[3] -= 2;
      it.seek(other, MAX_SEQ);
      assertAt(it, list[0], "before the prefix");
    }
  });

  it("walks randomly back and forth across blocks", () => {
    const { contents } = writeSegment(entries, { blockSize: 200, restartInterval: 4 });
    const seg = Segment.open(new MemReadable("w", contents), { fileNumber: 1, cache: new BlockCache(1 << 16) });
    const it = seg.iterator();
    const r = seededRandom(99);
    let pos = -1;
    for (let step = 0; step < 3000; step++) {
      if (pos < 0 || pos >= entries.length) {
        pos = Math.floor(r() * entries.length);
        it.seek(entries[pos].key, entries[pos].seq);
      }
      const back = r() < 0.6;
      const run = 1 + Math.floor(r() * 30);
      for (let i = 0; i < run && pos >= 0 && pos < entries.length; i++) {
        if (back) {
          it.prev();
          pos--;
        } else {
          it.next();
          pos++;
        }
        assertAt(it, entries[pos], `walk step ${step}`);
      }
    }
  });

  it("compresses when it pays off, and reads back what it compressed", () => {
    const plain = writeSegment(entries, { blockSize: 1024 }).contents.length;
    const deflated = writeSegment(entries, { blockSize: 1024, compression: "deflate" }).contents.length;
    assert.ok(deflated < plain * 0.9, `deflate ${deflated} vs ${plain}`);
    // Incompressible data is stored as is (same size as uncompressed).
    const r = seededRandom(1);
    const random = makeEntries(2000, 3, 1).map((e) => ({
      ...e,
      value: Uint8Array.from({ length: 50 }, () => r() * 256),
    }));
    const a = writeSegment(random, { compression: "none", bloomBitsPerKey: 0 }).contents.length;
    const b = writeSegment(random, { compression: "deflate", bloomBitsPerKey: 0 });
    assert.ok(b.contents.length <= a * 1.01 + 64, `${b.contents.length} vs ${a}`);
    checkSegment(random, Segment.open(new MemReadable("r", b.contents), { fileNumber: 1 }), 2);
  });

  it("zstd works where available and is refused clearly where not", () => {
    const few = entries.slice(0, 500);
    if (zstdAvailable()) {
      const { contents } = writeSegment(few, { compression: "zstd" });
      checkSegment(few, Segment.open(new MemReadable("z", contents), { fileNumber: 1 }), 3);
    } else {
      assert.throws(() => new SegmentWriter(new MemWritable("z"), { compression: "zstd" }), /zstd.*Node\.js >= 22\.15/);
    }
  });

  it("keeps returned values valid after their blocks leave the cache", () => {
    const { contents } = writeSegment(entries, { blockSize: 256 });
    const cache = new BlockCache(4096);
    const seg = Segment.open(new MemReadable("v", contents), { fileNumber: 3, cache });
    const picked = entries.filter((_, i) => i % 97 === 0);
    const got = picked.map((e) => seg.get(e.key, e.seq));
    for (const e of entries) seg.get(e.key, MAX_SEQ); // churn the cache
    cache.evictFile(3);
    picked.forEach((e, i) => {
      assert.deepEqual(got[i]?.value, e.value);
    });
  });

  it("uses the bloom filter to skip data blocks", () => {
    const { contents } = writeSegment(entries);
    const file = new MemReadable("b", contents);
    const seg = Segment.open(file, { fileNumber: 1 });
    const before = file.reads;
    let skipped = 0;
    for (let i = 0; i < 1000; i++) {
      const key = Uint8Array.of(0x7a, 0x7a, i & 0xff, i >> 8);
      if (!seg.mayContain(key)) skipped++;
      assert.equal(seg.get(key, MAX_SEQ), undefined);
    }
    assert.ok(skipped > 950, `bloom skipped only ${skipped}`);
    assert.ok(file.reads - before < 50);
  });

  it("buffers writes into large appends", () => {
    const { file } = writeSegment(entries);
    assert.ok(file.appends.length > 2);
    for (const n of file.appends.slice(0, -1)) assert.ok(n >= 64 * 1024, `append of ${n} bytes`);
  });

  it("reads entries at a global sequence number", () => {
    const unique = makeEntries(3000, 5, 1);
    const { contents } = writeSegment(unique, { blockSize: 512 });
    const seg = Segment.open(new MemReadable("g", contents), { fileNumber: 9, globalSeq: 777_777 });
    assert.equal(seg.properties.minSeq, 777_777);
    assert.equal(seg.properties.maxSeq, 777_777);
    assert.equal(seg.properties.smallestSeq, 777_777);
    assert.equal(seg.properties.largestSeq, 777_777);
    const relabelled = unique.map((e) => ({ ...e, seq: 777_777 }));
    checkSegment(relabelled, seg, 11);
    const e = unique[1234];
    assert.equal(seg.get(e.key, 777_776), undefined);
    assert.equal(seg.get(e.key, 777_777)?.seq, 777_777);
    assert.deepEqual(seg.get(e.key, MAX_SEQ)?.value, e.value);
  });

  it("works on a real file", () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), "shale-segment-"));
    try {
      const nfs = new NodeFileSystem();
      const p = path.join(dir, "000001.seg");
      const w = nfs.openWrite(p, { truncate: true });
      const writer = new SegmentWriter(w, { compression: "deflate" });
      const few = entries.slice(0, 3000);
      for (const e of few) writer.add(e.key, 0, e.key.length, e.seq, e.kind, e.value, 0, e.value.length);
      const props = writer.finish();
      w.syncSync();
      w.close();
      assert.equal(fs.statSync(p).size, props.fileSize);
      const seg = Segment.open(nfs.openRead(p), { fileNumber: 1, cache: new BlockCache(1 << 20) });
      checkSegment(few, seg, 13);
      seg.close();
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });
});

// --- Writer checks ------------------------------------------------------------------------------

describe("segment writer", () => {
  const k = (s: string) => new TextEncoder().encode(s);
  const v = new Uint8Array(0);

  it("rejects entries out of internal order", () => {
    const w = new SegmentWriter(new MemWritable("o"), { blockSize: 64 });
    w.addEntry(k("b"), 10, KIND_PUT, v);
    assert.throws(() => w.addEntry(k("a"), 11, KIND_PUT, v), /out of order/);
    assert.throws(() => w.addEntry(k("b"), 10, KIND_PUT, v), /out of order/);
    assert.throws(() => w.addEntry(k("b"), 11, KIND_PUT, v), /out of order/);
    w.addEntry(k("b"), 9, KIND_DELETE, v);
    for (let i = 0; i < 20; i++) w.addEntry(k(`c${i.toString().padStart(2, "0")}`), 5, KIND_PUT, k("0123456789"));
    // Across a block boundary, the check uses the last key of the previous block.
    assert.throws(() => w.addEntry(k("c00"), 1, KIND_PUT, v), /out of order/);
    w.addEntry(k("d"), 1, KIND_PUT, v);
    assert.equal(w.entries(), 23);
    const props = w.finish();
    assert.equal(props.entries, 23);
    assert.equal(props.deletes, 1);
    assert.throws(() => w.addEntry(k("e"), 1, KIND_PUT, v));
    assert.throws(() => w.finish());
  });

  it("rejects bad sequence numbers, kinds and options", () => {
    const w = new SegmentWriter(new MemWritable("s"));
    assert.throws(() => w.addEntry(k("a"), -1, KIND_PUT, v), RangeError);
    assert.throws(() => w.addEntry(k("a"), MAX_SEQ + 1, KIND_PUT, v), RangeError);
    assert.throws(() => w.addEntry(k("a"), 1.5, KIND_PUT, v), RangeError);
    assert.throws(() => w.addEntry(k("a"), 1, 2 as EntryKind, v), RangeError);
    const f = new MemWritable("x");
    const w2 = new SegmentWriter(f);
    w2.addEntry(k("a"), MAX_SEQ, KIND_PUT, k("new"));
    w2.addEntry(k("a"), 0, KIND_DELETE, v);
    w2.finish();
    const contents = f.contents();
    const seg = Segment.open(new MemReadable("x", contents), { fileNumber: 1 });
    assert.equal(seg.get(k("a"), MAX_SEQ)?.seq, MAX_SEQ);
    assert.equal(seg.get(k("a"), MAX_SEQ - 1)?.kind, KIND_DELETE);
    assert.throws(() => new SegmentWriter(new MemWritable("o"), { blockSize: 0 }), RangeError);
    assert.throws(() => new SegmentWriter(new MemWritable("o"), { compression: "lz4" as SegmentCompression }));
  });

  it("writes blocks bigger than its write buffer", () => {
    const big = new Uint8Array(300_000).map((_, i) => i * 31);
    const list: Entry[] = [
      { key: k("a"), seq: 3, kind: KIND_PUT, value: k("small") },
      { key: k("b"), seq: 2, kind: KIND_PUT, value: big },
      { key: k("c"), seq: 1, kind: KIND_PUT, value: k("small") },
    ];
    const { contents, file } = writeSegment(list);
    assert.ok(file.appends.some((n) => n >= big.length));
    const seg = Segment.open(new MemReadable("big", contents), { fileNumber: 1 });
    assert.equal(Buffer.compare(seg.get(k("b"), MAX_SEQ)?.value ?? v, big), 0);
    const it = seg.iterator();
    const seen: string[] = [];
    for (it.seekToLast(); it.valid(); it.prev()) seen.push(`${String.fromCharCode(it.key()[0])}${it.value().length}`);
    assert.deepEqual(seen, ["c5", "b300000", "a5"]);
  });

  it("refuses to finish an empty segment", () => {
    const f = new MemWritable("e");
    assert.throws(() => new SegmentWriter(f).finish(), /empty segment/);
    assert.equal(f.size, 0);
  });
});

// --- Damage -------------------------------------------------------------------------------------

describe("segment corruption", () => {
  const entries = makeEntries(2000, 77);
  const { contents } = writeSegment(entries, { blockSize: 512 }, "/db/000042.seg");
  const u32 = (b: Uint8Array, p: number) => (b[p] | (b[p + 1] << 8) | (b[p + 2] << 16) | (b[p + 3] << 24)) >>> 0;
  const footer = contents.length - SEGMENT_FOOTER_SIZE;
  const indexOffset = u32(contents, footer);
  const filterOffset = u32(contents, footer + 12);
  const propsOffset = u32(contents, footer + 24);
  const open = (bytes: Uint8Array, verifyChecksums = true) =>
    Segment.open(new MemReadable("/db/000042.seg", bytes), { fileNumber: 42, verifyChecksums });
  const flip = (at: number, bit = 0) => {
    const b = contents.slice();
    b[at] ^= 1 << bit;
    return b;
  };
  const corrupt = (fn: () => unknown, pattern: RegExp) =>
    assert.throws(fn, (err: unknown) => {
      assert.ok(err instanceof CorruptionError, `not a CorruptionError: ${String(err)}`);
      assert.match(err.message, /\/db\/000042\.seg/);
      assert.match(err.message, pattern);
      return true;
    });
  const scan = (seg: Segment) => {
    const it = seg.iterator();
    let n = 0;
    for (it.seekToFirst(); it.valid(); it.next()) n++;
    return n;
  };

  it("opens and scans the undamaged file", () => {
    assert.ok(indexOffset > propsOffset && propsOffset > filterOffset && filterOffset > 0);
    assert.equal(scan(open(contents)), entries.length);
  });

  it("detects a flipped bit in a data block", () => {
    for (const at of [0, 3, 100, 400]) {
      const seg = open(flip(at, 3));
      corrupt(() => scan(seg), /data block at 0: checksum mismatch/);
      corrupt(() => seg.get(entries[0].key, MAX_SEQ), /checksum mismatch/);
    }
    const seg = open(flip(filterOffset - 3));
    corrupt(() => seg.iterator().seekToLast(), /checksum mismatch/);
  });

  it("reports only CorruptionError for damaged data blocks when checksums are off", () => {
    for (const compression of ["none", "deflate"] as const) {
      const bytes = compression === "none" ? contents : writeSegment(entries, { blockSize: 512, compression }).contents;
      for (let at = 0; at < 600; at += 13) {
        const b = bytes.slice();
        b[at] ^= 1 << (at % 8);
        const seg = open(b, false);
        try {
          scan(seg);
          for (const e of entries.slice(0, 50)) seg.get(e.key, e.seq);
        } catch (err) {
          assert.ok(err instanceof CorruptionError, String(err));
        }
      }
    }
  });

  it("detects damage to the index, filter and properties blocks", () => {
    corrupt(() => open(flip(indexOffset + 5)), /index block at \d+: checksum mismatch/);
    corrupt(() => open(flip(filterOffset + 5)), /filter block at \d+: checksum mismatch/);
    corrupt(() => open(flip(propsOffset + 1)), /properties block at \d+: checksum mismatch/);
  });

  it("detects damage to the footer", () => {
    for (let at = footer; at < footer + 44; at++) corrupt(() => open(flip(at, at % 8)), /footer checksum|magic/);
    for (let at = footer + 44; at < contents.length; at++) corrupt(() => open(flip(at)), /bad magic/);
  });

  it("detects truncated and tiny files", () => {
    for (const len of [contents.length - 1, contents.length - 20, contents.length >> 1, 60]) {
      corrupt(() => open(contents.subarray(0, len)), /magic|too short/);
    }
    for (const len of [51, 10, 0]) corrupt(() => open(contents.subarray(0, len)), /too short/);
  });

  it("detects a footer that points outside the file", () => {
    // Re-create a valid footer CRC over a bad index handle: the handle check must catch it.
    const b = contents.slice();
    b[footer + 8] = 0xff;
    b[footer + 9] = 0xff;
    b[footer + 10] = 0xff;
    const crc = crc32(b, footer, footer + 40);
    b[footer + 40] = crc & 0xff;
    b[footer + 41] = (crc >>> 8) & 0xff;
    b[footer + 42] = (crc >>> 16) & 0xff;
    b[footer + 43] = (crc >>> 24) & 0xff;
    corrupt(() => open(b), /index block handle .* outside the file/);
  });
});

describe("cache-warming readahead", () => {
  it("a miss while the cache has room caches a run of blocks with one read", () => {
    const entries = makeEntries(3000, 91, 1);
    const { contents } = writeSegment(entries, { blockSize: 256 });
    const cache = new BlockCache(64 << 20);
    const seg = Segment.open(new MemReadable("/db/000007.seg", contents), { fileNumber: 7, cache });
    assert.ok(seg.blockCount > 100);
    for (const e of entries) assert.deepEqual(seg.get(e.key, MAX_SEQ)?.value, e.value);
    const s = cache.stats();
    assert.ok(s.misses * 10 < seg.blockCount, `${s.misses} misses for ${seg.blockCount} blocks`);
    assert.equal(s.entries, seg.blockCount);
  });

  it("damage in a neighbouring block does not fail a read of a healthy one", () => {
    const entries = makeEntries(3000, 92, 1);
    const { contents } = writeSegment(entries, { blockSize: 256 });
    const damaged = contents.slice();
    damaged[20_000] ^= 0x01; // a data block within the first read-ahead run, far from the first block
    const cache = new BlockCache(64 << 20);
    const seg = Segment.open(new MemReadable("/db/000007.seg", damaged), { fileNumber: 7, cache });
    assert.deepEqual(seg.get(entries[0].key, MAX_SEQ)?.value, entries[0].value);
    let corrupt = 0;
    for (const e of entries) {
      try {
        const got = seg.get(e.key, MAX_SEQ);
        assert.deepEqual(got?.value, e.value);
      } catch (err) {
        assert.ok(err instanceof CorruptionError);
        corrupt++;
      }
    }
    assert.ok(corrupt > 0, "the damaged block is still reported when read");
  });
});
