import assert from "node:assert/strict";
import { mkdtempSync, readdirSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { test } from "node:test";
import { FaultyFileSystem } from "../fs/faulty.js";
import { MemoryFileSystem } from "../fs/memory.js";
import { seededRandom } from "../fs/random.js";
import type { FileSystem, WritableFile } from "../fs/types.js";
import { sortRuns } from "./bulk-sort.js";
import { InvalidArgumentError } from "./errors.js";
import type { StoreOptions } from "./options.js";
import { type PackedRun, PackedRunBuilder, packRun } from "./packed-run.js";
import { planChunks } from "./run-build.js";
import { open, type Store } from "./store.js";

const enc = (s: string) => new TextEncoder().encode(s);
const dec = (b: Uint8Array | undefined) => (b === undefined ? undefined : new TextDecoder().decode(b));
type Pair = [Uint8Array, Uint8Array];

/** Sorted pairs under a prefix: keys `<prefix>-000000` ... with values of varying length. */
function sortedPairs(prefix: string, n: number, from = 0): Pair[] {
  return Array.from({ length: n }, (_, i): Pair => {
    const k = i + from;
    return [enc(`${prefix}-${String(k).padStart(6, "0")}`), enc(`value ${prefix} ${k} ${"x".repeat(k % 40)}`)];
  });
}

function contents(db: Store): Array<[string, string]> {
  return [...db.iterator()].map(([k, v]) => [dec(k) as string, dec(v) as string]);
}

/** Segment files in a directory of the real file system, or of a memory one. */
function sstFiles(fs: FileSystem | null, dir: string): string[] {
  const names = fs ? fs.readdir(dir) : readdirSync(dir);
  return names.filter((n) => n.endsWith(".sst")).sort();
}

interface Setup {
  name: string;
  make(): { dir: string; fs: FileSystem | null; cleanup(): void };
}

const SETUPS: Setup[] = [
  {
    name: "in-memory file system (built inline)",
    make: () => ({ dir: "/db", fs: new MemoryFileSystem(), cleanup: () => undefined }),
  },
  {
    name: "real file system (built on workers)",
    make: () => {
      const dir = mkdtempSync(join(tmpdir(), "shale-ingest-runs-"));
      return { dir, fs: null, cleanup: () => rmSync(dir, { recursive: true, force: true }) };
    },
  },
];

function optionsFor(fs: FileSystem | null, extra: StoreOptions = {}): StoreOptions {
  return { ...(fs ? { fs } : {}), autoCompaction: false, ...extra };
}

for (const setup of SETUPS) {
  test(`ingestRuns of several runs reads exactly like ingest of their concatenation: ${setup.name}`, async () => {
    const a = setup.make();
    const b = setup.make();
    try {
      const runsPairs = [sortedPairs("a", 3000), sortedPairs("b", 10), [], sortedPairs("c", 5000), sortedPairs("d", 1)];
      const extra: StoreOptions = { targetFileSize: 32 << 10, blockSize: 1024 };
      const viaRuns = await open(a.dir, optionsFor(a.fs, extra));
      const viaIngest = await open(b.dir, optionsFor(b.fs, extra));
      for (const db of [viaRuns, viaIngest]) {
        await db.put("a-000005", "written before");
        await db.put("zzz", "untouched");
      }
      // Mixed arenas: shared and not, with and without values (the empty-valued run has none).
      const runs: PackedRun[] = runsPairs.map((p, i) => packRun(p, { shared: i % 2 === 0 }));
      runs[4] = packRun([[runsPairs[4][0][0]]], { values: false });
      runsPairs[4][0][1] = new Uint8Array(0);
      const r = await viaRuns.ingestRuns(runs);
      const all = runsPairs.flat();
      const r2 = await viaIngest.ingest(all);
      assert.equal(r.entries, all.length);
      assert.equal(r2.entries, all.length);
      assert.ok(r.files >= 4, `files cut at targetFileSize: ${r.files}`);
      assert.deepEqual(contents(viaRuns), contents(viaIngest));
      assert.equal(dec(viaRuns.get("a-000005")), dec(all[5][1]), "ingested pairs are newer than earlier writes");
      assert.equal(dec(viaRuns.get("d-000000")), "");
      assert.equal(dec(viaRuns.get("zzz")), "untouched");
      for (const [k, v] of all.filter((_, i) => i % 97 === 0)) assert.deepEqual(viaRuns.get(k), v);
      assert.equal(viaRuns.get("b-000010"), undefined);
      // The runs can be read again after the ingest (nothing was detached or changed).
      assert.equal(runs[0].count, 3000);
      assert.equal(dec(runs[0].keys.subarray(runs[0].keyOffsets[1], runs[0].keyOffsets[2])), "a-000001");
      // It survives a reopen.
      await viaRuns.close();
      const again = await open(a.dir, optionsFor(a.fs, extra));
      assert.deepEqual(contents(again), contents(viaIngest));
      await again.close();
      await viaIngest.close();
    } finally {
      a.cleanup();
      b.cleanup();
    }
  });

  test(`ingestRuns rejects unsorted, duplicate and overlapping runs and installs nothing: ${setup.name}`, async () => {
    const s = setup.make();
    try {
      const db = await open(s.dir, optionsFor(s.fs, { targetFileSize: 16 << 10 }));
      await db.put("keep", "me");
      await db.flush();
      const before = contents(db);
      const filesBefore = sstFiles(s.fs, s.dir);
      const good = () => packRun(sortedPairs("a", 2000));
      const cases: Array<[string, PackedRun[], RegExp]> = [];
      // A key out of order deep inside a run (found by the chunk job that writes it).
      const swapped = sortedPairs("a", 2000);
      [swapped[1500], swapped[1501]] = [swapped[1501], swapped[1500]];
      cases.push(["an unsorted run", [packRun(sortedPairs("0", 5)), packRun(swapped)], /run 1, entry 1501/]);
      const dup = sortedPairs("a", 2000);
      dup[700] = dup[699];
      cases.push(["a duplicate inside a run", [packRun(dup)], /run 0, entry 700.*duplicate/]);
      cases.push([
        "overlapping runs",
        [good(), packRun(sortedPairs("a", 10, 1990))],
        /run 1, entry 0.*not greater than the last key of run 0/,
      ]);
      cases.push(["runs in the wrong order", [packRun(sortedPairs("b", 10)), packRun([]), good()], /run 2, entry 0/]);
      cases.push([
        "a run repeating the last key of the one before",
        [good(), packRun([sortedPairs("a", 2000)[1999]])],
        /run 1, entry 0/,
      ]);
      // A duplicate exactly where the run is cut into chunks (no chunk job sees both keys), and
      // one just after a cut.
      const cuts = planChunks([good()], 16 << 10, 1)
        .map((c) => c.start)
        .filter((x) => x > 0);
      assert.ok(cuts.length >= 3, `the run is cut: ${cuts}`);
      for (const i of [cuts[0], cuts[1] + 1, cuts.at(-1) as number]) {
        const d = sortedPairs("a", 2000);
        d[i] = d[i - 1];
        cases.push([`a duplicate at entry ${i}`, [packRun(d)], new RegExp(`run 0, entry ${i}\\b`)]);
      }
      for (const [what, runs, message] of cases) {
        await assert.rejects(db.ingestRuns(runs), (err: unknown) => {
          assert.ok(err instanceof InvalidArgumentError, `${what}: ${String(err)}`);
          assert.match(err.message, message, what);
          return true;
        });
        assert.deepEqual(contents(db), before, `${what}: nothing installed`);
        assert.deepEqual(sstFiles(s.fs, s.dir), filesBefore, `${what}: no file left behind`);
      }
      // Bad shapes.
      const shape: Array<[string, unknown]> = [
        ["not an array", "nope"],
        ["a missing offset", [{ keys: enc("ab"), keyOffsets: new Uint32Array([0, 1]), count: 2 }]],
        ["offsets past the arena", [{ keys: enc("ab"), keyOffsets: new Uint32Array([0, 1, 9]), count: 2 }]],
        [
          "values without offsets",
          [{ keys: enc("ab"), keyOffsets: new Uint32Array([0, 1, 2]), values: enc("v"), count: 2 }],
        ],
      ];
      for (const [what, runs] of shape) {
        await assert.rejects(db.ingestRuns(runs as PackedRun[]), InvalidArgumentError, what);
      }
      // Decreasing offsets are found where the entries are read.
      await assert.rejects(
        db.ingestRuns([{ keys: enc("abc"), keyOffsets: new Uint32Array([0, 2, 1, 3]), count: 3 }]),
        /keyOffsets\[2\] = 1 is below/,
      );
      assert.deepEqual(contents(db), before);
      // Still works afterwards.
      const r = await db.ingestRuns([good()]);
      assert.equal(r.entries, 2000);
      assert.equal(dec(db.get("keep")), "me");
      assert.equal(dec(db.get("a-001999")), dec(sortedPairs("a", 2000)[1999][1]));
      assert.deepEqual(await db.ingestRuns([]), { entries: 0, files: 0, level: -1 });
      assert.deepEqual(await db.ingestRuns([packRun([])]), { entries: 0, files: 0, level: -1 });
      await db.close();
    } finally {
      s.cleanup();
    }
  });
}

test("sortRuns then ingestRuns: a bulk load of shuffled runs on the workers", async () => {
  const dir = mkdtempSync(join(tmpdir(), "shale-ingest-runs-"));
  try {
    const rnd = seededRandom(42);
    const n = 20_000;
    // Three key ranges: records in order, two indexes in shuffled order with empty values.
    const order = Array.from({ length: n }, (_, i) => i);
    for (let i = n - 1; i > 0; i--) {
      const j = Math.floor(rnd() * (i + 1));
      [order[i], order[j]] = [order[j], order[i]];
    }
    const records = new PackedRunBuilder();
    const byA = new PackedRunBuilder({ values: false });
    const byB = new PackedRunBuilder({ values: false, shared: false });
    for (let i = 0; i < n; i++) {
      records.keyAscii(`r\x00${String(i).padStart(8, "0")}`);
      records.valueBytes(enc(`row ${i}`));
      records.end();
    }
    for (const i of order) {
      byA.keyAscii(`s\x00ent-${String(i % 97).padStart(4, "0")}\x00${String(i).padStart(8, "0")}`);
      byA.end();
      byB.keyAscii(`t\x00user-${String(i % 1013).padStart(6, "0")}\x00${String(i).padStart(8, "0")}`);
      byB.end();
    }
    const runs = [records.finish(), byA.finish(), byB.finish()];
    const sorted = await sortRuns(runs);
    assert.equal(sorted[0], runs[0], "an already-sorted run comes back as is");
    assert.notEqual(sorted[1], runs[1]);
    assert.ok(sorted[1].keys.buffer instanceof SharedArrayBuffer, "sorted runs are in shared memory");
    assert.ok(sorted[2].keys.buffer instanceof SharedArrayBuffer, "even from an unshared input");
    const db = await open(dir, { autoCompaction: false, targetFileSize: 64 << 10 });
    const r = await db.ingestRuns(sorted);
    assert.equal(r.entries, 3 * n);
    const keys = [...db.iterator()].map(([k]) => dec(k) as string);
    assert.equal(keys.length, 3 * n);
    for (let i = 1; i < keys.length; i++) assert.ok(keys[i - 1] < keys[i], `iterator order at ${i}`);
    assert.equal(dec(db.get(`r\x00${String(123).padStart(8, "0")}`)), "row 123");
    assert.equal(dec(db.get(`s\x00ent-${String(123 % 97).padStart(4, "0")}\x00${String(123).padStart(8, "0")}`)), "");
    await db.close();
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test("ingestRuns with a failing disk: rejected, nothing visible, no file left, the store recovers", async () => {
  const mem = new MemoryFileSystem();
  const fs = new FaultyFileSystem(mem);
  const db = await open("/db", { fs, autoCompaction: false, targetFileSize: 8 << 10 });
  await db.put("keep", "me");
  const runs = [packRun(sortedPairs("a", 1000)), packRun(sortedPairs("b", 1000))];
  for (const [op, nth] of [
    ["write", 5],
    ["sync", 3],
    ["syncDir", 1],
  ] as const) {
    fs.addFault({ op, path: op === "syncDir" ? /.*/ : /\.sst$/, code: "EIO", nth });
    await assert.rejects(db.ingestRuns(runs), /EIO/, `${op} fails`);
    fs.clearFaults();
    assert.equal(db.get("a-000000"), undefined, `${op}: nothing visible`);
    assert.deepEqual(sstFiles(mem, "/db"), [], `${op}: no segment file left`);
  }
  const r = await db.ingestRuns(runs);
  assert.equal(r.entries, 2000);
  assert.equal(dec(db.get("keep")), "me");
  await db.close();
  const again = await open("/db", { fs: mem });
  assert.equal(dec(again.get("b-000999")), dec(sortedPairs("b", 1000)[999][1]));
  await again.close();
});

/** A file system that hands every mutating call to `before` first (to take crash images there). */
function imaging(mem: MemoryFileSystem, before: () => void): FileSystem {
  const m = <T>(call: () => T): T => {
    before();
    return call();
  };
  const wrapFile = (f: WritableFile): WritableFile => ({
    get path() {
      return f.path;
    },
    get size() {
      return f.size;
    },
    append: (d) => m(() => f.append(d)),
    writeAt: (d, p) => m(() => f.writeAt(d, p)),
    truncate: (n) => m(() => f.truncate(n)),
    sync: () => m(() => f.sync()),
    syncSync: () => m(() => f.syncSync()),
    close: () => f.close(),
  });
  return {
    openRead: (p) => mem.openRead(p),
    openWrite: (p, o) => m(() => wrapFile(mem.openWrite(p, o))),
    readFile: (p) => mem.readFile(p),
    rename: (a, b) => m(() => mem.rename(a, b)),
    unlink: (p) => m(() => mem.unlink(p)),
    mkdir: (p) => m(() => mem.mkdir(p)),
    readdir: (p) => mem.readdir(p),
    exists: (p) => mem.exists(p),
    size: (p) => mem.size(p),
    link: (a, b) => m(() => mem.link(a, b)),
    syncDir: (p) => m(() => mem.syncDir(p)),
    lock: (p) => mem.lock(p),
  };
}

test("a crash at every call of ingestRuns leaves it all or nothing; an acknowledged one survives", async () => {
  for (const keepUnsynced of ["none", "random"] as const) {
    const mem = new MemoryFileSystem();
    const images: MemoryFileSystem[] = [];
    let imaging_ = false;
    const rnd = seededRandom(3);
    const fs = imaging(mem, () => {
      if (imaging_) images.push(mem.crashClone({ keepUnsynced, random: rnd }));
    });
    const db = await open("/db", { fs, autoCompaction: false, targetFileSize: 4 << 10, durability: "none" });
    await db.put("a-000003", "older, not yet synced");
    await db.put("keep", "me");
    const runs = [packRun(sortedPairs("a", 300)), packRun(sortedPairs("b", 200))];
    const want = [...sortedPairs("a", 300), ...sortedPairs("b", 200)];
    imaging_ = true;
    await db.ingestRuns(runs);
    imaging_ = false;
    assert.ok(images.length > 10, `ingestRuns made ${images.length} mutating calls`);
    images.push(mem.crashClone({ keepUnsynced, random: rnd }));
    await db.close();
    for (let i = 0; i < images.length; i++) {
      const last = i === images.length - 1;
      const again = await open("/db", { fs: images[i] });
      const present = want.filter(([k, v]) => {
        const got = again.get(k);
        return got !== undefined && Buffer.compare(got, v) === 0;
      }).length;
      assert.ok(
        present === 0 || present === want.length,
        `image ${i} (${keepUnsynced}): ${present} of ${want.length} pairs`,
      );
      if (last) assert.equal(present, want.length, "the acknowledged ingest survives a crash");
      if (present > 0) {
        // The ingest made the writes issued before it durable first, and stays newer than them.
        assert.equal(dec(again.get("keep")), "me", `image ${i}`);
      } else {
        const older = again.get("a-000003");
        assert.ok(older === undefined || dec(older) === "older, not yet synced", `image ${i}`);
      }
      await again.close();
    }
  }
});

for (const setup of SETUPS) {
  test(`ingestRuns takes runs as promises, writes each as it arrives, installs all or nothing (${setup.name})`, async () => {
    const { dir, fs, cleanup } = setup.make();
    try {
      const db = await open(dir, optionsFor(fs, { targetFileSize: 64 << 10 }));
      const later = <T>(v: T, ms: number) => new Promise<T>((r) => setTimeout(() => r(v), ms));
      const a = sortedPairs("a", 3000);
      const b = sortedPairs("b", 3000);
      const c = sortedPairs("c", 10);
      // Out of key order in time: the last run arrives first.
      const result = await db.ingestRuns([later(packRun(a), 30), packRun(b), later(packRun(c), 1)]);
      assert.equal(result.entries, 6010);
      assert.deepEqual(
        contents(db),
        [...a, ...b, ...c].map(([k, v]) => [dec(k), dec(v)]),
      );
      const files = sstFiles(fs, dir);
      // A rejected promise, or runs that overlap: nothing is installed, and their files are removed.
      const boom = new Error("encoding failed");
      await assert.rejects(
        db.ingestRuns([
          packRun(sortedPairs("d", 2000)),
          new Promise<PackedRun>((_, reject) => setTimeout(() => reject(boom), 5)),
        ]),
        boom,
      );
      await assert.rejects(
        db.ingestRuns([later(packRun(sortedPairs("e", 100)), 5), packRun(sortedPairs("e", 100, 50))]),
        InvalidArgumentError,
      );
      await assert.rejects(db.ingestRuns([Promise.resolve(packRun([b[2], b[1]]))]), InvalidArgumentError);
      assert.deepEqual(sstFiles(fs, dir), files);
      assert.equal(contents(db).length, 6010);
      await db.close();
    } finally {
      cleanup();
    }
  });
}
