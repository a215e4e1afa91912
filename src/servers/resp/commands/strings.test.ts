// Tests of the string commands: behaviour on Shale alone (values kept in place, TTLs kept, values
// crossing block sizes, exact 64-bit counters), then a differential section that sends the same
// command sequences to Shale and to a real redis-server 7.0 and compares the raw replies byte for
// byte, in RESP2 and in RESP3.

import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import type { Db } from "../../../cache/db.js";
import { T_LIST } from "../../../cache/entry.js";
import { ListValue } from "../../../cache/list.js";
import { CacheStore } from "../../../cache/store.js";
import { type Case, caseSuite } from "../diff-testing.js";
import type { CacheServer } from "../server.js";
import { RespTestClient, type RunningServer, startShale } from "../testing.js";

// ---- Shale alone ----

describe("strings on Shale", () => {
  let s: RunningServer & { server: CacheServer };
  let c: RespTestClient;
  before(async () => {
    s = await startShale();
    c = await RespTestClient.connect(s.port);
  });
  after(async () => {
    c.close();
    await s.close();
  });

  it("SET/GET with every option, and expiry", async () => {
    assert.equal(await c.call("set", "k", "v", "px", 30), "OK");
    assert.equal(await c.call("get", "k"), "v");
    await new Promise((r) => setTimeout(r, 60));
    assert.equal(await c.call("get", "k"), null);
    assert.equal(await c.call("set", "k", "v", "ex", 100), "OK");
    assert.equal(await c.call("set", "k", "w", "keepttl", "get"), "v");
    const pttl = (await c.call("pttl", "k")) as number;
    assert.ok(pttl > 99_000 && pttl <= 100_000, String(pttl));
    assert.equal(await c.call("set", "k", "x"), "OK");
    assert.equal(await c.call("ttl", "k"), -1);
  });

  it("INCR keeps the value's TTL and its place; exact beyond 2^53", async () => {
    await c.call("set", "n", "100", "ex", 1000);
    for (let i = 0; i < 50; i++) await c.call("incr", "n");
    assert.equal(await c.call("get", "n"), "150");
    assert.equal(await c.call("ttl", "n"), 1000);
    assert.equal(await c.call("decrby", "n", 151), -1);
    assert.equal(await c.call("get", "n"), "-1");
    assert.equal(await c.call("incr", "n"), 0);
    assert.equal(await c.call("get", "n"), "0");
    await c.call("set", "n", "9007199254740991");
    assert.equal((await c.send("incr", "n")).raw.toString(), ":9007199254740992\r\n");
    assert.equal((await c.send("incr", "n")).raw.toString(), ":9007199254740993\r\n");
    assert.equal(await c.call("get", "n"), "9007199254740993");
    assert.equal((await c.send("incrby", "n", "-9007199254740994")).raw.toString(), ":-1\r\n");
    await c.call("set", "n", "-9223372036854775807");
    assert.equal((await c.send("decr", "n")).raw.toString(), ":-9223372036854775808\r\n");
    assert.equal((await c.send("decr", "n")).raw.toString(), "-ERR increment or decrement would overflow\r\n");
  });

  it("INCR tells WATCH and counts as a change", async () => {
    await c.call("set", "w", "5");
    const before = s.server.store.dirty;
    await c.call("incr", "w");
    assert.equal(s.server.store.dirty, before + 1);
  });

  it("APPEND and SETRANGE across block sizes and varint lengths keep every byte", async () => {
    let model = "";
    const rnd = mulberry(7);
    await c.call("del", "a");
    for (let i = 0; i < 60; i++) {
      const n = [1, 5, 100, 127, 128, 1000, 20000][Math.floor(rnd() * 7)];
      const piece = Buffer.alloc(n, 97 + (i % 26)).toString("latin1");
      if (rnd() < 0.6) {
        model += piece;
        assert.equal(await c.call("append", "a", piece), model.length);
      } else {
        const off = Math.floor(rnd() * (model.length + 50));
        const grown = model.length >= off ? model : model + "\0".repeat(off - model.length);
        model = grown.slice(0, off) + piece + grown.slice(off + piece.length);
        assert.equal(await c.call("setrange", "a", off, piece), model.length);
      }
      if (i % 10 === 9) assert.equal(await c.call("get", "a"), model);
    }
    assert.equal(await c.call("strlen", "a"), model.length);
    assert.equal(await c.call("get", "a"), model);
    // Past a large block (256 KiB) and back.
    const big = "z".repeat(300_000);
    assert.equal(await c.call("append", "a", big), model.length + big.length);
    assert.equal(await c.call("getrange", "a", -3, -1), "zzz");
    assert.equal(await c.call("getrange", "a", 0, 4), model.slice(0, 5));
  });

  it("APPEND and SETRANGE refuse to pass proto-max-bulk-len", async () => {
    const t = await startShale({ "proto-max-bulk-len": "1mb" });
    const d = await RespTestClient.connect(t.port);
    try {
      await d.call("set", "k", "x".repeat(1000));
      const big = "y".repeat(1024 * 1024 - 999);
      const err = "-ERR string exceeds maximum allowed size (proto-max-bulk-len)\r\n";
      assert.equal((await d.send("append", "k", big)).raw.toString(), err);
      assert.equal((await d.send("setrange", "k", 1024 * 1024, "x")).raw.toString(), err);
      assert.equal(await d.call("setrange", "k", 1024 * 1024 - 1, "x"), 1024 * 1024);
      assert.equal(await d.call("strlen", "k"), 1024 * 1024);
    } finally {
      d.close();
      await t.close();
    }
  });

  it("GETEX with EXAT in the past deletes; PERSIST removes the TTL", async () => {
    await c.call("set", "g", "v", "ex", 100);
    assert.equal(await c.call("getex", "g", "persist"), "v");
    assert.equal(await c.call("ttl", "g"), -1);
    assert.equal(await c.call("getex", "g", "pxat", 1), "v");
    assert.equal(await c.call("exists", "g"), 0);
  });

  it("MSET overwrites values of any type and clears TTLs; MGET reads nil for other types", async () => {
    await c.call("set", "m1", "old", "ex", 100);
    const db = s.server.store.dbs[0];
    const k = Buffer.from("m2");
    db.setObject(k, 0, 2, T_LIST, new ListValue(["a"]));
    assert.deepEqual(await c.call("mget", "m1", "m2", "m3"), ["old", null, null]);
    assert.equal(await c.call("mset", "m1", "1", "m2", "2"), "OK");
    assert.deepEqual(await c.call("mget", "m1", "m2"), ["1", "2"]);
    assert.equal(await c.call("ttl", "m1"), -1);
  });
});

