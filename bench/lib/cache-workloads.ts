// The cache benchmark's loads: the `redis-cli --pipe` input file (RESP SET commands for keys `k:<i>`), running
// redis-cli --pipe and redis-benchmark and reading their output, and the stall test's pipelined loader, which
// timestamps every burst of replies, with a PING probe on a second connection in a worker thread.

import { closeSync, openSync, writeSync } from "node:fs";
import * as net from "node:net";
import { monitorEventLoopDelay } from "node:perf_hooks";
import { Worker } from "node:worker_threads";
import { runCommand } from "./cache-servers.js";
import { seededRandom } from "./data.js";

// ---------------------------------------------------------------------------------------------------------------------
// Keys, values and SET commands

const POOL_BYTES = 1 << 20;
let pool: Buffer | undefined;

/** 1 MiB of seeded random alphanumerics; value i is a slice of it at an offset that depends on i. */
function valuePool(): Buffer {
  if (pool) return pool;
  const alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789";
  const rnd = seededRandom(0xcac4e);
  pool = Buffer.allocUnsafe(POOL_BYTES);
  for (let i = 0; i < POOL_BYTES; i++) pool[i] = alphabet.charCodeAt(Math.floor(rnd() * alphabet.length));
  return pool;
}

/** An upper bound on the bytes of one encoded SET of key `k:<i>` (i < 1e15) with a value of `valueBytes`. */
function maxSetBytes(valueBytes: number): number {
  return 64 + valueBytes;
}

const SET_HEAD = Buffer.from("*3\r\n$3\r\nSET\r\n$", "latin1");

/** Decimal digits of a non-negative integer below 1e15. */
function digitCount(x: number): number {
  let d = 1;
  while (x >= 10) {
    x = Math.floor(x / 10);
    d++;
  }
  return d;
}

/** Writes the digits of `x` ending just before `end`. */
function writeDigits(buf: Buffer, end: number, x: number): void {
  do {
    const q = Math.floor(x / 10);
    buf[--end] = 48 + (x - q * 10);
    x = q;
  } while (x > 0);
}

/**
 * Writes `*3 $3 SET $len k:<i> $len <value>` at `pos`; returns the position after it. Byte by byte, without building
 * strings, so the stall test's loader makes no garbage per command.
 */
function encodeSet(buf: Buffer, pos: number, i: number, valueBytes: number): number {
  const p = valuePool();
  const digits = digitCount(i);
  const keyLen = 2 + digits;
  pos += SET_HEAD.copy(buf, pos);
  const keyLenDigits = digitCount(keyLen);
  writeDigits(buf, pos + keyLenDigits, keyLen);
  pos += keyLenDigits;
  buf[pos++] = 13;
  buf[pos++] = 10;
  buf[pos++] = 107; // k
  buf[pos++] = 58; // :
  writeDigits(buf, pos + digits, i);
  pos += digits;
  buf[pos++] = 13;
  buf[pos++] = 10;
  buf[pos++] = 36; // $
  const valueLenDigits = digitCount(valueBytes);
  writeDigits(buf, pos + valueLenDigits, valueBytes);
  pos += valueLenDigits;
  buf[pos++] = 13;
  buf[pos++] = 10;
  const off = (i * 7919) % (POOL_BYTES - valueBytes);
  pos += p.copy(buf, pos, off, off + valueBytes);
  buf[pos++] = 13;
  buf[pos++] = 10;
  return pos;
}

/** Writes the `redis-cli --pipe` input: SET k:<i> <value> for i in 0..n-1. Returns the file's size. */
export function writePipeFile(file: string, n: number, valueBytes: number): number {
  const per = maxSetBytes(valueBytes);
  const chunk = Buffer.allocUnsafe(Math.max(per, 4 << 20));
  const fd = openSync(file, "w");
  let size = 0;
  try {
    let pos = 0;
    for (let i = 0; i < n; i++) {
      if (pos + per > chunk.length) {
        writeSync(fd, chunk, 0, pos);
        size += pos;
        pos = 0;
      }
      pos = encodeSet(chunk, pos, i, valueBytes);
    }
    writeSync(fd, chunk, 0, pos);
    size += pos;
  } finally {
    closeSync(fd);
  }
  return size;
}

