// The Store: Shale's durable, ordered key-value engine. It ties together the write path (group
// commit into WAL shards, then the memtable), the read path (memtables, then level-0 files newest
// first, then one file per deeper level), background flushes and compactions, snapshots,
// iterators, bulk ingest and checkpoints.
//
// Sequence numbers order every write. Writes made in one event-loop turn form one commit group:
// one WAL record, one write, and for strict writes one fdatasync shared by all. A write becomes
// visible and is acknowledged only when every earlier group is also done, so readers and crashes
// both see a prefix of the write history.
//
// Files in the store directory:
//   LOCK                  held while open
//   CURRENT               name of the live manifest (see version.ts)
//   MANIFEST-<n>          the version edit log (see version.ts)
//   <gen>.<shard>.wal     WAL shards of a memtable generation (see wal.ts)
//   <n>.sst               segment files (see format/segment.ts)

import { setImmediate as yieldToLoop } from "node:timers/promises";
import { BlockCache } from "../format/block-cache.js";
import { compareKeys } from "../format/compare.js";
import { CorruptionError } from "../format/errors.js";
import { type EntryKind, type InternalIterator, KIND_DELETE, KIND_PUT } from "../format/internal-iterator.js";
import { Segment, SegmentWriter } from "../format/segment.js";
import { NodeFileSystem } from "../fs/node.js";
import { type FileSystem, FsError, joinPath } from "../fs/types.js";
import { BulkJobCancelledError, bulkPool } from "./bulk-pool.js";
import {
  type CompactionJob,
  type CompactionPick,
  type CompactionResult,
  isTrivialMove,
  pickCompaction,
  pickForLevel,
  runCompactionJob,
} from "./compaction.js";
import { CompactionWorker } from "./compaction-worker-client.js";
import { InvalidArgumentError, StoreClosedError, StoreLockedError, StoreWriteError } from "./errors.js";
import { getFromLevels, levelIterators } from "./level-reader.js";
import { Memtable } from "./memtable.js";
import { MergingIterator } from "./merge-iterator.js";
import { type Durability, type ResolvedOptions, resolveOptions, type StoreOptions } from "./options.js";
import { checkRunShape, type PackedRun, toSharedRun } from "./packed-run.js";
import { type ChunkJob, checkCut, checkCuts, checkRunOrder, planChunks, writeChunk } from "./run-build.js";
import {
  type Entry,
  type IteratorOptions,
  type Key,
  type RangeOptions,
  resolveBounds,
  StoreIterator,
  toKey,
} from "./store-iterator.js";
import { type FileMeta, segmentFileName, Version, type VersionEdit, VersionSet } from "./version.js";
import { contiguousGroups, GroupBuilder, parseWalFileName, readWalFile, type WalGroup, WalShard } from "./wal.js";

export type BatchOp = { type: "put"; key: Key; value: Uint8Array | string } | { type: "del"; key: Key };

export interface WriteOptions {
  durability?: Durability;
}

/** Segment files held unchanged for a reader until `release()`; see `Store.pinSegments`. */
export interface PinnedSegments {
  files: Array<FileMeta & { path: string }>;
  /** Number of levels (files carry their level; level-0 files are listed newest first). */
  levels: number;
  /** Every sequence number in the files is at most this. */
  lastSeq: number;
  release(): void;
}

export interface ReadOptions {
  snapshot?: Snapshot;
}

/** A consistent point-in-time view for reads across calls. Release it when done. */
export interface Snapshot {
  readonly seq: number;
  release(): void;
}

export interface LevelStats {
  level: number;
  files: number;
  bytes: number;
}

export interface StoreStats {
  /** Last visible sequence number. */
  seq: number;
  levels: LevelStats[];
  files: number;
  bytes: number;
  memtable: { entries: number; bytes: number; immutables: number };
  cache: { hits: number; misses: number; bytes: number; capacity: number };
  wal: { shards: number; groups: number; records: number; bytes: number; syncs: number };
  flushes: { count: number; bytes: number };
  compactions: { count: number; moves: number; bytesRead: number; bytesWritten: number };
  ingests: { count: number; entries: number; bytes: number };
  /** Bytes written to disk (WAL, flushes, compactions, ingests) per byte of user data written. */
  writeAmplification: number;
  /** Bytes of segment files per byte in the largest level (1 = no dead data). */
  spaceAmplification: number;
  snapshots: number;
  openIterators: number;
}

/**
 * A commit group: the writes of one event-loop turn, encoded as one WAL record, sharing one
 * promise that resolves when the group is acknowledged.
 */
interface Group {
  builder: GroupBuilder;
  strict: boolean;
  relaxed: boolean;
  firstSeq: number;
  lastSeq: number;
  promise: Promise<void>;
  resolve: () => void;
  reject: (err: Error) => void;
  done: boolean;
  error: Error | null;
}

/** A group is sealed early when it grows past this, so one record stays a reasonable size. */
const MAX_GROUP_BYTES = 4 << 20;

interface Immutable {
  mem: Memtable;
  gen: number;
  shards: WalShard[];
}

interface SeqWaiter {
  seq: number;
  resolve: () => void;
  reject: (err: Error) => void;
}

const EMPTY = new Uint8Array(0);
const encoder = new TextEncoder();

function toValue(v: Uint8Array | string): Uint8Array {
  if (typeof v === "string") return encoder.encode(v);
  if (v instanceof Uint8Array) return v;
  throw new InvalidArgumentError(`a value must be a Uint8Array or a string, got ${typeof v}`);
}

/** A simple FIFO async mutex. */
class Mutex {
  private tail: Promise<void> = Promise.resolve();
  async lock(): Promise<() => void> {
    let release!: () => void;
    const next = new Promise<void>((r) => {
      release = r;
    });
    const prev = this.tail;
    this.tail = prev.then(() => next);
    await prev;
    return release;
  }
}

/** Opens (creating if needed) the store in `dir`. */
export async function open(dir: string, options: StoreOptions = {}): Promise<Store> {
  return Store.open(dir, options);
}

function isPromiseLike(x: unknown): x is PromiseLike<unknown> {
  return x !== null && typeof x === "object" && typeof (x as { then?: unknown }).then === "function";
}

export class Store {
  readonly dir: string;
  private readonly fs: FileSystem;
  private readonly opts: ResolvedOptions;
  private readonly versions: VersionSet;
  private readonly cache: BlockCache;
  private lock: { release(): void } | null = null;
  private readonly segments = new Map<number, Segment>();

  // write path
  private mem: Memtable;
  private gen = 0;
  private shards: WalShard[] = [];
  private nextShard = 0;
  private imms: Immutable[] = [];
  /** Flushed WAL files kept for recycling, and their names (the sweep leaves them alone). */
  private readonly walPool: string[] = [];
  private readonly pooledNames = new Set<string>();
  private forming: Group | null = null;
  private queued: Group[] = [];
  private inflight: Group[] = [];
  private seq = 0;
  private visibleSeq = 0;
  private seqWaiters: SeqWaiter[] = [];
  private paused = 0;
  private stallWaiters: Array<() => void> = [];
  private bgError: Error | null = null;
  private relaxedTimer: NodeJS.Timeout | null = null;
  private relaxedDirty = false;

