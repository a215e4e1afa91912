// Tests of the keyspace commands: behaviour on Shale alone (deep copies, moves between databases,
// memory accounting, SCAN's guarantees, the cursor grammar, LFU-only OBJECT FREQ), then a
// differential section that sends the same command sequences to Shale and to a real redis-server
// 7.0 and compares the raw replies byte for byte, in RESP2 and in RESP3. Where Redis's order is
// unspecified (KEYS, SCAN) the keys are compared as sorted sets.

import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import { T_HASH, T_LIST, T_SET, T_ZSET } from "../../../cache/entry.js";
import { HashValue } from "../../../cache/hash.js";
import { ListValue } from "../../../cache/list.js";
import { SetValue } from "../../../cache/set.js";
import { SortedSet } from "../../../cache/zset.js";
import { type Case, type CaseStep, caseSuite, connectSide, differential } from "../diff-testing.js";
import type { CacheServer } from "../server.js";
import { RespTestClient, type RunningServer, startRedis, startShale } from "../testing.js";
import { parseCursor } from "./keys.js";

function mulberry(seed: number): () => number {
  let t = seed >>> 0;
  return () => {
    t = (t + 0x6d2b79f5) >>> 0;
    let r = Math.imul(t ^ (t >>> 15), 1 | t);
    r = (r + Math.imul(r ^ (r >>> 7), 61 | r)) ^ r;
    return ((r ^ (r >>> 14)) >>> 0) / 4294967296;
  };
}

const enc = (s: string) => Buffer.from(s, "latin1");

// ---- Shale alone ----

