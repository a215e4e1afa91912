// Bulk load into an empty table: no read before write and no WAL. The rows are encoded into packed
// runs (the records, and one run of keys per secondary index) by an encoder generated for the
// schema (row-encoder.ts); the runs are sorted on worker threads (an already-sorted run, such as
// records arriving in primary key order, costs one linear check; an index run of such rows sorts
// by grouping its equal index values, see PackedRun.prefixEnds); an array is encoded one run per
// pass, so each index run sorts on a worker while the main thread encodes the next. Repeated
// unique values are found as equal neighbours, repeated primary keys by the ingest, and the engine
// writes the runs straight into segment files in parallel and installs them in one atomic step
// (Store.ingestRuns); index runs get no bloom filter (they are only ever range-scanned). All or
// nothing: a duplicate or a bad row installs no file.

import { setImmediate as yieldToLoop } from "node:timers/promises";
import { type CodedPiece, composeSorted, groupCodedPiece, prestartBulkWorkers, sortRuns } from "../engine/bulk-sort.js";
import { InvalidArgumentError } from "../engine/errors.js";
import { type PackedRun, runKey } from "../engine/packed-run.js";
import type { Store } from "../engine/store.js";
import { compareRange } from "../format/compare.js";
import type { Row } from "./codec.js";
import { CodedIndex, codable, codeLimit, ValueDictionary } from "./coded-index.js";
import { DuplicateKeyError } from "./errors.js";
import { componentRangeEnd, readKeyField } from "./keys.js";
import type { RowEncoder } from "./row-encoder.js";
import { RunArena } from "./run-arena.js";
import type { ResolvedIndex } from "./schema.js";
import type { Table } from "./table.js";
import { CODE_NULL, encodeTuple, TupleReader } from "./tuple.js";

/** Rows encoded before the arenas are sized for the whole input. */
const SAMPLE_ROWS = 1024;

export interface BulkLoadResult {
  rows: number;
  /** Segment files written. */
  files: number;
}

