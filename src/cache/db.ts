// One numbered database of the cache: an open-addressing index from key bytes to slab handles, with
// incremental rehash, a SCAN cursor that stays valid across resizes, lazy expiry and a min-heap of
// expiry times for the active expiry cycle.
//
// The index is two typed arrays per table: a 4-byte handle and a 1-byte tag (0 empty, 1 deleted,
// else 8 bits of the key's hash) per slot, probed linearly, so a probe reads the slab only on a tag
// match. A resize makes a new table and moves a few slots per command (and more from the cron);
// lookups try the new table, then the old. SCAN walks *home buckets* in Redis's reverse-binary
// cursor order: bucket b's keys are the keys whose hash & mask == b, all of which sit between slot b
// and the next empty slot, so the guarantees of Redis's dictScan hold here too.
//
// Handles are valid until the next write to this database: a write may move a key's block.

import { hash32 } from "../format/bloom.js";
import { latin1 } from "../format/latin1.js";
import {
  entrySize,
  F_TTL,
  HEADER,
  lengthsAt,
  T_FREE,
  T_STRING,
  TTL_BYTES,
  type ValueType,
  varintLen,
  writeVarint,
} from "./entry.js";
import type { Slab } from "./slab.js";
import type { CacheStore } from "./store.js";

const MIN_SIZE = 16;
const SEED = (Math.random() * 0x100000000) >>> 0;

class IndexTable {
  readonly mask: number;
  readonly handles: Uint32Array;
  readonly tags: Uint8Array;
  used = 0;
  tombs = 0;
  constructor(size: number) {
    this.mask = size - 1;
    this.handles = new Uint32Array(size);
    this.tags = new Uint8Array(size);
  }
  get size(): number {
    return this.mask + 1;
  }
}

function tagOf(h: number): number {
  const t = h >>> 24;
  return t < 2 ? t + 2 : t;
}

function tableSizeFor(used: number): number {
  let s = MIN_SIZE;
  while (s < used * 2) s *= 2;
  return s;
}

function reverseBits(v: number): number {
  v = ((v >>> 1) & 0x55555555) | ((v & 0x55555555) << 1);
  v = ((v >>> 2) & 0x33333333) | ((v & 0x33333333) << 2);
  v = ((v >>> 4) & 0x0f0f0f0f) | ((v & 0x0f0f0f0f) << 4);
  v = ((v >>> 8) & 0x00ff00ff) | ((v & 0x00ff00ff) << 8);
  return ((v >>> 16) | (v << 16)) >>> 0;
}

export class Db {
  private main = new IndexTable(MIN_SIZE);
  private old: IndexTable | null = null;
  private rehashPos = 0;
  /** Number of keys (live or expired but not yet reclaimed). */
  size = 0;
  /** Number of keys that carry an expiry time. */
  volatileCount = 0;
  private heapT = new Float64Array(64);
  private heapH = new Uint32Array(64);
  private heapN = 0;

  /** Set by key(): the bytes of the last decoded key are kbuf[kstart, kend). */
  kbuf: Uint8Array = new Uint8Array(0);
  kstart = 0;
  kend = 0;
  /** Set by value(): the bytes of the last decoded value are vbuf[vstart, vend). */
  vbuf: Uint8Array = new Uint8Array(0);
  vstart = 0;
  vend = 0;

  private readonly slab: Slab;

  constructor(
    readonly store: CacheStore,
    readonly id: number,
  ) {
    this.slab = store.slab;
  }

  // ---- lookups ----

  /** The handle of a live key, or 0. An expired key is deleted on the way. Updates the key's LRU/LFU unless `touch` is false. */
  lookup(buf: Uint8Array, start: number, end: number, touch = true): number {
    if (this.old !== null) this.rehashStep(2);
    const h = this.findLive(buf, start, end, hash32(buf, start, end, SEED));
    if (h !== 0 && touch) this.store.touchEntry(this.slab.page(h), this.slab.offset(h));
    return h;
  }

