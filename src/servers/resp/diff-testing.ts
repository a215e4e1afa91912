// The differential harness shared by the command-family tests (commands/*.test.ts): it sends the same
// commands to Shale and to a real redis-server 7.0 (both started with testing.ts's startShale and
// startRedis, driven by its RespTestClient) and compares the replies — byte for byte by default,
// or decoded and normalised where Redis's answer is unordered, random or clock-dependent.
//
// It owns two step languages, because the families were written against one or the other:
//
// - Cases (strings, keys): `differential(shale, redis, cases)` over a pair of `Side`s. A case is a
//   list of argument arrays run on a freshly flushed keyspace, one step at a time on each side,
//   every difference collected. Markers: "#sorted", "#approx", "#type", "#seed", "#dump",
//   "#scanall", "#sleep" (see below). `caseSuite` declares the usual RESP2/RESP3 describe block.
// - Sequences (hashes, sets, lists, zsets, admin, transactions): `runSequence(pair, ...)` over a
//   `Pair` of clients; a step is a command line with '$key' words prefixed per run and an optional
//   leading marker: '~' sorted, '%' field/value pairs sorted, '?' shape only, '#' INFO section
//   headers; "SLEEP n" waits. `useServers` / `withPair` / `compareScenario` hold the suite plumbing
//   (skipping when redis-server is not installed), and scenarios drive several clients per server.

import assert from "node:assert/strict";
import { after, before, describe, it, type TestContext } from "node:test";
import { T_HASH, T_LIST, T_SET, T_ZSET } from "../../cache/entry.js";
import { HashValue } from "../../cache/hash.js";
import { ListValue } from "../../cache/list.js";
import { SetValue } from "../../cache/set.js";
import { SortedSet } from "../../cache/zset.js";
import type { CacheServer } from "./server.js";
import {
  RespError,
  RespTestClient,
  type RespValue,
  type RunningServer,
  startRedis,
  startShale,
  toStrings,
} from "./testing.js";

// ---- cases (strings.test.ts, keys.test.ts) ----
//
// A case is a list of steps, run on a fresh keyspace. A step is a command, or a command behind a
// marker: "#sorted" compares the decoded reply with its arrays of strings sorted (KEYS), "#approx"
// compares integers within 1% (TTL/PTTL read at slightly different times), "#type" compares only
// the reply's type byte (MEMORY USAGE), "#seed" type key items... creates a collection (on Shale
// straight in the store, so these tests do not depend on the collection commands), "#dump" key
// compares a key's type and contents, "#scanall" opts... compares the set of keys a whole SCAN
// returns, "#sleep" ms waits. Anything else is compared byte for byte.

export type Arg = string | number | Buffer;
export type CaseStep = Arg[];
export type Case = CaseStep[];

export class Side {
  dbIndex = 0;
  constructor(
    readonly client: RespTestClient,
    readonly shale: CacheServer | null,
  ) {}
}

export function str(a: Arg): string {
  return Buffer.isBuffer(a) ? a.toString("latin1") : String(a);
}

function sortDeep(v: RespValue): RespValue {
  if (!Array.isArray(v)) return v;
  const items = v.map(sortDeep);
  if (items.every((x) => typeof x === "string")) return [...items].sort();
  return items;
}

async function seed(side: Side, type: string, key: string, items: string[]): Promise<void> {
  if (side.shale === null) {
    const cmd = { list: "rpush", set: "sadd", zset: "zadd", hash: "hset" }[type];
    if (cmd === undefined) throw new Error(`bad seed type ${type}`);
    const r = await side.client.call(cmd, key, ...items);
    if (typeof r !== "number") throw new Error(`seed failed: ${String(r)}`);
    return;
  }
  const db = side.shale.store.dbs[side.dbIndex];
  const k = Buffer.from(key, "latin1");
  if (db.lookup(k, 0, k.length, false) !== 0) throw new Error(`seed: ${key} exists`);
  if (type === "list") db.setObject(k, 0, k.length, T_LIST, new ListValue(items));
  else if (type === "set") db.setObject(k, 0, k.length, T_SET, new SetValue(items));
  else if (type === "zset") {
    const z = new SortedSet();
    for (let i = 0; i < items.length; i += 2) z.add(items[i + 1], Number(items[i]));
    db.setObject(k, 0, k.length, T_ZSET, z);
  } else if (type === "hash") {
    const h = new HashValue();
    for (let i = 0; i < items.length; i += 2) h.set(items[i], items[i + 1]);
    db.setObject(k, 0, k.length, T_HASH, h);
  } else throw new Error(`bad seed type ${type}`);
}