  // background work
  private flushing: Promise<void> | null = null;
  private compacting: Promise<void> | null = null;
  private readonly structureLock = new Mutex();
  private readonly pendingOutputs = new Set<number>();
  private readonly compactPointers: (Uint8Array | undefined)[] = [];
  private worker: CompactionWorker | null = null;
  /** Held once this store has used the bulk worker pool; released on close (see bulk-pool.ts). */
  private bulkLease: (() => void) | null = null;

  // readers
  private readonly snapshots = new Map<number, number>();
  private readonly iterators = new Set<StoreIterator>();
  /** Running public async operations (flush, compact, ingest, checkpoint); close() waits for them. */
  private readonly operations = new Set<Promise<unknown>>();

  private closed = false;
  private closing = false;

  private readonly counters = {
    walGroups: 0,
    walRecords: 0,
    walBytes: 0,
    walSyncs: 0,
    userBytes: 0,
    flushes: 0,
    flushBytes: 0,
    compactions: 0,
    moves: 0,
    compactionRead: 0,
    compactionWritten: 0,
    ingests: 0,
    ingestEntries: 0,
    ingestBytes: 0,
  };

  private constructor(dir: string, opts: ResolvedOptions) {
    this.dir = dir;
    this.fs = opts.fs;
    this.opts = opts;
    this.versions = new VersionSet(this.fs, dir, opts.numLevels);
    this.cache = new BlockCache(opts.blockCacheSize);
    this.mem = this.newMemtable();
  }

  static async open(dir: string, options: StoreOptions = {}): Promise<Store> {
    const fs = options.fs ?? new NodeFileSystem();
    const opts = resolveOptions(options, fs, fs instanceof NodeFileSystem);
    const store = new Store(dir, opts);
    try {
      await store.recover();
    } catch (err) {
      store.releaseResources();
      throw err;
    }
    return store;
  }

  // ---------------------------------------------------------------------------------------------
  // Open and recovery

  private async recover(): Promise<void> {
    const { fs, dir } = this;
    fs.mkdir(dir);
    try {
      this.lock = fs.lock(joinPath(dir, "LOCK"));
    } catch (err) {
      if (err instanceof FsError && err.code === "EBUSY") throw new StoreLockedError(dir, err.message);
      throw err;
    }
    if (this.versions.exists()) {
      if (this.opts.errorIfExists) throw new Error(`a store already exists at ${dir} (errorIfExists is set)`);
      this.versions.recover();
    } else if (!this.opts.createIfMissing) {
      throw new Error(`no store at ${dir} (createIfMissing is false)`);
    }

    // Gather WAL groups of every generation that may hold unflushed writes.
    const names = fs.readdir(dir);
    let maxNumber = 0;
    const groups: WalGroup[] = [];
    for (const name of names) {
      const m = /^(\d+)/.exec(name);
      if (m) maxNumber = Math.max(maxNumber, Number(m[1]));
      const mm = /^MANIFEST-(\d+)$/.exec(name);
      if (mm) maxNumber = Math.max(maxNumber, Number(mm[1]));
      const w = parseWalFileName(name);
      if (w && w.gen >= this.versions.logNumber) {
        for (const g of readWalFile(fs, joinPath(dir, name), w.gen)) groups.push(g); // may be 100k+ groups
      }
    }
    if (this.versions.nextFile <= maxNumber) this.versions.nextFile = maxNumber + 1;
    const { groups: replay, lastSeq } = contiguousGroups(groups, this.versions.lastSeq);

    // Check that every file the version names is there, before anything is written.
    for (const f of this.versions.current.files()) {
      const path = joinPath(dir, segmentFileName(f.number));
      if (!fs.exists(path)) throw new CorruptionError(path, "a segment file named by the manifest is missing");
    }

    await this.versions.rollManifest();
    const newGen = this.versions.newFileNumber();
    if (replay.length > 0) {
      const mem = new Memtable();
      for (const g of replay) {
        let seq = g.firstSeq;
        for (const op of g.ops) {
          mem.add(seq++, op.kind, op.key, 0, op.key.length, op.value, 0, op.value.length);
        }
      }
      const meta = await this.writeLevel0(mem);
      await this.versions.logAndApply({ add: [meta], lastSeq, logNumber: newGen });
    } else {
      await this.versions.logAndApply({ logNumber: newGen });
    }
    this.gen = newGen;
    this.seq = this.visibleSeq = Math.max(this.versions.lastSeq, lastSeq);
    this.deleteObsoleteFiles();

    if (this.opts.compactionThread === "worker") this.worker = new CompactionWorker();
    const interval = this.opts.relaxedIntervalMs;
    this.relaxedTimer = setInterval(() => {
      if (!this.relaxedDirty) return;
      this.relaxedDirty = false;
      this.syncDirtyShards(false);
    }, interval);
    this.relaxedTimer.unref();
    this.maybeCompact();
  }

  // ---------------------------------------------------------------------------------------------
  // Reads

  private checkOpen(): void {
    if (this.closed || this.closing) throw new StoreClosedError();
  }

  private readonly segmentFor = (f: FileMeta): Segment => this.segment(f);

  private segment(f: FileMeta): Segment {
    let s = this.segments.get(f.number);
    if (!s) {
      const file = this.fs.openRead(joinPath(this.dir, segmentFileName(f.number)));
      s = Segment.open(file, { fileNumber: f.number, cache: this.cache, globalSeq: f.globalSeq });
      this.segments.set(f.number, s);
    }
    return s;
  }

  /** The value of `key`, or undefined. Synchronous: reads cached blocks or the file directly. */
  get(key: Key, options?: ReadOptions): Uint8Array | undefined {
    this.checkOpen();
    const k = toKey(key);
    const seq = options?.snapshot ? options.snapshot.seq : this.visibleSeq;
    let e = this.mem.get(k, seq);
    for (let i = this.imms.length - 1; e === undefined && i >= 0; i--) e = this.imms[i].mem.get(k, seq);
    if (e !== undefined) return e.kind === KIND_PUT ? e.value : undefined;
    const r = getFromLevels(this.versions.current.levels, k, seq, this.segmentFor);
    return r !== undefined && r.kind === KIND_PUT ? r.value : undefined;
  }

  getMany(keys: readonly Key[], options?: ReadOptions): (Uint8Array | undefined)[] {
    return keys.map((k) => this.get(k, options));
  }

  /** An iterator over a consistent snapshot of the store (the current state, or `snapshot`). */
  iterator(options: IteratorOptions & ReadOptions = {}): StoreIterator {
    this.checkOpen();
    const version = this.versions.ref();
    const children: InternalIterator[] = [this.mem.iterator()];
    for (let i = this.imms.length - 1; i >= 0; i--) children.push(this.imms[i].mem.iterator());
    children.push(...levelIterators(version.levels, this.segmentFor));
    const readSeq = options.snapshot ? options.snapshot.seq : this.visibleSeq;
    const it = new StoreIterator(new MergingIterator(children), readSeq, options, (self) => {
      this.iterators.delete(self);
      if (this.versions.unref(version) && !this.closed) this.deleteObsoleteFiles();
    });
    this.iterators.add(it);
    return it;
  }