  /** find(), but a key whose time has passed is expired on the spot and reads as absent. */
  private findLive(buf: Uint8Array, start: number, end: number, hash: number): number {
    const h = this.find(buf, start, end, hash);
    if (h === 0) return 0;
    const off = this.slab.offset(h);
    if (
      (this.slab.page(h)[off + 1] & F_TTL) !== 0 &&
      this.slab.view(h).getFloat64(off + HEADER, true) < this.store.now
    ) {
      this.expireNow(h, buf, start, end);
      return 0;
    }
    return h;
  }

  /** Like lookup, but counts keyspace hits and misses as a read command does. */
  lookupRead(buf: Uint8Array, start: number, end: number, touch = true): number {
    const h = this.lookup(buf, start, end, touch);
    if (h === 0) this.store.stats.misses++;
    else this.store.stats.hits++;
    return h;
  }

  type(h: number): number {
    return this.slab.page(h)[this.slab.offset(h)];
  }

  /** Absolute expiry time in ms, or -1 when the key has none. */
  expireAt(h: number): number {
    const off = this.slab.offset(h);
    if ((this.slab.page(h)[off + 1] & F_TTL) === 0) return -1;
    return this.slab.view(h).getFloat64(off + HEADER, true);
  }

  /** Decodes the block's key and value positions into kbuf/kstart/kend and vbuf/vstart/vend. */
  decode(h: number): void {
    const page = this.slab.page(h);
    let p = lengthsAt(page, this.slab.offset(h));
    let klen = page[p++];
    if (klen >= 0x80) {
      klen &= 0x7f;
      for (let shift = 7; ; shift += 7) {
        const b = page[p++];
        klen += (b & 0x7f) * 2 ** shift;
        if (b < 0x80) break;
      }
    }
    let vlen = page[p++];
    if (vlen >= 0x80) {
      vlen &= 0x7f;
      for (let shift = 7; ; shift += 7) {
        const b = page[p++];
        vlen += (b & 0x7f) * 2 ** shift;
        if (b < 0x80) break;
      }
    }
    this.kbuf = page;
    this.kstart = p;
    this.kend = p + klen;
    this.vbuf = page;
    this.vstart = p + klen;
    this.vend = p + klen + vlen;
  }

  /** A copy of the key's bytes as a latin1 string (for replies and pools that outlive the handle). */
  keyString(h: number): string {
    this.decode(h);
    return latin1(this.kbuf, this.kstart, this.kend);
  }

  /** The collection object of a non-string key. */
  object<T>(h: number): T {
    this.decode(h);
    const b = this.vbuf;
    const i = this.vstart;
    return this.store.objectAt((b[i] | (b[i + 1] << 8) | (b[i + 2] << 16) | (b[i + 3] << 24)) >>> 0) as T;
  }

  // ---- writes ----

  /**
   * Stores a string value. expireAt: absolute ms, or 0 for none; keepTtl keeps an existing key's
   * expiry instead. Replaces any value of any type.
   */
  setString(
    kbuf: Uint8Array,
    ks: number,
    ke: number,
    vbuf: Uint8Array,
    vs: number,
    ve: number,
    expireAt = 0,
    keepTtl = false,
  ): void {
    const hash = hash32(kbuf, ks, ke, SEED);
    const old = this.findLive(kbuf, ks, ke, hash);
    if (old !== 0 && keepTtl) expireAt = Math.max(0, this.expireAt(old));
    this.place(kbuf, ks, ke, hash, old, T_STRING, ve - vs, expireAt);
    this.vbuf.set(vbuf.subarray(vs, ve), this.vstart);
    this.store.modified(this.id, kbuf, ks, ke);
  }

  /**
   * Makes room for a string value of vlen bytes under the key and returns its handle; the caller
   * writes the bytes at vbuf[vstart, vstart + vlen). For commands that build values in place
   * (APPEND, SETRANGE, INCR).
   */
  reserveString(kbuf: Uint8Array, ks: number, ke: number, vlen: number, expireAt = 0, keepTtl = false): number {
    const hash = hash32(kbuf, ks, ke, SEED);
    const old = this.findLive(kbuf, ks, ke, hash);
    if (old !== 0 && keepTtl) expireAt = Math.max(0, this.expireAt(old));
    const h = this.place(kbuf, ks, ke, hash, old, T_STRING, vlen, expireAt);
    this.store.modified(this.id, kbuf, ks, ke);
    return h;
  }

