// The cache store: the slab, the numbered databases, the table of collection objects, the clock,
// memory accounting and eviction. Pure TypeScript, no I/O; the RESP server drives it.
//
// used_memory = slab bytes in live blocks (keys, strings and packed small collections) + index and
// expiry-heap bytes + the estimated heap bytes of collection objects. maxmemory is enforced on that
// number by evict(), which samples keys (never keeps per-key queues) into a small pool
// ranked by the policy, as Redis does.

import { latin1 } from "../format/latin1.js";
import { Db } from "./db.js";
import { T_FREE } from "./entry.js";
import { isPacked } from "./packed.js";
import { Slab } from "./slab.js";

export const EVICTION_POLICIES = [
  "noeviction",
  "allkeys-lru",
  "allkeys-lfu",
  "allkeys-random",
  "volatile-lru",
  "volatile-lfu",
  "volatile-random",
  "volatile-ttl",
] as const;
export type EvictionPolicy = (typeof EVICTION_POLICIES)[number];

/**
 * A collection value; `bytes` estimates its heap footprint. A packed one (packed.ts) keeps its
 * bytes in a slab block while it belongs to a key: addObject attaches it, removeObject detaches it.
 */
export interface CacheObject {
  readonly bytes: number;
}

export interface CacheOptions {
  databases?: number;
  maxmemory?: number;
  policy?: EvictionPolicy;
  /** Keys sampled per eviction (maxmemory-samples). */
  samples?: number;
  lfuLogFactor?: number;
  lfuDecayTime?: number;
}

export interface CacheStats {
  expiredKeys: number;
  evictedKeys: number;
  hits: number;
  misses: number;
}

type ModifiedHook = (db: number, key: Uint8Array, start: number, end: number) => void;
/** A key the store removed by itself; `key` is valid only during the call. */
export type KeyEventHook = (db: number, event: "expired" | "evicted", key: Uint8Array) => void;

export const EVICT_OK = 0;
export const EVICT_RUNNING = 1;
export const EVICT_FAIL = 2;
export type EvictResult = typeof EVICT_OK | typeof EVICT_RUNNING | typeof EVICT_FAIL;

const LFU_INIT_VAL = 5;
const POOL_SIZE = 16;

export class CacheStore {
  readonly slab = new Slab();
  readonly dbs: Db[];
  maxmemory: number;
  policy: EvictionPolicy;
  samples: number;
  lfuLogFactor: number;
  lfuDecayTime: number;
  readonly stats: CacheStats = { expiredKeys: 0, evictedKeys: 0, hits: 0, misses: 0 };
  /** The time commands see, in Unix ms; refreshed by tick() once per batch of commands. */
  now = Date.now();
  /** Changes to the data so far (each key a write, expiry or eviction touched counts once). */
  dirty = 0;
  /** Called for every key a write, expiry or eviction touches; null when nobody watches. */
  onModified: ModifiedHook | null = null;
  /** Called when a key expires (lazily or actively) or is evicted; null when nobody listens. */
  onKeyEvent: KeyEventHook | null = null;

  private readonly objects: (CacheObject | undefined)[] = [undefined];
  private readonly objectBytes: number[] = [0];
  private readonly freeIds: number[] = [];
  /** Packed collections held by more than one key, with the number of extra keys (see addObject). */
  private readonly sharedObjects = new Map<object, number>();
  private heapBytes = 0;
  // The eviction pool (Redis's EVPOOL_SIZE candidates), ascending by score, in parallel typed arrays.
  private readonly poolDb = new Int32Array(POOL_SIZE);
  private readonly poolH = new Uint32Array(POOL_SIZE);
  private readonly poolScore = new Float64Array(POOL_SIZE);
  private poolN = 0;
  private evictKey = new Uint8Array(64);

