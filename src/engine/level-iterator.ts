// Level iterator: the files of one sorted level (1+) read as a single stream. Files hold disjoint
// key ranges in key order, so it walks them one after another, opening each file's iterator only
// when it gets there.

import { compareKeys } from "../format/compare.js";
import type { EntryKind, InternalIterator } from "../format/internal-iterator.js";
import { type FileMeta, Version } from "./version.js";

export type OpenFileIterator = (f: FileMeta) => InternalIterator;

export class LevelIterator implements InternalIterator {
  private index = -1;
  private it: InternalIterator | null = null;

  constructor(
    private readonly files: FileMeta[],
    private readonly open: OpenFileIterator,
  ) {}

  private openAt(i: number): void {
    if (this.it) this.it.close();
    this.index = i;
    this.it = i >= 0 && i < this.files.length ? this.open(this.files[i]) : null;
  }

  private skipForward(): void {
    while (this.it && !this.it.valid()) {
      this.openAt(this.index + 1);
      this.it?.seekToFirst();
    }
  }

  private skipBackward(): void {
    while (this.it && !this.it.valid()) {
      this.openAt(this.index - 1);
      this.it?.seekToLast();
    }
  }

  valid(): boolean {
    return this.it !== null && this.it.valid();
  }
  seekToFirst(): void {
    this.openAt(0);
    this.it?.seekToFirst();
    this.skipForward();
  }
  seekToLast(): void {
    this.openAt(this.files.length - 1);
    this.it?.seekToLast();
    this.skipBackward();
  }
  seek(key: Uint8Array, seq: number): void {
    this.openAt(Version.findFile(this.files, key));
    this.it?.seek(key, seq);
    this.skipForward();
  }
  seekForPrev(key: Uint8Array, seq: number): void {
    // The last file whose smallest key <= key holds the answer, or the answer is in an earlier file.
    let lo = 0;
    let hi = this.files.length;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if (compareKeys(this.files[mid].smallest, key) <= 0) lo = mid + 1;
      else hi = mid;
    }
    this.openAt(lo - 1);
    this.it?.seekForPrev(key, seq);
    this.skipBackward();
  }
  next(): void {
    this.it?.next();
    this.skipForward();
  }
  prev(): void {
    this.it?.prev();
    this.skipBackward();
  }
  key(): Uint8Array {
    return (this.it as InternalIterator).key();
  }
  seq(): number {
    return (this.it as InternalIterator).seq();
  }
  kind(): EntryKind {
    return (this.it as InternalIterator).kind();
  }
  value(): Uint8Array {
    return (this.it as InternalIterator).value();
  }
  close(): void {
    if (this.it) this.it.close();
    this.it = null;
    this.index = -1;
  }
}