describe("Db.resizeString (APPEND and SETRANGE's realloc)", () => {
  const key = Buffer.from("key");
  const setup = (value: string, ttlAt = 0) => {
    const store = new CacheStore();
    const db = store.dbs[0];
    const v = Buffer.from(value, "latin1");
    db.setString(key, 0, key.length, v, 0, v.length, ttlAt);
    return { store, db };
  };
  const valueText = (db: Db) => {
    const h = db.lookup(key, 0, key.length, false);
    db.decode(h);
    return Buffer.from(db.vbuf.subarray(db.vstart, db.vend)).toString("latin1");
  };

  it("keeps the first bytes across varint boundaries, in place and moved", () => {
    for (const [from, to] of [
      [10, 20],
      [120, 127],
      [127, 128],
      [100, 200],
      [16383, 16384],
      [1000, 300_000],
      [300_000, 300_001],
      [50, 10],
    ]) {
      const { db } = setup(`${"a".repeat(from - 1)}b`);
      const h = db.resizeString(key, 0, key.length, to);
      const keep = Math.min(from, to);
      db.vbuf.fill(0x63, db.vstart + keep, db.vstart + to);
      const expect = `${"a".repeat(from - 1)}b`.slice(0, keep) + "c".repeat(to - keep);
      assert.equal(db.keyString(h), "key");
      assert.equal(valueText(db), expect, `${from} -> ${to}`);
    }
  });

  it("keeps the expiry (and the active expiry heap) and the LRU bits when the block moves", () => {
    const { store, db } = setup("x", Date.now() + 50_000);
    const at = db.expireAt(db.lookup(key, 0, key.length, false));
    const h1 = db.lookup(key, 0, key.length, false);
    const lru = store.slab.page(h1).slice(store.slab.offset(h1) + 2, store.slab.offset(h1) + 5);
    const h2 = db.resizeString(key, 0, key.length, 5000);
    assert.notEqual(h2, h1);
    assert.equal(db.expireAt(h2), at);
    assert.deepEqual(store.slab.page(h2).slice(store.slab.offset(h2) + 2, store.slab.offset(h2) + 5), lru);
    assert.equal(db.volatileCount, 1);
    assert.equal(db.size, 1);
    store.now = at + 1;
    assert.equal(db.activeExpire(performance.now() + 1000), 1);
    assert.equal(db.size, 0);
  });

  it("leaves room past 256 KiB so the next appends stay in place", () => {
    const { db } = setup("y".repeat(300_000));
    const h = db.resizeString(key, 0, key.length, 300_100);
    for (let n = 300_200; n < 360_000; n += 1000) assert.equal(db.resizeString(key, 0, key.length, n), h);
  });

  it("refuses a missing key or one that is not a string", () => {
    const { db } = setup("v");
    assert.throws(() => db.resizeString(Buffer.from("nokey"), 0, 5, 10));
    const l = Buffer.from("l");
    db.setObject(l, 0, 1, T_LIST, new ListValue(["a"]));
    assert.throws(() => db.resizeString(l, 0, 1, 10));
  });
});

