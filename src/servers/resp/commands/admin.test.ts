// Tests of the server and admin commands: behaviour against a Shale server (INFO fields, CONFIG SET
// atomicity, CLIENT LIST/KILL/UNBLOCK, FLUSHALL freeing memory, SWAPDB, SAVE with and without a
// persistence layer, SHUTDOWN, DEBUG SLEEP holding only its client), and a differential section
// that sends the same command sequences to Shale and to a real redis-server 7.0 and compares the
// raw replies byte for byte, in RESP2 and RESP3.
//
// Compared otherwise, and why: CONFIG GET with several names or a glob and COMMAND LIST answer in
// Redis's dict order (compared sorted); CLIENT ID/INFO/LIST, TIME, LASTSAVE and DEBUG OBJECT hold
// ids, addresses and clocks (compared by shape); INFO is compared by its section headers, and
// Shale's fields must be a subset of Redis's (plus shale_version); COMMAND INFO entries are
// compared on name, arity, flags, key positions and ACL categories (Shale keeps no command tips,
// and derives key specs from the key positions).

import assert from "node:assert/strict";
import { connect } from "node:net";
import { after, before, describe, it } from "node:test";
import { connectPair, runSequence, type Step, sortKey, useServers, withPair } from "../diff-testing.js";
import type { CacheServer, Persistence } from "../server.js";
import {
  type RespTestClient as Conn,
  encodeCommand,
  RespError,
  RespTestClient,
  type RespValue,
  type RunningServer,
  startShale,
  toStrings,
} from "../testing.js";

// ---- the sequences ----

const LONG = "x".repeat(200);

