// Entry point of the compaction worker thread: runs compaction jobs (compaction.ts) on the real
// file system, off the main event loop, and posts back their results.

import { parentPort } from "node:worker_threads";
import { NodeFileSystem } from "../fs/node.js";
import { type CompactionJob, runCompactionJob } from "./compaction.js";

const fs = new NodeFileSystem();

if (!parentPort) throw new Error("compaction-worker.ts must run as a worker thread");
const port = parentPort;

port.on("message", async (msg: { id: number; job: CompactionJob }) => {
  try {
    const result = await runCompactionJob(fs, msg.job);
    port.postMessage({ id: msg.id, result });
  } catch (err) {
    const e = err as Error & { code?: string; file?: string };
    port.postMessage({ id: msg.id, error: { name: e.name, message: e.message, code: e.code, file: e.file } });
  }
});
