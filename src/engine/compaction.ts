// Leveled compaction: choosing what to compact, and the merge job that does it.
//
// Level 0 is compacted when it holds `l0CompactionTrigger` files; level n >= 1 when its bytes
// exceed levelBaseBytes * levelMultiplier^(n-1). A compaction merges its inputs into the next
// level and drops what no reader can see any more: versions shadowed by a newer version that every
// live snapshot sees, and deletes at or below the oldest snapshot when no deeper level holds the
// key. Outputs are cut at `targetFileSize`, never between two versions of one key.
//
// The job (`runCompactionJob`) is plain code over a FileSystem, so it runs on the main thread
// (yielding to the event loop as it goes) or on a worker thread with the real file system.

import { compareKeys } from "../format/compare.js";
import { type InternalIterator, KIND_DELETE } from "../format/internal-iterator.js";
import { Segment, SegmentWriter } from "../format/segment.js";
import { type FileSystem, joinPath } from "../fs/types.js";
import { MergingIterator } from "./merge-iterator.js";
import { type FileMeta, segmentFileName, type Version } from "./version.js";

export interface CompactionOptions {
  l0CompactionTrigger: number;
  levelBaseBytes: number;
  levelMultiplier: number;
  targetFileSize: number;
  numLevels: number;
}

export interface SegmentOptions {
  blockSize: number;
  restartInterval: number;
  bloomBitsPerKey: number;
  compression: "none" | "deflate" | "zstd";
}

export interface CompactionPick {
  level: number;
  outputLevel: number;
  /** Inputs from `level`. */
  inputs: FileMeta[];
  /** Inputs from `outputLevel`. */
  next: FileMeta[];
}

function rangeOf(files: FileMeta[]): [Uint8Array, Uint8Array] {
  let lo = files[0].smallest;
  let hi = files[0].largest;
  for (const f of files) {
    if (compareKeys(f.smallest, lo) < 0) lo = f.smallest;
    if (compareKeys(f.largest, hi) > 0) hi = f.largest;
  }
  return [lo, hi];
}

export function maxBytesForLevel(o: CompactionOptions, level: number): number {
  return o.levelBaseBytes * o.levelMultiplier ** (level - 1);
}

/** The level most in need of compaction, with a score >= 1, or undefined. */
export function compactionScore(v: Version, o: CompactionOptions): { level: number; score: number } {
  let best = { level: -1, score: 0 };
  const l0 = v.levels[0].length / o.l0CompactionTrigger;
  if (l0 > best.score) best = { level: 0, score: l0 };
  for (let l = 1; l < o.numLevels - 1; l++) {
    const s = v.levelBytes(l) / maxBytesForLevel(o, l);
    if (s > best.score) best = { level: l, score: s };
  }
  return best;
}

/** Chooses a compaction for the current version; `pointers[l]` is where level l's last compaction ended. */
export function pickCompaction(
  v: Version,
  o: CompactionOptions,
  pointers: (Uint8Array | undefined)[],
): CompactionPick | undefined {
  const { level, score } = compactionScore(v, o);
  if (score < 1) return undefined;
  return pickForLevel(v, level, pointers[level]);
}

/**
 * True when a pick can be done by moving its input files down a level unchanged: nothing in the
 * output level overlaps them, and they do not overlap each other (always so above level 0).
 */
export function isTrivialMove(pick: CompactionPick): boolean {
  if (pick.next.length > 0) return false;
  if (pick.level > 0 || pick.inputs.length === 1) return true;
  const sorted = pick.inputs.slice().sort((a, b) => compareKeys(a.smallest, b.smallest));
  for (let i = 1; i < sorted.length; i++) {
    if (compareKeys(sorted[i - 1].largest, sorted[i].smallest) >= 0) return false;
  }
  return true;
}

export function pickForLevel(v: Version, level: number, pointer: Uint8Array | undefined): CompactionPick | undefined {
  const files = v.levels[level];
  if (files.length === 0) return undefined;
  let inputs: FileMeta[];
  if (level === 0) {
    inputs = files.slice();
  } else {
    const f = files.find((x) => pointer === undefined || compareKeys(x.smallest, pointer) > 0) ?? files[0];
    inputs = [f];
  }
  const [lo, hi] = rangeOf(inputs);
  const next = v.overlapping(level + 1, lo, hi);
  return { level, outputLevel: level + 1, inputs, next };
}

/** Everything a compaction job needs, serialisable for a worker thread. */
export interface CompactionJob {
  dir: string;
  outputLevel: number;
  inputs: FileMeta[];
  /** Sequence number of the oldest live snapshot (or the last visible one when there are none). */
  smallestSnapshot: number;
  /** For each level below the output level, its files' key ranges in key order. */
  deeper: Array<Array<{ smallest: Uint8Array; largest: Uint8Array }>>;
  /** File numbers reserved for outputs, used in order. */
  fileNumbers: number[];
  targetFileSize: number;
  segment: SegmentOptions;
}