const SEQUENCES: Record<string, Step[]> = {
  unknown: [
    `foo ${LONG} b`,
    LONG,
    `foo a ${LONG}`,
    "foo a b c",
    "foo ''",
    ["foo", "caf\u00e9", "a\r\nb"],
    `CONFIG ${LONG}`,
    `CLIENT ${LONG} x`,
    `DEBUG ${LONG}`,
    "config GETX",
  ],
  // RESP2 only: the test client does not decode RESP3 attributes (checked raw below).
  attrib: ["DEBUG PROTOCOL attrib"],
  info: [
    "FLUSHALL",
    "INFO keyspace",
    "INFO KEYSPACE",
    "INFO foo",
    "INFO foo bar",
    "SET $k v",
    "SET $k2 v",
    "INFO keyspace",
    "SELECT 3",
    "SET $k v",
    "INFO keyspace",
    "INFO keyspace foo",
    "SELECT 0",
    "INFO cluster",
    "INFO modules",
    "#INFO errorstats",
    "#INFO",
    "#INFO default",
    "#INFO all",
    "#INFO everything",
    "#INFO keyspace server",
    "#INFO server clients memory persistence stats replication cpu",
    "#INFO Server CPU",
    "#INFO commandstats latencystats",
    "FLUSHALL",
  ],
  config_get: [
    "CONFIG GET maxmemory",
    "CONFIG GET MAXMEMORY",
    "~CONFIG GET maxmemory-policy maxmemory",
    "~CONFIG GET maxmemory maxmemory MAXMEMORY",
    "CONFIG GET nonexistent",
    "CONFIG GET nonexistent*",
    "~CONFIG GET save appendonly",
    "~CONFIG GET maxmemory-p*",
    "~CONFIG GET lfu-*",
    "~CONFIG GET LFU-*",
    "~CONFIG GET appendf*",
    "~CONFIG GET slowlog-*",
    "~CONFIG GET lazyfree-*",
    "~CONFIG GET lazyfree-lazy-user-???? timeout",
    "~CONFIG GET databases timeout maxclients notify-keyspace-events requirepass",
    "~CONFIG GET proto-max-bulk-len client-query-buffer-limit appendfilename",
    "~CONFIG GET hz activerehashing loglevel tcp-keepalive protected-mode daemonize",
    "CONFIG GET",
  ],
  config_set: [
    "CONFIG SET maxmemory 10x",
    "CONFIG SET MAXMEMORY 10x",
    "CONFIG SET maxmemory 10mb maxmemory-policy foo",
    "CONFIG GET maxmemory",
    "CONFIG SET maxmemory 10mb maxmemory 20mb",
    "CONFIG SET maxmemory 10mb foo",
    "CONFIG SET foo bar",
    "CONFIG SET foo bar maxmemory 10x",
    "CONFIG SET maxmemory 10x foo bar",
    "CONFIG SET databases 3",
    "CONFIG SET databases 3 foo bar",
    "CONFIG SET maxmemory 1mb MAXMEMORY-POLICY ALLKEYS-LRU",
    "~CONFIG GET maxmemory maxmemory-policy",
    "CONFIG SET maxmemory 0 maxmemory-policy noeviction",
    "~CONFIG GET maxmemory maxmemory-policy",
    "CONFIG SET timeout -1",
    "CONFIG SET timeout abc",
    "CONFIG SET timeout 0",
    "CONFIG SET appendonly maybe",
    "CONFIG SET maxmemory-samples 0",
    "CONFIG SET maxmemory-samples 5",
    "CONFIG SET loglevel foo",
    "CONFIG SET loglevel NOTICE",
    "CONFIG GET loglevel",
    "CONFIG SET appendfsync foo",
    "CONFIG SET lfu-log-factor 20 lfu-decay-time 2",
    "~CONFIG GET lfu-*",
    "CONFIG SET lfu-log-factor 10 lfu-decay-time 1",
    "CONFIG SET hash-max-ziplist-entries 100",
    "CONFIG GET hash-max-listpack-entries",
    "CONFIG GET hash-max-ziplist-entries",
    "CONFIG SET hash-max-ziplist-entries 128 hash-max-listpack-entries 128",
    "CONFIG SET hash-max-listpack-entries 128",
    "CONFIG GET hash-max-ziplist-entries",
    "CONFIG SET save foo",
    "CONFIG SET save '' maxmemory 10x",
    "CONFIG SET save ''",
    "CONFIG GET save",
    "CONFIG SET maxmemory 100",
    "CONFIG SET maxmemory 0",
    "CONFIG REWRITE",
    "CONFIG REWRITE x",
    "CONFIG RESETSTAT",
    "CONFIG RESETSTAT x",
    "CONFIG HELP",
    "CONFIG help",
    "CONFIG",
    "CONFIG foo",
    "CONFIG SET a",
    "CONFIG SET",
  ],
  client: [
    "CLIENT SETNAME a b",
    "CLIENT SETNAME ''",
    "CLIENT GETNAME",
    "CLIENT SETNAME foo",
    "CLIENT GETNAME",
    ["CLIENT", "SETNAME", "a b"],
    ["CLIENT", "SETNAME", "a\nb"],
    ["CLIENT", "SETNAME", "caf\u00e9"],
    "CLIENT GETNAME",
    "CLIENT SETNAME ''",
    "CLIENT GETNAME",
    "CLIENT NO-EVICT maybe",
    "CLIENT NO-EVICT on",
    "CLIENT NO-EVICT OFF",
    "CLIENT NO-EVICT",
    "CLIENT KILL 1.2.3.4:5",
    "CLIENT KILL ID 999999",
    "CLIENT KILL ID abc",
    "CLIENT KILL ID 0",
    "CLIENT KILL ID -3",
    "CLIENT KILL ADDR 1.2.3.4:5",
    "CLIENT KILL LADDR 1.2.3.4:5",
    "CLIENT KILL foo bar",
    "CLIENT KILL ID",
    "CLIENT KILL SKIPME maybe",
    "CLIENT KILL SKIPME yes",
    "CLIENT KILL TYPE foo",
    "CLIENT KILL TYPE master",
    "CLIENT KILL TYPE replica ID 999999",
    "CLIENT KILL USER nobody",
    "CLIENT KILL ID 1 ADDR x",
    "CLIENT KILL ID 1 ADDR",
    "CLIENT REPLY foo",
    "CLIENT REPLY ON",
    "CLIENT ID x",
    "CLIENT UNBLOCK 999999",
    "CLIENT UNBLOCK 999999 TIMEOUT",
    "CLIENT UNBLOCK 999999 error",
    "CLIENT UNBLOCK abc",
    "CLIENT UNBLOCK 1 foo",
    "CLIENT UNBLOCK abc foo",
    "CLIENT UNBLOCK 1 2 3",
    "CLIENT LIST TYPE foo",
    "CLIENT LIST foo",
    "CLIENT LIST ID x",
    "CLIENT LIST ID 999999",
    "CLIENT LIST ID 999999 x",
    "CLIENT LIST TYPE master",
    "CLIENT LIST TYPE replica",
    "CLIENT LIST TYPE pubsub",
    "CLIENT LIST TYPE normal x",
    "CLIENT GETREDIR",
    "CLIENT TRACKINGINFO",
    "CLIENT",
    "CLIENT foo",
    "CLIENT GETNAME x",
    "?CLIENT ID",
    "?CLIENT INFO",
    "?CLIENT LIST",
    "?CLIENT LIST TYPE normal",
  ],
  command: [
    "COMMAND INFO get",
    "COMMAND INFO GET",
    "COMMAND INFO get nosuchcommand",
    "COMMAND INFO config|get CONFIG|foo",
    "COMMAND INFO client|kill multi discard unwatch",
    "COMMAND INFO subscribe unsubscribe psubscribe punsubscribe publish swapdb role readonly readwrite",
    "COMMAND COUNT x",
    "COMMAND GETKEYS get",
    "COMMAND GETKEYS foo a",
    "COMMAND GETKEYS ping x",
    "COMMAND GETKEYS get a",
    "COMMAND GETKEYS GET a",
    "COMMAND GETKEYS get a b",
    "COMMAND GETKEYS watch a b c",
    "COMMAND GETKEYS config get x",
    "COMMAND GETKEYSANDFLAGS get a",
    "COMMAND GETKEYSANDFLAGS get",
    "COMMAND GETKEYSANDFLAGS foo a",
    "COMMAND GETKEYSANDFLAGS ping a",
    "COMMAND LIST x",
    "COMMAND LIST FILTERBY foo x",
    "COMMAND LIST FILTERBY aclcat",
    "COMMAND LIST FILTERBY aclcat foo",
    "COMMAND LIST FILTERBY module x",
    "~COMMAND LIST FILTERBY pattern conf*",
    "~COMMAND LIST FILTERBY pattern CONFIG|*",
    "~COMMAND LIST FILTERBY aclcat transaction",
    "~COMMAND LIST FILTERBY pattern slowlog*",
    "~COMMAND LIST FILTERBY pattern latency*",
    "COMMAND DOCS foo",
    "COMMAND DOCS foo bar",
    "COMMAND HELP",
    "COMMAND foo",
  ],
  keyspace: [
    "FLUSHALL",
    "DBSIZE",
    "SET $a 1",
    "SET $b 2",
    "DBSIZE",
    "DBSIZE x",
    "FLUSHDB foo",
    "FLUSHDB ASYNC",
    "DBSIZE",
    "SET $a 1",
    "FLUSHDB sync",
    "DBSIZE",
    "SET $a 1",
    "FLUSHALL SYNC",
    "FLUSHALL async",
    "FLUSHALL a b",
    "FLUSHDB a b",
    "FLUSHALL foo",
    "SWAPDB 0 x",
    "SWAPDB x 0",
    "SWAPDB x y",
    "SWAPDB 0 99",
    "SWAPDB 99 0",
    "SWAPDB -1 0",
    "SWAPDB 0 2147483648",
    "SWAPDB 0 1.5",
    "SWAPDB 0",
    "SWAPDB 0 0",
    "SET $a 1",
    "SWAPDB 0 1",
    "GET $a",
    "DBSIZE",
    "SELECT 1",
    "GET $a",
    "DBSIZE",
    "SWAPDB 1 0",
    "GET $a",
    "SELECT 0",
    "GET $a",
    "SELECT 2",
    "SET $c 3",
    "SWAPDB 2 2",
    "GET $c",
    "SELECT 0",
    "FLUSHALL",
    "TIME x",
    "?TIME",
    "?LASTSAVE",
    "LASTSAVE x",
  ],
  misc: [
    "SLOWLOG RESET",
    "ROLE",
    "ROLE x",
    "READONLY",
    "READWRITE",
    "READONLY x",
    "WAIT 0 0",
    "WAIT x 0",
    "WAIT 0 -1",
    "WAIT 0 x",
    "WAIT x -1",
    "WAIT 1 10",
    "WAIT 0",
    "SLOWLOG GET",
    "SLOWLOG LEN",
    "SLOWLOG RESET",
    "SLOWLOG GET 5",
    "SLOWLOG GET abc",
    "SLOWLOG GET -1",
    "SLOWLOG GET -2",
    "SLOWLOG GET 1 2",
    "SLOWLOG LEN x",
    "SLOWLOG foo",
    "SLOWLOG",
    "SLOWLOG HELP",
    "LATENCY LATEST",
    "LATENCY DOCTOR",
    "LATENCY RESET",
    "LATENCY RESET a b",
    "LATENCY HISTORY x",
    "LATENCY GRAPH x",
    "LATENCY HISTORY",
    "LATENCY HELP",
    "LATENCY",
    "FUNCTION FLUSH",
    "FUNCTION FLUSH ASYNC",
    "FUNCTION FLUSH sync",
    "FUNCTION FLUSH foo",
    "FUNCTION FLUSH a b",
    "FUNCTION",
    "FUNCTION foo",
    "FUNCTION DELETE",
    "DEBUG",
    "DEBUG foo",
    "DEBUG JMAP",
    "DEBUG SLEEP 0",
    "DEBUG SLEEP abc",
    "DEBUG SLEEP 0.05",
    "DEBUG SLEEP",
    "DEBUG OBJECT",
    "DEBUG OBJECT $nokey",
    "SET $k v",
    "?DEBUG OBJECT $k",
    "DEBUG SET-ACTIVE-EXPIRE 1",
    "DEBUG PROTOCOL string",
    "DEBUG PROTOCOL integer",
    "DEBUG PROTOCOL double",
    "DEBUG PROTOCOL bignum",
    "DEBUG PROTOCOL null",
    "DEBUG PROTOCOL array",
    "DEBUG PROTOCOL set",
    "DEBUG PROTOCOL map",
    "DEBUG PROTOCOL push",
    "DEBUG PROTOCOL verbatim",
    "DEBUG PROTOCOL true",
    "DEBUG PROTOCOL FALSE",
    "DEBUG PROTOCOL foo",
    "SHUTDOWN foo",
    "SHUTDOWN ABORT",
    "SHUTDOWN NOSAVE SAVE",
    "SHUTDOWN ABORT NOW",
    "SHUTDOWN nosave abort",
    "SAVE x",
    "BGSAVE a b",
    "MULTI",
    "SAVE",
    "SHUTDOWN",
    "SHUTDOWN NOSAVE",
    "EXEC",
    "EVAL",
    "EVALSHA x",
    "SCRIPT",
    "DEL $k",
  ],
};

