// A table: records under a primary key plus secondary indexes, all in one engine key space (the
// layout is in keys.ts). Reads are synchronous, like the engine's: get by primary key, index
// queries (equality on a prefix of the index fields, a range on the next one) with limit,
// direction and resumable cursors, counts, and reads inside a snapshot. Writes (insert, upsert,
// update, delete) put the record and every index entry in one atomic engine batch.
//
// Writes read before they write (the old row, to remove its index entries; unique indexes, to
// reject duplicates). Two writes to the same primary key or the same unique value therefore take
// turns: a write waits for an earlier in-flight write on any key it touches. Writes on different
// keys issued in one event-loop turn still share one engine commit group.

import { InvalidArgumentError } from "../engine/errors.js";
import type { BatchOp, ReadOptions, Snapshot, Store, WriteOptions } from "../engine/store.js";
import { compareKeys } from "../format/compare.js";
import { type BulkLoadResult, bulkLoad } from "./bulk-load.js";
import { checkField, encodeValue, makeRecordDecoder, type RecordDecoder, type Row } from "./codec.js";
import { DuplicateKeyError, ReadOnlyError } from "./errors.js";
import {
  componentRangeEnd,
  indexPrefix,
  metaKey,
  primaryValues,
  readKeyField,
  readPrimaryFields,
  readPrimaryValues,
  writeIndexKey,
  writeKeyField,
  writePrimaryKey,
} from "./keys.js";
import type { KvReader } from "./reader.js";
import { type EncoderParts, makeRowEncoder, type RowEncoder } from "./row-encoder.js";
import { findIndex, type ResolvedIndex, type ResolvedSchema } from "./schema.js";
import { ByteWriter, encodeTuple, TupleReader } from "./tuple.js";

/** An index query: equality on the first fields of the index, then an optional range on the next. */
export interface TableQuery {
  /** "primary" (the default) or the name of a secondary index. */
  index?: string;
  /** Values for the first fields of the index, in order. */
  eq?: readonly unknown[];
  /** Bounds on the index field after the `eq` fields. */
  gt?: unknown;
  gte?: unknown;
  lt?: unknown;
  lte?: unknown;
  /** Index order (the default) or its reverse. */
  reverse?: boolean;
  /** At most this many rows (0 reads nothing and hands back the `after` cursor unchanged). */
  limit?: number;
  /** Resume after the last row of an earlier page (its `cursor`). */
  after?: string;
  /** Only the keys: the index fields and the primary key, with no record lookup. */
  keysOnly?: boolean;
  snapshot?: Snapshot;
}

export interface QueryPage {
  rows: Row[];
  /** Pass as `after` to get the next page; undefined when there are no more rows. */
  cursor: string | undefined;
}

const EMPTY = new Uint8Array(0);
/** A lock name no key can have (keys are latin1 strings of at least one byte). */
const BULK_LOCK = "";

function latin1(bytes: Uint8Array): string {
  return Buffer.from(bytes.buffer, bytes.byteOffset, bytes.length).toString("latin1");
}

export class Table {
  readonly name: string;
  /** Key prefix of each index by id (0: primary). */
  private readonly prefixes: Uint8Array[];
  private readonly countKey: Uint8Array;
  private rowCount: number;
  private readonly locks = new Map<string, Promise<void>>();
  private readonly w = new ByteWriter(256);
  /** Scratch for decoding records: field values by index, and a reusable tuple reader. */
  private readonly vals: unknown[];
  private readonly reader0 = new TupleReader(new Uint8Array(0));
  /** The record decoder generated for this schema. */
  private readonly decodeRow: RecordDecoder;
  private readonly encoders = new Map<string, RowEncoder>();
  /** The last key a query page returned (its cursor). */
  private readonly lastKey = new ByteWriter(64);
  private loading = false;

  constructor(
    readonly id: number,
    readonly schema: ResolvedSchema,
    private readonly reader: KvReader,
    private readonly store: Store | null,
  ) {
    this.name = schema.name;
    this.prefixes = [indexPrefix(id, 0), ...schema.indexes.map((ix) => indexPrefix(id, ix.id))];
    this.countKey = metaKey("rows", id);
    this.vals = new Array(schema.fields.length).fill(null);
    this.decodeRow = makeRecordDecoder(schema);
    const stored = reader.get(this.countKey);
    this.rowCount = stored === undefined ? this.countRange(this.prefixes[0]) : Number(new TupleReader(stored).read());
  }

  /** Number of rows. */
  get rows(): number {
    return this.rowCount;
  }

