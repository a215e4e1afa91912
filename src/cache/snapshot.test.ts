// Tests of the cache snapshot format: every type round-trips with its expiry and database, binary
// keys and values, collections larger than a block; hashes keep their encoding; damage anywhere
// (header, block, payload, trailer, truncation, trailing bytes) is a CorruptionError that names
// the file and says what to do; a snapshot replaces the old one atomically under a crash; and later
// records of a key (an incremental save) replace earlier ones.

import assert from "node:assert/strict";
import { test } from "node:test";
import { CorruptionError } from "../format/errors.js";
import { MemoryFileSystem } from "../fs/memory.js";
import type { Db } from "./db.js";
import { T_HASH, T_LIST, T_SET, T_STRING, T_ZSET } from "./entry.js";
import { HashValue } from "./hash.js";
import { ListValue } from "./list.js";
import { SetValue } from "./set.js";
import { loadStore, readSnapshot, SnapshotWriter, snapshotTrailerSeq, writeKey, writeStore } from "./snapshot.js";
import { CacheStore } from "./store.js";
import { SortedSet } from "./zset.js";

const FILE = "/data/dump.shale";
const enc = (s: string) => Buffer.from(s, "latin1");

function setString(db: Db, key: string, value: string, expireAt = 0): void {
  const k = enc(key);
  const v = enc(value);
  db.setString(k, 0, k.length, v, 0, v.length, expireAt);
}

function setObject(
  db: Db,
  key: string,
  type: typeof T_LIST | typeof T_SET | typeof T_ZSET | typeof T_HASH,
  obj: object,
  expireAt = 0,
): void {
  const k = enc(key);
  const h = db.setObject(k, 0, k.length, type, obj);
  if (expireAt > 0) db.setExpire(h, expireAt);
}

/** Everything a db holds, as plain data (collections in their natural order). */
function dumpDb(db: Db): Map<string, unknown> {
  const out = new Map<string, unknown>();
  db.forEach((h) => {
    const key = db.keyString(h);
    const type = db.type(h);
    const ttl = db.expireAt(h);
    let value: unknown;
    if (type === T_STRING) {
      db.decode(h);
      value = Buffer.from(db.vbuf.subarray(db.vstart, db.vend)).toString("latin1");
    } else if (type === T_LIST) value = db.object<ListValue>(h).toArray();
    else if (type === T_SET) value = [...db.object<SetValue>(h).values()];
    else if (type === T_ZSET) {
      const z: [string, number][] = [];
      db.object<SortedSet>(h).forEach((m, s) => {
        z.push([m, s]);
      });
      value = z;
    } else {
      const hv = db.object<HashValue>(h);
      value = { fields: [...hv.fields()], values: [...hv.values()], encoding: hv.encoding };
    }
    out.set(key, { type, ttl, value });
  });
  return out;
}

function dumpStore(store: CacheStore): Map<string, unknown>[] {
  return store.dbs.map(dumpDb);
}

/** A store with every type, expiries, binary bytes, several databases and big collections. */
function sampleStore(): CacheStore {
  const store = new CacheStore({ databases: 4 });
  const [d0, d1, , d3] = store.dbs;
  const binary = Array.from({ length: 256 }, (_, i) => String.fromCharCode(i)).join("");
  setString(d0, "plain", "value");
  setString(d0, "empty", "");
  setString(d0, binary, binary, Date.now() + 60_000);
  setString(d0, "big", "x".repeat(200_000));
  setString(d1, "plain", "in db 1", Date.now() - 5); // expired: kept, the log may still need it
  setObject(d0, "list", T_LIST, new ListValue(["a", "", binary, "c"]), Date.now() + 1000);
  setObject(d0, "biglist", T_LIST, new ListValue(Array.from({ length: 30_000 }, (_, i) => `item-${i}`)));
  setObject(d1, "set", T_SET, new SetValue(["m1", "m2", binary]));
  const z = new SortedSet();
  z.add("low", -Infinity);
  z.add("mid", 1.5);
  z.add("neg0", -0);
  z.add("high", Infinity);
  z.add(binary, 1e300);
  setObject(d3, "zset", T_ZSET, z, Date.now() + 5000);
  const small = new HashValue();
  small.set("f1", "v1");
  small.set("f2", binary);
  setObject(d0, "hash", T_HASH, small);
  const big = new HashValue();
  for (let i = 0; i < 500; i++) big.set(`field-${i}`, `value-${i}`);
  big.delete("field-7");
  setObject(d3, "bighash", T_HASH, big);
  // Left the listpack encoding through a long value, then shrank: stays a hashtable.
  const wasLong = new HashValue();
  wasLong.set("f", "y".repeat(100));
  wasLong.set("f", "short");
  setObject(d3, "waslong", T_HASH, wasLong);
  return store;
}

