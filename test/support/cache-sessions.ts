// Scripted multi-connection sessions for the cache face's differential test
// (test/cache-diff.test.ts): pub/sub (RESP2 and RESP3 pushes), blocking pops served by other
// connections, WATCH invalidated by other connections, keyspace notifications. Each script runs on
// fresh raw connections to Shale and to redis-server; every byte each connection receives is
// recorded per step and the streams are compared.

import { encodeCommand } from "../../src/servers/resp/testing.js";
import { sortNode } from "./cache-diff-run.js";
import { parseAll, RawConn, serialize } from "./cache-resp.js";
import { repr, sleep } from "./cache-tools.js";

export interface Step {
  /** Connection index. */
  c: number;
  cmd: string[];
  /** The command blocks (no reply expected now). */
  blocks?: boolean;
  /** Extra wait after the step, ms (timeouts). */
  wait?: number;
  /** Its reply is not compared (HELLO: it names the client id). */
  ignore?: boolean;
  /** Its reply's elements are in no defined order (PUBSUB CHANNELS): sorted before comparing. */
  sort?: boolean;
}

export interface Script {
  name: string;
  /** Set for a behaviour Shale does not have yet: the session runs and reports, but as a todo. */
  todo?: string;
  conns: number;
  steps: Step[];
}

const GRACE_MS = 25;

/** Runs a script; returns, per step, the bytes each connection received during it. */
export async function runScript(port: number, script: Script): Promise<Buffer[][]> {
  const conns = await Promise.all(Array.from({ length: script.conns }, () => RawConn.open(port)));
  const seen = conns.map(() => 0);
  const take = (i: number): Buffer => {
    const all = conns[i].received;
    const out = all.subarray(seen[i]);
    seen[i] = all.length;
    return out;
  };
  const out: Buffer[][] = [];
  try {
    for (const step of script.steps) {
      const c = conns[step.c];
      const before = c.received.length;
      await c.write(encodeCommand(step.cmd));
      if (step.blocks) {
        await sleep(50);
      } else {
        const deadline = Date.now() + 3000;
        while (c.received.length === before && !c.closedByServer && Date.now() < deadline) await sleep(2);
        await sleep(GRACE_MS);
      }
      if (step.wait !== undefined) await sleep(step.wait);
      const got = conns.map((_, i) => take(i));
      if (step.sort) {
        const { frames, rest } = parseAll(got[step.c]);
        got[step.c] = Buffer.concat([
          Buffer.from(frames.map((f) => serialize(sortNode(f, false))).join(""), "latin1"),
          rest,
        ]);
      }
      out.push(got);
    }
    await sleep(50);
    out.push(conns.map((_, i) => take(i)));
  } finally {
    for (const c of conns) c.close();
  }
  return out;
}

/**
 * Compares two runs of a script. Bytes may land one step later on one server than on the other
 * (a pushed message racing the next command), so each connection's whole stream is compared; the
 * message points at the first step where the streams part.
 */
export function compareRuns(script: Script, shale: Buffer[][], redis: Buffer[][]): string | null {
  for (let conn = 0; conn < script.conns; conn++) {
    const ignored = (s: number) =>
      s < script.steps.length && script.steps[s].ignore === true && script.steps[s].c === conn;
    const stream = (run: Buffer[][]) => Buffer.concat(run.filter((_, s) => !ignored(s)).map((r) => r[conn]));
    const a = stream(shale);
    const b = stream(redis);
    if (a.equals(b)) continue;
    let d = 0;
    while (d < a.length && d < b.length && a[d] === b[d]) d++;
    // The step during which byte d arrived, on each side.
    const stepOf = (run: Buffer[][]): number => {
      let p = 0;
      for (let st = 0; st < run.length; st++) {
        if (ignored(st)) continue;
        p += run[st][conn].length;
        if (p > d) return st;
      }
      return run.length - 1;
    };
    const name = (st: number) => {
      const step = script.steps[st];
      return step === undefined ? "after the last step" : `step #${st} (conn ${step.c}: ${step.cmd.join(" ")})`;
    };
    const from = Math.max(0, d - 80);
    return [
      `session "${script.name}": connection ${conn} received different bytes from offset ${d}`,
      `  shale (${name(stepOf(shale))}): ...${repr(a.subarray(from, d + 300))}`,
      `  redis (${name(stepOf(redis))}): ...${repr(b.subarray(from, d + 300))}`,
      `  steps: ${script.steps.map((x, i) => `#${i} c${x.c} ${x.cmd.join(" ")}`).join(" | ")}`,
    ].join("\n");
  }
  return null;
}