describe("keys on Shale", () => {
  let s: RunningServer & { server: CacheServer };
  let c: RespTestClient;
  const obj = <T>(db: number, key: string): T => {
    const d = s.server.store.dbs[db];
    const k = enc(key);
    const h = d.lookup(k, 0, k.length, false);
    assert.notEqual(h, 0, `${key} exists`);
    return d.object<T>(h);
  };
  const put = (
    db: number,
    key: string,
    type: typeof T_LIST | typeof T_SET | typeof T_ZSET | typeof T_HASH,
    o: object,
  ) => {
    const k = enc(key);
    s.server.store.dbs[db].setObject(k, 0, k.length, type, o);
  };
  before(async () => {
    s = await startShale();
    c = await RespTestClient.connect(s.port);
  });
  after(async () => {
    c.close();
    await s.close();
  });

  it("COPY deep-copies every collection type, in the same and another database", async () => {
    s.server.store.flushAll();
    put(0, "l", T_LIST, new ListValue(["a", "b"]));
    put(0, "s", T_SET, new SetValue(["1", "2"]));
    const z = new SortedSet();
    z.add("m", 1.5);
    put(0, "z", T_ZSET, z);
    const h = new HashValue();
    h.set("f", "v");
    put(0, "h", T_HASH, h);
    for (const [key, db] of [
      ["l", 0],
      ["s", 1],
      ["z", 0],
      ["h", 2],
    ] as const) {
      assert.equal(await c.call("copy", key, `${key}2`, "db", db), 1);
    }
    obj<ListValue>(0, "l2").pushBack("c");
    obj<SetValue>(1, "s2").add("3");
    obj<SortedSet>(0, "z2").add("n", 2);
    obj<HashValue>(2, "h2").set("g", "w");
    assert.deepEqual(obj<ListValue>(0, "l").toArray(), ["a", "b"]);
    assert.deepEqual(obj<ListValue>(0, "l2").toArray(), ["a", "b", "c"]);
    assert.equal(obj<SetValue>(0, "s").size, 2);
    assert.equal(obj<SetValue>(1, "s2").size, 3);
    assert.equal(obj<SortedSet>(0, "z").size, 1);
    assert.equal(obj<SortedSet>(0, "z2").score("m"), 1.5);
    assert.equal(obj<HashValue>(0, "h").size, 1);
    assert.equal(obj<HashValue>(2, "h2").get("f"), "v");
    assert.notEqual(obj<object>(0, "l"), obj<object>(0, "l2"));
  });

  it("COPY keeps a hash's tracked encoding", async () => {
    s.server.store.flushAll();
    const h = new HashValue();
    h.set("f", "x".repeat(100));
    h.delete("f");
    h.set("f", "short");
    put(0, "h", T_HASH, h);
    assert.equal(h.encoding, "hashtable");
    await c.call("copy", "h", "h2");
    assert.equal(await c.call("object", "encoding", "h2"), "hashtable");
    const small = new HashValue();
    small.set("a", "1");
    put(0, "p", T_HASH, small);
    await c.call("copy", "p", "p2");
    assert.equal(await c.call("object", "encoding", "p2"), "listpack");
  });

  it("RENAME and MOVE hand the same object over; memory accounting returns to where it was", async () => {
    s.server.store.flushAll();
    const store = s.server.store;
    const base = store.usedMemory();
    const l = new ListValue(Array.from({ length: 1000 }, (_, i) => `item-${i}`));
    put(0, "l", T_LIST, l);
    assert.equal(await c.call("expire", "l", 100), 1);
    const withList = store.usedMemory();
    assert.ok(withList > base + 10_000);
    assert.equal(await c.call("rename", "l", "m"), "OK");
    assert.equal(obj<ListValue>(0, "m"), l);
    assert.equal(await c.call("ttl", "m"), 100);
    assert.equal(await c.call("move", "m", 3), 1);
    assert.equal(obj<ListValue>(3, "m"), l);
    assert.equal(await c.call("exists", "m"), 0);
    assert.ok(Math.abs(store.usedMemory() - withList) < 200, `${store.usedMemory()} vs ${withList}`);
    await c.call("select", 3);
    assert.equal(await c.call("ttl", "m"), 100);
    assert.equal(await c.call("copy", "m", "n"), 1);
    assert.ok(store.usedMemory() > withList + 10_000);
    assert.equal(await c.call("del", "m", "n"), 2);
    await c.call("select", 0);
    assert.ok(Math.abs(store.usedMemory() - base) < 200, `${store.usedMemory()} vs ${base}`);
  });

  it("RENAME, COPY and MOVE of a list or sorted set tell clients blocked on the new key", async () => {
    s.server.store.flushAll();
    const signals: string[] = [];
    const server = s.server;
    const orig = server.signalKeyReady;
    server.signalKeyReady = (db: number, key: string) => {
      signals.push(`${db}:${key}`);
      orig.call(server, db, key);
    };
    try {
      put(0, "l", T_LIST, new ListValue(["a"]));
      const z = new SortedSet();
      z.add("a", 1);
      put(0, "z", T_ZSET, z);
      put(0, "s", T_SET, new SetValue(["a"]));
      await c.call("rename", "l", "l2");
      await c.call("copy", "z", "z2", "db", 1);
      await c.call("move", "l2", 2);
      await c.call("rename", "s", "s2");
      await c.call("set", "str", "v");
      await c.call("rename", "str", "str2");
      assert.deepEqual(signals, ["0:l2", "1:z2", "2:l2"]);
    } finally {
      server.signalKeyReady = orig;
    }
  });

  it("writes through these commands count as changes (dirty) and deleting by a past expiry counts once", async () => {
    s.server.store.flushAll();
    await c.call("set", "k", "v");
    const d0 = s.server.store.dirty;
    assert.equal(await c.call("expire", "k", -1), 1);
    assert.equal(s.server.store.dirty, d0 + 1);
    assert.equal(await c.call("exists", "k"), 0);
  });

  it("KEYS and SCAN skip keys whose time has passed", async () => {
    s.server.store.flushAll();
    await c.call("set", "a", "1", "px", 20);
    await c.call("set", "b", "2");
    await new Promise((r) => setTimeout(r, 40));
    assert.deepEqual(await c.call("keys", "*"), ["b"]);
    assert.deepEqual(await c.call("scan", 0), ["0", ["b"]]);
    assert.deepEqual(await c.call("scan", 0, "match", "?"), ["0", ["b"]]);
  });

  it("RANDOMKEY finds the live key among many whose time has passed", async () => {
    const t = await startShale({ hz: "1" });
    const d = await RespTestClient.connect(t.port);
    try {
      for (let i = 0; i < 400; i++) await d.call("set", `gone:${i}`, "v", "px", 5);
      await d.call("set", "live", "v");
      await new Promise((r) => setTimeout(r, 20));
      assert.equal(await d.call("randomkey"), "live");
      assert.equal(await d.call("randomkey"), "live");
    } finally {
      d.close();
      await t.close();
    }
  });

  it("SCAN returns every key present for the whole scan, while keys come and go and the table resizes", async () => {
    s.server.store.flushAll();
    const rnd = mulberry(11);
    const stable = new Set<string>();
    for (let i = 0; i < 3000; i++) {
      stable.add(`s:${i}`);
      await c.call("set", `s:${i}`, "v");
    }
    const seen = new Set<string>();
    let cursor = "0";
    let churn = 0;
    let calls = 0;
    do {
      const r = (await c.call("scan", cursor, "count", 1 + Math.floor(rnd() * 50))) as [string, string[]];
      for (const k of r[1]) seen.add(k);
      cursor = r[0];
      calls++;
      // Grow then shrink the table under the scan.
      const burst = calls < 40 ? 200 : 0;
      for (let i = 0; i < burst; i++) await c.call("set", `t:${churn++}`, "v");
      if (calls === 60) for (let i = 0; i < churn; i++) await c.call("del", `t:${i}`);
    } while (cursor !== "0" && calls < 100000);
    for (const k of stable) assert.ok(seen.has(k), `missed ${k}`);
  });

  it("SCAN TYPE and MATCH filter; COUNT bounds the work per call", async () => {
    s.server.store.flushAll();
    for (let i = 0; i < 500; i++) await c.call("set", `k${i}`, "v");
    put(0, "alist", T_LIST, new ListValue(["x"]));
    const r = (await c.call("scan", 0, "count", 5)) as [string, string[]];
    assert.notEqual(r[0], "0");
    assert.ok(r[1].length < 60, String(r[1].length));
    const lists: string[] = [];
    let cursor = "0";
    do {
      const x = (await c.call("scan", cursor, "type", "LIST")) as [string, string[]];
      lists.push(...x[1]);
      cursor = x[0];
    } while (cursor !== "0");
    assert.deepEqual(lists, ["alist"]);
  });

  it("parseCursor reads cursors as strtoul does", () => {
    const p = (s: string) => parseCursor(enc(s), 0, s.length);
    assert.equal(p("0"), 0);
    assert.equal(p(""), 0);
    assert.equal(p("123"), 123);
    assert.equal(p("+5"), 5);
    assert.equal(p("-0"), 0);
    assert.equal(p("-1"), 0xffffffff);
    assert.equal(p("4294967297"), 1);
    assert.equal(p("18446744073709551615"), 0xffffffff);
    assert.equal(p("18446744073709551616"), -1);
    assert.equal(p(" 1"), -1);
    assert.equal(p("1 "), -1);
    assert.equal(p("0x10"), -1);
    assert.equal(p("-"), -1);
    assert.equal(p("abc"), -1);
    assert.equal(p("12\0xyz"), 12);
  });

  it("OBJECT FREQ under an LFU policy; IDLETIME under LRU; MEMORY USAGE grows with the value", async () => {
    s.server.store.flushAll();
    await c.call("set", "k", "v");
    assert.equal(await c.call("object", "idletime", "k"), 0);
    s.server.config.set("maxmemory-policy", "allkeys-lfu");
    try {
      await c.call("set", "f", "v");
      assert.equal(await c.call("object", "freq", "f"), 5);
      for (let i = 0; i < 200; i++) await c.call("get", "f");
      assert.ok(((await c.call("object", "freq", "f")) as number) > 5);
      const idle = (await c.send("object", "idletime", "f")).raw.toString();
      assert.ok(idle.startsWith("-ERR An LFU maxmemory policy is selected"), idle);
    } finally {
      s.server.config.set("maxmemory-policy", "noeviction");
    }
    await c.call("set", "small", "x");
    await c.call("set", "large", "x".repeat(10000));
    const small = (await c.call("memory", "usage", "small")) as number;
    const large = (await c.call("memory", "usage", "large")) as number;
    assert.ok(small >= 8 && small < 64, String(small));
    assert.ok(large >= 10000, String(large));
    put(0, "l", T_LIST, new ListValue(Array.from({ length: 100 }, () => "y".repeat(100))));
    assert.ok(((await c.call("memory", "usage", "l")) as number) > 10000);
    assert.equal(await c.call("memory", "usage", "nokey"), null);
  });

  it("every key command works on every type", async () => {
    s.server.store.flushAll();
    const types = { l: T_LIST, s: T_SET, z: T_ZSET, h: T_HASH } as const;
    const make = (t: number): object => {
      if (t === T_LIST) return new ListValue(["a"]);
      if (t === T_SET) return new SetValue(["a"]);
      if (t === T_HASH) {
        const h = new HashValue();
        h.set("a", "b");
        return h;
      }
      const z = new SortedSet();
      z.add("a", 1);
      return z;
    };
    for (const [k, t] of Object.entries(types)) put(0, k, t, make(t));
    await c.call("set", "str", "v");
    for (const k of [...Object.keys(types), "str"]) {
      assert.equal(await c.call("expire", k, 100), 1);
      assert.equal(await c.call("ttl", k), 100);
      assert.equal(await c.call("persist", k), 1);
      assert.equal(await c.call("copy", k, `${k}:c`), 1);
      assert.equal(await c.call("rename", `${k}:c`, `${k}:r`), "OK");
      assert.equal(await c.call("move", `${k}:r`, 1), 1);
      assert.equal(await c.call("touch", k), 1);
      assert.equal(typeof (await c.call("object", "encoding", k)), "string");
      assert.equal(typeof (await c.call("memory", "usage", k)), "number");
    }
    await c.call("select", 1);
    assert.deepEqual(((await c.call("keys", "*")) as string[]).sort(), ["h:r", "l:r", "s:r", "str:r", "z:r"]);
    assert.equal(await c.call("del", "h:r", "l:r", "s:r", "str:r", "z:r"), 5);
    await c.call("select", 0);
    assert.equal(await c.call("unlink", "l", "s", "z", "h", "str"), 5);
    assert.equal(s.server.store.dbs[0].size, 0);
  });
});