  /**
   * Changes the length of an existing string value to vlen bytes, keeping its first min(old, vlen)
   * bytes, its expiry and its LRU/LFU bits, like realloc (APPEND, SETRANGE): in place when the
   * block has room, else in a new block. A value past 256 KiB (where blocks stop coming in size
   * classes) gets a quarter more room than it needs, so repeated appends cost amortized O(bytes
   * appended). The key must hold a string. Leaves kbuf/vbuf positions at the key and value;
   * returns the handle.
   */
  resizeString(kbuf: Uint8Array, ks: number, ke: number, vlen: number): number {
    const h = this.findLive(kbuf, ks, ke, hash32(kbuf, ks, ke, SEED));
    if (h === 0 || this.type(h) !== T_STRING) throw new Error("cache: resizeString needs a string key");
    this.decode(h);
    const page = this.kbuf;
    const off = this.slab.offset(h);
    const klen = this.kend - this.kstart;
    const oldLen = this.vend - this.vstart;
    const keepEnd = this.vstart + Math.min(oldLen, vlen);
    const ttl = (page[off + 1] & F_TTL) !== 0;
    const need = entrySize(klen, vlen, ttl);
    const lens = lengthsAt(page, off);
    let nh = h;
    if (need <= this.slab.sizeOf(h)) {
      const shift = varintLen(vlen) - varintLen(oldLen);
      if (shift !== 0) page.copyWithin(this.kstart + shift, this.kstart, keepEnd);
      writeVarint(page, writeVarint(page, lens, klen), vlen);
    } else {
      nh = this.slab.alloc(need > 262144 ? need + (need >>> 2) : need);
      const dst = this.slab.page(nh);
      const doff = this.slab.offset(nh);
      dst.set(page.subarray(off, lens), doff);
      const p = writeVarint(dst, writeVarint(dst, doff + (lens - off), klen), vlen);
      dst.set(page.subarray(this.kstart, keepEnd), p);
      this.lastTable.handles[this.lastSlot] = nh;
      this.freeBlock(h);
      if (ttl) this.heapPush(this.slab.view(nh).getFloat64(doff + HEADER, true), nh);
    }
    this.decode(nh);
    this.store.modified(this.id, kbuf, ks, ke);
    return nh;
  }

  /** Creates a key holding a collection object (the key must not exist). Returns its handle. */
  setObject(kbuf: Uint8Array, ks: number, ke: number, type: ValueType, obj: object): number {
    const hash = hash32(kbuf, ks, ke, SEED);
    const old = this.findLive(kbuf, ks, ke, hash);
    const id = this.store.addObject(obj);
    const h = this.place(kbuf, ks, ke, hash, old, type, 4, 0);
    const b = this.vbuf;
    const i = this.vstart;
    b[i] = id;
    b[i + 1] = id >>> 8;
    b[i + 2] = id >>> 16;
    b[i + 3] = id >>> 24;
    this.store.modified(this.id, kbuf, ks, ke);
    return h;
  }

  /** Tells the store a collection changed in place: updates memory accounting and WATCH. */
  objectChanged(h: number): void {
    this.decode(h);
    const b = this.vbuf;
    const i = this.vstart;
    this.store.objectResized((b[i] | (b[i + 1] << 8) | (b[i + 2] << 16) | (b[i + 3] << 24)) >>> 0);
    this.store.modified(this.id, this.kbuf, this.kstart, this.kend);
  }

  /** Deletes the key; true when it existed (expired keys count as absent). */
  delete(kbuf: Uint8Array, ks: number, ke: number): boolean {
    const h = this.lookup(kbuf, ks, ke, false);
    if (h === 0) return false;
    this.removeFound(h);
    this.store.modified(this.id, kbuf, ks, ke);
    return true;
  }

