// The cache face's kill -9 test: a child process runs `shale serve cache --appendonly yes`, eight
// clients write to it with many commands in flight (plain writes, SET ... EX, INCRBYFLOAT and
// MULTI/EXEC blocks with SPOP, in three databases) and record every write acknowledged; the child
// is SIGKILLed mid-stream, a new server starts on the same directory, and the test checks that
//   - every acknowledged write is there (appendfsync always; everysec too, since replies wait for
//     the log write to reach the OS, which a killed process cannot take back);
//   - each client's writes recovered are a prefix of what it sent (no holes), transactions whole;
//   - SPOP, SET ... EX and INCRBYFLOAT replayed as what they did (the popped members are gone,
//     TTLs are there, the float sums are exact);
//   - with SAVE/BGSAVE running during the stream, the snapshot plus the log after it recover the
//     same (and a second kill, after a restart on the recovered directory, too).
//
// SHALE_CACHE_KILL9_KEEP=1 keeps the directories for inspection.

import assert from "node:assert/strict";
import { type ChildProcess, spawn } from "node:child_process";
import { existsSync, mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { test } from "node:test";
import { fileURLToPath } from "node:url";
import { RespError, RespTestClient, type RespValue, startShale } from "../src/servers/resp/testing.js";

const REPO = fileURLToPath(new URL("..", import.meta.url));
const MAIN = join(REPO, "src/cli/main.ts");
const KEEP = process.env.SHALE_CACHE_KILL9_KEEP === "1";
const CLIENTS = 8;
/** Commands (or MULTI blocks) each client keeps in flight. */
const WINDOW = 16;
const READY_TIMEOUT_MS = 90_000;

interface Child {
  proc: ChildProcess;
  port: number;
  exited: Promise<void>;
}

/** Starts `shale serve cache` on a free port in a child process; resolves once it listens. */
async function startChild(dir: string, fsync: string): Promise<Child> {
  const proc = spawn(
    process.execPath,
    [
      "--import",
      "tsx",
      MAIN,
      "serve",
      "cache",
      "--port",
      "0",
      "--dir",
      dir,
      "--appendonly",
      "yes",
      "--appendfsync",
      fsync,
    ],
    { cwd: REPO, stdio: ["ignore", "pipe", "pipe"] },
  );
  const exited = new Promise<void>((resolve) => proc.once("exit", () => resolve()));
  let out = "";
  let err = "";
  proc.stderr?.on("data", (d: Buffer) => {
    err += d.toString();
  });
  const port = await new Promise<number>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`child did not start in time:\n${out}\n${err}`)), READY_TIMEOUT_MS);
    proc.stdout?.on("data", (d: Buffer) => {
      out += d.toString();
      const m = /listening on [^\s:]+:(\d+)/.exec(out);
      if (m !== null) {
        clearTimeout(timer);
        resolve(Number(m[1]));
      }
    });
    proc.once("exit", (code) => {
      clearTimeout(timer);
      reject(new Error(`child exited (${code}) before listening:\n${out}\n${err}`));
    });
  });
  return { proc, port, exited };
}

/** What one client sent and what was acknowledged. */
interface Stream {
  client: number;
  db: number;
  /** Key prefix, so a second generation of writes on the same directory uses fresh keys. */
  gen: string;
  sent: number;
  acked: Set<number>;
  /** SPOP replies of acknowledged MULTI blocks. */
  popped: Map<number, string>;
}

const opType = (j: number) => j % 4;

/** Sends op j of a stream; resolves with the reply that acknowledges it. */
function sendOp(c: RespTestClient, s: Stream, j: number): Promise<RespValue> {
  const k = `${s.gen}:${s.client}`;
  switch (opType(j)) {
    case 0:
      return c.call("SET", `s:${k}:${j}`, String(j), "EX", "1000");
    case 1:
      return c.call("HSET", `h:${k}`, `f${j}`, String(j));
    case 2:
      return c.call("INCRBYFLOAT", `f:${k}`, "0.5");
    default:
      void c.call("MULTI");
      void c.call("INCR", `n:${k}`);
      void c.call("SADD", `p:${k}`, `a${j}`, `b${j}`);
      void c.call("SPOP", `p:${k}`);
      return c.call("EXEC");
  }
}

