// Cache benchmark: Shale's Redis-compatible server side by side with redis-server, in the same run.
//   node --import tsx bench/cache.ts [--quick] [--json] [--only memory,throughput,stall] [--keys 300k,1M]
//     [--collections hash,set,intset,zset,list|none] [--coll-keys 100k] [...]
// Three parts, each against fresh server processes started (and stopped, by PID) here, on 127.0.0.1 only, with
// persistence off on both sides:
//   memory      bytes per key (INFO used_memory delta and process RSS delta) after `redis-cli --pipe` loads N keys;
//               then the same for small collections (100k hashes, sets, integer sets, sorted sets and lists of 10
//               elements each, one HSET/SADD/ZADD/RPUSH per key)
//   throughput  redis-benchmark SET and GET at -P 1 and -P 16, repetitions alternating the servers
//   stall       the longest pause in replies while a pipelined load of 10M keys runs with eviction on
// Then the issue's targets as ratios of this run. Progress goes to stderr; the tables (or, with --json, the records
// of bench/lib/runner.ts) go to stdout. Until Shale's server exists, `--shale-cmd` can point it at redis-server.
// --profile starts every Shale server with `node --cpu-prof --cpu-prof-dir DIR`: profiles per server process,
// written when the server exits (the suite stops it with SIGTERM, which `shale serve cache` handles by closing).

import { mkdirSync, mkdtempSync, readdirSync, rmSync } from "node:fs";
import * as os from "node:os";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { parseArgs } from "node:util";
import { pickList, positiveInt } from "./lib/args.js";
import { infoNumber } from "./lib/cache-client.js";
import {
  type CacheSystemName,
  killAllSync,
  type RunningServer,
  type ServerSpec,
  startServer,
  stopAll,
} from "./lib/cache-servers.js";
import {
  type BenchLine,
  COLLECTION_KINDS,
  type CollectionKind,
  collectionDetail,
  expectedDistinctKeys,
  pipeLoad,
  redisBenchmark,
  redisBenchmarkArgs,
  type StallResult,
  stallLoad,
  writeCollectionPipeFile,
  writePipeFile,
} from "./lib/cache-workloads.js";
import * as runner from "./lib/runner.js";

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), "..");
const shellQuote = (s: string) => (/^[\w@%+=:,./-]+$/.test(s) ? s : `'${s.replaceAll("'", `'\\''`)}'`);

const DEFAULT_SHALE_CMD = `${shellQuote(process.execPath)} --import tsx src/cli/main.ts serve cache --port {port} --bind 127.0.0.1 --appendonly no`;
/** The default Shale command with the CPU profiler on; `{profile}` becomes the profile directory. */
const PROFILED_SHALE_CMD = DEFAULT_SHALE_CMD.replace(
  " --import tsx",
  " --cpu-prof --cpu-prof-dir {profile} --import tsx",
);
const DEFAULT_REDIS_CMD = "redis-server --port {port} --bind 127.0.0.1 --save '' --appendonly no --dir {dir}";
const MODE = "persistence off";

const PHASES = ["memory", "throughput", "stall"] as const;
type Phase = (typeof PHASES)[number];
const SYSTEMS = ["shale", "redis"] as const satisfies readonly CacheSystemName[];

const FULL = {
  keys: [300_000, 1_000_000],
  reps: 5,
  n: 1_000_000,
  stallKeys: 10_000_000,
  stallMaxmemory: "512mb",
  stallReps: 3,
};
const QUICK = { keys: [300_000], reps: 2, n: 200_000, stallKeys: 1_000_000, stallMaxmemory: "64mb", stallReps: 3 };
const VALUE_SIZES = [32, 128];
// The collection rows of the memory part: keys per kind, elements per key, bytes per element.
const COLLECTIONS = { keys: 100_000, elements: 10, elementBytes: 10 };
const BENCH = { randomKeys: 300_000, valueBytes: 128, clients: 50, pipelines: [1, 16], tests: ["set", "get"] };
const STALL = { valueBytes: 128, policy: "allkeys-lru", batch: 1000, window: 20_000, probeIntervalMs: 10 };

// The issue's targets: Shale / Redis in one run.
const TARGETS = { usedMemory: 0.8, rss: 1.0, opsP1: 1.0, opsP16: 0.6 };

const log = (line: string): void => {
  process.stderr.write(`${line}\n`);
};

function usage(message: string): never {
  log(`cache bench: ${message}`);
  log(
    "usage: node --import tsx bench/cache.ts [--quick] [--json] [--only memory,throughput,stall] [--keys 300k,1M]\n" +
      "         [--values 32,128] [--reps R] [--n N] [--stall-keys N] [--stall-maxmemory 512mb] [--stall-reps R]\n" +
      `         [--collections ${COLLECTION_KINDS.join(",")}|none] [--coll-keys N] (the memory part's collection rows)\n` +
      '         [--systems shale,redis] [--shale-cmd "CMD"] [--redis-cmd "CMD"] [--redis-cli PATH] [--redis-benchmark PATH]\n' +
      "         [--profile [--profile-dir DIR]]   CPU profiles of the Shale servers (default DIR: under the OS temp dir)\n" +
      `  defaults: --keys 300k,1M --reps ${FULL.reps} --n 1M --stall-keys 10M --stall-maxmemory ${FULL.stallMaxmemory} --stall-reps ${FULL.stallReps}; ` +
      `--quick: --keys 300k --reps ${QUICK.reps} --n 200k --stall-keys 1M --stall-maxmemory ${QUICK.stallMaxmemory} --stall-reps ${QUICK.stallReps}\n` +
      "  a server command is run by /bin/sh as `exec CMD`, with {port} (and {dir}, a fresh directory) substituted;\n" +
      "  with --profile, {profile} is the profile directory: a --shale-cmd of your own profiles with\n" +
      "  `node --cpu-prof --cpu-prof-dir {profile} ...`\n" +
      "  `--maxmemory B --maxmemory-policy P` are appended for the stall part\n" +
      `  --shale-cmd default: ${DEFAULT_SHALE_CMD}\n` +
      `  --redis-cmd default: ${DEFAULT_REDIS_CMD}`,
  );
  process.exit(2);
}

