// The main thread's handle on the compaction worker thread: one lazily started worker, one job at
// a time, results and errors carried back as promises. The worker is unreferenced while idle so
// an open store does not keep the process alive. Also the two helpers every engine worker thread
// shares (the bulk pool too): starting one from sources or a build, and reviving its errors.

import { createRequire } from "node:module";
import { fileURLToPath } from "node:url";
import { Worker } from "node:worker_threads";
import { CorruptionError } from "../format/errors.js";
import { FsError, type FsOp } from "../fs/types.js";
import type { CompactionJob, CompactionResult } from "./compaction.js";
import { InvalidArgumentError } from "./errors.js";

export interface WorkerError {
  name: string;
  message: string;
  code?: string;
  file?: string;
  op?: string;
}

/** Rebuilds an error a worker posted back (as { name, message, code, file }) as the engine's own types. */
export function reviveError(e: WorkerError): Error {
  if (e.name === "CorruptionError") {
    const err = new CorruptionError(e.file ?? "?", e.message);
    err.message = e.message;
    return err;
  }
  if (e.name === "FsError" && e.code) return new FsError(e.code, (e.op ?? "write") as FsOp, e.file ?? "?", e.message);
  if (e.name === "InvalidArgumentError") return new InvalidArgumentError(e.message);
  const err = new Error(e.message);
  err.name = e.name;
  return err;
}

const bundles = new Map<string, string | null>();

/**
 * From sources: the worker's entry point and everything it imports as one CommonJS script, made
 * with esbuild (which tsx brings), or null if that fails. Loading tsx inside each worker costs
 * 0.4-1.5 s on a 2-core machine; a bundle loads in tens of milliseconds. Made once per process.
 */
function devBundle(name: string): string | null {
  let code = bundles.get(name);
  if (code !== undefined) return code;
  try {
    const esbuild = createRequire(import.meta.url)("esbuild") as {
      buildSync(o: object): { outputFiles: Array<{ text: string }> };
    };
    const out = esbuild.buildSync({
      entryPoints: [fileURLToPath(new URL(`./${name}.ts`, import.meta.url))],
      bundle: true,
      platform: "node",
      format: "cjs",
      target: "node20",
      write: false,
      packages: "external",
      logLevel: "silent",
    });
    code = out.outputFiles[0].text;
  } catch {
    code = null;
  }
  bundles.set(name, code);
  return code;
}

/**
 * Starts the worker thread whose entry point is `./<name>.ts` (from sources) or `./<name>.js`
 * (built). With `bundle`, a worker started from sources runs an esbuild bundle of its code
 * instead of loading tsx (its modules must not depend on import.meta).
 */
export function startEngineWorker(name: string, options: { bundle?: boolean } = {}): Worker {
  if (import.meta.url.endsWith(".ts")) {
    const code = options.bundle ? devBundle(name) : null;
    if (code !== null) return new Worker(code, { eval: true });
    // Running from TypeScript sources (tests, benchmarks): on Node 20 a worker does not inherit the
    // tsx loader, so register it inside the worker before loading the entry point.
    const entry = new URL(`./${name}.ts`, import.meta.url).href;
    const tsx = import.meta.resolve("tsx/esm/api");
    const boot = `import(${JSON.stringify(tsx)}).then((m) => { m.register(); return import(${JSON.stringify(entry)}); })`;
    return new Worker(boot, { eval: true });
  }
  return new Worker(new URL(`./${name}.js`, import.meta.url));
}

export class CompactionWorker {
  private worker: Worker | null = null;
  private nextId = 1;
  private terminated = false;
  private readonly jobs = new Map<number, { resolve: (r: CompactionResult) => void; reject: (e: Error) => void }>();

  private start(): Worker {
    if (this.worker) return this.worker;
    const w = startEngineWorker("compaction-worker");
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