const s = (c: number, ...cmd: string[]): Step => ({ c, cmd });
const block = (c: number, ...cmd: string[]): Step => ({ c, cmd, blocks: true });

function pubsub(proto: 2 | 3): Script {
  const hello: Step[] = proto === 3 ? [{ c: 0, cmd: ["HELLO", "3"], ignore: true }] : [];
  return {
    name: `pub/sub, RESP${proto}`,
    conns: 2,
    steps: [
      ...hello,
      s(0, "SUBSCRIBE", "news", "alerts"),
      s(1, "PUBLISH", "news", "hello"),
      s(0, "PING"),
      s(0, "PING", "hi"),
      s(0, "GET", "x"),
      s(0, "SUBSCRIBE", "news"),
      s(0, "PSUBSCRIBE", "n*", "a?erts"),
      s(1, "PUBLISH", "news", "again"),
      s(1, "PUBLISH", "alerts", "\r\n\0"),
      { c: 1, cmd: ["PUBSUB", "CHANNELS"], sort: true },
      s(1, "PUBSUB", "CHANNELS", "a*"),
      s(1, "PUBSUB", "NUMSUB", "news", "alerts", "none"),
      s(1, "PUBSUB", "NUMPAT"),
      s(0, "UNSUBSCRIBE", "news", "nosuch"),
      s(0, "PUNSUBSCRIBE"),
      s(1, "PUBLISH", "news", "gone"),
      s(0, "UNSUBSCRIBE"),
      s(0, "UNSUBSCRIBE"),
      s(0, "PUNSUBSCRIBE"),
      s(0, "GET", "x"),
      s(0, "SUBSCRIBE", "again"),
      s(0, "RESET"),
      s(1, "PUBLISH", "again", "x"),
      s(0, "PING"),
    ],
  };
}

function blocking(proto: 2 | 3): Script {
  const hello: Step[] =
    proto === 3
      ? [
          { c: 0, cmd: ["HELLO", "3"], ignore: true },
          { c: 2, cmd: ["HELLO", "3"], ignore: true },
        ]
      : [];
  return {
    name: `blocking pops, RESP${proto}`,
    conns: 3,
    steps: [
      ...hello,
      s(1, "DEL", "q1", "q2", "q3", "q4", "src", "dst"),
      block(0, "BLPOP", "q1", "q2", "0"),
      s(1, "RPUSH", "q2", "a", "b"),
      s(1, "LRANGE", "q2", "0", "-1"),
      block(0, "BRPOP", "q1", "0"),
      block(2, "BRPOP", "q1", "0"),
      s(1, "RPUSH", "q1", "x", "y", "z"),
      s(1, "LRANGE", "q1", "0", "-1"),
      block(0, "BLMOVE", "src", "dst", "LEFT", "RIGHT", "0"),
      s(1, "LPUSH", "src", "v"),
      s(1, "LRANGE", "dst", "0", "-1"),
      block(0, "BLPOP", "q3", "0"),
      s(1, "MULTI"),
      s(1, "RPUSH", "q3", "a"),
      s(1, "LPOP", "q3"),
      s(1, "EXEC"),
      s(1, "RPUSH", "q3", "b"),
      block(0, "BLPOP", "q4", "0"),
      s(1, "SET", "q4", "string"),
      s(1, "DEL", "q4"),
      s(1, "RPUSH", "q4", "z"),
      block(2, "BRPOPLPUSH", "q5", "q6", "0"),
      s(1, "RPUSH", "q5", "1", "2"),
      s(1, "LRANGE", "q6", "0", "-1"),
      { c: 0, cmd: ["BLPOP", "empty", "0.1"], blocks: true, wait: 400 },
      { c: 2, cmd: ["BLMOVE", "empty", "dst", "RIGHT", "LEFT", "0.1"], blocks: true, wait: 400 },
      s(0, "BLPOP", "q2", "0"),
      s(0, "MULTI"),
      s(0, "BLPOP", "empty", "0"),
      s(0, "EXEC"),
    ],
  };
}

