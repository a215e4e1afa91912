// Key-value adapters for the engine benchmark: Shale and its peers (lmdb-js, classic-level, better-sqlite3) behind one
// small interface. Each peer is configured honestly (its documented options for the durability asked for, otherwise
// defaults) and loaded lazily, so a peer that fails to load is skipped rather than failing the whole benchmark.

import type { ClassicLevel } from "classic-level";
import type { RootDatabase } from "lmdb";
import type { Store } from "../../src/index.js";

export type Durability = "strict" | "relaxed" | "none";
export type SystemName = "shale" | "lmdb" | "classic-level" | "better-sqlite3";
export const SYSTEM_NAMES: readonly SystemName[] = ["shale", "lmdb", "classic-level", "better-sqlite3"];

export interface KvSystem {
  name: string;
  open(dir: string, mode: Durability): Promise<void>;
  /** One atomic batch of puts. */
  putBatch(entries: Array<[Uint8Array, Uint8Array]>): Promise<void>;
  /** One single write (fillsync, concurrent writes); resolves once it is as durable as the open mode promises. */
  put(key: Uint8Array, value: Uint8Array): Promise<void>;
  get(key: Uint8Array): Uint8Array | undefined | Promise<Uint8Array | undefined>;
  /** Full scan in key order (or reverse); returns the number of entries visited. */
  scan(reverse: boolean, onEntry: (k: Uint8Array, v: Uint8Array) => void): Promise<number> | number;
  /** The fastest honest batched load of already-sorted pairs. */
  bulkLoadSorted(entries: Iterable<[Uint8Array, Uint8Array]>): Promise<void>;
  close(): Promise<void>;
  /** True when get() returns synchronously. */
  readonly syncGet: boolean;
  /** What the durability mode means for this system, for the report, e.g. "none (noSync)". */
  describeMode(mode: Durability): string;
  /** How bulkLoadSorted loads, for the report. */
  readonly bulkLoadDetail: string;
  /** Durability label for the bulk-load row. */
  readonly bulkLoadMode: string;
  /** Optional untimed step after a fill and before reads (Shale: flush the memtable). */
  settle?(): Promise<void>;
}

/** Thrown by an adapter for an operation the system (yet) lacks; the runner skips that workload for it. */
export class UnsupportedError extends Error {}

/** Loads a system's module once; returns a factory for fresh adapter instances, or a reason it was skipped. */
export type SystemLoader = () => Promise<{ create: () => KvSystem } | { skip: string }>;

function asBuffer(u: Uint8Array): Buffer {
  return Buffer.isBuffer(u) ? u : Buffer.from(u.buffer, u.byteOffset, u.byteLength);
}

function errorText(e: unknown): string {
  return e instanceof Error ? e.message : String(e);
}

// ---------------------------------------------------------------------------------------------------------------------
// Shale (src/index.ts), opened with the benchmark's durability and otherwise default options. Only types are imported
// statically; the module itself is imported dynamically so that a missing or broken engine skips Shale with a message
// instead of stopping the peers' benchmark.

type ShaleModule = typeof import("../../src/index.js");

const SHALE_MODES: Record<Durability, string> = {
  strict: "strict (WAL fdatasync per commit group)",
  relaxed: "relaxed (WAL synced within 50 ms)",
  none: "none (WAL to the OS, no fsync)",
};

// lmdb reads straight from the OS page cache through mmap, so "cached" reads give Shale a block cache that holds the
// data set too (1M entries are about 120 MB of blocks); every other option is Shale's default.
const SHALE_BLOCK_CACHE = 256 << 20;

class ShaleSystem implements KvSystem {
  readonly name = "shale";
  readonly syncGet = true;
  readonly bulkLoadDetail = "ingest() of sorted pairs";
  readonly bulkLoadMode = "synced files (ingest syncs its segments)";
  private db: Store | undefined;

  constructor(private readonly shale: ShaleModule) {}

  private get store(): Store {
    if (!this.db) throw new Error("shale: not open");
    return this.db;
  }

  describeMode(mode: Durability): string {
    return SHALE_MODES[mode];
  }

  async open(dir: string, mode: Durability): Promise<void> {
    this.db = await this.shale.open(dir, { durability: mode, blockCacheSize: SHALE_BLOCK_CACHE });
  }

  async putBatch(entries: Array<[Uint8Array, Uint8Array]>): Promise<void> {
    await this.store.batch(entries.map(([key, value]) => ({ type: "put" as const, key, value })));
  }

  async put(key: Uint8Array, value: Uint8Array): Promise<void> {
    await this.store.put(key, value);
  }

