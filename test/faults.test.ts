// I/O faults and misuse: owns the checks of how the store behaves when the disk fails under it
// (FaultyFileSystem over MemoryFileSystem: ENOSPC and EIO on WAL writes and syncs, on segment
// writes in flushes and compactions, on manifest writes and syncs, on directory syncs, and during
// recovery), and when the API is misused (bad keys, values and batch operations, unsorted or
// failing ingests, a locked directory, a closed store, an iterator open across close()).
//
// The contract (docs/durability.md, "Errors"): the write whose WAL append or sync fails, and every
// later write, is rejected with StoreWriteError saying what happened and what to do; a failing
// flush or compaction puts the store in the same state; reads keep working; everything
// acknowledged earlier survives close() and a reopen once the fault is gone (and, for strict
// writes, a power cut); the failed write itself may or may not be there; the reopened store takes
// writes again. Writes here are issued one at a time so the acknowledged history is exact.

import assert from "node:assert/strict";
import { test } from "node:test";
import type { FaultRule } from "../src/fs/faulty.js";
import {
  CorruptionError,
  type Durability,
  FaultyFileSystem,
  FsError,
  InvalidArgumentError,
  type Key,
  MemoryFileSystem,
  open,
  type Store,
  StoreClosedError,
  StoreLockedError,
  type StoreOptions,
  StoreWriteError,
} from "../src/index.js";
import {
  dec,
  describeDiff,
  enc,
  errorName,
  type ModelEntry,
  matchPrefixes,
  readAll,
  stateAfter,
  turns,
  withTimeout,
} from "./support/crash-model.js";

const DIR = "/db";
const KEYS = Array.from({ length: 12 }, (_, i) => `key-${String(i).padStart(2, "0")}`);
const TIMEOUT = 20_000;
const OPTIONS: StoreOptions = {
  writeBufferSize: 4096,
  targetFileSize: 4096,
  blockSize: 512,
  l0CompactionTrigger: 2,
  walShards: 2,
  compactionThread: "inline",
};

/** The exact history of acknowledged writes, and the one write whose outcome is unknown. */
class Model {
  readonly acked: ModelEntry[] = [];
  failed: ModelEntry | null = null;
  private n = 0;

  constructor(
    readonly store: () => Store,
    readonly tag: string,
  ) {}

  next(): { key: string; value: string } {
    const i = this.n++;
    return { key: KEYS[i % KEYS.length], value: `${this.tag}${i}:${"x".repeat(40 + (i % 50))}` };
  }

  /** `count` writes, each awaited; all must succeed. */
  async write(count: number, durability?: Durability): Promise<void> {
    for (let i = 0; i < count; i++) {
      const { key, value } = this.next();
      await this.store().put(key, value, durability ? { durability } : undefined);
      this.acked.push({ ops: [{ key, value }] });
    }
  }

  /** Writes until one is rejected (at most `max`); returns its error. */
  async writeUntilRejected(max: number, durability?: Durability): Promise<unknown> {
    for (let i = 0; i < max; i++) {
      const { key, value } = this.next();
      try {
        await this.store().put(key, value, durability ? { durability } : undefined);
      } catch (err) {
        this.failed = { ops: [{ key, value }] };
        return err;
      }
      this.acked.push({ ops: [{ key, value }] });
    }
    assert.fail(`no write was rejected in ${max} attempts`);
  }
}

/** A StoreWriteError that says what happened (the code, the file) and what to do. */
function assertWriteError(err: unknown, code: string, what: string): void {
  assert.ok(err instanceof StoreWriteError, `${what}: expected StoreWriteError, got ${errorName(err)}`);
  assert.match(err.message, new RegExp(code), `${what}: the message names the error (${err.message})`);
  assert.match(err.message, /close and reopen|reopen/, `${what}: the message says what to do (${err.message})`);
  assert.ok(err.cause instanceof FsError && err.cause.code === code, `${what}: the cause is the FsError ${code}`);
}