/** Writes until `stop` resolves; op j is acknowledged when its (last) reply arrives. */
async function writer(port: number, s: Stream, stop: Promise<void>, firstAck: () => void): Promise<void> {
  const c = await RespTestClient.connect(port);
  c.socket.on("error", () => {});
  let stopped = false;
  void stop.then(() => {
    stopped = true;
  });
  await Promise.race([c.call("SELECT", String(s.db)), stop]);
  const inflight = new Set<Promise<void>>();
  while (!stopped && !c.closed) {
    const j = s.sent++;
    const p = sendOp(c, s, j).then((r) => {
      if (r instanceof RespError) throw new Error(`op ${j} of client ${s.client} failed: ${r.message}`);
      if (opType(j) === 3) {
        if (!Array.isArray(r) || typeof r[2] !== "string") throw new Error(`EXEC replied ${JSON.stringify(r)}`);
        s.popped.set(j, r[2]);
      }
      s.acked.add(j);
      firstAck();
    });
    const tracked = p.finally(() => inflight.delete(tracked));
    inflight.add(tracked);
    if (inflight.size >= WINDOW) await Promise.race([...inflight, stop]);
  }
  c.close();
}

/** Checks a recovered server against the streams; returns how many ops each recovered. */
async function verify(port: number, streams: Stream[]): Promise<number[]> {
  const c = await RespTestClient.connect(port);
  const recovered: number[] = [];
  try {
    for (const s of streams) {
      await c.call("SELECT", String(s.db));
      const k = `${s.gen}:${s.client}`;
      const f = Number((await c.call("GET", `f:${k}`)) ?? 0);
      const n = Number((await c.call("GET", `n:${k}`)) ?? 0);
      // Pipelined: every op's check is sent before any reply is awaited.
      const checks: Promise<boolean>[] = [];
      let t2 = 0;
      let t3 = 0;
      for (let j = 0; j < s.sent; j++) {
        switch (opType(j)) {
          case 0: {
            const key = `s:${k}:${j}`;
            const v = c.call("GET", key);
            const ttl = c.call("PTTL", key);
            checks.push(
              Promise.all([v, ttl]).then(([value, pttl]) => {
                if (value !== null) {
                  const ms = pttl as number;
                  assert.ok(ms > 900_000 && ms <= 1_000_000, `${key} has PTTL ${ms}`);
                }
                return value === String(j);
              }),
            );
            break;
          }
          case 1:
            checks.push(c.call("HGET", `h:${k}`, `f${j}`).then((v) => v === String(j)));
            break;
          case 2:
            t2++;
            checks.push(Promise.resolve(f >= 0.5 * t2));
            break;
          default:
            t3++;
            checks.push(Promise.resolve(n >= t3));
        }
      }
      const present = await Promise.all(checks);
      const m = present.indexOf(false) < 0 ? present.length : present.indexOf(false);
      const ctx = `client ${s.client} (db ${s.db}, gen ${s.gen}): ${s.sent} sent, ${s.acked.size} acked, ${m} recovered`;
      for (let j = m; j < present.length; j++)
        assert.equal(present[j], false, `${ctx}: op ${j} recovered after a hole`);
      for (const j of s.acked) assert.ok(j < m, `${ctx}: acknowledged op ${j} lost`);
      // The counters match the prefix exactly, and the hash holds nothing more.
      let want2 = 0;
      let want3 = 0;
      let want1 = 0;
      for (let j = 0; j < m; j++) {
        if (opType(j) === 1) want1++;
        if (opType(j) === 2) want2++;
        if (opType(j) === 3) want3++;
      }
      assert.equal(f, 0.5 * want2, `${ctx}: INCRBYFLOAT sum`);
      assert.equal(n, want3, `${ctx}: MULTI blocks`);
      assert.equal(await c.call("HLEN", `h:${k}`), want1, `${ctx}: hash fields`);
      // SPOP: one member left per block, never one an acknowledged SPOP returned.
      const members = (await c.call("SMEMBERS", `p:${k}`)) as string[];
      assert.equal(members.length, want3, `${ctx}: set size`);
      const poppedSet = new Set(s.popped.values());
      for (const mem of members) {
        assert.ok(!poppedSet.has(mem), `${ctx}: popped member ${mem} is back`);
        const j = Number(mem.slice(1));
        assert.ok(opType(j) === 3 && j < m, `${ctx}: member ${mem} from an op not recovered`);
      }
      recovered.push(m);
    }
  } finally {
    c.close();
  }
  return recovered;
}

interface Round {
  fsync: "always" | "everysec";
  /** Run SAVE/BGSAVE from a side connection during the stream. */
  saves: boolean;
}

