// End-to-end tests of the cache face with real clients: redis-cli (plain commands in every output
// mode compared with a real redis-server's output, --pipe of 100,000 commands, --scan, --bigkeys,
// -x), redis-benchmark (-q, -P 16, --csv, -3), ioredis 6 (RESP3 by default, and RESP2 with
// `protocol: 2`) and node-redis 6 (RESP3 by default, and RESP2 with `RESP: 2`), each running a
// realistic workload against a Shale server started by the test on a free port.
//
// SHALE_CACHE_TARGET=redis runs everything against a real redis-server instead (a check of the
// suite itself). Binaries that are not installed skip their tests (CI installs them).
//
// node-redis 6 has no `isolated()` / `executeIsolated()` any more (removed in v5): blocking
// commands and WATCH run on `duplicate()` connections and on a client pool (createClientPool).

import assert from "node:assert/strict";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, test } from "node:test";
import { Redis, type RedisOptions, ReplyError } from "ioredis";
import { createClient, createClientPool, ErrorReply, WatchError } from "redis";
import { encodeCommand, RespTestClient, startRedis } from "../src/servers/resp/testing.js";
import { hasBinary, runTool, sleep, startTarget, timeout } from "./support/cache-tools.js";

const HAVE_CLI = hasBinary("redis-cli");
const HAVE_BENCH = hasBinary("redis-benchmark");
const HAVE_REDIS = hasBinary("redis-server");
const CI = process.env.CI !== undefined;
/** Per-test limit: a server that stops answering fails the test instead of hanging the run. */
const T = { timeout: 60_000 };

/** Fills a database through the test client, pipelined. */
async function fill(port: number, commands: (string | Buffer)[][], db = 0): Promise<void> {
  const c = await RespTestClient.connect(port);
  try {
    if (db !== 0) await c.send("SELECT", db);
    for (let i = 0; i < commands.length; i += 500) {
      const batch = commands.slice(i, i + 500);
      const replies = await Promise.all(batch.map((cmd) => c.send(...cmd)));
      for (const [j, r] of replies.entries()) {
        assert.notEqual(r.raw[0], 0x2d, `fill: ${batch[j].join(" ")} -> ${r.raw.toString()}`);
      }
    }
  } finally {
    c.close();
  }
}

async function call(port: number, ...args: (string | number)[]) {
  const c = await RespTestClient.connect(port);
  try {
    return await c.call(...args);
  } finally {
    c.close();
  }
}

// ---------------------------------------------------------------------------------------------
// redis-cli

