// Tests of the hash commands: behaviour against a Shale server, and a differential section that
// sends the same command sequences to Shale and to a real redis-server 7.0 and compares the raw
// replies byte for byte, in RESP2 and RESP3. Where Redis's reply order is unspecified (HGETALL,
// HKEYS, HVALS, HSCAN of a hash past the listpack limits, which Redis keeps in a hashtable ordered
// by a per-process random hash seed) replies are compared as sorted pairs; random replies
// (HRANDFIELD with count < size) are compared by shape.

import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import { T_HASH } from "../../../cache/entry.js";
import type { HashValue } from "../../../cache/hash.js";
import { runSequence, type Step, useServers, withPair } from "../diff-testing.js";
import { type RespTestClient as Conn, RespTestClient, startShale } from "../testing.js";

// ---- the sequences ----

const LONG = "x".repeat(65);

const SEQUENCES: Record<string, Step[]> = {
  basics: [
    "HSET $h a 1 b 2 c 3",
    "HGET $h a",
    "HGET $h z",
    "HGET $none a",
    "HMGET $h a z b",
    "HMGET $none a b",
    "HGETALL $h",
    "HKEYS $h",
    "HVALS $h",
    "HLEN $h",
    "HLEN $none",
    "HEXISTS $h a",
    "HEXISTS $h z",
    "HEXISTS $none a",
    "HSTRLEN $h a",
    "HSTRLEN $h z",
    "HSTRLEN $none z",
    "HGETALL $none",
    "HKEYS $none",
    "HVALS $none",
    "HSET $h a 10 d 4",
    "HGETALL $h",
    "HDEL $h b z",
    "HDEL $none a",
    "HGETALL $h",
    "HSET $h b 5",
    "HGETALL $h",
    "HKEYS $h",
    "HVALS $h",
    "HSET $h dup 1 dup 2",
    "HGET $h dup",
    "HDEL $h a c d b dup a",
    "HLEN $h",
    "HGETALL $h",
    "SET $h nowgone NX",
    "GET $h",
  ],
  hmset_hsetnx: [
    "HMSET $h a 1 b 2",
    "HMSET $h a 3",
    "HGETALL $h",
    "HSETNX $h a 9",
    "HSETNX $h n 9",
    "HSETNX $new f v",
    "HGETALL $h",
    "HGETALL $new",
  ],
  arity: [
    "HSET $h a",
    "HSET $h a 1 b",
    "HSET $h",
    "HMSET $h a 1 b",
    "HMSET $h a",
    "HSETNX $h a",
    "HSETNX $h a 1 2",
    "HGET $h",
    "HGET $h a b",
    "HMGET $h",
    "HGETALL",
    "HGETALL $h x",
    "HKEYS",
    "HVALS",
    "HLEN",
    "HEXISTS $h",
    "HSTRLEN $h",
    "HDEL $h",
    "HINCRBY $h a",
    "HINCRBY $h a 1 2",
    "HINCRBYFLOAT $h a",
    "HRANDFIELD",
    "HSCAN $h",
    "HSET $h a 1",
    "HSET $h a",
    "HGET $h a",
  ],
  wrongtype: [
    "SET $s v",
    "HSET $s a 1",
    "HSET $s a",
    "HMSET $s a 1",
    "HSETNX $s a 1",
    "HGET $s a",
    "HMGET $s a",
    "HGETALL $s",
    "HKEYS $s",
    "HVALS $s",
    "HLEN $s",
    "HEXISTS $s a",
    "HSTRLEN $s a",
    "HDEL $s a",
    "HINCRBY $s a 1",
    "HINCRBY $s a x",
    "HINCRBYFLOAT $s a 1",
    "HINCRBYFLOAT $s a x",
    "HINCRBYFLOAT $s a inf",
    "HRANDFIELD $s",
    "HRANDFIELD $s 2",
    "HRANDFIELD $s x",
    "HRANDFIELD $s 2 WITHVALUES",
    "HRANDFIELD $s 2 bad",
    "HSCAN $s 0",
    "HSCAN $s x",
    "HSCAN $s 0 COUNT 0",
    "GET $s",
  ],
  hincrby: [
    "HINCRBY $h n 5",
    "HINCRBY $h n -7",
    "HGET $h n",
    "HINCRBY $new n 1",
    ["HSET", "$h", "s", "abc", "f", "1.5", "sp", " 1", "lz", "007", "neg0", "-0", "e", ""],
    "HINCRBY $h s 1",
    "HINCRBY $h f 1",
    "HINCRBY $h sp 1",
    "HINCRBY $h lz 1",
    "HINCRBY $h neg0 1",
    "HINCRBY $h e 1",
    "HINCRBY $h n 1.0",
    "HINCRBY $h n abc",
    "HINCRBY $h n ''",
    "HINCRBY $h n 9223372036854775808",
    "HINCRBY $h n +1",
    "HINCRBY $h n 01",
    "HSET $h max 9223372036854775807 min -9223372036854775808",
    "HINCRBY $h max 1",
    "HINCRBY $h max 0",
    "HINCRBY $h min -1",
    "HINCRBY $h min 1",
    "HINCRBY $h max -9223372036854775808",
    "HINCRBY $h big 9007199254740993",
    "HINCRBY $h big 9007199254740993",
    "HGET $h big",
    "HINCRBY $h big -18014398509481986",
    "HGET $h min",
    "HGETALL $h",
  ],
  hincrbyfloat: [
    "HINCRBYFLOAT $h f 10.5",
    "HINCRBYFLOAT $h f 0.1",
    "HINCRBYFLOAT $h f -5",
    "HINCRBYFLOAT $h g 1e3",
    "HINCRBYFLOAT $h g 5.0e3",
    "HINCRBYFLOAT $h i 3",
    "HINCRBYFLOAT $h i 0.000001",
    "HINCRBYFLOAT $h f abc",
    "HINCRBYFLOAT $h f ''",
    "HINCRBYFLOAT $h f inf",
    "HINCRBYFLOAT $h f -inf",
    "HINCRBYFLOAT $h f nan",
    "HINCRBYFLOAT $h f 0x10",
    ["HSET", "$h", "s", "abc", "big", "1.7e308", "sp", " 1", "tab", "1\t"],
    "HINCRBYFLOAT $h s 1",
    "HINCRBYFLOAT $h sp 1",
    "HINCRBYFLOAT $h tab 1",
    "HINCRBYFLOAT $h big 1.7e308",
    "HINCRBYFLOAT $h big -1e308",
    "HINCRBYFLOAT $new x 2.5",
    "HINCRBYFLOAT $none x abc",
    "%HGETALL $h",
    "HGETALL $new",
    "SET $none x NX",
  ],
  hrandfield: [
    "HRANDFIELD $none",
    "HRANDFIELD $none 3",
    "HRANDFIELD $none -3 WITHVALUES",
    "HRANDFIELD $none 0",
    "HSET $h a 1 b 2 c 3",
    "HRANDFIELD $h 0",
    "HRANDFIELD $h 0 WITHVALUES",
    "HRANDFIELD $h 3",
    "HRANDFIELD $h 10",
    "HRANDFIELD $h 10 WITHVALUES",
    "HRANDFIELD $h 10 withvalues",
    "HRANDFIELD $h 4611686018427387903 WITHVALUES",
    "HRANDFIELD $h 9223372036854775807",
    "?HRANDFIELD $h",
    "?HRANDFIELD $h 1",
    "?HRANDFIELD $h 1 WITHVALUES",
    "?HRANDFIELD $h 2",
    "?HRANDFIELD $h 2 WITHVALUES",
    "?HRANDFIELD $h -5",
    "?HRANDFIELD $h -5 WITHVALUES",
    "HRANDFIELD $h abc",
    "HRANDFIELD $h 1.5",
    "HRANDFIELD $h -9223372036854775808",
    "HRANDFIELD $h -9223372036854775808 WITHVALUES",
    "HRANDFIELD $h 9223372036854775808",
    "HRANDFIELD $h 2 WITHVALUE",
    "HRANDFIELD $h 2 WITHVALUES x",
    "HRANDFIELD $h abc WITHVALUES x",
    "HRANDFIELD $h 4611686018427387904 WITHVALUES",
    "HRANDFIELD $h -4611686018427387904 WITHVALUES",
    "HRANDFIELD $h -4611686018427387903 WITHVALUES x",
    "HRANDFIELD $none 4611686018427387904 WITHVALUES",
  ],
  hscan_small: [
    "HSCAN $none 0",
    "HSCAN $none 0 COUNT 0",
    "HSCAN $none 0 BAD",
    "HSCAN $none x",
    "HSET $h f1 a f2 b g1 c '' e",
    "HSCAN $h 0",
    "HSCAN $h 0 COUNT 1",
    "HSCAN $h 7",
    "HSCAN $h 0 MATCH f*",
    "HSCAN $h 0 MATCH *",
    "HSCAN $h 0 MATCH ?*",
    "HSCAN $h 0 MATCH f* MATCH g*",
    "HSCAN $h 0 match [fg]1 count 5",
    "HSCAN $h 0 MATCH zz",
    "HSCAN $h 0 COUNT 0",
    "HSCAN $h 0 COUNT -1",
    "HSCAN $h 0 COUNT abc",
    "HSCAN $h 0 COUNT",
    "HSCAN $h 0 MATCH",
    "HSCAN $h 0 TYPE hash",
    "HSCAN $h 0 NOVALUES",
    "HSCAN $h abc",
    "HSCAN $h -1",
    "HSCAN $h +0",
    "HSCAN $h ''",
    "HSCAN $h ' 0'",
    "HSCAN $h 0x",
    "HSCAN $h +",
    "HSCAN $h 18446744073709551615",
    "HSCAN $h 18446744073709551616",
    "HSCAN $h -18446744073709551616",
    "HSCAN $h -18446744073709551615",
    ["HSCAN", "$h", "0\u0000abc"],
    ["HSCAN", "$h", "\u0000"],
    ["HSCAN", "$h", "x\u00000"],
  ],
  binary: [
    ["HSET", "$h", "\u0000\u00ff", "v\r\n", "", "", "caf\u00e9", "\u0001"],
    "HGETALL $h",
    ["HGET", "$h", "\u0000\u00ff"],
    ["HSTRLEN", "$h", "caf\u00e9"],
    "HSCAN $h 0 MATCH ''",
    ["HEXISTS", "$h", ""],
    ["HDEL", "$h", ""],
    "HKEYS $h",
  ],
  listpack_limits: [
    // 64 bytes keeps the listpack (insertion order, one-step HSCAN); past the limits order is Redis's own.
    ["HSET", "$h", "a", "x".repeat(64), "b", "2", "c", "3"],
    "HGETALL $h",
    "HSCAN $h 0 COUNT 1",
    ["HSET", "$long", "a", "1", "b", LONG, "c", "3"],
    "%HGETALL $long",
    "~HKEYS $long",
    "~HVALS $long",
    "HLEN $long",
    ["HSET", "$longf", LONG, "1", "b", "2"],
    "%HGETALL $longf",
    "HINCRBYFLOAT $viaincr f 1e300",
    "%HGETALL $viaincr",
    "HSET $viaincr g 1",
    "%HSCAN $viaincr 0 COUNT 100",
    // 128 fields is still a listpack: whole and in insertion order; the 129th converts it.
    ["HSET", "$n128", ...Array.from({ length: 256 }, (_, i) => (i % 2 === 0 ? `k${255 - i}` : `${i}`))],
    "HSCAN $n128 0 COUNT 2",
    "HGETALL $n128",
    "HSET $n128 one more",
    "HLEN $n128",
    "%HSCAN $n128 0 COUNT 1000",
  ],
};