/** After the fault: further writes of every kind are rejected with StoreWriteError; reads show exactly the acknowledged state. */
async function assertStopped(m: Model, code: string, what: string): Promise<void> {
  const store = m.store();
  for (const [name, p] of [
    ["put", store.put("later", "x")],
    ["del", store.del(KEYS[0])],
    ["batch", store.batch([{ type: "put", key: "later", value: "y" }])],
  ] as const) {
    const err = await p.then(
      () => null,
      (e: unknown) => e,
    );
    assert.ok(err !== null, `${what}: a later ${name} was accepted after the fault`);
    assertWriteError(err, code, `${what}: a later ${name}`);
  }
  const state = readAll(store, KEYS);
  const expected = stateAfter(m.acked);
  assert.equal(describeDiff(expected, state), "", `${what}: reads after the fault show the acknowledged state`);
}

/** Opens `fs`, checks it holds the acknowledged history (plus maybe the failed write), and that it takes writes. */
async function assertRecovered(fs: MemoryFileSystem | FaultyFileSystem, m: Model, what: string): Promise<void> {
  let store: Store;
  try {
    store = await withTimeout(open(DIR, { ...OPTIONS, fs }), TIMEOUT, `${what}: reopen`);
  } catch (err) {
    assert.fail(`${what}: reopening failed: ${errorName(err)}`);
  }
  try {
    const state = readAll(store, KEYS);
    const history = m.failed ? [...m.acked, m.failed] : m.acked;
    const match = matchPrefixes(history, state);
    const ok = match.matches.some((l) => l >= m.acked.length);
    assert.ok(
      ok,
      `${what}: the reopened store lost acknowledged writes (holds prefix ${JSON.stringify(match.matches)} of ` +
        `${history.length}; ${m.acked.length} acknowledged):\n${describeDiff(stateAfter(m.acked), state)}`,
    );
    await store.put("after-reopen", "works");
    assert.equal(dec(store.get("after-reopen")!), "works");
  } finally {
    await store.close();
  }
}

/** Close the faulted store, then reopen the disk underneath (faults gone), and a power-cut copy of it. */
async function assertSafeAfterClose(mem: MemoryFileSystem, m: Model, what: string, powerCut: boolean): Promise<void> {
  await withTimeout(m.store().close(), TIMEOUT, `${what}: close after the fault`);
  if (powerCut) await assertRecovered(mem.crashClone(), m, `${what}, after a power cut following close()`);
  await assertRecovered(mem, m, `${what}, reopened on the same disk`);
}

async function faultyStore(options: StoreOptions = {}) {
  const mem = new MemoryFileSystem();
  const fs = new FaultyFileSystem(mem);
  let store = await open(DIR, { ...OPTIONS, ...options, fs });
  const m = new Model(() => store, "w");
  return {
    mem,
    fs,
    m,
    reopen: async (o: StoreOptions = {}) => {
      store = await open(DIR, { ...OPTIONS, ...options, ...o, fs });
    },
  };
}

// ---------------------------------------------------------------------------------------------
// WAL faults

for (const code of ["ENOSPC", "EIO"] as const) {
  for (const durability of ["strict", "relaxed", "none"] as const) {
    test(`${code} on a WAL write (${durability}): the write and later ones fail, acknowledged ones survive`, async () => {
      const { mem, fs, m } = await faultyStore({ durability });
      await m.write(30);
      fs.addFault({ op: "write", path: /\.wal$/, code });
      const err = await m.writeUntilRejected(1);
      assertWriteError(err, code, "the failing write");
      await assertStopped(m, code, `${code} on a WAL write`);
      fs.clearFaults();
      // A power cut after close() keeps acknowledged writes in every mode: close() syncs the WAL
      // ("none and relaxed writes are durable after a clean close"), and strict ones were synced.
      await assertSafeAfterClose(mem, m, `${code} on a WAL write (${durability})`, true);
    });
  }

  test(`${code} on a WAL write with a partial write: the torn record is dropped on recovery`, async () => {
    const mem = new MemoryFileSystem();
    const fs = new FaultyFileSystem(mem, { partialWrites: true, seed: 7 });
    const store = await open(DIR, { ...OPTIONS, fs });
    const m = new Model(() => store, "p");
    await m.write(20);
    fs.addFault({ op: "write", path: /\.wal$/, code });
    assertWriteError(await m.writeUntilRejected(1), code, "the failing write");
    await assertStopped(m, code, "partial WAL write");
    fs.clearFaults();
    await assertSafeAfterClose(mem, m, `${code} on a partial WAL write`, true);
  });
}