  /** A snapshot of the current state; reads given it see exactly that state until it is released. */
  snapshot(): Snapshot {
    this.checkOpen();
    const seq = this.visibleSeq;
    this.snapshots.set(seq, (this.snapshots.get(seq) ?? 0) + 1);
    let released = false;
    return {
      seq,
      release: () => {
        if (released) return;
        released = true;
        const n = (this.snapshots.get(seq) ?? 1) - 1;
        if (n === 0) this.snapshots.delete(seq);
        else this.snapshots.set(seq, n);
      },
    };
  }

  private smallestSnapshot(): number {
    let min = this.visibleSeq;
    for (const s of this.snapshots.keys()) if (s < min) min = s;
    return min;
  }

  // ---------------------------------------------------------------------------------------------
  // Writes: group commit

  put(key: Key, value: Uint8Array | string, options?: WriteOptions): Promise<void> {
    try {
      const k = toKey(key);
      const v = toValue(value);
      const g = this.groupFor(options);
      g.builder.add(KIND_PUT, k, v);
      return g.promise;
    } catch (err) {
      return Promise.reject(err);
    }
  }

  del(key: Key, options?: WriteOptions): Promise<void> {
    try {
      const k = toKey(key);
      const g = this.groupFor(options);
      g.builder.add(KIND_DELETE, k, EMPTY);
      return g.promise;
    } catch (err) {
      return Promise.reject(err);
    }
  }

  /** Applies all operations atomically: after a crash either all of them are there or none. */
  batch(ops: readonly BatchOp[], options?: WriteOptions): Promise<void> {
    try {
      if (!Array.isArray(ops)) throw new InvalidArgumentError("batch takes an array of operations");
      // Check every operation before any is added, so a bad one writes nothing.
      const n = ops.length;
      const keys: Uint8Array[] = new Array(n);
      const values: Uint8Array[] = new Array(n);
      for (let i = 0; i < n; i++) {
        const op = ops[i];
        if (op?.type === "put") {
          keys[i] = toKey(op.key);
          values[i] = toValue(op.value);
        } else if (op?.type === "del") {
          keys[i] = toKey(op.key);
          values[i] = EMPTY;
        } else {
          throw new InvalidArgumentError(`batch operation ${i} has type ${String(op?.type)}; use "put" or "del"`);
        }
      }
      if (n === 0) return Promise.resolve();
      const g = this.groupFor(options);
      const b = g.builder;
      for (let i = 0; i < n; i++) b.add(ops[i].type === "put" ? KIND_PUT : KIND_DELETE, keys[i], values[i]);
      return g.promise;
    } catch (err) {
      return Promise.reject(err);
    }
  }

  /** The group the next write joins (a new one if none is forming), marked with the write's durability. */
  private groupFor(options: WriteOptions | undefined): Group {
    if (this.closed || this.closing) throw new StoreClosedError();
    if (this.bgError) throw this.writeError();
    let g = this.forming;
    if (g === null || g.builder.len >= MAX_GROUP_BYTES) {
      if (g !== null) this.sealForming();
      g = this.newGroup();
    }
    const durability = options?.durability ?? this.opts.durability;
    if (durability === "strict") g.strict = true;
    else if (durability === "relaxed") g.relaxed = true;
    else if (durability !== "none") {
      throw new InvalidArgumentError(`durability must be "strict", "relaxed" or "none", got ${String(durability)}`);
    }
    return g;
  }

  private newGroup(): Group {
    let resolve!: () => void;
    let reject!: (err: Error) => void;
    const promise = new Promise<void>((res, rej) => {
      resolve = res;
      reject = rej;
    });
    const g: Group = {
      builder: new GroupBuilder(),
      strict: false,
      relaxed: false,
      firstSeq: 0,
      lastSeq: 0,
      promise,
      resolve,
      reject,
      done: false,
      error: null,
    };
    this.forming = g;
    setImmediate(this.endOfTurn);
    return g;
  }

  /** Every write issued in one event-loop turn has joined the forming group: commit it. */
  private readonly endOfTurn = (): void => {
    if (this.forming !== null) this.sealForming();
  };

  private sealForming(): void {
    const g = this.forming as Group;
    this.forming = null;
    this.queued.push(g);
    this.drainQueue();
  }

  private writeError(): StoreWriteError {
    const cause = this.bgError;
    return new StoreWriteError(
      `the store stopped accepting writes after an I/O error (${cause?.message}); ` +
        "acknowledged writes are safe: fix the cause (disk space, say), then close and reopen the store",
      cause,
    );
  }

  private stalled(): boolean {
    if (this.closing) return false; // accepted writes finish while closing
    return (
      this.paused > 0 ||
      this.imms.length >= this.opts.maxImmutableMemtables ||
      (this.opts.autoCompaction && this.versions.current.levels[0].length >= this.opts.l0StopTrigger)
    );
  }

  /** Re-checks stalled writes after background work made progress. */
  private kick(): void {
    const waiters = this.stallWaiters;
    this.stallWaiters = [];
    for (const w of waiters) w();
    if (this.queued.length > 0) this.drainQueue();
  }

  /** Commits sealed groups in order, unless writes are stalled. */
  private drainQueue(): void {
    while (this.queued.length > 0) {
      if (this.bgError) {
        const err = this.writeError();
        for (const g of this.queued.splice(0)) g.reject(err);
        return;
      }
      if (this.stalled()) {
        if (this.imms.length > 0) this.scheduleFlush();
        this.maybeCompact();
        return; // kick() resumes when a flush or compaction finishes
      }
      this.commit(this.queued.shift() as Group);
    }
  }

  private commit(group: Group): void {
    if (this.mem.approximateBytes >= this.opts.writeBufferSize) this.rotateMemtable();
    const b = group.builder;
    const count = b.count;
    const firstSeq = this.seq + 1;
    group.firstSeq = firstSeq;
    group.lastSeq = firstSeq + count - 1;
    this.seq = group.lastSeq;
    this.inflight.push(group);
    try {
      const record = b.seal(this.gen, firstSeq);
      this.shardFor().append(record);
      this.counters.walGroups++;
      this.counters.walRecords += count;
      this.counters.walBytes += record.length;
      this.counters.userBytes += b.bodySize;
    } catch (err) {
      this.fail(group, err);
      return;
    }
    const mem = this.mem;
    const buf = b.buf;
    const pos = b.pos;
    for (let i = 0, p = 0; i < count; i++, p += 5) {
      mem.add(firstSeq + i, pos[p] as EntryKind, buf, pos[p + 1], pos[p + 2], buf, pos[p + 3], pos[p + 4]);
    }
    if (group.strict) {
      this.syncDirtyShards(true).then(
        () => {
          group.done = true;
          this.drainAcks();
        },
        (err: unknown) => this.fail(group, err),
      );
    } else {
      // relaxed writes are synced by the interval timer; none writes when a memtable is flushed
      if (group.relaxed) this.relaxedDirty = true;
      group.done = true;
      this.drainAcks();
    }
  }

  private shardFor(): WalShard {
    const i = this.nextShard;
    this.nextShard = (i + 1) % this.opts.walShards;
    let s = this.shards[i];
    if (!s) {
      const recycled = this.walPool.pop();
      s = new WalShard(this.fs, this.dir, this.gen, i, recycled);
      if (recycled) this.pooledNames.delete(recycled.slice(recycled.lastIndexOf("/") + 1));
      this.shards[i] = s;
    }
    return s;
  }