  // -------------------------------------------------------------------------------------------
  // Reads

  /** The row with this primary key (a value, an array for a compound key, or a row object). */
  get(key: unknown, options?: ReadOptions): Row | undefined {
    const values = primaryValues(this.schema, key);
    const k = this.primaryKeyOf(values);
    const v = this.reader.get(k, options);
    return v === undefined ? undefined : this.decodeRecord(k, v);
  }

  /** One page of an index query. */
  query(q: TableQuery = {}): QueryPage {
    const ix = findIndex(this.schema, q.index ?? "primary");
    const limit = q.limit ?? Number.POSITIVE_INFINITY;
    if (!(limit >= 0)) throw new InvalidArgumentError(`limit must be a non-negative number, got ${q.limit}`);
    if (limit === 0) return { rows: [], cursor: q.after }; // nothing read: the position is unchanged
    const range = this.rangeOf(ix, q);
    const it = this.reader.iterator({
      ...range,
      reverse: q.reverse === true,
      limit: limit === Number.POSITIVE_INFINITY ? undefined : limit + 1,
      snapshot: q.snapshot,
    });
    const rows: Row[] = [];
    const last = this.lastKey.reset();
    let more = false;
    try {
      it.visit((k, v) => {
        if (rows.length === limit) {
          more = true;
          return false;
        }
        rows.push(this.rowFromEntry(ix, k, v, q));
        // Only the page's last row can give the cursor.
        if (rows.length === limit) last.reset().bytes(k);
        return undefined;
      });
    } finally {
      it.close();
    }
    return { rows, cursor: more ? this.cursorOf(last.buf.subarray(0, last.pos)) : undefined };
  }

  /** Every row of a query, page by page (memory stays bounded by `pageSize`). */
  *scan(q: Omit<TableQuery, "limit" | "after"> = {}, pageSize = 1000): Generator<Row> {
    let after: string | undefined;
    do {
      const page = this.query({ ...q, limit: pageSize, after });
      yield* page.rows;
      after = page.cursor;
    } while (after !== undefined);
  }

  /** Number of rows a query would return (ignoring limit and cursor). */
  count(q: Omit<TableQuery, "limit" | "after" | "keysOnly" | "reverse"> = {}): number {
    const ix = findIndex(this.schema, q.index ?? "primary");
    const range = this.rangeOf(ix, q);
    const it = this.reader.iterator({ ...range, snapshot: q.snapshot });
    let n = 0;
    try {
      while (!it.next().done) n++;
    } finally {
      it.close();
    }
    return n;
  }

  private countRange(prefix: Uint8Array): number {
    const it = this.reader.iterator({ gte: prefix, lt: componentRangeEnd(prefix) });
    let n = 0;
    try {
      while (!it.next().done) n++;
    } finally {
      it.close();
    }
    return n;
  }

  private primaryKeyOf(values: readonly unknown[]): Uint8Array {
    const s = this.schema;
    const w = this.w.reset();
    w.bytes(this.prefixes[0]);
    for (let i = 0; i < values.length; i++) {
      const f = s.primary.fields[i];
      writeKeyField(w, s.primary, i, checkField(s.name, f, values[i]));
    }
    return w.toBytes();
  }