// ---------------------------------------------------------------------------------------------------------------------
// Small collections: one command per key, all its elements at once

/** The collection loads of the memory part: what one key holds. */
export const COLLECTION_KINDS = ["hash", "set", "intset", "zset", "list"] as const;
export type CollectionKind = (typeof COLLECTION_KINDS)[number];

/** How a collection key of `kind` is written: HSET h:<i> f0 v0 .., SADD s:<i> .., SADD n:<i> <ints>, ZADD, RPUSH. */
export function collectionCommand(kind: CollectionKind, i: number, elements: number, valueBytes: number): string[] {
  const p = valuePool();
  const value = (j: number): string => {
    const off = ((i * elements + j) * 7919) % (POOL_BYTES - valueBytes);
    return p.toString("latin1", off, off + valueBytes);
  };
  const out: string[] = [];
  switch (kind) {
    case "hash":
      out.push("HSET", `h:${i}`);
      for (let j = 0; j < elements; j++) out.push(`f${j}`, value(j));
      break;
    case "set":
      out.push("SADD", `s:${i}`);
      for (let j = 0; j < elements; j++) out.push(value(j));
      break;
    case "intset":
      // Small integers (an intset in Redis 7.0), distinct per key.
      out.push("SADD", `n:${i}`);
      for (let j = 0; j < elements; j++) out.push(String(((i * 31 + j * 1009) % 30000) + j * 30000));
      break;
    case "zset":
      out.push("ZADD", `z:${i}`);
      for (let j = 0; j < elements; j++) out.push(String(j + 1), value(j));
      break;
    case "list":
      out.push("RPUSH", `l:${i}`);
      for (let j = 0; j < elements; j++) out.push(value(j));
      break;
  }
  return out;
}

/** A one-line description of the `kind` load, for the report. */
export function collectionDetail(kind: CollectionKind, elements: number, valueBytes: number): string {
  switch (kind) {
    case "hash":
      return `HSET h:<i> with ${elements} fields f0.. of ${valueBytes} B values`;
    case "set":
      return `SADD s:<i> with ${elements} members of ${valueBytes} B (not integers)`;
    case "intset":
      return `SADD n:<i> with ${elements} integer members below 300000`;
    case "zset":
      return `ZADD z:<i> with ${elements} members of ${valueBytes} B, integer scores 1..${elements}`;
    case "list":
      return `RPUSH l:<i> with ${elements} items of ${valueBytes} B`;
  }
}

/** Writes the `redis-cli --pipe` input of n collection keys of `kind`. Returns the file's size. */
export function writeCollectionPipeFile(
  file: string,
  kind: CollectionKind,
  n: number,
  elements: number,
  valueBytes: number,
): number {
  const fd = openSync(file, "w");
  let size = 0;
  try {
    const parts: string[] = [];
    let pending = 0;
    const flush = () => {
      const b = Buffer.from(parts.join(""), "latin1");
      writeSync(fd, b);
      size += b.length;
      parts.length = 0;
      pending = 0;
    };
    for (let i = 0; i < n; i++) {
      const args = collectionCommand(kind, i, elements, valueBytes);
      let s = `*${args.length}\r\n`;
      for (const a of args) s += `$${a.length}\r\n${a}\r\n`;
      parts.push(s);
      pending += s.length;
      if (pending >= 4 << 20) flush();
    }
    flush();
  } finally {
    closeSync(fd);
  }
  return size;
}

// ---------------------------------------------------------------------------------------------------------------------
// redis-cli --pipe

export interface PipeResult {
  seconds: number;
  replies: number;
  errors: number;
}