function parseOptions() {
  try {
    return parseArgs({
      options: {
        quick: { type: "boolean", default: false },
        json: { type: "boolean", default: false },
        only: { type: "string" },
        keys: { type: "string" },
        values: { type: "string" },
        collections: { type: "string" },
        "coll-keys": { type: "string" },
        reps: { type: "string" },
        n: { type: "string" },
        "stall-keys": { type: "string" },
        "stall-maxmemory": { type: "string" },
        "stall-reps": { type: "string" },
        systems: { type: "string" },
        "shale-cmd": { type: "string" },
        profile: { type: "boolean", default: false },
        "profile-dir": { type: "string" },
        "redis-cmd": { type: "string" },
        "redis-cli": { type: "string", default: "redis-cli" },
        "redis-benchmark": { type: "string", default: "redis-benchmark" },
        help: { type: "boolean", default: false },
      },
      strict: true,
    }).values;
  } catch (e) {
    return usage(e instanceof Error ? e.message : String(e));
  }
}

/** Redis's memory units: 1k = 1000, 1kb = 1024, likewise m/mb and g/gb; a bare number is bytes. */
function parseMemory(raw: string): number {
  const m = /^(\d+)\s*(b|k|kb|m|mb|g|gb)?$/i.exec(raw.trim());
  if (!m) usage(`--stall-maxmemory wants bytes or e.g. 512mb, got "${raw}"`);
  const unit = (m[2] ?? "b").toLowerCase();
  const mult = { b: 1, k: 1e3, kb: 1024, m: 1e6, mb: 1024 ** 2, g: 1e9, gb: 1024 ** 3 }[unit] ?? 1;
  const v = Number(m[1]) * mult;
  if (!Number.isSafeInteger(v) || v <= 0) usage(`--stall-maxmemory must be positive, got "${raw}"`);
  return v;
}

const numList = (raw: string, what: string) =>
  raw
    .split(",")
    .filter((s) => s.trim().length > 0)
    .map((s) => positiveInt(s, what, usage));

const args = parseOptions();
if (args.help) usage("help");
const quick = args.quick === true;
const preset = quick ? QUICK : FULL;
const phases = pickList<Phase>(args.only, PHASES, "part (memory, throughput, stall)", usage);
const systemNames = pickList<CacheSystemName>(args.systems, SYSTEMS, "system", usage);
const memKeys = args.keys === undefined ? preset.keys : numList(args.keys, "--keys");
const valueSizes = args.values === undefined ? VALUE_SIZES : numList(args.values, "--values");
const collectionKinds: CollectionKind[] =
  args.collections === "none"
    ? []
    : pickList<CollectionKind>(args.collections, COLLECTION_KINDS, "collection kind", usage);
const collKeys =
  args["coll-keys"] === undefined ? COLLECTIONS.keys : positiveInt(args["coll-keys"], "--coll-keys", usage);
const reps = args.reps === undefined ? preset.reps : positiveInt(args.reps, "--reps", usage);
const benchN = args.n === undefined ? preset.n : positiveInt(args.n, "--n", usage);
const stallKeys =
  args["stall-keys"] === undefined ? preset.stallKeys : positiveInt(args["stall-keys"], "--stall-keys", usage);
const stallReps =
  args["stall-reps"] === undefined ? preset.stallReps : positiveInt(args["stall-reps"], "--stall-reps", usage);
