// Worker-thread entry of the model test (test/model.test.ts): runs one seed of `runModel` and
// reports to the parent thread as it goes. This file owns that message protocol. Running in a
// worker lets the parent stop a run that hangs, even one stuck in an endless chain of microtasks
// that would starve every timer of its own thread.

import { parentPort, workerData } from "node:worker_threads";
import { runModel } from "./model-run.js";

/** What the worker tells its parent. */
export type ModelMessage =
  | { type: "op"; index: number; desc: string }
  | { type: "done"; summary: string }
  | { type: "failed"; message: string; stack: string };

export interface ModelWorkerData {
  seed: number;
  ops: number;
}

const port = parentPort;
if (port === null) throw new Error("model-worker.ts runs in a worker thread (see test/model.test.ts)");
const { seed, ops } = workerData as ModelWorkerData;
const send = (m: ModelMessage) => port.postMessage(m);

try {
  const summary = await runModel(seed, ops, { progress: (index, desc) => send({ type: "op", index, desc }) });
  send({ type: "done", summary });
} catch (err) {
  const e = err instanceof Error ? err : new Error(String(err));
  let stack = e.stack ?? "";
  if (e.cause instanceof Error) stack += `\ncaused by: ${e.cause.stack ?? e.cause.message}`;
  send({ type: "failed", message: e.message, stack });
}
