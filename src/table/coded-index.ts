// Secondary index runs by dictionary, for bulk load: while the records pass encodes each row, every
// index whose fields are strings, integers, bigints or booleans gets a code per row instead of a
// key: the row's index values are looked up in a tree of Maps (one level per field), and only a
// combination not seen before is encoded, as the head of its index keys (index prefix and fields),
// into a dictionary run. Workers group each slice of rows by code as the pass goes on, then compose
// the sorted index run from the dictionary, the groups and the record keys (engine/run-compose.ts):
// no per-row index key is encoded on the main thread, and the run is laid out, not sorted.
// ValueDictionary does the same for record values: a value seen before is copied, not encoded.
//
// Values that hardly repeat gain nothing from this and would cost a Map entry per row: past
// `limit` distinct combinations an index is switched off, and the loader encodes it directly (the
// value dictionary likewise, and values are encoded as they come).

import type { CodedRun } from "../engine/bulk-sort.js";
import type { PackedRun } from "../engine/packed-run.js";
import { RunArena, sharedOffsets } from "./run-arena.js";
import type { ResolvedIndex } from "./schema.js";
import { ByteWriter } from "./tuple.js";

/** Field types whose values are Map keys exactly when their encodings are equal (floats are not: -0 and 0). */
export const CODABLE: ReadonlySet<string> = new Set(["string", "int", "bigint", "bool"]);

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

/**
 * Record values by dictionary, for bulk load: a value seen before (the same value fields, looked up
 * by a tree of Maps, led by the code of a coded index whose fields are value fields when there is
 * one) is copied from here instead of encoded. Rows that repeat a few combinations of values (a
 * grant's entitlement, principal and resource) are then encoded once per combination. Past
 * `limit` distinct values it is switched off, and the encoder writes values directly.
 */
export class ValueDictionary {
  readonly root = new Map<unknown, unknown>();
  off = false;
  /** The values' bytes back to back. */
  readonly keys = new ByteWriter(64 * 1024);
  private ends = new Uint32Array(1024);
  private count = 0;
  private readonly byParent: Array<Map<unknown, unknown> | undefined> = [];
  // Views for copyTo, four bytes at a time (kept while the arrays stay the same).
  private srcBuf: Uint8Array | null = null;
  private srcView: DataView = new DataView(new ArrayBuffer(0));
  private dstBuf: Uint8Array | null = null;
  private dstView: DataView = new DataView(new ArrayBuffer(0));

  /** By leading code: the value code of the last row with that code, and its other value fields (see row-encoder.ts). */
  readonly last: number[] = [];
  readonly rest: unknown[][];

  constructor(
    private readonly limit: number,
    restFields = 0,
  ) {
    this.rest = Array.from({ length: restFields }, () => []);
  }

  /** The Map tree for rows whose leading index has code `parent`. */
  under(parent: number): Map<unknown, unknown> {
    let m = this.byParent[parent];
    if (m === undefined) {
      m = new Map();
      this.byParent[parent] = m;
    }
    return m;
  }

  /** Closes the value just written into `keys` and returns its code. */
  add(): number {
    if (this.count === this.ends.length) {
      const grown = new Uint32Array(this.ends.length * 2);
      grown.set(this.ends);
      this.ends = grown;
    }
    this.ends[this.count] = this.keys.pos;
    const code = this.count++;
    if (this.count > this.limit) this.off = true;
    return code;
  }

  /** Appends value `code`'s bytes to `w`. */
  copyTo(w: ByteWriter, code: number): void {
    const start = code === 0 ? 0 : this.ends[code - 1];
    const end = this.ends[code];
    const n = end - start;
    if (w.pos + n > w.buf.length) w.ensure(n);
    const dst = w.buf;
    const src = this.keys.buf;
    if (src !== this.srcBuf) {
      this.srcBuf = src;
      this.srcView = new DataView(src.buffer, src.byteOffset, src.byteLength);
    }
    if (dst !== this.dstBuf) {
      this.dstBuf = dst;
      this.dstView = new DataView(dst.buffer, dst.byteOffset, dst.byteLength);
    }
    const sv = this.srcView;
    const dv = this.dstView;
    let p = w.pos;
    let i = start;
    for (; i + 4 <= end; i += 4, p += 4) dv.setUint32(p, sv.getUint32(i));
    for (; i < end; i++) dst[p++] = src[i];
    w.pos = p;
  }
}
