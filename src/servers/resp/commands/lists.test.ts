// Tests of the list commands: behaviour against a Shale server (blocking pops with several
// clients, timeouts, disconnects, MULTI, key deletion and memory accounting), and a differential
// section that sends the same command sequences to Shale and to a real redis-server 7.0 and
// compares the raw replies byte for byte, in RESP2 and RESP3; the blocking scenarios with several
// clients are run on both servers too and their replies compared. List replies are ordered, so
// every comparison here is exact.

import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import { T_LIST } from "../../../cache/entry.js";
import type { ListValue } from "../../../cache/list.js";
import {
  compareScenario,
  pause,
  raw,
  runSequence,
  type Scenario,
  type Step,
  useServers,
  withPair,
} from "../diff-testing.js";
import { type RespTestClient as Conn, RespTestClient, startShale } from "../testing.js";

const BIG = Array.from({ length: 300 }, (_, i) => `e${i % 37}`);

const SEQUENCES: Record<string, Step[]> = {
  "push and pop": [
    "LPUSH $l a b c",
    "RPUSH $l d e f",
    "LRANGE $l 0 -1",
    "LLEN $l",
    "LPOP $l",
    "RPOP $l",
    "LPOP $l 2",
    "RPOP $l 2",
    "LPOP $l 0",
    "RPOP $l 10",
    "LLEN $l",
    "EXISTS $l",
    "LPOP $l",
    "RPOP $l",
    "LPOP $l 0",
    "RPOP $l 3",
    "LPOP $l -1",
    "RPOP $l -1",
    "LPOP $l abc",
    "LPOP $l 1.5",
    "LPOP $l 1 2",
    "RPOP $l 1 2 3",
    "LPUSHX $l x",
    "RPUSHX $l x",
    "EXISTS $l",
    "RPUSH $l a",
    "LPUSHX $l x y",
    "RPUSHX $l z",
    "LRANGE $l 0 -1",
    "LPUSH $l",
    "RPUSH $l",
    "LPUSHX $l",
    "RPUSHX $l",
    "LPOP",
    "LLEN",
    "LLEN $l extra",
    "RPUSH $l ''",
    "LRANGE $l 0 -1",
    "LPOP $l 9223372036854775807",
    "LPOP $l 9223372036854775808",
    "RPUSH $l q",
    "RPOP $l -9223372036854775808",
    "RPOP $l 01",
    "rpop $l 1",
    "LLEN $none",
    ["RPUSH", "$bin", "\x00\xff\r\n", "", "é"],
    ["LRANGE", "$bin", "0", "-1"],
  ],
  "wrong type": [
    "SET $s v",
    "LPUSH $s a",
    "RPUSH $s a",
    "LPUSHX $s a",
    "RPUSHX $s a",
    "LPOP $s",
    "RPOP $s",
    "LPOP $s 2",
    "LPOP $s 0",
    "LPOP $s -1",
    "LLEN $s",
    "LRANGE $s 0 -1",
    "LRANGE $s x 1",
    "LINDEX $s 0",
    "LINDEX $s x",
    "LSET $s 0 v",
    "LSET $s x v",
    "LINSERT $s BEFORE a b",
    "LINSERT $s FOO a b",
    "LREM $s 0 a",
    "LREM $s x a",
    "LTRIM $s 0 1",
    "LTRIM $s x 1",
    "LPOS $s a",
    "LPOS $s a RANK 0",
    "LPOS $s a COUNT 1",
    "LMOVE $s $d LEFT RIGHT",
    "LMOVE $d $s LEFT RIGHT",
    "RPUSH $d a",
    "LMOVE $d $s LEFT RIGHT",
    "RPOPLPUSH $d $s",
    "LMOVE $s $d UP RIGHT",
    "LRANGE $d 0 -1",
    "LMPOP 1 $s LEFT",
    "LMPOP 2 $none $s LEFT",
    "LMPOP 2 $d $s LEFT",
    "RPUSH $d a",
    "BLPOP $s 0",
    "BRPOP $none $s 0",
    "BLPOP $d $s 0",
    "RPUSH $d a",
    "BLPOP $s $d 0",
    "BLMOVE $s $d LEFT LEFT 0",
    "RPUSH $d a",
    "BLMOVE $d $s LEFT LEFT 0",
    "BRPOPLPUSH $s $d 0",
    "BRPOPLPUSH $d $s 0",
    "BLMPOP 0 1 $s LEFT",
    "BLMPOP 0 2 $none $s LEFT COUNT 3",
    "LRANGE $d 0 -1",
    "GET $s",
  ],
  "lrange and lindex": [
    "RPUSH $l a b c d e",
    "LRANGE $l 0 0",
    "LRANGE $l 0 -1",
    "LRANGE $l -2 -1",
    "LRANGE $l -100 100",
    "LRANGE $l 3 1",
    "LRANGE $l 5 10",
    "LRANGE $l -1 -5",
    "LRANGE $l 1 -2",
    "LRANGE $l 9223372036854775807 -9223372036854775808",
    "LRANGE $l -9223372036854775808 9223372036854775807",
    "LRANGE $l 0 9223372036854775808",
    "LRANGE $l 01 2",
    ["LRANGE", "$l", " 1", "2"],
    "LRANGE $l +1 2",
    "LRANGE $l 1.0 2",
    "LRANGE $l '' 2",
    "LRANGE $l 1 x",
    "LRANGE $none 0 -1",
    "LRANGE $none x 1",
    "LRANGE $l 0",
    "LINDEX $l 0",
    "LINDEX $l -1",
    "LINDEX $l 4",
    "LINDEX $l 5",
    "LINDEX $l -5",
    "LINDEX $l -6",
    "LINDEX $l x",
    "LINDEX $none x",
    "LINDEX $none 0",
    "LINDEX $l 9223372036854775807",
    "LINDEX $l -9223372036854775808",
    "LINDEX $l 1 2",
  ],
  "lset, linsert, lrem, ltrim": [
    "LSET $none 0 x",
    "LSET $none x x",
    "RPUSH $l a b c",
    "LSET $l 0 A",
    "LSET $l -1 C",
    "LSET $l 3 x",
    "LSET $l -4 x",
    "LSET $l x y",
    "LSET $l 0",
    "LRANGE $l 0 -1",
    "LINSERT $l BEFORE b x",
    "LINSERT $l after b y",
    "LINSERT $l BEFORE zz q",
    "LINSERT $l MIDDLE b x",
    "LINSERT $l before A first",
    "LINSERT $l AFTER C last",
    "LINSERT $none BEFORE a b",
    "LINSERT $none MIDDLE a b",
    "LINSERT $l BEFORE b",
    "LRANGE $l 0 -1",
    "RPUSH $r a b a c a b a",
    "LREM $r 2 a",
    "LRANGE $r 0 -1",
    "LREM $r -1 a",
    "LRANGE $r 0 -1",
    "LREM $r 0 b",
    "LREM $r 0 zz",
    "LREM $r x a",
    "LREM $none 1 a",
    "LREM $none x a",
    "LREM $r 0 a",
    "LREM $r -9223372036854775808 c",
    "EXISTS $r",
    "RPUSH $t a b c d e f",
    "LTRIM $t 1 -2",
    "LRANGE $t 0 -1",
    "LTRIM $t 0 100",
    "LTRIM $t -2 -1",
    "LRANGE $t 0 -1",
    "LTRIM $t x 1",
    "LTRIM $t 1 x",
    "LTRIM $t 5 1",
    "EXISTS $t",
    "LTRIM $none 0 1",
    "LTRIM $none x 1",
    "RPUSH $t a b",
    "LTRIM $t -100 100",
    "LTRIM $t 2 3",
    "EXISTS $t",
  ],
  lpos: [
    "RPUSH $l a b c a b c a",
    "LPOS $l a",
    "LPOS $l c",
    "LPOS $l zz",
    "LPOS $l a RANK 2",
    "LPOS $l a RANK -1",
    "LPOS $l a RANK -3",
    "LPOS $l a RANK 4",
    "LPOS $l a RANK -4",
    "LPOS $l a COUNT 0",
    "LPOS $l a COUNT 2",
    "LPOS $l a COUNT 0 RANK -1",
    "LPOS $l a COUNT 2 RANK 2",
    "LPOS $l a MAXLEN 3",
    "LPOS $l a COUNT 0 MAXLEN 4",
    "LPOS $l a RANK -1 MAXLEN 2",
    "LPOS $l a RANK -2 COUNT 0 MAXLEN 5",
    "LPOS $l zz COUNT 0",
    "LPOS $l a RANK 0",
    "LPOS $l a RANK x",
    "LPOS $l a COUNT -1",
    "LPOS $l a COUNT x",
    "LPOS $l a MAXLEN -1",
    "LPOS $l a MAXLEN x",
    "LPOS $l a RANK",
    "LPOS $l a FOO 1",
    "LPOS $l a COUNT",
    "LPOS $none a",
    "LPOS $none a COUNT 1",
    "LPOS $none a RANK 0",
    "LPOS $l a RANK 9223372036854775807",
    "LPOS $l a RANK -9223372036854775807",
    "LPOS $l a RANK -9223372036854775808",
    "LPOS $l a count 1 count 2",
    "LPOS $l a rank 1 rank -1",
    "LPOS $l",
  ],
  "lmove and rpoplpush": [
    "RPUSH $a 1 2 3",
    "LMOVE $a $b LEFT RIGHT",
    "LMOVE $a $b RIGHT LEFT",
    "LRANGE $a 0 -1",
    "LRANGE $b 0 -1",
    "LMOVE $a $a LEFT RIGHT",
    "LRANGE $a 0 -1",
    "LMOVE $a $b left left",
    "EXISTS $a",
    "LMOVE $a $b LEFT LEFT",
    "LMOVE $b $b RIGHT RIGHT",
    "LMOVE $a $b UP LEFT",
    "LMOVE $a $b LEFT DOWN",
    "LMOVE $none $b LEFT LEFT",
    "LMOVE $none $b LEFT",
    "RPOPLPUSH $b $c",
    "RPOPLPUSH $c $c",
    "RPOPLPUSH $none $c",
    "LRANGE $b 0 -1",
    "LRANGE $c 0 -1",
    "RPUSH $one x",
    "RPOPLPUSH $one $one",
    "LRANGE $one 0 -1",
    "RPOPLPUSH $one",
  ],
  lmpop: [
    "RPUSH $a 1 2 3 4 5",
    "LMPOP 1 $a LEFT",
    "LMPOP 1 $a RIGHT COUNT 2",
    "LMPOP 2 $none $a LEFT COUNT 10",
    "LMPOP 2 $none $a LEFT",
    "RPUSH $a 1 2 3",
    "LMPOP 0 $a LEFT",
    "LMPOP -1 $a LEFT",
    "LMPOP x $a LEFT",
    "LMPOP 3 $a LEFT",
    "LMPOP 1 $a MIDDLE",
    "LMPOP 1 $a LEFT COUNT 0",
    "LMPOP 1 $a LEFT COUNT -1",
    "LMPOP 1 $a LEFT COUNT x",
    "LMPOP 1 $a LEFT COUNT 1 COUNT 2",
    "LMPOP 1 $a LEFT FOO",
    "LMPOP 1 $a LEFT COUNT",
    "LMPOP 1 $a left count 9223372036854775807",
    "LMPOP 1",
    "LMPOP 1 $a",
    "LMPOP 2 $a LEFT",
  ],
  "blocking commands that need not block": [
    "RPUSH $a 1 2 3",
    "BLPOP $none $a 0",
    "BRPOP $a 0",
    "BLPOP $a 1.5",
    "EXISTS $a",
    "RPUSH $a 1",
    "BLPOP $a x",
    "BLPOP $a -1",
    "BLPOP $a ''",
    "BLPOP $a inf",
    "BLPOP $a -inf",
    "BLPOP $a nan",
    "BLPOP $a 1e400",
    "BLPOP $a 1e-5000",
    "BLPOP $a 9223372036854775807",
    "BLPOP $a 1x",
    ["BLPOP", "$a", " 1"],
    "BLPOP $a",
    "BRPOP $a",
    "BLMOVE $a $d LEFT LEFT x",
    "BLMOVE $a $d UP LEFT x",
    "BLMOVE $a $d LEFT UP 0",
    "BLMOVE $a $d LEFT LEFT -1",
    "BRPOPLPUSH $a $d -1",
    "BRPOPLPUSH $a $d x",
    "BLMOVE $a $d LEFT RIGHT 0",
    "RPUSH $a 2 3",
    "BRPOPLPUSH $a $d 0.5",
    "LRANGE $d 0 -1",
    "BLMPOP x 1 $a LEFT",
    "BLMPOP 0 0 $a LEFT",
    "BLMPOP -1 0 $a LEFT",
    "BLMPOP -1 1 $a LEFT",
    "BLMPOP 0 1 $a UP",
    "BLMPOP 0 1 $a LEFT COUNT 0",
    "BLMPOP 0 2 $a LEFT",
    "RPUSH $b x y z",
    "BLMPOP 0 2 $none $b RIGHT COUNT 2",
    "BLMPOP 0 1 $b LEFT",
    "RPUSH $b x y z",
    "BLMPOP 0 1 $b LEFT COUNT 5",
  ],
  "blocking timeouts": [
    "BLPOP $none 0.05",
    "BRPOP $none $none2 0.01",
    "BLPOP $none 0.0001",
    "BLPOP $none 1e-400",
    "BLMOVE $none $d LEFT LEFT 0.05",
    "BRPOPLPUSH $none $d 0.01",
    "BLMPOP 0.01 1 $none LEFT",
    "BLMPOP 0.01 2 $none $none2 RIGHT COUNT 3",
    "EXISTS $d",
  ],
  "blocking inside MULTI": [
    "MULTI",
    "BLPOP $none 0",
    "BRPOP $none 0",
    "BLMOVE $none $d LEFT LEFT 0",
    "BRPOPLPUSH $none $d 0",
    "BLMPOP 0 1 $none LEFT",
    "RPUSH $a x y",
    "BLPOP $a 0",
    "BLMOVE $a $d LEFT LEFT 0",
    "BLPOP $a 0",
    "EXEC",
    "LRANGE $d 0 -1",
    "MULTI",
    "BLPOP $none x",
    "EXEC",
  ],
  "a long list": [
    ["RPUSH", "$big", ...BIG],
    "LLEN $big",
    "LRANGE $big 0 -1",
    "LRANGE $big 100 120",
    "LINDEX $big 150",
    "LINDEX $big -1",
    "LPOS $big e3 COUNT 0",
    "LPOS $big e3 RANK -2 COUNT 3",
    "LREM $big 3 e5",
    "LREM $big -2 e6",
    "LINSERT $big BEFORE e7 new",
    "LSET $big 200 set",
    "LTRIM $big 10 -10",
    "LRANGE $big 0 -1",
    "LPOP $big 50",
    "RPOP $big 50",
    "LRANGE $big 0 -1",
    "LMPOP 1 $big RIGHT COUNT 1000",
    "EXISTS $big",
  ],
};

