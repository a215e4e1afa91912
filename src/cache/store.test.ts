import assert from "node:assert/strict";
import { test } from "node:test";
import type { Db } from "./db.js";
import { T_STRING } from "./entry.js";
import { Slab } from "./slab.js";
import { CacheStore, EVICT_FAIL, EVICT_OK, EVICT_RUNNING } from "./store.js";

const enc = (s: string) => Buffer.from(s, "latin1");

function get(db: Db, key: string): string | null {
  const k = enc(key);
  const h = db.lookup(k, 0, k.length);
  if (h === 0) return null;
  assert.equal(db.type(h), T_STRING);
  db.decode(h);
  return Buffer.from(db.vbuf.subarray(db.vstart, db.vend)).toString("latin1");
}

function set(db: Db, key: string, value: string, expireAt = 0, keepTtl = false): void {
  const k = enc(key);
  const v = enc(value);
  db.setString(k, 0, k.length, v, 0, v.length, expireAt, keepTtl);
}

function del(db: Db, key: string): boolean {
  const k = enc(key);
  return db.delete(k, 0, k.length);
}

function scanAll(db: Db, count: number, between?: () => void): string[] {
  const seen: string[] = [];
  let cursor = 0;
  do {
    cursor = db.scan(cursor, count, (h) => seen.push(db.keyString(h)));
    between?.();
  } while (cursor !== 0);
  return seen;
}

test("slab: handles round-trip, blocks are reused and empty pages released", () => {
  const slab = new Slab();
  const hs: number[] = [];
  for (let i = 0; i < 200_000; i++) hs.push(slab.alloc(40 + (i % 3) * 8));
  assert.ok(hs.every((h) => h !== 0));
  assert.equal(new Set(hs).size, hs.length);
  const reserved = slab.bytesReserved;
  for (const h of hs) slab.free(h);
  assert.equal(slab.bytesInUse, 0);
  assert.ok(slab.bytesReserved < reserved, "pages whose blocks are all free are released");
  const big = slab.alloc(3 << 20);
  assert.ok(slab.sizeOf(big) >= 3 << 20);
  slab.free(big);
});

test("store: random set/get/delete against a Map model, through growth, shrink and rehash", () => {
  const store = new CacheStore();
  const db = store.dbs[0];
  const model = new Map<string, string>();
  let seed = 7;
  const rnd = (n: number) => {
    seed = (Math.imul(seed, 1103515245) + 12345) >>> 0;
    return seed % n;
  };
  for (let i = 0; i < 200_000; i++) {
    const key = `k:${rnd(i < 100_000 ? 30_000 : 3_000)}`;
    const op = rnd(10);
    if (op < 5) {
      const v = "x".repeat(rnd(300));
      set(db, key, v);
      model.set(key, v);
    } else if (op < 8) {
      assert.equal(del(db, key), model.delete(key));
    } else {
      assert.equal(get(db, key), model.get(key) ?? null);
    }
  }
  assert.equal(db.size, model.size);
  for (const [k, v] of model) assert.equal(get(db, k), v);
  const scanned = scanAll(db, 10);
  assert.deepEqual(new Set(scanned), new Set(model.keys()));
});

test("store: expiry is lazy on access and active from the heap; keepTtl; persist", () => {
  const store = new CacheStore();
  const db = store.dbs[0];
  store.now = 1_000_000;
  set(db, "a", "1", store.now + 100);
  set(db, "b", "2", store.now + 5000);
  set(db, "c", "3");
  assert.equal(db.volatileCount, 2);
  set(db, "b", "22", 0, true);
  const kb = enc("b");
  assert.equal(db.expireAt(db.lookup(kb, 0, 1)), store.now + 5000);
  store.now += 200;
  assert.equal(get(db, "a"), null);
  assert.equal(store.stats.expiredKeys, 1);
  // persist c's opposite: give c a TTL in place, then remove it
  const kc = enc("c");
  let h = db.lookup(kc, 0, 1);
  h = db.setExpire(h, store.now + 10);
  assert.equal(db.expireAt(h), store.now + 10);
  assert.equal(get(db, "c"), "3");
  h = db.setExpire(db.lookup(kc, 0, 1), 0);
  assert.equal(db.expireAt(h), -1);
  assert.equal(get(db, "c"), "3");
  store.now += 10_000;
  db.activeExpire(performance.now() + 100);
  assert.equal(db.size, 1);
  assert.equal(get(db, "c"), "3");
  assert.equal(db.volatileCount, 0);
});

