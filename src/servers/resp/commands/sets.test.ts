// Tests of the set commands: behaviour against a Shale server, and a differential section that
// sends the same command sequences to Shale and to a real redis-server 7.0 and compares the raw
// replies byte for byte, in RESP2 and RESP3. Redis 7.0 replies an intset (at most 512 integers)
// sorted, and Shale does the same, so those replies are compared exactly; any other set is a
// hashtable whose order comes from a per-process random hash seed, so those replies are compared
// sorted. Random replies (SPOP, SRANDMEMBER with count < size) are compared by shape.

import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import { T_SET } from "../../../cache/entry.js";
import type { SetValue } from "../../../cache/set.js";
import { runSequence, type Step, useServers, withPair } from "../diff-testing.js";
import { type RespTestClient as Conn, RespTestClient, startShale } from "../testing.js";

// ---- the sequences ----

const INTS_512 = Array.from({ length: 512 }, (_, i) => String(((i * 7919) % 1000) - 500));
const INTS_513 = [...INTS_512, "100000"];

const SEQUENCES: Record<string, Step[]> = {
  basics: [
    "SADD $s a b c",
    "SADD $s a d",
    "SCARD $s",
    "SCARD $none",
    "SISMEMBER $s a",
    "SISMEMBER $s z",
    "SISMEMBER $none a",
    "SMISMEMBER $s a z d",
    "SMISMEMBER $none a b",
    "~SMEMBERS $s",
    "SMEMBERS $none",
    "SREM $s a z",
    "SREM $none a",
    "~SMEMBERS $s",
    "SREM $s b c d x",
    "SCARD $s",
    "SET $s gone NX",
    "GET $s",
  ],
  intset: [
    "SADD $i 5 3 -1 10 100 3",
    "SMEMBERS $i",
    "SSCAN $i 0",
    "SSCAN $i 0 MATCH 1*",
    "SSCAN $i 123 COUNT 1",
    "SRANDMEMBER $i 6",
    "SRANDMEMBER $i 100",
    "SADD $i 9223372036854775807 -9223372036854775808 0 9007199254740993 9007199254740992",
    "SMEMBERS $i",
    "SREM $i 0",
    "SMEMBERS $i",
    "SSCAN $i 0 MATCH *9*",
    "SADD $j 007 -0 1 +1",
    "~SMEMBERS $j",
    "SADD $k 1 2 3 a",
    "SREM $k a",
    "~SMEMBERS $k",
    "SPOP $i 100",
    "SCARD $i",
    ["SADD", "$big", ...INTS_512],
    "SMEMBERS $big",
    "SSCAN $big 0",
    "SRANDMEMBER $big 512",
    ["SADD", "$bigger", ...INTS_513],
    "~SMEMBERS $bigger",
    "SCARD $bigger",
  ],
  setops: [
    "SADD $a 1 2 3 4 5",
    "SADD $b 4 5 6 7",
    "SADD $c 5 7 9",
    "SINTER $a $b",
    "SINTER $a $b $c",
    "SINTER $a $none",
    "SINTER $none $a",
    "SINTER $a",
    "SINTER $a $a",
    "SUNION $a $b $c",
    "SUNION $a $none",
    "SUNION $none",
    "SDIFF $a $b",
    "SDIFF $a $b $c",
    "SDIFF $none $a",
    "SDIFF $a $none",
    "SDIFF $a $a",
    "SINTERSTORE $d $a $b",
    "SMEMBERS $d",
    "SUNIONSTORE $d $a $b $c",
    "SMEMBERS $d",
    "SDIFFSTORE $d $a $b",
    "SMEMBERS $d",
    "SINTERSTORE $d $a $none",
    "SET $d gone NX",
    "SDIFFSTORE $d $none",
    "SET $d2 v",
    "SUNIONSTORE $d2 $none",
    "GET $d2",
    "SUNIONSTORE $a $a $b",
    "SMEMBERS $a",
    "SET $str v",
    "SINTERSTORE $str $b $c",
    "SMEMBERS $str",
    "SADD $x a b c 1",
    "SADD $y b c d 1",
    "~SINTER $x $y",
    "~SUNION $x $y",
    "SDIFF $x $y",
    "SINTERSTORE $z $x $y",
    "~SMEMBERS $z",
    "SINTER $x $a",
    "~SUNION $x $a",
    "SDIFF $a $x $b",
    "SDIFFSTORE $z $a $x",
    "SMEMBERS $z",
  ],
  sintercard: [
    "SADD $a 1 2 3 4 5",
    "SADD $b 4 5 6 7",
    "SINTERCARD 2 $a $b",
    "SINTERCARD 2 $a $b LIMIT 1",
    "SINTERCARD 2 $a $b LIMIT 0",
    "SINTERCARD 2 $a $b limit 100",
    "SINTERCARD 1 $a",
    "SINTERCARD 2 $a $none",
    "SINTERCARD 1 $none",
    "SINTERCARD 0 $a",
    "SINTERCARD -1 $a",
    "SINTERCARD abc $a",
    "SINTERCARD 9999999999999999999999 $a",
    "SINTERCARD 3 $a $b",
    "SINTERCARD 2 $a $b LIMIT -1",
    "SINTERCARD 2 $a $b LIMIT abc",
    "SINTERCARD 2 $a $b LIMIT",
    "SINTERCARD 2 $a $b FOO 1",
    "SINTERCARD 1 $a LIMIT 1 LIMIT 2",
    "SET $str v",
    "SINTERCARD 2 $a $str",
    "SINTERCARD 2 $none $str",
    "SINTERCARD 2 $str $a LIMIT -1",
    "SINTERCARD 1",
  ],
  smove: [
    "SADD $src a b 1",
    "SADD $dst c",
    "SMOVE $src $dst a",
    "SMOVE $src $dst zz",
    "SMOVE $none $dst a",
    "SMOVE $src $new b",
    "SMEMBERS $new",
    "SMOVE $src $src 1",
    "SMOVE $src $src zz",
    "SMOVE $none $none zz",
    "SET $str v",
    "SMOVE $none $str a",
    "SMOVE $src $str 1",
    "SMOVE $str $dst a",
    "SMOVE $str $none a",
    "SMOVE $src $dst 1",
    "SET $src gone NX",
    "~SMEMBERS $dst",
    "SADD $p x",
    "SADD $q x",
    "SMOVE $p $q x",
    "SMEMBERS $q",
    "SET $p gone NX",
  ],
  spop: [
    "SPOP $none",
    "SPOP $none 2",
    "SPOP $none 0",
    "SPOP $none -1",
    "SADD $s a b c d e",
    "?SPOP $s",
    "SCARD $s",
    "?SPOP $s 2",
    "SCARD $s",
    "SPOP $s 0",
    "SPOP $s -1",
    "SPOP $s abc",
    "SPOP $s 1.5",
    "SPOP $s 1 2",
    "SPOP $s 9223372036854775808",
    "?SPOP $s 10",
    "SET $s gone NX",
    "SADD $i 3 1 2",
    "SPOP $i 3",
    "SADD $i 3 1 2",
    "SPOP $i 9223372036854775807",
    "SADD $one x",
    "SPOP $one",
    "SET $one gone NX",
  ],
  srandmember: [
    "SRANDMEMBER $none",
    "SRANDMEMBER $none 5",
    "SRANDMEMBER $none -5",
    "SRANDMEMBER $none 0",
    "SADD $r a b c",
    "?SRANDMEMBER $r",
    "?SRANDMEMBER $r 1",
    "?SRANDMEMBER $r 2",
    "?SRANDMEMBER $r -5",
    "~SRANDMEMBER $r 3",
    "~SRANDMEMBER $r 100",
    "~SRANDMEMBER $r 9223372036854775807",
    "SRANDMEMBER $r 0",
    "SRANDMEMBER $r abc",
    "SRANDMEMBER $r -9223372036854775808",
    "SRANDMEMBER $r 9223372036854775808",
    "SRANDMEMBER $r 1 2",
    "SRANDMEMBER $r abc 2",
    "SCARD $r",
  ],
  sscan: [
    "SSCAN $none 0",
    "SSCAN $none 0 COUNT 0",
    "SSCAN $none 0 BAD",
    "SSCAN $none abc",
    "SADD $s a b c",
    "~SSCAN $s 0",
    "~SSCAN $s 0 MATCH a*",
    "~SSCAN $s 0 MATCH *",
    "SSCAN $s 0 MATCH zz",
    "SSCAN $s 0 COUNT 0",
    "SSCAN $s 0 COUNT -5",
    "SSCAN $s 0 COUNT abc",
    "SSCAN $s 0 COUNT",
    "SSCAN $s 0 MATCH",
    "SSCAN $s 0 TYPE set",
    "SSCAN $s abc",
    "SSCAN $s ' 0'",
    "SSCAN $s 1.5",
    "SADD $i 10 20 30",
    "SSCAN $i -1",
    "SSCAN $i +0",
    "SSCAN $i ''",
    "SSCAN $i 99999 COUNT 1 MATCH *0",
    "SSCAN $i 18446744073709551616",
  ],
  arity: [
    "SADD $s",
    "SREM $s",
    "SMEMBERS",
    "SMEMBERS $s x",
    "SISMEMBER $s",
    "SISMEMBER $s a b",
    "SMISMEMBER $s",
    "SCARD",
    "SPOP",
    "SRANDMEMBER",
    "SMOVE $a $b",
    "SMOVE $a $b c d",
    "SINTER",
    "SINTERSTORE $d",
    "SUNION",
    "SUNIONSTORE $d",
    "SDIFF",
    "SDIFFSTORE $d",
    "SINTERCARD",
    "SSCAN $s",
  ],
  wrongtype: [
    "SET $str v",
    "SADD $str a",
    "SREM $str a",
    "SMEMBERS $str",
    "SISMEMBER $str a",
    "SMISMEMBER $str a",
    "SCARD $str",
    "SPOP $str",
    "SPOP $str 2",
    "SPOP $str -2",
    "SRANDMEMBER $str",
    "SRANDMEMBER $str 2",
    "SRANDMEMBER $str x",
    "SINTER $str",
    "SINTER $none $str",
    "SUNION $str",
    "SDIFF $str",
    "SDIFF $none $str",
    "SINTERSTORE $d $str",
    "SUNIONSTORE $d $str",
    "SDIFFSTORE $d $str",
    "SSCAN $str 0",
    "SSCAN $str x",
    "SSCAN $str 0 COUNT 0",
    "GET $str",
  ],
  binary: [
    ["SADD", "$s", "\u0000\u00ff", "", "caf\u00e9", "a\r\nb"],
    "~SMEMBERS $s",
    ["SISMEMBER", "$s", ""],
    ["SMISMEMBER", "$s", "\u0000\u00ff", "\u0000"],
    "~SSCAN $s 0 MATCH ''",
    ["SREM", "$s", "", "a\r\nb"],
    "SCARD $s",
  ],
};