/** A key's type and contents, in one comparable form. */
async function dump(side: Side, key: string): Promise<unknown> {
  const c = side.client;
  const type = await c.call("type", key);
  if (type === "string") return ["string", await c.call("get", key)];
  if (type === "none") return ["none"];
  if (side.shale !== null) {
    const db = side.shale.store.dbs[side.dbIndex];
    const k = Buffer.from(key, "latin1");
    const obj = db.object<object>(db.lookup(k, 0, k.length, false));
    if (obj instanceof ListValue) return ["list", obj.toArray()];
    if (obj instanceof SetValue) return ["set", [...obj.members()].sort()];
    if (obj instanceof SortedSet) {
      const out: [string, number][] = [];
      obj.forEach((m, s) => {
        out.push([m, s]);
      });
      return ["zset", out];
    }
    if (obj instanceof HashValue) {
      const out = [...obj.entries()];
      return ["hash", out.sort((x, y) => (x[0] < y[0] ? -1 : 1))];
    }
    throw new Error("unknown object");
  }
  if (type === "list") return ["list", await c.call("lrange", key, 0, -1)];
  if (type === "set") {
    const m = await c.call("smembers", key);
    return ["set", [...(m as Iterable<string>)].sort()];
  }
  if (type === "zset") {
    const flat = (await c.call("zrange", key, 0, -1, "withscores")) as RespValue[];
    const out: [string, number][] = [];
    if (flat.length > 0 && Array.isArray(flat[0]))
      for (const p of flat as RespValue[][]) out.push([p[0] as string, Number(p[1])]);
    else for (let i = 0; i < flat.length; i += 2) out.push([flat[i] as string, Number(flat[i + 1])]);
    return ["zset", out];
  }
  const h = await c.call("hgetall", key);
  const pairs: [string, string][] = [];
  if (h instanceof Map) for (const [f, v] of h) pairs.push([f as string, v as string]);
  else for (let i = 0; i < (h as string[]).length; i += 2) pairs.push([(h as string[])[i], (h as string[])[i + 1]]);
  return ["hash", pairs.sort((x, y) => (x[0] < y[0] ? -1 : 1))];
}

async function scanAll(side: Side, opts: Arg[]): Promise<string[]> {
  const keys: string[] = [];
  let cursor = "0";
  for (let n = 0; n < 100000; n++) {
    const r = (await side.client.call("scan", cursor, ...opts)) as [string, string[]];
    keys.push(...r[1]);
    cursor = r[0];
    if (cursor === "0") break;
  }
  return [...new Set(keys)].sort();
}

/** A reply compared loosely: integers within 1% (at least 1), as TTLs read a few ms apart are. */
class Approx {
  constructor(readonly value: RespValue) {}
  near(o: Approx): boolean {
    const a = this.value;
    const b = o.value;
    if (typeof a !== "number" || typeof b !== "number") return show(a) === show(b);
    return Math.abs(a - b) <= Math.max(1, Math.abs(a) / 100);
  }
}

/** Runs one step; returns what is compared. */
async function runStep(side: Side, step: CaseStep): Promise<unknown> {
  const head = str(step[0]);
  const rest = step.slice(1);
  switch (head) {
    case "#seed":
      await seed(side, str(rest[0]), str(rest[1]), rest.slice(2).map(str));
      return "seeded";
    case "#dump":
      return dump(side, str(rest[0]));
    case "#sleep":
      await new Promise((r) => setTimeout(r, Number(rest[0])));
      return "slept";
    case "#scanall":
      return scanAll(side, rest);
    case "#sorted":
      return sortDeep(await side.client.call(...rest));
    case "#approx":
      return new Approx(await side.client.call(...rest));
    case "#type":
      return String.fromCharCode((await side.client.send(...rest)).raw[0]);
    default: {
      const r = await side.client.send(...step);
      if (head.toLowerCase() === "select" && r.raw.toString() === "+OK\r\n") side.dbIndex = Number(str(step[1]));
      return r.raw.toString("latin1");
    }
  }
}