// ---- differential: Shale against redis-server ----

const ARITY: Case = [
  ["del"],
  ["unlink"],
  ["exists"],
  ["type"],
  ["type", "a", "b"],
  ["rename", "a"],
  ["renamenx", "a", "b", "c"],
  ["touch"],
  ["randomkey", "x"],
  ["copy", "a"],
  ["move", "a"],
  ["keys"],
  ["keys", "a", "b"],
  ["scan"],
  ["expire", "k"],
  ["pexpire", "k"],
  ["expireat", "k"],
  ["pexpireat", "k"],
  ["ttl"],
  ["pttl", "a", "b"],
  ["expiretime"],
  ["pexpiretime"],
  ["persist"],
  ["object"],
  ["object", "encoding"],
  ["object", "encoding", "a", "b"],
  ["object", "help", "x"],
  ["object", "freq"],
  ["memory"],
  ["memory", "usage"],
  ["memory", "help", "x"],
];

const future = Math.floor(Date.now() / 1000) + 500;

const BASIC_CASES: Case[] = [
  [
    ["mset", "a", "1", "b", "2"],
    ["exists", "a", "b", "c", "a"],
    ["exists", "nokey"],
    ["del", "a", "a", "c"],
    ["unlink", "b", "b"],
    ["exists", "a", "b"],
    ["#seed", "list", "l", "x"],
    ["#seed", "hash", "h", "f", "v"],
    ["del", "l", "h", "nokey"],
    ["exists", "l", "h"],
  ],
  [
    ["set", "st", "v"],
    ["#seed", "list", "l", "x"],
    ["#seed", "set", "s", "x"],
    ["#seed", "zset", "z", "1", "x"],
    ["#seed", "hash", "h", "f", "v"],
    ["type", "st"],
    ["type", "l"],
    ["type", "s"],
    ["type", "z"],
    ["type", "h"],
    ["type", "nokey"],
    ["touch", "st", "l", "nokey", "st"],
    ["touch", "nokey"],
  ],
  [["randomkey"], ["set", "only", "v"], ["randomkey"], ["del", "only"], ["randomkey"]],
  [["set", "x", "1", "px", "10"], ["#sleep", 30], ["randomkey"], ["exists", "x"], ["type", "x"]],
];