/** Streams `file` into the server with `redis-cli --pipe` and checks redis-cli's "errors: E, replies: R" line. */
export async function pipeLoad(
  redisCli: string,
  port: number,
  file: string,
  expectReplies: number,
  timeoutMs: number,
): Promise<PipeResult> {
  const t0 = performance.now();
  const r = await runCommand(redisCli, ["-h", "127.0.0.1", "-p", String(port), "--pipe"], {
    stdinFile: file,
    timeoutMs,
  });
  const seconds = (performance.now() - t0) / 1000;
  const m = /errors:\s*(\d+),\s*replies:\s*(\d+)/.exec(r.stdout);
  if (!m) throw new Error(`redis-cli --pipe exited ${r.code} without its summary line:\n${r.stdout}${r.stderr}`);
  const errors = Number(m[1]);
  const replies = Number(m[2]);
  if (errors > 0 || replies !== expectReplies) {
    const firstLines = r.stdout.split("\n").slice(0, 5).join("\n");
    throw new Error(
      `redis-cli --pipe: ${errors} errors, ${replies} replies (expected ${expectReplies}):\n${firstLines}`,
    );
  }
  return { seconds, replies, errors };
}

// ---------------------------------------------------------------------------------------------------------------------
// redis-benchmark

export interface BenchLine {
  test: string;
  rps: number;
  avgMs: number;
  p50Ms: number;
  p95Ms: number;
  p99Ms: number;
  maxMs: number;
}

export interface BenchOptions {
  n: number;
  randomKeys: number;
  valueBytes: number;
  clients: number;
  pipeline: number;
  tests: readonly string[];
  timeoutMs: number;
}

export function redisBenchmarkArgs(port: number, o: BenchOptions): string[] {
  return [
    "-h",
    "127.0.0.1",
    "-p",
    String(port),
    "-t",
    o.tests.join(","),
    "-n",
    String(o.n),
    "-r",
    String(o.randomKeys),
    "-d",
    String(o.valueBytes),
    "-c",
    String(o.clients),
    "-P",
    String(o.pipeline),
    "--csv",
  ];
}

function csvFields(line: string): string[] {
  const out: string[] = [];
  const re = /"((?:[^"]|"")*)"|([^,]+)|(?<=,)(?=,|$)|^(?=,)/g;
  for (const m of line.trim().matchAll(re)) out.push((m[1] ?? m[2] ?? "").replaceAll('""', '"'));
  return out;
}

/**
 * Parses redis-benchmark 7's `--csv` output: a header line
 * `"test","rps","avg_latency_ms","min_latency_ms","p50_latency_ms","p95_latency_ms","p99_latency_ms","max_latency_ms"`
 * and one line per test. (Redis 6 printed only `"test","rps"`; that is an error here, the p99 is needed.)
 */
export function parseBenchmarkCsv(text: string): Map<string, BenchLine> {
  const lines = text.split(/\r?\n/).filter((l) => l.trim().startsWith('"'));
  const headerAt = lines.findIndex((l) => csvFields(l)[0] === "test");
  if (headerAt < 0) throw new Error(`redis-benchmark printed no CSV header:\n${text.slice(0, 500)}`);
  const header = csvFields(lines[headerAt]);
  const col = (name: string) => {
    const i = header.indexOf(name);
    if (i < 0) throw new Error(`redis-benchmark CSV has no column "${name}" (columns: ${header.join(", ")})`);
    return i;
  };
  const c = {
    rps: col("rps"),
    avg: col("avg_latency_ms"),
    p50: col("p50_latency_ms"),
    p95: col("p95_latency_ms"),
    p99: col("p99_latency_ms"),
    max: col("max_latency_ms"),
  };
  const out = new Map<string, BenchLine>();
  for (const line of lines.slice(headerAt + 1)) {
    const f = csvFields(line);
    const num = (i: number) => Number(f[i]);
    const row: BenchLine = {
      test: f[0],
      rps: num(c.rps),
      avgMs: num(c.avg),
      p50Ms: num(c.p50),
      p95Ms: num(c.p95),
      p99Ms: num(c.p99),
      maxMs: num(c.max),
    };
    if (!Number.isFinite(row.rps) || !Number.isFinite(row.p99Ms)) {
      throw new Error(`redis-benchmark CSV line not understood: ${line}`);
    }
    out.set(row.test, row);
  }
  return out;
}