  /** Syncs every WAL shard holding unsynced bytes; `strict` failures are the caller's to handle. */
  private syncDirtyShards(strict: boolean): Promise<void> {
    const all = [...this.shards, ...this.imms.flatMap((m) => m.shards)].filter((s) => s?.dirty);
    if (all.length === 0) return Promise.resolve();
    this.counters.walSyncs += all.length;
    const p = Promise.all(all.map((s) => s.sync())).then(() => undefined);
    if (!strict) {
      p.catch((err: unknown) => {
        if (!this.closed && !this.bgError) this.setBgError(err);
      });
    }
    return p;
  }

  private setBgError(err: unknown): void {
    if (this.bgError) return;
    this.bgError = err instanceof Error ? err : new Error(String(err));
    // Writes waiting behind a stall or a visibility wait would otherwise wait forever.
    for (const w of this.seqWaiters.splice(0)) w.reject(this.writeError());
    this.kick();
  }

  private fail(group: Group, err: unknown): void {
    group.error = err instanceof Error ? err : new Error(String(err));
    group.done = true;
    this.setBgError(err);
    this.drainAcks();
  }

  /** Acknowledges finished groups in sequence order; after a failed group, later ones fail too. */
  private drainAcks(): void {
    while (this.inflight.length > 0 && this.inflight[0].done) {
      const g = this.inflight.shift() as Group;
      if (g.error || this.bgError) {
        const err = this.writeError();
        g.reject(err);
        // Everything after a failed group is rejected: it could not be ordered after the failure.
        for (const later of this.inflight) {
          later.done = true;
          later.error = later.error ?? err;
        }
        continue;
      }
      this.visibleSeq = g.lastSeq;
      g.resolve();
    }
    if (this.seqWaiters.length > 0) {
      const ready = this.seqWaiters.filter((w) => w.seq <= this.visibleSeq);
      if (ready.length > 0) {
        this.seqWaiters = this.seqWaiters.filter((w) => w.seq > this.visibleSeq);
        for (const w of ready) w.resolve();
      }
    }
  }

  /** Resolves when every write up to `seq` is visible (acknowledged). */
  private waitVisible(seq: number): Promise<void> {
    if (this.visibleSeq >= seq) return Promise.resolve();
    if (this.bgError) return Promise.reject(this.writeError());
    return new Promise((resolve, reject) => this.seqWaiters.push({ seq, resolve, reject }));
  }

  /** A memtable presized like the previous one (a small one at first), so it rarely regrows. */
  private newMemtable(previous?: Memtable): Memtable {
    if (!previous) return new Memtable(Math.min(this.opts.writeBufferSize, 1 << 20), 1024);
    const bytes = Math.min(previous.arenaBytes + (1 << 20), this.opts.writeBufferSize + (1 << 20));
    return new Memtable(bytes, Math.ceil(previous.entries * 1.1) + 1024);
  }

  private rotateMemtable(): void {
    this.imms.push({ mem: this.mem, gen: this.gen, shards: this.shards });
    this.mem = this.newMemtable(this.mem);
    this.gen = this.versions.newFileNumber();
    this.shards = [];
    this.scheduleFlush();
  }

  /** Stops forming new groups and waits until every formed group is acknowledged. */
  private async pauseWrites(): Promise<void> {
    // Writes issued before the pause (still forming this turn) are ordered before it.
    if (this.forming !== null) this.sealForming();
    this.paused++;
    await this.waitVisible(this.seq);
  }

  private resumeWrites(): void {
    this.paused--;
    this.kick();
  }

  /**
   * Records a version edit in the manifest. A failure stops the store (StoreWriteError from then
   * on), since the edit may or may not have reached the disk.
   */
  private async logEdit(edit: VersionEdit, onInstall?: () => void): Promise<void> {
    try {
      await this.versions.logAndApply(edit, onInstall);
    } catch (err) {
      this.setBgError(err);
      throw this.writeError();
    }
  }

  // ---------------------------------------------------------------------------------------------
  // Flush

  /** Writes a memtable as one level-0 segment file; returns its metadata (not yet installed). */
  private async writeLevel0(mem: Memtable): Promise<FileMeta> {
    const number = this.versions.newFileNumber();
    this.pendingOutputs.add(number);
    const path = joinPath(this.dir, segmentFileName(number));
    const file = this.fs.openWrite(path, { truncate: true });
    try {
      const writer = new SegmentWriter(file, this.segmentOptions());
      const it = mem.iterator();
      it.seekToFirst();
      let n = 0;
      while (it.valid()) {
        const k = it.key();
        const v = it.value();
        writer.add(k, 0, k.length, it.seq(), it.kind(), v, 0, v.length);
        it.next();
        if (++n % 8192 === 0 && !this.closing) await yieldToLoop();
      }
      const props = writer.finish();
      await file.sync();
      file.close();
      await this.fs.syncDir(this.dir);
      this.counters.flushes++;
      this.counters.flushBytes += props.fileSize;
      return {
        number,
        level: 0,
        size: props.fileSize,
        smallest: props.smallestKey.slice(),
        largest: props.largestKey.slice(),
        minSeq: props.minSeq,
        maxSeq: props.maxSeq,
        entries: props.entries,
      };
    } catch (err) {
      try {
        file.close();
      } catch {
        // already failing
      }
      throw err;
    }
  }

  private segmentOptions() {
    const o = this.opts;
    return {
      blockSize: o.blockSize,
      restartInterval: o.restartInterval,
      bloomBitsPerKey: o.bloomBitsPerKey,
      compression: o.compression,
    };
  }

  private scheduleFlush(): void {
    if (this.flushing) return;
    this.flushing = this.flushLoop()
      .catch((err: unknown) => {
        if (!this.closed) this.setBgError(err);
      })
      .finally(() => {
        this.flushing = null;
        if (this.imms.length > 0 && !this.bgError && !this.closed) this.scheduleFlush();
      });
  }

  private async flushLoop(): Promise<void> {
    while (this.imms.length > 0 && !this.bgError && !this.closed) {
      const imm = this.imms[0];
      await this.waitVisible(imm.mem.maxSeq);
      const add: FileMeta[] = [];
      if (imm.mem.entries > 0) add.push(await this.writeLevel0(imm.mem));
      const logNumber = this.imms.length > 1 ? this.imms[1].gen : this.gen;
      await this.logEdit({ add, logNumber, ...(imm.mem.maxSeq > 0 ? { lastSeq: imm.mem.maxSeq } : {}) }, () => {
        this.imms.shift();
        // The flushed WAL files are obsolete from here on; the ones kept for recycling must
        // not be swept before they are closed and pooled below.
        for (const sh of imm.shards) {
          if (sh && this.walPool.length + this.pooledNames.size < 2 * this.opts.walShards) {
            this.pooledNames.add(sh.path.slice(sh.path.lastIndexOf("/") + 1));
          }
        }
      });
      for (const f of add) this.pendingOutputs.delete(f.number);
      await Promise.allSettled(imm.shards.map((s) => s?.sync()));
      for (const sh of imm.shards) {
        if (!sh) continue;
        sh.close();
        // Keep flushed WAL files for reuse by later generations, up to two generations' worth.
        if (this.pooledNames.has(sh.path.slice(sh.path.lastIndexOf("/") + 1))) this.walPool.push(sh.path);
      }
      this.deleteObsoleteFiles();
      this.kick();
      this.maybeCompact();
    }
  }