/** Sequences whose replies differ in RESP3 (maps, sets, nulls, verbatim strings, doubles). */
const RESP3_SEQUENCES = ["info", "config_get", "config_set", "client", "command", "keyspace", "misc"];

/** The commands this family registers: their COMMAND INFO must agree with Redis's. */
const MY_COMMANDS = [
  "info",
  "config",
  "client",
  "command",
  "dbsize",
  "flushdb",
  "flushall",
  "swapdb",
  "time",
  "lastsave",
  "save",
  "bgsave",
  "shutdown",
  "debug",
  "function",
  "eval",
  "evalsha",
  "eval_ro",
  "evalsha_ro",
  "fcall",
  "fcall_ro",
  "script",
  "slowlog",
  "latency",
  "role",
  "readonly",
  "readwrite",
  "wait",
];

/** Flags Redis reports that CommandFlag has no name for. */
const UNNAMED_FLAGS = new Set(["no_async_loading", "skip_slowlog", "no_mandatory_keys"]);

/** Name, arity, flags, key positions and categories of a COMMAND INFO entry, and its subcommands'. */
function entryHead(e: RespValue): unknown {
  if (!Array.isArray(e)) return e;
  const flags = [...(e[2] as RespValue[] | Set<RespValue>)].filter((f) => !UNNAMED_FLAGS.has(String(f))).sort();
  const cats = [...(e[6] as RespValue[] | Set<RespValue>)].sort();
  const subs = Array.isArray(e[9]) ? e[9].map(entryHead).sort((p, q) => (sortKey(p) < sortKey(q) ? -1 : 1)) : [];
  return [e[0], e[1], flags, e[3], e[4], e[5], cats, subs];
}

