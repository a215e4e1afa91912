// The main thread's handle on the compaction worker thread: one lazily started worker, one job at
// a time, results and errors carried back as promises. The worker is unreferenced while idle so
// an open store does not keep the process alive.

import { Worker } from "node:worker_threads";
import { CorruptionError } from "../format/errors.js";
import { FsError, type FsOp } from "../fs/types.js";
import type { CompactionJob, CompactionResult } from "./compaction.js";

interface WorkerError {
  name: string;
  message: string;
  code?: string;
  file?: string;
}

function reviveError(e: WorkerError): Error {
  if (e.name === "CorruptionError") {
    const err = new CorruptionError(e.file ?? "?", e.message);
    err.message = e.message;
    return err;
  }
  if (e.name === "FsError" && e.code) return new FsError(e.code, "write" as FsOp, e.file ?? "?", e.message);
  const err = new Error(e.message);
  err.name = e.name;
  return err;
}

export class CompactionWorker {
  private worker: Worker | null = null;
  private nextId = 1;
  private terminated = false;
  private readonly jobs = new Map<number, { resolve: (r: CompactionResult) => void; reject: (e: Error) => void }>();

  private start(): Worker {
    if (this.worker) return this.worker;
    let w: Worker;
    if (import.meta.url.endsWith(".ts")) {
      // Running from TypeScript sources (tests, benchmarks): on Node 20 a worker does not inherit the
      // tsx loader, so register it inside the worker before loading the entry point.
      const entry = new URL("./compaction-worker.ts", import.meta.url).href;
      const tsx = import.meta.resolve("tsx/esm/api");
      const boot = `import(${JSON.stringify(tsx)}).then((m) => { m.register(); return import(${JSON.stringify(entry)}); })`;
      w = new Worker(boot, { eval: true });
    } else {
      w = new Worker(new URL("./compaction-worker.js", import.meta.url));
    }
    w.on("message", (msg: { id: number; result?: CompactionResult; error?: WorkerError }) => {
      const job = this.jobs.get(msg.id);
      if (!job) return;
      this.jobs.delete(msg.id);
      if (this.jobs.size === 0) w.unref();
      if (msg.error) job.reject(reviveError(msg.error));
      else job.resolve(msg.result as CompactionResult);
    });
    const failAll = (err: Error) => {
      for (const job of this.jobs.values()) job.reject(err);
      this.jobs.clear();
      this.worker = null;
    };
    w.on("error", (err) => failAll(err));
    w.on("exit", (code) => failAll(new Error(`the compaction worker exited (code ${code})`)));
    this.worker = w;
    return w;
  }

  run(job: CompactionJob): Promise<CompactionResult> {
    if (this.terminated) return Promise.reject(new Error("compaction stopped because the store is closing"));
    const w = this.start();
    const id = this.nextId++;
    w.ref();
    return new Promise((resolve, reject) => {
      this.jobs.set(id, { resolve, reject });
      w.postMessage({ id, job });
    });
  }

  terminate(): void {
    this.terminated = true;
    const w = this.worker;
    this.worker = null;
    if (w) void w.terminate();
  }
}
