// Keyspace notifications (notify-keyspace-events) compared with a real redis-server 7.0 byte for
// byte: a subscriber (PSUBSCRIBE __key*__:*) watches while another connection runs commands of
// every family, with the setting at KEA and at subsets, in RESP2 and RESP3; a RESP3 client that
// subscribes and runs the commands itself (where its pushes fall among its replies); lazy and
// active expiry; clients served while blocked; the setting's parsing and CONFIG GET form. Eviction
// picks different keys in Redis, so there each server is checked on its own: one "evicted" event
// per evicted key, as many as INFO's evicted_keys.
//
// After each step the command connection publishes on a marker channel the pattern also matches,
// and what the subscriber received up to that marker is the step's output: nothing depends on
// timing. A step "!cmd" gets no marker (its events are compared with the next step's); "?cmd" has
// a random reply, compared with its one-letter members blanked out; "&cmd" is
// sent on a third connection that blocks, "@" takes that connection's reply; "WAITEXPIRED pattern"
// polls KEYS (which skips keys past their time but expires nothing) until the server counts every
// matching key as expired, "WAITKEYS n" polls DBSIZE (which counts them) until the active expiry
// cycle has left n keys, "WAITBLOCKED n" polls INFO until n clients are blocked.

import assert from "node:assert/strict";
import { connect, type Socket } from "node:net";
import { describe, it, type TestContext } from "node:test";
import { pause, type Servers, useServers } from "../diff-testing.js";
import { encodeCommand, RespTestClient, startRedis, startShale } from "../testing.js";

const PATTERN = "__key*__:*";
const MARK = "__keymark__:";

/** A connection that keeps every byte it receives. */
class RawStream {
  private chunks: Buffer[] = [];
  private size = 0;
  private flat = Buffer.alloc(0);
  private wake: (() => void) | null = null;

  private constructor(readonly socket: Socket) {
    socket.on("data", (d: Buffer) => {
      this.chunks.push(d);
      this.size += d.length;
      this.wake?.();
    });
  }

  static open(port: number): Promise<RawStream> {
    return new Promise((resolve, reject) => {
      const s = connect(port, "127.0.0.1", () => resolve(new RawStream(s)));
      s.once("error", reject);
    });
  }

  get received(): Buffer {
    if (this.flat.length !== this.size) {
      this.flat = Buffer.concat([this.flat, ...this.chunks]);
      this.chunks = [];
    }
    return this.flat;
  }

  write(...args: string[]): void {
    this.socket.write(encodeCommand(args));
  }

  /** Waits until the bytes from `from` on contain `needle`; returns the offset just past it. */
  async waitFor(needle: string, from: number): Promise<number> {
    const n = Buffer.from(needle, "latin1");
    const deadline = Date.now() + 10_000;
    for (;;) {
      const i = this.received.indexOf(n, from);
      if (i >= 0) return i + n.length;
      if (Date.now() > deadline) {
        throw new Error(
          `no ${JSON.stringify(needle)} after: ${JSON.stringify(this.received.toString("latin1", from))}`,
        );
      }
      await new Promise<void>((resolve) => {
        this.wake = resolve;
        setTimeout(resolve, 50);
      });
      this.wake = null;
    }
  }

  close(): void {
    this.socket.destroy();
  }
}

function words(step: string): string[] {
  return step.split(" ").map((w) => (w === "''" ? "" : w));
}

/** Opens a raw connection in the protocol, switched with HELLO when 3; returns it with its offset past the greeting. */
async function openStream(port: number, proto: 2 | 3): Promise<[RawStream, number]> {
  const s = await RawStream.open(port);
  if (proto === 2) return [s, 0];
  s.write("HELLO", "3");
  s.write("PING", "__hello__");
  return [s, await s.waitFor("__hello__\r\n", 0)];
}

