// Runs a generated command sequence (test/support/cache-gen.ts) against Shale and redis-server side
// by side, pipelined in batches, and compares every reply under its norm; shrinks a failing
// sequence to a short reproduction. Used by test/cache-diff.test.ts.

import { RespTestClient } from "../../src/servers/resp/testing.js";
import type { GenCmd, Norm } from "./cache-gen.js";
import { parseOne, type RespNode, serialize } from "./cache-resp.js";
import { repr, reprCommand } from "./cache-tools.js";

export interface Mismatch {
  index: number;
  cmd: GenCmd;
  shale: string;
  redis: string;
  /** True when the replies differ only in element order. */
  orderOnly: boolean;
  note?: string;
}

const BATCH = 64;
const REPLY_TIMEOUT_MS = 10_000;
const COMPACT_ENCODINGS = new Set(["listpack", "ziplist", "intset"]);

function bytes(args: string[]): Buffer[] {
  return args.map((a) => Buffer.from(a, "latin1"));
}

function isAggregate(n: RespNode): boolean {
  return n.kids !== undefined;
}

/** The node with its top-level elements (or pairs) sorted. */
export function sortNode(n: RespNode, pairs: boolean): RespNode {
  const kids = n.kids;
  if (kids === undefined) return n;
  if (n.type === "%" || (pairs && !kids.every(isAggregate))) {
    const ps: RespNode[][] = [];
    for (let i = 0; i + 1 < kids.length; i += 2) ps.push([kids[i], kids[i + 1]]);
    ps.sort((a, b) => cmpStr(serialize(a[0]) + serialize(a[1]), serialize(b[0]) + serialize(b[1])));
    return { ...n, kids: ps.flat() };
  }
  return { ...n, kids: [...kids].sort((a, b) => cmpStr(serialize(a), serialize(b))) };
}