  /** The engine key range of a query: the eq prefix, the bounds on the next field, and the cursor. */
  private rangeOf(
    ix: ResolvedIndex,
    q: TableQuery,
  ): { gte: Uint8Array; lt: Uint8Array; gt?: Uint8Array; lte?: Uint8Array } {
    const s = this.schema;
    const eq = q.eq ?? [];
    const hasRange = q.gt !== undefined || q.gte !== undefined || q.lt !== undefined || q.lte !== undefined;
    const width = ix.fields.length + (ix.id === 0 ? 0 : s.primary.fields.length);
    if (eq.length + (hasRange ? 1 : 0) > width) {
      throw new InvalidArgumentError(
        `index ${JSON.stringify(ix.name)} of table ${JSON.stringify(s.name)} has ${width} key field(s); the query names ${eq.length + (hasRange ? 1 : 0)}`,
      );
    }
    // Fields of the index key in order: the index fields, then (for a secondary index) the primary key.
    const fieldAt = (i: number) =>
      i < ix.fields.length ? { index: ix, pos: i } : { index: s.primary, pos: i - ix.fields.length };
    const w = new ByteWriter(64);
    w.bytes(this.prefixes[ix.id]);
    for (let i = 0; i < eq.length; i++) {
      const { index, pos } = fieldAt(i);
      writeKeyField(w, index, pos, checkField(s.name, index.fields[pos], eq[i]));
    }
    const prefix = w.toBytes();
    let gte = prefix;
    let lt = componentRangeEnd(prefix);
    const encodeBound = (v: unknown): Uint8Array => {
      const { index, pos } = fieldAt(eq.length);
      const bw = new ByteWriter(64);
      bw.bytes(prefix);
      writeKeyField(bw, index, pos, checkField(s.name, { ...index.fields[pos], optional: true }, v));
      return bw.toBytes();
    };
    if (hasRange) {
      const { index, pos } = fieldAt(eq.length);
      const desc = index.dirs[pos] === "desc";
      // In a descending field, larger values have smaller bytes: lower value bounds bound the end.
      const tighten = (lower: boolean, key: Uint8Array) => {
        if (lower) {
          if (compareKeys(key, gte) > 0) gte = key;
        } else if (compareKeys(key, lt) < 0) lt = key;
      };
      const apply = (v: unknown, inclusive: boolean, isLower: boolean) => {
        if (v === undefined) return;
        const k = encodeBound(v);
        const lowerBytes = isLower !== desc; // which side of the byte range this value bound limits
        if (lowerBytes) tighten(true, inclusive ? k : componentRangeEnd(k));
        else tighten(false, inclusive ? componentRangeEnd(k) : k);
      };
      apply(q.gte, true, true);
      apply(q.gt, false, true);
      apply(q.lte, true, false);
      apply(q.lt, false, false);
    }
    if (q.after !== undefined) {
      const last = this.cursorKey(ix, q.after);
      if (q.reverse) {
        if (compareKeys(last, lt) < 0) lt = last;
      } else if (compareKeys(last, gte) >= 0) {
        return { gte, gt: last, lt };
      }
    }
    return { gte, lt };
  }

  private cursorOf(key: Uint8Array): string {
    return Buffer.from(key.buffer, key.byteOffset, key.length).toString("base64url");
  }

  private cursorKey(ix: ResolvedIndex, cursor: string): Uint8Array {
    const key = typeof cursor === "string" ? new Uint8Array(Buffer.from(cursor, "base64url")) : EMPTY;
    const prefix = this.prefixes[ix.id];
    if (key.length <= prefix.length || compareKeys(key.subarray(0, prefix.length), prefix) !== 0) {
      throw new InvalidArgumentError(
        `cursor does not belong to index ${JSON.stringify(ix.name)} of table ${JSON.stringify(this.name)}`,
      );
    }
    return key;
  }

  private rowFromEntry(ix: ResolvedIndex, k: Uint8Array, v: Uint8Array, q: TableQuery): Row {
    if (ix.id === 0) {
      if (q.keysOnly) {
        const row: Row = {};
        readPrimaryFields(this.reader0.reset(k, this.prefixes[0].length), this.schema, row);
        return row;
      }
      return this.decodeRecord(k, v);
    }
    const r = new TupleReader(k, this.prefixes[ix.id].length);
    const row: Row = {};
    for (let i = 0; i < ix.fields.length; i++) row[ix.fields[i].name] = readKeyField(r, ix, i);
    readPrimaryFields(r, this.schema, row);
    if (q.keysOnly) return row;
    const w = new ByteWriter(64);
    writePrimaryKey(w, this.prefixes[0], this.schema, row);
    const pk = w.toBytes();
    const value = this.reader.get(pk, { snapshot: q.snapshot });
    if (value === undefined) {
      throw new Error(`table ${JSON.stringify(this.name)}: index ${ix.name} names a row that does not exist`);
    }
    return this.decodeRecord(pk, value);
  }

  /** @internal A bulk loader's row encoder for this table, writing `parts` (generated on first use). */
  rowEncoder(parts: EncoderParts): RowEncoder {
    const key = JSON.stringify(parts);
    let e = this.encoders.get(key);
    if (e === undefined) {
      e = makeRowEncoder(this.schema, this.prefixes, parts);
      this.encoders.set(key, e);
    }
    return e;
  }

  /** A whole row from its primary key and value. */
  decodeRecord(key: Uint8Array, value: Uint8Array): Row {
    const s = this.schema;
    const vals = this.vals;
    const r = this.reader0;
    r.reset(key, this.prefixes[0].length);
    readPrimaryValues(r, s, vals);
    return this.decodeRow(vals, value, 0, value.length);
  }

  // -------------------------------------------------------------------------------------------
  // Writes