const WATCH: Script = {
  name: "WATCH against other connections",
  conns: 2,
  steps: [
    s(0, "SET", "w", "1"),
    s(0, "WATCH", "w"),
    s(1, "SET", "w", "2"),
    s(0, "MULTI"),
    s(0, "INCR", "w"),
    s(0, "EXEC"),
    s(0, "WATCH", "w"),
    s(1, "GET", "w"),
    s(0, "MULTI"),
    s(0, "INCR", "w"),
    s(0, "EXEC"),
    s(0, "WATCH", "w"),
    s(1, "EXPIRE", "w", "100000"),
    s(0, "MULTI"),
    s(0, "EXEC"),
    s(0, "WATCH", "missing"),
    s(1, "SET", "missing", "1"),
    s(1, "DEL", "missing"),
    s(0, "MULTI"),
    s(0, "EXEC"),
    s(0, "WATCH", "nothere"),
    s(1, "DEL", "nothere"),
    s(0, "MULTI"),
    s(0, "EXEC"),
    s(0, "WATCH", "w"),
    s(1, "PERSIST", "w"),
    s(0, "MULTI"),
    s(0, "EXEC"),
    s(0, "WATCH", "w"),
    s(1, "FLUSHALL"),
    s(0, "MULTI"),
    s(0, "EXEC"),
    s(1, "SET", "w", "db0"),
    s(0, "SELECT", "1"),
    s(0, "WATCH", "w"),
    s(1, "SET", "w", "other-db"),
    s(0, "MULTI"),
    s(0, "GET", "w"),
    s(0, "EXEC"),
    s(0, "WATCH", "w"),
    s(1, "SWAPDB", "0", "1"),
    s(0, "MULTI"),
    s(0, "GET", "w"),
    s(0, "EXEC"),
    s(0, "WATCH", "k"),
    s(0, "UNWATCH"),
    s(1, "SET", "k", "x"),
    s(0, "MULTI"),
    s(0, "EXEC"),
    s(0, "MULTI"),
    s(0, "WATCH", "x"),
    s(0, "EXEC"),
    // A watched key that expires before EXEC fails the transaction (Redis 6.0.9+).
    s(1, "SET", "soon", "1", "PX", "800"),
    { c: 0, cmd: ["WATCH", "soon"], wait: 1200 },
    s(0, "MULTI"),
    s(0, "SET", "soon", "2"),
    s(0, "EXEC"),
    s(0, "EXISTS", "soon"),
    s(0, "WATCH", "a", "b"),
    s(1, "SET", "b", "1"),
    s(0, "MULTI"),
    s(0, "SET", "a", "1"),
    s(0, "DISCARD"),
    s(0, "MULTI"),
    s(0, "EXEC"),
  ],
};

const NOTIFY: Script = {
  name: "keyspace notifications",
  conns: 2,
  steps: [
    s(1, "CONFIG", "SET", "notify-keyspace-events", "KEA"),
    s(1, "CONFIG", "GET", "notify-keyspace-events"),
    s(0, "PSUBSCRIBE", "__key*__:*"),
    s(1, "SET", "nk", "v"),
    s(1, "EXPIRE", "nk", "100000"),
    s(1, "PERSIST", "nk"),
    s(1, "APPEND", "nk", "w"),
    s(1, "DEL", "nk"),
    s(1, "LPUSH", "nl", "a", "b"),
    s(1, "RPOP", "nl"),
    s(1, "LPOP", "nl"),
    s(1, "HSET", "nh", "f", "v"),
    s(1, "HINCRBY", "nh", "n", "1"),
    s(1, "HDEL", "nh", "f", "n"),
    s(1, "INCR", "ni"),
    s(1, "RENAME", "ni", "nj"),
    s(1, "SADD", "ns", "m"),
    s(1, "SREM", "ns", "m"),
    s(1, "ZADD", "nz", "1", "m"),
    s(1, "ZINCRBY", "nz", "1", "m"),
    s(1, "ZPOPMIN", "nz"),
    s(1, "EXPIRE", "nj", "0"),
    s(1, "SET", "nx", "1", "PX", "100000"),
    s(1, "GETDEL", "nx"),
    s(1, "CONFIG", "SET", "notify-keyspace-events", "Kl"),
    s(1, "CONFIG", "GET", "notify-keyspace-events"),
    s(1, "RPUSH", "nl", "only-list-events"),
    s(1, "SET", "nk", "no-event"),
    s(1, "CONFIG", "SET", "notify-keyspace-events", ""),
    s(1, "SET", "nk", "silent"),
  ],
};

export const SCRIPTS: Script[] = [pubsub(2), pubsub(3), blocking(2), blocking(3), WATCH, NOTIFY];