async function save(store: CacheStore, fs: MemoryFileSystem, logSeq: number): Promise<void> {
  const w = new SnapshotWriter(fs, FILE);
  writeStore(store, w);
  await w.finish(logSeq, 1_700_000_000_123);
}

test("snapshot: every type, expiry, database and byte round-trips", async () => {
  const fs = new MemoryFileSystem();
  fs.mkdir("/data");
  const store = sampleStore();
  await save(store, fs, 12345);
  const loaded = new CacheStore({ databases: 4 });
  const info = loadStore(loaded, fs, FILE);
  assert.equal(info.logSeq, 12345);
  assert.equal(snapshotTrailerSeq(fs, FILE), 12345);
  assert.equal(info.createdMs, 1_700_000_000_123);
  assert.equal(info.records, store.keyCount());
  assert.deepEqual(dumpStore(loaded), dumpStore(store));
  assert.equal((dumpDb(loaded.dbs[3]).get("waslong") as { value: { encoding: string } }).value.encoding, "hashtable");
  assert.equal(fs.exists(`${FILE}.tmp`), false);
});

test("snapshot: an empty store, and a store with more databases than the reader has", async () => {
  const fs = new MemoryFileSystem();
  fs.mkdir("/data");
  await save(new CacheStore({ databases: 2 }), fs, 0);
  const info = readSnapshot(fs, FILE, () => assert.fail("no records expected"));
  assert.equal(info.records, 0);
  assert.equal(info.logSeq, 0);
  const store = new CacheStore({ databases: 4 });
  setString(store.dbs[3], "k", "v");
  await save(store, fs, 1);
  assert.throws(
    () => loadStore(new CacheStore({ databases: 2 }), fs, FILE),
    (e: unknown) => e instanceof CorruptionError && /database 3/.test(e.message) && /databases setting/.test(e.message),
  );
});

test("snapshot: damage anywhere is a CorruptionError naming the file and what to do", async () => {
  const fs = new MemoryFileSystem();
  fs.mkdir("/data");
  await save(sampleStore(), fs, 7);
  const good = Buffer.from(fs.readFile(FILE));
  const cases: [string, (b: Buffer) => Buffer][] = [
    ["magic", (b) => flip(b, 0)],
    ["header crc", (b) => flip(b, 9)],
    ["first block header", (b) => flip(b, 17)],
    ["first block payload", (b) => flip(b, 40)],
    ["middle of the file", (b) => flip(b, b.length >> 1)],
    ["trailer count", (b) => flip(b, b.length - 38)],
    ["trailer crc", (b) => flip(b, b.length - 1)],
    ["truncated in a block", (b) => b.subarray(0, b.length >> 1)],
    ["truncated trailer", (b) => b.subarray(0, b.length - 10)],
    ["no trailer", (b) => b.subarray(0, b.length - 41)],
    ["trailing bytes", (b) => Buffer.concat([b, Buffer.from([0])])],
    ["empty file", () => Buffer.alloc(0)],
  ];
  for (const [what, damage] of cases) {
    const out = fs.openWrite(FILE, { truncate: true });
    out.append(damage(Buffer.from(good)));
    out.close();
    assert.throws(
      () => loadStore(new CacheStore({ databases: 4 }), fs, FILE),
      (e: unknown) =>
        e instanceof CorruptionError &&
        e.file === FILE &&
        e.message.includes(FILE) &&
        /restore a good copy|move it aside/.test(e.message),
      what,
    );
  }
  // A newer format version is named as such.
  const newer = Buffer.from(good);
  newer.writeUInt16LE(2, 8);
  const crc = (await import("../format/crc.js")).crc32;
  newer.writeUInt32LE(crc(newer, 0, 12), 12);
  const out = fs.openWrite(FILE, { truncate: true });
  out.append(newer);
  out.close();
  assert.throws(() => readSnapshot(fs, FILE, () => {}), /format version 2/);
});