  constructor(opts: CacheOptions = {}) {
    const n = opts.databases ?? 16;
    this.dbs = Array.from({ length: n }, (_, i) => new Db(this, i));
    this.maxmemory = opts.maxmemory ?? 0;
    this.policy = opts.policy ?? "noeviction";
    this.samples = opts.samples ?? 5;
    this.lfuLogFactor = opts.lfuLogFactor ?? 10;
    this.lfuDecayTime = opts.lfuDecayTime ?? 1;
  }

  tick(): void {
    this.now = Date.now();
  }

  /** Bytes the store holds: live slab blocks, indexes, expiry heaps and collection objects. */
  usedMemory(): number {
    let n = this.slab.bytesInUse + this.heapBytes + this.objects.length * 16;
    for (const db of this.dbs) n += db.overheadBytes;
    return n;
  }

  keyCount(): number {
    let n = 0;
    for (const db of this.dbs) n += db.size;
    return n;
  }

  flushAll(): void {
    for (const db of this.dbs) db.flush();
    this.slab.clear();
    this.objects.length = 1;
    this.objectBytes.length = 1;
    this.freeIds.length = 0;
    this.sharedObjects.clear();
    this.heapBytes = 0;
    this.poolN = 0;
  }

  // ---- WATCH and friends ----

  /** Counts changes to the data (rdb_changes_since_last_save) and tells WATCH. Every write path calls it. */
  modified(db: number, key: Uint8Array, start: number, end: number): void {
    this.dirty++;
    if (this.onModified !== null) this.onModified(db, key, start, end);
  }

  // ---- collection objects ----

  addObject(obj: CacheObject | object): number {
    const o = obj as CacheObject;
    // A packed collection moves its bytes into the slab. One already there is being given a second
    // key for a moment (RENAME, MOVE: the source key is deleted next), so its removal waits for both.
    if (isPacked(obj)) {
      if (obj.attachedSlab() === this.slab) this.sharedObjects.set(obj, (this.sharedObjects.get(obj) ?? 0) + 1);
      else obj.attach(this.slab);
    }
    const id = this.freeIds.pop() ?? this.objects.length;
    this.objects[id] = o;
    const b = o.bytes ?? 0;
    this.objectBytes[id] = b;
    this.heapBytes += b;
    return id;
  }

  objectAt(id: number): CacheObject {
    const o = this.objects[id];
    if (o === undefined) throw new Error(`cache: no object ${id} (store corrupted)`);
    return o;
  }

  objectResized(id: number): void {
    const b = this.objects[id]?.bytes ?? 0;
    this.heapBytes += b - this.objectBytes[id];
    this.objectBytes[id] = b;
  }

  removeObject(id: number): void {
    const o = this.objects[id];
    if (o !== undefined && isPacked(o)) {
      const shared = this.sharedObjects.get(o);
      if (shared === undefined) o.detach();
      else if (shared > 1) this.sharedObjects.set(o, shared - 1);
      else this.sharedObjects.delete(o);
    }
    this.heapBytes -= this.objectBytes[id];
    this.objectBytes[id] = 0;
    this.objects[id] = undefined;
    this.freeIds.push(id);
  }

  // ---- LRU / LFU ----

  private get lfu(): boolean {
    return this.policy === "allkeys-lfu" || this.policy === "volatile-lfu";
  }

  /** The LRU clock: seconds, 24 bits, as Redis. */
  lruClock(): number {
    return Math.floor(this.now / 1000) & 0xffffff;
  }

  private lfuMinutes(): number {
    return Math.floor(this.now / 60000) & 0xffff;
  }

  initEntry(page: Uint8Array, off: number): void {
    if (this.lfu) {
      const m = this.lfuMinutes();
      page[off + 2] = m >>> 8;
      page[off + 3] = m;
      page[off + 4] = LFU_INIT_VAL;
    } else {
      const c = this.lruClock();
      page[off + 2] = c >>> 16;
      page[off + 3] = c >>> 8;
      page[off + 4] = c;
    }
  }

