// A small benchmark harness: runs one workload on every system, interleaving systems within each repetition
// (A B C D, A B C D, ...) so machine drift hits all of them alike, each repetition in a fresh directory that is removed
// afterwards; then summarises repetitions as median, min and max, and formats the tables and JSON records. With a
// CpuProfiler, Shale's measured runs are CPU-profiled (--profile in every suite).

import { execFileSync } from "node:child_process";
import { mkdirSync, rmSync, writeFileSync } from "node:fs";
import { Session } from "node:inspector/promises";
import * as os from "node:os";
import { join } from "node:path";
import { type KvSystem, UnsupportedError } from "./systems.js";
import type { Workload } from "./workloads.js";

export interface LoadedSystem {
  name: string;
  create: () => KvSystem;
}

export interface RunOptions {
  reps: number;
  warmup: boolean;
  tmpRoot: string;
  log: (line: string) => void;
  /** When set, each measured run of Shale (the timed part only) is CPU-profiled into its own file. */
  profiler?: CpuProfiler;
}

export type RowStatus = "ok" | "skipped" | "failed";

export interface ResultRow {
  workload: string;
  system: string;
  mode: string;
  detail: string;
  status: RowStatus;
  note?: string;
  /** The samples' unit; "ops/s" when absent (the engine suite). */
  unit?: string;
  /** The row's data-set size, where a suite runs several; the run's `n` when absent. */
  n?: number;
  /** The value of each measured repetition (warm-up excluded), in `unit`. */
  samples: number[];
  median: number;
  min: number;
  max: number;
}

export function median(xs: readonly number[]): number {
  if (xs.length === 0) return Number.NaN;
  const s = [...xs].sort((a, b) => a - b);
  const mid = s.length >> 1;
  return s.length % 2 === 1 ? s[mid] : (s[mid - 1] + s[mid]) / 2;
}

export function maybeGc(): void {
  // Only with `node --expose-gc`: start every measurement from a collected heap.
  const g = (globalThis as { gc?: () => void }).gc;
  if (typeof g === "function") g();
}

function errorText(e: unknown): string {
  return e instanceof Error ? (e.stack ?? e.message) : String(e);
}