  get(key: Uint8Array): Uint8Array | undefined {
    return this.store.get(key);
  }

  scan(reverse: boolean, onEntry: (k: Uint8Array, v: Uint8Array) => void): number {
    const it = this.store.iterator({ reverse });
    let count = 0;
    try {
      for (let batch = it.nextv(1000); batch.length > 0; batch = it.nextv(1000)) {
        for (const [k, v] of batch) onEntry(k, v);
        count += batch.length;
      }
    } finally {
      it.close();
    }
    return count;
  }

  async bulkLoadSorted(entries: Iterable<[Uint8Array, Uint8Array]>): Promise<void> {
    await this.store.ingest(entries);
  }

  async settle(): Promise<void> {
    await this.store.flush();
    await this.store.waitForCompaction();
  }

  async close(): Promise<void> {
    await this.db?.close();
    this.db = undefined;
  }
}

const loadShale: SystemLoader = async () => {
  try {
    const shale = await import("../../src/index.js");
    return { create: () => new ShaleSystem(shale) };
  } catch (e) {
    const code = typeof e === "object" && e !== null && "code" in e ? e.code : undefined;
    if (code === "ERR_MODULE_NOT_FOUND" && errorText(e).includes("src/index")) {
      return { skip: "src/index.ts does not exist (yet)" };
    }
    return { skip: `importing src/index.js failed: ${errorText(e)}` };
  }
};

// ---------------------------------------------------------------------------------------------------------------------
// lmdb (lmdb-js). encoding/keyEncoding "binary" so keys and values are raw bytes; reads use the synchronous get().
// Writes go through lmdb-js's asynchronous write thread, which commits everything queued in one event turn as one
// transaction (its own group commit). Durability:
//   strict:  default sync-on-commit, but with overlappingSync off. lmdb-js on Linux defaults to overlappingSync, where
//            a put()'s promise resolves at commit (visible) and the fsync follows later (db.flushed); turning it off
//            makes the promise resolve only after the commit is synced, which is what "strict" means here.
//   relaxed: overlappingSync (the lmdb-js default): commits visible at once, flushed to disk shortly after.
//   none:    noSync: LMDB never fsyncs; the OS writes the memory map back when it likes.

type LmdbModule = typeof import("lmdb");

class LmdbSystem implements KvSystem {
  readonly name = "lmdb";
  readonly syncGet = true;
  readonly bulkLoadDetail = "one transactionSync, putSync(append)";
  readonly bulkLoadMode = "none (noSync)";
  private db: RootDatabase<Buffer, Buffer> | undefined;

  constructor(private readonly lmdb: LmdbModule) {}

  private get store(): RootDatabase<Buffer, Buffer> {
    if (!this.db) throw new Error("lmdb: not open");
    return this.db;
  }

  describeMode(mode: Durability): string {
    if (mode === "strict") return "strict (sync commit, overlappingSync off)";
    if (mode === "relaxed") return "relaxed (overlappingSync)";
    return "none (noSync)";
  }

  async open(dir: string, mode: Durability): Promise<void> {
    this.db = this.lmdb.open<Buffer, Buffer>({
      path: dir,
      encoding: "binary",
      keyEncoding: "binary",
      noSync: mode === "none",
      overlappingSync: mode === "relaxed",
    });
  }

  async putBatch(entries: Array<[Uint8Array, Uint8Array]>): Promise<void> {
    const db = this.store;
    await db.batch(() => {
      for (const [k, v] of entries) db.put(asBuffer(k), asBuffer(v));
    });
  }

  async put(key: Uint8Array, value: Uint8Array): Promise<void> {
    await this.store.put(asBuffer(key), asBuffer(value));
  }

  get(key: Uint8Array): Uint8Array | undefined {
    return this.store.get(asBuffer(key));
  }

  scan(reverse: boolean, onEntry: (k: Uint8Array, v: Uint8Array) => void): number {
    let count = 0;
    for (const { key, value } of this.store.getRange({ reverse })) {
      onEntry(key, value);
      count++;
    }
    return count;
  }

  async bulkLoadSorted(entries: Iterable<[Uint8Array, Uint8Array]>): Promise<void> {
    // One synchronous write transaction; append (MDB_APPEND) is LMDB's documented fast path for keys given in order.
    const db = this.store;
    db.transactionSync(() => {
      for (const [k, v] of entries) db.putSync(asBuffer(k), asBuffer(v), { append: true });
    });
  }

  async close(): Promise<void> {
    await this.db?.close();
    this.db = undefined;
  }
}