for (const code of ["EIO", "ENOSPC"] as const) {
  test(`${code} on a WAL sync (strict): the write and later ones fail, acknowledged ones survive a power cut`, async () => {
    const { mem, fs, m } = await faultyStore({ durability: "strict" });
    await m.write(25);
    fs.addFault({ op: "sync", path: /\.wal$/, code });
    assertWriteError(await m.writeUntilRejected(1), code, "the write whose sync failed");
    await assertStopped(m, code, `${code} on a WAL sync`);
    fs.clearFaults();
    await assertSafeAfterClose(mem, m, `${code} on a WAL sync`, true);
  });
}

test("EIO on the relaxed-mode background WAL sync stops the store", async () => {
  const { mem, fs, m } = await faultyStore({ durability: "relaxed", relaxedIntervalMs: 1 });
  await m.write(20);
  fs.addFault({ op: "sync", path: /\.wal$/, code: "EIO" });
  // The timer's sync fails: a later write is rejected, though no write of its own failed.
  const err = await m.writeUntilRejected(5000);
  assertWriteError(err, "EIO", "a write after the background sync failed");
  await assertStopped(m, "EIO", "EIO on a relaxed sync");
  fs.clearFaults();
  await assertSafeAfterClose(mem, m, "EIO on a relaxed sync", false);
});

test("EIO on the directory sync of a new WAL file (strict): the write fails, acknowledged ones survive", async () => {
  const { mem, fs, m, reopen } = await faultyStore({ durability: "strict" });
  await m.write(10);
  await m.store().close();
  await reopen(); // a new WAL generation: its files are created by the next writes
  fs.addFault({ op: "syncDir", code: "EIO" });
  assertWriteError(await m.writeUntilRejected(1), "EIO", "the first write to a new WAL file");
  await assertStopped(m, "EIO", "EIO on a WAL directory sync");
  fs.clearFaults();
  await assertSafeAfterClose(mem, m, "EIO on a WAL directory sync", true);
});

// ---------------------------------------------------------------------------------------------
// Flush faults

for (const code of ["ENOSPC", "EIO"] as const) {
  for (const [name, rule] of [
    ["a segment write", { op: "write", path: /\.sst$/ }],
    ["a segment sync", { op: "sync", path: /\.sst$/ }],
    ["the directory sync", { op: "syncDir" }],
    ["a manifest write", { op: "write", path: /MANIFEST/ }],
    ["a manifest sync", { op: "sync", path: /MANIFEST/ }],
  ] as const) {
    test(`${code} on ${name} during a flush: flush() and later writes fail, acknowledged writes survive`, async () => {
      const { mem, fs, m } = await faultyStore({ durability: "strict", writeBufferSize: 1 << 20 });
      await m.write(40);
      fs.addFault({ ...rule, code } as FaultRule);
      const err = await m
        .store()
        .flush()
        .then(
          () => null,
          (e: unknown) => e,
        );
      assertWriteError(err, code, `flush() with ${code} on ${name}`);
      await assertStopped(m, code, `${code} on ${name} during a flush`);
      fs.clearFaults();
      await assertSafeAfterClose(mem, m, `${code} on ${name} during a flush`, true);
    });
  }
}

test("ENOSPC on a segment write during a background flush: later writes fail, acknowledged ones survive", async () => {
  const { mem, fs, m } = await faultyStore({ durability: "none" });
  await m.write(10);
  fs.addFault({ op: "write", path: /\.sst$/, code: "ENOSPC" });
  // The memtable fills, a flush starts in the background and fails; a later write is rejected.
  assertWriteError(await m.writeUntilRejected(2000), "ENOSPC", "a write after the background flush failed");
  await assertStopped(m, "ENOSPC", "background flush");
  fs.clearFaults();
  await assertSafeAfterClose(mem, m, "ENOSPC during a background flush", true);
});