const RENAME_CASES: Case[] = [
  [
    ["rename", "nokey", "x"],
    ["renamenx", "nokey", "x"],
    ["rename", "nokey", "nokey"],
    ["renamenx", "nokey", "nokey"],
    ["set", "a", "1"],
    ["rename", "a", "a"],
    ["renamenx", "a", "a"],
    ["rename", "a", "b"],
    ["get", "a"],
    ["get", "b"],
    ["set", "a", "2", "ex", "100"],
    ["rename", "a", "b"],
    ["ttl", "b"],
    ["get", "b"],
    ["renamenx", "b", "c"],
    ["ttl", "c"],
    ["set", "d", "1"],
    ["renamenx", "c", "d"],
    ["get", "d"],
    ["rename", "c", "d"],
    ["get", "d"],
    ["ttl", "d"],
    ["set", "e", "1"],
    ["set", "f", "2", "ex", "100"],
    ["rename", "e", "f"],
    ["ttl", "f"],
  ],
  [
    ["#seed", "list", "l", "a", "b", "c"],
    ["rename", "l", "l2"],
    ["#dump", "l2"],
    ["type", "l"],
    ["set", "st", "v"],
    ["rename", "l2", "st"],
    ["#dump", "st"],
    ["#seed", "zset", "z", "1", "a", "2", "b"],
    ["expire", "z", "100"],
    ["renamenx", "z", "z2"],
    ["ttl", "z2"],
    ["#dump", "z2"],
    ["#seed", "hash", "h", "f", "v", "g", "w"],
    ["rename", "h", "z2"],
    ["ttl", "z2"],
    ["#dump", "z2"],
    ["#seed", "set", "s", "1", "2"],
    ["rename", "s", Buffer.from([0, 255])],
    ["#dump", Buffer.from([0, 255])],
  ],
];