function flip(b: Buffer, i: number): Buffer {
  b[i] ^= 0x5a;
  return b;
}

test("snapshot: a crash before finish() leaves the old snapshot; after it, the new one", async () => {
  const fs = new MemoryFileSystem();
  fs.mkdir("/data");
  const a = new CacheStore({ databases: 1 });
  setString(a.dbs[0], "gen", "a");
  await save(a, fs, 1);
  const b = new CacheStore({ databases: 1 });
  for (let i = 0; i < 5000; i++) setString(b.dbs[0], `k${i}`, "b".repeat(50));
  const w = new SnapshotWriter(fs, FILE);
  writeStore(b, w);
  const mid = fs.crashClone({ keepUnsynced: "random" });
  const before = new CacheStore({ databases: 1 });
  assert.equal(loadStore(before, mid, FILE).logSeq, 1);
  assert.deepEqual(dumpStore(before), dumpStore(a));
  await w.finish(2, Date.now());
  const after = new CacheStore({ databases: 1 });
  assert.equal(loadStore(after, fs.crashClone(), FILE).logSeq, 2);
  assert.deepEqual(dumpStore(after), dumpStore(b));
});

test("snapshot: abort() removes the temp file and keeps the old snapshot", async () => {
  const fs = new MemoryFileSystem();
  fs.mkdir("/data");
  const a = new CacheStore({ databases: 1 });
  setString(a.dbs[0], "k", "v");
  await save(a, fs, 3);
  const w = new SnapshotWriter(fs, FILE);
  writeStore(a, w);
  w.abort();
  assert.equal(fs.exists(`${FILE}.tmp`), false);
  assert.equal(readSnapshot(fs, FILE, () => {}).logSeq, 3);
});

test("snapshot: a later record of a key replaces an earlier one, and a deleted record removes it", async () => {
  const fs = new MemoryFileSystem();
  fs.mkdir("/data");
  const a = new CacheStore({ databases: 2 });
  setString(a.dbs[0], "s", "first");
  setObject(a.dbs[0], "l", T_LIST, new ListValue(["x"]));
  setObject(a.dbs[1], "h", T_HASH, new HashValue());
  const w = new SnapshotWriter(fs, FILE);
  writeStore(a, w);
  // The data changes during an incremental save: the changed keys are written again.
  setString(a.dbs[0], "l", "now a string", Date.now() + 9000);
  const s = enc("s");
  a.dbs[0].delete(s, 0, s.length);
  const h = enc("h");
  a.dbs[1].delete(h, 0, h.length);
  setObject(a.dbs[1], "h", T_SET, new SetValue(["m"]));
  for (const [db, key] of [
    [0, "s"],
    [0, "l"],
    [1, "h"],
  ] as const) {
    const k = enc(key);
    const handle = a.dbs[db].lookup(k, 0, k.length, false);
    if (handle === 0) w.deleted(db, k, 0, k.length);
    else writeKey(a.dbs[db], handle, w);
  }
  await w.finish(9, Date.now());
  const b = new CacheStore({ databases: 2 });
  const info = loadStore(b, fs, FILE);
  assert.equal(info.records, 6);
  assert.deepEqual(dumpStore(b), dumpStore(a));
});