// ---------------------------------------------------------------------------------------------
// Compaction faults

/** A store with two overlapping level-0 files and automatic compaction off. */
async function twoLevel0Files() {
  const ctx = await faultyStore({ durability: "strict", autoCompaction: false, writeBufferSize: 1 << 20 });
  await ctx.m.write(40);
  await ctx.m.store().flush();
  await ctx.m.write(40);
  await ctx.m.store().flush();
  assert.equal(ctx.m.store().stats().levels[0].files, 2);
  return ctx;
}

for (const code of ["ENOSPC", "EIO"] as const) {
  for (const [name, rule] of [
    ["a segment write", { op: "write", path: /\.sst$/ }],
    ["a segment sync", { op: "sync", path: /\.sst$/ }],
    ["the directory sync", { op: "syncDir" }],
    ["a manifest write", { op: "write", path: /MANIFEST/ }],
  ] as const) {
    test(`${code} on ${name} in a background compaction: later writes fail, data survives`, async () => {
      const { mem, fs, m } = await faultyStore({ durability: "strict", writeBufferSize: 1 << 20 });
      await m.write(40);
      await m.store().flush(); // one level-0 file: no compaction yet
      await m.write(40);
      // The next flush makes one matching call (one small segment: one write, one sync, one
      // directory sync, one manifest edit) and passes; the compaction it starts fails on its own.
      fs.addFault({ ...rule, code, nth: 2 } as FaultRule);
      await m.store().flush();
      assertWriteError(await m.writeUntilRejected(200), code, "a write after the compaction failed");
      assert.equal(m.store().stats().compactions.count, 0, "the compaction failed");
      await assertStopped(m, code, `${code} on ${name} in a background compaction`);
      fs.clearFaults();
      await assertSafeAfterClose(mem, m, `${code} on ${name} in a background compaction`, true);
    });
  }

  test(`${code} on a segment write in compact(): compact() fails like a write and the data is safe`, async () => {
    const { mem, fs, m } = await twoLevel0Files();
    fs.addFault({ op: "write", path: /\.sst$/, code });
    const err = await m
      .store()
      .compact()
      .then(
        () => null,
        (e: unknown) => e,
      );
    assert.ok(err !== null, "compact() fails");
    // "A failing flush or compaction puts the store in the same state, with the same error."
    assertWriteError(err, code, "compact()");
    await assertStopped(m, code, "compact()");
    fs.clearFaults();
    await assertSafeAfterClose(mem, m, `${code} in compact()`, true);
  });
}

test("EIO on the manifest sync of compact(): the store must not go on and later delete what the manifest names", async () => {
  const { mem, fs, m } = await twoLevel0Files();
  fs.addFault({ op: "sync", path: /MANIFEST/, code: "EIO", nth: 1 });
  const err = await m
    .store()
    .compact()
    .then(
      () => null,
      (e: unknown) => e,
    );
  assert.ok(err instanceof Error && /EIO/.test(err.message), `compact() fails naming EIO: ${errorName(err)}`);
  // Whatever compact() did, the store either refuses writes or keeps its manifest consistent.
  try {
    await m.write(60);
    await m.store().flush();
  } catch (e) {
    assertWriteError(e, "EIO", "a write after compact() failed");
  }
  await assertSafeAfterClose(mem, m, "EIO on the manifest sync of compact()", true);
});