const COPY_MOVE_CASES: Case[] = [
  [
    ["set", "a", "v"],
    ["copy", "a", "b"],
    ["copy", "a", "b"],
    ["set", "a", "w"],
    ["copy", "a", "b", "replace"],
    ["get", "b"],
    ["copy", "a", "a"],
    ["copy", "a", "a", "REPLACE"],
    ["copy", "a", "a", "db", "0"],
    ["copy", "a", "a", "db", "1"],
    ["copy", "a", "a", "db", "1"],
    ["copy", "a", "a", "db", "1", "replace", "replace"],
    ["copy", "a", "b", "db", "16"],
    ["copy", "a", "b", "db", "-1"],
    ["copy", "a", "b", "db", "x"],
    ["copy", "a", "b", "db", "99999999999"],
    ["copy", "a", "b", "foo"],
    ["copy", "a", "b", "db"],
    ["copy", "nokey", "x"],
    ["copy", "nokey", "x", "db", "99"],
    ["copy", "nokey", "nokey"],
    ["select", "1"],
    ["get", "a"],
    ["select", "0"],
    ["set", "t", "1", "ex", "100"],
    ["copy", "t", "t2"],
    ["ttl", "t2"],
    ["copy", "t", "t3", "db", "2"],
    ["select", "2"],
    ["ttl", "t3"],
    ["select", "0"],
  ],
  [
    ["#seed", "list", "l", "a", "b"],
    ["#seed", "set", "s", "1", "2", "x"],
    ["#seed", "zset", "z", "1", "a", "2.5", "b"],
    ["#seed", "hash", "h", "f", "v"],
    ["set", "str", "v"],
    ["copy", "l", "l2"],
    ["#dump", "l2"],
    ["copy", "s", "str"],
    ["copy", "s", "str", "replace"],
    ["#dump", "str"],
    ["copy", "z", "z2", "db", "1"],
    ["copy", "h", "h2"],
    ["#dump", "h2"],
    ["select", "1"],
    ["#dump", "z2"],
    ["type", "z2"],
  ],
  [
    ["set", "a", "1"],
    ["move", "a", "1"],
    ["exists", "a"],
    ["move", "a", "1"],
    ["select", "1"],
    ["get", "a"],
    ["move", "a", "0"],
    ["select", "0"],
    ["get", "a"],
    ["select", "1"],
    ["set", "a", "2"],
    ["select", "0"],
    ["move", "a", "1"],
    ["get", "a"],
    ["move", "a", "0"],
    ["move", "a", "16"],
    ["move", "a", "-1"],
    ["move", "a", "x"],
    ["move", "a", "99999999999"],
    ["move", "a", "2147483648"],
    ["move", "nokey", "0"],
    ["move", "nokey", "1"],
    ["set", "t", "1", "ex", "100"],
    ["move", "t", "2"],
    ["select", "2"],
    ["ttl", "t"],
    ["#seed", "hash", "h", "f", "v"],
    ["move", "h", "3"],
    ["select", "3"],
    ["#dump", "h"],
  ],
];

const KEYS_CASES: Case[] = [
  [
    ["keys", "*"],
    ["mset", "foo", "1", "foobar", "2", "bar", "3", "f?o", "4", "FOO", "5"],
    ["#sorted", "keys", "*"],
    ["#sorted", "keys", "f*"],
    ["#sorted", "keys", "f?o"],
    ["#sorted", "keys", "f\\?o"],
    ["#sorted", "keys", "[fb]*"],
    ["#sorted", "keys", "[^f]*"],
    ["#sorted", "keys", "*o"],
    ["#sorted", "keys", "*O*"],
    ["keys", "nomatch"],
    ["set", "", "empty"],
    ["#sorted", "keys", "*"],
    ["#sorted", "keys", "**"],
    ["#sorted", "keys", ""],
    ["#seed", "list", "flist", "x"],
    ["#sorted", "keys", "f*"],
  ],
  [
    ["set", "x", "1", "px", "10"],
    ["set", "y", "1"],
    ["#sleep", 30],
    ["keys", "*"],
  ],
];