/** Polls a reply on the command connection until `done` (the polls are not compared). */
async function pollUntil(c: RespTestClient, cmd: string[], done: (reply: string) => boolean, what: string) {
  const deadline = Date.now() + 10_000;
  for (;;) {
    const r = (await c.send(...cmd)).raw.toString("latin1");
    if (done(r)) return;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what} (last reply ${JSON.stringify(r)})`);
    await pause(10);
  }
}

/** One server's side of a watched run: commands, a subscriber, a connection for blocking commands. */
class WatchedRun {
  private marks = 0;
  private subAt = 0;
  private pending: Promise<{ raw: Buffer }> | null = null;

  private constructor(
    readonly cmd: RespTestClient,
    readonly sub: RawStream,
    readonly blocker: RespTestClient,
  ) {}

  static async open(port: number, proto: 2 | 3): Promise<WatchedRun> {
    const client = async () => {
      const c = await RespTestClient.connect(port);
      if (proto === 3) await c.send("HELLO", "3");
      return c;
    };
    const [sub, at] = await openStream(port, proto);
    sub.write("PSUBSCRIBE", PATTERN);
    const run = new WatchedRun(await client(), sub, await client());
    run.subAt = await sub.waitFor(`${PATTERN}\r\n:1\r\n`, at);
    return run;
  }

  /** Runs one step; returns what is compared for it. */
  async step(step: string): Promise<string> {
    const args = words(step);
    if (args[0] === "WAITEXPIRED") {
      await pollUntil(this.cmd, ["KEYS", args[1]], (r) => r === "*0\r\n", step);
      return "";
    }
    if (args[0] === "WAITKEYS") {
      await pollUntil(this.cmd, ["DBSIZE"], (r) => r === `:${args[1]}\r\n`, `${args[1]} keys`);
      return `| ${await this.mark()}`;
    }
    if (args[0] === "WAITBLOCKED") {
      await pollUntil(this.cmd, ["INFO", "clients"], (r) => r.includes(`blocked_clients:${args[1]}\r\n`), step);
      return "";
    }
    if (args[0] === "@") {
      const r = await this.pending;
      this.pending = null;
      return `blocked client: ${r?.raw.toString("latin1")}`;
    }
    if (step.startsWith("&")) {
      this.pending = this.blocker.send(...words(step.slice(1)));
      return "";
    }
    const quiet = step.startsWith("!");
    const r = (await this.cmd.send(...(quiet ? words(step.slice(1)) : args))).raw.toString("latin1");
    return quiet ? r : `${r} | ${await this.mark()}`;
  }

  /** Publishes the next marker; returns what the subscriber received up to it. */
  private async mark(): Promise<string> {
    const ch = `${MARK}${++this.marks}`;
    await this.cmd.send("PUBLISH", ch, "x");
    const end = await this.sub.waitFor(`${ch}\r\n$1\r\nx\r\n`, this.subAt);
    const got = this.sub.received.toString("latin1", this.subAt, end);
    this.subAt = end;
    return got;
  }

  close(): void {
    this.cmd.close();
    this.sub.close();
    this.blocker.close();
  }
}

/** A RESP3 client subscribed to every event that runs the steps itself. */
class SelfRun {
  private marks = 0;
  private at = 0;

  private constructor(
    readonly conn: RawStream,
    readonly helper: RespTestClient,
  ) {}

  static async open(port: number): Promise<SelfRun> {
    const [conn, at] = await openStream(port, 3);
    conn.write("PSUBSCRIBE", PATTERN);
    const run = new SelfRun(conn, await RespTestClient.connect(port));
    run.at = await conn.waitFor(`${PATTERN}\r\n:1\r\n`, at);
    return run;
  }

  async step(step: string): Promise<string> {
    const quiet = step.startsWith("!");
    const args = words(quiet ? step.slice(1) : step);
    if (args[0] === "WAITEXPIRED") {
      await pollUntil(this.helper, ["KEYS", args[1]], (r) => r === "*0\r\n", step);
      return "";
    }
    if (args[0] === "WAITKEYS") {
      await pollUntil(this.helper, ["DBSIZE"], (r) => r === `:${args[1]}\r\n`, `${args[1]} keys`);
      args.splice(0, args.length, "PING");
    }
    // The helper polls DBSIZE in the database the steps use.
    if (args[0].toUpperCase() === "SELECT") await this.helper.send(...args);
    if (quiet) {
      this.conn.write(...args);
      return "";
    }
    const ch = `${MARK}${++this.marks}`;
    this.conn.write(...args);
    this.conn.write("PUBLISH", ch, "x");
    const end = await this.conn.waitFor(`${ch}\r\n$1\r\nx\r\n:1\r\n`, this.at);
    const got = this.conn.received.toString("latin1", this.at, end);
    this.at = end;
    return got;
  }

  close(): void {
    this.conn.close();
    this.helper.close();
  }
}

interface Runner {
  step(step: string): Promise<string>;
  close(): void;
}

/** Runs the steps on both servers at once and requires the same output at every step. */
async function compareRuns(
  t: TestContext,
  servers: Servers,
  open: (port: number) => Promise<Runner>,
  name: string,
  steps: string[],
): Promise<void> {
  if (servers.redis === null || servers.shale === null) {
    t.skip("redis-server is not installed");
    return;
  }
  const run = async (port: number): Promise<string[]> => {
    const r = await open(port);
    try {
      const out: string[] = [];
      for (const s of steps) {
        // A random reply: its one-letter members are blanked (the events are kept).
        if (s.startsWith("?")) out.push((await r.step(s.slice(1))).replace(/\$1\r\n[a-z]\r\n/g, "$1\r\n?\r\n"));
        else out.push(await r.step(s));
      }
      return out;
    } finally {
      r.close();
    }
  };
  const [shale, redis] = await Promise.all([run(servers.shale.port), run(servers.redis.port)]);
  for (let i = 0; i < steps.length; i++) {
    if (shale[i] !== redis[i]) {
      assert.fail(
        `${name}: step #${i} "${steps[i]}" differs\n  shale: ${JSON.stringify(shale[i])}\n  redis: ${JSON.stringify(redis[i])}` +
          `\n  after: ${steps.slice(Math.max(0, i - 4), i).join(" | ")}`,
      );
    }
  }
}