async function resetSide(side: Side): Promise<void> {
  if (side.shale !== null) side.shale.store.flushAll();
  else await side.client.call("flushall");
  await side.client.call("select", 0);
  side.dbIndex = 0;
}

function show(v: unknown): string {
  return typeof v === "string"
    ? JSON.stringify(v)
    : JSON.stringify(v, (_k, x) => (typeof x === "bigint" ? `${x}n` : x instanceof Approx ? x.value : x));
}

/** Runs every case on both servers; fails with every difference found. */
export async function differential(shale: Side, redis: Side, cases: Case[]): Promise<void> {
  const diffs: string[] = [];
  for (const steps of cases) {
    await resetSide(shale);
    await resetSide(redis);
    for (const step of steps) {
      const a = await runStep(shale, step);
      const b = await runStep(redis, step);
      const same = a instanceof Approx && b instanceof Approx ? a.near(b) : show(a) === show(b);
      if (!same) {
        diffs.push(`${step.map(str).join(" ")}\n  shale: ${show(a)}\n  redis: ${show(b)}`);
        break;
      }
    }
  }
  assert.equal(diffs.length, 0, `${diffs.length} differences:\n${diffs.join("\n")}`);
}

export async function connectSide(port: number, proto: 2 | 3, shale: CacheServer | null): Promise<Side> {
  const c = await RespTestClient.connect(port);
  if (proto === 3) await c.call("hello", 3);
  return new Side(c, shale);
}
/**
 * The usual case suite: one Shale and one redis-server, a pair of Sides per protocol, and a test
 * `${name} (RESP${proto})` per group (skipped when redis-server is not installed).
 */
export function caseSuite(title: string, groups: [string, Case[]][]): void {
  describe(title, () => {
    let shale: RunningServer & { server: CacheServer };
    let redis: RunningServer | null = null;
    const sides: { shale: Side; redis: Side }[] = [];
    before(async () => {
      shale = await startShale();
      redis = await startRedis();
      if (redis === null) return;
      for (const proto of [2, 3] as const) {
        sides[proto] = {
          shale: await connectSide(shale.port, proto, shale.server),
          redis: await connectSide(redis.port, proto, null),
        };
      }
    });
    after(async () => {
      for (const s of sides) {
        if (s === undefined) continue;
        s.shale.client.close();
        s.redis.client.close();
      }
      await shale.close();
      await redis?.close();
    });

    for (const proto of [2, 3] as const) {
      for (const [name, cases] of groups) {
        it(`${name} (RESP${proto})`, async (t) => {
          if (redis === null) {
            t.skip("redis-server is not installed");
            return;
          }
          await differential(sides[proto].shale, sides[proto].redis, cases);
        });
      }
    }
  });
}

// ---- sequences (hashes, sets, lists, zsets, admin, transactions) ----

/**
 * How a step's replies are compared. "exact": raw bytes. The others first require the same reply
 * type byte, then compare decoded replies normalised: "sorted" sorts every array (and set, and
 * map's entries); "pairs" sorts a flat array of scalars as field/value pairs; "shape" keeps only
 * types; "headers" keeps an INFO reply's "# " lines.
 */
export type Mode = "exact" | "sorted" | "pairs" | "shape" | "headers";

/**
 * A step is a command line: words split on spaces, '' for an empty argument, and a word starting
 * with '$' names a key (prefixed per run so runs never share keys). A leading '~' compares the
 * reply sorted, '%' as sorted field/value pairs, '?' by shape only (random replies, ids, clocks),
 * '#' by INFO section headers. "SLEEP n" waits n ms. A step may also be an array of arguments (for
 * arguments with spaces), marker first.
 */
export type Step = string | string[];

export interface Pair {
  shale: RespTestClient;
  redis: RespTestClient;
}

