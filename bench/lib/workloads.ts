// The engine benchmark's workloads, after LevelDB's db_bench: fills, overwrite, random and sequential reads, synced
// single writes, concurrent synced writes (group commit) and bulk ingest. Each has an untimed prepare step, a timed run
// that returns the number of operations done, and a cheap, untimed correctness check that throws when results are wrong.

import { type BenchData, bytesEqual, type Entry, seededRandom } from "./data.js";
import type { Durability, KvSystem } from "./systems.js";

export interface Workload {
  name: string;
  /** The durability mode the system is opened with. */
  openMode: Durability;
  /** The durability label for a system's row. */
  mode(sys: KvSystem): string;
  /** What exactly was measured (batch size, sync or async reads, ...), for a system's row. */
  detail(sys: KvSystem): string;
  prepare?(sys: KvSystem): Promise<void>;
  /** The timed part; returns how many operations it did. */
  run(sys: KvSystem): Promise<number>;
  verify?(sys: KvSystem, ops: number): Promise<void>;
}

export interface WorkloadParams {
  batchSize: number;
  fillsyncMaxWrites: number;
  fillsyncMaxMs: number;
  concurrentWrites: number;
}

export const WORKLOAD_NAMES = [
  "fillseq",
  "fillrandom",
  "overwrite",
  "readrandom",
  "readseq",
  "readreverse",
  "fillsync",
  "concurrent",
  "ingest",
] as const;
export type WorkloadName = (typeof WORKLOAD_NAMES)[number];

function fail(sys: KvSystem, workload: string, message: string): never {
  throw new Error(`${workload}/${sys.name}: correctness check failed: ${message}`);
}

async function writeBatches(sys: KvSystem, batches: Entry[][]): Promise<void> {
  for (const batch of batches) await sys.putBatch(batch);
}

/** Reads `samples` random keys among the first `limit` of `order` and checks each value. */
async function checkSample(
  sys: KvSystem,
  workload: string,
  data: BenchData,
  expected: (i: number) => Uint8Array,
  samples = 200,
  order?: Uint32Array,
  limit = data.n,
): Promise<void> {
  const rnd = seededRandom(99);
  for (let s = 0; s < samples; s++) {
    const j = Math.floor(rnd() * limit);
    const i = order ? order[j] : j;
    const got = await sys.get(data.keys[i]);
    if (got === undefined) fail(sys, workload, `key ${i} missing`);
    if (!bytesEqual(got, expected(i))) fail(sys, workload, `key ${i} has the wrong value`);
  }
}

