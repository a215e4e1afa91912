// Tables benchmark: baton's c1z grants benchmark (WritePack, ReadPack), Shale side by side with better-sqlite3.
//   node --import tsx bench/tables.ts [--quick] [--json] [--n 1000,100000] [--systems s1,s2] [--reps R]
//                                     [--profile [--profile-dir DIR]]
// The workload and its targets are in ../../shared/spec/c1z.md section 4; the systems in lib/tables-systems.ts.
// Progress goes to stderr; the results table and the ratio summary (or, with --json, JSON records) go to stdout.
// --profile writes a CPU profile of each measured Shale WritePack and ReadPack into DIR.

import { closeSync, fsyncSync, mkdtempSync, openSync, rmSync } from "node:fs";
import * as os from "node:os";
import { join } from "node:path";
import { parseArgs } from "node:util";
import { pickList, positiveInt } from "./lib/args.js";
import * as runner from "./lib/runner.js";
import {
  type Grant,
  makeGrants,
  TABLES_SYSTEM_LOADERS,
  TABLES_SYSTEM_NAMES,
  type TablesSystem,
  type TablesSystemName,
  UnsupportedError,
} from "./lib/tables-systems.js";

/** ListGrants' page size with page_size 0, as in baton's read benchmark. */
const PAGE_SIZE = 10_000;
const ALL_SIZES = [100, 1_000, 10_000, 100_000, 1_000_000];
const QUICK_SIZES = [100, 10_000, 100_000];
const WRITE = "WritePack";
const READ = "ReadPack";
const BYTES = "PackBytes";

// The targets, as ratios in one run: Shale against the SQLite path.
const TARGETS = { writeN: 1_000_000, writeSpeedup: 10, readN: 100_000, readSpeedup: 3, sizeRatio: 0.5 };

const log = (line: string): void => {
  process.stderr.write(`${line}\n`);
};

function usage(message: string): never {
  log(`tables bench: ${message}`);
  log(
    "usage: node --import tsx bench/tables.ts [--quick] [--json] [--n N1,N2] [--systems s1,s2] [--reps R]\n" +
      "         [--profile [--profile-dir DIR]]   CPU profiles of Shale's measured runs (default DIR: under the OS temp dir)",
  );
  log(`  sizes:   default ${ALL_SIZES.join(",")}; --quick ${QUICK_SIZES.join(",")} (k and M suffixes accepted)`);
  log(`  systems: ${TABLES_SYSTEM_NAMES.join(", ")}`);
  process.exit(2);
}

