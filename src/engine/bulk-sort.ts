// sortRuns: the public entry point for sorting packed runs in parallel on the bulk worker threads
// (bulk-pool.ts), with the algorithm in run-sort.ts. Standalone: it needs no store.

import { bulkPool, prestartBulkWorkers } from "./bulk-pool.js";
import { InvalidArgumentError } from "./errors.js";
import { checkRunOffsets, checkRunShape, type PackedRun, toSharedRun } from "./packed-run.js";
import { sortRun } from "./run-sort.js";

export { prestartBulkWorkers };

/** Runs shorter than this are sorted on the calling thread (a round trip to a worker costs more). */
const INLINE_SORT_MAX = 2048;

/**
 * Sorts each run by key bytes (memcmp order, shorter-prefix first: the order of compareKeys and of
 * the store), in parallel on the bulk worker threads, one run per job. Returns, for each run,
 * either the run itself (when already in order, checked in one linear pass) or a new run whose
 * arenas hold the same entries in order, with offsets from 0, in SharedArrayBuffers (so
 * `Store.ingestRuns` hands them to its workers without a copy). Equal keys stay (in no particular
 * order): `ingestRuns` rejects them.
 *
 * Runs built in SharedArrayBuffers (PackedRunBuilder's default) are read in place; others are
 * first copied into shared memory. The inputs are never modified. Standalone: no store needed.
 */
export async function sortRuns(runs: PackedRun[]): Promise<PackedRun[]> {
  if (!Array.isArray(runs)) throw new InvalidArgumentError("sortRuns needs an array of packed runs");
  for (let i = 0; i < runs.length; i++) checkRunShape(runs[i], i);
  const pool = bulkPool();
  return Promise.all(
    runs.map(async (run, i) => {
      if (run.count < 2) return run;
      if (run.count < INLINE_SORT_MAX) {
        checkRunOffsets(run, i, 0, run.count);
        return sortRun(run, true);
      }
      const sorted = await pool.sort(toSharedRun(run), i);
      return sorted ?? run;
    }),
  );
}