export interface CompactionResult {
  outputs: FileMeta[];
  bytesRead: number;
  bytesWritten: number;
  entriesIn: number;
  entriesOut: number;
}

export interface JobHooks {
  /** Called every few thousand entries; the main-thread runner yields to the event loop here. */
  yieldEvery?: () => Promise<void>;
  /** Set to stop early (the store is closing); the job throws and writes nothing it keeps. */
  shouldStop?: () => boolean;
}

export class CompactionAbortedError extends Error {
  constructor() {
    super("compaction stopped because the store is closing");
    this.name = "CompactionAbortedError";
  }
}

/** Merges the job's inputs into new segment files in `job.dir`; syncs them, but does not install them. */
export async function runCompactionJob(
  fs: FileSystem,
  job: CompactionJob,
  hooks: JobHooks = {},
): Promise<CompactionResult> {
  const segments: Segment[] = [];
  const children: InternalIterator[] = [];
  let bytesRead = 0;
  for (const f of job.inputs) {
    const file = fs.openRead(joinPath(job.dir, segmentFileName(f.number)));
    const seg = Segment.open(file, { fileNumber: f.number, globalSeq: f.globalSeq });
    segments.push(seg);
    children.push(seg.iterator());
    bytesRead += f.size;
  }
  const it = new MergingIterator(children);
  const outputs: FileMeta[] = [];
  const written: string[] = [];
  const pointers = job.deeper.map(() => 0);
  let numberIndex = 0;
  let entriesIn = 0;
  let entriesOut = 0;
  let bytesWritten = 0;

  const isBaseLevelForKey = (key: Uint8Array): boolean => {
    for (let l = 0; l < job.deeper.length; l++) {
      const files = job.deeper[l];
      let p = pointers[l];
      while (p < files.length && compareKeys(files[p].largest, key) < 0) p++;
      pointers[l] = p;
      if (p < files.length && compareKeys(files[p].smallest, key) <= 0) return false;
    }
    return true;
  };

  let writer: SegmentWriter | null = null;
  let out: ReturnType<FileSystem["openWrite"]> | null = null;
  let outNumber = 0;

  const finishOutput = async () => {
    if (!writer || !out) return;
    const props = writer.finish();
    await out.sync();
    out.close();
    bytesWritten += props.fileSize;
    outputs.push({
      number: outNumber,
      level: job.outputLevel,
      size: props.fileSize,
      smallest: props.smallestKey.slice(),
      largest: props.largestKey.slice(),
      minSeq: props.minSeq,
      maxSeq: props.maxSeq,
      entries: props.entries,
    });
    writer = null;
    out = null;
  };

  try {
    it.seekToFirst();
    let currentKey: Uint8Array | null = null;
    let lastSeqForKey = Number.POSITIVE_INFINITY;
    while (it.valid()) {
      if (++entriesIn % 4096 === 0) {
        if (hooks.shouldStop?.()) throw new CompactionAbortedError();
        if (hooks.yieldEvery) await hooks.yieldEvery();
      }
      const key = it.key();
      const seq = it.seq();
      const kind = it.kind();
      let drop = false;
      let newKey = false;
      if (currentKey === null || compareKeys(key, currentKey) !== 0) {
        currentKey = key.slice(); // views are only valid until the iterator moves
        lastSeqForKey = Number.POSITIVE_INFINITY;
        newKey = true;
      }
      if (lastSeqForKey <= job.smallestSnapshot) {
        drop = true; // a newer version of this key is visible to every reader
      } else if (kind === KIND_DELETE && seq <= job.smallestSnapshot && isBaseLevelForKey(key)) {
        drop = true; // nothing older below to hide, and no reader needs the delete
      }
      lastSeqForKey = seq;
      if (!drop) {
        // Cut outputs only between keys, so all versions of a key stay in one file.
        if (writer !== null && newKey && (writer as SegmentWriter).estimatedFileSize() >= job.targetFileSize) {
          await finishOutput();
        }
        if (writer === null) {
          if (numberIndex >= job.fileNumbers.length) throw new Error("compaction ran out of reserved file numbers");
          outNumber = job.fileNumbers[numberIndex++];
          const path = joinPath(job.dir, segmentFileName(outNumber));
          out = fs.openWrite(path, { truncate: true });
          written.push(path);
          writer = new SegmentWriter(out, job.segment);
        }
        const value = it.value();
        (writer as SegmentWriter).add(key, 0, key.length, seq, kind, value, 0, value.length);
        entriesOut++;
      }
      it.next();
    }
    await finishOutput();
    if (written.length > 0) await fs.syncDir(job.dir);
  } catch (err) {
    (out as ReturnType<FileSystem["openWrite"]> | null)?.close();
    for (const p of written) {
      try {
        fs.unlink(p);
      } catch {
        // leftover outputs are swept as unreferenced files on the next open
      }
    }
    throw err;
  } finally {
    it.close();
    for (const s of segments) s.close();
  }
  return { outputs, bytesRead, bytesWritten, entriesIn, entriesOut };
}