// ---- the scripts ----

const STRINGS = [
  "SET s1 v",
  "SET s1 v2",
  "SET s1 v EX 100",
  "SET s1 v KEEPTTL",
  "SET s1 v NX",
  "SET s2 v XX",
  "SET s1 w GET",
  "SET s3 v GET",
  "SET s3 v NX GET",
  "SETNX s1 v",
  "SETNX s5 v",
  "SETEX s6 100 v",
  "PSETEX s6 100000 v",
  "SETEX s6 0 v",
  "GETSET s6 w",
  "GETSET s7 w",
  "GETDEL s7",
  "GETDEL s7",
  "GETEX s1",
  "GETEX s1 EX 100",
  "GETEX s1 PERSIST",
  "GETEX s1 PERSIST",
  "GETEX s1 PXAT 1",
  "GETEX s1",
  "GETEX nx EX 10",
  "MSET m1 1 m2 2 m1 3",
  "MSETNX m1 1 m3 3",
  "MSETNX m3 1 m4 1 m3 2",
  "APPEND a1 x",
  "APPEND a1 yz",
  "SETRANGE r1 3 ab",
  "SETRANGE r1 0 ''",
  "SETRANGE r2 0 ''",
  "SETRANGE r1 1 Z",
  "INCR n1",
  "INCR n1",
  "DECR n1",
  "INCRBY n1 10",
  "DECRBY n1 3",
  "INCRBY n1 9223372036854775807",
  "INCRBY n2 -9223372036854775808",
  "DECR n2",
  "INCRBYFLOAT f1 1.5",
  "INCRBYFLOAT f1 2",
  "INCR a1",
  "GET nx",
  "MGET s6 nx s5 nx2",
  "STRLEN nx",
  "GETRANGE nx 0 1",
  "LCS nx s6",
  "RPUSH wl x",
  "GET wl",
  "APPEND wl x",
  "SET wl v",
  "GETDEL wl",
];

