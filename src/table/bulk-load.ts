// Bulk load into an empty table: no read before write and no WAL. The rows are encoded once into
// packed runs (the records, and one run of keys per secondary index), the runs are sorted on worker
// threads (an already-sorted run, such as records arriving in primary key order, costs one linear
// check), duplicates are found as equal neighbours, and the engine writes the runs straight into
// segment files in parallel and installs them in one atomic step (Store.ingestRuns). All or nothing:
// a duplicate or a bad row installs no file.

import { sortRuns } from "../engine/bulk-sort.js";
import { InvalidArgumentError } from "../engine/errors.js";
import { type PackedRun, runKey } from "../engine/packed-run.js";
import type { Store } from "../engine/store.js";
import { compareRange } from "../format/compare.js";
import { checkField, encodeValue, type Row } from "./codec.js";
import { DuplicateKeyError } from "./errors.js";
import { componentRangeEnd, readKeyField, writeKeyField } from "./keys.js";
import type { ResolvedIndex } from "./schema.js";
import type { Table } from "./table.js";
import { ByteWriter, CODE_NULL, encodeTuple, TupleReader } from "./tuple.js";

export interface BulkLoadResult {
  rows: number;
  /** Segment files written. */
  files: number;
}

/**
 * A packed run being written: keys (and values) straight into growable arenas in shared memory,
 * so encoding copies nothing and the sort workers read the bytes in place.
 */
class RunArena {
  readonly keys: ByteWriter;
  readonly values: ByteWriter | null;
  private keyOffsets: Uint32Array;
  private valueOffsets: Uint32Array;
  count = 0;

  constructor(entries: number, keyBytes: number, valueBytes: number) {
    this.keys = new ByteWriter(Math.max(64, keyBytes), true);
    this.values = valueBytes > 0 ? new ByteWriter(Math.max(64, valueBytes), true) : null;
    this.keyOffsets = sharedOffsets(entries + 1);
    this.valueOffsets = sharedOffsets(valueBytes > 0 ? entries + 1 : 1);
  }

  /** Closes the entry whose bytes were written since the last `end`. */
  end(): void {
    const n = ++this.count;
    if (n >= this.keyOffsets.length) {
      this.keyOffsets = grow(this.keyOffsets);
      if (this.values) this.valueOffsets = grow(this.valueOffsets);
    }
    this.keyOffsets[n] = this.keys.pos;
    if (this.values) this.valueOffsets[n] = this.values.pos;
  }

  finish(): PackedRun {
    const n = this.count;
    const run: PackedRun = {
      keys: this.keys.buf.subarray(0, this.keys.pos),
      keyOffsets: this.keyOffsets.subarray(0, n + 1),
      count: n,
    };
    if (this.values) {
      run.values = this.values.buf.subarray(0, this.values.pos);
      run.valueOffsets = this.valueOffsets.subarray(0, n + 1);
    }
    return run;
  }
}

function sharedOffsets(n: number): Uint32Array {
  return new Uint32Array(new SharedArrayBuffer(Math.max(2, n) * 4));
}

function grow(a: Uint32Array): Uint32Array {
  const next = sharedOffsets(a.length * 2);
  next.set(a);
  return next;
}

/** The values of the index fields of the key at entry `i` of a sorted secondary-index run. */
function indexValues(run: PackedRun, i: number, prefixLength: number, ix: ResolvedIndex): unknown[] {
  const r = new TupleReader(runKey(run, i), prefixLength);
  return ix.fields.map((_, j) => readKeyField(r, ix, j));
}

/**
 * Length of the index-field part of a secondary index key (prefix plus the index fields), or -1
 * when one of those fields is null (such rows are exempt from uniqueness).
 */
function fieldsEnd(r: TupleReader, key: Uint8Array, prefixLength: number, ix: ResolvedIndex): number {
  r.reset(key, prefixLength);
  for (let j = 0; j < ix.fields.length; j++) {
    const code = key[r.pos] ^ (ix.dirs[j] === "desc" ? 0xff : 0);
    if (code === CODE_NULL) return -1;
    r.skip(ix.dirs[j]);
  }
  return r.pos;
}