function cmpStr(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

/** Frame types and aggregate lengths only. */
export function shapeNode(n: RespNode): RespNode {
  if (n.kids !== undefined) return { ...n, kids: n.kids.map(shapeNode) };
  if (n.data !== undefined) return { type: n.type, line: "?" };
  if (n.type === ":" || n.type === "," || n.type === "(") return { type: n.type, line: "?" };
  return n;
}

/** Compares two replies under a norm; `compact` says whether Redis holds an order-probed key compactly. */
export function sameReply(a: RespNode, b: RespNode, norm: Norm, compact = false): boolean {
  switch (norm.kind) {
    case "exact":
      return serialize(a) === serialize(b);
    case "unordered":
      return serialize(sortNode(a, norm.pairs)) === serialize(sortNode(b, norm.pairs));
    case "order-probe":
      return compact
        ? serialize(a) === serialize(b)
        : serialize(sortNode(a, norm.pairs)) === serialize(sortNode(b, norm.pairs));
    case "shape":
      return serialize(shapeNode(a)) === serialize(shapeNode(b));
    case "ignore":
      return true;
    case "errors-only":
      return a.type !== "-" && b.type !== "-" ? true : serialize(a) === serialize(b);
    case "ttl": {
      if (a.type === ":" && b.type === ":") {
        const x = Number(a.line);
        const y = Number(b.line);
        if (x >= 0 && y >= 0) return Math.abs(x - y) <= norm.tol;
      }
      return serialize(a) === serialize(b);
    }
    case "exec": {
      const ka = a.kids;
      const kb = b.kids;
      if (a.type === "*" && b.type === "*" && ka !== undefined && kb !== undefined && ka.length === norm.inner.length) {
        if (kb.length !== ka.length) return false;
        return ka.every((x, i) => sameReply(x, kb[i], norm.inner[i]));
      }
      return serialize(a) === serialize(b);
    }
  }
}

/** Loose form of a norm: everything order-insensitive, for the "order only" hint. */
function orderInsensitive(a: RespNode, b: RespNode): boolean {
  const deep = (n: RespNode): RespNode => {
    if (n.kids === undefined) return n;
    const kids = n.kids.map(deep);
    return sortNode({ ...n, kids }, n.type === "%" || !kids.every(isAggregate));
  };
  return serialize(deep(a)) === serialize(deep(b));
}

interface Pending {
  promise: Promise<{ raw: Buffer }>;
  done: boolean;
}

function track(p: Promise<{ raw: Buffer }>): Pending {
  const t: Pending = { promise: p, done: false };
  p.then(() => {
    t.done = true;
  });
  return t;
}

async function awaitAll(ps: Pending[], who: string, client: RespTestClient, describe: (i: number) => string) {
  let timer: NodeJS.Timeout | undefined;
  const timedOut = new Promise<never>((_, reject) => {
    timer = setTimeout(() => {
      const i = ps.findIndex((p) => !p.done);
      reject(
        new Error(
          `${who} sent no reply within ${REPLY_TIMEOUT_MS} ms for ${describe(i)}` +
            (client.closed ? ` (${who} closed the connection)` : ""),
        ),
      );
    }, REPLY_TIMEOUT_MS);
  });
  try {
    return await Promise.race([Promise.all(ps.map((p) => p.promise)), timedOut]);
  } finally {
    clearTimeout(timer);
  }
}

function sendBatch(c: RespTestClient, cmds: Buffer[][]): Pending[] {
  c.socket.cork();
  const ps = cmds.map((args) => track(c.send(...args)));
  c.socket.uncork();
  return ps;
}

/** Follows a SCAN-family cursor to the end; the result is a synthetic reply: the sorted union (or the error). */
async function scanAll(c: RespTestClient, cmd: GenCmd): Promise<RespNode> {
  const args = [...cmd.args];
  const pairs = cmd.scan?.pairs ?? false;
  const cursorArg = cmd.scan?.cursorArg ?? 1;
  const seen = new Set<string>();
  for (let round = 0; round < 100_000; round++) {
    const { raw } = await c.send(...bytes(args));
    const node = parseOne(raw);
    const kids = node.kids;
    if (node.type !== "*" || kids === undefined || kids.length !== 2 || kids[1].kids === undefined) return node;
    const items = kids[1].kids;
    if (pairs) {
      for (let i = 0; i + 1 < items.length; i += 2) seen.add(serialize(items[i]) + serialize(items[i + 1]));
    } else {
      for (const it of items) seen.add(serialize(it));
    }
    const cursor = kids[0].data?.toString("latin1") ?? "";
    if (cursor === "0") break;
    args[cursorArg] = cursor;
  }
  const sorted = [...seen].sort();
  return { type: "*", line: String(sorted.length), kids: sorted.map((s) => ({ type: "+", line: JSON.stringify(s) })) };
}

/** Shows a reply for a failure message. */
export function showReply(n: RespNode | Buffer): string {
  const s = Buffer.isBuffer(n) ? n : Buffer.from(serialize(n), "latin1");
  const r = repr(s);
  return r.length > 600 ? `${r.slice(0, 600)}... (${s.length} bytes)` : r;
}

/**
 * Runs cmds on both connections (already set to the wanted protocol) and returns the first
 * mismatch, or null. `stopAt` ends the run after that index (for shrinking).
 */
export async function runSequence(
  cmds: GenCmd[],
  shale: RespTestClient,
  redis: RespTestClient,
  opts: { looseOrder?: boolean } = {},
): Promise<Mismatch | null> {
  const describe = (i: number) => (i < 0 ? "?" : `command #${i} ${reprCommand(cmds[i].args)}`);
  let i = 0;
  while (i < cmds.length) {
    const cmd = cmds[i];
    if (cmd.scan !== undefined) {
      const [a, b] = await Promise.all([scanAll(shale, cmd), scanAll(redis, cmd)]);
      if (!sameReply(a, b, { kind: "exact" })) {
        return {
          index: i,
          cmd,
          shale: showReply(a),
          redis: showReply(b),
          orderOnly: false,
          note: "full SCAN iteration",
        };
      }
      i++;
      continue;
    }
    let end = i;
    while (end < cmds.length && end - i < BATCH && cmds[end].scan === undefined) end++;
    const batch = cmds.slice(i, end);
    const redisArgs: Buffer[][] = [];
    const probeAt: number[] = [];
    for (const c of batch) {
      if (c.norm.kind === "order-probe" && !opts.looseOrder) {
        probeAt.push(redisArgs.length);
        redisArgs.push(bytes(["OBJECT", "ENCODING", c.norm.key]));
      } else {
        probeAt.push(-1);
      }
      redisArgs.push(bytes(c.args));
    }
    const sp = sendBatch(
      shale,
      batch.map((c) => bytes(c.args)),
    );
    const rp = sendBatch(redis, redisArgs);
    const [sr, rr] = await Promise.all([
      awaitAll(sp, "Shale", shale, (k) => describe(k < 0 ? -1 : i + k)),
      awaitAll(rp, "redis-server", redis, () => "its batch"),
    ]);
    let r = 0;
    for (let k = 0; k < batch.length; k++) {
      let compact = false;
      if (probeAt[k] >= 0) {
        compact = COMPACT_ENCODINGS.has(rr[r].raw.toString("latin1").split("\r\n")[1] ?? "");
        r++;
      }
      const a = parseOne(sr[k].raw);
      const b = parseOne(rr[r].raw);
      r++;
      const c = batch[k];
      if (!sameReply(a, b, c.norm, compact)) {
        return {
          index: i + k,
          cmd: c,
          shale: showReply(sr[k].raw),
          redis: showReply(rr[r - 1].raw),
          orderOnly: orderInsensitive(a, b),
          note:
            c.norm.kind === "order-probe" && compact ? "Redis holds this key compactly: order is defined" : undefined,
        };
      }
    }
    i = end;
  }
  return null;
}

/** Opens a connection and switches it to the protocol (HELLO 3's reply is not compared: it names the client id). */
export async function openClient(port: number, proto: 2 | 3): Promise<RespTestClient> {
  const c = await RespTestClient.connect(port);
  if (proto === 3) await c.send("HELLO", "3");
  return c;
}

/**
 * Shrinks a failing sequence (ending with the failing command) while `fails` still holds: first
 * keep only the commands that share keys with it (transitively) or touch global state, then drop
 * chunks. Bounded by maxTries replays.
 */
export async function shrink(
  seq: GenCmd[],
  fails: (s: GenCmd[]) => Promise<boolean>,
  maxTries = 80,
  maxMs = 20_000,
): Promise<GenCmd[]> {
  const started = Date.now();
  let tries = 0;
  const budget = () => tries < maxTries && Date.now() - started < maxMs;
  const last = seq[seq.length - 1];
  const interest = new Set(last.keys);
  const kept: GenCmd[] = [last];
  for (let i = seq.length - 2; i >= 0; i--) {
    const c = seq[i];
    if (c.global || c.keys.some((k) => interest.has(k))) {
      kept.push(c);
      for (const k of c.keys) interest.add(k);
    }
  }
  kept.reverse();
  let cur = seq;
  if (kept.length < seq.length) {
    tries++;
    if (await fails(kept)) cur = kept;
  }
  let chunk = Math.max(1, Math.floor((cur.length - 1) / 2));
  while (chunk >= 1 && budget()) {
    let changed = false;
    for (let start = 0; start < cur.length - 1 && budget(); ) {
      const cand = [...cur.slice(0, start), ...cur.slice(Math.min(cur.length - 1, start + chunk))];
      tries++;
      if (cand.length < cur.length && (await fails(cand))) {
        cur = cand;
        changed = true;
      } else {
        start += chunk;
      }
    }
    if (!changed) chunk = Math.floor(chunk / 2);
  }
  return cur;
}