function parseOptions() {
  try {
    return parseArgs({
      options: {
        quick: { type: "boolean", default: false },
        json: { type: "boolean", default: false },
        n: { type: "string" },
        systems: { type: "string" },
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
const sizes =
  args.n === undefined
    ? quick
      ? QUICK_SIZES
      : ALL_SIZES
    : args.n
        .split(",")
        .filter((s) => s.trim().length > 0)
        .map((s) => positiveInt(s, "--n", usage));
if (sizes.length === 0) usage("--n names no size");
const reps = args.reps === undefined ? (quick ? 1 : 3) : positiveInt(args.reps, "--reps", usage);
const systemNames = pickList<TablesSystemName>(args.systems, TABLES_SYSTEM_NAMES, "system", usage);
if (args["profile-dir"] !== undefined && !args.profile) usage("--profile-dir needs --profile");

// Load the systems; one that cannot load is skipped with a message (an error exit only if it was asked for).
let exitCode = 0;
const systems: TablesSystem[] = [];
const loadSkips: string[] = [];
for (const name of systemNames) {
  const loaded = await TABLES_SYSTEM_LOADERS[name]();
  if ("skip" in loaded) {
    log(`tables bench: skipping ${name}: ${loaded.skip}`);
    loadSkips.push(`${name}: skipped: ${loaded.skip}`);
    if (args.systems !== undefined) exitCode = 1;
  } else {
    systems.push(loaded.system);
  }
}
if (systems.length === 0) {
  log("tables bench: no system to run");
  process.exit(1);
}

const tmpRoot = mkdtempSync(join(os.tmpdir(), "shale-bench-tables-"));
const cleanup = () => rmSync(tmpRoot, { recursive: true, force: true });
process.on("exit", cleanup);
for (const signal of ["SIGINT", "SIGTERM"] as const) {
  process.on(signal, () => {
    cleanup();
    process.exit(130);
  });
}

const fmtMs = (ms: number): string =>
  !Number.isFinite(ms)
    ? "-"
    : ms < 10
      ? ms.toFixed(2)
      : ms < 1000
        ? ms.toFixed(1)
        : Math.round(ms).toLocaleString("en-US");
const fmtN = (n: number): string => n.toLocaleString("en-US");
const errorText = (e: unknown): string => (e instanceof Error ? (e.stack ?? e.message) : String(e));

/** The three rows one system produces at one N: WritePack ms, ReadPack ms, PackBytes bytes. */
interface SystemRows {
  write: runner.ResultRow;
  read: runner.ResultRow;
  bytes: runner.ResultRow;
}

function newRow(workload: string, sys: TablesSystem, n: number, unit: string): runner.ResultRow {
  return {
    workload,
    system: sys.name,
    mode: sys.mode,
    detail: sys.detail,
    status: "ok",
    unit,
    n,
    samples: [],
    median: Number.NaN,
    min: Number.NaN,
    max: Number.NaN,
  };
}

function mark(rows: runner.ResultRow[], e: unknown): void {
  const status = e instanceof UnsupportedError ? "skipped" : "failed";
  const note = e instanceof Error ? e.message : String(e);
  for (const r of rows) if (r.status === "ok") Object.assign(r, { status, note });
}

const profiler = args.profile
  ? await runner.CpuProfiler.start(runner.profileDir("tables", args["profile-dir"]), "shale-tables")
  : undefined;

/**
 * Waits, untimed, until the file system has committed the removal of the last repetition's files: an
 * fsync of the temporary root commits the journal, and with it the blocks freed (on a file system
 * mounted with online discard, the commit also discards them). Otherwise the next system's first
 * fdatasync pays for the previous system's deleted files (177 MB of SQLite's at 1M grants).
 */
function settleFileSystem(): void {
  const fd = openSync(tmpRoot, "r");
  try {
    fsyncSync(fd);
  } finally {
    closeSync(fd);
  }
}

/** One repetition of one system at one N, in a fresh directory removed afterwards. Returns a progress line. */
async function runRep(sys: TablesSystem, rows: SystemRows, grants: readonly Grant[], measured: boolean, rep: number) {
  const n = grants.length;
  // With --profile, Shale's measured calls run under the profiler; the clock is read inside, so starting and stopping
  // it is not timed.
  const profiled = <T>(what: string, fn: () => Promise<T>): Promise<T> =>
    profiler && measured && sys.name === "shale" ? profiler.around(`${what}-${n}-rep${rep + 1}`, fn) : fn();
  const dir = mkdtempSync(join(tmpRoot, `${sys.name}-${n}-`));
  const parts: string[] = [];
  let phase: runner.ResultRow[] = [rows.write, rows.read, rows.bytes];
  try {
    runner.maybeGc();
    let writeMs = 0;
    const { file, bytes } = await profiled(WRITE, async () => {
      const t0 = performance.now();
      const r = await sys.writePack(grants, dir);
      writeMs = performance.now() - t0;
      return r;
    });
    if (measured) {
      rows.write.samples.push(writeMs);
      rows.bytes.samples.push(bytes);
    }
    parts.push(`${WRITE} ${fmtMs(writeMs)} ms (${runner.formatRate((n / writeMs) * 1000)} rows/s), ${fmtN(bytes)} B`);
    phase = [rows.read];
    if (rows.read.status === "ok") {
      runner.maybeGc();
      let readMs = 0;
      const count = await profiled(READ, async () => {
        const t1 = performance.now();
        const c = await sys.readPack(file, PAGE_SIZE);
        readMs = performance.now() - t1;
        return c;
      });
      if (count !== n) throw new Error(`${READ} read ${count} grants, expected ${n}`);
      if (measured) rows.read.samples.push(readMs);
      parts.push(`${READ} ${fmtMs(readMs)} ms (${runner.formatRate((n / readMs) * 1000)} rows/s)`);
    }
  } catch (e) {
    mark(phase, e);
    parts.push(e instanceof UnsupportedError ? `skipped: ${e.message}` : `FAILED\n${errorText(e)}`);
  } finally {
    rmSync(dir, { recursive: true, force: true });
    settleFileSystem();
  }
  return parts.join("; ");
}

const tStart = performance.now();
log(
  `tables bench: n=${sizes.join(",")}, warm-up + ${reps} rep(s), page ${PAGE_SIZE}, ` +
    `systems: ${systems.map((s) => s.name).join(", ")}, temp root ${tmpRoot}`,
);

const rows: runner.ResultRow[] = [];
for (const n of sizes) {
  const tGen = performance.now();
  let grants: Grant[] | undefined = makeGrants(n);
  log(`[n=${fmtN(n)}] generated ${fmtN(n)} grants in ${((performance.now() - tGen) / 1000).toFixed(2)} s`);
  const perSystem = new Map<TablesSystem, SystemRows>();
  for (const sys of systems) {
    perSystem.set(sys, {
      write: newRow(WRITE, sys, n, "ms"),
      read: newRow(READ, sys, n, "ms"),
      bytes: newRow(BYTES, sys, n, "bytes"),
    });
  }
  // A warm-up repetition (discarded), then the measured ones, systems interleaved A B, A B, ...
  for (let rep = -1; rep < reps; rep++) {
    const label = rep < 0 ? "warm-up" : `rep ${rep + 1}/${reps}`;
    for (const sys of systems) {
      const r = perSystem.get(sys)!;
      if (r.write.status !== "ok") continue;
      log(`[n=${fmtN(n)}] ${label} ${sys.name}: ${await runRep(sys, r, grants, rep >= 0, rep)}`);
    }
  }
  for (const r of perSystem.values()) {
    for (const row of [r.write, r.read, r.bytes]) {
      if (row.status !== "ok") continue;
      row.median = runner.median(row.samples);
      row.min = Math.min(...row.samples);
      row.max = Math.max(...row.samples);
    }
    if (r.bytes.status === "ok" && r.bytes.min !== r.bytes.max) {
      log(
        `[n=${fmtN(n)}] note: ${r.bytes.system} pack sizes differ between repetitions: ${r.bytes.samples.join(", ")}`,
      );
    }
    rows.push(r.write, r.read, r.bytes);
  }
  grants = undefined;
}
if (rows.some((r) => r.status === "failed")) exitCode = 1;
if (profiler) {
  await profiler.close();
  log(`tables bench: wrote ${profiler.files.length} CPU profile(s) of Shale's measured runs to ${profiler.dir}:`);
  for (const f of profiler.files) log(`  ${f}`);
  log("tables bench: (profiled runs are slower; open a .cpuprofile in Chrome DevTools > Performance or speedscope)");
}

// ---------------------------------------------------------------------------------------------------------------------
// Reporting

function find(n: number, workload: string, system: string): runner.ResultRow | undefined {
  return rows.find((r) => r.n === n && r.workload === workload && r.system === system && r.status === "ok");
}

/** Speedup of Shale over `system` (peer time / Shale time), or Shale bytes / peer bytes for PackBytes. */
function shaleVs(n: number, workload: string, system: string): number {
  const shale = find(n, workload, "shale");
  const peer = find(n, workload, system);
  if (!shale || !peer) return Number.NaN;
  return workload === BYTES ? shale.median / peer.median : peer.median / shale.median;
}

function resultsTable(): string {
  const headers = ["grants", "workload", "system", "durability mode", "median ms", "min ms", "max ms", "rows/s"];
  headers.push("file bytes", "shale/peer");
  const body: string[][] = [];
  for (const row of rows) {
    if (row.workload === BYTES) continue;
    const n = row.n ?? Number.NaN;
    const ok = row.status === "ok";
    const times = ok ? [fmtMs(row.median), fmtMs(row.min), fmtMs(row.max)] : [row.status.toUpperCase(), "", ""];
    const rate = ok ? runner.formatRate((n / row.median) * 1000) : "";
    const bytesRow = rows.find((r) => r.n === n && r.workload === BYTES && r.system === row.system);
    const bytes = row.workload === WRITE && bytesRow?.status === "ok" ? fmtN(bytesRow.median) : "";
    const ratio = row.system === "shale" ? "" : runner.formatRatio(shaleVs(n, row.workload, row.system));
    body.push([fmtN(n), row.workload, row.system, row.mode, ...times, rate, bytes, ratio]);
  }
  return runner.renderTable(headers, body, new Set([0, 4, 5, 6, 7, 8, 9]));
}

function ratioSummary(peers: readonly string[]): string {
  const headers = ["grants", "peer", `${WRITE} speedup`, `${READ} speedup`, "file size shale/peer"];
  const body: string[][] = [];
  for (const n of sizes) {
    for (const p of peers) {
      body.push([
        fmtN(n),
        p,
        runner.formatRatio(shaleVs(n, WRITE, p)),
        runner.formatRatio(shaleVs(n, READ, p)),
        runner.formatRatio(shaleVs(n, BYTES, p)),
      ]);
    }
  }
  return runner.renderTable(headers, body, new Set([0, 2, 3, 4]));
}

function targetLines(peer: string): string[] {
  const verdict = (x: number, ok: boolean) =>
    Number.isFinite(x) ? `${runner.formatRatio(x)} (${ok ? "met" : "MISSED"})` : "not measured";
  const w = shaleVs(TARGETS.writeN, WRITE, peer);
  const r = shaleVs(TARGETS.readN, READ, peer);
  const sizeRatios = sizes.map((n) => shaleVs(n, BYTES, peer)).filter(Number.isFinite);
  const worstSize = sizeRatios.length > 0 ? Math.max(...sizeRatios) : Number.NaN;
  return [
    `  ${WRITE} at ${fmtN(TARGETS.writeN)}: >= ${TARGETS.writeSpeedup}x faster: ${verdict(w, w >= TARGETS.writeSpeedup)}`,
    `  ${READ} at ${fmtN(TARGETS.readN)}: >= ${TARGETS.readSpeedup}x faster: ${verdict(r, r >= TARGETS.readSpeedup)}`,
    `  file size <= ${TARGETS.sizeRatio}x the SQLite file (largest ratio over all N): ${verdict(worstSize, worstSize <= TARGETS.sizeRatio)}`,
  ];
}

const peers = systems.map((s) => s.name).filter((s) => s !== "shale");
if (args.json) {
  const meta = { suite: "tables", commit: runner.gitCommit(process.cwd()), machine: runner.machineInfo() };
  process.stdout.write(`${JSON.stringify(runner.jsonRecords(rows, meta), null, 2)}\n`);
} else {
  const m = runner.machineInfo();
  process.stdout.write(
    `\nShale tables bench (c1z grants): ${reps} rep(s) after a warm-up, pages of ${fmtN(PAGE_SIZE)}, ` +
      `${m.cpuCount} x ${m.cpuModel}, ${(m.totalMemBytes / 2 ** 30).toFixed(0)} GiB, node ${process.version}, ` +
      `commit ${runner.gitCommit(process.cwd())}\n\n`,
  );
  process.stdout.write(`${resultsTable()}\n\n`);
  for (const s of systems) process.stdout.write(`${s.name}: ${s.detail}\n`);
  for (const line of loadSkips) process.stdout.write(`${line}\n`);
  for (const r of rows.filter((r) => r.status !== "ok" && r.workload !== BYTES)) {
    process.stdout.write(`${r.system} ${r.workload} at ${fmtN(r.n ?? 0)}: ${r.status}: ${r.note}\n`);
  }
  if (systems.some((s) => s.name === "shale") && peers.length > 0) {
    process.stdout.write(
      "\nShale against each peer: speedup = peer median ms / Shale median ms (above 1: Shale faster); " +
        "size = Shale file bytes / peer file bytes (below 1: Shale smaller)\n\n",
    );
    process.stdout.write(`${ratioSummary(peers)}\n`);
    for (const p of peers) process.stdout.write(`\nTargets against ${p}:\n${targetLines(p).join("\n")}\n`);
  }
}
log(`tables bench: done in ${((performance.now() - tStart) / 1000).toFixed(1)} s`);
process.exitCode = exitCode;