const stallMaxmemoryText = args["stall-maxmemory"] ?? preset.stallMaxmemory;
const stallMaxmemory = parseMemory(stallMaxmemoryText);
if (memKeys.length === 0 || valueSizes.length === 0 || phases.length === 0 || systemNames.length === 0) {
  usage("an option names an empty list");
}
const redisCli = args["redis-cli"] ?? "redis-cli";
const redisBench = args["redis-benchmark"] ?? "redis-benchmark";
if (args["profile-dir"] !== undefined && !args.profile) usage("--profile-dir needs --profile");
const profileDir = args.profile ? runner.profileDir("cache", args["profile-dir"]) : undefined;
if (profileDir !== undefined) mkdirSync(profileDir, { recursive: true });
const shaleTemplate = (
  args["shale-cmd"] ?? (profileDir !== undefined ? PROFILED_SHALE_CMD : DEFAULT_SHALE_CMD)
).replaceAll("{profile}", profileDir === undefined ? "" : shellQuote(profileDir));
if (profileDir !== undefined && args["shale-cmd"] !== undefined && !args["shale-cmd"].includes("{profile}")) {
  log("cache bench: WARNING --profile with a --shale-cmd that has no {profile}: that command decides what is profiled");
}
const specs: ServerSpec[] = systemNames.map((name) => ({
  name,
  template: name === "shale" ? shaleTemplate : (args["redis-cmd"] ?? DEFAULT_REDIS_CMD),
  cwd: ROOT,
}));

// ---------------------------------------------------------------------------------------------------------------------
// Temporary files and processes: everything started here is stopped by PID on the way out, however that happens.

const tmpRoot = mkdtempSync(join(os.tmpdir(), "shale-bench-cache-"));
const removeTmp = () => rmSync(tmpRoot, { recursive: true, force: true });
process.on("exit", () => {
  killAllSync();
  removeTmp();
});
let interrupted = false;
for (const sig of ["SIGINT", "SIGTERM"] as const) {
  process.on(sig, () => {
    if (interrupted) return;
    interrupted = true;
    log(`cache bench: ${sig}: stopping the processes started here`);
    void stopAll(2_000).finally(() => {
      removeTmp();
      process.exit(130);
    });
  });
}

// ---------------------------------------------------------------------------------------------------------------------
// Rows

const fmtCount = (n: number): string =>
  n % 1_000_000 === 0 ? `${n / 1_000_000}M` : n % 1_000 === 0 ? `${n / 1_000}k` : n.toLocaleString("en-US");
const fmtNum = (x: number, digits = 1): string =>
  !Number.isFinite(x)
    ? "-"
    : x.toLocaleString("en-US", { minimumFractionDigits: digits, maximumFractionDigits: digits });
const fmtMs = (x: number): string => (!Number.isFinite(x) ? "-" : x < 10 ? x.toFixed(2) : x.toFixed(1));
const errorText = (e: unknown): string => (e instanceof Error ? e.message : String(e));

const rows: runner.ResultRow[] = [];
const modes = new Map<CacheSystemName, string>();
const serverLines = new Map<CacheSystemName, string>();
const notes: string[] = [];

function row(workload: string, system: CacheSystemName, unit: string, n: number, detail: string): runner.ResultRow {
  let r = rows.find((x) => x.workload === workload && x.system === system && x.n === n);
  if (!r) {
    r = {
      workload,
      system,
      mode: modes.get(system) ?? MODE,
      detail,
      status: "ok",
      unit,
      n,
      samples: [],
      median: Number.NaN,
      min: Number.NaN,
      max: Number.NaN,
    };
    rows.push(r);
  }
  return r;
}

function fail(rs: runner.ResultRow[], e: unknown): void {
  for (const r of rs) {
    if (r.status !== "ok") continue;
    r.status = "failed";
    r.note = errorText(e).split("\n")[0];
  }
}

function noteServer(s: RunningServer): void {
  const mode = s.persistenceWarnings.length === 0 ? MODE : `${MODE}? (${s.persistenceWarnings.join("; ")})`;
  if (!modes.has(s.name)) {
    modes.set(s.name, mode);
    serverLines.set(s.name, `${s.name}: version ${s.version}, RSS from ${s.rssSource}: ${s.commandLine}`);
    if (s.persistenceWarnings.length > 0) log(`cache bench: WARNING ${s.name}: ${s.persistenceWarnings.join("; ")}`);
    for (const p of s.startProblems) log(`cache bench: WARNING ${s.name}: ${p}`);
  }
}

async function start(spec: ServerSpec, extra: { maxmemory?: number; policy?: string } = {}): Promise<RunningServer> {
  const s = await startServer(spec, { tmpRoot, ...extra });
  noteServer(s);
  return s;
}

// ---------------------------------------------------------------------------------------------------------------------
// Part 1: bytes per key

// After a load, memory must stay still this long. Redis moves the rest of an incremental rehash in its cron, 1 ms
// every 100 ms (about 25k buckets per cron here), and frees the old table only at the end: 300k keys leave up to
// 262k buckets and took 0.9 s, other key counts up to twice that. Changes before the window are in the log line.
const SETTLE_WINDOW_MS = 3000;

const memWorkload = (measure: "used_memory" | "rss", valueBytes: number) => `memory ${measure} ${valueBytes}B`;
const collWorkload = (measure: "used_memory" | "rss", kind: CollectionKind) =>
  `memory ${measure} ${kind} ${COLLECTIONS.elements}x${COLLECTIONS.elementBytes}B`;