describe("set commands (Shale)", () => {
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

  function setAt(name: string): SetValue | null {
    const db = shale.server.store.dbs[0];
    const k = Buffer.from(name);
    const h = db.lookup(k, 0, k.length);
    if (h === 0) return null;
    assert.equal(db.type(h), T_SET);
    return db.object<SetValue>(h);
  }

  it("stores a SetValue and deletes the key when emptied", async () => {
    assert.equal(await c.call("SADD", "u:s", "a", "b"), 2);
    assert.equal(setAt("u:s")?.size, 2);
    assert.equal(await c.call("SREM", "u:s", "a", "b"), 2);
    assert.equal(setAt("u:s"), null);
    await c.call("SADD", "u:p", "a", "b", "c");
    await c.call("SPOP", "u:p", "2");
    assert.equal(setAt("u:p")?.size, 1);
    await c.call("SPOP", "u:p");
    assert.equal(setAt("u:p"), null);
  });

  it("keeps used_memory up to date", async () => {
    const store = shale.server.store;
    const before0 = store.usedMemory();
    const members = Array.from({ length: 1000 }, (_, i) => `member:${i}:${"m".repeat(30)}`);
    await c.call("SADD", "u:mem", ...members);
    const grown = store.usedMemory();
    assert.ok(grown - before0 > 1000 * 40, `grew by ${grown - before0}`);
    await c.call("SREM", "u:mem", ...members.slice(0, 500));
    assert.ok(store.usedMemory() < grown);
    await c.call("SMOVE", "u:mem", "u:mem2", members[600]);
    await c.call("SREM", "u:mem", ...members);
    await c.call("SREM", "u:mem2", members[600]);
    assert.ok(store.usedMemory() <= before0 + 64, `${store.usedMemory()} vs ${before0}`);
  });

  it("counts changes only for writes that change something", async () => {
    const store = shale.server.store;
    await c.call("SADD", "u:d", "a");
    const d = store.dirty;
    await c.call("SADD", "u:d", "a");
    await c.call("SREM", "u:d", "zz");
    await c.call("SMOVE", "u:d", "u:d2", "zz");
    await c.call("SISMEMBER", "u:d", "a");
    assert.equal(store.dirty, d);
    await c.call("SADD", "u:d", "b");
    assert.ok(store.dirty > d);
  });

  it("SPOP and SRANDMEMBER pick members that exist", async () => {
    const all = ["a", "b", "c", "d", "e", "f"];
    await c.call("SADD", "u:r", ...all);
    const d = (await c.call("SRANDMEMBER", "u:r", "4")) as string[];
    assert.equal(new Set(d).size, 4);
    for (const m of d) assert.ok(all.includes(m));
    const rep = (await c.call("SRANDMEMBER", "u:r", "-30")) as string[];
    assert.equal(rep.length, 30);
    for (const m of rep) assert.ok(all.includes(m));
    const popped = (await c.call("SPOP", "u:r", "4")) as string[];
    assert.equal(new Set(popped).size, 4);
    const rest = (await c.call("SMEMBERS", "u:r")) as string[];
    assert.deepEqual([...popped, ...rest].sort(), all);
  });

  it("SINTERSTORE into one of its sources, and over a key with a TTL", async () => {
    await c.call("SADD", "u:x", "1", "2", "3");
    await c.call("SADD", "u:y", "2", "3", "4");
    assert.equal(await c.call("SINTERSTORE", "u:x", "u:x", "u:y"), 2);
    assert.deepEqual(await c.call("SMEMBERS", "u:x"), ["2", "3"]);
    const db = shale.server.store.dbs[0];
    const k = Buffer.from("u:y");
    db.setExpire(db.lookup(k, 0, k.length), Date.now() + 100000);
    assert.equal(await c.call("SUNIONSTORE", "u:y", "u:x"), 2);
    assert.equal(db.expireAt(db.lookup(k, 0, k.length)), -1);
  });

  it("SSCAN of a large set returns every member, over several calls", async () => {
    const members = Array.from({ length: 1000 }, (_, i) => `m${i}`);
    await c.call("SADD", "u:big", ...members);
    const seen = new Set<string>();
    let cursor = "0";
    let calls = 0;
    do {
      const r = (await c.call("SSCAN", "u:big", cursor, "COUNT", "100")) as [string, string[]];
      cursor = r[0];
      for (const m of r[1]) seen.add(m);
      if (calls === 3) await c.call("SREM", "u:big", "m0", "m999", "m500");
      calls++;
    } while (cursor !== "0");
    assert.equal(calls, 10);
    for (const m of members) if (m !== "m0" && m !== "m999" && m !== "m500") assert.ok(seen.has(m), m);
  });
});

