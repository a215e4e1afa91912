// Entry point of a bulk worker thread (see bulk-pool.ts): sorts packed runs (run-sort.ts), composes
// coded runs (run-compose.ts) and writes segment files from chunks of sorted runs (run-build.ts)
// on the real file system, off the main event loop. Runs arrive in SharedArrayBuffers, read in place; sorted runs go back the same
// way, so nothing big is copied between threads.
//
// There is no warm-up job: measured on 2 cores, warming up with synthetic work cost a cold bulk
// load of 1M grants more than it saved (the JIT compiles the same code either way, and the warm-up
// competes with the main thread for the cores), so the pool keeps its workers instead (bulk-pool.ts).

import { parentPort } from "node:worker_threads";
import { NodeFileSystem } from "../fs/node.js";
import type { BulkRequest } from "./bulk-pool.js";
import { checkRunOffsets } from "./packed-run.js";
import { writeChunk } from "./run-build.js";
import { checkCodedRun, checkPiece, composeRun, groupPiece } from "./run-compose.js";
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
    } else if (msg.type === "group") {
      checkPiece(msg.codes, msg.tails, msg.tailStart, msg.start, msg.end);
      port.postMessage({ id: msg.id, result: groupPiece(msg.codes, msg.tails, msg.tailStart, msg.start, msg.end) });
    } else if (msg.type === "compose") {
      checkCodedRun(msg.coded, msg.index);
      port.postMessage({ id: msg.id, result: composeRun(msg.coded, true) });
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
