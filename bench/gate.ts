// The performance gate: does this change make anything slower or bigger?
//   npm run gate -- --base <git ref> [--head <git ref>] [--reps R] [--json] [--verbose]
//   npm run gate -- --check-baseline          the deterministic metrics of this tree against bench/baseline.json
//   npm run gate -- --update-baseline         re-measure them and rewrite bench/baseline.json (a deliberate edit)
//
// With --base, the base commit is checked out in a temporary `git worktree` (the head's node_modules linked into it,
// and ../shared next to it when the head has one); the head is this working tree, uncommitted changes included, or
// --head REF in a second worktree. The gate's workloads (lib/gate-workloads.ts) then run for base and head
// alternately (base head, head base, ...), each repetition in a fresh child process that imports that tree's src/
// through tsx. No build step is needed: tsx compiles each tree's TypeScript as it is imported.
// The verdicts (lib/gate-verdict.ts): deterministic metrics fail above a 5% rise; noisy ones pass inside a band (the
// spread of both trees' repetitions, at least 5%), warn up to 15% worse, fail beyond; a metric that could not be
// measured fails. Exit code 1 on FAIL, 2 on a usage error. Progress goes to stderr, the verdict table to stdout.

import { type ChildProcess, execFileSync, spawn } from "node:child_process";
import { existsSync, mkdtempSync, readFileSync, rmSync, symlinkSync, writeFileSync } from "node:fs";
import * as os from "node:os";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { parseArgs } from "node:util";
import { positiveInt } from "./lib/args.js";
import {
  DETERMINISTIC_BUDGET,
  formatAllowed,
  formatChange,
  judge,
  type Measured,
  type MetricSpec,
  overall,
  type VerdictRow,
} from "./lib/gate-verdict.js";
import { METRICS, SIZES, type TreeResult } from "./lib/gate-workloads.js";
import { machineInfo, renderTable } from "./lib/runner.js";

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), "..");
const CHILD = join(ROOT, "bench", "lib", "gate-child.ts");
const BASELINE = join(ROOT, "bench", "baseline.json");
const CHILD_TIMEOUT_MS = 180_000;

const log = (line: string): void => {
  process.stderr.write(`${line}\n`);
};

function usage(message: string): never {
  log(`gate: ${message}`);
  log(
    "usage: npm run gate -- --base <git ref> [--head <git ref>] [--reps R] [--json] [--verbose]\n" +
      "       npm run gate -- --check-baseline [--verbose]\n" +
      "       npm run gate -- --update-baseline [--verbose]\n" +
      "  --base REF         compare this working tree (or --head REF) against REF, built in a temporary worktree\n" +
      "  --reps R           child processes per tree, alternating (default 5)\n" +
      "  --check-baseline   measure this tree's deterministic metrics against bench/baseline.json (no git needed)\n" +
      "  --update-baseline  rewrite bench/baseline.json from this tree (say why in the commit message)",
  );
  process.exit(2);
}