// ---- blocking scenarios, run on Shale and on Redis ----

const SCENARIOS: Record<string, { clients: number; run: Scenario }> = {
  "a push serves the blocked client": {
    clients: 2,
    run: async ([a, b], k) => {
      const blocked = raw(a.send("BLPOP", k, "0"));
      await pause(30);
      const push = await raw(b.send("RPUSH", k, "x", "y"));
      return [push, await blocked, await raw(b.send("LRANGE", k, "0", "-1")), await raw(a.send("PING"))];
    },
  },
  "blocked clients are served first come, first served": {
    clients: 4,
    run: async ([a, b, c, d], k) => {
      const r1 = raw(a.send("BLPOP", k, "0"));
      await pause(20);
      const r2 = raw(b.send("BRPOP", `${k}:other`, k, "0"));
      await pause(20);
      const r3 = raw(c.send("BRPOP", k, "0"));
      await pause(20);
      const push = await raw(d.send("RPUSH", k, "1", "2", "3", "4"));
      return [push, await r1, await r2, await r3, await raw(d.send("LRANGE", k, "0", "-1"))];
    },
  },
  "one element for two blocked clients": {
    clients: 3,
    run: async ([a, b, c], k) => {
      const r1 = raw(a.send("BLPOP", k, "0"));
      await pause(20);
      const r2 = raw(b.send("BLPOP", k, "0.3"));
      await pause(20);
      const push = await raw(c.send("LPUSH", k, "only"));
      return [push, await r1, await r2, await raw(c.send("EXISTS", k))];
    },
  },
  "a blocked client on several keys gets the one pushed": {
    clients: 2,
    run: async ([a, b], k) => {
      const r = raw(a.send("BLPOP", `${k}:1`, `${k}:2`, `${k}:3`, "0"));
      await pause(30);
      const push = await raw(b.send("RPUSH", `${k}:2`, "v"));
      return [push, await r];
    },
  },
  "BLMOVE feeds a client blocked on its destination": {
    clients: 3,
    run: async ([a, b, c], k) => {
      const r1 = raw(a.send("BLPOP", `${k}:dst`, "0"));
      await pause(20);
      const r2 = raw(b.send("BLMOVE", `${k}:src`, `${k}:dst`, "RIGHT", "LEFT", "0"));
      await pause(20);
      const push = await raw(c.send("RPUSH", `${k}:src`, "a", "b"));
      return [
        push,
        await r2,
        await r1,
        await raw(c.send("LRANGE", `${k}:src`, "0", "-1")),
        await raw(c.send("EXISTS", `${k}:dst`)),
      ];
    },
  },
  "BRPOPLPUSH onto a destination of the wrong type": {
    clients: 2,
    run: async ([a, b], k) => {
      await b.send("SET", `${k}:dst`, "string");
      const r = raw(a.send("BRPOPLPUSH", `${k}:src`, `${k}:dst`, "0"));
      await pause(30);
      const push = await raw(b.send("RPUSH", `${k}:src`, "v"));
      return [push, await r, await raw(b.send("LRANGE", `${k}:src`, "0", "-1"))];
    },
  },
  "BLMPOP served with a count": {
    clients: 2,
    run: async ([a, b], k) => {
      const r = raw(a.send("BLMPOP", "0", "2", `${k}:1`, `${k}:2`, "RIGHT", "COUNT", "2"));
      await pause(30);
      const push = await raw(b.send("RPUSH", `${k}:2`, "a", "b", "c"));
      return [push, await r, await raw(b.send("LRANGE", `${k}:2`, "0", "-1"))];
    },
  },
  "a transaction's pushes are served after EXEC": {
    clients: 2,
    run: async ([a, b], k) => {
      const r = raw(a.send("BLPOP", k, "0"));
      await pause(30);
      const out = [await raw(b.send("MULTI")), await raw(b.send("RPUSH", k, "a", "b")), await raw(b.send("LPOP", k))];
      out.push(await raw(b.send("EXEC")), await r, await raw(b.send("LRANGE", k, "0", "-1")));
      return out;
    },
  },
  "a disconnected blocked client is forgotten": {
    clients: 3,
    run: async ([a, b, c], k) => {
      a.send("BLPOP", k, "0");
      await pause(30);
      a.close();
      await pause(30);
      const r = raw(b.send("BLPOP", k, "0"));
      await pause(30);
      const push = await raw(c.send("RPUSH", k, "v"));
      return [push, await r, await raw(c.send("EXISTS", k))];
    },
  },
  "timeouts reply a null array": {
    clients: 3,
    run: async ([a, b, c], k) => {
      const started = Date.now();
      const rs = await Promise.all([
        raw(a.send("BLPOP", k, "0.15")),
        raw(b.send("BLMOVE", k, `${k}:d`, "LEFT", "LEFT", "0.15")),
        raw(c.send("BLMPOP", "0.15", "1", k, "LEFT")),
      ]);
      const waited = Date.now() - started;
      assert.ok(waited >= 140 && waited < 2000, `waited ${waited} ms`);
      return [...rs, await raw(a.send("PING"))];
    },
  },
};