  /** Sets (at > 0) or removes (at = 0) the key's expiry. Returns the key's possibly moved handle. */
  setExpire(h: number, at: number): number {
    const page = this.slab.page(h);
    const off = this.slab.offset(h);
    const had = (page[off + 1] & F_TTL) !== 0;
    this.decode(h);
    if (at > 0 && had) {
      this.slab.view(h).setFloat64(off + HEADER, at, true);
      this.heapPush(at, h);
    } else if (at > 0) {
      const used = this.vend - off;
      if (used + TTL_BYTES <= this.slab.sizeOf(h)) {
        page.copyWithin(off + HEADER + TTL_BYTES, off + HEADER, this.vend);
        page[off + 1] |= F_TTL;
        this.slab.view(h).setFloat64(off + HEADER, at, true);
        this.volatileCount++;
        this.heapPush(at, h);
      } else {
        h = this.moveBlock(h, used + TTL_BYTES, at);
      }
    } else if (had) {
      page.copyWithin(off + HEADER, off + HEADER + TTL_BYTES, this.vend);
      page[off + 1] &= ~F_TTL;
      this.volatileCount--;
    }
    this.decode(h);
    this.store.modified(this.id, this.kbuf, this.kstart, this.kend);
    return h;
  }

  /** Removes every key. */
  flush(): void {
    for (const t of [this.main, this.old]) {
      if (t === null) continue;
      for (let i = 0; i <= t.mask; i++) if (t.tags[i] >= 2) this.freeBlock(t.handles[i]);
    }
    this.main = new IndexTable(MIN_SIZE);
    this.old = null;
    this.rehashPos = 0;
    this.size = 0;
    this.volatileCount = 0;
    this.heapN = 0;
    if (this.heapT.length > 64) {
      this.heapT = new Float64Array(64);
      this.heapH = new Uint32Array(64);
    }
  }

  /** Takes every key of `other` and gives it ours (SWAPDB). */
  swapWith(other: Db): void {
    const fields = ["main", "old", "rehashPos", "size", "volatileCount", "heapT", "heapH", "heapN"] as const;
    const mine = this as unknown as Record<string, unknown>;
    const theirs = other as unknown as Record<string, unknown>;
    for (const f of fields) {
      const a = mine[f];
      mine[f] = theirs[f];
      theirs[f] = a;
    }
  }

  // ---- iteration ----

  /** Calls fn for every key (KEYS, FLUSH accounting, snapshots). fn must not write to this db. */
  forEach(fn: (h: number) => void): void {
    for (const t of [this.old, this.main]) {
      if (t === null) continue;
      for (let i = 0; i <= t.mask; i++) if (t.tags[i] >= 2) fn(t.handles[i]);
    }
  }

  /**
   * One SCAN step from `cursor`: calls fn for the keys of about `count` home buckets and returns
   * the next cursor (0 when the scan is complete). Keys present for the whole scan are returned at
   * least once, across resizes.
   */
  scan(cursor: number, count: number, fn: (h: number) => void): number {
    let v = cursor >>> 0;
    let visited = 0;
    const maxVisits = Math.max(10, count * 10);
    do {
      if (this.old === null) {
        const t = this.main;
        visited += this.emitBucket(t, v & t.mask, fn);
        v = (v | ~t.mask) >>> 0;
        v = (reverseBits(v) + 1) >>> 0;
        v = reverseBits(v);
      } else {
        let t0 = this.old;
        let t1 = this.main;
        if (t0.mask > t1.mask) [t0, t1] = [t1, t0];
        const m0 = t0.mask;
        const m1 = t1.mask;
        visited += this.emitBucket(t0, v & m0, fn);
        do {
          visited += this.emitBucket(t1, v & m1, fn);
          v = (v | ~m1) >>> 0;
          v = (reverseBits(v) + 1) >>> 0;
          v = reverseBits(v);
        } while ((v & (m0 ^ m1)) !== 0);
      }
      count--;
    } while (v !== 0 && count > 0 && visited < maxVisits);
    return v;
  }