/** The first entry of a sorted run whose key equals the one before it, or -1. */
function firstRepeat(run: PackedRun): number {
  const ko = run.keyOffsets;
  for (let i = 1; i < run.count; i++) {
    if (compareRange(run.keys, ko[i - 1], ko[i], run.keys, ko[i], ko[i + 1]) === 0) return i;
  }
  return -1;
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

/** A sink for one run, sized for `rows` entries once the first rows show their bytes per entry. */
function runArena(rows: number, withValues: boolean): RunArena {
  const estimate = rows >= 0 ? Math.min(rows, 2 * SAMPLE_ROWS) : SAMPLE_ROWS;
  // An index run notes where each key's primary key starts: rows loaded in primary key order then
  // sort by grouping equal index values (PackedRun.prefixEnds).
  return new RunArena(estimate, estimate * 48, withValues ? estimate * 48 : 0, !withValues);
}

function notAnObject(table: Table, n: number): InvalidArgumentError {
  return new InvalidArgumentError(`table ${JSON.stringify(table.schema.name)}: row ${n} is not an object`);
}

/** The record run and the index runs (rangeOnly) of rows from any iterable, in one pass; sorted. */
async function encodeInOnePass(table: Table, rows: Iterable<Row>): Promise<PackedRun[] | null> {
  const s = table.schema;
  const records = runArena(-1, true);
  const indexRuns = s.indexes.map(() => runArena(-1, false));
  const encodeRow = table.rowEncoder({ record: true, indexes: s.indexes.map((_, x) => x), checkAll: true });
  let n = 0;
  for (const input of rows) {
    if (input === null || typeof input !== "object") throw notAnObject(table, n);
    encodeRow(input, records, indexRuns);
    n++;
  }
  if (n === 0) return null;
  // Index entries are only ever range-scanned (queries, unique checks): their files need no bloom filter.
  return sortRuns([records.finish(), ...indexRuns.map((b) => ({ ...b.finish(), rangeOnly: true }))]);
}

/** A promise with its settling functions. */
interface Deferred<T> {
  promise: Promise<T>;
  resolve: (v: T) => void;
  reject: (e: unknown) => void;
  settled: boolean;
}

function deferred<T>(): Deferred<T> {
  const d = { settled: false } as Deferred<T>;
  d.promise = new Promise<T>((resolve, reject) => {
    d.resolve = (v) => {
      d.settled = true;
      resolve(v);
    };
    d.reject = (e) => {
      d.settled = true;
      reject(e);
    };
  });
  d.promise.catch(() => undefined); // the ingest looks at it
  return d;
}

/** Rows per slice of a pass: the event loop runs between slices (worker replies, new jobs). */
const SLICE_ROWS = 1 << 16;
/** Records handed to the ingest as one run (one file, usually) while the records pass goes on. */
const RECORD_PIECE_ROWS = SLICE_ROWS;

/**
 * Bulk load of an array, every pass over the rows feeding the workers as it goes. Indexes that
 * cannot be coded (coded-index.ts) first, each in a pass of its own (the first checks every field
 * of every row), sorted on a worker as soon as it is complete and its files written as soon as it
 * is sorted. Then the records pass: each row's key, its code in every coded index, and its value
 * (from the value dictionary when seen before); the records go to the workers in pieces, written
 * while the pass goes on (rows in primary key order need no sorting; the ingest refuses keys that
 * do not increase), and each slice's codes are grouped on a worker. Each coded index is then
 * composed from its dictionary, its groups and the record keys (an index with too many distinct
 * values is encoded in a pass of its own instead). All the runs go to one `ingestRuns` call as
 * promises, which installs every file at once at the end. When the records turn out not to be in
 * order (or to repeat a key), that ingest fails, installs nothing, and the records are sorted and
 * ingested with the index runs again (a composed run is right whatever the records' order). The
 * rows are read once per pass, so they must not change during the call (plain objects do not).
 */
async function loadInPasses(table: Table, store: Store, rows: readonly Row[]): Promise<BulkLoadResult> {
  const s = table.schema;
  const n = rows.length;
  if (n === 0) return { rows: 0, files: 0 };
  const prefixes = table.indexPrefixes();
  const pieces = Array.from({ length: Math.ceil(n / RECORD_PIECE_ROWS) }, () => deferred<PackedRun>());
  const indexes = s.indexes.map(() => deferred<PackedRun>());
  const countKey = table.rowCountKey();
  if (store.get(countKey) !== undefined) await store.del(countKey); // see bulkLoad
  const ingest = store.ingestRuns([...pieces.map((d) => d.promise), ...indexes.map((d) => d.promise)]);
  ingest.catch(() => undefined); // looked at below
  // One pass over the rows; `reserve` sizes the arena being filled once the first rows show the
  // bytes per row (growing by doubling would copy everything written so far once or twice).
  const pass = async (
    encodeRow: RowEncoder,
    records: RunArena | null,
    index: RunArena | null,
    reserve: (factor: number) => void,
    coded?: CodedIndex[],
    values?: ValueDictionary,
    onSlice?: (start: number, end: number) => void,
  ) => {
    const sinks = index ? [index] : [];
    const streams = records !== null && records.values !== null && encodeRow.writesValues;
    for (let i = 0; i < n; i++) {
      const input = rows[i];
      if (input === null || typeof input !== "object") throw notAnObject(table, i);
      encodeRow(input, records as RunArena, sinks, coded, values);
      if (i === SAMPLE_ROWS - 1 && n > 2 * SAMPLE_ROWS) reserve(n / SAMPLE_ROWS);
      if ((i + 1) % SLICE_ROWS === 0 || i === n - 1) {
        if (streams && ((i + 1) % RECORD_PIECE_ROWS === 0 || i === n - 1)) {
          const piece = Math.floor(i / RECORD_PIECE_ROWS);
          pieces[piece].resolve((records as RunArena).slice(piece * RECORD_PIECE_ROWS, i + 1));
        }
        onSlice?.(i + 1 - ((i + 1) % SLICE_ROWS || SLICE_ROWS), i + 1);
        await yieldToLoop();
      }
    }
  };
  // Index x's sorted run, when it comes, after its unique check.
  const settle = (x: number, sorted: Promise<PackedRun>) => {
    const ix = s.indexes[x];
    sorted
      .then((run) => {
        if (ix.unique) checkUnique(table, run, ix, prefixes[ix.id].length);
        indexes[x].resolve(run);
      })
      .catch(indexes[x].reject);
  };
  // Index x encoded in a pass of its own, then sorted on a worker while the next pass runs.
  const direct = async (x: number, checkAll: boolean) => {
    const run = runArena(n, false);
    await pass(table.rowEncoder({ record: false, indexes: [x], checkAll }), null, run, (f) => run.reserveFor(f));
    // Index entries are only ever range-scanned (queries, unique checks): their files need no bloom filter.
    settle(
      x,
      sortRuns([{ ...run.finish(), rangeOnly: true }]).then(([sorted]) => sorted),
    );
  };
  const codedIndexes = s.indexes.flatMap((ix, x) => (codable(ix) ? [x] : []));
  let records: RunArena | null = null;
  try {
    let first = true;
    for (let x = 0; x < s.indexes.length; x++) {
      if (codedIndexes.includes(x)) continue;
      await direct(x, first);
      first = false;
    }
    const arena = runArena(n, true);
    records = arena;
    // The records pass: every row's key, its code in each coded index, and its value (copied from
    // the value dictionary when seen before). Each slice of rows, once coded, is grouped by code on
    // a worker while the pass goes on, and the records go to the workers in pieces.
    const coded = codedIndexes.map(() => new CodedIndex(n, codeLimit(n)));
    const values = new ValueDictionary(codeLimit(n), s.valueFields.length);
    const tailStart = prefixes[0].length;
    const groups: Promise<CodedPiece>[][] = coded.map(() => []);
    const group = (start: number, end: number) => {
      const tails = arena.keyRun();
      coded.forEach((c, k) => {
        if (c.off) return;
        const piece = groupCodedPiece(c.codes, tails, tailStart, start, end);
        piece.catch(() => undefined); // looked at when the index is composed (not at all if it is switched off)
        groups[k].push(piece);
      });
    };
    await pass(
      table.rowEncoder({ record: true, indexes: [], coded: codedIndexes, values: true, checkAll: first }),
      arena,
      null,
      (f) => arena.reserveFor(f),
      coded,
      values,
      group,
    );
    const keys = arena.keyRun();
    const off: number[] = [];
    coded.forEach((c, k) => {
      if (c.off) off.push(codedIndexes[k]);
      else {
        const run = c.coded(keys, tailStart);
        settle(
          codedIndexes[k],
          Promise.all(groups[k]).then((grouped) => composeSorted({ ...run, pieces: grouped })),
        );
      }
    });
    for (const x of off) await direct(x, false);
  } catch (err) {
    for (const d of [...pieces, ...indexes]) if (!d.settled) d.reject(err);
    await ingest.catch(() => undefined); // its files are gone before the error is reported
    throw err;
  }
  let result: { files: number };
  try {
    result = await ingest;
  } catch (err) {
    if (!(err instanceof InvalidArgumentError)) throw err;
    // Keys that did not increase: records out of primary key order, or a repeated primary key.
    const all = records.finish();
    const [sorted] = await sortRuns([all]);
    checkPrimaryRepeats(table, sorted, prefixes[0].length);
    if (sorted === all) throw err; // in order and no key repeated: the failure was something else
    result = await store.ingestRuns([sorted, ...(await Promise.all(indexes.map((d) => d.promise)))]);
  }
  table.setRowCount(n);
  await store.put(countKey, encodeTuple([n]));
  return { rows: n, files: result.files };
}

/** Throws a DuplicateKeyError for the first repeated key of a sorted record run, if there is one. */
function checkPrimaryRepeats(table: Table, primary: PackedRun, prefixLength: number): void {
  const dup = firstRepeat(primary);
  if (dup >= 0) {
    const s = table.schema;
    const r = new TupleReader(runKey(primary, dup), prefixLength);
    throw new DuplicateKeyError(
      s.name,
      "primary",
      s.primary.fields.map((_, j) => readKeyField(r, s.primary, j)),
    );
  }
}

/** Equal neighbours in a sorted unique index run: a DuplicateKeyError (rows with a null among the fields are exempt). */
function checkUnique(table: Table, run: PackedRun, ix: ResolvedIndex, prefixLength: number): void {
  const r = new TupleReader(run.keys);
  const heads = run.heads;
  if (heads !== undefined) {
    // A composed run: its heads are the index values, and equal values share one head.
    for (let i = 1; i < run.count; i++) {
      const h = heads.of[i];
      if (h !== heads.of[i - 1]) continue;
      const head = heads.keys.subarray(heads.keyOffsets[h], heads.keyOffsets[h + 1]);
      if (fieldsEnd(r, head, prefixLength, ix) >= 0) {
        throw new DuplicateKeyError(table.schema.name, ix.name, indexValues(run, i, prefixLength, ix));
      }
    }
    return;
  }
  let prev = -1;
  let prevEnd = 0;
  for (let i = 0; i < run.count; i++) {
    const start = run.keyOffsets[i];
    const end = fieldsEnd(r, run.keys.subarray(start, run.keyOffsets[i + 1]), prefixLength, ix);
    if (end < 0) {
      prev = -1;
      continue;
    }
    if (
      prev >= 0 &&
      compareRange(run.keys, run.keyOffsets[prev], run.keyOffsets[prev] + prevEnd, run.keys, start, start + end) === 0
    ) {
      throw new DuplicateKeyError(table.schema.name, ix.name, indexValues(run, i, prefixLength, ix));
    }
    prev = i;
    prevEnd = end;
  }
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

  // The worker threads start (and warm up) while the main thread encodes the first pass.
  if (store.usesBulkWorkers) prestartBulkWorkers();
  if (Array.isArray(rows)) return loadInPasses(table, store, rows);
  const sorted = await encodeInOnePass(table, rows);
  if (sorted === null) return { rows: 0, files: 0 };
  const n = sorted[0].count;
  for (let x = 0; x < s.indexes.length; x++) {
    const ix = s.indexes[x];
    if (ix.unique) checkUnique(table, sorted[x + 1], ix, prefixes[ix.id].length);
  }
  // The row count is written after the rows, and any old count (0, after rows came and went) is
  // removed before: a crash in between leaves no count, and opening the table then counts the rows.
  const countKey = table.rowCountKey();
  if (store.get(countKey) !== undefined) await store.del(countKey);
  let result: { files: number };
  try {
    result = await store.ingestRuns(sorted);
  } catch (err) {
    // Nothing was installed. A key that did not increase is a repeated primary key: say which.
    if (err instanceof InvalidArgumentError) checkPrimaryRepeats(table, sorted[0], prefixes[0].length);
    throw err;
  }
  table.setRowCount(n);
  await store.put(countKey, encodeTuple([n]));
  return { rows: n, files: result.files };
}