async function runOnce(
  workload: Workload,
  sys: KvSystem,
  dir: string,
  around?: <T>(fn: () => Promise<T>) => Promise<T>,
): Promise<{ ops: number; seconds: number } | { unsupported: string }> {
  mkdirSync(dir, { recursive: true });
  try {
    await sys.open(dir, workload.openMode);
    try {
      await workload.prepare?.(sys);
      maybeGc();
      let seconds = 0;
      const timed = async () => {
        const t0 = performance.now();
        const n = await workload.run(sys);
        seconds = (performance.now() - t0) / 1000;
        return n;
      };
      const ops = around ? await around(timed) : await timed();
      await workload.verify?.(sys, ops);
      return { ops, seconds };
    } finally {
      await sys.close();
    }
  } catch (e) {
    if (e instanceof UnsupportedError) return { unsupported: e.message };
    throw e;
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

/** Runs `workload` on every system: an optional warm-up repetition, then `reps` measured ones, interleaved. */
export async function runWorkload(workload: Workload, systems: LoadedSystem[], opts: RunOptions): Promise<ResultRow[]> {
  const rows = new Map<string, ResultRow>();
  for (const s of systems) {
    const probe = s.create();
    rows.set(s.name, {
      workload: workload.name,
      system: s.name,
      mode: workload.mode(probe),
      detail: workload.detail(probe),
      status: "ok",
      samples: [],
      median: Number.NaN,
      min: Number.NaN,
      max: Number.NaN,
    });
  }
  const first = opts.warmup ? -1 : 0;
  for (let rep = first; rep < opts.reps; rep++) {
    const label = rep < 0 ? "warm-up" : `rep ${rep + 1}/${opts.reps}`;
    for (const s of systems) {
      const row = rows.get(s.name)!;
      if (row.status !== "ok") continue;
      const dir = join(opts.tmpRoot, `${workload.name}-${s.name}-${rep < 0 ? "warmup" : rep}`);
      try {
        const profiler = opts.profiler;
        const around =
          profiler && s.name === "shale" && rep >= 0
            ? <T>(fn: () => Promise<T>) => profiler.around(`${workload.name}-rep${rep + 1}`, fn)
            : undefined;
        const r = await runOnce(workload, s.create(), dir, around);
        if ("unsupported" in r) {
          row.status = "skipped";
          row.note = r.unsupported;
          opts.log(`[${workload.name}] ${s.name}: skipped: ${r.unsupported}`);
          continue;
        }
        const opsPerSec = r.ops / r.seconds;
        if (rep >= 0) row.samples.push(opsPerSec);
        opts.log(
          `[${workload.name}] ${label} ${s.name}: ${formatRate(opsPerSec)} ops/s (${r.ops} ops in ${r.seconds.toFixed(2)} s)`,
        );
      } catch (e) {
        row.status = "failed";
        row.note = e instanceof Error ? e.message : String(e);
        opts.log(`[${workload.name}] ${label} ${s.name}: FAILED\n${errorText(e)}`);
      }
    }
  }
  for (const row of rows.values()) {
    if (row.status !== "ok") continue;
    row.median = median(row.samples);
    row.min = Math.min(...row.samples);
    row.max = Math.max(...row.samples);
  }
  return [...rows.values()];
}

// ---------------------------------------------------------------------------------------------------------------------
// CPU profiles (--profile)

/**
 * CPU profiles of chosen sections of this process through node:inspector, one `.cpuprofile` file per section (open it
 * in Chrome DevTools' Performance panel or speedscope). Only the main thread is sampled: work Shale hands to worker
 * threads (compaction, bulk sort) shows as waiting. Profiling costs time, so profiled numbers are not for comparing.
 */
export class CpuProfiler {
  readonly files: string[] = [];
  private constructor(
    readonly dir: string,
    private readonly prefix: string,
    private readonly session: Session,
  ) {}

  static async start(dir: string, prefix: string, samplingIntervalUs = 250): Promise<CpuProfiler> {
    mkdirSync(dir, { recursive: true });
    const session = new Session();
    session.connect();
    await session.post("Profiler.enable");
    await session.post("Profiler.setSamplingInterval", { interval: samplingIntervalUs });
    return new CpuProfiler(dir, prefix, session);
  }

  /** Runs `fn` with the profiler on and writes what it sampled to `<dir>/<prefix>-<label>.cpuprofile`. */
  async around<T>(label: string, fn: () => Promise<T>): Promise<T> {
    await this.session.post("Profiler.start");
    try {
      return await fn();
    } finally {
      const { profile } = await this.session.post("Profiler.stop");
      const name = `${this.prefix}-${label}`.replace(/[^\w.-]+/g, "_");
      const file = join(this.dir, `${name}.cpuprofile`);
      writeFileSync(file, JSON.stringify(profile));
      this.files.push(file);
    }
  }

  async close(): Promise<void> {
    await this.session.post("Profiler.disable");
    this.session.disconnect();
  }
}

/** Where a suite's profiles go: `--profile-dir`, else a fresh directory under the OS temp dir (kept afterwards). */
export function profileDir(suite: string, requested: string | undefined): string {
  if (requested !== undefined) return requested;
  const stamp = new Date().toISOString().replace(/[-:]/g, "").replace(/\..*/, "").replace("T", "-");
  return join(os.tmpdir(), `shale-profile-${suite}-${stamp}-${process.pid}`);
}

// ---------------------------------------------------------------------------------------------------------------------
// Reporting

export function formatRate(x: number): string {
  if (!Number.isFinite(x)) return "-";
  return Math.round(x).toLocaleString("en-US");
}

export function formatRatio(x: number): string {
  if (!Number.isFinite(x)) return "-";
  return `${x >= 10 ? x.toFixed(1) : x.toFixed(2)}x`;
}

/** Shale's median for the row's workload divided by the row's median; NaN where either is missing. */
export function shaleRatio(rows: readonly ResultRow[], row: ResultRow): number {
  const shale = rows.find((r) => r.workload === row.workload && r.system === "shale" && r.status === "ok");
  if (!shale || row.status !== "ok") return Number.NaN;
  return shale.median / row.median;
}

export function renderTable(headers: string[], body: string[][], rightAligned: ReadonlySet<number>): string {
  const widths = headers.map((h, c) => Math.max(h.length, ...body.map((r) => (r[c] ?? "").length)));
  const line = (cells: string[]) =>
    cells
      .map((cell, c) => (rightAligned.has(c) ? cell.padStart(widths[c]) : cell.padEnd(widths[c])))
      .join(" | ")
      .trimEnd();
  const rule = widths.map((w) => "-".repeat(w)).join("-|-");
  return [line(headers), rule, ...body.map(line)].join("\n");
}

export function resultsTable(rows: readonly ResultRow[]): string {
  const headers = ["workload", "system", "durability mode", "detail", "median ops/s", "min", "max", "shale/peer"];
  const body = rows.map((r) => {
    const status = r.status === "ok" ? [] : [r.status.toUpperCase(), "", ""];
    const nums = r.status === "ok" ? [formatRate(r.median), formatRate(r.min), formatRate(r.max)] : status;
    const ratio = r.system === "shale" ? "" : formatRatio(shaleRatio(rows, r));
    return [r.workload, r.system, r.mode, r.detail, ...nums, ratio];
  });
  return renderTable(headers, body, new Set([4, 5, 6, 7]));
}

/** One line per workload: Shale's median ops/s and its ratio to each peer's median. */
export function ratioSummary(rows: readonly ResultRow[], peers: readonly string[]): string {
  const workloads = [...new Set(rows.map((r) => r.workload))];
  const body = workloads.map((w) => {
    const shale = rows.find((r) => r.workload === w && r.system === "shale");
    const cells = peers.map((p) => {
      const row = rows.find((r) => r.workload === w && r.system === p);
      return row ? formatRatio(shaleRatio(rows, row)) : "-";
    });
    return [w, shale?.status === "ok" ? formatRate(shale.median) : (shale?.status ?? "not run"), ...cells];
  });
  const headers = ["workload", "shale ops/s", ...peers.map((p) => `shale/${p}`)];
  return renderTable(headers, body, new Set(headers.map((_, i) => i).filter((i) => i > 0)));
}

export interface MachineInfo {
  cpuModel: string;
  cpuCount: number;
  totalMemBytes: number;
  platform: string;
}

export function machineInfo(): MachineInfo {
  const cpus = os.cpus();
  return {
    cpuModel: cpus[0]?.model ?? "unknown",
    cpuCount: cpus.length,
    totalMemBytes: os.totalmem(),
    platform: `${os.platform()} ${os.release()} ${os.arch()}`,
  };
}

export function gitCommit(cwd: string): string {
  try {
    return execFileSync("git", ["rev-parse", "HEAD"], {
      cwd,
      encoding: "utf8",
      stdio: ["ignore", "pipe", "ignore"],
    }).trim();
  } catch {
    return "unknown";
  }
}

export interface JsonRecord {
  suite: string;
  workload: string;
  system: string;
  unit: string;
  repetitions: number;
  samples: number[];
  median: number | null;
  min: number | null;
  max: number | null;
  mode: string;
  detail: string;
  status: RowStatus;
  note?: string;
  n: number;
  commit: string;
  node: string;
  machine: MachineInfo;
}

export function jsonRecords(
  rows: readonly ResultRow[],
  meta: { suite: string; n?: number; commit: string; machine: MachineInfo },
): JsonRecord[] {
  const num = (x: number) => (Number.isFinite(x) ? x : null);
  return rows.map((r) => ({
    suite: meta.suite,
    workload: r.workload,
    system: r.system,
    unit: r.unit ?? "ops/s",
    repetitions: r.samples.length,
    samples: r.samples,
    median: num(r.median),
    min: num(r.min),
    max: num(r.max),
    mode: r.mode,
    detail: r.detail,
    status: r.status,
    ...(r.note === undefined ? {} : { note: r.note }),
    n: r.n ?? meta.n ?? Number.NaN,
    commit: meta.commit,
    node: process.version,
    machine: meta.machine,
  }));
}