const loadLmdb: SystemLoader = async () => {
  try {
    const lmdb = await import("lmdb");
    return { create: () => new LmdbSystem(lmdb) };
  } catch (e) {
    return { skip: `cannot load lmdb: ${errorText(e)}` };
  }
};

// ---------------------------------------------------------------------------------------------------------------------
// classic-level (LevelDB). keyEncoding/valueEncoding "view" (Uint8Array in and out), LevelDB's default options
// (snappy compression, 8 MiB block cache, 4 MiB write buffer). Writes: db.batch for batches, db.put for single writes,
// each with `sync: true` in strict mode and `sync: false` otherwise. LevelDB always appends to its log, so "none" and
// "relaxed" both mean: written to the OS, not fsynced. Reads use getSync() (classic-level >= 3; the async get() also
// exists). Scans use iterator.nextv(1000) with highWaterMarkBytes sized so each call can return the 1000 entries, as
// classic-level's README recommends for throughput.

class ClassicLevelSystem implements KvSystem {
  readonly name = "classic-level";
  readonly syncGet = true;
  readonly bulkLoadDetail = "db.batch of 10k, sync: false";
  readonly bulkLoadMode = "none (sync: false)";
  private db: ClassicLevel<Uint8Array, Uint8Array> | undefined;
  private sync = false;

  constructor(private readonly Ctor: typeof ClassicLevel) {}

  private get store(): ClassicLevel<Uint8Array, Uint8Array> {
    if (!this.db) throw new Error("classic-level: not open");
    return this.db;
  }

  describeMode(mode: Durability): string {
    if (mode === "strict") return "strict (sync: true)";
    if (mode === "relaxed") return "relaxed (sync: false)";
    return "none (sync: false, log not fsynced)";
  }

  async open(dir: string, mode: Durability): Promise<void> {
    this.sync = mode === "strict";
    const db = new this.Ctor<Uint8Array, Uint8Array>(dir, { keyEncoding: "view", valueEncoding: "view" });
    await db.open();
    this.db = db;
  }

  async putBatch(entries: Array<[Uint8Array, Uint8Array]>): Promise<void> {
    await this.store.batch(
      entries.map(([key, value]) => ({ type: "put" as const, key, value })),
      { sync: this.sync },
    );
  }

  async put(key: Uint8Array, value: Uint8Array): Promise<void> {
    await this.store.put(key, value, { sync: this.sync });
  }

  get(key: Uint8Array): Uint8Array | undefined {
    return this.store.getSync(key);
  }

  async scan(reverse: boolean, onEntry: (k: Uint8Array, v: Uint8Array) => void): Promise<number> {
    const it = this.store.iterator({ reverse, highWaterMarkBytes: 1000 * 160 });
    let count = 0;
    try {
      for (;;) {
        const batch = await it.nextv(1000);
        if (batch.length === 0) break;
        for (const [k, v] of batch) onEntry(k, v);
        count += batch.length;
      }
    } finally {
      await it.close();
    }
    return count;
  }

  async bulkLoadSorted(entries: Iterable<[Uint8Array, Uint8Array]>): Promise<void> {
    const db = this.store;
    let ops: Array<{ type: "put"; key: Uint8Array; value: Uint8Array }> = [];
    for (const [key, value] of entries) {
      ops.push({ type: "put", key, value });
      if (ops.length === 10_000) {
        await db.batch(ops, { sync: false });
        ops = [];
      }
    }
    if (ops.length > 0) await db.batch(ops, { sync: false });
  }

  async close(): Promise<void> {
    await this.db?.close();
    this.db = undefined;
  }
}

const loadClassicLevel: SystemLoader = async () => {
  try {
    const { ClassicLevel } = await import("classic-level");
    return { create: () => new ClassicLevelSystem(ClassicLevel) };
  } catch (e) {
    return { skip: `cannot load classic-level: ${errorText(e)}` };
  }
};

// ---------------------------------------------------------------------------------------------------------------------
// better-sqlite3 (SQLite). Table `kv(k BLOB PRIMARY KEY, v BLOB) WITHOUT ROWID` (a clustered B-tree on the key), WAL
// journal mode, prepared statements, one transaction per batch, iterate() (raw rows) for scans; otherwise SQLite's
// defaults (4 KiB pages, 2 MiB page cache, auto-checkpoint at 1000 pages). better-sqlite3 is synchronous, so put() and
// putBatch() finish their work before returning; concurrent puts simply run one after another, one transaction each.
// Durability: strict = synchronous=FULL (WAL fsynced at every commit); relaxed = synchronous=NORMAL (fsync only at
// checkpoints: survives a process crash, not power loss); none = synchronous=OFF (never fsyncs).

