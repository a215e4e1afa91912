// Secondary index runs by dictionary, for bulk load: while the records pass encodes each row, every
// index whose fields are strings, integers, bigints or booleans gets a code per row instead of a
// key: the row's index values are looked up in a tree of Maps (one level per field), and only a
// combination not seen before is encoded, as the head of its index keys (index prefix and fields),
// into a dictionary run. A worker then composes the sorted index run from the dictionary, the codes
// and the record keys (engine/run-compose.ts): no per-row index key is encoded on the main thread,
// and the run is laid out by a counting sort instead of sorted.
//
// Index values that hardly repeat gain nothing from this and would cost a Map entry per row: past
// `limit` distinct combinations the index is switched off, and the loader encodes it directly.

import type { CodedRun } from "../engine/bulk-sort.js";
import type { PackedRun } from "../engine/packed-run.js";
import { RunArena, sharedOffsets } from "./run-arena.js";
import type { ResolvedIndex } from "./schema.js";
import type { ByteWriter } from "./tuple.js";

/** Field types whose values are Map keys exactly when their encodings are equal (floats are not: -0 and 0). */
const CODABLE = new Set(["string", "int", "bigint", "bool"]);

/** Whether an index's entries can be coded (every field of a codable type). */
export function codable(ix: ResolvedIndex): boolean {
  return ix.fields.every((f) => CODABLE.has(f.type));
}

/** The distinct combinations past which an index of `rows` rows is not coded. */
export function codeLimit(rows: number): number {
  return Math.max(1 << 16, rows >>> 2);
}

/** One index's dictionary and codes while the records pass runs (written by the generated row encoder). */
export class CodedIndex {
  /** Field values to the next level's Map; the last level maps to codes. */
  readonly root = new Map<unknown, unknown>();
  /** Too many distinct combinations: no more codes are written (the loader encodes the index directly). */
  off = false;
  /** Rows coded so far. */
  n = 0;
  readonly codes: Uint32Array;
  private readonly dict = new RunArena(1024, 1024 * 48, 0);
  /** By another index's code: this index's code plus one (0: not seen yet). See row-encoder.ts. */
  private byParent = new Uint32Array(1024);

  constructor(
    rows: number,
    private readonly limit: number,
  ) {
    this.codes = sharedOffsets(rows);
  }

  /** Where the encoder writes a new dictionary entry (the head of an index key), before `add`. */
  get keys(): ByteWriter {
    return this.dict.keys;
  }

  /** Closes the dictionary entry just written and returns its code. */
  add(): number {
    const code = this.dict.count;
    this.dict.end();
    if (this.dict.count > this.limit) this.off = true;
    return code;
  }

  /** This index's code for a row whose code in the index it depends on is `parent`, or -1 if not known yet. */
  known(parent: number): number {
    return parent < this.byParent.length ? this.byParent[parent] - 1 : -1;
  }

  /** Notes this index's code for rows with code `parent` in the index it depends on. */
  remember(parent: number, code: number): void {
    if (parent >= this.byParent.length) {
      const grown = new Uint32Array(Math.max(parent + 1, this.byParent.length * 2));
      grown.set(this.byParent);
      this.byParent = grown;
    }
    this.byParent[parent] = code + 1;
  }

  /** The coded run of the index: heads from the dictionary, tails from the records' keys after `tailStart` bytes. */
  coded(records: PackedRun, tailStart: number): CodedRun {
    return { dict: this.dict.finish(), codes: this.codes, tails: records, tailStart, count: this.n, rangeOnly: true };
  }
}
