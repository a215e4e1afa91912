// Worker-thread entry of the table model test (test/table-model.test.ts): runs one seed of
// `runTableModel` and reports to the parent thread as it goes. This file owns that message
// protocol. Running in a worker lets the parent stop a run that hangs (a table write waiting on a
// lock that is never released, a promise that never settles, an endless loop of microtasks).

import { parentPort, workerData } from "node:worker_threads";
import { runTableModel } from "./table-model-run.js";

/** What the worker tells its parent. */
export type TableModelMessage =
  | { type: "op"; index: number; desc: string }
  | { type: "done"; summary: string }
  | { type: "failed"; message: string; stack: string };

export interface TableModelWorkerData {
  seed: number;
  ops: number;
}

const port = parentPort;
if (port === null) throw new Error("table-model-worker.ts runs in a worker thread (see test/table-model.test.ts)");
const { seed, ops } = workerData as TableModelWorkerData;
const send = (m: TableModelMessage) => port.postMessage(m);

try {
  const summary = await runTableModel(seed, ops, { progress: (index, desc) => send({ type: "op", index, desc }) });
  send({ type: "done", summary });
} catch (err) {
  const e = err instanceof Error ? err : new Error(String(err));
  let stack = e.stack ?? "";
  if (e.cause instanceof Error) stack += `\ncaused by: ${e.cause.stack ?? e.cause.message}`;
  send({ type: "failed", message: e.message, stack });
}