/** Loads a fresh server of each system with `file` (n commands) and records used_memory and RSS per key. */
async function measureLoad(
  file: string,
  n: number,
  title: string,
  detail: string,
  workload: (m: "used_memory" | "rss") => string,
): Promise<void> {
  for (const spec of specs) {
    const label = `[memory ${title}] ${spec.name}`;
    const used = row(workload("used_memory"), spec.name, "B/key", n, `INFO used_memory: ${detail}`);
    const rss = row(workload("rss"), spec.name, "B/key", n, `process RSS: ${detail}`);
    if (used.status !== "ok") continue;
    let server: RunningServer | undefined;
    try {
      server = await start(spec);
      const base = await server.settle({ maxMs: 10_000 });
      const before = await server.client.dbsize();
      if (before !== 0) throw new Error(`a fresh server holds ${before} keys`);
      log(
        `${label}: started on port ${server.port}; baseline used_memory ${fmtNum(base.usedMemory / 2 ** 20, 2)} MiB, ` +
          `RSS ${fmtNum(base.rss / 2 ** 20, 2)} MiB; loading ${n.toLocaleString("en-US")} keys`,
      );
      const load = await pipeLoad(redisCli, server.port, file, n, Math.max(120_000, (n / 10_000) * 1000));
      const dbsize = await server.client.dbsize();
      if (dbsize !== n) throw new Error(`DBSIZE is ${dbsize} after loading ${n} keys`);
      const after = await server.settle({ windowMs: SETTLE_WINDOW_MS, maxMs: 60_000 });
      if (!after.settled) {
        notes.push(`${label}: memory still moving after ${fmtNum(after.waitedMs / 1000)} s; took the last sample`);
      }
      const usedPerKey = (after.usedMemory - base.usedMemory) / n;
      const rssPerKey = (after.rss - base.rss) / n;
      used.samples.push(usedPerKey);
      rss.samples.push(rssPerKey);
      log(
        `${label}: loaded in ${load.seconds.toFixed(1)} s (${runner.formatRate(n / load.seconds)} keys/s), ` +
          `settled ${after.settled ? "" : "(NOT) "}after ${fmtNum(after.waitedMs / 1000)} s ` +
          `(used_memory last moved at ${fmtNum(after.lastMoveMs / 1000)} s): ` +
          `used_memory ${fmtNum(usedPerKey)} B/key, RSS ${fmtNum(rssPerKey)} B/key`,
      );
    } catch (e) {
      fail([used, rss], e);
      log(`${label}: FAILED: ${errorText(e)}`);
    } finally {
      await server?.stop();
    }
  }
}

async function memoryPart(): Promise<void> {
  for (const n of memKeys) {
    for (const d of valueSizes) {
      const file = join(tmpRoot, `set-${n}-${d}.resp`);
      const tGen = performance.now();
      const size = writePipeFile(file, n, d);
      log(
        `[memory ${fmtCount(n)} x ${d} B] wrote the --pipe input (${fmtNum(size / 2 ** 20)} MiB) in ` +
          `${((performance.now() - tGen) / 1000).toFixed(1)} s`,
      );
      const detail = `redis-cli --pipe SET k:<i> with ${d} B values into a fresh server; delta / keys after settling`;
      await measureLoad(file, n, `${fmtCount(n)} x ${d} B`, detail, (m) => memWorkload(m, d));
      rmSync(file, { force: true });
    }
  }
  const { elements, elementBytes } = COLLECTIONS;
  for (const kind of collectionKinds) {
    const file = join(tmpRoot, `${kind}-${collKeys}.resp`);
    const tGen = performance.now();
    const size = writeCollectionPipeFile(file, kind, collKeys, elements, elementBytes);
    const title = `${fmtCount(collKeys)} ${kind}`;
    log(
      `[memory ${title}] wrote the --pipe input (${fmtNum(size / 2 ** 20)} MiB) in ` +
        `${((performance.now() - tGen) / 1000).toFixed(1)} s`,
    );
    const detail = `redis-cli --pipe ${collectionDetail(kind, elements, elementBytes)} into a fresh server; delta / keys after settling`;
    await measureLoad(file, collKeys, title, detail, (m) => collWorkload(m, kind));
    rmSync(file, { force: true });
  }
}

// ---------------------------------------------------------------------------------------------------------------------
// Part 2: redis-benchmark

const benchWorkload = (test: string, p: number, what: "ops" | "p99") =>
  `${test.toUpperCase()} -P ${p}${what === "p99" ? " p99" : ""}`;