export interface SequenceOptions {
  /**
   * How '?' steps compare. "typed" (the default): the same reply type byte, then the decoded
   * replies' shapes with bulk and simple strings alike, sets and maps walked. "bulk"
   * (zsets.test.ts): no type-byte check, but bulk strings told apart from simple strings
   * throughout the shape; sets and maps are opaque ("object").
   */
  shape?: "typed" | "bulk";
}

const MARKERS: Record<string, Mode> = { "~": "sorted", "%": "pairs", "?": "shape", "#": "headers" };

export function parseStep(step: Step, prefix: string): { args: string[]; mode: Mode; text: string } {
  let words = typeof step === "string" ? step.split(" ") : [...step];
  let mode: Mode = "exact";
  const m = MARKERS[words[0][0]];
  if (m !== undefined) {
    mode = m;
    words = [words[0].slice(1), ...words.slice(1)];
    if (words[0] === "") words = words.slice(1);
  }
  const args = words.map((w) => (w === "''" ? "" : w.startsWith("$") ? prefix + w.slice(1) : w));
  return { args, mode, text: typeof step === "string" ? step : JSON.stringify(step) };
}

/** A total order key for normalised values (bigints kept apart from numbers). */
export function sortKey(v: unknown): string {
  return JSON.stringify(v, (_k, x) => (typeof x === "bigint" ? `${x}n` : x));
}

function bySortKey(p: unknown, q: unknown): number {
  return sortKey(p) < sortKey(q) ? -1 : 1;
}

function isScalar(v: unknown): boolean {
  return typeof v === "string" || typeof v === "number" || v === null;
}

/** A decoded reply (bulk strings already made strings, see toStrings) in comparable form. */
export function normalize(v: RespValue, mode: Mode): unknown {
  if (v instanceof RespError) return `ERROR ${v.message}`;
  if (mode === "shape") {
    if (Array.isArray(v)) return `[${v.map((x) => normalize(x, mode)).join(",")}]`;
    if (v instanceof Set) return `~{${[...v].map((x) => normalize(x, mode)).join(",")}}`;
    if (v instanceof Map)
      return `%{${[...v].map(([k, x]) => `${normalize(k, mode)}:${normalize(x, mode)}`).join(",")}}`;
    return v === null ? "null" : typeof v;
  }
  if (mode === "headers") return typeof v === "string" ? v.split("\r\n").filter((l) => l.startsWith("# ")) : v;
  if (v instanceof Map) {
    const entries = [...v].map(([k, x]) => [normalize(k, mode), normalize(x, mode)]);
    return { map: entries.sort(bySortKey) };
  }
  if (v instanceof Set) return { set: [...v].map((x) => normalize(x, mode)).sort(bySortKey) };
  if (Array.isArray(v)) {
    const items = v.map((x) => normalize(x, mode));
    if (mode === "pairs") {
      if (!items.every(isScalar) || items.length % 2 !== 0) return items;
      const pairs: unknown[][] = [];
      for (let i = 0; i < items.length; i += 2) pairs.push([items[i], items[i + 1]]);
      return { pairs: pairs.sort(bySortKey) };
    }
    return items.sort(bySortKey);
  }
  return v;
}

/** The "bulk" shape of a reply as decoded (bulk strings still Buffers): see SequenceOptions. */
export function bulkShapeOf(v: RespValue): string {
  if (v instanceof RespError) return `ERROR ${v.message}`;
  if (Array.isArray(v)) return `[${v.map(bulkShapeOf).join(",")}]`;
  return v === null ? "null" : Buffer.isBuffer(v) ? "bulk" : typeof v;
}

/** Runs the steps on both clients in turn; fails at the first step whose replies differ. */
export async function runSequence(
  pair: Pair,
  name: string,
  steps: Step[],
  prefix: string,
  options: SequenceOptions = {},
): Promise<void> {
  for (const step of steps) {
    if (typeof step === "string" && step.startsWith("SLEEP ")) {
      await pause(Number(step.slice(6)));
      continue;
    }
    const { args, mode, text } = parseStep(step, prefix);
    const [s, r] = await Promise.all([pair.shale.send(...args), pair.redis.send(...args)]);
    const ctx = `${name}: ${text}`;
    if (mode === "exact") {
      assert.equal(s.raw.toString("latin1"), r.raw.toString("latin1"), ctx);
    } else if (mode === "shape" && options.shape === "bulk") {
      assert.equal(bulkShapeOf(s.value), bulkShapeOf(r.value), ctx);
    } else {
      assert.equal(String.fromCharCode(s.raw[0]), String.fromCharCode(r.raw[0]), `${ctx} (reply type)`);
      assert.deepEqual(normalize(toStrings(s.value), mode), normalize(toStrings(r.value), mode), ctx);
    }
  }
}