export async function redisBenchmark(exe: string, port: number, o: BenchOptions): Promise<Map<string, BenchLine>> {
  const r = await runCommand(exe, redisBenchmarkArgs(port, o), { timeoutMs: o.timeoutMs });
  if (r.code !== 0) throw new Error(`redis-benchmark exited ${r.code}:\n${r.stdout}${r.stderr}`);
  const rows = parseBenchmarkCsv(r.stdout);
  for (const t of o.tests) {
    if (!rows.has(t.toUpperCase())) throw new Error(`redis-benchmark printed no ${t.toUpperCase()} line:\n${r.stdout}`);
  }
  return rows;
}

/** How many distinct keys n uniform draws from `r` keys are expected to touch (redis-benchmark's -r). */
export function expectedDistinctKeys(n: number, r: number): number {
  return r * (1 - (1 - 1 / r) ** n);
}

// ---------------------------------------------------------------------------------------------------------------------
// The stall test: a pipelined SET load that timestamps reply bursts, and a PING probe on a second connection

export interface StallResult {
  seconds: number;
  replies: number;
  errors: number;
  firstError?: string;
  /** Replies before measuring starts: the client's and the server's code warms up, connections settle. */
  warmupReplies: number;
  /** The longest gap during the warm-up (reported, not counted). */
  warmupMaxGapMs: number;
  /** The longest time between two consecutive reply bursts on the loading connection, after the warm-up. */
  maxGapMs: number;
  /** Seconds into the load at which that gap ended. */
  maxGapAtS: number;
  /** Gaps longer than 10, 50 and 100 ms, after the warm-up. */
  gapsOver: [number, number, number];
  firstReplyMs: number;
  /** The probe's longest PING round trip after the warm-up, when it ended, the average, and the count. */
  probeMaxMs: number;
  probeMaxAtS: number;
  probeAvgMs: number;
  probeSamples: number;
  /** This process's own longest event-loop delay after the warm-up (a reply gap this long may be ours, not the server's). */
  clientLoopMaxMs: number;
}

export interface StallOptions {
  keys: number;
  valueBytes: number;
  /** SET commands per write. */
  batch: number;
  /** Commands sent but not yet answered, at most. */
  window: number;
  /** Replies before gaps, probe round trips and our own loop delay count. */
  warmupReplies: number;
  probeIntervalMs: number;
  timeoutMs: number;
  log: (line: string) => void;
  label: string;
}

/** A high-resolution wall-clock time in ms that means the same in every thread (performance.now() does not). */
const absNow = (): number => performance.timeOrigin + performance.now();

// Plain JS run with `eval: true`, so the worker needs no TypeScript loader. It sends a PING, waits for +PONG, records
// when the PING was sent and its round trip, sleeps `intervalMs`, and repeats until told to stop.
const PROBE_SOURCE = `
const { parentPort, workerData } = require("node:worker_threads");
const net = require("node:net");
const absNow = () => performance.timeOrigin + performance.now();
const sock = net.connect({ host: "127.0.0.1", port: workerData.port });
sock.setNoDelay(true);
const sent = [], rtts = [];
let t0 = 0, stopping = false, pending = "", done = false;
const finish = () => {
  if (done) return;
  done = true;
  sock.destroy();
  parentPort.postMessage({ type: "done", sent, rtts });
};
const ping = () => {
  if (stopping) return finish();
  t0 = absNow();
  sock.write("*1\\r\\n$4\\r\\nPING\\r\\n");
};
sock.on("connect", ping);
sock.on("error", (e) => parentPort.postMessage({ type: "error", message: String(e && e.message) }));
sock.on("data", (d) => {
  pending += d.toString("latin1");
  if (!pending.endsWith("\\r\\n")) return;
  const rtt = absNow() - t0;
  if (pending !== "+PONG\\r\\n") parentPort.postMessage({ type: "error", message: "probe got " + JSON.stringify(pending) });
  pending = "";
  if (sent.length === 0) parentPort.postMessage({ type: "ready" });
  sent.push(t0);
  rtts.push(rtt);
  setTimeout(ping, workerData.intervalMs);
});
parentPort.on("message", (m) => {
  if (m === "stop") stopping = true;
});
`;

interface ProbeSamples {
  /** Absolute send times (absNow) and round trips, in ms. */
  sent: number[];
  rtts: number[];
}