test("EIO on the manifest sync of a background compaction, then an old iterator closes: data survives", async () => {
  const { mem, fs, m } = await faultyStore({ durability: "strict", writeBufferSize: 1 << 20 });
  await m.write(40);
  await m.store().flush();
  await m.write(40);
  const it = m.store().iterator(); // holds the version from before the next flush
  // The flush's manifest sync passes; the compaction it starts fails on its own manifest sync.
  fs.addFault({ op: "sync", path: /MANIFEST/, code: "EIO", nth: 2 });
  await m.store().flush();
  assertWriteError(await m.writeUntilRejected(200), "EIO", "a write after the compaction failed");
  assert.equal(fs.failedCount, 1, "the compaction's manifest sync failed");
  it.close(); // the old version dies: obsolete files are swept
  await assertStopped(m, "EIO", "background compaction manifest sync");
  fs.clearFaults();
  await assertSafeAfterClose(mem, m, "EIO on a compaction's manifest sync", true);
});

test("ENOSPC on a partial manifest write in compact(): later manifest edits must not follow a torn record", async () => {
  const mem = new MemoryFileSystem();
  const fs = new FaultyFileSystem(mem, { partialWrites: true, seed: 3 });
  let store = await open(DIR, { ...OPTIONS, fs, autoCompaction: false, writeBufferSize: 1 << 20 });
  const m = new Model(() => store, "t");
  await m.write(40);
  await store.flush();
  await m.write(40);
  await store.flush();
  fs.addFault({ op: "write", path: /MANIFEST/, code: "ENOSPC", nth: 1 });
  const err = await store.compact().then(
    () => null,
    (e: unknown) => e,
  );
  assert.ok(err instanceof Error && /ENOSPC/.test(err.message), `compact() fails naming ENOSPC: ${errorName(err)}`);
  try {
    await m.write(60);
    await store.flush();
  } catch (e) {
    assertWriteError(e, "ENOSPC", "a write after compact() failed");
  }
  await store.close();
  fs.clearFaults();
  await assertRecovered(mem, m, "after a torn manifest record and later edits");
  store = await open(DIR, { ...OPTIONS, fs: mem });
  await store.close();
});

// ---------------------------------------------------------------------------------------------
// Faults during open (recovery)

/** A closed store with level-0 segments and a WAL to replay, written in strict mode. */
async function storeToRecover() {
  const mem = new MemoryFileSystem();
  // Level-0 files left uncompacted, so that opening starts a compaction.
  let store = await open(DIR, { ...OPTIONS, fs: mem, durability: "strict", autoCompaction: false });
  const m = new Model(() => store, "r");
  await m.write(60);
  await store.flush();
  await m.write(25); // left in the WAL
  await store.close();
  store = undefined as unknown as Store;
  return { mem, m };
}

const RECOVERY_FAULTS: Array<[string, FaultRule, boolean?]> = [
  ["reading a WAL file", { op: "read", path: /\.wal$/, code: "EIO" }],
  ["reading the manifest", { op: "read", path: /MANIFEST/, code: "EIO" }],
  ["reading CURRENT", { op: "read", path: /CURRENT$/, code: "EIO" }],
  ["listing the directory", { op: "readdir", code: "EIO" }],
  ["taking the lock", { op: "lock", code: "EIO" }],
  ["writing the new manifest", { op: "write", path: /MANIFEST/, code: "ENOSPC" }],
  ["writing the new manifest (partially)", { op: "write", path: /MANIFEST/, code: "ENOSPC" }, true],
  ["syncing the new manifest", { op: "sync", path: /MANIFEST/, code: "EIO" }],
  ["the second manifest sync (the replay's edit)", { op: "sync", path: /MANIFEST/, code: "EIO", nth: 2 }],
  ["writing CURRENT.tmp", { op: "write", path: /CURRENT\.tmp$/, code: "ENOSPC" }],
  ["syncing CURRENT.tmp", { op: "sync", path: /CURRENT\.tmp$/, code: "EIO" }],
  ["renaming CURRENT.tmp", { op: "rename", path: /CURRENT/, code: "EIO" }],
  ["syncing the directory", { op: "syncDir", code: "EIO" }],
  ["the second directory sync", { op: "syncDir", code: "EIO", nth: 2 }],
  ["creating the replayed segment", { op: "open", path: /\.sst$/, code: "ENOSPC" }],
  ["writing the replayed segment", { op: "write", path: /\.sst$/, code: "ENOSPC" }],
  ["writing the replayed segment (partially)", { op: "write", path: /\.sst$/, code: "ENOSPC" }, true],
  ["syncing the replayed segment", { op: "sync", path: /\.sst$/, code: "EIO" }],
  ["reading a segment (compaction at open)", { op: "read", path: /\.sst$/, code: "EIO" }],
];