/** Runs one generation of writes against a child on `dir`, kills it, and returns the streams. */
async function killRound(dir: string, round: Round, gen: string): Promise<Stream[]> {
  const child = await startChild(dir, round.fsync);
  try {
    return await writeAndKill(child, round, gen);
  } finally {
    // Never leave a child behind, whatever failed.
    if (child.proc.exitCode === null && child.proc.signalCode === null) child.proc.kill("SIGKILL");
  }
}

async function writeAndKill(child: Child, round: Round, gen: string): Promise<Stream[]> {
  let resolveStop!: () => void;
  const stop = new Promise<void>((r) => {
    resolveStop = r;
  });
  let resolveFirst!: () => void;
  const first = new Promise<void>((r) => {
    resolveFirst = r;
  });
  const streams: Stream[] = Array.from({ length: CLIENTS }, (_, i) => ({
    client: i,
    db: i % 3,
    gen,
    sent: 0,
    acked: new Set<number>(),
    popped: new Map<number, string>(),
  }));
  const writers = streams.map((s) => writer(child.port, s, stop, resolveFirst));
  let saver: Promise<void> = Promise.resolve();
  if (round.saves) {
    saver = (async () => {
      const c = await RespTestClient.connect(child.port);
      c.socket.on("error", () => {});
      let stopped = false;
      void stop.then(() => {
        stopped = true;
      });
      await Promise.race([first, stop]);
      for (let i = 0; !stopped && !c.closed; i++) {
        const r = await Promise.race([c.call(i % 3 === 0 ? "SAVE" : "BGSAVE"), stop.then(() => null)]);
        if (r instanceof RespError && !r.message.includes("in progress")) throw new Error(`save failed: ${r.message}`);
        await new Promise((res) => setTimeout(res, 60 + Math.random() * 120));
      }
      c.close();
    })();
  }
  let timer: NodeJS.Timeout | undefined;
  const acked = await Promise.race([
    first.then(() => true),
    new Promise<boolean>((r) => {
      timer = setTimeout(() => r(false), READY_TIMEOUT_MS);
    }),
  ]);
  clearTimeout(timer);
  if (acked) await new Promise((r) => setTimeout(r, 300 + Math.random() * 1200));
  child.proc.kill("SIGKILL");
  await child.exited;
  resolveStop();
  await Promise.all([...writers, saver]);
  if (!acked) throw new Error(`no write was acknowledged in ${READY_TIMEOUT_MS} ms`);
  return streams;
}

async function recoverAndVerify(dir: string, fsync: string, streams: Stream[]): Promise<number[]> {
  const s = await startShale({ appendonly: "yes", appendfsync: fsync, dir });
  try {
    return await verify(s.port, streams);
  } finally {
    await s.close();
  }
}

function sum(xs: number[]): number {
  return xs.reduce((a, b) => a + b, 0);
}

async function runRounds(t: import("node:test").TestContext, round: Round, generations: number): Promise<void> {
  const dir = mkdtempSync(join(tmpdir(), `shale-cache-kill9-${round.fsync}-`));
  try {
    const all: Stream[] = [];
    for (let g = 0; g < generations; g++) {
      const streams = await killRound(dir, round, `g${g}`);
      all.push(...streams);
      const recovered = await recoverAndVerify(dir, round.fsync, all);
      const sent = sum(streams.map((s) => s.sent));
      const acked = sum(streams.map((s) => s.acked.size));
      t.diagnostic(
        `${round.fsync}${round.saves ? " + saves" : ""}, generation ${g}: ${sent} ops sent, ${acked} acked, ` +
          `${sum(recovered.slice(-CLIENTS))} recovered`,
      );
      assert.ok(acked > 0, "some writes were acknowledged before the kill");
    }
    if (round.saves) assert.ok(existsSync(join(dir, "dump.shale")), "a snapshot was written");
  } finally {
    if (KEEP) t.diagnostic(`kept ${dir}`);
    else rmSync(dir, { recursive: true, force: true });
  }
}

test("cache kill -9: appendfsync always keeps every acknowledged write, and a prefix", {
  timeout: 300_000,
}, async (t) => {
  await runRounds(t, { fsync: "always", saves: false }, 1);
});

test("cache kill -9: appendfsync everysec recovers a prefix (with every acknowledged write)", {
  timeout: 300_000,
}, async (t) => {
  await runRounds(t, { fsync: "everysec", saves: false }, 1);
});

test("cache kill -9: SAVE/BGSAVE during the stream, then kill, twice on one directory", {
  timeout: 300_000,
}, async (t) => {
  await runRounds(t, { fsync: "always", saves: true }, 2);
});