  /** Runs a public async operation so that close() can wait for it. */
  private track<T>(run: () => Promise<T>): Promise<T> {
    const p = run();
    this.operations.add(p);
    const done = () => this.operations.delete(p);
    p.then(done, done);
    return p;
  }

  /**
   * The last write group issued so far (the forming one is sealed), or null. Operations that must
   * come after every write issued before them (flush, ingest, checkpoint) wait for it, even when
   * writes are stalled and it has no sequence number yet.
   */
  private lastIssued(): Group | null {
    if (this.forming !== null) this.sealForming();
    return this.queued.at(-1) ?? this.inflight.at(-1) ?? null;
  }

  /** Flushes the memtable (with every write issued before this call) to a segment file. */
  flush(): Promise<void> {
    try {
      this.checkOpen();
    } catch (err) {
      return Promise.reject(err);
    }
    return this.track(() => this.flushNow());
  }

  private async flushNow(): Promise<void> {
    const before = this.lastIssued();
    if (before) await before.promise.catch(() => undefined);
    await this.pauseWrites();
    try {
      if (this.mem.entries > 0) this.rotateMemtable();
      await this.drainFlushes();
    } finally {
      this.resumeWrites();
    }
  }

  private async drainFlushes(): Promise<void> {
    while (this.imms.length > 0) {
      if (this.bgError) throw this.writeError();
      if (this.closed) throw new StoreClosedError();
      this.scheduleFlush();
      await this.flushing;
    }
    if (this.bgError) throw this.writeError();
  }

  // ---------------------------------------------------------------------------------------------
  // Compaction

  private maybeCompact(): void {
    if (!this.opts.autoCompaction || this.compacting || this.closing || this.closed || this.bgError) return;
    if (!pickCompaction(this.versions.current, this.opts, this.compactPointers)) return;
    this.compacting = this.compactionLoop()
      .catch((err: unknown) => {
        if (!this.closing && !this.closed) this.setBgError(err);
      })
      .finally(() => {
        this.compacting = null;
      });
  }

  private async compactionLoop(): Promise<void> {
    while (!this.closing && !this.closed && !this.bgError) {
      const unlock = await this.structureLock.lock();
      try {
        const pick = pickCompaction(this.versions.current, this.opts, this.compactPointers);
        if (!pick) return;
        await this.runPick(pick);
      } finally {
        unlock();
      }
      this.kick();
    }
  }

  private async runPick(pick: CompactionPick): Promise<void> {
    const { level, outputLevel, inputs, next } = pick;
    const version = this.versions.current;
    const all = [...inputs, ...next];
    let largest = inputs[0].largest;
    for (const f of inputs) if (compareKeys(f.largest, largest) > 0) largest = f.largest;
    this.compactPointers[level] = largest;
    if (isTrivialMove(pick)) {
      await this.logEdit({
        del: inputs.map((f): [number, number] => [level, f.number]),
        add: inputs.map((f) => ({ ...f, level: outputLevel })),
      });
      this.counters.moves += inputs.length;
      return;
    }
    let totalBytes = 0;
    for (const f of all) totalBytes += f.size;
    const reserve = Math.ceil(totalBytes / this.opts.targetFileSize) * 2 + 4;
    const fileNumbers: number[] = [];
    for (let i = 0; i < reserve; i++) {
      const n = this.versions.newFileNumber();
      fileNumbers.push(n);
      this.pendingOutputs.add(n);
    }
    const deeper: CompactionJob["deeper"] = [];
    for (let l = outputLevel + 1; l < version.levels.length; l++) {
      deeper.push(version.levels[l].map((f) => ({ smallest: f.smallest, largest: f.largest })));
    }
    const job: CompactionJob = {
      dir: this.dir,
      outputLevel,
      inputs: all,
      smallestSnapshot: this.smallestSnapshot(),
      deeper,
      fileNumbers,
      targetFileSize: this.opts.targetFileSize,
      segment: this.segmentOptions(),
    };
    try {
      let result: CompactionResult;
      if (this.worker) {
        result = await this.worker.run(job);
      } else {
        result = await runCompactionJob(this.fs, job, {
          yieldEvery: () => yieldToLoop(),
          shouldStop: () => this.closing || this.closed,
        });
      }
      const del: Array<[number, number]> = [
        ...inputs.map((f): [number, number] => [level, f.number]),
        ...next.map((f): [number, number] => [outputLevel, f.number]),
      ];
      await this.logEdit({ del, add: result.outputs });
      this.counters.compactions++;
      this.counters.compactionRead += result.bytesRead;
      this.counters.compactionWritten += result.bytesWritten;
    } finally {
      for (const n of fileNumbers) this.pendingOutputs.delete(n);
    }
    this.deleteObsoleteFiles();
  }

  /** Resolves when no background compaction is running or needed (after writes settle). */
  async waitForCompaction(): Promise<void> {
    this.checkOpen();
    for (;;) {
      if (this.bgError) throw this.writeError();
      if (this.flushing) await this.flushing;
      else if (this.compacting) await this.compacting;
      else {
        this.maybeCompact();
        if (!this.compacting) return;
      }
    }
  }

  /**
   * Compacts every file overlapping `range` (all of the store without one) down to the deepest
   * level that holds part of the range, dropping deleted and shadowed data.
   */
  compact(range: RangeOptions = {}): Promise<void> {
    try {
      this.checkOpen();
    } catch (err) {
      return Promise.reject(err);
    }
    return this.track(() => this.compactNow(range));
  }

  private async compactNow(range: RangeOptions): Promise<void> {
    await this.flushNow();
    try {
      await this.compactRange(range);
    } catch (err) {
      if (this.closing || this.closed) throw new StoreClosedError("the store was closed during compact()");
      // Like a background compaction, a failed manual one stops the store's writes.
      if (!(err instanceof StoreWriteError)) this.setBgError(err);
      throw err instanceof StoreWriteError ? err : this.writeError();
    }
  }

  private async compactRange(range: RangeOptions): Promise<void> {
    const b = resolveBounds(range);
    const unlock = await this.structureLock.lock();
    try {
      const levels = this.versions.current.levels;
      let deepest = 0;
      for (let l = 0; l < levels.length; l++)
        if (this.versions.current.overlapping(l, b.lower, b.upper).length) deepest = l;
      const last = Math.max(deepest, 1);
      for (let l = 0; l < last; l++) {
        if (this.bgError) throw this.writeError();
        const v = this.versions.current;
        const inputs = v.overlapping(l, b.lower, b.upper);
        if (inputs.length === 0) continue;
        const pick = l === 0 ? pickForLevel(v, 0, undefined) : undefined;
        if (pick) {
          await this.runPick(pick);
          continue;
        }
        let lo = inputs[0].smallest;
        let hi = inputs[0].largest;
        for (const f of inputs) {
          if (compareKeys(f.smallest, lo) < 0) lo = f.smallest;
          if (compareKeys(f.largest, hi) > 0) hi = f.largest;
        }
        await this.runPick({ level: l, outputLevel: l + 1, inputs, next: v.overlapping(l + 1, lo, hi) });
      }
    } finally {
      unlock();
    }
    this.kick();
  }