for (const [name, rule, partial] of RECOVERY_FAULTS) {
  test(`a fault ${name} during open gives a clean error; a later open has all the data`, async () => {
    const { mem, m } = await storeToRecover();
    const fs = new FaultyFileSystem(mem, { partialWrites: partial === true, seed: 11 });
    fs.addFault(rule);
    let opened: Store | null = null;
    try {
      opened = await withTimeout(open(DIR, { ...OPTIONS, fs }), TIMEOUT, `open with a fault ${name}`);
    } catch (err) {
      assert.ok(err instanceof Error, `open rejects with an Error: ${errorName(err)}`);
      assert.ok(!(err instanceof CorruptionError), `a failing disk is not corruption: ${errorName(err)}`);
      assert.ok(!(err instanceof StoreLockedError) || rule.op === "lock", `not a lock error: ${errorName(err)}`);
      assert.match(err.message, new RegExp(rule.code), `the error names ${rule.code}: ${err.message}`);
    }
    if (opened !== null) {
      // The fault hits background work (a compaction started at open): once the disk is back,
      // reads work.
      await turns(5);
      fs.clearFaults();
      readAll(opened, KEYS);
      await opened.close();
    }
    assert.ok(fs.failedCount > 0, "the fault was hit");
    // A power cut after the failed open loses nothing (what the first store synced stays synced)...
    const cut = mem.crashClone({ keepUnsynced: "none" });
    fs.clearFaults();
    await assertRecovered(cut, m, `a power cut after a fault ${name} during open`);
    // ...and opening again on the same disk works (the failed open let go of the lock).
    await assertRecovered(fs, m, `reopening after a fault ${name} during open`);
  });
}

// ---------------------------------------------------------------------------------------------
// Misuse of the API

async function plainStore(options: StoreOptions = {}) {
  const mem = new MemoryFileSystem();
  const store = await open(DIR, { ...OPTIONS, ...options, fs: mem });
  const m = new Model(() => store, "b");
  await m.write(30);
  return { mem, store, m };
}

async function rejectsWith<E extends Error>(
  p: Promise<unknown>,
  type: new (...args: never[]) => E,
  pattern: RegExp,
  what: string,
): Promise<void> {
  const err = await p.then(
    () => null,
    (e: unknown) => e,
  );
  assert.ok(err instanceof type, `${what}: expected ${type.name}, got ${err === null ? "success" : errorName(err)}`);
  assert.match((err as Error).message, pattern, `${what}: message ${(err as Error).message}`);
}

