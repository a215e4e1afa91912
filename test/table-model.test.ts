// Model-based randomized test of tables (src/table). This file owns the test driver: which seeds
// run, and a watchdog around each run. The run itself is in test/support/table-model-run.ts: per
// seed, 1-3 tables with random schemas (field types, optional fields, compound primary keys, 1-3
// secondary indexes with mixed directions, some unique) in one store on an in-memory disk with tiny
// engine options, a weighted random mix of inserts, upserts, updates, deletes (some issued in one
// event-loop turn), flushes, compactions, reopens and snapshots, with every get, index query, count,
// cursor walk and the number of engine keys per index compared with a plain in-memory model
// (test/support/table-model-model.ts). Each run is in a worker thread
// (test/support/table-model-worker.ts), so that a table or store that hangs fails the test instead
// of stalling it.
//
// Runs are fully determined by their seed. A failure names the seed, the operation index and the
// recent operations, and replays with
//
//   SHALE_SEED=<seed> SHALE_TRACE=1 node --import tsx --test test/table-model.test.ts
//
// Environment: SHALE_SEED=<n> runs only that seed; SHALE_OPS=<n> sets the operations per run
// (default 600); SHALE_RUNS=<n> sets how many seeds run (default 8); SHALE_TRACE=1 prints every
// operation as it runs; SHALE_STALL_MS=<n> is how long a run may go without starting an operation
// before it counts as hung (default 15000).

import assert from "node:assert/strict";
import { test } from "node:test";
import { Worker } from "node:worker_threads";
import type { TableModelMessage, TableModelWorkerData } from "./support/table-model-worker.js";

const DEFAULT_SEEDS = [0x7ab1e01, 0x7ab1e02, 0x7ab1e03, 0x7ab1e04, 0x7ab1e05, 0x7ab1e06, 0x7ab1e07, 0x7ab1e08];

function envInt(name: string): number | undefined {
  const raw = process.env[name];
  if (raw === undefined || raw.trim() === "") return undefined;
  const n = Number(raw.trim());
  if (!Number.isSafeInteger(n) || n < 0) throw new Error(`${name} must be a non-negative integer, got ${raw}`);
  return n;
}

const onlySeed = envInt("SHALE_SEED");
const opsPerRun = envInt("SHALE_OPS") ?? 600;
const runs = envInt("SHALE_RUNS") ?? DEFAULT_SEEDS.length;
const stallMs = envInt("SHALE_STALL_MS") ?? 15_000;
const seeds =
  onlySeed !== undefined
    ? [onlySeed]
    : Array.from({ length: runs }, (_, i) => DEFAULT_SEEDS[i] ?? DEFAULT_SEEDS[0] + i * 7919);

/**
 * Starts a worker running `test/support/table-model-worker.ts`. The worker registers tsx itself (a
 * worker does not inherit the parent's module hooks on Node 20) before it loads the TypeScript.
 */
function startWorker(data: TableModelWorkerData): Worker {
  const tsx = import.meta.resolve("tsx/esm/api");
  const entry = new URL("./support/table-model-worker.ts", import.meta.url).href;
  const code =
    `import(${JSON.stringify(tsx)}).then((api) => { api.register(); return import(${JSON.stringify(entry)}); })` +
    ".catch((err) => { throw err; });";
  return new Worker(code, { eval: true, workerData: data });
}

/** Runs one seed in a worker; resolves with its summary, rejects with its failure or a hang report. */
function runSeed(seed: number): Promise<string> {
  return new Promise<string>((resolve, reject) => {
    const worker = startWorker({ seed, ops: opsPerRun });
    const recent: string[] = [];
    let finished = false;
    const replay = `replay: SHALE_SEED=${seed} SHALE_TRACE=1 node --import tsx --test test/table-model.test.ts`;
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
    worker.on("message", (m: TableModelMessage) => {
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

for (const seed of seeds) {
  test(`table model: seed ${seed} (${opsPerRun} operations)`, async (t) => {
    const summary = await runSeed(seed);
    assert.ok(summary.length > 0);
    t.diagnostic(summary);
  });
}