function mulberry(seed: number): () => number {
  let t = seed >>> 0;
  return () => {
    t = (t + 0x6d2b79f5) >>> 0;
    let r = Math.imul(t ^ (t >>> 15), 1 | t);
    r = (r + Math.imul(r ^ (r >>> 7), 61 | r)) ^ r;
    return ((r ^ (r >>> 14)) >>> 0) / 4294967296;
  };
}

// ---- differential: Shale against redis-server ----

const ARITY: Case = [
  ["get"],
  ["get", "a", "b"],
  ["set", "k"],
  ["setnx", "k"],
  ["setex", "k", "1"],
  ["psetex", "k", "1"],
  ["getset", "k"],
  ["getdel"],
  ["getdel", "a", "b"],
  ["getex"],
  ["mget"],
  ["mset", "a"],
  ["mset", "a", "1", "b"],
  ["msetnx", "a"],
  ["msetnx", "a", "1", "b"],
  ["append", "k"],
  ["strlen"],
  ["getrange", "k", "0"],
  ["substr", "k", "0"],
  ["setrange", "k", "0"],
  ["incr"],
  ["decr", "a", "b"],
  ["incrby", "k"],
  ["decrby", "k"],
  ["incrbyfloat", "k"],
  ["lcs", "a"],
];

const future = Math.floor(Date.now() / 1000) + 500;

