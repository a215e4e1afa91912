// Building segment files from sorted packed runs, for Store.ingestRuns: how the runs are cut into
// chunks (one segment file each), the cheap order checks at the cuts, and the job that writes one
// chunk. The job is plain code over a FileSystem, so it runs on a bulk worker thread with the real
// file system (bulk-worker.ts) or on the main thread with any other.

import { KIND_PUT } from "../format/internal-iterator.js";
import { SegmentWriter } from "../format/segment.js";
import { type FileSystem, joinPath } from "../fs/types.js";
import type { SegmentOptions } from "./compaction.js";
import { InvalidArgumentError } from "./errors.js";
import { checkRunOffsets, compareRunKeys, type PackedRun } from "./packed-run.js";
import { type FileMeta, segmentFileName } from "./version.js";

/** Entries [start, end) of run `runIndex`, to become one segment file. */
export interface RunChunk {
  runIndex: number;
  start: number;
  end: number;
}

/** Everything a worker needs to write one chunk (the run's arrays are shared, not copied). */
export interface ChunkJob {
  dir: string;
  fileNumber: number;
  run: PackedRun;
  runIndex: number;
  start: number;
  end: number;
  segment: SegmentOptions;
}

/** Bytes counted per entry on top of its key and value when sizing chunks (block and index overhead). */
const ENTRY_OVERHEAD = 8;

function entryBytesBefore(run: PackedRun, i: number): number {
  const ko = run.keyOffsets;
  let b = ko[i] - ko[0] + ENTRY_OVERHEAD * i;
  if (run.valueOffsets) b += run.valueOffsets[i] - run.valueOffsets[0];
  // A composed run's heads: by their mean length (they are mostly shared in the file, too).
  const h = run.heads;
  if (h !== undefined && h.count > 0) b += ((h.keyOffsets[h.count] - h.keyOffsets[0]) / h.count) * i;
  return b;
}

/**
 * Cuts the runs into chunks of about `chunkBytes` bytes of keys and values (never fewer than
 * `minChunks` in all when the runs hold at least `minChunks * 4096` entries, so every worker gets
 * work). Chunks come in key order; empty runs give none.
 */
export function planChunks(runs: PackedRun[], targetBytes: number, minChunks: number): RunChunk[] {
  let total = 0;
  let entries = 0;
  for (const r of runs) {
    total += entryBytesBefore(r, r.count);
    entries += r.count;
  }
  let chunkBytes = Math.max(1, targetBytes);
  if (entries >= minChunks * 4096 && total / chunkBytes < minChunks) chunkBytes = Math.max(1, total / minChunks);
  const chunks: RunChunk[] = [];
  runs.forEach((run, runIndex) => {
    const n = run.count;
    if (n === 0) return;
    const bytes = entryBytesBefore(run, n);
    const pieces = Math.min(n, Math.max(1, Math.ceil(bytes / chunkBytes - 1e-9)));
    let start = 0;
    for (let p = 1; p <= pieces; p++) {
      let end = n;
      if (p < pieces) {
        // The first entry at or past this piece's share of the bytes.
        const goal = (bytes * p) / pieces;
        let lo = start + 1;
        let hi = n - (pieces - p);
        while (lo < hi) {
          const mid = (lo + hi) >>> 1;
          if (entryBytesBefore(run, mid) < goal) lo = mid + 1;
          else hi = mid;
        }
        end = lo;
      }
      chunks.push({ runIndex, start, end });
      start = end;
    }
  });
  return chunks;
}

function keyOrderError(runIndex: number, entry: number, what: string): InvalidArgumentError {
  return new InvalidArgumentError(
    `ingestRuns needs strictly increasing keys: run ${runIndex}, entry ${entry}: ${what} (sort runs with sortRuns, and make them disjoint and in order)`,
  );
}

/**
 * The order checks no chunk job makes: across every cut inside a run, and from each non-empty run's
 * last key to the next non-empty run's first key. O(chunks + runs).
 */
export function checkCuts(runs: PackedRun[], chunks: RunChunk[]): void {
  checkRunOrder(runs);
  for (const c of chunks) checkCut(runs[c.runIndex], c);
}

/** The order check across one chunk's first cut (entry `start` above entry `start - 1`). */
export function checkCut(run: PackedRun, c: RunChunk): void {
  if (c.start === 0) return;
  const i = c.start;
  if (compareRunKeys(run, i - 1, run, i) >= 0) {
    throw keyOrderError(c.runIndex, i, `its key is not greater than entry ${i - 1}'s`);
  }
}

/** Each non-empty run's last key is below the next non-empty run's first key. */
export function checkRunOrder(runs: PackedRun[]): void {
  let prev = -1;
  for (let r = 0; r < runs.length; r++) {
    const run = runs[r];
    if (run.count === 0) continue;
    if (prev >= 0) {
      const p = runs[prev];
      if (compareRunKeys(p, p.count - 1, run, 0) >= 0) {
        throw keyOrderError(r, 0, `its first key is not greater than the last key of run ${prev}`);
      }
    }
    prev = r;
  }
}

const EMPTY = new Uint8Array(0);

