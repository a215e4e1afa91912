import assert from "node:assert/strict";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { test } from "node:test";
import { MemoryFileSystem } from "../fs/memory.js";
import { InvalidArgumentError, StoreClosedError, StoreLockedError } from "./errors.js";
import type { StoreOptions } from "./options.js";
import { open } from "./store.js";

const enc = (s: string) => new TextEncoder().encode(s);
const dec = (b: Uint8Array | undefined) => (b === undefined ? undefined : new TextDecoder().decode(b));
const key = (i: number) => `k${String(i).padStart(6, "0")}`;
const tiny: StoreOptions = {
  writeBufferSize: 8 << 10,
  targetFileSize: 8 << 10,
  levelBaseBytes: 32 << 10,
  l0CompactionTrigger: 2,
  blockSize: 256,
};

test("put, get, del, batch and getMany", async () => {
  const db = await open("/db", { fs: new MemoryFileSystem() });
  await db.put("a", "1");
  await db.put(enc("b"), enc("2"));
  await db.batch([
    { type: "put", key: "c", value: "3" },
    { type: "del", key: "a" },
    { type: "put", key: "c", value: "3b" },
  ]);
  assert.equal(db.get("a"), undefined);
  assert.deepEqual(db.getMany(["a", "b", "c"]).map(dec), [undefined, "2", "3b"]);
  await db.del("b");
  assert.equal(db.get("b"), undefined);
  await db.close();
});

test("bad arguments are rejected and write nothing", async () => {
  const db = await open("/db", { fs: new MemoryFileSystem() });
  await db.put("keep", "x");
  await assert.rejects(db.put(42 as unknown as string, "v"), InvalidArgumentError);
  await assert.rejects(
    db.batch([{ type: "put", key: "z", value: "1" }, { type: "nope" } as unknown as { type: "del"; key: string }]),
    InvalidArgumentError,
  );
  assert.equal(db.get("z"), undefined);
  assert.equal(dec(db.get("keep")), "x");
  await db.close();
});

test("iterators honour bounds, prefix, reverse and limit", async () => {
  const db = await open("/db", { fs: new MemoryFileSystem(), ...tiny });
  const ops = [];
  for (let i = 0; i < 3000; i++) ops.push(db.put(key(i), `v${i}`));
  await Promise.all(ops);
  const keys = (o: Parameters<typeof db.iterator>[0]) => [...db.iterator(o)].map(([k]) => dec(k));
  assert.deepEqual(keys({ gte: key(10), lt: key(13) }), [key(10), key(11), key(12)]);
  assert.deepEqual(keys({ gt: key(10), lte: key(13) }), [key(11), key(12), key(13)]);
  assert.deepEqual(keys({ gt: key(10), lte: key(13), reverse: true }), [key(13), key(12), key(11)]);
  assert.deepEqual(keys({ prefix: "k00299", reverse: true, limit: 2 }), [key(2999), key(2998)]);
  assert.equal(keys({}).length, 3000);
  const it = db.iterator({ reverse: true });
  let n = 0;
  for (let batch = it.nextv(700); batch.length > 0; batch = it.nextv(700)) n += batch.length;
  assert.equal(n, 3000);
  assert.equal(db.stats().openIterators, 0);
  // visit() gives the same entries (with overwrites and deletes shadowing older versions), stops
  // when the callback says so, and its key scratch must be copied to be kept.
  await db.del(key(11));
  await db.put(key(12), "new");
  for (const o of [{ gte: key(10), lt: key(14) }, { gte: key(10), lt: key(14), reverse: true }, { limit: 5 }]) {
    const seen: string[] = [];
    db.iterator(o).visit((k, v) => {
      seen.push(`${dec(k)}=${dec(v)}`);
      return undefined;
    });
    assert.deepEqual(
      seen,
      [...db.iterator(o)].map(([k, v]) => `${dec(k)}=${dec(v)}`),
    );
  }
  const stopped = db.iterator();
  assert.equal(
    stopped.visit((k) => dec(k) !== key(2)),
    3,
  );
  assert.equal(dec(stopped.read()?.[0]), key(3), "after a stop the iterator resumes with the next entry");
  stopped.close();
  assert.equal(db.stats().openIterators, 0);
  await db.close();
});

