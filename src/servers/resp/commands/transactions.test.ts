// Tests of MULTI, EXEC, DISCARD, WATCH and UNWATCH: a differential section that sends the same
// command sequences to Shale and to a real redis-server 7.0 and compares the raw replies byte for
// byte, in RESP2 and RESP3 (queueing errors, EXECABORT, nested MULTI, no_multi commands, OOM
// inside MULTI, WATCH against writes, expiry, FLUSHDB, FLUSHALL and SWAPDB), and behaviour tests
// against Shale: the WATCH/MULTI/EXEC race between two clients, optimistic increments from several
// clients at once, and blocking commands inside EXEC.

import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import { runSequence, type Step, useServers, withPair } from "../diff-testing.js";
import type { CacheServer } from "../server.js";
import {
  type RespTestClient as Conn,
  RespTestClient,
  type RespValue,
  type RunningServer,
  startShale,
} from "../testing.js";

// ---- the sequences ----

const SEQUENCES: Record<string, Step[]> = {
  basics: [
    "MULTI",
    "SET $a 1",
    "GET $a",
    "GET $none",
    "HSET $a f v",
    "EXEC",
    "MULTI",
    "EXEC",
    "MULTI",
    "PING",
    "ECHO hello",
    "CONFIG GET maxmemory",
    "EXEC",
    "EXEC",
    "DISCARD",
    "MULTI",
    "SET $a 2",
    "DISCARD",
    "GET $a",
    "MULTI",
    "MULTI",
    "PING",
    "EXEC",
    "MULTI",
    "WATCH $a",
    "EXEC",
    "MULTI x",
    "EXEC x",
    "DISCARD x",
    "UNWATCH x",
    "WATCH",
    "UNWATCH",
  ],
  queueing_errors: [
    "MULTI",
    "foo",
    "SET $a",
    "GET $a",
    "EXEC",
    "GET $a",
    "MULTI",
    "SET $a 1",
    "EXEC foo",
    "EXEC",
    "EXEC foo",
    "MULTI",
    "CONFIG GET",
    "EXEC",
    "MULTI",
    "CONFIG foo",
    "EXEC",
    "MULTI",
    "MULTI x",
    "EXEC",
    "MULTI",
    "SAVE",
    "EXEC",
    "MULTI",
    "SHUTDOWN NOSAVE",
    "PING",
    "EXEC",
    "MULTI",
    "DISCARD x",
    "DISCARD",
    "MULTI",
    "SET $a 1",
    "GET $a x",
    "DISCARD",
    "GET $a",
  ],
  runtime_errors: ["SET $s v", "MULTI", "HSET $s f v", "SET $s w", "GET $s", "INCR $s", "EXEC", "GET $s"],
  watch: [
    "SET $k 1",
    "WATCH $k",
    "SET $k 2",
    "MULTI",
    "PING",
    "EXEC",
    "WATCH $k",
    "MULTI",
    "SET $k 3",
    "EXEC",
    "GET $k",
    "WATCH $k",
    "UNWATCH",
    "SET $k 4",
    "MULTI",
    "PING",
    "EXEC",
    "WATCH $k $k2",
    "SET $k2 x",
    "MULTI",
    "PING",
    "EXEC",
    "WATCH $nokey",
    "MULTI",
    "PING",
    "EXEC",
    "WATCH $nokey2",
    "SET $nokey2 1",
    "MULTI",
    "PING",
    "EXEC",
    "WATCH $k",
    "DEL $k",
    "MULTI",
    "PING",
    "EXEC",
    "SET $k 1",
    "WATCH $k",
    "GET $k",
    "MULTI",
    "PING",
    "EXEC",
    "WATCH $k",
    "SET $k 1 NX",
    "MULTI",
    "PING",
    "EXEC",
    "WATCH $k",
    "SELECT 1",
    "SET $k x",
    "SELECT 0",
    "MULTI",
    "PING",
    "EXEC",
    "SELECT 1",
    "WATCH $k",
    "SELECT 0",
    "SET $k y",
    "MULTI",
    "PING",
    "EXEC",
    "SELECT 1",
    "WATCH $k",
    "SET $k z",
    "SELECT 0",
    "MULTI",
    "PING",
    "EXEC",
    "WATCH $k",
    "WATCH $k",
    "SET $k again",
    "WATCH $k2",
    "MULTI",
    "PING",
    "EXEC",
    "SELECT 1",
    "DEL $k",
    "SELECT 0",
  ],
  watch_flush_swap: [
    "FLUSHALL",
    "WATCH $y",
    "FLUSHDB",
    "MULTI",
    "PING",
    "EXEC",
    "SET $y 1",
    "WATCH $y",
    "FLUSHDB",
    "MULTI",
    "PING",
    "EXEC",
    "SET $y 1",
    "WATCH $y",
    "FLUSHALL",
    "MULTI",
    "PING",
    "EXEC",
    "SELECT 1",
    "SET $y 1",
    "SELECT 0",
    "WATCH $y",
    "FLUSHALL",
    "MULTI",
    "PING",
    "EXEC",
    "SET $y 1",
    "WATCH $y",
    "SELECT 2",
    "FLUSHDB",
    "SELECT 0",
    "MULTI",
    "PING",
    "EXEC",
    "FLUSHALL",
    "SET $x foo",
    "SELECT 1",
    "WATCH $x",
    "SWAPDB 0 1",
    "MULTI",
    "PING",
    "EXEC",
    "FLUSHALL",
    "WATCH $x",
    "SWAPDB 0 1",
    "MULTI",
    "PING",
    "EXEC",
    "FLUSHALL",
    "SET $x v",
    "WATCH $x",
    "SWAPDB 0 1",
    "MULTI",
    "PING",
    "EXEC",
    "SWAPDB 0 1",
    "WATCH $x",
    "SWAPDB 0 0",
    "MULTI",
    "PING",
    "EXEC",
    "SELECT 0",
    "FLUSHALL",
  ],
  watch_expiry: [
    "FLUSHALL",
    "DEBUG SET-ACTIVE-EXPIRE 0",
    "SET $z 1 PX 30",
    "WATCH $z",
    "SLEEP 60",
    "MULTI",
    "PING",
    "EXEC",
    "SET $z 1 PX 1",
    "SLEEP 10",
    "WATCH $z",
    "MULTI",
    "PING",
    "EXEC",
    "SET $z 1 PX 1",
    "SLEEP 10",
    "WATCH $z",
    "SET $z 2",
    "MULTI",
    "PING",
    "EXEC",
    // Redis's own cases: a stale key swapped away, or swapped in, is no change.
    "FLUSHALL",
    "SELECT 1",
    "SET $x foo PX 1",
    "SLEEP 10",
    "WATCH $x",
    "SWAPDB 0 1",
    "MULTI",
    "PING",
    "EXEC",
    "FLUSHALL",
    "SELECT 0",
    "SET $x foo PX 1",
    "SLEEP 10",
    "SELECT 1",
    "WATCH $x",
    "SWAPDB 0 1",
    "MULTI",
    "PING",
    "EXEC",
    "FLUSHALL",
    "SELECT 0",
    "SET $x foo PX 1",
    "SELECT 1",
    "SET $x bar PX 1",
    "SLEEP 10",
    "WATCH $x",
    "SWAPDB 0 1",
    "MULTI",
    "PING",
    "EXEC",
    "SELECT 0",
    "SET $w 1 PX 20",
    "WATCH $w",
    "SLEEP 40",
    "FLUSHDB",
    "MULTI",
    "PING",
    "EXEC",
    "DEBUG SET-ACTIVE-EXPIRE 1",
    "SET $z 1 PX 30",
    "WATCH $z",
    "SLEEP 300",
    "MULTI",
    "PING",
    "EXEC",
    "FLUSHALL",
  ],
  oom: [
    "CONFIG SET maxmemory 1",
    "GET $a",
    "SET $a 1",
    "MULTI",
    "GET $a",
    "EXEC",
    "MULTI",
    "PING",
    "DISCARD",
    "CONFIG SET maxmemory 0",
    "SET $a 1",
    "DEL $a",
  ],
  subscribe_in_multi: ["MULTI", "SUBSCRIBE $ch", "EXEC", "PING", "UNSUBSCRIBE", "PING"],
};