/** Subcommands Shale has that 7.0 lacks (from 7.2) or 7.0 has that Shale leaves out, by container. */
const SUBCOMMAND_DIFFERENCES = new Set([
  "client|setinfo",
  "client|no-touch",
  "client|pause",
  "client|unpause",
  "client|tracking",
  "client|caching",
]);

// ---- behaviour against Shale ----

describe("admin commands (Shale)", { timeout: 120_000 }, () => {
  let shale: RunningServer & { server: CacheServer };
  let c: Conn;

  before(async () => {
    shale = await startShale();
    c = await RespTestClient.connect(shale.port);
  });
  after(async () => {
    c.close();
    await shale.close();
  });

  it("INFO reports the fields tools parse", async () => {
    await c.call("FLUSHALL");
    await c.call("SET", "k", "v");
    await c.call("SET", "t", "v", "EX", "100");
    const text = (await c.call("INFO")) as string;
    assert.ok(text.endsWith("\r\n") && !text.includes("\n\n"), "CRLF line endings");
    const fields = new Map<string, string>();
    for (const line of text.split("\r\n")) {
      const i = line.indexOf(":");
      if (i > 0 && !line.startsWith("#")) fields.set(line.slice(0, i), line.slice(i + 1));
    }
    const store = shale.server.store;
    assert.equal(fields.get("redis_version"), "7.0.15");
    assert.match(fields.get("shale_version") ?? "", /^\d+\.\d+\.\d+/);
    assert.equal(fields.get("redis_mode"), "standalone");
    assert.equal(fields.get("tcp_port"), String(shale.port));
    assert.equal(fields.get("process_id"), String(process.pid));
    assert.equal(fields.get("run_id"), shale.server.runId);
    assert.equal(fields.get("connected_clients"), "1");
    assert.equal(fields.get("mem_allocator"), "shale-slab");
    assert.equal(fields.get("maxmemory"), "0");
    assert.equal(fields.get("maxmemory_policy"), "noeviction");
    assert.equal(fields.get("loading"), "0");
    assert.equal(fields.get("role"), "master");
    assert.equal(fields.get("connected_slaves"), "0");
    assert.equal(fields.get("db0"), "keys=2,expires=1,avg_ttl=0");
    assert.ok(Math.abs(Number(fields.get("used_memory")) - store.usedMemory()) < 4096);
    assert.ok(Number(fields.get("used_memory_rss")) > 1_000_000);
    assert.match(fields.get("used_memory_human") ?? "", /^\d+(\.\d\d[KMG])?B?$/);
    assert.ok(Number(fields.get("rdb_changes_since_last_save")) >= 2);
    for (const f of ["total_commands_processed", "expired_keys", "evicted_keys", "keyspace_hits", "keyspace_misses"]) {
      assert.match(fields.get(f) ?? "", /^\d+$/, f);
    }
    const before = Number(fields.get("total_commands_processed"));
    await c.call("GET", "k");
    await c.call("GET", "nokey");
    const again = (await c.call("INFO", "stats")) as string;
    assert.match(again, new RegExp(`total_commands_processed:${before + 3}\r\n`));
    assert.ok(again.startsWith("# Stats\r\n"));
    assert.equal(await c.call("INFO", "keyspace", "nosuch"), "# Keyspace\r\ndb0:keys=2,expires=1,avg_ttl=0\r\n");
  });

  it("INFO is a verbatim string in RESP3", async () => {
    const c3 = await RespTestClient.connect(shale.port);
    await c3.send("HELLO", "3");
    const { raw } = await c3.send("INFO", "cluster");
    assert.equal(raw.toString(), "=34\r\ntxt:# Cluster\r\ncluster_enabled:0\r\n\r\n");
    c3.close();
  });

  it("DEBUG PROTOCOL attrib sends a RESP3 attribute before the reply", async () => {
    const sock = connect(shale.port, "127.0.0.1");
    let got = "";
    sock.on("data", (d: Buffer) => {
      got += d.toString("latin1");
    });
    sock.write(encodeCommand(["HELLO", "3"]));
    sock.write(encodeCommand(["DEBUG", "PROTOCOL", "attrib"]));
    const expected =
      "|1\r\n$14\r\nkey-popularity\r\n*2\r\n$7\r\nkey:123\r\n:90\r\n$39\r\nSome real reply following the attribute\r\n";
    for (let i = 0; i < 100 && !got.endsWith(expected); i++) await new Promise((r) => setTimeout(r, 10));
    assert.ok(got.endsWith(expected), got);
    sock.destroy();
  });

  it("CONFIG SET is all or nothing and applies to the store", async () => {
    const store = shale.server.store;
    const r = await c.call("CONFIG", "SET", "maxmemory", "5mb", "maxmemory-policy", "nope");
    assert.ok(r instanceof RespError);
    assert.equal(store.maxmemory, 0);
    assert.deepEqual(await c.call("CONFIG", "GET", "maxmemory"), ["maxmemory", "0"]);
    assert.equal(await c.call("CONFIG", "SET", "maxmemory", "5mb", "maxmemory-policy", "allkeys-lru"), "OK");
    assert.equal(store.maxmemory, 5 * 1024 * 1024);
    assert.equal(store.policy, "allkeys-lru");
    assert.equal(await c.call("CONFIG", "SET", "maxmemory", "0", "maxmemory-policy", "noeviction"), "OK");
    assert.equal(store.maxmemory, 0);
    // An alias and its name share one value.
    assert.equal(await c.call("CONFIG", "SET", "zset-max-ziplist-value", "32"), "OK");
    assert.deepEqual(await c.call("CONFIG", "GET", "zset-max-listpack-value"), ["zset-max-listpack-value", "32"]);
    assert.equal(await c.call("CONFIG", "SET", "zset-max-listpack-value", "64"), "OK");
    assert.deepEqual(await c.call("CONFIG", "GET", "zset-max-ziplist-value"), ["zset-max-ziplist-value", "64"]);
  });

  it("CONFIG RESETSTAT zeroes the counters", async () => {
    await c.call("GET", "nokey");
    assert.equal(await c.call("CONFIG", "RESETSTAT"), "OK");
    const stats = (await c.call("INFO", "stats")) as string;
    assert.match(stats, /keyspace_misses:0\r\n/);
    assert.match(stats, /total_commands_processed:1\r\n/);
  });

  it("CLIENT LIST, INFO, SETNAME, SETINFO, KILL", async () => {
    const other = await RespTestClient.connect(shale.port);
    assert.equal(await other.call("CLIENT", "SETNAME", "worker-1"), "OK");
    assert.equal(await other.call("CLIENT", "SETINFO", "LIB-NAME", "ioredis"), "OK");
    assert.equal(await other.call("CLIENT", "SETINFO", "lib-ver", "5.4.1"), "OK");
    assert.ok((await other.call("CLIENT", "SETINFO", "lib-name", "a b")) instanceof RespError);
    assert.ok((await other.call("CLIENT", "SETINFO", "color", "red")) instanceof RespError);
    const id = (await other.call("CLIENT", "ID")) as number;
    const list = (await c.call("CLIENT", "LIST")) as string;
    const lines = list.split("\n");
    assert.equal(lines.pop(), "");
    assert.ok(lines.length >= 2);
    const line = lines.find((l) => l.startsWith(`id=${id} `));
    assert.ok(line !== undefined);
    assert.match(
      line,
      /^id=\d+ addr=127\.0\.0\.1:\d+ laddr=127\.0\.0\.1:\d+ fd=-?\d+ name=worker-1 age=\d+ idle=\d+ flags=N db=0 sub=0 psub=0 ssub=0 multi=-1 qbuf=\d+ qbuf-free=\d+ argv-mem=\d+ multi-mem=\d+ rbs=\d+ rbp=\d+ obl=\d+ oll=\d+ omem=\d+ tot-mem=\d+ events=r cmd=client\|id user=default redir=-1 resp=2 lib-name=ioredis lib-ver=5\.4\.1$/,
    );
    const info = (await other.call("CLIENT", "INFO")) as string;
    assert.match(info, new RegExp(`^id=${id} .* cmd=client\\|info .*\n$`));
    assert.equal(await c.call("CLIENT", "LIST", "ID", id), `${line.replace("cmd=client|id", "cmd=client|info")}\n`);
    await other.call("MULTI");
    await other.call("PING");
    assert.match((await c.call("CLIENT", "LIST", "ID", id)) as string, / flags=x .* multi=1 /);
    // Kill by address, then by id.
    const addr = /addr=(\S+)/.exec(line)?.[1] ?? "";
    assert.equal(await c.call("CLIENT", "KILL", "ADDR", addr, "SKIPME", "yes"), 1);
    await new Promise((r) => setTimeout(r, 50));
    assert.equal(other.closed, true);
    assert.equal(shale.server.clients.has(id), false);
    const third = await RespTestClient.connect(shale.port);
    const id3 = (await third.call("CLIENT", "ID")) as number;
    assert.equal(await c.call("CLIENT", "KILL", "ID", id3), 1);
    assert.equal(await c.call("CLIENT", "KILL", "ID", id3), 0);
    // The old form can kill the caller itself: it gets +OK, then the connection closes.
    const self = await RespTestClient.connect(shale.port);
    const selfLine = (await self.call("CLIENT", "INFO")) as string;
    const selfAddr = /addr=(\S+)/.exec(selfLine)?.[1] ?? "";
    assert.equal(await self.call("CLIENT", "KILL", selfAddr), "OK");
    await new Promise((r) => setTimeout(r, 50));
    assert.equal(self.closed, true);
  });

  it("CLIENT NO-EVICT and NO-TOUCH set the client's flags", async () => {
    assert.equal(await c.call("CLIENT", "NO-EVICT", "on"), "OK");
    assert.equal(await c.call("CLIENT", "NO-TOUCH", "ON"), "OK");
    assert.match((await c.call("CLIENT", "INFO")) as string, / flags=eT /);
    assert.ok((await c.call("CLIENT", "NO-TOUCH", "maybe")) instanceof RespError);
    await c.call("CLIENT", "NO-EVICT", "off");
    await c.call("CLIENT", "NO-TOUCH", "off");
    assert.match((await c.call("CLIENT", "INFO")) as string, / flags=N /);
  });

  it("DEBUG SLEEP holds only its client; CLIENT UNBLOCK releases it", async () => {
    const sleeper = await RespTestClient.connect(shale.port);
    const id = (await sleeper.call("CLIENT", "ID")) as number;
    const t0 = Date.now();
    const slept = sleeper.call("DEBUG", "SLEEP", "0.3");
    const next = sleeper.call("PING");
    assert.equal(await c.call("PING"), "PONG");
    assert.ok(Date.now() - t0 < 250, "other clients are not held");
    assert.match((await c.call("CLIENT", "LIST", "ID", id)) as string, / flags=b /);
    assert.match((await c.call("INFO", "clients")) as string, /blocked_clients:1\r\n/);
    assert.equal(await slept, "OK");
    assert.equal(await next, "PONG");
    assert.ok(Date.now() - t0 >= 290);
    // A long sleep, cut short by CLIENT UNBLOCK.
    const t1 = Date.now();
    const long = sleeper.call("DEBUG", "SLEEP", "30");
    await new Promise((r) => setTimeout(r, 30));
    assert.equal(await c.call("CLIENT", "UNBLOCK", id), 1);
    assert.equal(await long, "OK");
    assert.ok(Date.now() - t1 < 5000);
    const errored = sleeper.call("DEBUG", "SLEEP", "30");
    await new Promise((r) => setTimeout(r, 30));
    assert.equal(await c.call("CLIENT", "UNBLOCK", id, "ERROR"), 1);
    const e = await errored;
    assert.ok(e instanceof RespError && e.message === "UNBLOCKED client unblocked via CLIENT UNBLOCK");
    assert.equal(await c.call("CLIENT", "UNBLOCK", id), 0);
    sleeper.close();
  });

  it("WAIT with replicas asked waits for its timeout and reports 0", async () => {
    const t0 = Date.now();
    assert.equal(await c.call("WAIT", "1", "100"), 0);
    assert.ok(Date.now() - t0 >= 95);
    assert.equal(await c.call("WAIT", "0", "0"), 0);
  });

  it("DEBUG SET-ACTIVE-EXPIRE 0 leaves expired keys to lazy expiry", async () => {
    await c.call("FLUSHALL");
    assert.equal(await c.call("DEBUG", "SET-ACTIVE-EXPIRE", "0"), "OK");
    await c.call("SET", "soon", "v", "PX", "20");
    await new Promise((r) => setTimeout(r, 300));
    assert.equal(await c.call("DBSIZE"), 1);
    assert.equal(await c.call("GET", "soon"), null);
    assert.equal(await c.call("DBSIZE"), 0);
    assert.equal(await c.call("DEBUG", "SET-ACTIVE-EXPIRE", "1"), "OK");
    await c.call("SET", "soon", "v", "PX", "20");
    await new Promise((r) => setTimeout(r, 300));
    assert.equal(await c.call("DBSIZE"), 0);
  });

  it("DEBUG OBJECT describes a key", async () => {
    await c.call("SET", "n", "12345");
    await c.call("SET", "s", "hello");
    assert.match(
      (await c.call("DEBUG", "OBJECT", "n")) as string,
      /^Value at:0x[0-9a-f]+ refcount:1 encoding:int serializedlength:5 lru:\d+ lru_seconds_idle:\d+$/,
    );
    assert.match((await c.call("DEBUG", "OBJECT", "s")) as string, / encoding:embstr serializedlength:5 /);
  });

  it("FLUSHALL frees the store's memory; FLUSHDB empties one database", async () => {
    const store = shale.server.store;
    await c.call("FLUSHALL");
    const empty = store.usedMemory();
    for (let i = 0; i < 2000; i++) void c.send("SET", `key:${i}`, "x".repeat(100));
    await c.call("SELECT", "1");
    await c.call("SET", "other", "1");
    await c.call("SELECT", "0");
    assert.equal(await c.call("DBSIZE"), 2000);
    assert.ok(store.usedMemory() > empty + 200_000);
    assert.equal(await c.call("FLUSHDB"), "OK");
    assert.equal(await c.call("DBSIZE"), 0);
    assert.equal(store.dbs[1].size, 1);
    assert.equal(await c.call("FLUSHALL"), "OK");
    assert.equal(store.dbs[1].size, 0);
    assert.ok(store.usedMemory() <= empty + 4096, `${store.usedMemory()} vs ${empty}`);
  });

  it("SWAPDB swaps what clients of either database see", async () => {
    const other = await RespTestClient.connect(shale.port);
    await other.call("SELECT", "5");
    await c.call("SET", "where", "db0");
    await other.call("SET", "where", "db5");
    assert.equal(await c.call("SWAPDB", "0", "5"), "OK");
    assert.equal(await c.call("GET", "where"), "db5");
    assert.equal(await other.call("GET", "where"), "db0");
    await c.call("SWAPDB", "5", "0");
    assert.equal(await c.call("GET", "where"), "db0");
    other.close();
    await c.call("FLUSHALL");
  });

  it("SAVE and BGSAVE say persistence is off, or use the persistence layer", async () => {
    const off = "ERR persistence is off (appendonly no); start the server with --appendonly yes";
    assert.deepEqual(await c.call("SAVE"), new RespError(off));
    assert.deepEqual(await c.call("BGSAVE"), new RespError(off));
    assert.equal(await c.call("LASTSAVE"), Math.floor(shale.server.stats.startedAt / 1000));
    let saves = 0;
    let fail = false;
    const persistence: Persistence = {
      lastSave: 0,
      async save() {
        await new Promise((r) => setTimeout(r, 30));
        if (fail) throw new Error("disk full");
        saves++;
        this.lastSave = 1_700_000_000 + saves;
      },
    };
    shale.server.persistence = persistence;
    try {
      await c.call("SET", "a", "1");
      assert.notEqual(await c.call("INFO", "persistence"), "");
      assert.equal(await c.call("SAVE"), "OK");
      assert.equal(saves, 1);
      assert.equal(await c.call("LASTSAVE"), 1_700_000_001);
      assert.match(
        (await c.call("INFO", "persistence")) as string,
        /rdb_changes_since_last_save:0\r\n.*rdb_saves:1\r\n/s,
      );
      // SAVE holds its client until the save is done; CLIENT UNBLOCK cannot cut it short.
      const other = await RespTestClient.connect(shale.port);
      const cid = (await c.call("CLIENT", "ID")) as number;
      const saving = c.call("SAVE");
      await new Promise((r) => setTimeout(r, 5));
      assert.equal(await other.call("CLIENT", "UNBLOCK", cid), 0);
      assert.equal(await saving, "OK");
      other.close();
      assert.equal(saves, 2);
      assert.equal(await c.call("BGSAVE"), "Background saving started");
      assert.deepEqual(await c.call("BGSAVE"), new RespError("ERR Background save already in progress"));
      assert.equal(await c.call("BGSAVE", "SCHEDULE"), "Background saving scheduled");
      await new Promise((r) => setTimeout(r, 150));
      assert.equal(saves, 4);
      fail = true;
      assert.deepEqual(await c.call("SAVE"), new RespError("ERR disk full"));
      assert.match((await c.call("INFO", "persistence")) as string, /rdb_last_bgsave_status:err\r\n/);
    } finally {
      shale.server.persistence = undefined;
    }
  });

  it("scripting and functions say they are not supported", async () => {
    assert.deepEqual(
      await c.call("EVAL", "return 1", "0"),
      new RespError("ERR scripting is not supported by Shale yet"),
    );
    assert.deepEqual(await c.call("EVALSHA", "abc", "0"), new RespError("ERR scripting is not supported by Shale yet"));
    assert.deepEqual(await c.call("SCRIPT", "FLUSH"), new RespError("ERR scripting is not supported by Shale yet"));
    assert.deepEqual(
      await c.call("FUNCTION", "LIST"),
      new RespError("ERR Lua functions are not supported by Shale yet"),
    );
    assert.equal(await c.call("FUNCTION", "FLUSH"), "OK");
  });

  it("COMMAND lists every registered command, with docs", async () => {
    const count = (await c.call("COMMAND", "COUNT")) as number;
    assert.equal(count, shale.server.commands.size);
    const all = (await c.call("COMMAND")) as RespValue[][];
    assert.equal(all.length, count);
    assert.ok(all.some((e) => e[0] === "get" && e[1] === 2));
    const list = (await c.call("COMMAND", "LIST")) as string[];
    assert.ok(list.includes("config|get") && list.includes("get") && list.includes("client|kill"));
    const docs = (await c.call("COMMAND", "DOCS", "get", "config")) as RespValue[];
    assert.equal(docs[0], "get");
    assert.deepEqual(docs[1], ["summary", "Get the value of a key", "since", "1.0.0", "group", "string"]);
    assert.equal(docs[2], "config");
    const configDocs = docs[3] as RespValue[];
    assert.equal(configDocs[6], "subcommands");
    assert.equal(((configDocs[7] as RespValue[]).length / 2) | 0, 5);
    const everything = (await c.call("COMMAND", "DOCS")) as RespValue[];
    assert.equal(everything.length, count * 2);
  });

  it("SHUTDOWN closes the server", async () => {
    const s = await startShale();
    const conn = await RespTestClient.connect(s.port);
    const closed = s.server.closed();
    void conn.send("SHUTDOWN", "NOSAVE");
    await closed;
    await new Promise((r) => setTimeout(r, 20));
    assert.equal(conn.closed, true);
  });
});