const KEYS = [
  "SET k1 1",
  "SET k2 2",
  "DEL k1 k2 nx",
  "UNLINK k1",
  "SET k1 1",
  "EXISTS k1 nx nx",
  "TYPE nx",
  "TYPE k1",
  "TOUCH k1 nx",
  "RENAME k1 k2",
  "SET k1 x",
  "RENAME k1 k2",
  "RENAME k2 k2",
  "RENAMENX k2 k2",
  "RENAMENX k2 k3",
  "SET k4 1",
  "RENAMENX k3 k4",
  "RENAME nx y",
  "SADD set1 a",
  "RENAME set1 set2",
  "MOVE k4 1",
  "SET k4 1",
  "SELECT 1",
  "SET k4 5",
  "SELECT 0",
  "MOVE k4 1",
  "MOVE nx 1",
  "COPY k3 k5",
  "COPY k3 k5",
  "COPY k3 k5 REPLACE",
  "COPY k3 k6 DB 2",
  "COPY nx k6",
  "COPY set2 set3",
  "EXPIRE k3 100",
  "EXPIRE k3 100 NX",
  "PEXPIRE k3 200000 GT",
  "PEXPIRE k3 200000 LT",
  "EXPIREAT k3 1",
  "EXPIRE nx 10",
  "SET k3 1",
  "EXPIRE k3 0",
  "SET k3 1",
  "PEXPIRE k3 -5",
  "SET k3 1 EX 100",
  "PERSIST k3",
  "PERSIST k3",
  "PERSIST nx",
  "TTL nx",
  "PTTL nx",
  "EXPIRETIME nx",
  "PEXPIRETIME nx",
  "TTL k3",
  "OBJECT ENCODING nx",
  "OBJECT ENCODING k3",
  "MEMORY USAGE nx",
  "SELECT 1",
  "DEL k4",
  "SELECT 2",
  "RENAME k6 k7",
  "SELECT 0",
  "FLUSHDB",
  "SET f1 1",
  "SWAPDB 0 1",
  "SELECT 1",
  "DEL f1",
  "SELECT 0",
  "FLUSHALL",
];

const LISTS = [
  "LPUSH l a b",
  "RPUSH l c",
  "LPUSHX nx a",
  "RPUSHX l d",
  "LPUSHX l z",
  "LPOP l",
  "RPOP l",
  "LPOP l 2",
  "LPOP l 0",
  "LPOP nx",
  "RPOP nx 2",
  "RPUSH l a b c",
  "LSET l 0 x",
  "LSET l 10 x",
  "LSET nx 0 x",
  "LINSERT l BEFORE b y",
  "LINSERT l AFTER nope y",
  "LINSERT nx BEFORE nope y",
  "LREM l 0 nope",
  "LREM l 0 y",
  "LTRIM l 0 -1",
  "LTRIM l 0 0",
  "LTRIM l 5 10",
  "LTRIM nx 0 1",
  "RPUSH l a b c",
  "LMOVE l l2 LEFT RIGHT",
  "LMOVE l l2 RIGHT LEFT",
  "LMOVE l l2 LEFT LEFT",
  "LMOVE l l2 LEFT LEFT",
  "RPUSH l a",
  "RPOPLPUSH l l",
  "RPOPLPUSH l l2",
  "SET str v",
  "RPOPLPUSH l2 str",
  "LMPOP 2 nx l2 LEFT COUNT 2",
  "LMPOP 2 nx l2 RIGHT COUNT 5",
  "LMPOP 1 nx LEFT",
  "LRANGE nx 0 1",
  "LLEN nx",
  "LINDEX nx 0",
  "LPOS nx a",
  "RPUSH l a b",
  "BLPOP l 1",
  "BRPOP l 1",
  "RPUSH l a b",
  "BLMOVE l l3 LEFT RIGHT 1",
  "BRPOPLPUSH l l3 1",
  "BLMPOP 1 2 l3 nx LEFT COUNT 10",
  "&BLPOP bq 0",
  "WAITBLOCKED 1",
  "RPUSH bq a",
  "@",
  "&BRPOP bq 0",
  "WAITBLOCKED 1",
  "LPUSH bq c",
  "@",
  "&BLMOVE bs bd LEFT RIGHT 0",
  "WAITBLOCKED 1",
  "RPUSH bs x",
  "@",
  "&BLMPOP 0 1 bs RIGHT COUNT 3",
  "WAITBLOCKED 1",
  "RPUSH bs x y",
  "@",
];