  /** A random live key's handle, or 0 when empty. */
  randomHandle(): number {
    // Random slots over the main table plus the part of the old table not yet rehashed, each live
    // key equally likely. (Walking forward from one random slot would favour keys after long empty
    // runs; eviction removes what it samples, so the runs grow until every sample walks most of the
    // table. And a table rebuilt at the same size is filled from its low end during the rehash.)
    // Both tables together are at least about 1/16 full (tables shrink below 1/8), so 128 probes
    // rarely all miss; a scan is the fallback.
    for (let tries = 0; tries < 128 && this.size > 0; tries++) {
      const main = this.main;
      const old = this.old;
      const lo = old === null ? 0 : this.rehashPos;
      const total = main.size + (old === null ? 0 : old.size - lo);
      const r = (Math.random() * total) >>> 0;
      const t = r < main.size ? main : (old as IndexTable);
      const i = r < main.size ? r : lo + r - main.size;
      if (t.tags[i] < 2) continue;
      const h = t.handles[i];
      if (this.liveOrExpire(h)) return h;
    }
    for (let t: IndexTable | null = this.main; t !== null; t = t === this.main ? this.old : null) {
      const start = (Math.random() * t.size) >>> 0;
      for (let n = 0; n < t.size; n++) {
        const i = (start + n) & t.mask;
        if (t.tags[i] >= 2 && this.liveOrExpire(t.handles[i])) return t.handles[i];
      }
    }
    return 0;
  }

  /** True when the key in block h has not expired; an expired one is deleted now. */
  private liveOrExpire(h: number): boolean {
    const off = this.slab.offset(h);
    const page = this.slab.page(h);
    if ((page[off + 1] & F_TTL) === 0 || this.slab.view(h).getFloat64(off + HEADER, true) >= this.store.now)
      return true;
    this.decode(h);
    this.expireNow(h, this.kbuf, this.kstart, this.kend);
    return false;
  }

  /** A random handle among keys with an expiry (for volatile-* eviction), or 0. */
  randomVolatileHandle(): number {
    for (let tries = 0; tries < 16 && this.heapN > 0; tries++) {
      const i = (Math.random() * this.heapN) >>> 0;
      const h = this.heapH[i];
      if (this.heapEntryLive(this.heapT[i], h)) return h;
    }
    return 0;
  }

  /** The handle of the key that expires soonest (volatile-ttl), or 0. */
  soonestVolatileHandle(): number {
    while (this.heapN > 0) {
      const h = this.heapH[0];
      if (this.heapEntryLive(this.heapT[0], h)) return h;
      this.heapPop();
    }
    return 0;
  }

  // ---- maintenance ----

  /** Expires keys whose time has come until `deadline` (performance.now() ms); returns how many. */
  activeExpire(deadline: number): number {
    let n = 0;
    const now = this.store.now;
    let checks = 0;
    while (this.heapN > 0 && this.heapT[0] < now) {
      const t = this.heapT[0];
      const h = this.heapH[0];
      this.heapPop();
      if (this.heapEntryLive(t, h)) {
        this.decode(h);
        const kbuf = this.kbuf;
        const ks = this.kstart;
        const ke = this.kend;
        if (this.find(kbuf, ks, ke, hash32(kbuf, ks, ke, SEED)) === h) {
          this.expireNow(h, kbuf, ks, ke);
          n++;
        }
      }
      if ((++checks & 31) === 0 && performance.now() > deadline) break;
    }
    if (this.heapN > 2 * this.volatileCount + 1024) this.compactHeap();
    return n;
  }

  /** Moves up to `slots` slots of an in-progress rehash; true while one is still in progress. */
  rehashStep(slots: number): boolean {
    const old = this.old;
    if (old === null) return false;
    let pos = this.rehashPos;
    const end = Math.min(old.size, pos + slots);
    for (; pos < end; pos++) {
      if (old.tags[pos] < 2) continue;
      const h = old.handles[pos];
      this.decode(h);
      this.insertSlot(this.main, hash32(this.kbuf, this.kstart, this.kend, SEED), h);
      old.tags[pos] = 1;
      old.used--;
      old.tombs++;
    }
    this.rehashPos = pos;
    if (pos >= old.size || old.used === 0) {
      this.old = null;
      this.rehashPos = 0;
      return false;
    }
    return true;
  }