describe("redis-cli", { skip: !HAVE_CLI && !CI ? "redis-cli is not installed" : false }, () => {
  /** What a sequence of redis-cli invocations prints, one entry per command. */
  async function cliSequence(port: number, flags: string[], cmds: string[][]) {
    const out: string[] = [];
    for (const cmd of cmds) {
      const r = await runTool("redis-cli", ["-p", String(port), ...flags, ...cmd], { timeoutMs: 10_000 });
      out.push(`${cmd.join(" ")} => [exit ${r.code}] ${r.stdout.toString("latin1")}${r.stderr}`);
    }
    return out;
  }

  const SEQUENCE: string[][] = [
    ["SET", "a", "b"],
    ["GET", "a"],
    ["GET", "missing"],
    ["INCR", "n"],
    ["INCR", "n"],
    ["INCRBY", "n", "-5"],
    ["INCRBYFLOAT", "f", "1.5"],
    ["APPEND", "a", "c d"],
    ["STRLEN", "a"],
    ["LPUSH", "l", "a", "b", "c"],
    ["RPUSH", "l", "with space", 'quote"d', "new\nline"],
    ["LRANGE", "l", "0", "-1"],
    ["LLEN", "l"],
    ["LPOP", "l", "2"],
    ["HSET", "h", "f1", "v1", "f2", "v2"],
    ["HGETALL", "h"],
    ["HGET", "h", "f1"],
    ["HMGET", "h", "f1", "nope"],
    ["SADD", "s", "3", "1", "2"],
    ["SMEMBERS", "s"],
    ["SISMEMBER", "s", "2"],
    ["SMISMEMBER", "s", "2", "9"],
    ["ZADD", "z", "1", "a", "2.5", "b", "-inf", "c"],
    ["ZRANGE", "z", "0", "-1", "WITHSCORES"],
    ["ZSCORE", "z", "b"],
    ["ZPOPMIN", "z"],
    ["ZRANK", "z", "b"],
    ["TYPE", "l"],
    ["EXISTS", "a", "n", "missing"],
    ["TTL", "a"],
    ["EXPIRE", "a", "1000"],
    ["PERSIST", "a"],
    ["TTL", "a"],
    ["INCR", "l"],
    ["NOSUCHCOMMAND", "x"],
    ["GET"],
    ["MGET", "a", "n", "f", "missing"],
    ["SET", "utf8", "h\u00e9llo \u20ac"],
    ["GET", "utf8"],
    ["PING"],
    ["ECHO", "hello world"],
    ["DEL", "a", "n"],
    ["DBSIZE"],
    ["LRANGE", "empty", "0", "-1"],
    ["HGETALL", "empty"],
    ["SELECT", "99"],
  ];
  const MODES: string[][] = [
    [],
    ["--raw"],
    ["--no-raw"],
    ["-3", "--no-raw"],
    ["-3", "--raw"],
    ["--csv"],
    ["-3", "--json"],
    ["-2", "--json"],
    ["-e", "--no-raw"],
  ];

  test("plain commands print exactly what they print against redis-server, in every output mode", T, async (t) => {
    const target = await startTarget();
    const redis = HAVE_REDIS ? await startRedis() : null;
    try {
      // The default (raw, since stdout is not a tty) output, checked on its own.
      const plain = await cliSequence(
        target.port,
        ["-n", "15"],
        [
          ["SET", "a", "b"],
          ["GET", "a"],
          ["INCR", "n"],
          ["LPUSH", "l", "x", "y"],
          ["LRANGE", "l", "0", "-1"],
          ["HSET", "h", "f", "v"],
          ["HGETALL", "h"],
          ["GET", "nope"],
        ],
      );
      assert.deepEqual(plain, [
        "SET a b => [exit 0] OK\n",
        "GET a => [exit 0] b\n",
        "INCR n => [exit 0] 1\n",
        "LPUSH l x y => [exit 0] 2\n",
        "LRANGE l 0 -1 => [exit 0] y\nx\n",
        "HSET h f v => [exit 0] 1\n",
        "HGETALL h => [exit 0] f\nv\n",
        "GET nope => [exit 0] \n",
      ]);
      const noRaw = await cliSequence(
        target.port,
        ["-n", "14", "--no-raw"],
        [
          ["INCR", "n"],
          ["GET", "nope"],
          ["RPUSH", "l", "a b"],
          ["LRANGE", "l", "0", "-1"],
          ["INCR", "l"],
        ],
      );
      assert.deepEqual(noRaw, [
        "INCR n => [exit 0] (integer) 1\n",
        "GET nope => [exit 0] (nil)\n",
        "RPUSH l a b => [exit 0] (integer) 1\n",
        'LRANGE l 0 -1 => [exit 0] 1) "a b"\n',
        "INCR l => [exit 0] (error) WRONGTYPE Operation against a key holding the wrong kind of value\n",
      ]);
      if (redis === null) {
        t.diagnostic("redis-server is not installed: outputs not compared");
        return;
      }
      // Every mode in its own database, all at once; then the same against redis-server.
      const run = (port: number) =>
        Promise.all(MODES.map((flags, i) => cliSequence(port, ["-n", String(i), ...flags], SEQUENCE)));
      const [mine, theirs] = await Promise.all([run(target.port), run(redis.port)]);
      for (const [i, flags] of MODES.entries()) {
        for (const [j, line] of mine[i].entries()) {
          assert.equal(line, theirs[i][j], `redis-cli ${flags.join(" ")}: command #${j}`);
        }
      }
    } finally {
      await target.close();
      await redis?.close();
    }
  });

  test("reading commands from stdin, and -x with binary input", T, async () => {
    const target = await startTarget();
    try {
      const r = await runTool("redis-cli", ["-p", String(target.port)], {
        input: 'SET greeting "hello world"\nGET greeting\nRPUSH q 1 2 3\nLRANGE q 0 -1\n',
        timeoutMs: 10_000,
      });
      assert.equal(r.stdout.toString(), "OK\nhello world\n3\n1\n2\n3\n");
      const blob = Buffer.from(Array.from({ length: 4096 }, (_, i) => (i * 7 + 3) & 255));
      const x = await runTool("redis-cli", ["-p", String(target.port), "-x", "SET", "blob"], {
        input: blob,
        timeoutMs: 10_000,
      });
      assert.equal(x.stdout.toString(), "OK\n");
      const c = await RespTestClient.connect(target.port);
      const got = (await c.send("GET", "blob")).value;
      c.close();
      assert.ok(Buffer.isBuffer(got));
      assert.ok(got.equals(blob), "the blob read back differs");
    } finally {
      await target.close();
    }
  });

  test("--pipe of 100,000 commands (SET/INCR/RPUSH) reports no errors and stores the data", T, async () => {
    const target = await startTarget();
    const dir = mkdtempSync(join(tmpdir(), "shale-pipe-"));
    try {
      const N = 100_000;
      const parts: Buffer[] = [];
      for (let i = 0; i < N; i++) {
        const m = i % 3;
        if (m === 0) parts.push(encodeCommand(["SET", `key:${i}`, `val:${i}`]));
        else if (m === 1) parts.push(encodeCommand(["INCR", `counter:${i % 100}`]));
        else parts.push(encodeCommand(["RPUSH", `list:${i % 10}`, String(i)]));
      }
      const file = join(dir, "commands.resp");
      writeFileSync(file, Buffer.concat(parts));
      const r = await runTool("redis-cli", ["-p", String(target.port), "--pipe"], {
        inputFile: file,
        timeoutMs: 60_000,
      });
      const out = r.stdout.toString();
      assert.equal(r.timedOut, false, "redis-cli --pipe timed out");
      assert.match(out, /All data transferred/);
      assert.match(out, /Last reply received from server/);
      assert.match(out, /errors: 0, replies: 100000\n/, out);
      assert.equal(r.code, 0);

      const sets = Math.ceil(N / 3);
      const incrs = Math.floor((N + 1) / 3);
      const pushes = N - sets - incrs;
      assert.equal(await call(target.port, "DBSIZE"), sets + 100 + 10);
      assert.equal(await call(target.port, "GET", "key:0"), "val:0");
      assert.equal(await call(target.port, "GET", "key:99999"), "val:99999");
      const c = await RespTestClient.connect(target.port);
      let total = 0;
      for (let i = 0; i < 100; i++) total += Number(await c.call("GET", `counter:${i}`));
      assert.equal(total, incrs);
      let len = 0;
      for (let i = 0; i < 10; i++) len += (await c.call("LLEN", `list:${i}`)) as number;
      assert.equal(len, pushes);
      assert.deepEqual(await c.call("LRANGE", "list:2", "0", "2"), ["2", "32", "62"]);
      c.close();
    } finally {
      rmSync(dir, { recursive: true, force: true });
      await target.close();
    }
  });

  test("--scan --pattern returns every matching key exactly", T, async () => {
    const target = await startTarget();
    try {
      const cmds: string[][] = [];
      for (let i = 0; i < 600; i++) cmds.push(["SET", `user:${i}`, "x"], ["SET", `order:${i}`, "y"]);
      await fill(target.port, cmds);
      const r = await runTool("redis-cli", ["-p", String(target.port), "--scan", "--pattern", "user:*"], {
        timeoutMs: 20_000,
      });
      const keys = r.stdout
        .toString()
        .split("\n")
        .filter((l) => l !== "");
      assert.deepEqual(new Set(keys), new Set(Array.from({ length: 600 }, (_, i) => `user:${i}`)));
      const r2 = await runTool("redis-cli", ["-p", String(target.port), "--scan", "--pattern", "order:1?"], {
        timeoutMs: 20_000,
      });
      const keys2 = r2.stdout
        .toString()
        .split("\n")
        .filter((l) => l !== "");
      assert.deepEqual(keys2.sort(), Array.from({ length: 10 }, (_, i) => `order:1${i}`).sort());
    } finally {
      await target.close();
    }
  });

  test("--bigkeys finds the biggest key of each type", T, async () => {
    const target = await startTarget();
    const redis = HAVE_REDIS ? await startRedis() : null;
    try {
      const data: string[][] = [
        ["SET", "s1", "hello"],
        ["SET", "s2", "hello-world"],
        ["RPUSH", "l1", "a", "b", "c"],
        ["RPUSH", "l2", "a"],
        ["HSET", "h1", "a", "1", "b", "2"],
        ["SADD", "st", "a"],
        ["ZADD", "z", "1", "a", "2", "b"],
      ];
      for (let i = 0; i < 50; i++) data.push(["SET", `filler:${i}`, "v"]);
      const summary = async (port: number) => {
        await fill(port, data);
        const r = await runTool("redis-cli", ["-p", String(port), "--bigkeys"], { timeoutMs: 20_000 });
        assert.equal(r.code, 0, r.stdout.toString() + r.stderr);
        const out = r.stdout.toString();
        return out.slice(out.indexOf("-------- summary -------"));
      };
      const mine = await summary(target.port);
      assert.match(mine, /Sampled 57 keys in the keyspace!/);
      assert.match(mine, /Biggest string found '"s2"' has 11 bytes/);
      assert.match(mine, /Biggest {3}list found '"l1"' has 3 items/);
      assert.match(mine, /Biggest {3}hash found '"h1"' has 2 fields/);
      assert.match(mine, /Biggest {4}set found '"st"' has 1 members/);
      assert.match(mine, /Biggest {3}zset found '"z"' has 2 members/);
      if (redis !== null) assert.equal(mine, await summary(redis.port));
    } finally {
      await target.close();
      await redis?.close();
    }
  });
});