const HASHES = [
  "HSET h f v",
  "HSET h f v",
  "HSET h f v g w",
  "HMSET h g v",
  "HSETNX h g v",
  "HSETNX h2 g v",
  "HINCRBY h n 1",
  "HINCRBY h f 1",
  "HINCRBY h3 n 5",
  "HINCRBYFLOAT h x 1.5",
  "HINCRBYFLOAT h4 x 1.5",
  "HDEL h nope",
  "HDEL h f g",
  "HDEL h n x",
  "HDEL nx f",
  "HGET nx f",
  "HMGET nx f g",
  "HGETALL nx",
  "HKEYS nx",
  "HVALS nx",
  "HLEN nx",
  "HSTRLEN nx f",
  "HRANDFIELD nx",
  "HRANDFIELD nx 2",
  "HSCAN nx 0",
  "HEXISTS nx f",
  "HGET h2 g",
];

const SETS = [
  "SADD s a b",
  "SADD s a",
  "SREM s nope",
  "SREM s a",
  "SREM nx a",
  "SPOP s",
  "SADD s a b c",
  "?SPOP s 2",
  "SPOP s 0",
  "?SPOP s 5",
  "SPOP nx",
  "SPOP nx 2",
  "SADD s a b",
  "SMOVE s t a",
  "SMOVE s t a",
  "SMOVE s t b",
  "SADD s a",
  "SMOVE s t a",
  "SMOVE t t b",
  "SMOVE nx t b",
  "SADD s a b",
  "SINTERSTORE d s t",
  "SINTERSTORE d s nx",
  "SINTERSTORE d s nx",
  "SUNIONSTORE d s t",
  "SUNIONSTORE d s t",
  "SDIFFSTORE d s s",
  "SDIFFSTORE d s nx",
  "SADD u c",
  "SINTERSTORE d s u",
  "SINTERSTORE d s u",
  "SINTER nx s",
  "SINTER nx nx2",
  "?SUNION nx s",
  "SDIFF nx",
  "SMEMBERS nx",
  "SCARD nx",
  "SISMEMBER nx a",
  "SMISMEMBER nx a",
  "SINTERCARD 2 nx s",
  "SRANDMEMBER nx",
  "SRANDMEMBER nx 3",
  "SSCAN nx 0",
];

const ZSETS = [
  "ZADD z 1 a 2 b",
  "ZADD z 1 a",
  "ZADD z CH 5 a",
  "ZADD z NX 5 a",
  "ZADD z XX 6 nope",
  "ZADD nz XX 6 nope",
  "ZADD z INCR 1 a",
  "ZADD z NX INCR 1 a",
  "ZINCRBY z 1 a",
  "ZINCRBY z2 1 a",
  "ZADD z GT 1 a",
  "ZADD z 1 c 2 c",
  "ZREM z nope",
  "ZREM z a",
  "ZREM z2 a",
  "ZREM nx a",
  "ZADD z 1 a 2 b 3 c 4 d",
  "ZREMRANGEBYSCORE z 10 20",
  "ZREMRANGEBYSCORE z 1 1",
  "ZREMRANGEBYRANK z 0 0",
  "ZREMRANGEBYLEX z [c [c",
  "ZREMRANGEBYLEX z - +",
  "ZREMRANGEBYRANK nx 0 1",
  "ZADD z 1 a 2 b 3 c 4 d",
  "ZPOPMIN z",
  "ZPOPMAX z",
  "ZPOPMIN z 0",
  "ZPOPMIN nx",
  "ZPOPMAX z 5",
  "ZADD z 1 a 2 b 3 c 4 d",
  "ZMPOP 2 nx z MIN COUNT 2",
  "BZPOPMIN z 1",
  "BZPOPMAX z 1",
  "ZADD z 1 a 2 b 3 c 4 d",
  "BZMPOP 1 1 z MAX",
  "ZRANGESTORE d z 0 -1",
  "ZRANGESTORE d z 10 20",
  "ZRANGESTORE d z 10 20",
  "ZRANGESTORE d nx 0 1",
  "ZRANGESTORE d z 0 0",
  "ZRANGESTORE d z 0 1",
  "ZSCORE nx a",
  "ZMSCORE nx a",
  "ZRANGE nx 0 1",
  "ZRANGEBYSCORE nx 0 1",
  "ZCARD nx",
  "ZCOUNT nx 0 1",
  "ZLEXCOUNT nx - +",
  "ZRANK nx a",
  "ZSCAN nx 0",
  "ZRANDMEMBER nx",
  "&BZPOPMIN bz 0",
  "WAITBLOCKED 1",
  "ZADD bz 1 a",
  "@",
  "&BZMPOP 0 1 bz MAX COUNT 5",
  "WAITBLOCKED 1",
  "ZADD bz 1 a 2 b",
  "@",
];

