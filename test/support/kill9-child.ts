// The writer side of the kill -9 test (test/kill9.test.ts), and the deterministic write stream
// both sides share.
//
// Run as `node --import tsx test/support/kill9-child.ts <dir> <seed> <round> <mode> <cold|warm>`
// with an IPC channel: it reports "opening", opens (and so recovers) the store in <dir> with
// KILL9_OPTIONS (strict durability, tiny buffers so flushes and compactions run all the time,
// compactions on the worker thread), then writes the OpStream for (seed, round, mode) without end,
// keeping many writes in flight, until the parent kills it. It reports "ready" as soon as the store
// is open ("cold"), or once a first compaction has finished ("warm": the worker thread is up and
// background work is in full swing; at most a few seconds later if none finishes). Every resolved
// write is reported to the parent ("ack" messages, batched per event-loop turn); only reported
// writes count as acknowledged.
//
// The stream is a pure function of (seed, round, mode): the parent regenerates it to know exactly
// what the child may have written, in which order. Values name their key, round and write id, so
// a recovered value tells which write produced it.

import { fileURLToPath } from "node:url";
import { open, type Store, type StoreOptions } from "../../src/index.js";

/** Store options of the test: small buffers and files so that flushes and compactions keep running. */
export const KILL9_OPTIONS: StoreOptions = {
  durability: "strict",
  writeBufferSize: 64 << 10,
  targetFileSize: 64 << 10,
  l0CompactionTrigger: 2,
  levelBaseBytes: 256 << 10,
};

/** Keys of the main key space: `k00000` .. `k03999`. */
export const KEY_COUNT = 4000;
/** The most recently hit keys: most writes go to them, so keys are overwritten and deleted often. */
const HOT_KEYS = 200;
/** The longest a "warm" child waits for its first compaction before it reports ready anyway. */
const WARM_UP_LIMIT_MS = 5000;
/** Bytes of large values written at the start of a "burst" round. */
export const BURST_BYTES = 6 << 20;

export type Mode = "mixed" | "burst";

export interface BatchItem {
  key: string;
  /** null for a delete. */
  value: string | null;
}

export type Op =
  | { id: number; kind: "put"; key: string; value: string; burst: boolean }
  | { id: number; kind: "del"; key: string; burst: false }
  | { id: number; kind: "batch"; items: BatchItem[]; burst: false }
  | { id: number; kind: "ingest"; entries: Array<[string, string]>; burst: false };

export interface ChildStats {
  flushes: number;
  compactions: number;
  moves: number;
  ingests: number;
  files: number;
  l0: number;
}

/** Messages from the child to the parent. */
export type ChildMessage =
  | { t: "opening"; pid: number }
  | { t: "ready"; pid: number }
  | { t: "ack"; ids: number[]; issued: number; stats?: ChildStats }
  | { t: "burst"; issued: number; stats: ChildStats }
  | { t: "error"; message: string };

/** sfc32: a small, fast, seedable PRNG. */
export class Rng {
  private a: number;
  private b: number;
  private c: number;
  private d: number;

  constructor(seed: number) {
    this.a = 0x9e3779b9;
    this.b = 0x243f6a88;
    this.c = 0xb7e15162;
    this.d = seed >>> 0;
    for (let i = 0; i < 16; i++) this.u32();
  }

  u32(): number {
    const t = (((this.a + this.b) | 0) + this.d) | 0;
    this.d = (this.d + 1) | 0;
    this.a = this.b ^ (this.b >>> 9);
    this.b = (this.c + (this.c << 3)) | 0;
    this.c = (this.c << 21) | (this.c >>> 11);
    this.c = (this.c + t) | 0;
    return t >>> 0;
  }

  /** A float in [0, 1). */
  float(): number {
    return this.u32() / 4294967296;
  }

  /** An integer in [0, n). */
  int(n: number): number {
    return Math.floor(this.float() * n);
  }

  /** An integer in [lo, hi]. */
  range(lo: number, hi: number): number {
    return lo + this.int(hi - lo + 1);
  }
}