type SqliteCtor = typeof import("better-sqlite3");
type SqliteDb = import("better-sqlite3").Database;
type SqliteStatement = import("better-sqlite3").Statement;

const SQLITE_SYNC: Record<Durability, string> = { strict: "FULL", relaxed: "NORMAL", none: "OFF" };

class SqliteSystem implements KvSystem {
  readonly name = "better-sqlite3";
  readonly syncGet = true;
  readonly bulkLoadDetail = "one transaction, prepared insert";
  readonly bulkLoadMode = "none (WAL, synchronous=OFF)";
  private db: SqliteDb | undefined;
  private insert: SqliteStatement | undefined;
  private select: SqliteStatement | undefined;
  private insertMany: ((entries: Iterable<[Uint8Array, Uint8Array]>) => void) | undefined;

  constructor(private readonly Database: SqliteCtor) {}

  describeMode(mode: Durability): string {
    return `${mode} (WAL, synchronous=${SQLITE_SYNC[mode]})`;
  }

  private parts(): {
    db: SqliteDb;
    insert: SqliteStatement;
    select: SqliteStatement;
    insertMany: (entries: Iterable<[Uint8Array, Uint8Array]>) => void;
  } {
    if (!this.db || !this.insert || !this.select || !this.insertMany) throw new Error("better-sqlite3: not open");
    return { db: this.db, insert: this.insert, select: this.select, insertMany: this.insertMany };
  }

  async open(dir: string, mode: Durability): Promise<void> {
    const db = new this.Database(`${dir}/kv.sqlite`);
    db.pragma("journal_mode = WAL");
    db.pragma(`synchronous = ${SQLITE_SYNC[mode]}`);
    db.exec("CREATE TABLE IF NOT EXISTS kv (k BLOB PRIMARY KEY, v BLOB) WITHOUT ROWID");
    const insert = db.prepare("INSERT OR REPLACE INTO kv (k, v) VALUES (?, ?)");
    this.db = db;
    this.insert = insert;
    this.select = db.prepare("SELECT v FROM kv WHERE k = ?").pluck();
    this.insertMany = db.transaction((entries: Iterable<[Uint8Array, Uint8Array]>) => {
      for (const [k, v] of entries) insert.run(asBuffer(k), asBuffer(v));
    });
  }

  async putBatch(entries: Array<[Uint8Array, Uint8Array]>): Promise<void> {
    this.parts().insertMany(entries);
  }

  async put(key: Uint8Array, value: Uint8Array): Promise<void> {
    this.parts().insert.run(asBuffer(key), asBuffer(value));
  }

  get(key: Uint8Array): Uint8Array | undefined {
    const v: unknown = this.parts().select.get(asBuffer(key));
    return v instanceof Uint8Array ? v : undefined;
  }

  scan(reverse: boolean, onEntry: (k: Uint8Array, v: Uint8Array) => void): number {
    const { db } = this.parts();
    const stmt = db.prepare(`SELECT k, v FROM kv ORDER BY k ${reverse ? "DESC" : "ASC"}`).raw(true);
    let count = 0;
    for (const row of stmt.iterate()) {
      if (!Array.isArray(row)) throw new Error("better-sqlite3: expected a raw row");
      const [k, v]: unknown[] = row;
      if (!(k instanceof Uint8Array) || !(v instanceof Uint8Array)) throw new Error("better-sqlite3: non-blob row");
      onEntry(k, v);
      count++;
    }
    return count;
  }

  async bulkLoadSorted(entries: Iterable<[Uint8Array, Uint8Array]>): Promise<void> {
    this.parts().insertMany(entries);
  }

  async settle(): Promise<void> {
    // Move the WAL into the main database file so reads do not start with a large WAL to consult.
    this.parts().db.pragma("wal_checkpoint(TRUNCATE)");
  }

  async close(): Promise<void> {
    this.db?.close();
    this.db = this.insert = this.select = this.insertMany = undefined;
  }
}

const loadSqlite: SystemLoader = async () => {
  try {
    const { default: Database } = await import("better-sqlite3");
    // Opening an in-memory database loads the native addon, so a missing build is reported here, not mid-run.
    new Database(":memory:").close();
    return { create: () => new SqliteSystem(Database) };
  } catch (e) {
    return { skip: `cannot load better-sqlite3: ${errorText(e)}` };
  }
};

export const SYSTEM_LOADERS: Record<SystemName, SystemLoader> = {
  shale: loadShale,
  lmdb: loadLmdb,
  "classic-level": loadClassicLevel,
  "better-sqlite3": loadSqlite,
};
