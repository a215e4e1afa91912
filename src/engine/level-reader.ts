// Reads over the files of a version: a point lookup that visits level-0 files newest first and then
// at most one file per deeper level, and the list of child iterators a merged scan needs. The live
// store and a read-only pack both read their segment files through these two functions.

import { hash32 } from "../format/bloom.js";
import { compareKeys } from "../format/compare.js";
import type { InternalIterator } from "../format/internal-iterator.js";
import type { Segment, SegmentEntry } from "../format/segment.js";
import { LevelIterator } from "./level-iterator.js";
import { type FileMeta, Version } from "./version.js";

/** The newest entry for `key` at or below `seq` in the levels (a put or a delete), or undefined. */
export function getFromLevels(
  levels: readonly FileMeta[][],
  key: Uint8Array,
  seq: number,
  segmentFor: (f: FileMeta) => Segment,
): SegmentEntry | undefined {
  const hash = hash32(key, 0, key.length); // for every file's bloom filter
  for (const f of levels[0]) {
    if (compareKeys(key, f.smallest) < 0 || compareKeys(key, f.largest) > 0) continue;
    const r = segmentFor(f).getHashed(key, hash, seq);
    if (r !== undefined) return r;
  }
  for (let l = 1; l < levels.length; l++) {
    const files = levels[l];
    if (files.length === 0) continue;
    const i = Version.findFile(files, key);
    if (i >= files.length || compareKeys(files[i].smallest, key) > 0) continue;
    const r = segmentFor(files[i]).getHashed(key, hash, seq);
    if (r !== undefined) return r;
  }
  return undefined;
}

/** One iterator per level-0 file (newest first), then one concatenating iterator per deeper level. */
export function levelIterators(
  levels: readonly FileMeta[][],
  segmentFor: (f: FileMeta) => Segment,
): InternalIterator[] {
  const children: InternalIterator[] = [];
  for (const f of levels[0]) children.push(segmentFor(f).iterator());
  for (let l = 1; l < levels.length; l++) {
    if (levels[l].length > 0) children.push(new LevelIterator(levels[l], (f) => segmentFor(f).iterator()));
  }
  return children;
}