async function throughputPart(): Promise<void> {
  const servers = new Map<CacheSystemName, RunningServer>();
  try {
    for (const spec of specs) {
      try {
        const s = await start(spec);
        servers.set(spec.name, s);
        log(`[throughput] ${spec.name} started on port ${s.port}`);
      } catch (e) {
        log(`[throughput] ${spec.name}: FAILED to start: ${errorText(e)}`);
        for (const p of BENCH.pipelines) {
          for (const t of BENCH.tests) {
            const cmd = `redis-benchmark ${redisBenchmarkArgs(0, benchOpts(p)).slice(4).join(" ")}`;
            fail([row(benchWorkload(t, p, "ops"), spec.name, "ops/s", benchN, cmd)], e);
            fail([row(benchWorkload(t, p, "p99"), spec.name, "ms", benchN, cmd)], e);
          }
        }
      }
    }
    // One short run per server first, discarded, so that no measured run starts cold (a JIT-compiled server would).
    for (const [name, server] of servers) {
      try {
        const warm = { ...benchOpts(16), n: Math.min(benchN, 100_000) };
        const lines = await redisBenchmark(redisBench, server.port, warm);
        const summary = [...lines.values()].map((b) => `${b.test} ${runner.formatRate(b.rps)} ops/s`).join(", ");
        log(`[throughput] warm-up ${name} (-P 16 -n ${warm.n}, discarded): ${summary}`);
      } catch (e) {
        log(`[throughput] warm-up ${name}: ${errorText(e)}`);
      }
    }
    const expected = expectedDistinctKeys(benchN, BENCH.randomKeys);
    for (const p of BENCH.pipelines) {
      for (let rep = 0; rep < reps; rep++) {
        for (const spec of specs) {
          const server = servers.get(spec.name);
          if (!server) continue;
          const cmd = `redis-benchmark ${redisBenchmarkArgs(server.port, benchOpts(p)).slice(4).join(" ")}`;
          const rs = BENCH.tests.flatMap((t) => [
            row(benchWorkload(t, p, "ops"), spec.name, "ops/s", benchN, cmd),
            row(benchWorkload(t, p, "p99"), spec.name, "ms", benchN, `p99 latency ms of ${cmd}`),
          ]);
          if (rs.some((r) => r.status !== "ok")) continue;
          const label = `[throughput -P ${p}] rep ${rep + 1}/${reps} ${spec.name}`;
          try {
            await server.client.ok(["FLUSHALL"], 60_000);
            const empty = await server.client.dbsize();
            if (empty !== 0) throw new Error(`DBSIZE is ${empty} after FLUSHALL`);
            const lines = await redisBenchmark(redisBench, server.port, benchOpts(p));
            const keys = await server.client.dbsize();
            if (Math.abs(keys - expected) > expected * 0.03) {
              throw new Error(`DBSIZE after the run is ${keys}, expected about ${Math.round(expected)}`);
            }
            const parts: string[] = [];
            for (const t of BENCH.tests) {
              const b = lines.get(t.toUpperCase()) as BenchLine;
              row(benchWorkload(t, p, "ops"), spec.name, "ops/s", benchN, cmd).samples.push(b.rps);
              row(benchWorkload(t, p, "p99"), spec.name, "ms", benchN, cmd).samples.push(b.p99Ms);
              parts.push(`${b.test} ${runner.formatRate(b.rps)} ops/s p50 ${fmtMs(b.p50Ms)} p99 ${fmtMs(b.p99Ms)} ms`);
            }
            log(`${label}: ${parts.join("; ")}; ${keys.toLocaleString("en-US")} keys`);
          } catch (e) {
            fail(rs, e);
            log(`${label}: FAILED: ${errorText(e)}`);
          }
        }
      }
    }
  } finally {
    for (const s of servers.values()) await s.stop();
  }
}

function benchOpts(pipeline: number) {
  return {
    n: benchN,
    randomKeys: BENCH.randomKeys,
    valueBytes: BENCH.valueBytes,
    clients: BENCH.clients,
    pipeline,
    tests: BENCH.tests,
    timeoutMs: Math.max(120_000, ((2 * benchN) / 5_000) * 1000),
  };
}

// ---------------------------------------------------------------------------------------------------------------------
// Part 3: the longest stall during a load with eviction

const STALL_GAP = "stall reply gap";
const STALL_PROBE = "stall ping probe";
interface StallRun extends StallResult {
  system: CacheSystemName;
  rep: number;
  evicted: number;
  dbsize: number;
  usedMemory: number;
}
const stallRuns: StallRun[] = [];
const stallWarmup = Math.min(100_000, Math.ceil(stallKeys * 0.05));