  // ---------------------------------------------------------------------------------------------
  // Bulk ingest

  /**
   * Bulk-loads a stream of pairs sorted by key (strictly increasing) straight into segment files,
   * bypassing the WAL and the memtable. The files are synced before they join the store, at the
   * deepest level where nothing overlaps them, as one atomic step with one sequence number: the
   * ingested pairs are newer than every earlier write. All or nothing.
   */
  ingest(source: Iterable<Entry> | AsyncIterable<Entry>): Promise<{ entries: number; files: number; level: number }> {
    try {
      this.checkOpen();
      if (this.bgError) throw this.writeError();
    } catch (err) {
      return Promise.reject(err);
    }
    const before = this.lastIssued();
    return this.track(() => this.ingestNow(source, before));
  }

  private async ingestNow(
    source: Iterable<Entry> | AsyncIterable<Entry>,
    before: Group | null,
  ): Promise<{ entries: number; files: number; level: number }> {
    const files: FileMeta[] = [];
    const written: string[] = [];
    const toSync: Array<ReturnType<FileSystem["openWrite"]>> = [];
    const syncing: Promise<void>[] = [];
    let writer: SegmentWriter | null = null;
    let out: ReturnType<FileSystem["openWrite"]> | null = null;
    let outNumber = 0;
    let last: Uint8Array | null = null;
    let entries = 0;
    const targetFileSize = this.opts.targetFileSize;
    // Full files are finished as the stream goes; each one's fdatasync starts at once, on the
    // thread pool, while the next file is encoded.
    const finish = () => {
      if (!writer || !out) return;
      const props = writer.finish();
      toSync.push(out);
      const p = out.sync();
      p.catch(() => undefined); // awaited below; this only keeps an early failure from going unhandled
      syncing.push(p);
      files.push({
        number: outNumber,
        level: 0,
        size: props.fileSize,
        smallest: props.smallestKey.slice(),
        largest: props.largestKey.slice(),
        minSeq: 0,
        maxSeq: 0,
        entries: props.entries,
      });
      writer = null;
      out = null;
    };
    const add = (pair: Entry) => {
      const k = toKey(pair[0]);
      const v = toValue(pair[1]);
      if (last !== null && compareKeys(k, last) <= 0) {
        throw new InvalidArgumentError(
          `ingest needs keys in strictly increasing order; entry ${entries} is not greater than the one before`,
        );
      }
      if (writer !== null && entries % 64 === 0 && writer.estimatedFileSize() >= targetFileSize) finish();
      if (writer === null) {
        outNumber = this.versions.newFileNumber();
        this.pendingOutputs.add(outNumber);
        const path = joinPath(this.dir, segmentFileName(outNumber));
        out = this.fs.openWrite(path, { truncate: true });
        written.push(path);
        writer = new SegmentWriter(out, this.segmentOptions());
      }
      writer.add(k, 0, k.length, 0, KIND_PUT, v, 0, v.length);
      last = k;
      entries++;
    };
    try {
      if (Symbol.iterator in source) {
        // A synchronous source: no microtask per entry; yield to the event loop now and then.
        for (const pair of source) {
          add(pair);
          if ((entries & 0x1ffff) === 0) await yieldToLoop();
        }
      } else {
        for await (const pair of source) add(pair);
      }
      finish();
      await Promise.all(syncing);
      for (const f of toSync.splice(0)) f.close();
      return await this.installIngestedFiles(files, entries, before);
    } catch (err) {
      for (const f of [...toSync, ...(out ? [out] : [])]) {
        try {
          f.close();
        } catch {
          // failing anyway
        }
      }
      this.discardIngestedFiles(written);
      throw err;
    } finally {
      for (const f of files) this.pendingOutputs.delete(f.number);
      if (outNumber) this.pendingOutputs.delete(outNumber);
    }
  }

  /**
   * The end of every ingest: with its segment files written and synced (in key order), syncs the
   * directory and installs them in one step, after every write issued before the ingest.
   */
  private async installIngestedFiles(
    files: FileMeta[],
    entries: number,
    before: Group | null,
  ): Promise<{ entries: number; files: number; level: number }> {
    if (files.length === 0) return { entries: 0, files: 0, level: -1 };
    await this.fs.syncDir(this.dir);
    // Every write issued before this ingest gets a lower sequence number than the ingest.
    if (before) await before.promise.catch(() => undefined);
    const level = await this.installIngested(files);
    this.counters.ingests++;
    this.counters.ingestEntries += entries;
    for (const f of files) this.counters.ingestBytes += f.size;
    return { entries, files: files.length, level };
  }

  /** Removes the files of a failed ingest. */
  private discardIngestedFiles(paths: string[]): void {
    // After a manifest failure the edit naming these files may be on disk: keep them.
    if (this.versions.failure) return;
    for (const p of paths) {
      try {
        this.fs.unlink(p);
      } catch {
        // swept on the next open
      }
    }
  }

  /**
   * Bulk-loads packed runs (see packed-run.ts): like `ingest`, all or nothing, as one atomic step
   * with one sequence number, at the deepest level where nothing overlaps. Each run must be sorted
   * with strictly increasing keys, and each run's keys must all be below the next run's (empty
   * runs are skipped): sort them with `sortRuns` first. A key out of order or repeated is an
   * InvalidArgumentError naming the run and entry, and nothing is installed.
   *
   * A run marked `rangeOnly` gets files without a bloom filter.
   *
   * The runs are cut into chunks of at most `targetFileSize` bytes (smaller when that keeps both
   * workers busy), each written as one segment file and fdatasync'd, in parallel on the bulk worker
   * threads when the store is on the real file system (inline on the main thread otherwise). Runs
   * in SharedArrayBuffers are read in place; others are copied into shared memory once. The runs
   * are not modified and may be reused once the promise settles.
   *
   * A run may also be given as a promise (a run still being sorted or encoded): the files of each
   * run are then started as soon as it arrives (each run cut on its own, by size only), and all of them are
   * installed together once every run is there and written; a promise that rejects fails the
   * ingest, and nothing is installed.
   */
  /** Whether `ingestRuns` builds files on the bulk worker threads (a store on the real file system). */
  get usesBulkWorkers(): boolean {
    return this.fs instanceof NodeFileSystem;
  }

  ingestRuns(
    runs: Array<PackedRun | PromiseLike<PackedRun>>,
  ): Promise<{ entries: number; files: number; level: number }> {
    try {
      this.checkOpen();
      if (this.bgError) throw this.writeError();
      if (!Array.isArray(runs)) throw new InvalidArgumentError("ingestRuns needs an array of packed runs");
      for (let i = 0; i < runs.length; i++) if (!isPromiseLike(runs[i])) checkRunShape(runs[i] as PackedRun, i);
    } catch (err) {
      return Promise.reject(err);
    }
    const before = this.lastIssued();
    if (runs.some(isPromiseLike)) return this.track(() => this.ingestRunsAsTheyCome(runs, before));
    return this.track(() => this.ingestRunsNow(runs as PackedRun[], before));
  }

