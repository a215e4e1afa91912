// Worker-thread entry of the model-based tests (see seed-runs.ts): imports the run function it is
// told to, runs one seed of it and reports to the parent thread as it goes. This file owns that
// message protocol. Running in a worker lets the parent stop a run that hangs, even one stuck in
// an endless chain of microtasks that would starve every timer of its own thread.

import { parentPort, workerData } from "node:worker_threads";

/** What the worker tells its parent. */
export type SeedMessage =
  | { type: "op"; index: number; desc: string }
  | { type: "done"; summary: string }
  | { type: "failed"; message: string; stack: string };

/** A seeded run: `(seed, ops, { progress })` resolving to a summary, rejecting on a failure. */
export type SeedRun = (
  seed: number,
  ops: number,
  hooks: { progress?: (index: number, desc: string) => void },
) => Promise<string>;

export interface SeedWorkerData {
  /** URL of the module exporting the run, and the export's name. */
  module: string;
  exportName: string;
  seed: number;
  ops: number;
}

const port = parentPort;
if (port === null) throw new Error("seed-worker.ts runs in a worker thread (see test/support/seed-runs.ts)");
const { module, exportName, seed, ops } = workerData as SeedWorkerData;
const send = (m: SeedMessage) => port.postMessage(m);

try {
  const run = (await import(module))[exportName] as SeedRun;
  const summary = await run(seed, ops, { progress: (index, desc) => send({ type: "op", index, desc }) });
  send({ type: "done", summary });
} catch (err) {
  const e = err instanceof Error ? err : new Error(String(err));
  let stack = e.stack ?? "";
  if (e.cause instanceof Error) stack += `\ncaused by: ${e.cause.stack ?? e.cause.message}`;
  send({ type: "failed", message: e.message, stack });
}
