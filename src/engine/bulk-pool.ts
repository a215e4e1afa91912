// The bulk worker pool: two worker threads (bulk-worker.ts) shared by everything in the process
// that sorts, groups or composes packed runs or builds segment files from them (sortRuns,
// groupCodedPiece and composeSorted in bulk-sort.ts, Store.ingestRuns).
// One pool per process, because the machine has few cores and starting a worker costs tens of
// milliseconds (hundreds when it must load TypeScript sources).
//
// The workers start on first use (or on `prestartBulkWorkers()`), are unreferenced while idle so
// they never keep the process alive, and are terminated a while (IDLE_STOP_MS) after the last
// store that used them closes (they start again if needed). Jobs queue in the pool (sorting,
// composing and grouping ahead of file builds) and go to a worker while it has fewer than two
// jobs using the CPU (a chunk job reports when only its fdatasync remains), so the queue balances
// the load to the end, a worker never waits for the main thread between jobs, and each file's
// fdatasync overlaps the next file's encoding. Runs travel in SharedArrayBuffers: posting them
// copies nothing.

import type { Worker } from "node:worker_threads";
import { reviveError, startEngineWorker, type WorkerError } from "./compaction-worker-client.js";
import type { PackedRun } from "./packed-run.js";
import type { ChunkJob } from "./run-build.js";
import type { CodedPiece, CodedRun } from "./run-compose.js";
import type { FileMeta } from "./version.js";

type BulkJob =
  | { type: "sort"; run: PackedRun; index: number }
  | { type: "compose"; coded: CodedRun; index: number }
  | { type: "group"; codes: Uint32Array; tails: PackedRun; tailStart: number; start: number; end: number }
  | { type: "build"; job: ChunkJob };
export type BulkRequest = BulkJob & { id: number };

interface Pending {
  job: BulkJob;
  resolve: (r: unknown) => void;
  reject: (e: Error) => void;
  /** Checked when the job is about to start; a cancelled job is rejected without running. */
  cancelled?: () => boolean;
}

interface Slot {
  worker: Worker;
  /** Jobs given to the worker and not yet answered. */
  running: Map<number, Pending>;
  /** Of those, the ones still using the CPU (a chunk job leaves this set when only its fdatasync is left). */
  computing: Set<number>;
}

export class BulkJobCancelledError extends Error {
  constructor() {
    super("bulk job cancelled before it started");
    this.name = "BulkJobCancelledError";
  }
}

/**
 * CPU jobs a worker is given at once: the one it runs and one waiting in its port, which it starts
 * as soon as the first ends. With one, a worker that finished waited for the main thread to see
 * its reply before it got the next job, and a main thread busy encoding (a bulk load's pass, which
 * yields every 64K rows) gave each worker one job per yield: measured at 1M grants, the record
 * files were not written until the pass ended.
 */
const AHEAD = 2;

/**
 * How long the workers stay after the last store using them closed (unreferenced: they never keep
 * the process alive). Long enough that a program doing bulk work now and then keeps threads whose
 * code the JIT has compiled: measured on 2 cores, a bulk load of 1M grants on freshly started
 * workers took ~850 ms against ~700 ms on warm ones (and with a warm-up job ~1,000 ms).
 */
export const IDLE_STOP_MS = 30_000;

export class BulkPool {
  private stopTimer: ReturnType<typeof setTimeout> | null = null;
  private readonly slots: Array<Slot | null>;
  private readonly queue: Pending[] = [];
  private nextId = 1;
  private leases = 0;
  private stopWhenIdle = false;
  /** See IDLE_STOP_MS (tests shorten it). */
  idleStopMs = IDLE_STOP_MS;

  constructor(readonly size = 2) {
    this.slots = Array.from({ length: size }, () => null);
  }

  /** Starts any worker not running yet (they stay unreferenced until given work). */
  prestart(): void {
    for (let i = 0; i < this.size; i++) if (!this.slots[i]) this.startSlot(i);
  }

  /** Sorts a run (SharedArrayBuffer-backed) on a worker: the sorted run, or null if it was in order. */
  sort(run: PackedRun, index = 0): Promise<PackedRun | null> {
    return this.submit({ type: "sort", run, index }) as Promise<PackedRun | null>;
  }

  /** Composes a coded run, sorted, on a worker (see run-compose.ts). */
  compose(coded: CodedRun, index = 0): Promise<PackedRun> {
    return this.submit({ type: "compose", coded, index }) as Promise<PackedRun>;
  }

  /** Groups entries [start, end) of a coded run by code on a worker (see run-compose.ts). */
  group(codes: Uint32Array, tails: PackedRun, tailStart: number, start: number, end: number): Promise<CodedPiece> {
    return this.submit({ type: "group", codes, tails, tailStart, start, end }) as Promise<CodedPiece>;
  }

  /** Writes one chunk as a segment file on a worker (see run-build.ts); skipped if `cancelled()` when it comes up. */
  build(job: ChunkJob, cancelled?: () => boolean): Promise<FileMeta> {
    return this.submit({ type: "build", job }, cancelled) as Promise<FileMeta>;
  }