async function stallPart(): Promise<void> {
  const setup =
    `${fmtCount(stallKeys)} pipelined SETs (${STALL.valueBytes} B values, ${STALL.batch} per write, at most ` +
    `${STALL.window.toLocaleString("en-US")} unanswered, the first ${stallWarmup.toLocaleString("en-US")} replies not ` +
    `counted), maxmemory ${stallMaxmemoryText} ${STALL.policy}, a fresh server per run`;
  for (let rep = 0; rep < stallReps; rep++) {
    for (const spec of specs) {
      const label = `[stall] rep ${rep + 1}/${stallReps} ${spec.name}`;
      const gap = row(STALL_GAP, spec.name, "ms", stallKeys, `longest time between reply bursts: ${setup}`);
      const probe = row(
        STALL_PROBE,
        spec.name,
        "ms",
        stallKeys,
        `longest PING round trip on a second connection (one every ${STALL.probeIntervalMs} ms) during: ${setup}`,
      );
      if (gap.status !== "ok") continue;
      let server: RunningServer | undefined;
      try {
        server = await start(spec, { maxmemory: stallMaxmemory, policy: STALL.policy });
        log(`${label}: started on port ${server.port} with maxmemory ${stallMaxmemory} ${STALL.policy}; loading`);
        const r = await stallLoad(server.port, {
          keys: stallKeys,
          valueBytes: STALL.valueBytes,
          batch: STALL.batch,
          window: STALL.window,
          warmupReplies: stallWarmup,
          probeIntervalMs: STALL.probeIntervalMs,
          timeoutMs: Math.max(180_000, (stallKeys / 10_000) * 1000),
          log,
          label,
        });
        if (r.errors > 0) throw new Error(`${r.errors} SETs failed, the first: ${r.firstError}`);
        const stats = await server.client.info("stats");
        const evicted = infoNumber(stats, "evicted_keys");
        const dbsize = await server.client.dbsize();
        const usedMemory = (await server.memory()).usedMemory;
        if (evicted === 0) notes.push(`${label}: no key was evicted; raise --stall-keys or lower --stall-maxmemory`);
        stallRuns.push({ ...r, system: spec.name, rep, evicted, dbsize, usedMemory });
        gap.samples.push(r.maxGapMs);
        probe.samples.push(r.probeMaxMs);
        log(
          `${label}: ${r.replies.toLocaleString("en-US")} SETs in ${r.seconds.toFixed(1)} s ` +
            `(${runner.formatRate(r.replies / r.seconds)}/s); longest reply gap ${fmtMs(r.maxGapMs)} ms at ` +
            `${r.maxGapAtS.toFixed(2)} s (warm-up ${fmtMs(r.warmupMaxGapMs)} ms); probe max ${fmtMs(r.probeMaxMs)} ms at ` +
            `${r.probeMaxAtS.toFixed(2)} s over ${r.probeSamples} PINGs; evicted ${evicted.toLocaleString("en-US")}, ` +
            `${dbsize.toLocaleString("en-US")} keys left, used_memory ${fmtNum(usedMemory / 2 ** 20)} MiB; ` +
            `this process's own longest loop delay ${fmtMs(r.clientLoopMaxMs)} ms`,
        );
      } catch (e) {
        fail([gap, probe], e);
        log(`${label}: FAILED: ${errorText(e)}`);
      } finally {
        await server?.stop();
      }
    }
  }
}

// ---------------------------------------------------------------------------------------------------------------------
// Run

const tStart = performance.now();
log(
  `cache bench: ${phases.join(", ")}; systems ${systemNames.join(", ")}; memory at ${memKeys.map(fmtCount).join(",")} keys x ` +
    `${valueSizes.join(",")} B; redis-benchmark -n ${fmtCount(benchN)} x ${reps} reps; stall ${fmtCount(stallKeys)} keys ` +
    `under maxmemory ${stallMaxmemoryText}; temp root ${tmpRoot}`,
);
for (const spec of specs) log(`cache bench: ${spec.name} command: ${spec.template}`);
log(`cache bench: tools: ${redisCli}, ${redisBench}`);

const runners: Record<Phase, () => Promise<void>> = {
  memory: memoryPart,
  throughput: throughputPart,
  stall: stallPart,
};
const phaseSeconds = new Map<Phase, number>();
try {
  for (const phase of phases) {
    const t0 = performance.now();
    log(`cache bench: --- ${phase} ---`);
    await runners[phase]();
    phaseSeconds.set(phase, (performance.now() - t0) / 1000);
    log(`cache bench: ${phase} done in ${phaseSeconds.get(phase)?.toFixed(1)} s`);
  }
} finally {
  await stopAll();
}

for (const r of rows) {
  if (r.status !== "ok" || r.samples.length === 0) continue;
  r.median = runner.median(r.samples);
  r.min = Math.min(...r.samples);
  r.max = Math.max(...r.samples);
}
for (const r of rows) r.mode = modes.get(r.system as CacheSystemName) ?? r.mode;

// ---------------------------------------------------------------------------------------------------------------------
// Report

function find(workload: string, system: string, n: number): runner.ResultRow | undefined {
  return rows.find((r) => r.workload === workload && r.system === system && r.n === n);
}
function value(workload: string, system: string, n: number): number {
  const r = find(workload, system, n);
  return r?.status === "ok" ? r.median : Number.NaN;
}
function cell(workload: string, system: string, n: number, fmt: (x: number) => string): string {
  const r = find(workload, system, n);
  if (!r) return "-";
  return r.status === "ok" ? fmt(r.median) : r.status.toUpperCase();
}
const ratio = (workload: string, n: number) => value(workload, "shale", n) / value(workload, "redis", n);
const spread = (r: runner.ResultRow | undefined, fmt: (x: number) => string) =>
  r?.status === "ok" && r.samples.length > 1 ? ` (${fmt(r.min)}-${fmt(r.max)})` : "";