  /** `ingestRuns` with runs that arrive over time: each run's chunk jobs start when it arrives. */
  private async ingestRunsAsTheyCome(
    input: Array<PackedRun | PromiseLike<PackedRun>>,
    before: Group | null,
  ): Promise<{ entries: number; files: number; level: number }> {
    const pool = this.fs instanceof NodeFileSystem ? bulkPool() : null;
    // Written inline on the main thread, nothing would overlap: take the runs as they are.
    if (!pool) return this.ingestRunsNow(await Promise.all(input), before);
    if (!this.bulkLease) this.bulkLease = pool.lease();
    const segment = this.segmentOptions();
    const runs: PackedRun[] = new Array(input.length);
    const numbers: number[] = [];
    const builds: Promise<FileMeta>[][] = input.map(() => []);
    let failed = false;
    const start = (given: PackedRun, i: number) => {
      if (failed) return;
      try {
        startRun(given, i);
      } catch (err) {
        failed = true;
        throw err;
      }
    };
    const startRun = (given: PackedRun, i: number) => {
      checkRunShape(given, i);
      const run = toSharedRun(given);
      runs[i] = run;
      // Runs arriving at different times keep the workers busy: no run is cut finer than the target size.
      for (const c of planChunks([run], this.opts.targetFileSize, 1)) {
        c.runIndex = i;
        checkCut(run, c);
        const n = this.versions.newFileNumber();
        this.pendingOutputs.add(n);
        numbers.push(n);
        const job: ChunkJob = {
          dir: this.dir,
          fileNumber: n,
          run,
          runIndex: i,
          start: c.start,
          end: c.end,
          segment: run.rangeOnly ? { ...segment, bloomBitsPerKey: 0 } : segment,
        };
        const built = pool
          .build(job, () => failed)
          .catch((err: unknown) => {
            failed = true;
            throw err;
          });
        built.catch(() => undefined); // looked at below, once every run is in
        builds[i].push(built);
      }
    };
    try {
      const arrived = await Promise.allSettled(
        input.map((r, i) =>
          Promise.resolve(r).then(
            (run) => start(run, i),
            (err: unknown) => {
              failed = true;
              throw err;
            },
          ),
        ),
      );
      const notArrived = arrived.find((r) => r.status === "rejected");
      if (notArrived) throw (notArrived as PromiseRejectedResult).reason;
      const results = await Promise.allSettled(builds.flat());
      // The first failure in key order, not one that only followed it (a cancelled job).
      const bad = results.find((r) => r.status === "rejected" && !(r.reason instanceof BulkJobCancelledError));
      if (bad) throw (bad as PromiseRejectedResult).reason;
      checkRunOrder(runs);
      let entries = 0;
      for (const r of runs) entries += r.count;
      return await this.installIngestedFiles(
        results.map((r) => (r as PromiseFulfilledResult<FileMeta>).value),
        entries,
        before,
      );
    } catch (err) {
      failed = true;
      await Promise.allSettled(builds.flat()); // jobs already running finish before their files go
      this.discardIngestedFiles(numbers.map((n) => joinPath(this.dir, segmentFileName(n))));
      throw err;
    } finally {
      for (const n of numbers) this.pendingOutputs.delete(n);
    }
  }

  private async ingestRunsNow(
    input: PackedRun[],
    before: Group | null,
  ): Promise<{ entries: number; files: number; level: number }> {
    const useWorkers = this.fs instanceof NodeFileSystem;
    const pool = useWorkers ? bulkPool() : null;
    if (pool && !this.bulkLease) this.bulkLease = pool.lease();
    const runs = useWorkers ? input.map(toSharedRun) : input;
    const chunks = planChunks(runs, this.opts.targetFileSize, pool ? 2 * pool.size : 1);
    checkCuts(runs, chunks);
    let entries = 0;
    for (const r of runs) entries += r.count;
    const numbers: number[] = [];
    const segment = this.segmentOptions();
    try {
      for (const _ of chunks) {
        const n = this.versions.newFileNumber();
        this.pendingOutputs.add(n);
        numbers.push(n);
      }
      const jobs: ChunkJob[] = chunks.map((c, i) => ({
        dir: this.dir,
        fileNumber: numbers[i],
        run: runs[c.runIndex],
        runIndex: c.runIndex,
        start: c.start,
        end: c.end,
        segment: runs[c.runIndex].rangeOnly ? { ...segment, bloomBitsPerKey: 0 } : segment,
      }));
      let files: FileMeta[];
      if (pool) {
        let failed = false;
        const results = await Promise.allSettled(
          jobs.map((job) =>
            pool
              .build(job, () => failed)
              .catch((err: unknown) => {
                failed = true;
                throw err;
              }),
          ),
        );
        // The first failure in key order, not one that only followed it (a cancelled job).
        const bad = results.find((r) => r.status === "rejected" && !(r.reason instanceof BulkJobCancelledError));
        if (bad) throw (bad as PromiseRejectedResult).reason;
        files = results.map((r) => (r as PromiseFulfilledResult<FileMeta>).value);
      } else {
        files = [];
        for (const job of jobs) {
          files.push(await writeChunk(this.fs, job, { yieldEvery: () => yieldToLoop() }));
          await yieldToLoop();
        }
      }
      return await this.installIngestedFiles(files, entries, before);
    } catch (err) {
      // Every chunk's file, written or not (a worker that died may have left part of one).
      this.discardIngestedFiles(numbers.map((n) => joinPath(this.dir, segmentFileName(n))));
      throw err;
    } finally {
      for (const n of numbers) this.pendingOutputs.delete(n);
    }
  }

  private async installIngested(files: FileMeta[]): Promise<number> {
    // Like writes, ingests wait while level 0 is at its stop trigger, so they cannot pile up files there.
    while (
      this.opts.autoCompaction &&
      this.versions.current.levels[0].length >= this.opts.l0StopTrigger &&
      !this.bgError &&
      !this.closing
    ) {
      this.maybeCompact();
      if (!this.compacting) break;
      await new Promise<void>((r) => this.stallWaiters.push(r));
    }
    const unlock = await this.structureLock.lock();
    try {
      await this.pauseWrites();
      try {
        // Everything written so far must sit in segments below the new files' sequence number.
        if (this.mem.entries > 0) this.rotateMemtable();
        await this.drainFlushes();
        const lo = files[0].smallest;
        const hi = files[files.length - 1].largest;
        const v = this.versions.current;
        let level = 0;
        if (v.overlapping(0, lo, hi).length === 0) {
          level = v.levels.length - 1;
          for (let l = 1; l < v.levels.length; l++) {
            if (v.overlapping(l, lo, hi).length > 0) {
              level = l - 1;
              break;
            }
          }
        }
        const seq = ++this.seq;
        const add = files.map((f) => ({ ...f, level, minSeq: seq, maxSeq: seq, globalSeq: seq }));
        await this.logEdit({ add, lastSeq: seq });
        this.visibleSeq = seq;
        return level;
      } finally {
        this.resumeWrites();
      }
    } finally {
      unlock();
      this.maybeCompact();
    }
  }

  // ---------------------------------------------------------------------------------------------
  // Checkpoint

