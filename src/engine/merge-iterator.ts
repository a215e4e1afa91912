// Merging iterator: one sorted stream of internal entries from many sorted children (memtables,
// level-0 files, levels), by a binary heap over the children's current entries.
//
// The direction is set by the positioning call: seekToFirst/seek make it forward (next only),
// seekToLast/seekForPrev make it backward (prev only). Shale's user iterators and compactions
// never switch direction mid-stream, and a fixed direction keeps the heap simple and fast.

import { compareKeys } from "../format/compare.js";
import type { EntryKind, InternalIterator } from "../format/internal-iterator.js";

export class MergingIterator implements InternalIterator {
  private heap: number[] = [];
  private readonly keys: Uint8Array[];
  private readonly seqs: Float64Array;
  private forward = true;

  constructor(private readonly children: InternalIterator[]) {
    this.keys = new Array(children.length);
    this.seqs = new Float64Array(children.length);
  }

  /** Child a comes before child b in the current direction. */
  private before(a: number, b: number): boolean {
    const c = compareKeys(this.keys[a], this.keys[b]);
    const cmp = c !== 0 ? c : this.seqs[b] - this.seqs[a];
    if (cmp === 0) return a < b;
    return this.forward ? cmp < 0 : cmp > 0;
  }

  private load(i: number): void {
    const c = this.children[i];
    this.keys[i] = c.key();
    this.seqs[i] = c.seq();
  }

  private rebuild(): void {
    this.heap = [];
    for (let i = 0; i < this.children.length; i++) {
      if (this.children[i].valid()) {
        this.load(i);
        this.heap.push(i);
      }
    }
    for (let i = (this.heap.length >> 1) - 1; i >= 0; i--) this.siftDown(i);
  }

  private siftDown(i: number): void {
    const h = this.heap;
    const n = h.length;
    const item = h[i];
    for (;;) {
      const l = 2 * i + 1;
      if (l >= n) break;
      const r = l + 1;
      const m = r < n && this.before(h[r], h[l]) ? r : l;
      if (!this.before(h[m], item)) break;
      h[i] = h[m];
      i = m;
    }
    h[i] = item;
  }

  private advanceTop(): void {
    const top = this.heap[0];
    const c = this.children[top];
    if (this.forward) c.next();
    else c.prev();
    if (c.valid()) {
      this.load(top);
    } else {
      const last = this.heap.pop() as number;
      if (this.heap.length === 0) return;
      this.heap[0] = last;
    }
    this.siftDown(0);
  }

  valid(): boolean {
    return this.heap.length > 0;
  }
  seekToFirst(): void {
    this.forward = true;
    for (const c of this.children) c.seekToFirst();
    this.rebuild();
  }
  seekToLast(): void {
    this.forward = false;
    for (const c of this.children) c.seekToLast();
    this.rebuild();
  }
  seek(key: Uint8Array, seq: number): void {
    this.forward = true;
    for (const c of this.children) c.seek(key, seq);
    this.rebuild();
  }
  seekForPrev(key: Uint8Array, seq: number): void {
    this.forward = false;
    for (const c of this.children) c.seekForPrev(key, seq);
    this.rebuild();
  }
  next(): void {
    if (!this.forward) throw new Error("MergingIterator: next() after a backward positioning");
    this.advanceTop();
  }
  prev(): void {
    if (this.forward) throw new Error("MergingIterator: prev() after a forward positioning");
    this.advanceTop();
  }
  key(): Uint8Array {
    return this.keys[this.heap[0]];
  }
  seq(): number {
    return this.seqs[this.heap[0]];
  }
  kind(): EntryKind {
    return this.children[this.heap[0]].kind();
  }
  value(): Uint8Array {
    return this.children[this.heap[0]].value();
  }
  close(): void {
    for (const c of this.children) c.close();
    this.heap = [];
  }
}