  /** Adds a row; a DuplicateKeyError if its primary key or a unique index value is taken. */
  insert(row: Row, options?: WriteOptions): Promise<void> {
    return this.write("insert", row, options).then(() => undefined);
  }

  /** Adds the row, or replaces the row with its primary key. */
  upsert(row: Row, options?: WriteOptions): Promise<void> {
    return this.write("upsert", row, options).then(() => undefined);
  }

  /** Changes some fields of the row with this key; resolves to the new row, or undefined if none. */
  update(key: unknown, changes: Row, options?: WriteOptions): Promise<Row | undefined> {
    return this.write("update", changes, options, key);
  }

  /** Removes the row with this key; resolves to whether there was one. */
  delete(key: unknown, options?: WriteOptions): Promise<boolean> {
    return this.write("delete", null, options, key).then((r) => r !== undefined);
  }

  private writable(): Store {
    if (!this.store) throw new ReadOnlyError(this.name);
    return this.store;
  }

  /** Every field checked and normalized, in schema order. */
  private checkRow(row: Row): Row {
    if (row === null || typeof row !== "object") {
      throw new InvalidArgumentError(`table ${JSON.stringify(this.name)}: a row must be an object`);
    }
    const out: Row = {};
    for (const f of this.schema.fields) out[f.name] = checkField(this.name, f, row[f.name]);
    for (const name of Object.keys(row)) {
      if (!this.schema.byName.has(name)) {
        throw new InvalidArgumentError(`table ${JSON.stringify(this.name)} has no field ${JSON.stringify(name)}`);
      }
    }
    return out;
  }

  private async write(
    kind: "insert" | "upsert" | "update" | "delete",
    input: Row | null,
    options: WriteOptions | undefined,
    key?: unknown,
  ): Promise<Row | undefined> {
    const store = this.writable();
    const s = this.schema;
    let pkValues: unknown[];
    let next: Row | null = null;
    if (kind === "insert" || kind === "upsert") {
      next = this.checkRow(input as Row);
      pkValues = s.primary.fields.map((f) => (next as Row)[f.name]);
    } else {
      pkValues = primaryValues(s, key);
      if (kind === "update") {
        const changes = input as Row;
        if (changes === null || typeof changes !== "object") {
          throw new InvalidArgumentError(`table ${JSON.stringify(this.name)}: update needs an object of changes`);
        }
        for (const f of s.primary.fields) {
          if (f.name in changes && changes[f.name] !== undefined) {
            throw new InvalidArgumentError(
              `table ${JSON.stringify(this.name)}: update cannot change primary key field ${f.name}; delete and insert instead`,
            );
          }
        }
      }
    }
    const pk = this.primaryKeyOf(pkValues);
    if (this.loading) {
      throw new InvalidArgumentError(`table ${JSON.stringify(this.name)} is being bulk loaded; write after it ends`);
    }
    const claims = [latin1(pk)];
    // Unique values this write may claim (for an update, the changed fields are known only after reading).
    if (next) for (const ix of s.indexes) if (this.claimsUnique(ix, next)) claims.push(this.uniqueClaim(ix, next));
    let release = this.acquire(claims);
    if (release instanceof Promise) release = await release;
    try {
      const oldValue = this.reader.get(pk);
      const old = oldValue === undefined ? undefined : this.decodeRecord(pk, oldValue);
      if (kind === "insert" && old) throw new DuplicateKeyError(this.name, "primary", pkValues);
      if (kind === "update") {
        if (!old) return undefined;
        const merged: Row = { ...old };
        for (const [name, v] of Object.entries(input as Row)) if (v !== undefined) merged[name] = v;
        next = this.checkRow(merged);
        const extra: string[] = [];
        for (const ix of s.indexes) if (this.claimsUnique(ix, next)) extra.push(this.uniqueClaim(ix, next));
        const more = extra.filter((c) => !claims.includes(c));
        if (more.length > 0) {
          let r2 = this.acquire(more);
          if (r2 instanceof Promise) r2 = await r2;
          const first = release;
          const second = r2;
          release = () => {
            second();
            first();
          };
        }
      }
      if (kind === "delete" && !old) return undefined;
      const ops = this.batchFor(pk, old, next);
      const delta = (next ? 1 : 0) - (old ? 1 : 0);
      if (delta !== 0) {
        this.rowCount += delta;
        ops.push({ type: "put", key: this.countKey, value: encodeTuple([this.rowCount]) });
      }
      try {
        await store.batch(ops, options);
      } catch (err) {
        this.rowCount -= delta;
        throw err;
      }
      return next ?? old;
    } finally {
      (release as () => void)();
    }
  }