/** A client to port, switched to RESP3 when proto is 3. */
export async function connectClient(port: number, proto: 2 | 3): Promise<RespTestClient> {
  const c = await RespTestClient.connect(port);
  if (proto === 3) await c.send("HELLO", "3");
  return c;
}

export async function connectPair(shalePort: number, redisPort: number, proto: 2 | 3): Promise<Pair> {
  return { shale: await connectClient(shalePort, proto), redis: await connectClient(redisPort, proto) };
}

/** The two servers of a sequence suite; null until started (redis stays null when not installed). */
export interface Servers {
  shale: (RunningServer & { server: CacheServer }) | null;
  redis: RunningServer | null;
}

/**
 * Starts a Shale and a redis-server before the enclosing describe's tests and stops them after.
 * By default redis-server starts first and Shale only if it did; with `shaleAlways` Shale starts
 * first whatever happens. redisArgs go to redis-server's command line.
 */
export function useServers(opts: { redisArgs?: string[]; shaleAlways?: boolean } = {}): Servers {
  const servers: Servers = { shale: null, redis: null };
  before(async () => {
    if (opts.shaleAlways) {
      servers.shale = await startShale();
      servers.redis = await startRedis(opts.redisArgs);
    } else {
      servers.redis = await startRedis(opts.redisArgs);
      if (servers.redis !== null) servers.shale = await startShale();
    }
  });
  after(async () => {
    await servers.shale?.close();
    await servers.redis?.close();
  });
  return servers;
}

/**
 * Runs fn with a fresh pair of clients (closed afterwards), or skips the test when redis-server is
 * not installed.
 */
export async function withPair(
  t: TestContext,
  servers: Servers,
  proto: 2 | 3,
  fn: (pair: Pair) => Promise<void>,
): Promise<void> {
  if (servers.redis === null || servers.shale === null) {
    t.skip("redis-server is not installed");
    return;
  }
  const pair = await connectPair(servers.shale.port, servers.redis.port, proto);
  try {
    await fn(pair);
  } finally {
    pair.shale.close();
    pair.redis.close();
  }
}

// ---- scenarios: several clients per server (blocking commands) ----

export const pause = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

export async function connectAll(port: number, n: number, proto: 2 | 3): Promise<RespTestClient[]> {
  const conns: RespTestClient[] = [];
  for (let i = 0; i < n; i++) conns.push(await connectClient(port, proto));
  return conns;
}

/** A scenario drives several connections to one server and returns the raw replies it saw. */
export type Scenario = (conns: RespTestClient[], k: string) => Promise<string[]>;

/** A reply's raw bytes, as a latin1 string. */
export const raw = async (p: Promise<{ raw: Buffer }>): Promise<string> => (await p).raw.toString("latin1");

/**
 * Runs the scenario on Shale and on redis-server at once (its own clients on each, closed after)
 * and requires the same replies; skips the test when redis-server is not installed.
 */
export async function compareScenario(
  t: TestContext,
  servers: Servers,
  proto: 2 | 3,
  key: string,
  sc: { clients: number; run: Scenario },
): Promise<void> {
  if (servers.redis === null || servers.shale === null) {
    t.skip("redis-server is not installed");
    return;
  }
  const run = async (port: number): Promise<string[]> => {
    const conns = await connectAll(port, sc.clients, proto);
    try {
      return await sc.run(conns, key);
    } finally {
      for (const x of conns) x.close();
    }
  };
  const [s, r] = await Promise.all([run(servers.shale.port), run(servers.redis.port)]);
  assert.deepEqual(s, r);
}