interface ProbeHandle {
  stop(): Promise<ProbeSamples>;
}

function startProbe(port: number, intervalMs: number): Promise<ProbeHandle> {
  return new Promise((resolve, reject) => {
    const worker = new Worker(PROBE_SOURCE, { eval: true, workerData: { port, intervalMs } });
    let result: ProbeSamples | undefined;
    let error: string | undefined;
    let onDone: (() => void) | undefined;
    worker.on("message", (m: { type: string; sent: number[]; rtts: number[]; message?: string }) => {
      if (m.type === "ready") {
        resolve({
          stop: async () => {
            worker.postMessage("stop");
            await new Promise<void>((r) => {
              onDone = r;
              setTimeout(r, 10_000).unref();
              if (result) r();
            });
            await worker.terminate();
            if (error) throw new Error(`PING probe: ${error}`);
            if (!result) throw new Error("PING probe did not stop");
            return result;
          },
        });
      } else if (m.type === "done") {
        result = { sent: m.sent, rtts: m.rtts };
        onDone?.();
      } else if (m.type === "error") {
        error ??= m.message;
        reject(new Error(`PING probe: ${m.message}`));
      }
    });
    worker.on("error", (e) => reject(e));
  });
}

/** Runs the encoder on a scratch buffer so that the timed load does not start with cold code. */
function warmEncoder(valueBytes: number): void {
  const per = 64 + valueBytes;
  const buf = Buffer.allocUnsafe(1000 * per);
  for (let round = 0; round < 50; round++) {
    let pos = 0;
    for (let j = 0; j < 1000; j++) pos = encodeSet(buf, pos, round * 1000 + j, valueBytes);
  }
}

type LoadResult = Omit<StallResult, "probeMaxMs" | "probeMaxAtS" | "probeAvgMs" | "probeSamples" | "clientLoopMaxMs">;

/**
 * Loads `keys` SETs through one pipelined connection as fast as the server answers, timing the reply bursts, while a
 * worker thread PINGs on a second connection. The client keeps at most `window` commands unanswered and writes at most
 * a few batches per turn, so its own event loop stays responsive; its longest loop delay is reported beside the gaps.
 */