export async function bulkLoad(table: Table, store: Store, rows: Iterable<Row>): Promise<BulkLoadResult> {
  const s = table.schema;
  const prefixes = table.indexPrefixes();
  // The table must be empty: bulk load writes below every other write, without reading first.
  const tablePrefix = prefixes[0].subarray(0, prefixes[0].length - 1); // tuple(tableId)
  const probe = store.iterator({ gte: tablePrefix, lt: componentRangeEnd(tablePrefix), limit: 1 });
  const empty = probe.next().done === true;
  probe.close();
  if (!empty || table.rows !== 0) {
    throw new InvalidArgumentError(`bulk load needs an empty table; ${JSON.stringify(s.name)} has rows`);
  }

  const estimate = Array.isArray(rows) ? rows.length : 1024;
  const records = new RunArena(estimate, estimate * 24, estimate * 48);
  const indexRuns = s.indexes.map(() => new RunArena(estimate, estimate * 48, 0));
  const fields = s.fields;
  const pkIndex = s.primary;
  const vals: unknown[] = new Array(fields.length);
  const rk = records.keys;
  const rv = records.values as ByteWriter;
  let n = 0;
  for (const input of rows) {
    if (input === null || typeof input !== "object") {
      throw new InvalidArgumentError(`table ${JSON.stringify(s.name)}: row ${n} is not an object`);
    }
    s.extract(input, vals);
    for (let i = 0; i < fields.length; i++) vals[i] = checkField(s.name, fields[i], vals[i]);
    // The record: its key (the primary key after the table prefix), then its value.
    rk.bytes(prefixes[0]);
    const pkStart = rk.pos;
    for (let i = 0; i < pkIndex.fields.length; i++) writeKeyField(rk, pkIndex, i, vals[pkIndex.fields[i].index]);
    const pkEnd = rk.pos;
    encodeValue(rv, s, vals);
    records.end();
    // Index entries end with the primary key: copy its bytes instead of encoding them again.
    for (let x = 0; x < s.indexes.length; x++) {
      const ix = s.indexes[x];
      const run = indexRuns[x];
      const k = run.keys;
      k.bytes(prefixes[ix.id]);
      for (let i = 0; i < ix.fields.length; i++) writeKeyField(k, ix, i, vals[ix.fields[i].index]);
      k.bytes(rk.buf, pkStart, pkEnd);
      run.end();
    }
    n++;
  }
  if (n === 0) return { rows: 0, files: 0 };

  const sorted = await sortRuns([records.finish(), ...indexRuns.map((b) => b.finish())]);
  // Equal neighbours: a repeated primary key, or a repeated value in a unique index.
  const primary = sorted[0];
  for (let i = 1; i < primary.count; i++) {
    const ko = primary.keyOffsets;
    if (compareRange(primary.keys, ko[i - 1], ko[i], primary.keys, ko[i], ko[i + 1]) === 0) {
      const r = new TupleReader(runKey(primary, i), prefixes[0].length);
      throw new DuplicateKeyError(
        s.name,
        "primary",
        s.primary.fields.map((_, j) => readKeyField(r, s.primary, j)),
      );
    }
  }
  for (let x = 0; x < s.indexes.length; x++) {
    const ix = s.indexes[x];
    if (!ix.unique) continue;
    const run = sorted[x + 1];
    const plen = prefixes[ix.id].length;
    const r = new TupleReader(run.keys);
    let prev = -1;
    let prevEnd = 0;
    for (let i = 0; i < run.count; i++) {
      const start = run.keyOffsets[i];
      const end = fieldsEnd(r, run.keys.subarray(start, run.keyOffsets[i + 1]), plen, ix);
      if (end < 0) {
        prev = -1; // rows with a null among the fields are exempt
        continue;
      }
      if (
        prev >= 0 &&
        compareRange(run.keys, run.keyOffsets[prev], run.keyOffsets[prev] + prevEnd, run.keys, start, start + end) === 0
      ) {
        throw new DuplicateKeyError(s.name, ix.name, indexValues(run, i, plen, ix));
      }
      prev = i;
      prevEnd = end;
    }
  }
  // The row count is written after the rows, and any old count (0, after rows came and went) is
  // removed before: a crash in between leaves no count, and opening the table then counts the rows.
  const countKey = table.rowCountKey();
  if (store.get(countKey) !== undefined) await store.del(countKey);
  const result = await store.ingestRuns(sorted);
  table.setRowCount(n);
  await store.put(countKey, encodeTuple([n]));
  return { rows: n, files: result.files };
}