/** Queued steps get no marker (it would be queued too): EXEC's events are compared with its own. */
const TRANSACTIONS = [
  "!MULTI",
  "!SET t1 1",
  "!INCR t1",
  "!LPUSH t2 a b",
  "!GET nx",
  "!RPOP t2",
  "!DEL t1 t2",
  "EXEC",
  "!MULTI",
  "!SADD t3 a",
  "!SPOP t3",
  "!ZADD t4 1 a",
  "!ZPOPMIN t4",
  "EXEC",
];

/**
 * Keys that expire while nothing runs the active cycle: found expired by the commands that touch them.
 * TTLs are 20 ms, not 1: a server that takes a millisecond between reading the clock and checking
 * the expiry (a loaded CI machine) finds a 1 ms TTL already past and deletes the key at once with
 * a "del" event, which made this differential flaky.
 */
const LAZY_EXPIRY = [
  "DEBUG SET-ACTIVE-EXPIRE 0",
  "SET e1 v PX 20",
  "HSET e2 f v",
  "PEXPIRE e2 20",
  "LPUSH e3 a",
  "PEXPIRE e3 20",
  "SET e4 v PXAT 1",
  "SET e5 v PX 20",
  "SET e6 v PX 20",
  "SADD e7 a",
  "PEXPIRE e7 20",
  "SET e8 1 PX 20",
  "SET e9 v PX 20",
  "SET e10 v PX 20",
  "SET e11 v PX 20",
  "ZADD e12 1 a",
  "PEXPIRE e12 20",
  "SET e13 v PX 20",
  "SET e14 v PX 20",
  "WAITEXPIRED e*",
  "GET e1",
  "HGET e2 f",
  "LPUSH e3 b",
  "SET e4 w",
  "DEL e5",
  "EXISTS e6",
  "SADD e7 b",
  "INCR e8",
  "TTL e9",
  "OBJECT ENCODING e10",
  "RENAME e11 x",
  "ZPOPMIN e12",
  "EXPIRE e13 100",
  "TYPE e14",
  "SELECT 2",
  "SET live 1",
  "SET gone v PX 20",
  "WAITEXPIRED gone",
  "SCAN 0",
  "SET gone v PX 20",
  "WAITEXPIRED gone",
  "SCAN 0 TYPE string",
  "SET gone v PX 20",
  "WAITEXPIRED gone",
  "SCAN 0 MATCH x*",
  "DBSIZE",
  // Nothing may be left to expire when the active cycle comes back on.
  "DEL gone",
  "SELECT 0",
  "DEBUG SET-ACTIVE-EXPIRE 1",
];

/** Keys expired by the active cycle: the events arrive with no command touching the keys. */
const ACTIVE_EXPIRY = [
  "SET x1 v",
  "!PEXPIRE x1 20",
  "WAITKEYS 0",
  "RPUSH x2 a",
  "!PEXPIRE x2 20",
  "WAITKEYS 0",
  "SELECT 3",
  "HSET x3 f v",
  "!PEXPIRE x3 20",
  "WAITKEYS 0",
  "SELECT 0",
  "!SET x4 v PX 20",
  "WAITKEYS 0",
];