export function mainKey(i: number): string {
  return `k${String(i).padStart(5, "0")}`;
}

/** An ingested key: sorts right after main key `i`, and names the ingest that wrote it, so it is fresh. */
export function ingestKey(i: number, round: number, id: number, j: number): string {
  return `${mainKey(i)}~r${round}o${id}j${String(j).padStart(4, "0")}`;
}

const ALPHABET = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789";

/** Parses the round and write id out of a value written by the stream. */
export function parseValue(v: string): { key: string; round: number; id: number } | undefined {
  const m = /^([^|]+)\|r(\d+)\|o(\d+)\|/.exec(v);
  return m ? { key: m[1], round: Number(m[2]), id: Number(m[3]) } : undefined;
}

/** The deterministic stream of writes of one round. */
export class OpStream {
  private readonly rng: Rng;
  private nextId = 0;
  private burstLeft: number;

  constructor(
    seed: number,
    readonly round: number,
    readonly mode: Mode,
  ) {
    this.rng = new Rng((seed ^ Math.imul(round + 1, 0x85ebca6b)) >>> 0);
    this.burstLeft = mode === "burst" ? BURST_BYTES : 0;
  }

  private value(key: string, id: number, length: number): string {
    const head = `${key}|r${this.round}|o${id}|`;
    const codes: number[] = [];
    for (let i = 0; i < 24; i++) codes.push(ALPHABET.charCodeAt(this.rng.int(ALPHABET.length)));
    const chunk = String.fromCharCode(...codes);
    const pad = Math.max(0, length - head.length);
    return head + chunk.repeat(Math.ceil(pad / chunk.length)).slice(0, pad);
  }

  private pickKey(): number {
    return this.rng.float() < 0.6 ? this.rng.int(HOT_KEYS) : this.rng.int(KEY_COUNT);
  }

  private smallLength(): number {
    return this.rng.float() < 0.9 ? this.rng.range(24, 160) : this.rng.range(160, 2000);
  }

  next(): Op {
    const id = this.nextId++;
    const rng = this.rng;
    if (this.burstLeft > 0) {
      const key = mainKey(rng.int(KEY_COUNT));
      const length = rng.range(2048, 8192);
      this.burstLeft -= length;
      return { id, kind: "put", key, value: this.value(key, id, length), burst: true };
    }
    const r = rng.float();
    if (r < 0.45) {
      const key = mainKey(this.pickKey());
      return { id, kind: "put", key, value: this.value(key, id, this.smallLength()), burst: false };
    }
    if (r < 0.6) return { id, kind: "del", key: mainKey(this.pickKey()), burst: false };
    if (r < 0.996) {
      const n = rng.range(2, 24);
      const seen = new Set<number>();
      const items: BatchItem[] = [];
      while (items.length < n) {
        const i = this.pickKey();
        if (seen.has(i)) continue;
        seen.add(i);
        const key = mainKey(i);
        items.push({ key, value: rng.float() < 0.8 ? this.value(key, id, this.smallLength()) : null });
      }
      return { id, kind: "batch", items, burst: false };
    }
    // A sorted run of fresh keys, interleaved with the main keys so that it overlaps what is in
    // the memtable and the upper levels.
    const step = rng.range(1, 3);
    const start = rng.int(KEY_COUNT - 40 * step);
    const n = Math.min(rng.range(20, 400), Math.floor((KEY_COUNT - start) / step));
    const entries: Array<[string, string]> = [];
    for (let j = 0; j < n; j++) {
      const key = ingestKey(start + j * step, this.round, id, j);
      entries.push([key, this.value(key, id, this.smallLength())]);
    }
    return { id, kind: "ingest", entries, burst: false };
  }
}

// -------------------------------------------------------------------------------------------------
// The child process

const encoder = new TextEncoder();

function statsOf(store: Store): ChildStats {
  const s = store.stats();
  return {
    flushes: s.flushes.count,
    compactions: s.compactions.count,
    moves: s.compactions.moves,
    ingests: s.ingests.count,
    files: s.files,
    l0: s.levels[0]?.files ?? 0,
  };
}