  /**
   * Registers a user that wants the workers stopped when it is done (a store); the returned
   * function ends the lease. When the last lease ends the workers are terminated once idle.
   */
  lease(): () => void {
    this.leases++;
    this.stopWhenIdle = false;
    let done = false;
    return () => {
      if (done) return;
      done = true;
      if (--this.leases === 0) {
        this.stopWhenIdle = true;
        this.maybeStop();
      }
    };
  }

  /** Worker threads running now. */
  get workers(): number {
    let n = 0;
    for (const s of this.slots) if (s) n++;
    return n;
  }

  /** Jobs running or queued. */
  get busy(): number {
    let n = this.queue.length;
    for (const s of this.slots) if (s) n += s.running.size;
    return n;
  }

  /** Terminates the workers now; running and queued jobs fail. */
  terminate(): void {
    const err = new Error("the bulk worker pool was terminated");
    for (const p of this.queue.splice(0)) p.reject(err);
    for (let i = 0; i < this.size; i++) this.killSlot(i, err);
  }

  private submit(job: BulkJob, cancelled?: () => boolean): Promise<unknown> {
    return new Promise((resolve, reject) => {
      const p: Pending = { job, resolve, reject, cancelled };
      // Sorting, composing and grouping produce runs that more work waits for, and are short next
      // to writing a file: they go ahead of the queued builds (in their own order).
      if (job.type === "build") this.queue.push(p);
      else {
        let at = 0;
        while (at < this.queue.length && this.queue[at].job.type !== "build") at++;
        this.queue.splice(at, 0, p);
      }
      this.pump();
    });
  }

  private pump(): void {
    while (this.queue.length > 0) {
      // A worker with fewer than AHEAD jobs using the CPU (starting one if a slot is empty); the
      // one with the fewest, then the one waiting on the fewest fdatasyncs.
      let best = -1;
      let bestLoad = Number.POSITIVE_INFINITY;
      for (let i = 0; i < this.size; i++) {
        const slot = this.slots[i];
        const computing = slot?.computing.size ?? 0;
        if (computing >= AHEAD) continue;
        const load = computing * 1024 + (slot?.running.size ?? 0);
        if (load < bestLoad) {
          best = i;
          bestLoad = load;
        }
      }
      if (best < 0) return;
      const p = this.queue.shift() as Pending;
      if (p.cancelled?.()) {
        p.reject(new BulkJobCancelledError());
        continue;
      }
      let slot = this.slots[best];
      if (!slot) slot = this.startSlot(best);
      const id = this.nextId++;
      slot.running.set(id, p);

      slot.computing.add(id);
      slot.worker.ref();
      const msg: BulkRequest = { id, ...p.job };
      try {
        slot.worker.postMessage(msg);
      } catch (err) {
        slot.running.delete(id);
        slot.computing.delete(id);
        p.reject(err as Error);
      }
    }
  }

  private startSlot(i: number): Slot {
    const worker = startEngineWorker("bulk-worker", { bundle: true });
    const slot: Slot = { worker, running: new Map(), computing: new Set() };
    this.slots[i] = slot;
    worker.unref();
    worker.on("message", (msg: { id: number; written?: boolean; result?: unknown; error?: WorkerError }) => {
      const p = slot.running.get(msg.id);
      if (!p) return;
      slot.computing.delete(msg.id);
      if (msg.written) {
        this.pump();
        return;
      }
      slot.running.delete(msg.id);
      if (slot.running.size === 0) worker.unref();
      if (msg.error) p.reject(reviveError(msg.error));
      else p.resolve(msg.result ?? null);
      this.pump();
      this.maybeStop();
    });
    const fail = (err: Error) => {
      if (this.slots[i] !== slot) return;
      this.slots[i] = null;
      for (const p of slot.running.values()) p.reject(err);
      slot.running.clear();
      slot.computing.clear();
      this.pump();
    };
    worker.on("error", (err) => fail(err));
    worker.on("exit", (code) => fail(new Error(`a bulk worker thread exited (code ${code})`)));
    return slot;
  }

  private killSlot(i: number, err: Error): void {
    const slot = this.slots[i];
    if (!slot) return;
    this.slots[i] = null;
    for (const p of slot.running.values()) p.reject(err);
    slot.running.clear();
    slot.computing.clear();
    void slot.worker.terminate();
  }

  private maybeStop(): void {
    if (!this.stopWhenIdle || this.leases > 0 || this.busy > 0) return;
    // Not at once: a program that closes one store and opens the next (a pack per request, say)
    // would pay the worker start-up (tens of ms) every time. The timer is unreferenced.
    if (this.stopTimer) clearTimeout(this.stopTimer);
    this.stopTimer = setTimeout(() => {
      this.stopTimer = null;
      if (!this.stopWhenIdle || this.leases > 0 || this.busy > 0) return;
      this.stopWhenIdle = false;
      for (let i = 0; i < this.size; i++) this.killSlot(i, new Error("the bulk worker pool was stopped"));
    }, this.idleStopMs);
    this.stopTimer.unref();
  }
}

let shared: BulkPool | null = null;

/** The process's bulk worker pool (created on first use; workers start on first job). */
export function bulkPool(): BulkPool {
  if (!shared) shared = new BulkPool(2);
  return shared;
}

/**
 * Starts the bulk worker threads now rather than on the first job: call it before encoding runs
 * on the main thread, and the workers' start-up overlaps that work.
 */
export function prestartBulkWorkers(): void {
  bulkPool().prestart();
}