function manyKeys(n: number): CaseStep {
  const args: string[] = ["mset"];
  for (let i = 0; i < n; i++) args.push(`key:${i}`, `${i}`);
  return args;
}

const SCAN_CASES: Case[] = [
  [
    ["scan", "0"],
    ["scan", ""],
    ["scan", "-1"],
    ["scan", "+5"],
    ["scan", "-0"],
    ["scan", " 1"],
    ["scan", "1 "],
    ["scan", "abc"],
    ["scan", "0x1"],
    ["scan", "-"],
    ["scan", "18446744073709551616"],
    ["scan", "18446744073709551615"],
    ["scan", "99999999999999999999999"],
    ["scan", "0", "count", "0"],
    ["scan", "0", "count", "-1"],
    ["scan", "0", "count", "abc"],
    ["scan", "0", "count", "9223372036854775808"],
    ["scan", "0", "count"],
    ["scan", "0", "match"],
    ["scan", "0", "type"],
    ["scan", "0", "foo", "bar"],
    ["scan", "abc", "foo"],
    ["scan", "0", "count", "5", "foo"],
    ["scan", "0", "MATCH", "*", "COUNT", "10", "TYPE", "string"],
  ],
  [
    ["mset", "a", "1", "b", "2", "c", "3"],
    ["#sorted", "scan", "0"],
    ["#sorted", "scan", "0", "match", "a"],
    ["#sorted", "scan", "0", "match", "*"],
    ["#sorted", "scan", "0", "type", "list"],
    ["#sorted", "scan", "0", "type", "foo"],
    ["#sorted", "scan", "0", "type", "STRING", "count", "100"],
  ],
  [
    manyKeys(1000),
    ["#seed", "list", "l", "x"],
    ["#seed", "set", "s", "x"],
    ["#seed", "zset", "z", "1", "x"],
    ["#seed", "hash", "h", "f", "v"],
    ["#scanall"],
    ["#scanall", "count", "7"],
    ["#scanall", "count", "1000"],
    ["#scanall", "match", "key:1*"],
    ["#scanall", "match", "key:?", "count", "3"],
    ["#scanall", "type", "string", "match", "*9"],
    ["#scanall", "type", "list"],
    ["#scanall", "type", "set"],
    ["#scanall", "type", "zset"],
    ["#scanall", "type", "hash"],
    ["#scanall", "type", "none"],
  ],
];