async function main(): Promise<void> {
  const [dir, seedArg, roundArg, modeArg, warmArg] = process.argv.slice(2);
  const send = process.send?.bind(process);
  if (!dir || !send || (modeArg !== "mixed" && modeArg !== "burst") || (warmArg !== "cold" && warmArg !== "warm")) {
    throw new Error("usage (with an IPC channel): kill9-child.ts <dir> <seed> <round> <mixed|burst> <cold|warm>");
  }
  const seed = Number(seedArg) >>> 0;
  const round = Number(roundArg);
  const mode: Mode = modeArg;
  // Never outlive the parent, nor run forever if it forgets to kill us.
  process.on("disconnect", () => process.exit(0));
  setTimeout(() => process.exit(5), 120_000).unref();

  const fail = (err: unknown): void => {
    const message = err instanceof Error ? `${err.name}: ${err.message}\n${err.stack ?? ""}` : String(err);
    send({ t: "error", message } satisfies ChildMessage, () => process.exit(3));
  };

  send({ t: "opening", pid: process.pid } satisfies ChildMessage);
  const store = await open(dir, KILL9_OPTIONS);
  const stream = new OpStream(seed, round, mode);
  const knobs = new Rng(seed ^ 0x5bd1e995);
  const cap = knobs.range(50, 500);

  let issued = 0;
  let outstanding = 0;
  let acks: number[] = [];
  let flushScheduled = false;
  let lastStats = 0;
  let burstIssued = 0;
  let burstAcked = 0;
  let burstPhaseOver = mode !== "burst";
  let burstReported = mode !== "burst";

  const flushAcks = (): void => {
    flushScheduled = false;
    if (acks.length === 0) return;
    const msg: ChildMessage = { t: "ack", ids: acks, issued };
    const now = Date.now();
    if (now - lastStats >= 50) {
      lastStats = now;
      msg.stats = statsOf(store);
    }
    acks = [];
    send(msg);
  };

  const acked = (op: Op): void => {
    outstanding--;
    acks.push(op.id);
    if (op.burst) burstAcked++;
    if (!burstReported && burstPhaseOver && burstAcked === burstIssued) {
      burstReported = true;
      flushAcks();
      send({ t: "burst", issued, stats: statsOf(store) } satisfies ChildMessage);
    } else if (!flushScheduled) {
      flushScheduled = true;
      setImmediate(flushAcks);
    }
    pump();
  };

  const pump = (): void => {
    while (outstanding < cap) {
      const op = stream.next();
      issued = op.id + 1;
      if (op.burst) burstIssued++;
      else burstPhaseOver = true;
      outstanding++;
      let p: Promise<unknown>;
      switch (op.kind) {
        case "put":
          p = store.put(op.key, op.value);
          break;
        case "del":
          p = store.del(op.key);
          break;
        case "batch":
          p = store.batch(
            op.items.map((it) =>
              it.value === null ? { type: "del", key: it.key } : { type: "put", key: it.key, value: it.value },
            ),
          );
          break;
        case "ingest":
          p = store.ingest(
            op.entries.map(([k, v]): [Uint8Array, Uint8Array] => [encoder.encode(k), encoder.encode(v)]),
          );
          break;
      }
      p.then(() => acked(op), fail);
    }
  };

  pump();
  if (warmArg === "cold") {
    send({ t: "ready", pid: process.pid } satisfies ChildMessage);
    return;
  }
  const warmStart = Date.now();
  const poll = setInterval(() => {
    if (store.stats().compactions.count > 0 || Date.now() - warmStart > WARM_UP_LIMIT_MS) {
      clearInterval(poll);
      send({ t: "ready", pid: process.pid } satisfies ChildMessage);
    }
  }, 5);
}

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) {
  main().catch((err: unknown) => {
    const message = err instanceof Error ? `${err.name}: ${err.message}\n${err.stack ?? ""}` : String(err);
    if (process.send) process.send({ t: "error", message } satisfies ChildMessage, () => process.exit(2));
    else {
      console.error(message);
      process.exit(2);
    }
  });
}