  /** Bytes held by the index tables and the expiry heap. */
  get overheadBytes(): number {
    return this.main.size * 5 + (this.old === null ? 0 : this.old.size * 5) + this.heapT.length * 12;
  }

  get rehashing(): boolean {
    return this.old !== null;
  }

  // ---- internals ----

  /** The handle of the key in either table (expired or not), or 0. Sets lastTable/lastSlot. */
  private lastTable: IndexTable = this.main;
  private lastSlot = 0;

  private find(buf: Uint8Array, start: number, end: number, hash: number): number {
    const tag = tagOf(hash);
    const klen = end - start;
    for (let t: IndexTable | null = this.main; t !== null; t = t === this.main ? this.old : null) {
      const mask = t.mask;
      const tags = t.tags;
      let i = hash & mask;
      for (;;) {
        const g = tags[i];
        if (g === 0) break;
        if (g === tag) {
          const h = t.handles[i];
          const page = this.slab.page(h);
          let p = lengthsAt(page, this.slab.offset(h));
          let kl = page[p++];
          if (kl >= 0x80) {
            kl &= 0x7f;
            for (let shift = 7; ; shift += 7) {
              const b = page[p++];
              kl += (b & 0x7f) * 2 ** shift;
              if (b < 0x80) break;
            }
          }
          if (kl === klen) {
            let v = page[p++];
            while (v >= 0x80) v = page[p++];
            let j = 0;
            while (j < klen && page[p + j] === buf[start + j]) j++;
            if (j === klen) {
              this.lastTable = t;
              this.lastSlot = i;
              return h;
            }
          }
        }
        i = (i + 1) & mask;
      }
    }
    return 0;
  }

  private insertSlot(t: IndexTable, hash: number, h: number): void {
    let i = hash & t.mask;
    while (t.tags[i] >= 2) i = (i + 1) & t.mask;
    if (t.tags[i] === 1) t.tombs--;
    t.tags[i] = tagOf(hash);
    t.handles[i] = h;
    t.used++;
    this.lastTable = t;
    this.lastSlot = i;
  }

  /**
   * Puts a block for (key, type, vlen, expireAt) in place of `old` (0 when the key is new),
   * reusing the old block when it fits. Leaves vbuf/vstart at the value bytes. Returns the handle.
   */
  private place(
    kbuf: Uint8Array,
    ks: number,
    ke: number,
    hash: number,
    old: number,
    type: ValueType,
    vlen: number,
    expireAt: number,
  ): number {
    const klen = ke - ks;
    const ttl = expireAt > 0;
    const need = entrySize(klen, vlen, ttl);
    let h = old;
    if (old !== 0) {
      const oldType = this.type(old);
      if (oldType !== T_STRING) this.releaseObject(old);
      const hadTtl = (this.slab.page(old)[this.slab.offset(old) + 1] & F_TTL) !== 0;
      if (hadTtl) this.volatileCount--;
      if (need > this.slab.sizeOf(old) || need < this.slab.sizeOf(old) >>> 1) {
        h = this.slab.alloc(need);
        this.slab.free(old);
        this.lastTable.handles[this.lastSlot] = h;
      }
    } else {
      if (this.old !== null) this.rehashStep(8);
      h = this.slab.alloc(need);
      this.insertSlot(this.main, hash, h);
      this.size++;
      const t = this.main;
      if ((t.used + t.tombs) * 4 > t.size * 3) this.resize(tableSizeFor(t.used));
    }
    const page = this.slab.page(h);
    const off = this.slab.offset(h);
    page[off] = type;
    page[off + 1] = ttl ? F_TTL : 0;
    this.store.initEntry(page, off);
    let p = off + HEADER;
    if (ttl) {
      this.slab.view(h).setFloat64(p, expireAt, true);
      p += TTL_BYTES;
      this.volatileCount++;
      this.heapPush(expireAt, h);
    }
    p = writeVarint(page, p, klen);
    p = writeVarint(page, p, vlen);
    if (kbuf === page) page.copyWithin(p, ks, ke);
    else if (klen <= 32) for (let j = 0; j < klen; j++) page[p + j] = kbuf[ks + j];
    else page.set(kbuf.subarray(ks, ke), p);
    this.kbuf = page;
    this.kstart = p;
    this.kend = p + klen;
    this.vbuf = page;
    this.vstart = p + klen;
    this.vend = p + klen + vlen;
    return h;
  }