export async function stallLoad(port: number, o: StallOptions): Promise<StallResult> {
  warmEncoder(o.valueBytes);
  const probe = await startProbe(port, o.probeIntervalMs);
  const loop = monitorEventLoopDelay({ resolution: 5 });
  let measureFrom = Number.POSITIVE_INFINITY;
  try {
    const socket = await new Promise<net.Socket>((resolve, reject) => {
      const s = net.connect({ host: "127.0.0.1", port });
      s.once("error", reject);
      s.once("connect", () => resolve(s));
    });
    socket.setNoDelay(true);
    loop.enable();
    const t0abs = absNow();
    const load = await new Promise<LoadResult>((resolve, reject) => {
      const per = 64 + o.valueBytes;
      const maxBatchesPerTurn = 4;
      let sent = 0;
      let replies = 0;
      let errors = 0;
      let firstError: string | undefined;
      let atLineStart = true;
      let waitingDrain = false;
      let pumpScheduled = false;
      let lastT = 0;
      let maxGap = 0;
      let maxGapAt = 0;
      let warmupMaxGap = 0;
      let firstReply = Number.NaN;
      const over: [number, number, number] = [0, 0, 0];
      let finished = false;
      const t0 = performance.now();
      let nextLog = t0 + 5000;

      const finish = (err?: Error) => {
        if (finished) return;
        finished = true;
        clearTimeout(timer);
        socket.destroy();
        if (err) reject(err);
        else {
          resolve({
            seconds: (performance.now() - t0) / 1000,
            replies,
            errors,
            firstError,
            warmupReplies: o.warmupReplies,
            warmupMaxGapMs: warmupMaxGap,
            maxGapMs: maxGap,
            maxGapAtS: maxGapAt,
            gapsOver: over,
            firstReplyMs: firstReply,
          });
        }
      };
      const timer = setTimeout(
        () => finish(new Error(`load did not finish within ${o.timeoutMs / 1000} s (${replies} replies)`)),
        o.timeoutMs,
      );

      // A ring of batch buffers, reused: when batch b is written, every command of batch b - ring.length has been
      // answered (at most `window` are unanswered), so the socket no longer holds that buffer.
      const ring = Array.from({ length: Math.ceil(o.window / o.batch) + 2 }, () => Buffer.allocUnsafe(o.batch * per));
      let batchNo = 0;
      const pump = () => {
        pumpScheduled = false;
        let batches = 0;
        while (!finished && !waitingDrain && sent < o.keys && sent - replies < o.window) {
          if (batches++ === maxBatchesPerTurn) {
            pumpScheduled = true;
            setImmediate(pump);
            return;
          }
          const k = Math.min(o.batch, o.keys - sent);
          const buf = ring[batchNo++ % ring.length];
          let pos = 0;
          for (let j = 0; j < k; j++) pos = encodeSet(buf, pos, sent + j, o.valueBytes);
          sent += k;
          if (!socket.write(buf.subarray(0, pos))) waitingDrain = true;
        }
      };
      socket.on("drain", () => {
        waitingDrain = false;
        if (!pumpScheduled) pump();
      });
      socket.on("data", (chunk: Buffer) => {
        const t = performance.now();
        if (Number.isNaN(firstReply)) firstReply = t - t0;
        else {
          const gap = t - lastT;
          if (replies < o.warmupReplies) warmupMaxGap = Math.max(warmupMaxGap, gap);
          else {
            if (gap > maxGap) {
              maxGap = gap;
              maxGapAt = (t - t0) / 1000;
            }
            if (gap > 10) over[0]++;
            if (gap > 50) over[1]++;
            if (gap > 100) over[2]++;
          }
        }
        lastT = t;
        // Every reply to SET is one line: +OK or an error.
        const before = replies;
        let pos = 0;
        while (pos < chunk.length) {
          const nl = chunk.indexOf(10, pos);
          if (atLineStart && chunk[pos] === 45 /* - */) {
            errors++;
            firstError ??= chunk.toString("latin1", pos, nl < 0 ? chunk.length : nl).trimEnd();
          }
          if (nl < 0) {
            atLineStart = false;
            break;
          }
          replies++;
          atLineStart = true;
          pos = nl + 1;
        }
        if (before < o.warmupReplies && replies >= o.warmupReplies) {
          // Measuring starts here: our own loop delay and the probe's round trips count from now on.
          loop.reset();
          measureFrom = absNow();
        }
        if (t >= nextLog) {
          nextLog = t + 5000;
          const s = (t - t0) / 1000;
          o.log(
            `${o.label}: ${replies.toLocaleString("en-US")} / ${o.keys.toLocaleString("en-US")} replies after ` +
              `${s.toFixed(0)} s (${Math.round(replies / s).toLocaleString("en-US")}/s), longest gap so far ` +
              `${maxGap.toFixed(1)} ms`,
          );
        }
        if (replies >= o.keys) finish();
        else if (!pumpScheduled) pump();
      });
      socket.on("error", (e) => finish(e));
      socket.on("close", () => finish(new Error(`connection closed after ${replies} of ${o.keys} replies`)));
      pump();
    });
    loop.disable();
    const p = await probe.stop();
    let probeMax = 0;
    let probeMaxAt = 0;
    let sum = 0;
    let count = 0;
    for (let i = 0; i < p.sent.length; i++) {
      if (p.sent[i] < measureFrom) continue;
      count++;
      sum += p.rtts[i];
      if (p.rtts[i] > probeMax) {
        probeMax = p.rtts[i];
        probeMaxAt = (p.sent[i] + p.rtts[i] - t0abs) / 1000;
      }
    }
    return {
      ...load,
      probeMaxMs: probeMax,
      probeMaxAtS: probeMaxAt,
      probeAvgMs: count > 0 ? sum / count : Number.NaN,
      probeSamples: count,
      clientLoopMaxMs: loop.max / 1e6,
    };
  } catch (e) {
    loop.disable();
    await probe.stop().catch(() => undefined);
    throw e;
  }
}
