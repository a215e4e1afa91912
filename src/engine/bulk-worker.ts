// Entry point of a bulk worker thread (see bulk-pool.ts): sorts packed runs (run-sort.ts) and
// writes segment files from chunks of sorted runs (run-build.ts) on the real file system, off the
// main event loop. Runs arrive in SharedArrayBuffers, read in place; sorted runs go back the same
// way, so nothing big is copied between threads.

import { parentPort } from "node:worker_threads";
import { NodeFileSystem } from "../fs/node.js";
import type { BulkRequest } from "./bulk-pool.js";
import { checkRunOffsets } from "./packed-run.js";
import { writeChunk } from "./run-build.js";
import { sortRun } from "./run-sort.js";

const fs = new NodeFileSystem();

if (!parentPort) throw new Error("bulk-worker.ts must run as a worker thread");
const port = parentPort;

port.on("message", async (msg: BulkRequest) => {
  try {
    if (msg.type === "sort") {
      checkRunOffsets(msg.run, msg.index, 0, msg.run.count);
      const sorted = sortRun(msg.run, true);
      port.postMessage({ id: msg.id, result: sorted === msg.run ? null : sorted });
    } else {
      const onWritten = () => port.postMessage({ id: msg.id, written: true });
      port.postMessage({ id: msg.id, result: await writeChunk(fs, msg.job, { onWritten }) });
    }
  } catch (err) {
    const e = err as Error & { code?: string; path?: string; file?: string; op?: string };
    port.postMessage({
      id: msg.id,
      error: { name: e.name, message: e.message, code: e.code, file: e.file ?? e.path, op: e.op },
    });
  }
});