  /** Copies the block into a new one of `size` bytes with an expiry of `at` (adding the TTL field). */
  private moveBlock(h: number, size: number, at: number): number {
    this.decode(h);
    const kbuf = this.kbuf;
    const ks = this.kstart;
    const ke = this.kend;
    const hash = hash32(kbuf, ks, ke, SEED);
    this.find(kbuf, ks, ke, hash);
    const nh = this.slab.alloc(size);
    const src = this.slab.page(h);
    const so = this.slab.offset(h);
    const dst = this.slab.page(nh);
    const doff = this.slab.offset(nh);
    dst[doff] = src[so];
    dst[doff + 1] = src[so + 1] | F_TTL;
    dst[doff + 2] = src[so + 2];
    dst[doff + 3] = src[so + 3];
    dst[doff + 4] = src[so + 4];
    this.slab.view(nh).setFloat64(doff + HEADER, at, true);
    dst.set(src.subarray(so + HEADER, this.vend), doff + HEADER + TTL_BYTES);
    this.lastTable.handles[this.lastSlot] = nh;
    this.slab.free(h);
    this.volatileCount++;
    this.heapPush(at, nh);
    return nh;
  }

  private resize(size: number): void {
    if (this.old !== null) while (this.rehashStep(4096));
    this.old = this.main;
    this.main = new IndexTable(size);
    this.rehashPos = 0;
    if (this.old.used === 0) this.old = null;
  }

  /** Removes the entry found last by find(), freeing its block. */
  private removeFound(h: number): void {
    const t = this.lastTable;
    if (t === this.main) this.shiftBack(t, this.lastSlot);
    else {
      // The old table mid-rehash keeps tombstones: a shift could move an entry below rehashPos.
      t.tags[this.lastSlot] = 1;
      t.tombs++;
    }
    t.used--;
    this.size--;
    if ((this.slab.page(h)[this.slab.offset(h) + 1] & F_TTL) !== 0) this.volatileCount--;
    this.freeBlock(h);
    if (t === this.main && this.old === null && t.size > MIN_SIZE && t.used * 8 < t.size) {
      this.resize(tableSizeFor(t.used));
    }
  }

  /**
   * Deletion without a tombstone (linear probing's backward shift): each later entry of the run moves
   * back into the hole unless that would put it before its home slot. Tombstones would pile up under
   * steady churn (eviction deletes as fast as writes insert) until the table had to be rebuilt at the
   * same size, a second table's worth of memory at once. SCAN and lookups go by home slot, and an
   * entry stays between its home and the run's end, so both are unaffected.
   */
  private shiftBack(t: IndexTable, hole: number): void {
    const mask = t.mask;
    const tags = t.tags;
    const handles = t.handles;
    let i = hole;
    let j = hole;
    for (;;) {
      j = (j + 1) & mask;
      const g = tags[j];
      if (g === 0) break;
      this.decode(handles[j]);
      const home = hash32(this.kbuf, this.kstart, this.kend, SEED) & mask;
      // The entry at j stays when its home lies cyclically in (i, j].
      if (i <= j ? home > i && home <= j : home > i || home <= j) continue;
      tags[i] = g;
      handles[i] = handles[j];
      i = j;
    }
    tags[i] = 0;
    handles[i] = 0;
  }

