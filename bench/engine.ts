// Engine benchmark: Shale side by side with lmdb, classic-level and better-sqlite3 on db_bench-style workloads.
//   node --import tsx bench/engine.ts [--quick] [--json] [--only w1,w2] [--systems s1,s2] [--n N] [--reps R]
//                                     [--profile [--profile-dir DIR]]
// Progress goes to stderr; the results table and the ratio summary (or, with --json, JSON records) go to stdout.
// --profile writes a CPU profile of each measured Shale run (the timed part) into DIR, one file per workload and rep.

import { spawnSync } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import * as os from "node:os";
import { join } from "node:path";
import { parseArgs } from "node:util";
import { pickList, positiveInt } from "./lib/args.js";
import { BenchData } from "./lib/data.js";
import * as runner from "./lib/runner.js";
import { SYSTEM_LOADERS, SYSTEM_NAMES, type SystemName } from "./lib/systems.js";
import { makeWorkloads, WORKLOAD_NAMES, type WorkloadName } from "./lib/workloads.js";

// The concurrent-writes workload issues 20,000 writes at once; classic-level runs each on the libuv thread pool (and
// Shale's fs calls use it too), so the pool's default 4 threads would cap writes in flight at 4 and starve LevelDB's
// group commit. The pool reads UV_THREADPOOL_SIZE once, when first used, and under `node --import tsx` the module
// loader has already used it (async file reads) before this module's first line runs, so setting the variable here
// would be too late. Instead, when it is not set, re-run this same command in a child process with it set.
if (process.env.UV_THREADPOOL_SIZE !== "16") {
  const child = spawnSync(process.execPath, [...process.execArgv, ...process.argv.slice(1)], {
    stdio: "inherit",
    env: { ...process.env, UV_THREADPOOL_SIZE: "16" },
  });
  if (child.error) throw child.error;
  process.exit(child.status ?? 1);
}

const log = (line: string): void => {
  process.stderr.write(`${line}\n`);
};

function usage(message: string): never {
  log(`engine bench: ${message}`);
  log(
    "usage: node --import tsx bench/engine.ts [--quick] [--json] [--only w1,w2] [--systems s1,s2] [--n N] [--reps R]\n" +
      "         [--profile [--profile-dir DIR]]   CPU profiles of Shale's measured runs (default DIR: under the OS temp dir)",
  );
  log(`  workloads: ${WORKLOAD_NAMES.join(", ")}`);
  log(`  systems:   ${SYSTEM_NAMES.join(", ")}`);
  process.exit(2);
}

function parseOptions() {
  try {
    return parseArgs({
      options: {
        quick: { type: "boolean", default: false },
        json: { type: "boolean", default: false },
        only: { type: "string" },
        systems: { type: "string" },
        n: { type: "string" },
        reps: { type: "string" },
        profile: { type: "boolean", default: false },
        "profile-dir": { type: "string" },
        help: { type: "boolean", default: false },
      },
      strict: true,
    }).values;
  } catch (e) {
    return usage(e instanceof Error ? e.message : String(e));
  }
}
const args = parseOptions();
if (args.help) usage("help");

const quick = args.quick === true;
const n = args.n === undefined ? (quick ? 100_000 : 1_000_000) : positiveInt(args.n, "--n", usage);
const reps = args.reps === undefined ? (quick ? 1 : 3) : positiveInt(args.reps, "--reps", usage);
const workloadNames = pickList<WorkloadName>(args.only, WORKLOAD_NAMES, "workload", usage);
const systemNames = pickList<SystemName>(args.systems, SYSTEM_NAMES, "system", usage);
if (args["profile-dir"] !== undefined && !args.profile) usage("--profile-dir needs --profile");

// Load the systems; a system that cannot load is skipped with a message (an error exit only if it was asked for).
let exitCode = 0;
const systems: runner.LoadedSystem[] = [];
for (const name of systemNames) {
  const loaded = await SYSTEM_LOADERS[name]();
  if ("skip" in loaded) {
    log(`engine bench: skipping ${name}: ${loaded.skip}`);
    if (args.systems !== undefined) exitCode = 1;
  } else {
    systems.push({ name, create: loaded.create });
  }
}
if (systems.length === 0) {
  log("engine bench: no system to run");
  process.exit(1);
}

const tmpRoot = mkdtempSync(join(os.tmpdir(), "shale-bench-"));
const cleanup = () => rmSync(tmpRoot, { recursive: true, force: true });
process.on("exit", cleanup);
for (const signal of ["SIGINT", "SIGTERM"] as const) {
  process.on(signal, () => {
    cleanup();
    process.exit(130);
  });
}

const t0 = performance.now();
log(
  `engine bench: n=${n}, ${reps} rep(s)${quick ? "" : " + warm-up"}, systems: ${systems.map((s) => s.name).join(", ")}`,
);
log(`engine bench: UV_THREADPOOL_SIZE=${process.env.UV_THREADPOOL_SIZE}, temp root ${tmpRoot}`);
const data = new BenchData(n);
const workloads = makeWorkloads(data, {
  batchSize: 1000,
  fillsyncMaxWrites: quick ? 500 : 2000,
  fillsyncMaxMs: quick ? 2000 : 5000,
  concurrentWrites: quick ? 5000 : 20_000,
});
log(`engine bench: generated ${n} keys and values in ${((performance.now() - t0) / 1000).toFixed(1)} s`);

const profiler = args.profile
  ? await runner.CpuProfiler.start(runner.profileDir("engine", args["profile-dir"]), "shale-engine")
  : undefined;
if (profiler) log(`engine bench: --profile: CPU profiles of Shale's measured runs go to ${profiler.dir}`);
const rows: runner.ResultRow[] = [];
for (const name of workloadNames) {
  const result = await runner.runWorkload(workloads[name], systems, { reps, warmup: !quick, tmpRoot, log, profiler });
  rows.push(...result);
}
if (profiler) {
  await profiler.close();
  log(`engine bench: wrote ${profiler.files.length} CPU profile(s) of Shale's measured runs to ${profiler.dir}:`);
  for (const f of profiler.files) log(`  ${f}`);
  log("engine bench: (profiled runs are slower; open a .cpuprofile in Chrome DevTools > Performance or speedscope)");
}
if (rows.some((r) => r.status === "failed")) exitCode = 1;

const peers = systems.map((s) => s.name).filter((s) => s !== "shale");
if (args.json) {
  const meta = { suite: "engine", n, commit: runner.gitCommit(process.cwd()), machine: runner.machineInfo() };
  process.stdout.write(`${JSON.stringify(runner.jsonRecords(rows, meta), null, 2)}\n`);
} else {
  const m = runner.machineInfo();
  process.stdout.write(
    `\nShale engine bench: n=${n}, ${reps} rep(s), ${m.cpuCount} x ${m.cpuModel}, ` +
      `${(m.totalMemBytes / 2 ** 30).toFixed(0)} GiB, node ${process.version}, commit ${runner.gitCommit(process.cwd())}\n\n`,
  );
  process.stdout.write(`${runner.resultsTable(rows)}\n`);
  if (peers.length > 0) {
    process.stdout.write(`\nRatio of medians, Shale / peer (above 1: Shale faster)\n\n`);
    process.stdout.write(`${runner.ratioSummary(rows, peers)}\n`);
  }
}
log(`engine bench: done in ${((performance.now() - t0) / 1000).toFixed(1)} s`);
process.exitCode = exitCode;