function parseOptions() {
  try {
    return parseArgs({
      options: {
        base: { type: "string" },
        head: { type: "string" },
        reps: { type: "string" },
        json: { type: "boolean", default: false },
        verbose: { type: "boolean", default: false },
        "check-baseline": { type: "boolean", default: false },
        "update-baseline": { type: "boolean", default: false },
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
const modes = [args.base !== undefined, args["check-baseline"], args["update-baseline"]].filter(Boolean).length;
if (modes !== 1) usage("give exactly one of --base REF, --check-baseline, --update-baseline");
if (args.head !== undefined && args.base === undefined) usage("--head needs --base");
const reps = args.reps === undefined ? 5 : positiveInt(args.reps, "--reps", usage);

// ---------------------------------------------------------------------------------------------------------------------
// Processes and temporary trees: everything made here is removed on the way out, however that happens.

let running: ChildProcess | undefined;
const worktrees: string[] = [];
let tmpRoot: string | undefined;

function git(gitArgs: string[], cwd = ROOT): string {
  return execFileSync("git", gitArgs, { cwd, encoding: "utf8", stdio: ["ignore", "pipe", "pipe"] }).trim();
}

function cleanup(): void {
  if (running?.pid !== undefined && running.exitCode === null && running.signalCode === null) {
    try {
      process.kill(running.pid, "SIGKILL");
    } catch {
      // already gone
    }
  }
  for (const wt of worktrees.splice(0)) {
    try {
      git(["worktree", "remove", "--force", wt]);
    } catch (e) {
      log(`gate: could not remove the worktree ${wt}: ${e instanceof Error ? e.message : String(e)}`);
    }
  }
  if (tmpRoot !== undefined) {
    rmSync(tmpRoot, { recursive: true, force: true });
    tmpRoot = undefined;
    try {
      git(["worktree", "prune"]);
    } catch {
      // nothing to prune
    }
  }
}
process.on("exit", cleanup);
for (const sig of ["SIGINT", "SIGTERM"] as const) {
  process.on(sig, () => {
    log(`gate: ${sig}: stopping`);
    cleanup();
    process.exit(130);
  });
}

interface Tree {
  label: "base" | "head";
  dir: string;
  /** What was asked for and what it is, for the report. */
  describe: string;
}

/** Checks `ref` out in a fresh worktree under the temp root, with the head's node_modules linked in. */
function worktree(label: "base" | "head", ref: string): Tree {
  let sha: string;
  try {
    sha = git(["rev-parse", "--verify", "--quiet", `${ref}^{commit}`]);
  } catch {
    return usage(`--${label} ${ref}: not a commit in ${ROOT}`);
  }
  if (tmpRoot === undefined) {
    tmpRoot = mkdtempSync(join(os.tmpdir(), "shale-gate-"));
    // A tree that reads ../shared (the specs next to the repository) finds it next to the worktree too.
    const shared = resolve(ROOT, "..", "shared");
    if (existsSync(shared)) symlinkSync(shared, join(tmpRoot, "shared"), "dir");
  }
  const dir = join(tmpRoot, label);
  git(["worktree", "add", "--detach", "--quiet", dir, sha]);
  worktrees.push(dir);
  symlinkSync(join(ROOT, "node_modules"), join(dir, "node_modules"), "dir");
  const subject = git(["log", "-1", "--format=%s", sha]);
  return {
    label,
    dir,
    describe: `${ref} = ${sha.slice(0, 10)} "${subject.length > 60 ? `${subject.slice(0, 57)}...` : subject}"`,
  };
}

function workingTree(): Tree {
  let describe = "this working tree";
  try {
    const sha = git(["rev-parse", "--short=10", "HEAD"]);
    const dirty = git(["status", "--porcelain", "--untracked-files=no"])
      .split("\n")
      .filter((l) => l.length > 0).length;
    describe = `working tree at ${sha}${dirty > 0 ? ` + ${dirty} uncommitted file(s)` : " (clean)"}`;
  } catch {
    // not a git checkout: still measurable
  }
  return { label: "head", dir: ROOT, describe };
}

/** One repetition on one tree, in a child process; a crash or timeout comes back as errors on every metric. */
function runChild(tree: Tree, deterministicOnly: boolean): Promise<TreeResult> {
  const childArgs = ["--import", "tsx", CHILD, tree.dir, ...(deterministicOnly ? ["--deterministic-only"] : [])];
  return new Promise((done) => {
    const t0 = performance.now();
    const child = spawn(process.execPath, childArgs, {
      cwd: ROOT,
      stdio: ["ignore", "pipe", "pipe"],
      // As `npm run shale` and the engine suite do: the engine's fsyncs and bulk work use the libuv pool.
      env: { ...process.env, UV_THREADPOOL_SIZE: "16" },
    });
    running = child;
    let stdout = "";
    let stderr = "";
    child.stdout.setEncoding("utf8").on("data", (s: string) => {
      stdout += s;
    });
    child.stderr.setEncoding("utf8").on("data", (s: string) => {
      stderr += s;
      if (args.verbose) process.stderr.write(s.replace(/^(?=.)/gm, `    [${tree.label}] `));
    });
    const timer = setTimeout(() => {
      stderr += `\n(stopped after ${CHILD_TIMEOUT_MS / 1000} s)`;
      if (child.pid !== undefined) process.kill(child.pid, "SIGKILL");
    }, CHILD_TIMEOUT_MS);
    const failed = (why: string): TreeResult => {
      const errors: Record<string, string> = {};
      for (const m of METRICS) errors[m.name] = why;
      return { tree: tree.dir, node: process.version, metrics: {}, errors, seconds: (performance.now() - t0) / 1000 };
    };
    child.once("error", (e) => {
      clearTimeout(timer);
      done(failed(`could not start the child: ${e.message}`));
    });
    child.once("close", (code, sig) => {
      clearTimeout(timer);
      running = undefined;
      const last = stdout.trim().split("\n").pop() ?? "";
      const tail = stderr.trim().split("\n").slice(-8).join("\n");
      try {
        if (code !== 0) throw new Error(`exited with ${sig ?? code}`);
        const r = JSON.parse(last) as TreeResult;
        if (typeof r.metrics !== "object" || typeof r.errors !== "object") throw new Error("no result on stdout");
        for (const [name, why] of Object.entries(r.errors)) log(`gate: ${tree.label}: ${name}: ${why}`);
        done(r);
      } catch (e) {
        const why = `child ${e instanceof Error ? e.message : String(e)}`;
        log(`gate: ${tree.label}: ${why}\n${tail}`);
        done(failed(`${why}: ${tail.split("\n").pop() ?? ""}`));
      }
    });
  });
}

/** Folds repetitions into one Measured per metric; an error in any repetition marks the metric not measured. */
function collect(results: readonly TreeResult[]): Map<string, Measured> {
  const out = new Map<string, Measured>();
  for (const m of METRICS) {
    const samples: number[] = [];
    let error: string | undefined;
    for (const r of results) {
      const v = r.metrics[m.name];
      if (r.errors[m.name] !== undefined) error ??= r.errors[m.name];
      else if (typeof v === "number") samples.push(v);
      else error ??= "missing from the child's result";
    }
    out.set(m.name, error === undefined ? { samples } : { samples, error });
  }
  return out;
}

// ---------------------------------------------------------------------------------------------------------------------
// Reporting

function fmtValue(x: number, unit: string): string {
  if (!Number.isFinite(x)) return "-";
  if (unit === "B/key" || unit === "fsyncs") return x.toFixed(2);
  return Math.round(x).toLocaleString("en-US");
}

function verdictTable(rows: readonly VerdictRow[], baseLabel: string): string {
  const headers = ["metric", "kind", "unit", baseLabel, "head", "change", "allowed", "verdict", "note"];
  const body = rows.map((r) => [
    r.metric,
    r.kind,
    r.unit,
    fmtValue(r.base, r.unit),
    fmtValue(r.head, r.unit),
    formatChange(r.change),
    formatAllowed(r),
    r.verdict,
    r.note,
  ]);
  return renderTable(headers, body, new Set([3, 4, 5]));
}

function samplesLine(name: string, m: Measured | undefined): string {
  if (!m || m.samples.length === 0) return "-";
  const unit = METRICS.find((x) => x.name === name)?.unit ?? "";
  return m.samples.map((x) => fmtValue(x, unit)).join(", ");
}

function header(title: string): string {
  const m = machineInfo();
  return `${title}\nnode ${process.version}, ${m.cpuCount} x ${m.cpuModel}, ${(m.totalMemBytes / 2 ** 30).toFixed(0)} GiB`;
}

// ---------------------------------------------------------------------------------------------------------------------
// Modes

interface BaselineFile {
  about: string;
  updated: string;
  commit: string;
  node: string;
  sizes: typeof SIZES;
  metrics: Record<string, { value: number; unit: string }>;
}

const deterministic = METRICS.filter((m) => m.kind === "deterministic");

function readBaseline(): BaselineFile | undefined {
  if (!existsSync(BASELINE)) return undefined;
  return JSON.parse(readFileSync(BASELINE, "utf8")) as BaselineFile;
}

async function compareBase(baseRef: string, headRef: string | undefined): Promise<number> {
  const t0 = performance.now();
  const base = worktree("base", baseRef);
  const head = headRef === undefined ? workingTree() : worktree("head", headRef);
  log(`gate: base ${base.describe} in ${base.dir}`);
  log(`gate: head ${head.describe} in ${head.dir}`);
  log(`gate: ${reps} repetition(s) per tree, alternating, each in a fresh child process`);
  const results = new Map<Tree, TreeResult[]>([
    [base, []],
    [head, []],
  ]);
  for (let rep = 0; rep < reps; rep++) {
    for (const tree of rep % 2 === 0 ? [base, head] : [head, base]) {
      const r = await runChild(tree, false);
      results.get(tree)?.push(r);
      const bad = Object.keys(r.errors).length;
      log(
        `gate: rep ${rep + 1}/${reps} ${tree.label}: ${r.seconds.toFixed(1)} s` +
          (bad > 0 ? `, ${bad} metric(s) not measured` : ""),
      );
    }
  }
  const b = collect(results.get(base) ?? []);
  const h = collect(results.get(head) ?? []);
  // Repetition i of base and of head ran next to each other: paired.
  const rows = METRICS.map((m) => judge(m, b.get(m.name), h.get(m.name), { paired: true }));
  const verdict = overall(rows);
  const seconds = (performance.now() - t0) / 1000;
  if (args.json) {
    process.stdout.write(
      `${JSON.stringify({ base: base.describe, head: head.describe, reps, verdict, rows, seconds }, null, 2)}\n`,
    );
  } else {
    const out: string[] = [];
    out.push(header(`\nShale performance gate: head against base, ${reps} alternating repetition(s) per tree`));
    out.push(`base: ${base.describe}\nhead: ${head.describe}\n`);
    out.push(verdictTable(rows, "base"));
    out.push("\nSamples per repetition (base | head):");
    for (const m of METRICS) {
      if (m.kind === "noisy")
        out.push(`  ${m.name}: ${samplesLine(m.name, b.get(m.name))} | ${samplesLine(m.name, h.get(m.name))}`);
    }
    out.push(
      `\nGate: ${verdict} (${rows.filter((r) => r.verdict !== "PASS").length} of ${rows.length} metrics not PASS) in ${seconds.toFixed(0)} s`,
    );
    process.stdout.write(`${out.join("\n")}\n`);
  }
  return verdict === "FAIL" ? 1 : 0;
}

async function checkBaseline(): Promise<number> {
  const t0 = performance.now();
  const head = workingTree();
  const baseline = readBaseline();
  log(`gate: checking ${head.describe} against ${BASELINE}`);
  const r = await runChild(head, true);
  const h = collect([r]);
  // Baselines measured on other data-set sizes say nothing about these: they fail until deliberately updated.
  const sizesChanged = baseline !== undefined && JSON.stringify(baseline.sizes) !== JSON.stringify(SIZES);
  const rows = deterministic.map((m) => {
    const entry = baseline?.metrics[m.name];
    const b: Measured =
      entry === undefined
        ? { samples: [], error: `no committed baseline${baseline ? "" : " file"}; add it with --update-baseline` }
        : sizesChanged
          ? { samples: [], error: "the gate's data-set sizes changed since the baseline; run --update-baseline" }
          : entry.unit !== m.unit
            ? { samples: [], error: `the baseline's unit is ${entry.unit}, the metric's ${m.unit}` }
            : { samples: [entry.value] };
    return judge(m, b, h.get(m.name));
  });
  const verdict = overall(rows);
  const out: string[] = [];
  out.push(header("\nShale performance gate: deterministic metrics against bench/baseline.json"));
  out.push(
    `baseline: ${baseline ? `commit ${baseline.commit}, ${baseline.updated}, node ${baseline.node}` : "missing"}`,
  );
  out.push(`head:     ${head.describe}\n`);
  out.push(verdictTable(rows, "baseline"));
  const unknown = Object.keys(baseline?.metrics ?? {}).filter((n) => !deterministic.some((m) => m.name === n));
  if (unknown.length > 0) out.push(`\nIn the baseline but no longer measured (ignored): ${unknown.join(", ")}`);
  if (rows.some((x) => x.verdict === "PASS" && x.worse < -DETERMINISTIC_BUDGET)) {
    out.push("\nA metric improved by more than the budget: lock it in with --update-baseline (and say why).");
  }
  out.push(`\nBaseline check: ${verdict} in ${((performance.now() - t0) / 1000).toFixed(1)} s`);
  process.stdout.write(`${out.join("\n")}\n`);
  return verdict === "FAIL" ? 1 : 0;
}

async function updateBaseline(): Promise<number> {
  const head = workingTree();
  log(`gate: measuring ${head.describe} for ${BASELINE}`);
  const r = await runChild(head, true);
  const missing = deterministic.filter((m) => r.errors[m.name] !== undefined || typeof r.metrics[m.name] !== "number");
  if (missing.length > 0) {
    log(`gate: not written: ${missing.map((m) => `${m.name} (${r.errors[m.name] ?? "missing"})`).join("; ")}`);
    return 1;
  }
  const old = readBaseline();
  let commit = "unknown";
  try {
    commit = git(["rev-parse", "--short=10", "HEAD"]);
  } catch {
    // not a git checkout
  }
  const next: BaselineFile = {
    about:
      "Committed baselines of the performance gate's deterministic metrics (bench/lib/gate-workloads.ts). " +
      "`npm run gate -- --check-baseline` (in .ci/run) fails when one rises more than 5% above its value here. " +
      "Rewrite with `npm run gate -- --update-baseline` and give the reason in the commit message.",
    updated: new Date().toISOString().slice(0, 10),
    commit,
    node: process.version,
    sizes: SIZES,
    metrics: Object.fromEntries(deterministic.map((m) => [m.name, { value: r.metrics[m.name], unit: m.unit }])),
  };
  writeFileSync(BASELINE, `${JSON.stringify(next, null, 2)}\n`);
  const lines = deterministic.map((m: MetricSpec) => {
    const before = old?.metrics[m.name]?.value;
    const now = r.metrics[m.name];
    const change =
      before === undefined ? "new" : formatChange(before === 0 ? (now === 0 ? 0 : Infinity) : now / before - 1);
    return [m.name, m.unit, before === undefined ? "-" : fmtValue(before, m.unit), fmtValue(now, m.unit), change];
  });
  process.stdout.write(
    `wrote ${BASELINE} (commit ${commit}, node ${process.version})\n\n` +
      `${renderTable(["metric", "unit", "was", "now", "change"], lines, new Set([2, 3, 4]))}\n`,
  );
  return 0;
}

const code = args["check-baseline"]
  ? await checkBaseline()
  : args["update-baseline"]
    ? await updateBaseline()
    : await compareBase(args.base as string, args.head);
cleanup();
process.exit(code);