const SET_CASES: Case[] = [
  [
    ["set", "k", "v"],
    ["get", "k"],
    ["get", "nokey"],
    ["set", "k", ""],
    ["get", "k"],
    ["strlen", "k"],
  ],
  [
    ["set", "k", "v", "nx"],
    ["set", "k", "w", "nx"],
    ["get", "k"],
    ["set", "k", "w", "xx"],
    ["get", "k"],
    ["set", "n", "v", "xx"],
    ["get", "n"],
    ["set", "k", "v", "Nx", "gEt"],
    ["set", "n", "v", "XX", "get"],
  ],
  [
    ["set", "k", "v", "nx", "xx"],
    ["set", "k", "v", "xx", "nx"],
    ["set", "k", "v", "ex", "10", "px", "100"],
    ["set", "k", "v", "px", "10", "exat", "100"],
    ["set", "k", "v", "ex"],
    ["set", "k", "v", "keepttl", "ex", "10"],
    ["set", "k", "v", "ex", "10", "keepttl"],
    ["set", "k", "v", "foo"],
    ["set", "k", "v", "get", "get", "nx", "nx"],
    ["set", "k", "v", "ex", "abc"],
    ["set", "k", "v", "ex", "abc", "foo"],
    ["set", "k", "v", "ex", "0"],
    ["set", "k", "v", "ex", "-1"],
    ["set", "k", "v", "px", "0"],
    ["set", "k", "v", "exat", "0"],
    ["set", "k", "v", "pxat", "-5"],
    ["set", "k", "v", "ex", "9223372036854775"],
    ["set", "k", "v", "ex", "9223372036854776"],
    ["set", "k", "v", "px", "9223372036854775807"],
    ["set", "k", "v", "ex", "99999999999999999999"],
    ["set", "k", "v", "ex", "1.5"],
    ["exists", "k"],
  ],
  [
    ["set", "k", "v", "exat", "9223372036854775"],
    ["exists", "k"],
    ["set", "k", "v", "pxat", "9223372036854775807"],
    ["exists", "k"],
  ],
  [
    ["set", "k", "v", "ex", "10", "ex", "20"],
    ["ttl", "k"],
    ["set", "k", "v", "px", "5000", "px", "30000"],
    ["ttl", "k"],
  ],
  [
    ["set", "k", "v", "EX", "100"],
    ["ttl", "k"],
    ["set", "k", "w"],
    ["ttl", "k"],
    ["set", "k", "v", "ex", "100"],
    ["set", "k", "w", "keepttl"],
    ["ttl", "k"],
    ["get", "k"],
    ["set", "j", "v", "keepttl"],
    ["ttl", "j"],
  ],
  [
    ["set", "k", "v", "exat", future],
    ["#approx", "ttl", "k"],
    ["expiretime", "k"],
    ["set", "k", "v", "pxat", future * 1000 + 7],
    ["pexpiretime", "k"],
  ],
  [
    ["set", "k", "v", "pxat", "1"],
    ["get", "k"],
    ["exists", "k"],
    ["set", "k", "v", "exat", "1"],
    ["exists", "k"],
  ],
  [
    ["set", "k", "v", "get"],
    ["set", "k", "w", "get"],
    ["get", "k"],
    ["#seed", "list", "l", "a", "b"],
    ["set", "l", "v", "get"],
    ["get", "l"],
    ["set", "l", "v", "nx", "get"],
    ["type", "l"],
    ["set", "k", "x", "nx", "get"],
    ["get", "k"],
    ["set", "n", "x", "xx", "get"],
    ["exists", "n"],
    ["set", "l", "v"],
    ["type", "l"],
    ["get", "l"],
  ],
  [
    ["set", Buffer.from([0, 255, 13, 10]), Buffer.from([1, 2, 0, 13, 10, 200])],
    ["get", Buffer.from([0, 255, 13, 10])],
  ],
  [
    ["setnx", "k", "v"],
    ["setnx", "k", "w"],
    ["get", "k"],
    ["#seed", "set", "s", "a"],
    ["setnx", "s", "v"],
    ["type", "s"],
  ],
  [
    ["setex", "k", "10", "v"],
    ["ttl", "k"],
    ["get", "k"],
    ["setex", "k", "0", "v"],
    ["setex", "k", "-5", "v"],
    ["setex", "k", "abc", "v"],
    ["setex", "k", "9223372036854776", "v"],
    ["psetex", "k", "100000", "v"],
    ["ttl", "k"],
    ["psetex", "k", "0", "v"],
    ["psetex", "k", "x", "v"],
    ["#seed", "hash", "h", "f", "v"],
    ["setex", "h", "100", "v"],
    ["get", "h"],
  ],
];