test("snapshots and iterators see a frozen state across flushes and compactions", async () => {
  const db = await open("/db", { fs: new MemoryFileSystem(), ...tiny });
  for (let i = 0; i < 500; i++) await db.put(key(i), "old");
  const snap = db.snapshot();
  const it = db.iterator();
  for (let i = 0; i < 500; i++) await db.put(key(i), "new");
  await db.del(key(0));
  await db.flush();
  await db.compact();
  assert.equal(dec(db.get(key(1), { snapshot: snap })), "old");
  assert.equal(dec(db.get(key(0), { snapshot: snap })), "old");
  assert.equal(dec(db.get(key(1))), "new");
  assert.equal(db.get(key(0)), undefined);
  const seen = [...it].map(([, v]) => dec(v));
  assert.equal(seen.length, 500);
  assert.ok(seen.every((v) => v === "old"));
  assert.ok([...db.iterator({ snapshot: snap })].every(([, v]) => dec(v) === "old"));
  snap.release();
  await db.compact();
  assert.equal([...db.iterator()].length, 499);
  await db.close();
});

test("ingest places sorted runs and overrides older values", async () => {
  const fs = new MemoryFileSystem();
  const db = await open("/db", { fs, ...tiny });
  await db.put(key(5), "written");
  const r = await db.ingest(
    (function* () {
      for (let i = 0; i < 1000; i++) yield [enc(key(i)), enc(`ingested${i}`)] as [Uint8Array, Uint8Array];
    })(),
  );
  assert.equal(r.entries, 1000);
  assert.equal(dec(db.get(key(5))), "ingested5");
  await db.put(key(6), "after");
  assert.equal(dec(db.get(key(6))), "after");
  // a run beyond every other key goes to the last level
  const far = await db.ingest([
    [enc("z1"), enc("1")],
    [enc("z2"), enc("2")],
  ]);
  assert.equal(far.level, 6);
  await assert.rejects(
    db.ingest([
      [enc("y2"), enc("1")],
      [enc("y1"), enc("2")],
    ]),
    InvalidArgumentError,
  );
  assert.equal(db.get("y2"), undefined);
  await db.close();
  const again = await open("/db", { fs, ...tiny });
  assert.equal(dec(again.get(key(5))), "ingested5");
  assert.equal(dec(again.get(key(6))), "after");
  assert.equal([...again.iterator()].length, 1002);
  await again.close();
});

test("checkpoint makes a consistent copy that opens on its own", async () => {
  const fs = new MemoryFileSystem();
  const db = await open("/db", { fs, ...tiny });
  for (let i = 0; i < 800; i++) await db.put(key(i), `v${i}`);
  await db.checkpoint("/copy");
  await db.put(key(1), "changed");
  const copy = await open("/copy", { fs });
  assert.equal(dec(copy.get(key(1))), "v1");
  assert.equal([...copy.iterator()].length, 800);
  await copy.close();
  await db.close();
});

test("lock, closed store and iterators open at close", async () => {
  const fs = new MemoryFileSystem();
  const db = await open("/db", { fs });
  await db.put("a", "1");
  await assert.rejects(open("/db", { fs }), StoreLockedError);
  const it = db.iterator();
  await db.close();
  assert.throws(() => it.read(), StoreClosedError);
  assert.throws(() => db.get("a"), StoreClosedError);
  await assert.rejects(db.put("a", "2"), StoreClosedError);
  const again = await open("/db", { fs });
  assert.equal(dec(again.get("a")), "1");
  await again.close();
});

test("compactions on the worker thread with the real file system", async () => {
  const dir = mkdtempSync(join(tmpdir(), "shale-store-test-"));
  try {
    const db = await open(dir, { ...tiny, durability: "none" });
    for (let round = 0; round < 4; round++) {
      const ops = [];
      for (let i = 0; i < 4000; i++) ops.push(db.put(key((i * 7919) % 4000), `r${round}-${i}`));
      await Promise.all(ops);
    }
    await db.compact();
    const s = db.stats();
    assert.ok(s.compactions.count > 0, "expected compactions to have run");
    assert.equal(s.levels[0].files, 0);
    assert.equal([...db.iterator()].length, 4000);
    await db.close();
    const again = await open(dir, tiny);
    assert.equal([...again.iterator()].length, 4000);
    assert.equal(dec(again.get(key(7919 % 4000))), "r3-1");
    await again.close();
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test("Buffer arguments are copied, never kept or modified", async () => {
  const db = await open("/db", { fs: new MemoryFileSystem(), ...tiny });
  const prefix = Buffer.from("k00001");
  await db.put(Buffer.from(key(10)), "a");
  assert.equal([...db.iterator({ prefix })].length, 1);
  assert.equal(prefix.toString(), "k00001", "prefix left as it was");
  const k = Buffer.from("a-key");
  await db.ingest([[k, Buffer.from("v")]]);
  k.write("zzzzz");
  assert.equal(dec(db.get("a-key")), "v");
  assert.deepEqual(
    [...db.iterator({ lte: "b" })].map(([x]) => dec(x)),
    ["a-key"],
  );
  await db.close();
});