  /** Whether `row` takes a value in unique index `ix` (rows with a null among its fields are exempt). */
  private claimsUnique(ix: ResolvedIndex, row: Row): boolean {
    return ix.unique && !ix.fields.some((f) => row[f.name] === null);
  }

  private uniqueClaim(ix: ResolvedIndex, row: Row): string {
    const w = this.w.reset();
    w.bytes(this.prefixes[ix.id]);
    for (let i = 0; i < ix.fields.length; i++) writeKeyField(w, ix, i, row[ix.fields[i].name]);
    return latin1(w.buf.subarray(0, w.pos));
  }

  /** The batch that turns `old` into `next` (either may be absent), checking unique indexes. */
  private batchFor(pk: Uint8Array, old: Row | undefined, next: Row | null): BatchOp[] {
    const s = this.schema;
    const ops: BatchOp[] = [];
    if (next) {
      const w = this.w.reset();
      encodeValue(
        w,
        s,
        s.fields.map((f) => (next as Row)[f.name]),
      );
      ops.push({ type: "put", key: pk, value: w.toBytes() });
    } else {
      ops.push({ type: "del", key: pk });
    }
    for (const ix of s.indexes) {
      const prefix = this.prefixes[ix.id];
      const w = new ByteWriter(96);
      let oldKey: Uint8Array | undefined;
      let newKey: Uint8Array | undefined;
      let newFieldsEnd = 0;
      if (old) {
        writeIndexKey(w, prefix, s, ix, old);
        oldKey = w.toBytes();
      }
      if (next) {
        newFieldsEnd = writeIndexKey(w.reset(), prefix, s, ix, next);
        newKey = w.toBytes();
      }
      if (oldKey && newKey && compareKeys(oldKey, newKey) === 0) continue;
      if (newKey && this.claimsUnique(ix, next as Row)) {
        const fields = newKey.subarray(0, newFieldsEnd);
        const it = this.reader.iterator({ gte: fields, lt: componentRangeEnd(fields), limit: 2 });
        try {
          for (const [k] of it) {
            if (oldKey && compareKeys(k, oldKey) === 0) continue;
            throw new DuplicateKeyError(
              this.name,
              ix.name,
              ix.fields.map((f) => (next as Row)[f.name]),
            );
          }
        } finally {
          it.close();
        }
      }
      if (oldKey) ops.push({ type: "del", key: oldKey });
      if (newKey) ops.push({ type: "put", key: newKey, value: EMPTY });
    }
    return ops;
  }

  /** Takes the locks on `keys` at once if free (no await, so same-turn writes group), else waits. */
  private acquire(keys: string[]): (() => void) | Promise<() => void> {
    const busy = keys.map((k) => this.locks.get(k)).filter((p): p is Promise<void> => p !== undefined);
    if (busy.length > 0) return Promise.all(busy).then(() => this.acquire(keys));
    let done!: () => void;
    const p = new Promise<void>((r) => {
      done = r;
    });
    for (const k of keys) this.locks.set(k, p);
    return () => {
      for (const k of keys) if (this.locks.get(k) === p) this.locks.delete(k);
      done();
    };
  }

  /** @internal The key prefix of each index, by id (for bulk load). */
  indexPrefixes(): readonly Uint8Array[] {
    return this.prefixes;
  }

  /** @internal The key of the stored row count. */
  rowCountKey(): Uint8Array {
    return this.countKey;
  }

  /** @internal Sets the row count after a bulk load. */
  setRowCount(n: number): void {
    this.rowCount = n;
  }

  /**
   * Loads rows into this table, which must be empty, straight into segment files: much faster
   * than inserts, all or nothing. Duplicate primary keys or unique values are a DuplicateKeyError
   * and load nothing. Writes to this table while the load runs are rejected. An array is read
   * once per run (each secondary index, then the records), so its rows must not change during the
   * call; any other iterable is read once.
   */
  bulkLoad(rows: Iterable<Row>): Promise<BulkLoadResult> {
    let store: Store;
    try {
      store = this.writable();
    } catch (err) {
      return Promise.reject(err);
    }
    const all = this.acquire([BULK_LOCK]);
    const run = async () => {
      const release = all instanceof Promise ? await all : all;
      this.loading = true;
      try {
        return await bulkLoad(this, store, rows);
      } finally {
        this.loading = false;
        release();
      }
    };
    return run();
  }
}