// ---- behaviour against Shale ----

describe("transactions (Shale)", { timeout: 120_000 }, () => {
  let shale: RunningServer & { server: CacheServer };

  before(async () => {
    shale = await startShale();
  });
  after(async () => {
    await shale.close();
  });

  it("a WATCHed key changed by another client between WATCH and EXEC aborts the transaction", async () => {
    const a = await RespTestClient.connect(shale.port);
    const b = await RespTestClient.connect(shale.port);
    await a.call("SET", "balance", "100");
    assert.equal(await a.call("WATCH", "balance"), "OK");
    const seen = Number(await a.call("GET", "balance"));
    assert.equal(await a.call("MULTI"), "OK");
    assert.equal(await a.call("SET", "balance", String(seen - 30)), "QUEUED");
    // b gets in first.
    assert.equal(await b.call("SET", "balance", "50"), "OK");
    assert.match((await b.call("CLIENT", "LIST")) as string, / flags=xd /);
    assert.equal(await a.call("EXEC"), null);
    assert.equal(await a.call("GET", "balance"), "50");
    // Retried with nobody in the way, it goes through, and the watch is gone afterwards.
    await a.call("WATCH", "balance");
    const now = Number(await a.call("GET", "balance"));
    await a.call("MULTI");
    await a.call("SET", "balance", String(now - 30));
    assert.deepEqual(await a.call("EXEC"), ["OK"]);
    assert.equal(await b.call("GET", "balance"), "20");
    assert.equal(shale.server.watchers.size, 0);
    a.close();
    b.close();
  });

  it("optimistic increments from several clients at once lose no update", async () => {
    const clients = await Promise.all(Array.from({ length: 5 }, () => RespTestClient.connect(shale.port)));
    await clients[0].call("SET", "counter", "0");
    let aborted = 0;
    const work = async (c: Conn) => {
      for (let done = 0; done < 20; ) {
        await c.call("WATCH", "counter");
        const v = Number(await c.call("GET", "counter"));
        await c.call("MULTI");
        await c.call("SET", "counter", String(v + 1));
        const r = await c.call("EXEC");
        if (r === null) aborted++;
        else done++;
      }
    };
    await Promise.all(clients.map(work));
    assert.equal(await clients[0].call("GET", "counter"), "100");
    assert.ok(aborted > 0, "the clients interleaved");
    for (const c of clients) c.close();
  });

  it("EXEC runs queued commands in order, each counted once", async () => {
    const c = await RespTestClient.connect(shale.port);
    const before = shale.server.stats.totalCommands;
    await c.call("MULTI");
    for (let i = 0; i < 10; i++) await c.call("SET", `q:${i}`, String(i));
    const r = (await c.call("EXEC")) as RespValue[];
    assert.equal(r.length, 10);
    // MULTI, EXEC and the ten SETs; QUEUED replies are not executions.
    assert.equal(shale.server.stats.totalCommands - before, 12);
    assert.equal(await c.call("GET", "q:9"), "9");
    c.close();
  });

  it("a blocking command inside EXEC does not block", async (t) => {
    if (!shale.server.commands.has("blpop")) {
      t.skip("BLPOP is not registered yet");
      return;
    }
    const c = await RespTestClient.connect(shale.port);
    await c.call("MULTI");
    await c.call("BLPOP", "empty-list", "0");
    assert.deepEqual(await c.call("EXEC"), [null]);
    c.close();
  });

  it("DEBUG SLEEP inside EXEC sleeps in place", async () => {
    const c = await RespTestClient.connect(shale.port);
    await c.call("MULTI");
    await c.call("DEBUG", "SLEEP", "0.05");
    await c.call("PING");
    const t0 = Date.now();
    assert.deepEqual(await c.call("EXEC"), ["OK", "PONG"]);
    assert.ok(Date.now() - t0 >= 45);
    c.close();
  });

  it("a client that disconnects inside MULTI leaves no watch behind", async () => {
    const c = await RespTestClient.connect(shale.port);
    await c.call("WATCH", "w1", "w2");
    await c.call("MULTI");
    await c.call("SET", "w1", "x");
    c.close();
    await new Promise((r) => setTimeout(r, 50));
    assert.equal(shale.server.watchers.size, 0);
    assert.equal(shale.server.store.onModified, null);
  });
});

// ---- differential: Shale against a real redis-server ----

describe("transactions match redis-server 7.0 byte for byte", { timeout: 120_000 }, () => {
  const servers = useServers({ shaleAlways: true, redisArgs: ["--enable-debug-command", "yes"] });

  for (const proto of [2, 3] as const) {
    for (const [name, steps] of Object.entries(SEQUENCES)) {
      // RESP3 pushes (UNSUBSCRIBE's reply) are not replies to the test client; pubsub.test.ts covers them.
      if (proto === 3 && name === "subscribe_in_multi") continue;
      it(`${name} (RESP${proto})`, (t) =>
        withPair(t, servers, proto, (pair) =>
          runSequence(pair, `${name} RESP${proto}`, steps, `tx:${name}:${proto}:`),
        ));
    }
  }
});