describe("redis-cli monitoring modes", { skip: !HAVE_CLI && !CI ? "redis-cli is not installed" : false }, () => {
  test("--memkeys, -r, --latency, --stat (INFO), --hotkeys without an LFU policy", T, async () => {
    const target = await startTarget();
    try {
      await fill(target.port, [
        ["SET", "s1", "x".repeat(1000)],
        ["RPUSH", "l", "a", "b"],
        ["HSET", "h", "a", "1"],
      ]);
      const cli = (args: string[], timeoutMs = 10_000) =>
        runTool("redis-cli", ["-p", String(target.port), ...args], { timeoutMs });

      const mem = await cli(["--memkeys"]);
      assert.equal(mem.code, 0, mem.stdout.toString() + mem.stderr);
      const memOut = mem.stdout.toString();
      assert.match(memOut, /Sampled 3 keys in the keyspace!/);
      const big = /Biggest string found '"s1"' has (\d+) bytes/.exec(memOut);
      assert.ok(big !== null && Number(big[1]) >= 1000, memOut);

      const rep = await cli(["-r", "3", "INCR", "counter"]);
      assert.equal(rep.stdout.toString(), "1\n2\n3\n");

      // Not a tty: samples for a second, prints "min max avg samples" once.
      const lat = await cli(["--latency", "-i", "0.2"]);
      assert.equal(lat.code, 0);
      assert.match(lat.stdout.toString(), /^\d+ \d+ [\d.]+ \d+\n$/);

      if (hasBinary("stdbuf")) {
        // --stat loops forever, printing a line per interval from INFO; unbuffered, then killed.
        const stat = await runTool("stdbuf", ["-o0", "redis-cli", "-p", String(target.port), "--stat", "-i", "0.1"], {
          timeoutMs: 1500,
        });
        const lines = stat.stdout.toString().split("\n");
        assert.match(lines[0] ?? "", /^------- data ------ -+ load -+ - child -$/, stat.stdout.toString());
        assert.match(lines[1] ?? "", /^keys +mem +clients +blocked +requests +connections/);
        assert.match(lines[2] ?? "", /^4 +[\d.]+[BKMG]? +\d+ +0 +\d+ \(\+\d+\) +\d+/, stat.stdout.toString());
      }

      const hot = await cli(["--hotkeys"]);
      assert.equal(hot.code, 1);
      assert.match(
        hot.stdout.toString() + hot.stderr,
        /Error: ERR An LFU maxmemory policy is not selected, access frequency not tracked\. Please note that when switching between policies at runtime LRU and LFU data will take some time to adjust\./,
      );
    } finally {
      await target.close();
    }
  });
});