function memoryTable(): string {
  const headers = ["keys", "value", "measure", "shale B/key", "redis B/key", "shale/redis"];
  const body: string[][] = [];
  for (const n of memKeys) {
    for (const d of valueSizes) {
      for (const m of ["used_memory", "rss"] as const) {
        const w = memWorkload(m, d);
        const f = (x: number) => fmtNum(x);
        const label = m === "rss" ? "RSS" : m;
        body.push([fmtCount(n), `${d} B`, label, cell(w, "shale", n, f), cell(w, "redis", n, f)]);
        body[body.length - 1].push(runner.formatRatio(ratio(w, n)));
      }
    }
  }
  for (const kind of collectionKinds) {
    for (const m of ["used_memory", "rss"] as const) {
      const w = collWorkload(m, kind);
      const f = (x: number) => fmtNum(x);
      const label = m === "rss" ? "RSS" : m;
      const what = `${kind} ${COLLECTIONS.elements} x ${COLLECTIONS.elementBytes} B`;
      body.push([fmtCount(collKeys), what, label, cell(w, "shale", collKeys, f), cell(w, "redis", collKeys, f)]);
      body[body.length - 1].push(runner.formatRatio(ratio(w, collKeys)));
    }
  }
  return runner.renderTable(headers, body, new Set([0, 1, 3, 4, 5]));
}

function throughputTable(): string {
  const headers = ["test", "-P", "shale ops/s (min-max)", "redis ops/s (min-max)", "shale/redis"];
  headers.push("shale p99 ms", "redis p99 ms");
  const body: string[][] = [];
  for (const p of BENCH.pipelines) {
    for (const t of BENCH.tests) {
      const w = benchWorkload(t, p, "ops");
      const pw = benchWorkload(t, p, "p99");
      const rate = (s: string) => cell(w, s, benchN, runner.formatRate) + spread(find(w, s, benchN), runner.formatRate);
      body.push([
        t.toUpperCase(),
        String(p),
        rate("shale"),
        rate("redis"),
        runner.formatRatio(ratio(w, benchN)),
        cell(pw, "shale", benchN, fmtMs),
        cell(pw, "redis", benchN, fmtMs),
      ]);
    }
  }
  return runner.renderTable(headers, body, new Set([1, 2, 3, 4, 5, 6]));
}

function stallTable(): string {
  const headers = ["system", "run", "reply gap ms", "at s", "gaps >10/50/100 ms", "probe max ms", "at s"];
  headers.push("probe avg ms", "load s", "SET/s", "evicted", "keys left", "bench loop max ms");
  const body: string[][] = [];
  for (const spec of specs) {
    const runs = stallRuns.filter((r) => r.system === spec.name);
    for (const r of runs) {
      body.push([
        spec.name,
        String(r.rep + 1),
        fmtMs(r.maxGapMs),
        r.maxGapAtS.toFixed(2),
        r.gapsOver.join("/"),
        fmtMs(r.probeMaxMs),
        r.probeMaxAtS.toFixed(2),
        fmtMs(r.probeAvgMs),
        r.seconds.toFixed(1),
        runner.formatRate(r.replies / r.seconds),
        r.evicted.toLocaleString("en-US"),
        r.dbsize.toLocaleString("en-US"),
        fmtMs(r.clientLoopMaxMs),
      ]);
    }
    const gapRow = find(STALL_GAP, spec.name, stallKeys);
    if (gapRow?.status === "ok" && runs.length > 1) {
      const probeRow = find(STALL_PROBE, spec.name, stallKeys);
      body.push([spec.name, "median", fmtMs(gapRow.median), "", "", fmtMs(probeRow?.median ?? Number.NaN)]);
    } else if (gapRow && gapRow.status !== "ok") {
      body.push([spec.name, "", gapRow.status.toUpperCase()]);
    }
  }
  return runner.renderTable(headers, body, new Set([1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12]));
}

function targetsTable(): string {
  const headers = ["metric", "shale", "redis", "shale/redis", "target", "result"];
  const body: string[][] = [];
  const add = (metric: string, w: string, n: number, fmt: (x: number) => string, target: string, ok?: boolean) => {
    const x = ratio(w, n);
    const verdict = ok === undefined ? "-" : Number.isFinite(x) ? (ok ? "met" : "not met") : "not measured";
    // Three decimals: a ratio printed as 1.00x can still miss a 1.0x target.
    const shown = Number.isFinite(x) ? `${x.toFixed(3)}x` : "-";
    body.push([metric, cell(w, "shale", n, fmt), cell(w, "redis", n, fmt), shown, target, verdict]);
  };
  if (phases.includes("memory")) {
    for (const n of memKeys) {
      for (const d of valueSizes) {
        const wu = memWorkload("used_memory", d);
        add(
          `B/key used_memory, ${fmtCount(n)} x ${d} B`,
          wu,
          n,
          fmtNum,
          `<= ${TARGETS.usedMemory}x`,
          ratio(wu, n) <= TARGETS.usedMemory,
        );
        const wr = memWorkload("rss", d);
        add(`B/key RSS, ${fmtCount(n)} x ${d} B`, wr, n, fmtNum, `<= ${TARGETS.rss}x`, ratio(wr, n) <= TARGETS.rss);
      }
    }
  }
  if (phases.includes("throughput")) {
    for (const p of BENCH.pipelines) {
      const min = p === 1 ? TARGETS.opsP1 : TARGETS.opsP16;
      for (const t of BENCH.tests) {
        const w = benchWorkload(t, p, "ops");
        add(`${t.toUpperCase()} ops/s -P ${p}`, w, benchN, runner.formatRate, `>= ${min}x`, ratio(w, benchN) >= min);
      }
    }
  }
  if (phases.includes("stall")) {
    add(`longest reply gap ms, ${fmtCount(stallKeys)} keys`, STALL_GAP, stallKeys, fmtMs, "none set");
    add(`longest probe PING ms, ${fmtCount(stallKeys)} keys`, STALL_PROBE, stallKeys, fmtMs, "none set");
  }
  return runner.renderTable(headers, body, new Set([1, 2, 3]));
}