describe("hash commands (Shale)", () => {
  let shale: Awaited<ReturnType<typeof startShale>>;
  let c: RespTestClient;
  before(async () => {
    shale = await startShale();
    c = await RespTestClient.connect(shale.port);
  });
  after(async () => {
    c.close();
    await shale.close();
  });

  it("stores a HashValue and deletes the key when emptied", async () => {
    assert.equal(await c.call("HSET", "u:h", "a", "1", "b", "2"), 2);
    const db = shale.server.store.dbs[0];
    const k = Buffer.from("u:h");
    const h = db.lookup(k, 0, k.length);
    assert.equal(db.type(h), T_HASH);
    assert.equal(db.object<HashValue>(h).size, 2);
    assert.equal(await c.call("HDEL", "u:h", "a", "b", "c"), 2);
    assert.equal(db.lookup(k, 0, k.length), 0);
  });

  it("keeps used_memory up to date", async () => {
    const store = shale.server.store;
    const before0 = store.usedMemory();
    const args: string[] = [];
    for (let i = 0; i < 500; i++) args.push(`field:${i}`, "v".repeat(40));
    await c.call("HSET", "u:mem", ...args);
    const grown = store.usedMemory();
    assert.ok(grown - before0 > 500 * 40, `grew by ${grown - before0}`);
    await c.call("HSET", "u:mem", "field:1", "w".repeat(5000));
    const peak = store.usedMemory();
    assert.ok(peak > grown + 4000, `a 5000-byte value (and the conversion) adds ${peak - grown}`);
    const fields = args.filter((_, i) => i % 2 === 0);
    await c.call("HDEL", "u:mem", ...fields.slice(0, 250));
    const shrunk = store.usedMemory();
    assert.ok(shrunk < peak - 250 * 40, `deleting 250 fields frees ${peak - shrunk}`);
    await c.call("HDEL", "u:mem", ...fields.slice(250));
    assert.ok(store.usedMemory() <= before0 + 64, `${store.usedMemory()} vs ${before0}`);
  });

  it("counts changes only for writes that change something", async () => {
    const store = shale.server.store;
    await c.call("HSET", "u:d", "a", "1");
    let d = store.dirty;
    await c.call("HGET", "u:d", "a");
    await c.call("HDEL", "u:d", "zz");
    await c.call("HSETNX", "u:d", "a", "2");
    assert.equal(store.dirty, d);
    await c.call("HSET", "u:d", "b", "2");
    assert.ok(store.dirty > d);
    d = store.dirty;
    await c.call("HINCRBY", "u:d", "a", "1");
    assert.ok(store.dirty > d);
  });

  it("reads an expired hash as absent", async () => {
    await c.call("HSET", "u:exp", "a", "1");
    const db = shale.server.store.dbs[0];
    const k = Buffer.from("u:exp");
    db.setExpire(db.lookup(k, 0, k.length), Date.now() + 30);
    await new Promise((r) => setTimeout(r, 60));
    assert.equal(await c.call("HGET", "u:exp", "a"), null);
    assert.equal(await c.call("HLEN", "u:exp"), 0);
    assert.equal(await c.call("HSETNX", "u:exp", "a", "2"), 1);
    assert.equal(shale.server.store.dbs[0].expireAt(db.lookup(k, 0, k.length)), -1);
  });

  it("HSCAN of a large hash returns every field once, over several calls", async () => {
    const args: string[] = [];
    for (let i = 0; i < 1000; i++) args.push(`f${i}`, `v${i}`);
    await c.call("HSET", "u:big", ...args);
    const seen = new Map<string, string>();
    let cursor = "0";
    let calls = 0;
    do {
      const r = (await c.call("HSCAN", "u:big", cursor, "COUNT", "50")) as [string, string[]];
      cursor = r[0];
      for (let i = 0; i < r[1].length; i += 2) {
        assert.ok(!seen.has(r[1][i]), `repeat ${r[1][i]}`);
        seen.set(r[1][i], r[1][i + 1]);
      }
      calls++;
    } while (cursor !== "0");
    assert.equal(seen.size, 1000);
    assert.equal(calls, 20);
    assert.equal(seen.get("f7"), "v7");
  });

  it("HRANDFIELD picks fields that exist, distinct for a positive count", async () => {
    await c.call("HSET", "u:r", "a", "1", "b", "2", "c", "3", "d", "4");
    const got = (await c.call("HRANDFIELD", "u:r", "3", "WITHVALUES")) as string[];
    assert.equal(got.length, 6);
    const fields = new Set<string>();
    for (let i = 0; i < 6; i += 2) {
      assert.equal(got[i + 1], String(" abcd".indexOf(got[i])));
      fields.add(got[i]);
    }
    assert.equal(fields.size, 3);
    const rep = (await c.call("HRANDFIELD", "u:r", "-20")) as string[];
    assert.equal(rep.length, 20);
    for (const f of rep) assert.ok("abcd".includes(f));
    const one = await c.call("HRANDFIELD", "u:r");
    assert.ok(typeof one === "string" && "abcd".includes(one));
  });
});

