// sortRuns: the public entry point for sorting packed runs in parallel on the bulk worker threads
// (bulk-pool.ts), with the algorithm in run-sort.ts. Standalone: it needs no store.

import { bulkPool, prestartBulkWorkers } from "./bulk-pool.js";
import { InvalidArgumentError } from "./errors.js";
import { checkRunOffsets, checkRunShape, type PackedRun, toSharedRun } from "./packed-run.js";
import { firstOutOfOrder, sortRun } from "./run-sort.js";

export { prestartBulkWorkers };

/** Runs shorter than this are sorted on the calling thread (a round trip to a worker costs more). */
const INLINE_SORT_MAX = 2048;
/** Leading entries checked to guess whether a run is already sorted. */
const PROBE = 256;

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
  const out: Array<PackedRun | Promise<PackedRun>> = runs.slice();
  const big: number[] = [];
  for (let i = 0; i < runs.length; i++) {
    const run = runs[i];
    if (run.count < 2) continue;
    if (run.count < INLINE_SORT_MAX) {
      checkRunOffsets(run, i, 0, run.count);
      out[i] = keepFlags(run, sortRun(run, true));
    } else {
      big.push(i);
    }
  }
  // Runs that need sorting go to the workers first, largest first, and runs that look sorted (a
  // probe of their first pairs) last: checking those is quick, so they fill in behind.
  const looksSorted = (r: PackedRun) => firstOutOfOrder(r.keys, r.keyOffsets, 0, Math.min(r.count, PROBE)) < 0;
  const rank = big.map((i) => ({ i, sorted: looksSorted(runs[i]), count: runs[i].count }));
  rank.sort((a, b) => Number(a.sorted) - Number(b.sorted) || b.count - a.count);
  for (const { i } of rank) {
    const run = runs[i];
    out[i] = pool.sort(toSharedRun(run), i).then((sorted) => (sorted ? keepFlags(run, sorted) : run));
  }
  return Promise.all(out);
}

/** The sorted run with the input's flags (`rangeOnly`). */
function keepFlags(input: PackedRun, sorted: PackedRun): PackedRun {
  if (input.rangeOnly) sorted.rangeOnly = true;
  return sorted;
}