  touchEntry(page: Uint8Array, off: number): void {
    if (!this.lfu) {
      const c = this.lruClock();
      page[off + 2] = c >>> 16;
      page[off + 3] = c >>> 8;
      page[off + 4] = c;
      return;
    }
    let counter = this.lfuDecayed(page, off);
    if (counter < 255) {
      const base = Math.max(0, counter - LFU_INIT_VAL);
      if (Math.random() < 1 / (base * this.lfuLogFactor + 1)) counter++;
    }
    const m = this.lfuMinutes();
    page[off + 2] = m >>> 8;
    page[off + 3] = m;
    page[off + 4] = counter;
  }

  /** Seconds since the entry was last touched (OBJECT IDLETIME; under LRU policies). */
  idleSeconds(page: Uint8Array, off: number): number {
    const then = (page[off + 2] << 16) | (page[off + 3] << 8) | page[off + 4];
    const now = this.lruClock();
    return now >= then ? now - then : now + 0x1000000 - then;
  }

  /** The decayed LFU counter (OBJECT FREQ). */
  lfuDecayed(page: Uint8Array, off: number): number {
    const then = (page[off + 2] << 8) | page[off + 3];
    const now = this.lfuMinutes();
    const elapsed = now >= then ? now - then : 0x10000 - then + now;
    const periods = this.lfuDecayTime > 0 ? Math.floor(elapsed / this.lfuDecayTime) : 0;
    const c = page[off + 4];
    return periods > c ? 0 : c - periods;
  }

  // ---- eviction ----

  /** True when maxmemory is set and used memory is above it. */
  overLimit(): boolean {
    return this.maxmemory > 0 && this.usedMemory() > this.maxmemory;
  }

  /**
   * Evicts keys by the policy until used memory is within maxmemory, for at most `budgetMs`.
   * EVICT_OK: within the limit; EVICT_RUNNING: keys were evicted but the budget ran out first
   * (the caller lets the command run and calls again soon, as Redis's eviction time proc does);
   * EVICT_FAIL: nothing can be evicted (noeviction, or no key left that the policy may take).
   */
  evict(onEvict?: (db: number, key: string) => void, budgetMs = Number.POSITIVE_INFINITY): EvictResult {
    if (this.maxmemory <= 0 || this.usedMemory() <= this.maxmemory) return EVICT_OK;
    if (this.policy === "noeviction") return EVICT_FAIL;
    const deadline = performance.now() + budgetMs;
    for (let n = 1; ; n++) {
      if (!this.evictOne(onEvict)) return EVICT_FAIL;
      if (this.usedMemory() <= this.maxmemory) return EVICT_OK;
      if ((n & 15) === 0 && performance.now() >= deadline) return EVICT_RUNNING;
    }
  }

  /** evict() with no time limit: true when used memory is now within maxmemory. */
  evictUntilFits(onEvict?: (db: number, key: string) => void): boolean {
    return this.evict(onEvict) === EVICT_OK;
  }

  private evictOne(onEvict?: (db: number, key: string) => void): boolean {
    const policy = this.policy;
    const volatile = policy.startsWith("volatile-");
    if (policy === "allkeys-random" || policy === "volatile-random" || policy === "volatile-ttl") {
      for (let tries = 0; tries < 16; tries++) {
        const db = this.randomDb(volatile);
        if (db === null) return false;
        const h =
          policy === "allkeys-random"
            ? db.randomHandle()
            : policy === "volatile-random"
              ? db.randomVolatileHandle()
              : db.soonestVolatileHandle();
        if (h === 0) continue;
        this.evictHandle(db, h, onEvict);
        return true;
      }
      return false;
    }
    // LRU / LFU: sample each database into the pool, evict the best candidate that still exists.
    const lfu = this.lfu;
    for (const db of this.dbs) {
      if (volatile ? db.volatileCount === 0 : db.size === 0) continue;
      for (let s = 0; s < this.samples; s++) {
        const h = volatile ? db.randomVolatileHandle() : db.randomHandle();
        if (h !== 0) this.poolInsert(db.id, h, this.evictionScore(h, lfu));
      }
    }
    while (this.poolN > 0) {
      const i = --this.poolN;
      const db = this.dbs[this.poolDb[i]];
      const h = this.poolH[i];
      // The pool outlives commands: the block may have been freed, reused by another key, or touched
      // since it was sampled. Evict it only if it still holds a live key of this database that is no
      // better a keeper than when sampled.
      if (this.slab.page(h)[this.slab.offset(h)] === T_FREE) continue;
      if (this.evictionScore(h, lfu) < this.poolScore[i]) continue;
      db.decode(h);
      if (db.lookup(db.kbuf, db.kstart, db.kend, false) !== h) continue;
      if (volatile && db.expireAt(h) < 0) continue;
      this.evictHandle(db, h, onEvict);
      return true;
    }
    return false;
  }