// ---------------------------------------------------------------------------------------------
// redis-benchmark

describe("redis-benchmark", { skip: !HAVE_BENCH && !CI ? "redis-benchmark is not installed" : false }, () => {
  const TESTS = "ping_inline,ping_mbulk,set,get,incr,lpush,rpush,lpop,rpop,sadd,hset,spop,zadd,zpopmin,lrange_100,mset";
  const NAMES = [
    "PING_INLINE",
    "PING_MBULK",
    "SET",
    "GET",
    "INCR",
    "LPUSH",
    "RPUSH",
    "LPOP",
    "RPOP",
    "SADD",
    "HSET",
    "SPOP",
    "ZADD",
    "ZPOPMIN",
    "LPUSH (needed to benchmark LRANGE)",
    "LRANGE_100 (first 100 elements)",
    "MSET (10 keys)",
  ];

  async function bench(port: number, extra: string[]): Promise<string> {
    const r = await runTool(
      "redis-benchmark",
      ["-p", String(port), "-t", TESTS, "-n", "2000", "-c", "10", "-r", "1000", ...extra],
      { timeoutMs: 90_000 },
    );
    // Progress lines end in \r; keep only what ends up on screen per line.
    const out = (r.stdout.toString() + r.stderr)
      .split("\n")
      .map((l) => l.split("\r").pop() ?? "")
      .join("\n");
    assert.equal(r.timedOut, false, `redis-benchmark timed out:\n${out}`);
    assert.equal(r.code, 0, out);
    // redis-benchmark 7 exits at the first error reply ("Error from server: ..."); a failing CONFIG GET
    // at startup prints "WARNING: Could not fetch server CONFIG".
    assert.doesNotMatch(out, /Error from server|ERR|WRONGTYPE|WARN|Could not|error/i, out);
    return out;
  }

  test("-q: every test completes without errors and reports a rate", T, async () => {
    const target = await startTarget();
    try {
      const out = await bench(target.port, ["-q"]);
      for (const name of NAMES) {
        assert.match(out, new RegExp(`^${escapeRe(name)}: [0-9.]+ requests per second`, "m"), `${name}:\n${out}`);
      }
      // The data it wrote is there and typed as it expects.
      assert.equal(await call(target.port, "TYPE", "mylist"), "list");
      assert.equal(await call(target.port, "TYPE", "myhash"), "hash");
    } finally {
      await target.close();
    }
  });

  test("-P 16 (pipelined) and -3 (RESP3)", T, async () => {
    const target = await startTarget();
    try {
      for (const extra of [
        ["-q", "-P", "16"],
        ["-q", "-3"],
      ]) {
        const out = await bench(target.port, extra);
        for (const name of NAMES) {
          assert.match(out, new RegExp(`^${escapeRe(name)}: [0-9.]+ requests per second`, "m"), `${name}:\n${out}`);
        }
      }
    } finally {
      await target.close();
    }
  });

  test("--csv", T, async () => {
    const target = await startTarget();
    try {
      const out = await bench(target.port, ["--csv"]);
      const lines = out.split("\n").filter((l) => l !== "");
      assert.match(lines[0], /^"test","rps"/);
      for (const name of NAMES) {
        assert.ok(
          lines.some((l) => new RegExp(`^"${escapeRe(name)}","[0-9.]+"`).test(l)),
          `${name} missing from:\n${out}`,
        );
      }
    } finally {
      await target.close();
    }
  });
});

function escapeRe(s: string): string {
  return s.replace(/[.*+?^${}()|[\]\\]/g, "\\$&");
}

// ---------------------------------------------------------------------------------------------
// ioredis 6

const WRONGTYPE = "WRONGTYPE Operation against a key holding the wrong kind of value";