const FAMILIES: [string, string[]][] = [
  ["strings", STRINGS],
  ["keys", KEYS],
  ["lists", LISTS],
  ["hashes", HASHES],
  ["sets", SETS],
  ["zsets", ZSETS],
  ["transactions", TRANSACTIONS],
  ["lazy expiry", LAZY_EXPIRY],
  ["active expiry", ACTIVE_EXPIRY],
];

/** The setting's values tried: everything, each class alone with K or E, and "off". */
const FLAG_SETS = ["KEA", "KEAnm", "Kx", "E$", "KEn", "KEm", "Elg", "Kgsh", "Ez", "KE", ""];

/** A script with its setting, on a flushed keyspace. */
function script(flags: string, steps: string[]): string[] {
  return ["FLUSHALL", `CONFIG SET notify-keyspace-events ${flags === "" ? "''" : flags}`, ...steps];
}

describe("keyspace notifications: differential against redis-server 7.0", () => {
  const servers = useServers({ redisArgs: ["--enable-debug-command", "yes"] });

  for (const proto of [2, 3] as const) {
    for (const flags of FLAG_SETS) {
      it(`RESP${proto} '${flags}': every family, a subscriber on another connection`, async (t) => {
        for (const [name, steps] of FAMILIES) {
          // Flag sets without expiry events still run the active-expiry script: nothing may arrive.
          await compareRuns(
            t,
            servers,
            (port) => WatchedRun.open(port, proto),
            `${name} '${flags}'`,
            script(flags, steps),
          );
        }
      });
    }
  }

  for (const flags of ["KEAnm", "Km"]) {
    it(`RESP3 '${flags}': a subscriber running the commands itself gets its pushes where Redis puts them`, async (t) => {
      for (const [name, steps] of FAMILIES) {
        const own = steps.filter((s) => !s.startsWith("&") && s !== "@" && !s.startsWith("WAITBLOCKED"));
        await compareRuns(t, servers, (port) => SelfRun.open(port), `${name} (self) '${flags}'`, script(flags, own));
      }
    });
  }

  it("CONFIG SET/GET notify-keyspace-events: letters, the form CONFIG GET prints, errors", async (t) => {
    const values = [
      "K",
      "E",
      "g",
      "xK",
      "KEA",
      "AKE",
      "A",
      "AAm",
      "g$lshzxetd",
      "g$lshzxetdKEmn",
      "nmEKtdezhslg$x",
      "n",
      "nm",
      "KEl",
      "lEK",
      "''",
      "KEz!",
      "a",
      "KEAx?",
      "KEA",
    ];
    const steps = values.flatMap((v) => [
      `CONFIG SET notify-keyspace-events ${v}`,
      "CONFIG GET notify-keyspace-events",
    ]);
    steps.push(
      "CONFIG SET maxmemory-samples 7 notify-keyspace-events bad",
      "CONFIG GET maxmemory-samples",
      "CONFIG GET notify-keyspace-events",
      "CONFIG SET notify-keyspace-events KEAn maxmemory-policy bogus",
      "CONFIG GET notify-keyspace-events",
      "CONFIG GET notify*",
      "CONFIG SET notify-keyspace-events ''",
    );
    await compareRuns(t, servers, (port) => WatchedRun.open(port, 2), "config", steps);
  });
});

describe("keyspace notifications on the command line", () => {
  it("--notify-keyspace-events goes through the config table: CONFIG GET as Redis prints it, events fire", async (t) => {
    const redis = await startRedis(["--notify-keyspace-events", "KEAn"]);
    if (redis === null) {
      t.skip("redis-server is not installed");
      return;
    }
    const shale = await startShale({ "notify-keyspace-events": "KEAn" });
    try {
      const pair: Servers = { shale, redis };
      await compareRuns(t, pair, (port) => WatchedRun.open(port, 2), "command line", [
        "CONFIG GET notify-keyspace-events",
        "SET k v",
        "HSET h f v",
      ]);
    } finally {
      await shale.close();
      await redis.close();
    }
  });

  it("an unknown letter is refused at startup with Redis's reason", async () => {
    await assert.rejects(
      startShale({ "notify-keyspace-events": "KEq" }),
      /Invalid event class character\. Use 'Ag\$lshzxeKEtmdn'\./,
    );
  });
});