describe("hash commands: differential against redis-server 7.0", () => {
  const servers = useServers();

  for (const proto of [2, 3] as const) {
    for (const [name, steps] of Object.entries(SEQUENCES)) {
      it(`RESP${proto} ${name}`, (t) =>
        withPair(t, servers, proto, (pair) => runSequence(pair, name, steps, `d:${proto}:${name}:`)));
    }

    it(`RESP${proto} a hash past the listpack limits: full HSCAN iterations and HRANDFIELD agree`, async (t) => {
      const k = `d:${proto}:big`;
      await withPair(t, servers, proto, async (pair) => {
        const args: string[] = [];
        for (let i = 0; i < 300; i++) args.push(`f${i}`, `v${i}`);
        await runSequence(pair, "big", [["HSET", k, ...args], `HLEN ${k}`, `%HGETALL ${k}`, `~HKEYS ${k}`], "");
        await runSequence(pair, "big", [`%HSCAN ${k} 0 COUNT 1000`, `%HRANDFIELD ${k} 300 WITHVALUES`], "");
        await runSequence(pair, "big", [`?HRANDFIELD ${k} 299 WITHVALUES`, `?HRANDFIELD ${k} -3`], "");
        for (const opts of [[], ["COUNT", "7"], ["MATCH", "f1*"], ["MATCH", "*9", "COUNT", "3"]]) {
          const collect = async (conn: Conn): Promise<Map<string, string>> => {
            const out = new Map<string, string>();
            let cursor = "0";
            let calls = 0;
            do {
              const r = (await conn.call("HSCAN", k, cursor, ...opts)) as [string, string[]];
              cursor = r[0];
              for (let i = 0; i < r[1].length; i += 2) out.set(r[1][i], r[1][i + 1]);
              assert.ok(++calls < 10000);
            } while (cursor !== "0");
            return out;
          };
          const [s, r] = await Promise.all([collect(pair.shale), collect(pair.redis)]);
          assert.deepEqual(
            [...s].sort((p, q) => (p[0] < q[0] ? -1 : 1)),
            [...r].sort((p, q) => (p[0] < q[0] ? -1 : 1)),
            opts.join(" "),
          );
        }
      });
    });
  }
});
