// sortRuns, composeSorted and groupCodedPiece: the public entry points for sorting packed runs and
// composing coded runs on the bulk worker threads (bulk-pool.ts), with the algorithms in
// run-sort.ts and run-compose.ts. Standalone: they need no store.

import { bulkPool, prestartBulkWorkers } from "./bulk-pool.js";
import { InvalidArgumentError } from "./errors.js";
import { checkRunOffsets, checkRunShape, isShared, type PackedRun, toSharedRun } from "./packed-run.js";
import { type CodedPiece, type CodedRun, checkCodedRun, checkPiece, composeRun, groupPiece } from "./run-compose.js";
import { firstOutOfOrder, sortRun } from "./run-sort.js";

export type { CodedPiece, CodedRun };
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
  for (let i = 0; i < runs.length; i++) {
    checkRunShape(runs[i], i);
    if (runs[i].heads !== undefined) {
      throw new InvalidArgumentError(
        `packed run ${i}: a run with heads comes sorted (composeSorted); sortRuns takes whole keys`,
      );
    }
  }
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

/**
 * A coded run's keys (each a dictionary entry followed by the tail of another run's key, see
 * run-compose.ts), composed and sorted: on a bulk worker when the run is large and its arrays are
 * in SharedArrayBuffers (posting them copies nothing), inline otherwise. The inputs are not
 * modified; the result's arenas are SharedArrayBuffers.
 */
export async function composeSorted(coded: CodedRun): Promise<PackedRun> {
  checkCodedRun(coded, 0);
  const shared =
    isShared(coded.codes) && [coded.dict, coded.tails].every((r) => isShared(r.keys) && isShared(r.keyOffsets));
  if (coded.count < INLINE_SORT_MAX || !shared) return composeRun(coded, true);
  return bulkPool().compose({ ...coded, dict: keysOf(coded.dict), tails: keysOf(coded.tails) });
}

/**
 * Entries [start, end) of a coded run grouped by code (run-compose.ts, `groupPiece`), on a bulk
 * worker when the arrays are in SharedArrayBuffers. Their codes and tails must be written and must
 * not change afterwards; the rest of the run may still be being written. Pass the pieces, in
 * order, as the run's `pieces` to `composeSorted`.
 */
export async function groupCodedPiece(
  codes: Uint32Array,
  tails: PackedRun,
  tailStart: number,
  start: number,
  end: number,
): Promise<CodedPiece> {
  checkPiece(codes, tails, tailStart, start, end);
  const shared = isShared(codes) && isShared(tails.keys) && isShared(tails.keyOffsets);
  if (end - start < INLINE_SORT_MAX || !shared) return groupPiece(codes, tails, tailStart, start, end, true);
  return bulkPool().group(codes, keysOf(tails), tailStart, start, end);
}

/** A run's keys alone: only the arrays a job reads travel (a record run's values would be copied if not shared). */
function keysOf(r: PackedRun): PackedRun {
  return { keys: r.keys, keyOffsets: r.keyOffsets, count: r.count };
}