/**
 * Fills a server past a small maxmemory under allkeys-lru and returns the evicted keys as the
 * events named them (keyspace and keyevent), the evicted_keys count, and which keys remain.
 */
async function evictionRun(port: number): Promise<{
  spaceKeys: string[];
  eventKeys: string[];
  evicted: number;
  remaining: Set<string>;
  written: string[];
}> {
  const cmd = await RespTestClient.connect(port);
  const [sub] = await openStream(port, 2);
  try {
    await cmd.call("FLUSHALL");
    await cmd.call("CONFIG", "SET", "notify-keyspace-events", "KEe");
    sub.write("PSUBSCRIBE", PATTERN);
    let at = await sub.waitFor(`${PATTERN}\r\n:1\r\n`, 0);
    const stat = async (section: string, field: string) => {
      const info = (await cmd.call("INFO", section)) as string;
      return Number(new RegExp(`${field}:(\\d+)`).exec(info)?.[1]);
    };
    const before = await stat("stats", "evicted_keys");
    const used = await stat("memory", "used_memory");
    await cmd.call("CONFIG", "SET", "maxmemory-policy", "allkeys-lru");
    await cmd.call("CONFIG", "SET", "maxmemory", String(used + 200_000));
    const value = "v".repeat(1000);
    const written: string[] = [];
    for (let i = 0; i < 1000; i++) {
      written.push(`ev:${i}`);
      const r = await cmd.call("SET", `ev:${i}`, value);
      assert.equal(r, "OK");
    }
    await cmd.call("CONFIG", "SET", "maxmemory", "0");
    const evicted = (await stat("stats", "evicted_keys")) - before;
    await cmd.call("PUBLISH", `${MARK}end`, "x");
    const end = await sub.waitFor(`${MARK}end\r\n$1\r\nx\r\n`, at);
    const text = sub.received.toString("latin1", at, end);
    at = end;
    const spaceKeys = [...text.matchAll(/__keyspace@0__:(ev:\d+)\r\n\$7\r\nevicted\r\n/g)].map((m) => m[1]);
    const eventKeys = [...text.matchAll(/__keyevent@0__:evicted\r\n\$\d+\r\n(ev:\d+)\r\n/g)].map((m) => m[1]);
    const remaining = new Set<string>();
    for (const k of written) if ((await cmd.call("EXISTS", k)) === 1) remaining.add(k);
    await cmd.call("CONFIG", "SET", "notify-keyspace-events", "");
    await cmd.call("CONFIG", "SET", "maxmemory-policy", "noeviction");
    await cmd.call("FLUSHALL");
    return { spaceKeys, eventKeys, evicted, remaining, written };
  } finally {
    cmd.close();
    sub.close();
  }
}

describe("keyspace notifications: eviction", () => {
  const servers = useServers({ shaleAlways: true });

  for (const side of ["shale", "redis"] as const) {
    it(`${side}: an "evicted" event for each evicted key, as many as evicted_keys`, async (t) => {
      const s = servers[side];
      if (s === null) {
        t.skip("redis-server is not installed");
        return;
      }
      const r = await evictionRun(s.port);
      assert.ok(r.evicted > 0, "the run evicted keys");
      assert.equal(r.eventKeys.length, r.evicted, "keyevent messages = evicted_keys");
      assert.deepEqual(r.spaceKeys, r.eventKeys, "a keyspace message for each, in the same order");
      assert.equal(new Set(r.eventKeys).size, r.eventKeys.length, "no key is evicted twice");
      for (const k of r.written)
        assert.equal(r.remaining.has(k), !r.eventKeys.includes(k), `${k}: evicted iff announced`);
    });
  }
});