const GET_CASES: Case[] = [
  [
    ["getset", "k", "v"],
    ["getset", "k", "w"],
    ["get", "k"],
    ["#seed", "list", "l", "a"],
    ["getset", "l", "v"],
    ["type", "l"],
    ["set", "t", "1", "ex", "100"],
    ["getset", "t", "2"],
    ["ttl", "t"],
  ],
  [
    ["getdel", "k"],
    ["set", "k", "v"],
    ["getdel", "k"],
    ["exists", "k"],
    ["#seed", "zset", "z", "1", "a"],
    ["getdel", "z"],
    ["type", "z"],
  ],
  [
    ["getex", "k"],
    ["getex", "k", "ex", "abc"],
    ["set", "k", "v"],
    ["getex", "k"],
    ["ttl", "k"],
    ["getex", "k", "ex", "100"],
    ["ttl", "k"],
    ["getex", "k", "persist"],
    ["ttl", "k"],
    ["getex", "k", "px", "200000"],
    ["ttl", "k"],
    ["getex", "k", "exat", future],
    ["#approx", "ttl", "k"],
    ["getex", "k", "pxat", future * 1000 + 5],
    ["pexpiretime", "k"],
    ["getex", "k", "ex", "10", "ex", "20"],
    ["ttl", "k"],
    ["getex", "k", "ex", "10", "persist"],
    ["getex", "k", "persist", "ex", "10"],
    ["getex", "k", "nx"],
    ["getex", "k", "get"],
    ["getex", "k", "keepttl"],
    ["getex", "k", "ex"],
    ["getex", "k", "ex", "abc"],
    ["getex", "k", "ex", "0"],
    ["getex", "k", "pxat", "-1"],
    ["getex", "k", "ex", "9223372036854776"],
    ["getex", "k", "persist", "persist"],
    ["getex", "k", "exat", "1"],
    ["exists", "k"],
    ["#seed", "list", "l", "a"],
    ["getex", "l"],
    ["getex", "l", "ex", "abc"],
    ["getex", "l", "foo"],
  ],
];

const MULTI_CASES: Case[] = [
  [
    ["mset", "a", "1", "b", "2", "c", "3"],
    ["mget", "a", "b", "c", "d", "a"],
    ["#seed", "list", "l", "x"],
    ["mget", "l", "a"],
    ["msetnx", "a", "1", "x", "2"],
    ["exists", "x"],
    ["msetnx", "x", "1", "y", "2"],
    ["mget", "x", "y"],
    ["msetnx", "q", "1", "q", "2"],
    ["get", "q"],
    ["msetnx", "l", "1"],
    ["set", "t", "1", "ex", "100"],
    ["mset", "t", "2", "l", "3"],
    ["ttl", "t"],
    ["mget", "t", "l"],
    ["mset", "d", "1", "d", "2"],
    ["get", "d"],
  ],
];

const EDIT_CASES: Case[] = [
  [
    ["append", "k", "abc"],
    ["append", "k", "def"],
    ["get", "k"],
    ["strlen", "k"],
    ["strlen", "nokey"],
    ["append", "k", ""],
    ["#seed", "list", "l", "x"],
    ["append", "l", "x"],
    ["strlen", "l"],
    ["set", "t", "v", "ex", "100"],
    ["append", "t", "x"],
    ["ttl", "t"],
    ["get", "t"],
    ["set", "b", "x".repeat(127)],
    ["append", "b", "y"],
    ["strlen", "b"],
    ["get", "b"],
    ["append", "b", "z".repeat(20000)],
    ["getrange", "b", "120", "140"],
    ["set", "n", "12"],
    ["append", "n", "34"],
    ["incr", "n"],
  ],
  [
    ["set", "k", "Hello World"],
    ["getrange", "k", "0", "4"],
    ["getrange", "k", "-5", "-1"],
    ["getrange", "k", "5", "2"],
    ["getrange", "k", "-1", "-5"],
    ["getrange", "k", "0", "100"],
    ["getrange", "k", "100", "200"],
    ["getrange", "k", "-100", "-50"],
    ["getrange", "k", "-100", "5"],
    ["getrange", "k", "3", "-100"],
    ["getrange", "k", "0", "-100"],
    ["getrange", "k", "a", "1"],
    ["getrange", "k", "1", "b"],
    ["getrange", "k", "1.5", "2"],
    ["getrange", "k", "-9223372036854775807", "-9223372036854775808"],
    ["getrange", "k", "-9223372036854775808", "-9223372036854775807"],
    ["getrange", "k", "9223372036854775807", "9223372036854775807"],
    ["getrange", "k", "0", "9223372036854775807"],
    ["getrange", "k", "0", "9223372036854775808"],
    ["substr", "k", "0", "2"],
    ["substr", "k", "-3", "-1"],
    ["getrange", "nokey", "0", "1"],
    ["getrange", "nokey", "x", "1"],
    ["#seed", "list", "l", "x"],
    ["getrange", "l", "0", "1"],
    ["set", "e", ""],
    ["getrange", "e", "0", "-1"],
    ["getrange", "e", "-1", "0"],
    ["set", "n", "12345"],
    ["getrange", "n", "1", "3"],
  ],
  [
    ["setrange", "k", "0", "abc"],
    ["setrange", "k", "5", "xy"],
    ["get", "k"],
    ["setrange", "k", "1", "Z"],
    ["get", "k"],
    ["setrange", "k", "-1", "x"],
    ["setrange", "k", "abc", "x"],
    ["setrange", "nokey", "10", ""],
    ["exists", "nokey"],
    ["setrange", "k", "100", ""],
    ["setrange", "k", "536870911", ""],
    ["setrange", "k", "536870912", "x"],
    ["setrange", "k", "9223372036854775807", "x"],
    ["setrange", "k", "9223372036854775808", "x"],
    ["setrange", "nokey", "536870912", "x"],
    ["setrange", "nokey", "-1", ""],
    ["#seed", "list", "l", "x"],
    ["setrange", "l", "0", "x"],
    ["setrange", "l", "0", ""],
    ["set", "t", "value", "ex", "100"],
    ["setrange", "t", "3", "UE-and-more"],
    ["ttl", "t"],
    ["get", "t"],
    ["setrange", "t", "0", "v"],
    ["get", "t"],
    ["setrange", "z", "3", Buffer.from([0, 1, 2])],
    ["get", "z"],
    ["set", "n", "123"],
    ["setrange", "n", "1", "9"],
    ["get", "n"],
    ["incr", "n"],
  ],
];