const exitCode = rows.some((r) => r.status === "failed") || interrupted ? 1 : 0;
if (args.json) {
  const meta = { suite: "cache", commit: runner.gitCommit(ROOT), machine: runner.machineInfo() };
  process.stdout.write(`${JSON.stringify(runner.jsonRecords(rows, meta), null, 2)}\n`);
} else {
  const m = runner.machineInfo();
  const out: string[] = [];
  out.push(
    `\nShale cache bench: ${m.cpuCount} x ${m.cpuModel}, ${(m.totalMemBytes / 2 ** 30).toFixed(0)} GiB, ` +
      `node ${process.version}, commit ${runner.gitCommit(ROOT)}; every server runs with ${MODE}` +
      ` (no RDB snapshots, no AOF)\n`,
  );
  for (const s of specs) out.push(serverLines.get(s.name) ?? `${s.name}: not started: ${s.template}`);
  if (phases.includes("memory")) {
    out.push(
      "\nBytes per key: (after - before) / keys, a fresh server per cell; used_memory from INFO, RSS of the process; " +
        `read once memory has not moved for ${SETTLE_WINDOW_MS / 1000} s after the load` +
        (collectionKinds.length > 0
          ? `; collection rows: one HSET/SADD/ZADD/RPUSH per key with ${COLLECTIONS.elements} elements of ` +
            `${COLLECTIONS.elementBytes} B (intset: small integers)`
          : "") +
        "\n",
    );
    out.push(memoryTable());
  }
  if (phases.includes("throughput")) {
    out.push(
      `\nThroughput: redis-benchmark ${redisBenchmarkArgs(0, benchOpts(1)).slice(4, -3).join(" ")} -P <1|16> --csv; ` +
        `a discarded warm-up run per server, then the median of ${reps} reps, servers alternating, FLUSHALL before each run; ` +
        "p99 is the median of the runs' p99\n",
    );
    out.push(throughputTable());
  }
  if (phases.includes("stall")) {
    out.push(
      `\nStall: ${fmtCount(stallKeys)} pipelined SETs of ${STALL.valueBytes} B values under maxmemory ${stallMaxmemoryText} ` +
        `${STALL.policy}; reply gap = longest time between reply bursts on the loading connection; probe = PING on a ` +
        `second connection every ${STALL.probeIntervalMs} ms; bench loop max = this process's own longest event-loop delay\n`,
    );
    out.push(stallTable());
  }
  out.push("\nTargets (ratios in this run):\n");
  out.push(targetsTable());
  // One line per distinct failure, naming the rows it hit (a server that cannot start fails every row alike).
  const failures = new Map<string, string[]>();
  for (const r of rows.filter((x) => x.status !== "ok")) {
    const key = `${r.system} ${r.status}: ${r.note}`;
    failures.set(key, [...(failures.get(key) ?? []), `${r.workload} at ${fmtCount(r.n ?? 0)}`]);
  }
  const problems = [...failures].map(([key, where]) => `${key}\n  (rows: ${where.join(", ")})`);
  if (notes.length + problems.length > 0) out.push(`\n${[...notes, ...problems].join("\n")}`);
  const secs = [...phaseSeconds].map(([p, s]) => `${p} ${s.toFixed(0)} s`).join(", ");
  out.push(`\nTime: ${((performance.now() - tStart) / 1000).toFixed(0)} s (${secs})\n`);
  process.stdout.write(`${out.join("\n")}\n`);
}
if (profileDir !== undefined) {
  const files = readdirSync(profileDir).filter((f) => f.endsWith(".cpuprofile"));
  // Node writes one per thread with a JS context: the server's main thread (`CPU.<date>.<time>.<pid>.0.*`), and under
  // tsx on Node 20 also the module loader's thread (`.1.*`), which only shows module loading.
  log(
    `cache bench: ${files.length} CPU profile(s) of the Shale servers (per process: main thread .0, loader .1) in ${profileDir}:`,
  );
  for (const f of files) log(`  ${join(profileDir, f)}`);
  log("cache bench: (profiled servers are slower; open a .cpuprofile in Chrome DevTools > Performance or speedscope)");
}
log(`cache bench: done in ${((performance.now() - tStart) / 1000).toFixed(1)} s`);
process.exitCode = exitCode;