export function makeWorkloads(data: BenchData, p: WorkloadParams): Record<WorkloadName, Workload> {
  const n = data.n;
  const original = (i: number): Uint8Array => data.values[i];
  const batchNote = `batch ${p.batchSize}`;
  const standardMode = (mode: Durability) => (sys: KvSystem) => sys.describeMode(mode);

  const fill = (order: "seq" | "random", name: string): Workload => ({
    name,
    openMode: "none",
    mode: standardMode("none"),
    detail: () => batchNote,
    async prepare() {
      data.batches(order, p.batchSize);
    },
    async run(sys) {
      await writeBatches(sys, data.batches(order, p.batchSize));
      return n;
    },
    async verify(sys) {
      await checkSample(sys, name, data, original);
    },
  });

  /** The untimed fill before the read workloads: random order, batched, then the system's settle step. */
  const fillForReads = async (sys: KvSystem): Promise<void> => {
    await writeBatches(sys, data.batches("random", p.batchSize));
    await sys.settle?.();
  };

  const scan = (name: string, reverse: boolean): Workload => ({
    name,
    openMode: "none",
    mode: standardMode("none"),
    detail: () => `${reverse ? "reverse" : "forward"} full scan`,
    prepare: fillForReads,
    async run(sys) {
      const first = reverse ? data.keys[n - 1] : data.keys[0];
      const last = reverse ? data.keys[0] : data.keys[n - 1];
      let seen = 0;
      let valueBytes = 0;
      let endsOk = true;
      const count = await sys.scan(reverse, (k, v) => {
        seen++;
        valueBytes += v.length;
        if (seen === 1 || seen === n) endsOk &&= bytesEqual(k, seen === 1 ? first : last);
      });
      if (count !== n || seen !== n) fail(sys, name, `scan returned ${count} (callback saw ${seen}), expected ${n}`);
      if (!endsOk) fail(sys, name, "first or last key out of place");
      if (valueBytes !== n * data.values[0].length) fail(sys, name, `value bytes ${valueBytes}`);
      return n;
    },
  });

  return {
    fillseq: fill("seq", "fillseq"),
    fillrandom: fill("random", "fillrandom"),

    overwrite: {
      name: "overwrite",
      openMode: "none",
      mode: standardMode("none"),
      detail: () => batchNote,
      async prepare(sys) {
        data.batches("overwrite", p.batchSize);
        await writeBatches(sys, data.batches("seq", p.batchSize));
      },
      async run(sys) {
        await writeBatches(sys, data.batches("overwrite", p.batchSize));
        return n;
      },
      async verify(sys) {
        await checkSample(sys, "overwrite", data, (i) => data.overwriteValue(i));
      },
    },

    readrandom: {
      name: "readrandom",
      openMode: "none",
      mode: standardMode("none"),
      detail: (sys) => (sys.syncGet ? "sync get" : "async get"),
      prepare: fillForReads,
      async run(sys) {
        const order = data.readOrder;
        const keys = data.keys;
        let hits = 0;
        if (sys.syncGet) {
          for (let j = 0; j < n; j++) {
            const v = sys.get(keys[order[j]]);
            // A Promise here would mean the adapter wrongly claims syncGet; it then fails the hit count below.
            if (v !== undefined && !(v instanceof Promise)) hits++;
          }
        } else {
          for (let j = 0; j < n; j++) {
            if ((await sys.get(keys[order[j]])) !== undefined) hits++;
          }
        }
        if (hits !== n) fail(sys, "readrandom", `${hits} hits of ${n} reads`);
        return n;
      },
      async verify(sys) {
        await checkSample(sys, "readrandom", data, original, 1000);
      },
    },

    readseq: scan("readseq", false),
    readreverse: scan("readreverse", true),

    fillsync: {
      name: "fillsync",
      openMode: "strict",
      mode: standardMode("strict"),
      detail: () => `1 writer, each put awaited, ≤${p.fillsyncMaxWrites} puts or ${p.fillsyncMaxMs / 1000} s`,
      async run(sys) {
        const order = data.fillOrder;
        const limit = Math.min(n, p.fillsyncMaxWrites);
        const deadline = performance.now() + p.fillsyncMaxMs;
        let done = 0;
        while (done < limit && performance.now() < deadline) {
          const i = order[done];
          await sys.put(data.keys[i], data.values[i]);
          done++;
        }
        return done;
      },
      async verify(sys, ops) {
        await checkSample(sys, "fillsync", data, original, 100, data.fillOrder, ops);
      },
    },

    concurrent: {
      name: "concurrent",
      openMode: "strict",
      mode: standardMode("strict"),
      detail: () => `${Math.min(n, p.concurrentWrites)} puts in flight (Promise.all)`,
      async run(sys) {
        const count = Math.min(n, p.concurrentWrites);
        const order = data.fillOrder;
        const pending = new Array<Promise<void>>(count);
        for (let j = 0; j < count; j++) {
          const i = order[j];
          pending[j] = sys.put(data.keys[i], data.values[i]);
        }
        await Promise.all(pending);
        return count;
      },
      async verify(sys, ops) {
        await checkSample(sys, "concurrent", data, original, 200, data.fillOrder, ops);
      },
    },

    ingest: {
      name: "ingest",
      openMode: "none",
      mode: (sys) => sys.bulkLoadMode,
      detail: (sys) => `${n} sorted pairs; ${sys.bulkLoadDetail}`,
      async prepare() {
        data.sortedPairs;
      },
      async run(sys) {
        await sys.bulkLoadSorted(data.sortedPairs);
        return n;
      },
      async verify(sys) {
        await checkSample(sys, "ingest", data, original);
      },
    },
  };
}