// ---- Shale-only behaviour ----

describe("list commands (Shale)", () => {
  let shale: Awaited<ReturnType<typeof startShale>>;
  let c: Conn;
  before(async () => {
    shale = await startShale();
    c = await RespTestClient.connect(shale.port);
  });
  after(async () => {
    c.close();
    await shale.close();
  });

  it("pushes and pops at both ends", async () => {
    assert.equal(await c.call("RPUSH", "l1", "b", "c"), 2);
    assert.equal(await c.call("LPUSH", "l1", "a"), 3);
    assert.deepEqual(await c.call("LRANGE", "l1", "0", "-1"), ["a", "b", "c"]);
    assert.equal(await c.call("LPOP", "l1"), "a");
    assert.deepEqual(await c.call("RPOP", "l1", "5"), ["c", "b"]);
    assert.equal(await c.call("EXISTS", "l1"), 0);
  });

  it("deletes a list when it becomes empty, and accounts its memory", async () => {
    const db = shale.server.store.dbs[0];
    const before = shale.server.store.usedMemory();
    const items = Array.from({ length: 2000 }, (_, i) => `item-${i}-${"x".repeat(50)}`);
    await c.call("RPUSH", "mem", ...items);
    const k = Buffer.from("mem");
    const h = db.lookup(k, 0, k.length, false);
    assert.equal(db.type(h), T_LIST);
    assert.equal(db.object<ListValue>(h).length, 2000);
    const grown = shale.server.store.usedMemory();
    assert.ok(grown - before > 100_000, `used_memory grew by ${grown - before}`);
    await c.call("LTRIM", "mem", "0", "9");
    assert.ok(shale.server.store.usedMemory() < grown - 50_000, "trim gives memory back");
    await c.call("LREM", "mem", "0", items[0]);
    await c.call("LPOP", "mem", "100");
    assert.equal(db.lookup(k, 0, k.length, false), 0);
  });

  it("LMOVE within one list rotates it", async () => {
    await c.call("RPUSH", "rot", "1", "2", "3");
    assert.equal(await c.call("LMOVE", "rot", "rot", "LEFT", "RIGHT"), "1");
    assert.equal(await c.call("RPOPLPUSH", "rot", "rot"), "1");
    assert.deepEqual(await c.call("LRANGE", "rot", "0", "-1"), ["1", "2", "3"]);
  });

  it("BLPOP blocks until a push, and the client then goes on with its pipeline", async () => {
    const a = await RespTestClient.connect(shale.port);
    const b = await RespTestClient.connect(shale.port);
    try {
      const r = a.call("BLPOP", "q1", "0");
      const next = a.call("PING");
      await pause(30);
      assert.equal(shale.server.blockedOn.size, 1);
      assert.equal(await b.call("RPUSH", "q1", "job"), 1);
      assert.deepEqual(await r, ["q1", "job"]);
      assert.equal(await next, "PONG");
      assert.equal(shale.server.blockedOn.size, 0);
    } finally {
      a.close();
      b.close();
    }
  });

  it("a blocked client is served in its own database", async () => {
    const a = await RespTestClient.connect(shale.port);
    const b = await RespTestClient.connect(shale.port);
    try {
      await a.call("SELECT", "3");
      const r = a.call("BLPOP", "q2", "0");
      await pause(30);
      assert.equal(await b.call("RPUSH", "q2", "db0"), 1);
      await b.call("SELECT", "3");
      assert.equal(await b.call("RPUSH", "q2", "db3"), 1);
      assert.deepEqual(await r, ["q2", "db3"]);
      await b.call("SELECT", "0");
      assert.deepEqual(await b.call("LRANGE", "q2", "0", "-1"), ["db0"]);
    } finally {
      a.close();
      b.close();
    }
  });

  it("forgets a blocked client that disconnects", async () => {
    const a = await RespTestClient.connect(shale.port);
    a.send("BRPOP", "q3", "0");
    await pause(30);
    assert.equal(shale.server.blockedOn.size, 1);
    a.close();
    await pause(30);
    assert.equal(shale.server.blockedOn.size, 0);
    assert.equal(await c.call("RPUSH", "q3", "v"), 1);
    assert.deepEqual(await c.call("LRANGE", "q3", "0", "-1"), ["v"]);
  });

  it("a list of the wrong type does not serve a blocked client, a later push does", async () => {
    const a = await RespTestClient.connect(shale.port);
    try {
      const r = a.call("BLPOP", "q4", "1");
      await pause(30);
      await c.call("SET", "q4", "now a string");
      await pause(30);
      await c.call("DEL", "q4");
      await c.call("RPUSH", "q4", "v");
      assert.deepEqual(await r, ["q4", "v"]);
    } finally {
      a.close();
    }
  });
});

// ---- differential ----

describe("list commands: differential against redis-server 7.0", () => {
  const servers = useServers();

  for (const proto of [2, 3] as const) {
    for (const [name, steps] of Object.entries(SEQUENCES)) {
      it(`RESP${proto} ${name}`, (t) =>
        withPair(t, servers, proto, (pair) => runSequence(pair, name, steps, `l:${proto}:${name}:`)));
    }

    for (const [name, sc] of Object.entries(SCENARIOS)) {
      it(`RESP${proto} ${name}`, (t) => compareScenario(t, servers, proto, `l:${proto}:scenario:${name}`, sc));
    }
  }
});