// ---- differential: Shale against a real redis-server ----

describe("admin commands match redis-server 7.0 byte for byte", { timeout: 120_000 }, () => {
  const servers = useServers({ shaleAlways: true, redisArgs: ["--enable-debug-command", "yes"] });

  for (const proto of [2, 3] as const) {
    for (const [name, steps] of Object.entries(SEQUENCES)) {
      if (proto === 3 && !RESP3_SEQUENCES.includes(name)) continue;
      it(`${name} (RESP${proto})`, (t) =>
        withPair(t, servers, proto, (pair) =>
          runSequence(pair, `${name} RESP${proto}`, steps, `adm:${name}:${proto}:`),
        ));
    }
  }

  it("INFO fields are Redis's (plus shale_version)", async (t) => {
    if (servers.redis === null || servers.shale === null) {
      t.skip("redis-server is not installed");
      return;
    }
    const pair = await connectPair(servers.shale.port, servers.redis.port, 2);
    const sections = (text: string) => {
      const out = new Map<string, Set<string>>();
      let cur = new Set<string>();
      for (const line of text.split("\r\n")) {
        if (line.startsWith("# ")) {
          cur = new Set();
          out.set(line, cur);
        } else if (line.includes(":")) cur.add(line.slice(0, line.indexOf(":")));
      }
      return out;
    };
    const mine = sections((await pair.shale.call("INFO", "everything")) as string);
    const theirs = sections((await pair.redis.call("INFO", "everything")) as string);
    assert.deepEqual([...mine.keys()], [...theirs.keys()]);
    for (const [section, fields] of mine) {
      for (const f of fields) {
        if (f === "shale_version" || /^db\d+$/.test(f)) continue;
        assert.ok(theirs.get(section)?.has(f), `${section} ${f} is not a Redis 7.0 field`);
      }
    }
    pair.shale.close();
    pair.redis.close();
  });

  it("COMMAND INFO of this family's commands agrees with Redis", async (t) => {
    if (servers.redis === null || servers.shale === null) {
      t.skip("redis-server is not installed");
      return;
    }
    for (const proto of [2, 3] as const) {
      const pair = await connectPair(servers.shale.port, servers.redis.port, proto);
      const mine = toStrings((await pair.shale.send("COMMAND", "INFO", ...MY_COMMANDS)).value) as RespValue[];
      const theirs = toStrings((await pair.redis.send("COMMAND", "INFO", ...MY_COMMANDS)).value) as RespValue[];
      for (let i = 0; i < MY_COMMANDS.length; i++) {
        const m = entryHead(mine[i]) as unknown[];
        const r = entryHead(theirs[i]) as unknown[];
        const drop = (subs: unknown) => (subs as unknown[][]).filter((s) => !SUBCOMMAND_DIFFERENCES.has(String(s[0])));
        m[7] = drop(m[7]);
        r[7] = drop(r[7]);
        assert.deepEqual(m, r, `COMMAND INFO ${MY_COMMANDS[i]} (RESP${proto})`);
      }
      pair.shale.close();
      pair.redis.close();
    }
  });

  it("COMMAND DOCS summaries agree with Redis", async (t) => {
    if (servers.redis === null || servers.shale === null) {
      t.skip("redis-server is not installed");
      return;
    }
    const pair = await connectPair(servers.shale.port, servers.redis.port, 3);
    const names = ["get", "config", "info", "multi", "publish", "pubsub", "client"];
    const mine = toStrings((await pair.shale.send("COMMAND", "DOCS", ...names)).value) as Map<string, RespValue>;
    const theirs = toStrings((await pair.redis.send("COMMAND", "DOCS", ...names)).value) as Map<string, RespValue>;
    for (const n of names) {
      const m = mine.get(n) as Map<string, RespValue>;
      const r = theirs.get(n) as Map<string, RespValue>;
      for (const f of ["summary", "since", "group"]) assert.equal(m.get(f), r.get(f), `${n} ${f}`);
    }
    pair.shale.close();
    pair.redis.close();
  });
});
