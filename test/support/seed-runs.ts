// The driver of the model-based tests (test/model.test.ts, test/table-model.test.ts): which seeds
// run, one `node:test` test per seed, each seed in a worker thread (seed-worker.ts) under a
// watchdog, so that a run that hangs fails with the operations before it instead of stalling.
//
// Environment: SHALE_SEED=<seed> runs that one seed; SHALE_OPS=<n> sets the operations per run;
// SHALE_RUNS=<n> how many seeds; SHALE_STALL_MS the watchdog (default 15 s without a new operation).
// SHALE_TRACE=1 is read by the runs themselves.

import assert from "node:assert/strict";
import { test } from "node:test";
import { Worker } from "node:worker_threads";
import type { SeedMessage, SeedWorkerData } from "./seed-worker.js";

function envInt(name: string): number | undefined {
  const raw = process.env[name];
  if (raw === undefined || raw.trim() === "") return undefined;
  const n = Number(raw.trim());
  if (!Number.isSafeInteger(n) || n < 0) throw new Error(`${name} must be a non-negative integer, got ${raw}`);
  return n;
}

export interface SeedTestOptions {
  /** Test name prefix, e.g. "model". */
  name: string;
  /** The test file, for the replay command in failures (e.g. "test/model.test.ts"). */
  testFile: string;
  /** URL of the module exporting the run (a SeedRun), and the export's name. */
  module: string;
  exportName: string;
  defaultSeeds: readonly number[];
  defaultOps: number;
}

/**
 * Starts a worker running seed-worker.ts. The worker registers tsx itself (a worker does not
 * inherit the parent's module hooks on Node 20) before it loads the TypeScript.
 */
function startWorker(data: SeedWorkerData): Worker {
  const tsx = import.meta.resolve("tsx/esm/api");
  const entry = new URL("./seed-worker.ts", import.meta.url).href;
  const code =
    `import(${JSON.stringify(tsx)}).then((api) => { api.register(); return import(${JSON.stringify(entry)}); })` +
    ".catch((err) => { throw err; });";
  return new Worker(code, { eval: true, workerData: data });
}

/** Runs one seed in a worker; resolves with its summary, rejects with its failure or a hang report. */
function runSeed(o: SeedTestOptions, seed: number, ops: number, stallMs: number): Promise<string> {
  return new Promise<string>((resolve, reject) => {
    const worker = startWorker({ module: o.module, exportName: o.exportName, seed, ops });
    const recent: string[] = [];
    let finished = false;
    const replay = `replay: SHALE_SEED=${seed} SHALE_TRACE=1 node --import tsx --test ${o.testFile}`;
    const stuck = (what: string) =>
      new Error(
        `seed=${seed}: ${what} during ${recent.length > 0 ? recent[recent.length - 1] : "setup"}\n  ${replay}\n` +
          `  operations before it:\n    ${recent.slice(-16, -1).join("\n    ")}`,
      );
    const finish = (err: Error | null, summary = "") => {
      if (finished) return;
      finished = true;
      clearTimeout(timer);
      void worker.terminate();
      if (err) reject(err);
      else resolve(summary);
    };
    let timer = setTimeout(() => undefined, 0);
    const arm = () => {
      clearTimeout(timer);
      timer = setTimeout(
        () =>
          finish(
            stuck(`no operation started for ${stallMs} ms: the run hung (an endless loop, or a wait that never ends)`),
          ),
        stallMs,
      );
    };
    arm();
    worker.on("message", (m: SeedMessage) => {
      if (m.type === "op") {
        recent.push(`#${m.index} ${m.desc.length > 300 ? `${m.desc.slice(0, 300)}…` : m.desc}`);
        if (recent.length > 40) recent.shift();
        arm();
      } else if (m.type === "done") {
        finish(null, m.summary);
      } else {
        const err = new Error(m.message);
        err.stack = `${m.message}\n${m.stack}`;
        finish(err);
      }
    });
    worker.on("error", (err) => finish(err));
    worker.on("exit", (code) =>
      finish(
        stuck(
          `the run stopped (worker exit code ${code}) without finishing: a promise that never settles ` +
            "left nothing to run",
        ),
      ),
    );
  });
}

/** Declares one test per seed. */
export function seededTests(o: SeedTestOptions): void {
  const onlySeed = envInt("SHALE_SEED");
  const ops = envInt("SHALE_OPS") ?? o.defaultOps;
  const runs = envInt("SHALE_RUNS") ?? o.defaultSeeds.length;
  const stallMs = envInt("SHALE_STALL_MS") ?? 15_000;
  const seeds =
    onlySeed !== undefined
      ? [onlySeed]
      : Array.from({ length: runs }, (_, i) => o.defaultSeeds[i] ?? o.defaultSeeds[0] + i * 7919);
  for (const seed of seeds) {
    test(`${o.name}: seed ${seed} (${ops} operations)`, async (t) => {
      const summary = await runSeed(o, seed, ops, stallMs);
      assert.ok(summary.length > 0);
      t.diagnostic(summary);
    });
  }
}