describe("set commands: differential against redis-server 7.0", () => {
  const servers = useServers();

  for (const proto of [2, 3] as const) {
    for (const [name, steps] of Object.entries(SEQUENCES)) {
      it(`RESP${proto} ${name}`, (t) =>
        withPair(t, servers, proto, (pair) => runSequence(pair, name, steps, `d:${proto}:${name}:`)));
    }

    it(`RESP${proto} a large hashtable set: full SSCAN iterations agree`, async (t) => {
      const k = `d:${proto}:big`;
      await withPair(t, servers, proto, async (pair) => {
        const members = Array.from({ length: 700 }, (_, i) => `m${i}`);
        await runSequence(pair, "big", [["SADD", k, ...members], `SCARD ${k}`, `~SMEMBERS ${k}`], "");
        await runSequence(pair, "big", [`~SSCAN ${k} 0 COUNT 10000`, `~SPOP ${k}x 5`, `?SRANDMEMBER ${k} 699`], "");
        for (const opts of [[], ["COUNT", "7"], ["MATCH", "m1*"], ["MATCH", "*9", "COUNT", "3"]]) {
          const collect = async (conn: Conn): Promise<string[]> => {
            const out = new Set<string>();
            let cursor = "0";
            let calls = 0;
            do {
              const r = (await conn.call("SSCAN", k, cursor, ...opts)) as [string, string[]];
              cursor = r[0];
              for (const m of r[1]) out.add(m);
              assert.ok(++calls < 10000);
            } while (cursor !== "0");
            return [...out].sort();
          };
          const [s, r] = await Promise.all([collect(pair.shale), collect(pair.redis)]);
          assert.deepEqual(s, r, opts.join(" "));
        }
      });
    });
  }
});