const EXPIRE_CASES: Case[] = [
  [
    ["expire", "nokey", "10"],
    ["expire", "nokey", "abc"],
    ["expire", "nokey", "10", "foo"],
    ["set", "k", "v"],
    ["expire", "k", "100"],
    ["ttl", "k"],
    ["pexpire", "k", "200000"],
    ["ttl", "k"],
    ["#approx", "pttl", "k"],
    ["expireat", "k", future],
    ["#approx", "ttl", "k"],
    ["expiretime", "k"],
    ["pexpiretime", "k"],
    ["pexpireat", "k", future * 1000 + 499],
    ["expiretime", "k"],
    ["pexpireat", "k", future * 1000 + 500],
    ["expiretime", "k"],
    ["pexpiretime", "k"],
    ["pttl", "nokey"],
    ["expiretime", "nokey"],
    ["set", "p", "v"],
    ["ttl", "p"],
    ["pttl", "p"],
    ["expiretime", "p"],
    ["pexpiretime", "p"],
  ],
  [
    ["set", "k", "v"],
    ["expire", "k", "100", "xx"],
    ["expire", "k", "100", "gt"],
    ["ttl", "k"],
    ["expire", "k", "100", "nx"],
    ["ttl", "k"],
    ["expire", "k", "200", "nx"],
    ["expire", "k", "200", "xx"],
    ["ttl", "k"],
    ["expire", "k", "300", "gt"],
    ["ttl", "k"],
    ["expire", "k", "100", "gt"],
    ["expire", "k", "400", "lt"],
    ["expire", "k", "50", "lt"],
    ["ttl", "k"],
    ["expire", "k", "50", "lt"],
    ["persist", "k"],
    ["expire", "k", "50", "lt"],
    ["ttl", "k"],
    ["persist", "k"],
    ["expire", "k", "50", "xx", "gt"],
    ["expire", "k", "50", "LT", "XX"],
    ["ttl", "k"],
    ["expire", "k", "10", "nx", "nx"],
    ["pexpire", "k", "100", "foo"],
    ["expire", "k", "100", "FoO"],
    ["expire", "k", "100", "nx", "xx"],
    ["expire", "k", "100", "nx", "gt"],
    ["expire", "k", "100", "lt", "nx"],
    ["expire", "k", "100", "gt", "lt"],
    ["expire", "k", "100", "gt", "lt", "nx"],
    ["expire", "k", "100", "nx", "foo"],
    ["expire", "k", "abc", "nx", "xx"],
    ["expire", "k", "abc"],
    ["expire", "k", "1.5"],
    ["expire", "k", ""],
  ],
  [
    ["set", "k", "v"],
    ["expire", "k", "9223372036854776"],
    ["expire", "k", "-9223372036854776"],
    ["expire", "k", "9223372036854775"],
    ["pexpire", "k", "9223372036854775807"],
    ["expireat", "k", "9223372036854775807"],
    ["pexpire", "k", "-9223372036854775808"],
    ["exists", "k"],
    ["set", "k", "v"],
    ["pexpireat", "k", "9223372036854775807"],
    ["exists", "k"],
    ["set", "k", "v"],
    ["expireat", "k", "-9223372036854775"],
    ["exists", "k"],
  ],
  [
    ["set", "k", "v"],
    ["expire", "k", "0"],
    ["exists", "k"],
    ["set", "k", "v"],
    ["expire", "k", "-1"],
    ["exists", "k"],
    ["set", "k", "v"],
    ["pexpireat", "k", "1"],
    ["get", "k"],
    ["set", "k", "v"],
    ["expireat", "k", "0"],
    ["ttl", "k"],
    ["set", "k", "v", "ex", "100"],
    ["expire", "k", "-5", "lt"],
    ["exists", "k"],
    ["set", "k", "v", "ex", "100"],
    ["expire", "k", "-5", "gt"],
    ["exists", "k"],
  ],
  [
    ["#seed", "list", "l", "x"],
    ["#seed", "hash", "h", "f", "v"],
    ["expire", "l", "100"],
    ["ttl", "l"],
    ["pexpire", "h", "5000"],
    ["ttl", "h"],
    ["persist", "h"],
    ["ttl", "h"],
    ["persist", "h"],
    ["persist", "nokey"],
    ["expire", "l", "0"],
    ["type", "l"],
  ],
  [
    ["set", "k", "v", "px", "10"],
    ["#sleep", 30],
    ["ttl", "k"],
    ["pttl", "k"],
    ["persist", "k"],
    ["expire", "k", "10"],
  ],
];

function longString(n: number): string {
  return "x".repeat(n);
}