test("store: many expiring keys are reclaimed by the active cycle", () => {
  const store = new CacheStore();
  const db = store.dbs[0];
  store.now = 5_000;
  for (let i = 0; i < 20_000; i++) set(db, `t:${i}`, "v", store.now + 1 + (i % 100));
  for (let i = 0; i < 1_000; i++) set(db, `p:${i}`, "v");
  store.now += 1000;
  while (store.cron(50));
  assert.equal(db.size, 1_000);
  assert.equal(store.stats.expiredKeys, 20_000);
});

test("scan: every key present for the whole scan is returned, while the table grows and shrinks", () => {
  const store = new CacheStore();
  const db = store.dbs[0];
  for (let i = 0; i < 5_000; i++) set(db, `stable:${i}`, "v");
  let n = 0;
  const growing = scanAll(db, 20, () => {
    for (let j = 0; j < 10; j++) set(db, `new:${n++}`, "v");
  });
  const seen = new Set(growing);
  for (let i = 0; i < 5_000; i++) assert.ok(seen.has(`stable:${i}`), `stable:${i} missing while growing`);
  let m = 0;
  const shrinking = scanAll(db, 20, () => {
    for (let j = 0; j < 100 && m < n; j++) del(db, `new:${m++}`);
  });
  const seen2 = new Set(shrinking);
  for (let i = 0; i < 5_000; i++) assert.ok(seen2.has(`stable:${i}`), `stable:${i} missing while shrinking`);
});

test("eviction: allkeys-lru keeps used memory under maxmemory and prefers idle keys", () => {
  const store = new CacheStore({ maxmemory: 2_000_000, policy: "allkeys-lru" });
  const db = store.dbs[0];
  store.now = 1_000_000_000;
  for (let i = 0; i < 1000; i++) set(db, `hot:${i}`, "v".repeat(100));
  store.now += 100_000;
  for (let i = 0; i < 50_000; i++) {
    set(db, `cold:${i}`, "v".repeat(100));
    if (i % 100 === 0) for (let j = 0; j < 1000; j++) get(db, `hot:${j}`);
    assert.ok(store.evictUntilFits());
    store.now += 10;
  }
  assert.ok(store.usedMemory() <= store.maxmemory);
  assert.ok(store.stats.evictedKeys > 0);
  let hot = 0;
  for (let j = 0; j < 1000; j++) if (get(db, `hot:${j}`) !== null) hot++;
  assert.ok(hot > 900, `most hot keys survive (${hot})`);
});

test("eviction: noeviction refuses; volatile policies only take keys with a TTL", () => {
  const a = new CacheStore({ maxmemory: 100_000, policy: "noeviction" });
  for (let i = 0; i < 2000; i++) set(a.dbs[0], `k${i}`, "v".repeat(50));
  assert.equal(a.evictUntilFits(), false);
  for (const policy of ["volatile-lru", "volatile-lfu", "volatile-random", "volatile-ttl"] as const) {
    const s = new CacheStore({ maxmemory: 150_000, policy });
    s.now = 1_000;
    for (let i = 0; i < 1000; i++) set(s.dbs[0], `p${i}`, "v".repeat(50));
    for (let i = 0; i < 1000; i++) set(s.dbs[1], `t${i}`, "v".repeat(50), 1_000_000 + i);
    s.evictUntilFits();
    assert.equal(s.dbs[0].size, 1000, `${policy} keeps persistent keys`);
    assert.ok(s.dbs[1].size < 1000, `${policy} evicts volatile keys`);
  }
});