  private freeBlock(h: number): void {
    if (this.type(h) !== T_STRING) this.releaseObject(h);
    this.slab.page(h)[this.slab.offset(h)] = T_FREE;
    this.slab.free(h);
  }

  private releaseObject(h: number): void {
    this.decode(h);
    const b = this.vbuf;
    const i = this.vstart;
    this.store.removeObject((b[i] | (b[i + 1] << 8) | (b[i + 2] << 16) | (b[i + 3] << 24)) >>> 0);
  }

  private expireNow(h: number, kbuf: Uint8Array, ks: number, ke: number): void {
    // find() ran last for this key in lookup()/activeExpire(), so lastTable/lastSlot point at it,
    // except after randomHandle(); look it up again to be sure.
    if (this.lastTable.handles[this.lastSlot] !== h || this.lastTable.tags[this.lastSlot] < 2) {
      this.find(kbuf, ks, ke, hash32(kbuf, ks, ke, SEED));
    }
    const key = kbuf === this.slab.page(h) ? Uint8Array.prototype.slice.call(kbuf, ks, ke) : kbuf.subarray(ks, ke);
    this.removeFound(h);
    this.store.stats.expiredKeys++;
    this.store.modified(this.id, key, 0, key.length);
    if (this.store.onKeyEvent !== null) this.store.onKeyEvent(this.id, "expired", key);
  }

  private heapEntryLive(t: number, h: number): boolean {
    const page = this.slab.page(h);
    const off = this.slab.offset(h);
    if (off + HEADER + TTL_BYTES > page.length) return false;
    if (page[off] === T_FREE || (page[off + 1] & F_TTL) === 0) return false;
    return this.slab.view(h).getFloat64(off + HEADER, true) === t;
  }

  private heapPush(t: number, h: number): void {
    if (this.heapN === this.heapT.length) {
      const nt = new Float64Array(this.heapN * 2);
      nt.set(this.heapT);
      const nh = new Uint32Array(this.heapN * 2);
      nh.set(this.heapH);
      this.heapT = nt;
      this.heapH = nh;
    }
    let i = this.heapN++;
    const T = this.heapT;
    const H = this.heapH;
    while (i > 0) {
      const parent = (i - 1) >> 1;
      if (T[parent] <= t) break;
      T[i] = T[parent];
      H[i] = H[parent];
      i = parent;
    }
    T[i] = t;
    H[i] = h;
  }

  private heapPop(): void {
    const n = --this.heapN;
    if (n === 0) return;
    const T = this.heapT;
    const H = this.heapH;
    const t = T[n];
    const h = H[n];
    let i = 0;
    for (;;) {
      let c = 2 * i + 1;
      if (c >= n) break;
      if (c + 1 < n && T[c + 1] < T[c]) c++;
      if (T[c] >= t) break;
      T[i] = T[c];
      H[i] = H[c];
      i = c;
    }
    T[i] = t;
    H[i] = h;
  }

  private compactHeap(): void {
    const T = this.heapT;
    const H = this.heapH;
    let n = 0;
    for (let i = 0; i < this.heapN; i++) {
      if (this.heapEntryLive(T[i], H[i])) {
        T[n] = T[i];
        H[n] = H[i];
        n++;
      }
    }
    // Entries were a heap; dropping some breaks the order, so rebuild it.
    this.heapN = 0;
    const ts = T.slice(0, n);
    const hs = H.slice(0, n);
    let cap = 64;
    while (cap < n * 2) cap *= 2;
    this.heapT = new Float64Array(cap);
    this.heapH = new Uint32Array(cap);
    for (let i = 0; i < n; i++) this.heapPush(ts[i], hs[i]);
  }

  private emitBucket(t: IndexTable, b: number, fn: (h: number) => void): number {
    let i = b;
    let visited = 1;
    while (t.tags[i] !== 0) {
      if (t.tags[i] >= 2) {
        const h = t.handles[i];
        this.decode(h);
        if ((hash32(this.kbuf, this.kstart, this.kend, SEED) & t.mask) === b) fn(h);
      }
      i = (i + 1) & t.mask;
      visited++;
    }
    return visited;
  }
}