test("bad keys, values and batch operations are rejected with InvalidArgumentError and nothing is written", async () => {
  const { mem, store, m } = await plainStore();
  const bad = [123, null, undefined, { length: 1 }, [1, 2], 5n] as unknown as Key[];
  for (const k of bad) {
    await rejectsWith(store.put(k, "v"), InvalidArgumentError, /key/, `put(${String(k)})`);
    await rejectsWith(store.del(k), InvalidArgumentError, /key/, `del(${String(k)})`);
    assert.throws(() => store.get(k), InvalidArgumentError, `get(${String(k)})`);
  }
  await rejectsWith(store.put("k", 42 as unknown as string), InvalidArgumentError, /value/, "put with a number value");
  await rejectsWith(store.put("k", null as unknown as string), InvalidArgumentError, /value/, "put with a null value");
  const bogus = { durability: "eventually" as Durability };
  await rejectsWith(store.put("bogus", "v", bogus), InvalidArgumentError, /durability/, "put with a bad durability");
  await rejectsWith(store.del(KEYS[0], bogus), InvalidArgumentError, /durability/, "del with a bad durability");
  assert.equal(store.get("bogus"), undefined, "a write with a bad durability was not applied");
  // A bad operation anywhere in a batch rejects the whole batch: the good operations before it are not applied.
  const good = { type: "put" as const, key: "batch-good", value: "never" };
  type AnyOps = Parameters<Store["batch"]>[0];
  for (const [what, ops] of [
    ["an unknown op type", [good, { type: "merge", key: "x", value: "y" }]],
    ["a missing op type", [good, { key: "x", value: "y" }]],
    ["a null op", [good, null]],
    ["a bad key in an op", [good, { type: "put", key: 7, value: "y" }]],
    ["a bad value in an op", [good, { type: "put", key: "x", value: {} }]],
  ] as const) {
    await rejectsWith(store.batch(ops as unknown as AnyOps), InvalidArgumentError, /./, `batch with ${what}`);
  }
  await rejectsWith(store.batch("nope" as unknown as AnyOps), InvalidArgumentError, /array/, "batch of a string");
  assert.equal(store.get("batch-good"), undefined, "no part of a rejected batch was applied");
  // Nothing stored was lost, and the store still works.
  assert.equal(describeDiff(stateAfter(m.acked), readAll(store, KEYS)), "");
  await m.write(5);
  await store.close();
  await assertRecovered(mem, m, "after bad input");
});

function pairs(keys: string[]): Array<[Uint8Array, Uint8Array]> {
  return keys.map((k) => [enc(k), enc(`ingested ${k} ${"i".repeat(60)}`)]);
}

test("an ingest with unsorted or duplicate keys is rejected and leaves nothing behind", async () => {
  const { mem, store, m } = await plainStore({ targetFileSize: 1024 });
  const sstBefore = mem.readdir(DIR).filter((n) => n.endsWith(".sst")).length;
  const sorted = Array.from({ length: 200 }, (_, i) => `ingest-${String(i).padStart(4, "0")}`);
  const unsorted = sorted.slice();
  [unsorted[150], unsorted[151]] = [unsorted[151], unsorted[150]];
  const duplicate = sorted.slice();
  duplicate[150] = duplicate[149];
  const cases: Array<[string, string[]]> = [
    ["unsorted keys (halfway, after several files were written)", unsorted],
    ["a duplicate key (halfway)", duplicate],
    ["unsorted keys at the start", [sorted[1], sorted[0]]],
  ];
  for (const [what, keys] of cases) {
    await rejectsWith(store.ingest(pairs(keys)), InvalidArgumentError, /increasing|order/, `ingest with ${what}`);
    for (const k of keys) assert.equal(store.get(k), undefined, `ingest with ${what}: ${k} is not visible`);
  }
  // A source that fails halfway, and one that yields a bad key.
  async function* failing(): AsyncGenerator<[Uint8Array, Uint8Array]> {
    yield* pairs(sorted.slice(0, 150));
    throw new Error("the source broke");
  }
  await rejectsWith(store.ingest(failing()), Error, /the source broke/, "ingest from a failing source");
  const badKey = [...pairs(sorted.slice(0, 100)), [42, enc("v")]] as unknown as Array<[Uint8Array, Uint8Array]>;
  await rejectsWith(store.ingest(badKey), InvalidArgumentError, /key/, "ingest with a bad key");
  for (const k of sorted) assert.equal(store.get(k), undefined, `${k} from a failed ingest is not visible`);
  assert.equal(describeDiff(stateAfter(m.acked), readAll(store, KEYS)), "", "stored data is intact");
  assert.equal(mem.readdir(DIR).filter((n) => n.endsWith(".sst")).length, sstBefore, "no segment file left behind");
  // A good ingest still works afterwards, and everything survives a reopen.
  await store.ingest(pairs(sorted));
  m.acked.push({ ops: sorted.map((k) => ({ key: k, value: `ingested ${k} ${"i".repeat(60)}` })) });
  await store.close();
  await assertRecovered(mem, m, "after failed ingests");
});