const COUNTER_CASES: Case[] = [
  [
    ["incr", "k"],
    ["incr", "k"],
    ["set", "k", "10"],
    ["incrby", "k", "5"],
    ["decrby", "k", "20"],
    ["decr", "k"],
    ["get", "k"],
    ["incrby", "k", "0"],
    ["set", "k", "9"],
    ["incr", "k"],
    ["get", "k"],
    ["set", "k", "-1"],
    ["incr", "k"],
    ["get", "k"],
    ["set", "k", "-10"],
    ["incr", "k"],
    ["get", "k"],
    ["decr", "nokey"],
    ["decrby", "nokey2", "5"],
    ["incrby", "nokey3", "-7"],
  ],
  [
    ["set", "k", "abc"],
    ["incr", "k"],
    ["set", "k", " 1"],
    ["incr", "k"],
    ["set", "k", "1 "],
    ["incr", "k"],
    ["set", "k", "01"],
    ["incr", "k"],
    ["set", "k", "+1"],
    ["incr", "k"],
    ["set", "k", "-0"],
    ["incr", "k"],
    ["set", "k", "1.0"],
    ["incr", "k"],
    ["set", "k", ""],
    ["incr", "k"],
    ["set", "k", "12345678901234567890"],
    ["incr", "k"],
    ["set", "k", "9223372036854775808"],
    ["incr", "k"],
    ["set", "k", "1"],
    ["incrby", "k", "abc"],
    ["incrby", "k", "9223372036854775808"],
    ["incrby", "k", ""],
    ["decrby", "k", "1e3"],
    ["#seed", "list", "l", "x"],
    ["incr", "l"],
    ["decrby", "l", "1"],
    ["incrby", "l", "x"],
  ],
  [
    ["set", "k", "9223372036854775807"],
    ["incr", "k"],
    ["incrby", "k", "-1"],
    ["decrby", "k", "-1"],
    ["set", "k", "-9223372036854775808"],
    ["decr", "k"],
    ["incrby", "k", "-1"],
    ["incrby", "k", "9223372036854775807"],
    ["decrby", "k", "-9223372036854775808"],
    ["set", "k", "0"],
    ["decrby", "k", "-9223372036854775808"],
    ["decrby", "k", "9223372036854775807"],
    ["decr", "k"],
    ["decr", "k"],
    ["set", "k", "9007199254740993"],
    ["incr", "k"],
    ["incrby", "k", "9000000000000000000"],
    ["incrby", "k", "214748364700000000"],
    ["decrby", "k", "1"],
    ["get", "k"],
    ["incrby", "k", "-9223372036854775807"],
    ["get", "k"],
  ],
  [
    ["set", "k", "99", "ex", "100"],
    ["incr", "k"],
    ["ttl", "k"],
    ["incrbyfloat", "k", "1.5"],
    ["ttl", "k"],
  ],
  [
    ["incrbyfloat", "k", "10.5"],
    ["incrbyfloat", "k", "0.1"],
    ["set", "k", "0.1"],
    ["incrbyfloat", "k", "0.2"],
    ["incrbyfloat", "k", "abc"],
    ["incrbyfloat", "k", ""],
    ["incrbyfloat", "k", " 1"],
    ["incrbyfloat", "k", "1 "],
    ["incrbyfloat", "k", "inf"],
    ["incrbyfloat", "k", "-inf"],
    ["incrbyfloat", "k", "nan"],
    ["incrbyfloat", "k", "0x10"],
    ["incrbyfloat", "k", "1e-20"],
    ["incrbyfloat", "k", "-1.3"],
    ["set", "k", "abc"],
    ["incrbyfloat", "k", "1"],
    ["incrbyfloat", "nokey", "5.0e3"],
    ["incrbyfloat", "nokey", "-5000"],
    ["incrbyfloat", "x", "1e308"],
    ["incrbyfloat", "x", "1e308"],
    ["strlen", "x"],
    ["set", "i", "17179869184"],
    ["incrbyfloat", "i", "1.1"],
    ["incrbyfloat", "i", "-17179869185.1"],
    ["set", "f", "1000"],
    ["incrbyfloat", "f", "0.1"],
    ["#seed", "list", "l", "x"],
    ["incrbyfloat", "l", "1"],
    ["incrbyfloat", "l", "x"],
  ],
];