for (const protocol of [3, 2] as const) {
  describe(`ioredis 6, RESP${protocol}`, () => {
    let target: Awaited<ReturnType<typeof startTarget>>;
    const open: Redis[] = [];
    before(async () => {
      target = await startTarget();
    });
    after(async () => {
      for (const r of open) r.disconnect();
      await target.close();
    });

    /** A connected client (HELLO/SELECT/CLIENT SETNAME/SETINFO/INFO ready check all went through). */
    async function client(extra: Partial<RedisOptions> = {}): Promise<Redis> {
      const r = new Redis({
        host: "127.0.0.1",
        port: target.port,
        protocol,
        db: 1,
        connectionName: "shale-test",
        lazyConnect: true,
        retryStrategy: () => null,
        maxRetriesPerRequest: 0,
        ...extra,
      });
      open.push(r);
      r.on("error", () => {});
      await timeout(r.connect(), 10_000, "ioredis connect");
      assert.equal(r.status, "ready");
      return r;
    }

    test("connects (handshake and ready check) and runs string commands", T, async () => {
      const r = await client();
      assert.equal(await r.client("GETNAME"), "shale-test");
      assert.equal(await r.set("greeting", "hello"), "OK");
      assert.equal(await r.get("greeting"), "hello");
      assert.equal(await r.get("nope"), null);
      assert.equal(await r.incr("visits"), 1);
      assert.equal(await r.incrby("visits", 41), 42);
      assert.equal(await r.incrbyfloat("ratio", "0.1"), "0.1");
      assert.deepEqual(await r.mget("greeting", "visits", "nope"), ["hello", "42", null]);
      assert.equal(await r.set("temp", "x", "EX", 100), "OK");
      assert.ok((await r.ttl("temp")) > 90);
      assert.equal(await r.exists("greeting", "nope", "visits"), 2);
      assert.equal(await r.del("greeting", "nope"), 1);
      const buf = Buffer.from([0, 13, 10, 255, 1]);
      await r.set(Buffer.from("bin\0key"), buf);
      assert.ok((await r.getBuffer(Buffer.from("bin\0key")))?.equals(buf));
      // db 1 was selected: db 0 does not have the keys.
      assert.equal(await call(target.port, "EXISTS", "visits"), 0);
      await r.quit();
    });

    test("MULTI/EXEC, with a command failing inside", T, async () => {
      const r = await client();
      assert.deepEqual(await r.multi().set("m", "1").incr("m").get("m").exec(), [
        [null, "OK"],
        [null, 2],
        [null, "2"],
      ]);
      await r.hset("mh", "f", "v");
      const res = await r.multi().set("m2", "a").incr("mh").exec();
      assert.ok(res !== null);
      assert.deepEqual(res[0], [null, "OK"]);
      const err = res[1][0];
      assert.ok(err instanceof ReplyError);
      assert.equal((err as Error).message, WRONGTYPE);
      // A command rejected at queue time aborts the transaction.
      await assert.rejects(
        r.multi().set("m3", "a").call("NOSUCHCOMMAND").exec(),
        (e: Error) => e instanceof ReplyError && /EXECABORT/.test(e.message),
      );
      assert.equal(await r.exists("m3"), 0);
      await r.quit();
    });

    test("a pipeline of 1,000 commands", T, async () => {
      const r = await client();
      const p = r.pipeline();
      for (let i = 0; i < 1000; i++) {
        if (i % 4 === 0) p.set(`p:${i}`, String(i));
        else if (i % 4 === 1) p.incr("p:counter");
        else if (i % 4 === 2) p.rpush("p:list", String(i));
        else p.get(`p:${i - 3}`);
      }
      const res = await p.exec();
      assert.ok(res !== null);
      assert.equal(res.length, 1000);
      for (const [i, [err, v]] of res.entries()) {
        assert.equal(err, null);
        if (i % 4 === 0) assert.equal(v, "OK");
        else if (i % 4 === 1) assert.equal(v, (i - 1) / 4 + 1);
        else if (i % 4 === 2) assert.equal(v, (i - 2) / 4 + 1);
        else assert.equal(v, String(i - 3));
      }
      assert.equal(await r.llen("p:list"), 250);
      await r.quit();
    });

    test("pub/sub between two connections (channels and patterns)", T, async () => {
      const pub = await client();
      const sub = await client();
      const got: string[] = [];
      sub.on("message", (ch: string, msg: string) => got.push(`${ch}:${msg}`));
      sub.on("pmessage", (pat: string, ch: string, msg: string) => got.push(`${pat}|${ch}:${msg}`));
      assert.equal(await sub.subscribe("news", "alerts"), 2);
      assert.equal(await sub.psubscribe("ev:*"), 3);
      assert.equal(await pub.publish("news", "hello"), 1);
      assert.equal(await pub.publish("ev:42", "fired"), 1);
      assert.equal(await pub.publish("alerts", "\u20ac"), 1);
      assert.equal(await pub.publish("nobody", "x"), 0);
      const deadline = Date.now() + 5000;
      while (got.length < 3 && Date.now() < deadline) await sleep(10);
      assert.deepEqual(got, ["news:hello", "ev:*|ev:42:fired", "alerts:\u20ac"]);
      assert.deepEqual(await pub.pubsub("NUMSUB", "news", "nobody"), ["news", 1, "nobody", 0]);
      assert.equal(await pub.pubsub("NUMPAT"), 1);
      // Named explicitly: ioredis 6.0.0 never resolves a bare UNSUBSCRIBE / PUNSUBSCRIBE (against
      // redis-server too), in both protocols.
      await sub.unsubscribe("news", "alerts");
      await sub.punsubscribe("ev:*");
      assert.equal(await pub.publish("news", "again"), 0);
      // Out of subscriber mode, ordinary commands work again.
      assert.equal(await sub.set("after-sub", "1"), "OK");
      await sub.quit();
      await pub.quit();
    });

    test("BLPOP and BLMOVE unblocked by another connection's push; BLPOP timing out", T, async () => {
      const r = await client();
      const b = await client();
      const popped = b.blpop("queue", 5);
      await sleep(50);
      assert.equal(await r.rpush("queue", "job1", "job2"), 2);
      assert.deepEqual(await popped, ["queue", "job1"]);
      assert.deepEqual(await r.lrange("queue", 0, -1), ["job2"]);
      const moved = b.blmove("src", "dst", "LEFT", "RIGHT", 5);
      await sleep(50);
      await r.lpush("src", "item");
      assert.equal(await moved, "item");
      assert.deepEqual(await r.lrange("dst", 0, -1), ["item"]);
      const t0 = Date.now();
      assert.equal(await b.blpop("never", 0.2), null);
      assert.ok(Date.now() - t0 >= 150, "BLPOP returned before its timeout");
      await b.quit();
      await r.quit();
    });

    test("scanStream over a keyspace that changes during the scan returns every stable key", T, async () => {
      const r = await client({ db: 2 });
      const w = await client({ db: 2 });
      const setup = r.pipeline();
      for (let i = 0; i < 2000; i++) setup.set(`stable:${i}`, "1");
      for (let i = 0; i < 1000; i++) setup.set(`vol:${i}`, "1");
      await setup.exec();
      const seen = new Set<string>();
      let batches = 0;
      let added = 0;
      const stream = r.scanStream({ count: 25 });
      await new Promise<void>((resolve, reject) => {
        stream.on("data", (keys: string[]) => {
          for (const k of keys) seen.add(k);
          batches++;
          stream.pause();
          // Grow (forcing rehashes) and shrink the keyspace between SCAN calls.
          const p = w.pipeline();
          for (let j = 0; j < 40; j++) p.set(`new:${added++}`, "1");
          for (let j = 0; j < 15; j++) p.del(`vol:${(batches * 15 + j) % 1000}`);
          p.exec().then(() => stream.resume(), reject);
        });
        stream.on("end", resolve);
        stream.on("error", reject);
      });
      assert.ok(batches > 10, `only ${batches} SCAN batches`);
      for (let i = 0; i < 2000; i++) assert.ok(seen.has(`stable:${i}`), `stable:${i} was not returned`);
      for (const k of seen) assert.match(k, /^(stable|vol|new):\d+$/);
      await w.quit();
      await r.quit();
    });

    test("hashes, sets and sorted sets (WITHSCORES)", T, async () => {
      const r = await client();
      assert.equal(await r.hset("user:1", { name: "Ada", lang: "en", visits: "1" }), 3);
      assert.deepEqual(await r.hgetall("user:1"), { name: "Ada", lang: "en", visits: "1" });
      assert.equal(await r.hincrby("user:1", "visits", 9), 10);
      assert.equal(await r.hincrbyfloat("user:1", "score", "2.5"), "2.5");
      assert.deepEqual((await r.hkeys("user:1")).sort(), ["lang", "name", "score", "visits"]);
      assert.equal(await r.hdel("user:1", "lang", "nope"), 1);
      assert.deepEqual(await r.hgetall("nope"), {});
      assert.equal(await r.sadd("tags", "a", "b", "c", "a"), 3);
      assert.deepEqual((await r.smembers("tags")).sort(), ["a", "b", "c"]);
      assert.equal(await r.sismember("tags", "b"), 1);
      assert.equal(await r.zadd("board", 10, "ann", 25.5, "bob", 3, "cy"), 3);
      assert.deepEqual(await r.zrange("board", "0", "-1", "WITHSCORES"), ["cy", "3", "ann", "10", "bob", "25.5"]);
      assert.deepEqual(await r.zrevrange("board", 0, 0, "WITHSCORES"), ["bob", "25.5"]);
      assert.deepEqual(await r.zrangebyscore("board", "(3", "+inf"), ["ann", "bob"]);
      assert.equal(await r.zscore("board", "bob"), "25.5");
      assert.equal(await r.zincrby("board", 0.25, "ann"), "10.25");
      assert.equal(await r.zrank("board", "ann"), 1);
      assert.deepEqual(await r.zpopmin("board"), ["cy", "3"]);
      assert.equal(await r.zcard("board"), 2);
      await r.quit();
    });

    test("keyPrefix", T, async () => {
      const plain = await client();
      const app = await client({ keyPrefix: "app:" });
      await app.set("x", "1");
      await app.rpush("jobs", "a", "b");
      assert.equal(await plain.get("app:x"), "1");
      assert.deepEqual(await plain.lrange("app:jobs", 0, -1), ["a", "b"]);
      assert.deepEqual(await app.mget("x", "y"), ["1", null]);
      assert.equal(await app.del("x", "jobs"), 2);
      assert.equal(await plain.exists("app:x", "app:jobs"), 0);
      await app.quit();
      await plain.quit();
    });

    test("errors surface as ReplyError with Redis's text", T, async () => {
      const r = await client();
      await r.hset("eh", "f", "v");
      const expectReply = (p: Promise<unknown>, text: string) =>
        assert.rejects(p, (e: Error) => {
          assert.ok(e instanceof ReplyError, `not a ReplyError: ${e}`);
          assert.equal(e.message, text);
          return true;
        });
      await expectReply(r.incr("eh"), WRONGTYPE);
      await expectReply(r.lpush("eh", "x"), WRONGTYPE);
      await r.set("es", "abc");
      await expectReply(r.incr("es"), "ERR value is not an integer or out of range");
      await expectReply(r.set("es", "v", "EX", 0), "ERR invalid expire time in 'set' command");
      await expectReply(r.call("NOSUCH", "a", "b"), "ERR unknown command 'NOSUCH', with args beginning with: 'a' 'b' ");
      await expectReply(r.call("GET"), "ERR wrong number of arguments for 'get' command");
      await expectReply(r.zadd("ez", "notafloat", "m"), "ERR value is not a valid float");
      // The connection is still fine.
      assert.equal(await r.ping(), "PONG");
      await r.quit();
    });

    test("auto-pipelining: 2,000 concurrent commands", T, async () => {
      const r = await client({ enableAutoPipelining: true });
      const replies = await Promise.all(Array.from({ length: 2000 }, (_, i) => (i % 2 ? r.incr("ap") : r.get("ap"))));
      assert.equal(replies[1999], 1000);
      assert.equal(await r.get("ap"), "1000");
      await r.quit();
    });

    test("password (requirepass): authenticated by the handshake; a wrong one refused", T, async () => {
      const locked = await startTarget({ requirepass: "s3cret" });
      try {
        const base = {
          host: "127.0.0.1",
          port: locked.port,
          protocol,
          lazyConnect: true,
          retryStrategy: () => null,
          maxRetriesPerRequest: 0,
        };
        const ok = new Redis({ ...base, password: "s3cret" });
        ok.on("error", () => {});
        await timeout(ok.connect(), 10_000, "ioredis connect with a password");
        assert.equal(await ok.set("locked", "1"), "OK");
        await ok.quit();
        const bad = new Redis({ ...base, password: "wrong" });
        const seen: Error[] = [];
        bad.on("error", (e: Error) => seen.push(e));
        // connect() fails with "Connection is closed."; the server's reply arrives as an error event.
        await assert.rejects(timeout(bad.connect(), 10_000, "ioredis connect with a wrong password"));
        assert.ok(
          seen.some((e) => /WRONGPASS invalid username-password pair or user is disabled\./.test(e.message)),
          seen.map((e) => e.message).join("; "),
        );
        bad.disconnect();
      } finally {
        await locked.close();
      }
    });

    if (protocol === 3) {
      test("replyMapping 'resp3': maps as objects, doubles as numbers", T, async () => {
        const r = await client({ replyMapping: "resp3" });
        await r.hset("rm", { a: "1", b: "2" });
        assert.deepEqual({ ...(await r.hgetall("rm")) }, { a: "1", b: "2" });
        await r.zadd("rz", 1.5, "x");
        assert.equal(await r.zscore("rz", "x"), 1.5);
        await r.quit();
      });
    }
  });
}