test("ENOSPC on a segment write halfway through an ingest: rejected, nothing visible, nothing lost", async () => {
  const mem = new MemoryFileSystem();
  const fs = new FaultyFileSystem(mem);
  const store = await open(DIR, { ...OPTIONS, fs, targetFileSize: 1024 });
  const m = new Model(() => store, "i");
  await m.write(20);
  const keys = Array.from({ length: 200 }, (_, i) => `ingest-${String(i).padStart(4, "0")}`);
  fs.addFault({ op: "write", path: /\.sst$/, code: "ENOSPC", nth: 4 });
  const err = await store.ingest(pairs(keys)).then(
    () => null,
    (e: unknown) => e,
  );
  assert.ok(err instanceof Error && /ENOSPC/.test(err.message), `the ingest fails naming ENOSPC: ${errorName(err)}`);
  for (const k of keys) assert.equal(store.get(k), undefined, `${k} is not visible`);
  assert.equal(describeDiff(stateAfter(m.acked), readAll(store, KEYS)), "");
  fs.clearFaults();
  await store.close();
  await assertRecovered(mem, m, "after a failed ingest");
});

test("opening a directory that is already open gives StoreLockedError; after close it opens", async () => {
  const mem = new MemoryFileSystem();
  const first = await open(DIR, { ...OPTIONS, fs: mem });
  await first.put("k", "v");
  await rejectsWith(open(DIR, { ...OPTIONS, fs: mem }), StoreLockedError, /already open/, "second open");
  await rejectsWith(
    open(`${DIR}/`, { ...OPTIONS, fs: mem }),
    StoreLockedError,
    /already open/,
    "second open, other spelling",
  );
  assert.equal(dec(first.get("k")!), "v", "the first store still works");
  await first.close();
  const second = await open(DIR, { ...OPTIONS, fs: mem });
  assert.equal(dec(second.get("k")!), "v");
  await second.close();
});

test("every call on a closed store gives StoreClosedError", async () => {
  const { store } = await plainStore();
  await store.close();
  await store.close(); // twice is fine
  const closed = (what: string) => (err: unknown) => {
    assert.ok(err instanceof StoreClosedError, `${what}: expected StoreClosedError, got ${errorName(err)}`);
    return true;
  };
  assert.throws(() => store.get("k"), closed("get"));
  assert.throws(() => store.getMany(["k"]), closed("getMany"));
  assert.throws(() => store.iterator(), closed("iterator"));
  assert.throws(() => store.snapshot(), closed("snapshot"));
  await assert.rejects(store.put("k", "v"), closed("put"));
  await assert.rejects(store.del("k"), closed("del"));
  await assert.rejects(store.batch([{ type: "put", key: "k", value: "v" }]), closed("batch"));
  await assert.rejects(store.flush(), closed("flush"));
  await assert.rejects(store.compact(), closed("compact"));
  await assert.rejects(store.ingest(pairs(["a"])), closed("ingest"));
  await assert.rejects(store.checkpoint("/ckpt"), closed("checkpoint"));
});

test("an iterator open while the store closes throws StoreClosedError on its next read", async () => {
  const { store } = await plainStore();
  await store.flush(); // the iterators read segment files, which close() closes
  await store.put("in-memtable", "yes");
  const started = store.iterator();
  assert.ok(started.read(), "reads before close");
  const fresh = store.iterator({ reverse: true });
  const ranged = store.iterator({ gte: KEYS[3], limit: 3 });
  const pending = store.put("during-close", "x");
  await store.close();
  await pending; // accepted writes still finish
  for (const [what, it] of [
    ["a started iterator", started],
    ["an unstarted reverse iterator", fresh],
    ["a ranged iterator", ranged],
  ] as const) {
    assert.throws(() => it.read(), StoreClosedError, `${what}: read()`);
    assert.throws(() => it.nextv(5), StoreClosedError, `${what}: nextv()`);
    assert.throws(() => it.next(), StoreClosedError, `${what}: next()`);
    it.close(); // closing it afterwards is fine
  }
  assert.throws(() => {
    for (const _ of started) assert.fail("iterated a closed store");
  }, StoreClosedError);
});