const OBJECT_CASES: Case[] = [
  [
    ["object", "encoding", "nokey"],
    ["object", "refcount", "nokey"],
    ["object", "idletime", "nokey"],
    ["object", "freq", "nokey"],
    ["set", "k", "123"],
    ["object", "encoding", "k"],
    ["object", "refcount", "k"],
    ["set", "k", "-9223372036854775808"],
    ["object", "encoding", "k"],
    ["object", "refcount", "k"],
    ["set", "k", "9223372036854775808"],
    ["object", "encoding", "k"],
    ["set", "k", "9999"],
    ["object", "refcount", "k"],
    ["set", "k", "10000"],
    ["object", "refcount", "k"],
    ["set", "k", "0"],
    ["object", "refcount", "k"],
    ["set", "k", "-1"],
    ["object", "refcount", "k"],
    ["set", "k", "abc"],
    ["object", "encoding", "k"],
    ["object", "refcount", "k"],
    ["set", "k", ""],
    ["object", "encoding", "k"],
    ["set", "k", " 1"],
    ["object", "encoding", "k"],
    ["set", "k", "01"],
    ["object", "encoding", "k"],
    ["set", "k", longString(44)],
    ["object", "encoding", "k"],
    ["set", "k", longString(45)],
    ["object", "encoding", "k"],
    ["incr", "n"],
    ["object", "encoding", "n"],
    ["mset", "m", "42", "m2", "hello"],
    ["object", "encoding", "m"],
    ["object", "encoding", "m2"],
    ["incrbyfloat", "fl", "1.5"],
    ["object", "encoding", "fl"],
    ["object", "freq", "k"],
    ["object", "idletime", "k"],
  ],
  [
    ["#seed", "list", "l", "a", "b"],
    ["object", "encoding", "l"],
    ["object", "refcount", "l"],
    ["#seed", "set", "si", "1", "2", "-3"],
    ["object", "encoding", "si"],
    ["#seed", "set", "ss", "1", "a"],
    ["object", "encoding", "ss"],
    ["#seed", "set", "sbig", ...Array.from({ length: 513 }, (_, i) => String(i))],
    ["object", "encoding", "sbig"],
    ["#seed", "set", "s512", ...Array.from({ length: 512 }, (_, i) => String(i))],
    ["object", "encoding", "s512"],
    ["#seed", "zset", "z", "1", "a", "2", "b"],
    ["object", "encoding", "z"],
    ["#seed", "zset", "zlong", "1", longString(65)],
    ["object", "encoding", "zlong"],
    ["#seed", "zset", "z64", "1", longString(64)],
    ["object", "encoding", "z64"],
    ["#seed", "zset", "zbig", ...Array.from({ length: 129 }, (_, i) => [String(i), `m${i}`]).flat()],
    ["object", "encoding", "zbig"],
    ["#seed", "zset", "z128", ...Array.from({ length: 128 }, (_, i) => [String(i), `m${i}`]).flat()],
    ["object", "encoding", "z128"],
    ["#seed", "hash", "h", "f", "v"],
    ["object", "encoding", "h"],
    ["#seed", "hash", "hlong", "f", longString(65)],
    ["object", "encoding", "hlong"],
    ["#seed", "hash", "hbig", ...Array.from({ length: 513 }, (_, i) => [`f${i}`, "v"]).flat()],
    ["object", "encoding", "hbig"],
    ["#seed", "hash", "h100", ...Array.from({ length: 100 }, (_, i) => [`f${i}`, "v"]).flat()],
    ["object", "encoding", "h100"],
  ],
  [
    ["object", "foo"],
    ["object", "foo", "bar"],
    ["oBjEcT", "fOo"],
    ["object", longString(200)],
    ["object", "help"],
    ["object", "HELP"],
    ["memory", "help"],
    ["memory", "foo"],
    ["memory", "doctorx", "a"],
    ["memory", "usage", "nokey"],
    ["memory", "usage", "nokey", "samples", "5"],
    ["memory", "usage", "nokey", "samples", "-1"],
    ["memory", "usage", "nokey", "samples", "x"],
    ["memory", "usage", "nokey", "samples"],
    ["memory", "usage", "nokey", "foo"],
    ["memory", "usage", "nokey", "samples", "0", "samples", "2"],
    ["set", "k", "v"],
    ["#type", "memory", "usage", "k"],
    ["#type", "memory", "usage", "k", "samples", "0"],
    ["#seed", "list", "l", "a"],
    ["#type", "memory", "usage", "l"],
  ],
];

caseSuite("keys: differential against redis-server 7.0", [
  ["wrong arity", [ARITY]],
  ["DEL, UNLINK, EXISTS, TYPE, TOUCH, RANDOMKEY", BASIC_CASES],
  ["RENAME, RENAMENX", RENAME_CASES],
  ["COPY, MOVE", COPY_MOVE_CASES],
  ["KEYS", KEYS_CASES],
  ["SCAN", SCAN_CASES],
  ["EXPIRE family, TTL family, PERSIST", EXPIRE_CASES],
  ["OBJECT, MEMORY", OBJECT_CASES],
]);

describe("keys: differential under an LFU policy", () => {
  it("OBJECT FREQ and IDLETIME", async (t) => {
    const redis = await startRedis(["--maxmemory-policy", "allkeys-lfu"]);
    if (redis === null) {
      t.skip("redis-server is not installed");
      return;
    }
    const shale = await startShale({ "maxmemory-policy": "allkeys-lfu" });
    const a = await connectSide(shale.port, 2, shale.server);
    const b = await connectSide(redis.port, 2, null);
    try {
      await differential(a, b, [
        [
          ["set", "k", "v"],
          ["object", "freq", "k"],
          ["object", "idletime", "k"],
          ["object", "freq", "nokey"],
          ["set", "n", "5"],
          ["object", "refcount", "n"],
        ],
      ]);
    } finally {
      a.client.close();
      b.client.close();
      await shale.close();
      await redis.close();
    }
  });
});