const LCS_CASES: Case[] = [
  [
    ["set", "a", "ohmytext"],
    ["set", "b", "mynewtext"],
    ["lcs", "a", "b"],
    ["lcs", "a", "b", "len"],
    ["lcs", "a", "b", "LEN", "len"],
    ["lcs", "a", "b", "idx"],
    ["lcs", "a", "b", "idx", "minmatchlen", "4"],
    ["lcs", "a", "b", "idx", "withmatchlen"],
    ["lcs", "a", "b", "idx", "minmatchlen", "4", "withmatchlen"],
    ["lcs", "a", "b", "withmatchlen"],
    ["lcs", "a", "b", "idx", "len"],
    ["lcs", "a", "b", "foo"],
    ["lcs", "a", "b", "minmatchlen"],
    ["lcs", "a", "b", "minmatchlen", "abc"],
    ["lcs", "a", "b", "minmatchlen", "-1", "idx"],
    ["lcs", "a", "nokey"],
    ["lcs", "nokey", "nokey2", "idx"],
    ["lcs", "a", "a", "idx", "withmatchlen"],
    ["#seed", "list", "l", "x"],
    ["lcs", "a", "l"],
    ["lcs", "l", "nokey", "foo"],
  ],
];

function randomLcsCases(): Case[] {
  const rnd = mulberry(42);
  const word = (n: number) => {
    let s = "";
    for (let i = 0; i < n; i++) s += "abcd "[Math.floor(rnd() * 5)];
    return s;
  };
  const cases: Case[] = [];
  for (let i = 0; i < 30; i++) {
    cases.push([
      ["set", "a", word(Math.floor(rnd() * 30))],
      ["set", "b", word(Math.floor(rnd() * 30))],
      ["lcs", "a", "b"],
      ["lcs", "b", "a", "len"],
      ["lcs", "a", "b", "idx", "withmatchlen"],
      ["lcs", "a", "b", "idx", "minmatchlen", "2"],
    ]);
  }
  return cases;
}

caseSuite("strings: differential against redis-server 7.0", [
  ["wrong arity", [ARITY]],
  ["SET and its options, SETNX, SETEX, PSETEX", SET_CASES],
  ["GETSET, GETDEL, GETEX", GET_CASES],
  ["MGET, MSET, MSETNX", MULTI_CASES],
  ["APPEND, STRLEN, GETRANGE, SUBSTR, SETRANGE", EDIT_CASES],
  ["INCR, DECR, INCRBY, DECRBY, INCRBYFLOAT", COUNTER_CASES],
  ["LCS", LCS_CASES],
  ["LCS on random strings", randomLcsCases()],
]);
