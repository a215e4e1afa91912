// Store options: every tunable of the engine, with its default and the reason for it.

import type { FileSystem } from "../fs/types.js";

/**
 * How a write is made durable before its promise resolves (see docs/durability.md):
 * - `strict`: after fdatasync of the WAL; survives kill -9 and power loss.
 * - `relaxed`: after the write reaches the OS; synced within `relaxedIntervalMs`. Survives kill -9;
 *   a power loss may take the last interval's writes (a suffix, never a hole).
 * - `none`: after the write reaches the OS; synced only when a memtable is flushed or the store
 *   closes. Survives kill -9 of the process, not a power loss.
 */
export type Durability = "strict" | "relaxed" | "none";

export interface StoreOptions {
  /** The FileSystem to use (default: the real one). Tests pass an in-memory or fault-injecting one. */
  fs?: FileSystem;
  /** Create the store if the directory holds none (default true). */
  createIfMissing?: boolean;
  /** Fail if a store already exists (default false). */
  errorIfExists?: boolean;
  /** Default durability of writes (default "strict"); each write may override it. */
  durability?: Durability;
  /** Upper bound on how long a `relaxed` write stays unsynced, in ms (default 50). */
  relaxedIntervalMs?: number;
  /** WAL files written round-robin by successive commit groups, so their fsyncs overlap (default 4). */
  walShards?: number;
  /**
   * Memtable size that triggers a flush to a level-0 segment, in bytes (default 8 MiB). Random
   * inserts into the skiplist are bound by memory latency; at 8 MiB it stays cache-friendly
   * (measured: random fills 1.5x faster than at 32 MiB, see docs/bench/LOG.md).
   */
  writeBufferSize?: number;
  /** Memtables waiting to be flushed before writes stall (default 2). */
  maxImmutableMemtables?: number;
  /** Data block size in bytes before compression (default 4096). */
  blockSize?: number;
  /** Keys between restart points in a data block (default 16). */
  restartInterval?: number;
  /** Bloom filter bits per key; 0 disables filters (default 10). */
  bloomBitsPerKey?: number;
  /** Block compression (default "none"; "zstd" needs Node >= 22.15). */
  compression?: "none" | "deflate" | "zstd";
  /** Block cache capacity in bytes (default 64 MiB). */
  blockCacheSize?: number;
  /** Level-0 files that trigger a compaction (default 4). */
  l0CompactionTrigger?: number;
  /** Level-0 files at which writes stall until compaction catches up (default 12). */
  l0StopTrigger?: number;
  /** Target size of level 1 in bytes (default 64 MiB); each deeper level is `levelMultiplier` times larger. */
  levelBaseBytes?: number;
  levelMultiplier?: number;
  /** Target size of a compaction output file (default 16 MiB). */
  targetFileSize?: number;
  /** Number of levels (default 7). */
  numLevels?: number;
  /**
   * Where compactions run: "worker" (a worker thread; needs the real file system) or "inline" (the
   * main thread, yielding to the event loop every few thousand entries). Default: "worker" with the
   * real file system, "inline" otherwise.
   */
  compactionThread?: "worker" | "inline";
  /** Run compactions automatically (default true); `compact()` works either way. */
  autoCompaction?: boolean;
}

export type ResolvedOptions = Required<Omit<StoreOptions, "fs">> & { fs: FileSystem };

export function resolveOptions(o: StoreOptions, fs: FileSystem, realFs: boolean): ResolvedOptions {
  const r: ResolvedOptions = {
    fs,
    createIfMissing: o.createIfMissing ?? true,
    errorIfExists: o.errorIfExists ?? false,
    durability: o.durability ?? "strict",
    relaxedIntervalMs: o.relaxedIntervalMs ?? 50,
    walShards: o.walShards ?? 4,
    writeBufferSize: o.writeBufferSize ?? 8 << 20,
    maxImmutableMemtables: o.maxImmutableMemtables ?? 2,
    blockSize: o.blockSize ?? 4096,
    restartInterval: o.restartInterval ?? 16,
    bloomBitsPerKey: o.bloomBitsPerKey ?? 10,
    compression: o.compression ?? "none",
    blockCacheSize: o.blockCacheSize ?? 64 << 20,
    l0CompactionTrigger: o.l0CompactionTrigger ?? 4,
    l0StopTrigger: o.l0StopTrigger ?? 12,
    levelBaseBytes: o.levelBaseBytes ?? 64 << 20,
    levelMultiplier: o.levelMultiplier ?? 10,
    targetFileSize: o.targetFileSize ?? 16 << 20,
    numLevels: o.numLevels ?? 7,
    compactionThread: o.compactionThread ?? (realFs ? "worker" : "inline"),
    autoCompaction: o.autoCompaction ?? true,
  };
  const positive: Array<keyof ResolvedOptions> = [
    "walShards",
    "writeBufferSize",
    "maxImmutableMemtables",
    "blockSize",
    "restartInterval",
    "l0CompactionTrigger",
    "l0StopTrigger",
    "levelBaseBytes",
    "levelMultiplier",
    "targetFileSize",
    "relaxedIntervalMs",
  ];
  for (const k of positive) {
    const v = r[k];
    if (typeof v !== "number" || !(v >= 1) || !Number.isFinite(v)) {
      throw new RangeError(`option ${k} must be a number >= 1, got ${String(v)}`);
    }
  }
  if (!["strict", "relaxed", "none"].includes(r.durability)) {
    throw new RangeError(`option durability must be "strict", "relaxed" or "none", got ${String(r.durability)}`);
  }
  if (r.numLevels < 2 || r.numLevels > 20) throw new RangeError(`option numLevels must be 2..20, got ${r.numLevels}`);
  if (r.l0StopTrigger < r.l0CompactionTrigger) r.l0StopTrigger = r.l0CompactionTrigger;
  if (r.compactionThread === "worker" && !realFs) {
    throw new RangeError('option compactionThread "worker" needs the real file system; use "inline"');
  }
  return r;
}