export interface ChunkHooks {
  /** Called every 64K entries; the main-thread runner yields to the event loop here. */
  yieldEvery?: () => Promise<void>;
  /** Called when the file is written, before its fdatasync (the CPU work is done). */
  onWritten?: () => void;
}

/**
 * Adds entries [start, end) of a run with heads to the writer: each key put together in a scratch
 * array, its head rewritten only when it changes (keys with one head share it, so the writer's
 * comparison starts after it) and its rest copied four bytes at a time. `at.i` follows the entry
 * being added (from where it starts to `end`), so a failure can name it.
 */
async function writeComposed(
  writer: SegmentWriter,
  run: PackedRun,
  at: { i: number },
  end: number,
  hooks: ChunkHooks,
): Promise<void> {
  const start = at.i;
  const h = run.heads as NonNullable<PackedRun["heads"]>;
  const { keys, keyOffsets: ko } = run;
  const kv = new DataView(keys.buffer, keys.byteOffset, keys.byteLength);
  const values = run.values ?? EMPTY;
  const vo = run.valueOffsets;
  // In shared memory like the runs' arenas: the writer's views then see one kind of buffer.
  let key = new Uint8Array(new SharedArrayBuffer(256));
  let view = new DataView(key.buffer);
  let head = -1;
  let hl = 0;
  for (let i = start; i < end; i++) {
    at.i = i;
    const rs = ko[i];
    const re = ko[i + 1];
    const of = h.of[i];
    const same = of === head;
    const need = h.keyOffsets[of + 1] - h.keyOffsets[of] + re - rs;
    let rewrite = !same;
    if (need > key.length) {
      key = new Uint8Array(new SharedArrayBuffer(2 * need + 256));
      view = new DataView(key.buffer);
      rewrite = true;
    }
    if (rewrite) {
      head = of;
      const hs = h.keyOffsets[of];
      hl = h.keyOffsets[of + 1] - hs;
      key.set(h.keys.subarray(hs, hs + hl));
    }
    let p = hl;
    let k = rs;
    for (; k + 4 <= re; k += 4, p += 4) view.setUint32(p, kv.getUint32(k));
    for (; k < re; k++) key[p++] = keys[k];
    if (same) writer.sharesWithPrevious(hl);
    writer.add(key, 0, p, 0, KIND_PUT, values, vo === undefined ? 0 : vo[i], vo === undefined ? 0 : vo[i + 1]);
    if (hooks.yieldEvery && ((i - start) & 0xffff) === 0xffff) await hooks.yieldEvery();
  }
  at.i = end;
}

/**
 * Writes entries [start, end) of the run as one segment file (every entry a put with sequence 0;
 * the store gives the file a global sequence number when it installs it), fdatasyncs and closes
 * it. Keys must be strictly increasing: the segment writer checks each against the one before,
 * and a failure is reported as an InvalidArgumentError naming the run and entry. On any error the
 * file is removed.
 */
export async function writeChunk(fs: FileSystem, job: ChunkJob, hooks: ChunkHooks = {}): Promise<FileMeta> {
  const { run, runIndex, start, end } = job;
  checkRunOffsets(run, runIndex, start, end);
  const path = joinPath(job.dir, segmentFileName(job.fileNumber));
  const out = fs.openWrite(path, { truncate: true });
  try {
    const writer = new SegmentWriter(out, job.segment);
    const keys = run.keys;
    const ko = run.keyOffsets;
    const values = run.values ?? EMPTY;
    const vo = run.valueOffsets;
    let i = start;
    try {
      if (run.heads !== undefined) {
        const at = { i: start };
        try {
          await writeComposed(writer, run, at, end, hooks);
        } finally {
          i = at.i;
        }
      } else if (vo === undefined) {
        for (; i < end; i++) {
          writer.add(keys, ko[i], ko[i + 1], 0, KIND_PUT, EMPTY, 0, 0);
          if (hooks.yieldEvery && ((i - start) & 0xffff) === 0xffff) await hooks.yieldEvery();
        }
      } else {
        for (; i < end; i++) {
          writer.add(keys, ko[i], ko[i + 1], 0, KIND_PUT, values, vo[i], vo[i + 1]);
          if (hooks.yieldEvery && ((i - start) & 0xffff) === 0xffff) await hooks.yieldEvery();
        }
      }
    } catch (err) {
      // The writer refuses a key not above the one before it: say which entry, in the caller's terms.
      if (i > start && i < end && compareRunKeys(run, i - 1, run, i) >= 0) {
        const c = compareRunKeys(run, i - 1, run, i);
        throw keyOrderError(
          runIndex,
          i,
          c === 0 ? `a duplicate of entry ${i - 1}` : `its key is smaller than entry ${i - 1}'s`,
        );
      }
      throw err;
    }
    const props = writer.finish();
    hooks.onWritten?.();
    await out.sync();
    out.close();
    return {
      number: job.fileNumber,
      level: 0,
      size: props.fileSize,
      smallest: props.smallestKey.slice(),
      largest: props.largestKey.slice(),
      minSeq: 0,
      maxSeq: 0,
      entries: props.entries,
    };
  } catch (err) {
    try {
      out.close();
    } catch {
      // failing anyway
    }
    try {
      fs.unlink(path);
    } catch {
      // an unreferenced file is swept on the next open
    }
    throw err;
  }
}