test("eviction: a time budget stops after a batch and reports that eviction is still running", () => {
  const store = new CacheStore({ maxmemory: 0, policy: "allkeys-random" });
  const db = store.dbs[0];
  for (let i = 0; i < 20_000; i++) set(db, `k:${i}`, "v".repeat(100));
  store.maxmemory = Math.floor(store.usedMemory() / 2);
  assert.equal(store.evict(undefined, 0), EVICT_RUNNING);
  assert.equal(store.stats.evictedKeys, 16, "the budget is checked every 16 evictions");
  assert.equal(store.evict(), EVICT_OK);
  assert.ok(store.usedMemory() <= store.maxmemory);
  store.policy = "noeviction";
  store.maxmemory = 1;
  assert.equal(store.evict(), EVICT_FAIL);
});

test("randomHandle: every key equally likely, even one after a long run of empty slots", () => {
  // A forward scan from a random slot would return the key that ends a long empty run far more
  // often than the others; eviction then empties the runs further and each sample walks the table.
  const store = new CacheStore();
  const db = store.dbs[0];
  for (let i = 0; i < 40_000; i++) set(db, `k:${i}`, "v");
  const main = (db as unknown as { main: { size: number; tags: Uint8Array; handles: Uint32Array } }).main;
  const cut = Math.floor(main.size * 0.45);
  const victims: string[] = [];
  let kept = false;
  for (let i = cut - 1; i >= 0; i--) {
    if (main.tags[i] < 2) continue;
    if (!kept)
      kept = true; // the last key below the cut stays
    else victims.push(db.keyString(main.handles[i]));
  }
  const size = main.size;
  for (const k of victims) assert.ok(del(db, k));
  assert.equal((db as unknown as { main: { size: number } }).main.size, size, "no shrink in between");
  // The key that ends the longest run of empty slots.
  let best = 0;
  let loneHandle = 0;
  let run = 0;
  for (let i = 0; i < 2 * size; i++) {
    const j = i % size;
    if (main.tags[j] < 2) run++;
    else {
      if (run > best && i >= size) {
        best = run;
        loneHandle = main.handles[j];
      }
      run = 0;
    }
  }
  assert.ok(best > size / 4, `a long empty run (${best} of ${size} slots)`);
  const live = db.size;
  assert.ok(live > 8_000);
  let hits = 0;
  const draws = 20_000;
  for (let i = 0; i < draws; i++) if (db.randomHandle() === loneHandle) hits++;
  // Uniform: about draws / live = under 2 hits expected; the forward scan gave about 45% of draws.
  assert.ok(hits < 30, `the key after the empty run was drawn ${hits} times in ${draws} (${live} keys)`);
});

test("expiry: a key is alive through its expiry millisecond and gone after it, as in Redis (now > when)", () => {
  const store = new CacheStore();
  const db = store.dbs[0];
  store.now = 1_000_000;
  set(db, "k", "v", 1_000_000);
  db.activeExpire(performance.now() + 5);
  assert.equal(get(db, "k"), "v", "at the expiry time itself");
  store.now = 1_000_001;
  db.activeExpire(performance.now() + 5);
  assert.equal(db.size, 0, "the active cycle reclaims it one millisecond later");
  set(db, "k2", "v", 1_000_001);
  assert.equal(get(db, "k2"), "v");
  store.now = 1_000_002;
  assert.equal(get(db, "k2"), null, "a lookup expires it");
});

test("index: deletes leave no tombstones, so steady churn never rebuilds the table", () => {
  const store = new CacheStore();
  const db = store.dbs[0];
  type Table = { size: number; used: number; tombs: number };
  const internals = db as unknown as { main: Table; old: Table | null };
  for (let i = 0; i < 10_000; i++) set(db, `k:${i}`, "v");
  while (internals.old !== null) db.rehashStep(1024);
  const table = internals.main;
  for (let i = 10_000; i < 200_000; i++) {
    assert.ok(del(db, `k:${i - 10_000}`));
    set(db, `k:${i}`, "v");
  }
  assert.equal(internals.main, table, "the same table throughout");
  assert.equal(table.tombs, 0);
  assert.equal(table.used, 10_000);
  for (let i = 190_000; i < 200_000; i += 97) assert.equal(get(db, `k:${i}`), "v");
  for (let i = 0; i < 190_000; i += 97) assert.equal(get(db, `k:${i}`), null);
  assert.equal(scanAll(db, 100).length, 10_000, "SCAN sees every key once");
});