  /** A random database holding keys (with an expiry when `volatile`), or null. */
  private randomDb(volatile: boolean): Db | null {
    let n = 0;
    for (const d of this.dbs) if (volatile ? d.volatileCount > 0 : d.size > 0) n++;
    if (n === 0) return null;
    let pick = (Math.random() * n) >>> 0;
    for (const d of this.dbs) {
      if (!(volatile ? d.volatileCount > 0 : d.size > 0)) continue;
      if (pick-- === 0) return d;
    }
    return null;
  }

  /** Higher evicts first: idle seconds under LRU, 255 - the decayed counter under LFU. */
  private evictionScore(h: number, lfu: boolean): number {
    const page = this.slab.page(h);
    const off = this.slab.offset(h);
    return lfu ? 255 - this.lfuDecayed(page, off) : this.idleSeconds(page, off);
  }

  private poolInsert(db: number, h: number, score: number): void {
    const n = this.poolN;
    const dbs = this.poolDb;
    const hs = this.poolH;
    const scores = this.poolScore;
    for (let i = 0; i < n; i++) if (hs[i] === h && dbs[i] === db) return;
    if (n >= POOL_SIZE && score <= scores[0]) return;
    // Ascending by score; the best candidate (highest idle / lowest frequency) is last.
    let at = 0;
    while (at < n && scores[at] < score) at++;
    if (n >= POOL_SIZE) {
      // Full: drop the worst (index 0) and shift the ones below the insertion point down.
      at--;
      for (let i = 0; i < at; i++) {
        dbs[i] = dbs[i + 1];
        hs[i] = hs[i + 1];
        scores[i] = scores[i + 1];
      }
    } else {
      for (let i = n; i > at; i--) {
        dbs[i] = dbs[i - 1];
        hs[i] = hs[i - 1];
        scores[i] = scores[i - 1];
      }
      this.poolN = n + 1;
    }
    dbs[at] = db;
    hs[at] = h;
    scores[at] = score;
  }

  private evictHandle(db: Db, h: number, onEvict?: (db: number, key: string) => void): void {
    if (db.type(h) === T_FREE) return;
    // Copy the key out of the block before the block is freed.
    db.decode(h);
    const len = db.kend - db.kstart;
    if (this.evictKey.length < len) this.evictKey = new Uint8Array(Math.max(len, this.evictKey.length * 2));
    const k = this.evictKey;
    k.set(db.kbuf.subarray(db.kstart, db.kend));
    db.delete(k, 0, len);
    this.stats.evictedKeys++;
    if (onEvict !== undefined) onEvict(db.id, latin1(k, 0, len));
    if (this.onKeyEvent !== null) this.onKeyEvent(db.id, "evicted", k.subarray(0, len));
  }

  // ---- background work ----

  /** Active expiry and rehash for up to budgetMs; returns true when more work is pending. */
  cron(budgetMs: number): boolean {
    this.tick();
    const deadline = performance.now() + budgetMs;
    let more = false;
    for (const db of this.dbs) {
      if (db.size === 0) continue;
      db.activeExpire(deadline);
      while (db.rehashing && performance.now() < deadline) db.rehashStep(1024);
      if (db.rehashing) more = true;
      if (performance.now() >= deadline) return true;
    }
    return more;
  }
}