// ---------------------------------------------------------------------------------------------
// node-redis 6

for (const RESP of [3, 2] as const) {
  describe(`node-redis 6, RESP${RESP}`, () => {
    let target: Awaited<ReturnType<typeof startTarget>>;
    const cleanups: (() => unknown)[] = [];
    const errors: Error[] = [];
    before(async () => {
      target = await startTarget();
    });
    after(async () => {
      for (const f of cleanups.reverse()) {
        try {
          await f();
        } catch {
          // already closed
        }
      }
      await target.close();
    });

    function options() {
      return {
        socket: { host: "127.0.0.1", port: target.port, reconnectStrategy: false as const },
        RESP,
        name: "nr-test",
        database: 1,
      };
    }

    async function client() {
      const c = createClient(options());
      c.on("error", (e: Error) => errors.push(e));
      await timeout(c.connect(), 10_000, "node-redis connect");
      cleanups.push(() => c.destroy());
      return c;
    }

    test("connects (HELLO/SELECT/SETINFO) and runs string, hash and sorted-set commands", T, async () => {
      const c = await client();
      assert.equal(await c.clientGetName(), "nr-test");
      assert.equal(await c.set("k", "v"), "OK");
      assert.equal(await c.get("k"), "v");
      assert.equal(await c.incr("n"), 1);
      assert.deepEqual(await c.mGet(["k", "n", "nope"]), ["v", "1", null]);
      assert.equal(await c.set("k2", "v", { NX: true }), "OK");
      assert.equal(await c.set("k2", "v", { NX: true }), null);
      assert.equal(await c.hSet("h", { a: "1", b: "2" }), 2);
      assert.deepEqual({ ...(await c.hGetAll("h")) }, { a: "1", b: "2" });
      assert.equal(await c.hIncrBy("h", "a", 5), 6);
      assert.equal(
        await c.zAdd("z", [
          { score: 1, value: "a" },
          { score: 2.5, value: "b" },
        ]),
        2,
      );
      assert.deepEqual(await c.zRangeWithScores("z", 0, -1), [
        { value: "a", score: 1 },
        { value: "b", score: 2.5 },
      ]);
      assert.equal(await c.zScore("z", "b"), 2.5);
      assert.deepEqual(await c.zRange("z", "(1", "+inf", { BY: "SCORE" }), ["b"]);
      assert.equal(await c.sAdd("s", ["x", "y"]), 2);
      assert.deepEqual((await c.sMembers("s")).sort(), ["x", "y"]);
      assert.equal(await c.exists(["k", "h", "nope"]), 2);
      await assert.rejects(c.incr("h"), (e: Error) => e instanceof ErrorReply && e.message === WRONGTYPE);
      assert.equal(await c.ping(), "PONG");
      await c.close();
      assert.deepEqual(errors, []);
    });

    test("multi().exec() and a WATCH failure", T, async () => {
      const c = await client();
      assert.deepEqual(await c.multi().set("m", "1").incr("m").get("m").exec(), ["OK", 2, "2"]);
      const w = c.duplicate();
      w.on("error", (e: Error) => errors.push(e));
      await w.connect();
      cleanups.push(() => w.destroy());
      await w.set("balance", "10");
      await w.watch("balance");
      await c.set("balance", "999");
      await assert.rejects(w.multi().set("balance", "11").exec(), WatchError);
      assert.equal(await c.get("balance"), "999");
      await w.watch("balance");
      assert.deepEqual(await w.multi().incrBy("balance", 1).exec(), [1000]);
      await w.close();
      await c.close();
    });

    test("blocking pops on duplicate() connections and on a client pool", T, async () => {
      const c = await client();
      const b = c.duplicate();
      b.on("error", (e: Error) => errors.push(e));
      await b.connect();
      cleanups.push(() => b.destroy());
      const popped = b.blPop("queue", 5);
      await sleep(50);
      await c.rPush("queue", "job");
      assert.deepEqual({ ...(await popped) }, { key: "queue", element: "job" });
      assert.equal(await b.blPop("empty", 0.2), null);

      const pool = createClientPool(options(), { minimum: 1, maximum: 4 });
      pool.on("error", (e: Error) => errors.push(e));
      await pool.connect();
      cleanups.push(() => pool.destroy());
      const waiting = pool.brPop("pq", 5);
      await sleep(50);
      await pool.lPush("pq", "from-pool");
      assert.deepEqual({ ...(await waiting) }, { key: "pq", element: "from-pool" });
      await pool.close();
      await b.close();
      await c.close();
    });

    test("scanIterator, hScanIterator, sScanIterator, zScanIterator", T, async () => {
      const c = await client();
      const m = c.multi();
      for (let i = 0; i < 1000; i++) m.set(`sk:${i}`, "1");
      for (let i = 0; i < 300; i++) m.set(`other:${i}`, "1");
      for (let i = 0; i < 300; i++) m.hSet("bigh", `f${i}`, String(i));
      for (let i = 0; i < 300; i++) m.sAdd("bigs", `m${i}`);
      for (let i = 0; i < 300; i++) m.zAdd("bigz", { score: i, value: `z${i}` });
      await m.exec();
      const keys = new Set<string>();
      for await (const batch of c.scanIterator({ MATCH: "sk:*", COUNT: 50 })) for (const k of batch) keys.add(k);
      assert.equal(keys.size, 1000);
      for (let i = 0; i < 1000; i++) assert.ok(keys.has(`sk:${i}`));
      const fields = new Map<string, string>();
      for await (const entries of c.hScanIterator("bigh", { COUNT: 20 })) {
        for (const e of entries) fields.set(e.field, e.value);
      }
      assert.equal(fields.size, 300);
      assert.equal(fields.get("f123"), "123");
      const members = new Set<string>();
      for await (const ms of c.sScanIterator("bigs")) for (const x of ms) members.add(x);
      assert.equal(members.size, 300);
      const zs = new Map<string, number>();
      for await (const ms of c.zScanIterator("bigz")) for (const x of ms) zs.set(x.value, x.score);
      assert.equal(zs.size, 300);
      assert.equal(zs.get("z7"), 7);
      await c.close();
    });

    test("password (requirepass) through HELLO AUTH / AUTH; a wrong one refused", T, async () => {
      const locked = await startTarget({ requirepass: "s3cret" });
      try {
        const socket = { host: "127.0.0.1", port: locked.port, reconnectStrategy: false as const };
        const ok = createClient({ socket, RESP, password: "s3cret" });
        ok.on("error", (e: Error) => errors.push(e));
        await timeout(ok.connect(), 10_000, "node-redis connect with a password");
        assert.equal(await ok.set("locked", "1"), "OK");
        await ok.close();
        const bad = createClient({ socket, RESP, password: "wrong" });
        const badErrors: Error[] = [];
        bad.on("error", (e: Error) => badErrors.push(e));
        await assert.rejects(timeout(bad.connect(), 10_000, "node-redis connect with a wrong password"), (e: Error) =>
          /WRONGPASS invalid username-password pair or user is disabled\./.test(e.message),
        );
        bad.destroy();
      } finally {
        await locked.close();
      }
    });

    test("pub/sub with subscribe / pSubscribe listeners", T, async () => {
      const c = await client();
      const sub = c.duplicate();
      sub.on("error", (e: Error) => errors.push(e));
      await sub.connect();
      cleanups.push(() => sub.destroy());
      const got: string[] = [];
      await sub.subscribe("ch", (msg, ch) => got.push(`${ch}:${msg}`));
      await sub.pSubscribe("ev:*", (msg, ch) => got.push(`p ${ch}:${msg}`));
      assert.equal(await c.publish("ch", "hi"), 1);
      assert.equal(await c.publish("ev:1", "x"), 1);
      const deadline = Date.now() + 5000;
      while (got.length < 2 && Date.now() < deadline) await sleep(10);
      assert.deepEqual(got, ["ch:hi", "p ev:1:x"]);
      assert.deepEqual({ ...(await c.pubSubNumSub("ch")) }, { ch: 1 });
      await sub.unsubscribe("ch");
      await sub.pUnsubscribe("ev:*");
      assert.equal(await c.publish("ch", "gone"), 0);
      await sub.close();
      await c.close();
      assert.deepEqual(errors, []);
    });
  });
}