  /**
   * Writes a consistent copy of the store into `target` (which must not hold a store): flushes the
   * memtable, then hard-links (or copies) every live segment and writes a manifest for them.
   * The copy opens as a store of its own.
   */
  checkpoint(target: string): Promise<void> {
    try {
      this.checkOpen();
    } catch (err) {
      return Promise.reject(err);
    }
    return this.track(() => this.checkpointNow(target));
  }

  private async checkpointNow(target: string): Promise<void> {
    const { fs } = this;
    if (fs.exists(joinPath(target, "CURRENT"))) throw new Error(`${target} already holds a store`);
    await this.flushNow();
    const version = this.versions.ref();
    try {
      fs.mkdir(target);
      for (const f of version.files()) {
        const name = segmentFileName(f.number);
        const from = joinPath(this.dir, name);
        const to = joinPath(target, name);
        try {
          fs.link(from, to);
        } catch {
          const copy = fs.openWrite(to, { truncate: true });
          copy.append(fs.readFile(from));
          await copy.sync();
          copy.close();
        }
      }
      const copySet = new VersionSet(fs, target, this.opts.numLevels);
      copySet.current = new Version(version.levels.map((l) => l.slice()));
      copySet.nextFile = this.versions.nextFile;
      copySet.lastSeq = this.versions.lastSeq;
      copySet.logNumber = copySet.nextFile;
      await copySet.rollManifest();
      copySet.close();
    } finally {
      if (this.versions.unref(version) && !this.closed) this.deleteObsoleteFiles();
    }
  }

  /**
   * Flushes the memtable and pins the current segment files: they stay on disk, unchanged, until
   * `release()` (a pack copies them byte for byte). Levels are listed as the store reads them.
   */
  pinSegments(): Promise<PinnedSegments> {
    try {
      this.checkOpen();
    } catch (err) {
      return Promise.reject(err);
    }
    return this.track(async () => {
      await this.flushNow();
      const version = this.versions.ref();
      let released = false;
      return {
        files: version.files().map((f) => ({ ...f, path: joinPath(this.dir, segmentFileName(f.number)) })),
        levels: version.levels.length,
        lastSeq: this.visibleSeq,
        release: () => {
          if (released) return;
          released = true;
          if (this.versions.unref(version) && !this.closed) this.deleteObsoleteFiles();
        },
      };
    });
  }

  // ---------------------------------------------------------------------------------------------
  // Housekeeping

  /** Deletes segment files no live version names, and WAL files and manifests no longer needed. */
  private deleteObsoleteFiles(): void {
    // After a failed manifest write, an edit naming any file may be on disk: delete nothing.
    if (this.closed || this.versions.failure) return;
    const live = this.versions.liveFiles();
    const activeGens = new Set([this.gen, ...this.imms.map((m) => m.gen)]);
    const currentManifest = this.versions.manifestName;
    let names: string[];
    try {
      names = this.fs.readdir(this.dir);
    } catch {
      return;
    }
    for (const name of names) {
      let remove = false;
      if (name.endsWith(".sst")) {
        const n = Number.parseInt(name, 10);
        if (!live.has(n) && !this.pendingOutputs.has(n)) {
          remove = true;
          const s = this.segments.get(n);
          if (s) {
            s.close();
            this.segments.delete(n);
          }
          this.cache.evictFile(n);
        }
      } else if (name.endsWith(".wal")) {
        const w = parseWalFileName(name);
        remove =
          w !== undefined && w.gen < this.versions.logNumber && !activeGens.has(w.gen) && !this.pooledNames.has(name);
      } else if (name.startsWith("MANIFEST-")) {
        remove = name !== currentManifest;
      } else if (name === "CURRENT.tmp") {
        remove = true;
      }
      if (remove) {
        try {
          this.fs.unlink(joinPath(this.dir, name));
        } catch {
          // retried on the next sweep
        }
      }
    }
  }

  stats(): StoreStats {
    const v = this.versions.current;
    const levels = v.levels.map((files, level) => ({
      level,
      files: files.length,
      bytes: files.reduce((s, f) => s + f.size, 0),
    }));
    const bytes = levels.reduce((s, l) => s + l.bytes, 0);
    const files = levels.reduce((s, l) => s + l.files, 0);
    let largest = 0;
    for (const l of levels) if (l.bytes > largest) largest = l.bytes;
    const c = this.counters;
    const cache = this.cache.stats();
    const diskWritten = c.walBytes + c.flushBytes + c.compactionWritten + c.ingestBytes;
    return {
      seq: this.visibleSeq,
      levels,
      files,
      bytes,
      memtable: {
        entries: this.mem.entries,
        bytes: this.mem.approximateBytes,
        immutables: this.imms.length,
      },
      cache: { hits: cache.hits, misses: cache.misses, bytes: cache.bytes, capacity: cache.capacity },
      wal: {
        shards: this.opts.walShards,
        groups: c.walGroups,
        records: c.walRecords,
        bytes: c.walBytes,
        syncs: c.walSyncs,
      },
      flushes: { count: c.flushes, bytes: c.flushBytes },
      compactions: {
        count: c.compactions,
        moves: c.moves,
        bytesRead: c.compactionRead,
        bytesWritten: c.compactionWritten,
      },
      ingests: { count: c.ingests, entries: c.ingestEntries, bytes: c.ingestBytes },
      writeAmplification: c.userBytes + c.ingestBytes > 0 ? diskWritten / (c.userBytes + c.ingestBytes) : 0,
      spaceAmplification: largest > 0 ? bytes / largest : 0,
      snapshots: [...this.snapshots.values()].reduce((s, n) => s + n, 0),
      openIterators: this.iterators.size,
    };
  }

  /**
   * Closes the store: waits for accepted writes, syncs the WAL, stops background work and closes
   * every file. Open iterators are closed; using them afterwards throws StoreClosedError.
   */
  async close(): Promise<void> {
    if (this.closed || this.closing) return;
    this.closing = true;
    const reason = new StoreClosedError("the store was closed while this iterator was open");
    for (const it of [...this.iterators]) it.abandon(reason);
    // Accepted writes still finish.
    if (this.forming !== null) this.sealForming();
    this.drainQueue(); // not stalled while closing
    if (this.inflight.length > 0) await this.waitVisible(this.seq).catch(() => undefined);
    // Even after an I/O error: writes acknowledged before it must be durable after a clean close.
    await this.syncDirtyShards(true).catch(() => undefined);
    // A compaction in the worker is abandoned; its unfinished outputs are swept on the next open.
    if (this.worker) this.worker.terminate();
    // Running flush/compact/ingest/checkpoint calls finish (or fail) before anything is released.
    while (this.operations.size > 0) await Promise.allSettled([...this.operations]);
    await Promise.allSettled([this.flushing, this.compacting]);
    this.releaseResources();
  }

  private releaseResources(): void {
    this.closed = true;
    if (this.relaxedTimer) clearInterval(this.relaxedTimer);
    this.relaxedTimer = null;
    if (this.worker) this.worker.terminate();
    this.worker = null;
    this.bulkLease?.();
    this.bulkLease = null;
    for (const s of [...this.shards, ...this.imms.flatMap((m) => m.shards)]) {
      try {
        s?.close();
      } catch {
        // closing anyway
      }
    }
    for (const s of this.segments.values()) s.close();
    this.segments.clear();
    this.versions.close();
    this.lock?.release();
    this.lock = null;
  }
}
