// The model-based randomized run behind test/table-model.test.ts: one seed's store, tables and
// model. This file owns `runTableModel`. For a seed it opens a store on a fresh in-memory disk with
// tiny engine options, defines 1-3 tables with random schemas (table-model-model.ts) and runs a
// weighted random mix of operations: inserts, upserts, updates and deletes (alone, or several in
// one event-loop turn), gets, index queries (equality prefixes, ranges, reverse, keysOnly, limits,
// cursor walks and scans), counts, cursors resumed across later writes and reopens, snapshots read
// later against a copy of the model, flushes, compactions, reopens, rejected bad writes, and an
// index hygiene check that counts the engine keys of every table and index. Every answer is
// compared with the model. Everything comes from the seed: no Math.random, no timers.

import { InvalidArgumentError, StoreClosedError } from "../../src/engine/errors.js";
import type { StoreOptions } from "../../src/engine/options.js";
import { open, type Snapshot, type Store } from "../../src/engine/store.js";
import { MemoryFileSystem } from "../../src/fs/memory.js";
import { RawJson, type Row } from "../../src/table/codec.js";
import { DuplicateKeyError } from "../../src/table/errors.js";
import type { Table, TableQuery } from "../../src/table/table.js";
import { Tables } from "../../src/table/tables.js";
import { encodeTuple, TupleReader } from "../../src/table/tuple.js";
import { Rng } from "./rng.js";
import {
  after,
  applyWrite,
  cloneModel,
  describeQuery,
  describeTable,
  expectedHits,
  type FieldDef,
  findIndexDef,
  type Hit,
  type IndexDef,
  JsonText,
  keyFields,
  label,
  type Model,
  type MRow,
  type MValue,
  type Outcome,
  pkId,
  pkOf,
  type QuerySpec,
  randomTable,
  randomValue,
  repr,
  rowFields,
  show,
  showRow,
  type TableDef,
  toInput,
  type WriteOp,
  writePk,
} from "./table-model-model.js";

const DIR = "/db";
const MAX_SNAPSHOTS = 3;
const MAX_CURSORS = 3;
/** A full check of every table runs this often (and at the end). */
const FULL_CHECK_EVERY = 60;

type OpName =
  | "insert"
  | "upsert"
  | "update"
  | "delete"
  | "concurrent"
  | "get"
  | "query"
  | "count"
  | "cursorStart"
  | "cursorResume"
  | "snapshot"
  | "snapshotRead"
  | "snapshotRelease"
  | "flush"
  | "compact"
  | "reopen"
  | "hygiene"
  | "bad"
  | "defineAgain";

const OP_WEIGHTS: ReadonlyArray<readonly [OpName, number]> = [
  ["insert", 16],
  ["upsert", 9],
  ["update", 11],
  ["delete", 7],
  ["concurrent", 7],
  ["get", 7],
  ["query", 16],
  ["count", 4],
  ["cursorStart", 2],
  ["cursorResume", 4],
  ["snapshot", 1.5],
  ["snapshotRead", 3],
  ["snapshotRelease", 1],
  ["flush", 1.5],
  ["compact", 1.2],
  ["reopen", 1],
  ["hygiene", 2],
  ["bad", 1.5],
  ["defineAgain", 0.5],
];

type WriteKind = WriteOp["kind"];
const WRITE_WEIGHTS: ReadonlyArray<readonly [WriteKind, number]> = [
  ["insert", 16],
  ["upsert", 9],
  ["update", 11],
  ["delete", 7],
];

function randomOptions(rng: Rng, fs: MemoryFileSystem): StoreOptions {
  const l0CompactionTrigger = rng.int(1, 4);
  return {
    fs,
    writeBufferSize: rng.int(1, 8) * 1024,
    blockSize: rng.int(64, 512),
    restartInterval: rng.int(1, 16),
    bloomBitsPerKey: rng.chance(0.5) ? 0 : 10,
    blockCacheSize: rng.chance(0.3) ? rng.int(0, 4) * 1024 : 1 << 20,
    l0CompactionTrigger,
    l0StopTrigger: rng.int(l0CompactionTrigger, l0CompactionTrigger + 6),
    targetFileSize: rng.int(1, 8) * 1024,
    levelBaseBytes: rng.int(4, 32) * 1024,
    levelMultiplier: rng.int(2, 6),
    numLevels: rng.int(3, 6),
    walShards: rng.int(1, 4),
    durability: rng.pick(["none", "relaxed"] as const),
    // The relaxed-sync timer is the engine's only timer: keep it from firing, so that a run
    // depends on nothing but its seed.
    relaxedIntervalMs: 3_600_000,
    compactionThread: "inline",
    maxImmutableMemtables: rng.int(1, 3),
  };
}

function describeOptions(o: StoreOptions): string {
  const { fs: _fs, ...rest } = o;
  return JSON.stringify(rest);
}

class TableModelFailure extends Error {
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = "TableModelFailure";
  }
}

interface PlannedWrite {
  op: WriteOp;
  desc: string;
  issue(): Promise<unknown>;
}

interface LiveSnapshot {
  snap: Snapshot;
  model: Model;
  takenAt: number;
}

interface LiveCursor {
  table: number;
  q: QuerySpec;
  pageSize: number;
  cursor: string;
  /** The index key values of the last row returned. */
  last: MValue[];
  desc: string;
  startedAt: number;
}

type Settled = PromiseSettledResult<unknown>;

function errText(e: unknown): string {
  return e instanceof Error ? `${e.name}: ${e.message}` : String(e);
}

/** A row the table returned, as a comparable string of `fields`, naming any missing or extra field. */
function rowRepr(fields: readonly FieldDef[], row: Readonly<Record<string, unknown>>): string {
  const parts = fields.map((f) => `${f.name}=${f.name in row ? repr(f.type, row[f.name]) : "MISSING"}`);
  for (const name of Object.keys(row)) {
    if (!fields.some((f) => f.name === name)) parts.push(`EXTRA ${name}`);
  }
  return `{${parts.join(" ")}}`;
}

/** The model's row as the table should return it (only `fields`). */
function modelRepr(fields: readonly FieldDef[], row: MRow): string {
  return `{${fields.map((f) => `${f.name}=${repr(f.type, row[f.name])}`).join(" ")}}`;
}

/** Progress reports, so that a watchdog can tell where a run that stopped moving got stuck. */
export interface RunHooks {
  progress?(opIndex: number, desc: string): void;
}

class Run {
  readonly rng: Rng;
  readonly fs = new MemoryFileSystem();
  readonly options: StoreOptions;
  readonly defs: TableDef[];
  store!: Store;
  tables!: Tables;
  handles: Table[] = [];
  ids: number[] = [];
  model: Model;
  snaps: LiveSnapshot[] = [];
  cursors: LiveCursor[] = [];
  opIndex = -1;
  opDesc = "setup";
  readonly log: string[] = [];
  readonly opCounts = new Map<string, number>();
  /** Rows returned earlier, with what they showed then. */
  private readonly held: Array<{ row: Row; fields: readonly FieldDef[]; shown: string; what: string }> = [];
  readonly activity = {
    flushes: 0,
    compactions: 0,
    reopens: 0,
    duplicates: 0,
    maxRows: 0,
    reorders: 0,
    queries: 0,
    closedWrites: 0,
  };
  private readonly trace = process.env.SHALE_TRACE === "1";

  constructor(
    readonly seed: number,
    readonly ops: number,
    private readonly hooks: RunHooks,
  ) {
    this.rng = new Rng(seed);
    this.options = randomOptions(this.rng, this.fs);
    const n = this.rng.int(1, 3);
    const names = this.rng.shuffle(["users", "é", "t\u0000x", "events"]).slice(0, n);
    this.defs = names.map((name) => randomTable(this.rng, name));
    this.model = this.defs.map(() => new Map());
  }

  // --- failure reporting ---------------------------------------------------------------------

  fail(message: string, cause?: unknown): never {
    const recent = this.log.slice(-24).join("\n    ");
    throw new TableModelFailure(
      `seed=${this.seed} op #${this.opIndex} (${this.opDesc}): ${message}\n` +
        `  tables: ${this.defs.map(describeTable).join("\n          ")}\n` +
        `  options: ${describeOptions(this.options)}\n` +
        `  replay: SHALE_SEED=${this.seed} SHALE_OPS=${this.opIndex + 1} SHALE_TRACE=1 node --import tsx --test test/table-model.test.ts\n` +
        `  recent operations (last ${Math.min(24, this.log.length)}):\n    ${recent}`,
      cause === undefined ? undefined : { cause },
    );
  }

  note(desc: string): void {
    this.opDesc = desc;
    const line = `#${this.opIndex} ${desc}`;
    this.log.push(line);
    if (this.log.length > 200) this.log.splice(0, 100);
    this.hooks.progress?.(this.opIndex, desc);
    if (this.trace) console.log(`[seed ${this.seed}] ${line}`);
  }

  // --- values, rows and keys as the table takes them ----------------------------------------

  randomRow(t: TableDef): MRow {
    const row: Record<string, MValue> = {};
    for (const f of t.fields) row[f.name] = f.optional && this.rng.chance(0.3) ? null : randomValue(this.rng, f);
    return row;
  }

  /** A value for a field, from an existing row half the time (so that queries and conflicts hit). */
  someValue(ti: number, f: FieldDef, nullable = f.optional): MValue {
    if (nullable && this.rng.chance(0.12)) return null;
    const rows = [...this.model[ti].values()];
    if (rows.length > 0 && this.rng.chance(0.5)) return this.rng.pick(rows)[f.name];
    return randomValue(this.rng, f);
  }

  existingRow(ti: number): MRow | undefined {
    const rows = [...this.model[ti].values()];
    return rows.length === 0 ? undefined : this.rng.pick(rows);
  }

  /** A primary key: an existing row's with probability `pExisting`, else random (present or not). */
  somePk(ti: number, pExisting: number): MValue[] {
    const t = this.defs[ti];
    const row = this.rng.chance(pExisting) ? this.existingRow(ti) : undefined;
    return row ? pkOf(t, row) : t.primary.fields.map((f) => randomValue(this.rng, f));
  }

  /** A row object for insert/upsert: null fields left out, undefined or null; json as a value or a RawJson. */
  inputRow(t: TableDef, row: MRow): Row {
    const out: Row = {};
    for (const f of this.rng.shuffle(t.fields)) {
      const v = row[f.name];
      if (v === null) {
        const how = this.rng.int(0, 2);
        if (how === 1) out[f.name] = undefined;
        else if (how === 2) out[f.name] = null;
        continue;
      }
      out[f.name] = this.input(v);
    }
    return out;
  }

  input(v: MValue): unknown {
    if (v instanceof JsonText && this.rng.chance(0.2)) return new RawJson(new TextEncoder().encode(v.text));
    return toInput(v);
  }

  /** A key for get/update/delete, in one of the forms the table takes: a value, an array or an object. */
  keyArg(t: TableDef, pk: readonly MValue[]): unknown {
    const values = pk.map((v) => toInput(v));
    const form = this.rng.int(0, 2);
    if (form === 0 && values.length === 1) return values[0];
    if (form === 2) return Object.fromEntries(t.primary.fields.map((f, i) => [f.name, values[i]]));
    return values;
  }

  // --- writes -----------------------------------------------------------------------------------

  /** A random write of `kind` to table `ti` (to primary key `fixedPk` if given). */
  planWrite(kind: WriteKind, ti: number, fixedPk?: readonly MValue[]): PlannedWrite {
    const t = this.defs[ti];
    const table = () => this.handles[ti];
    if (kind === "insert" || kind === "upsert") {
      let row = this.randomRow(t);
      const base = this.existingRow(ti);
      if (base && this.rng.chance(kind === "upsert" ? 0.6 : 0.35)) {
        // Start from an existing row and change some fields: same primary key (an upsert that
        // replaces, an insert that fails), or the same unique values under another key.
        const changed: Record<string, MValue> = { ...base };
        for (const f of this.rng.subset(kind === "upsert" ? t.valueFields : t.fields, 0.4))
          changed[f.name] = row[f.name];
        row = changed;
      }
      if (fixedPk) row = { ...row, ...Object.fromEntries(t.primary.fields.map((f, i) => [f.name, fixedPk[i]])) };
      const input = this.inputRow(t, row);
      return {
        op: { kind, table: ti, row },
        desc: `${kind} ${t.label} ${showRow(row)}`,
        issue: () => (kind === "insert" ? table().insert(input) : table().upsert(input)),
      };
    }
    const pk = fixedPk ? [...fixedPk] : this.somePk(ti, kind === "update" ? 0.75 : 0.7);
    const key = this.keyArg(t, pk);
    if (kind === "delete") {
      return {
        op: { kind, table: ti, pk },
        desc: `delete ${t.label} [${pk.map(show).join(",")}]`,
        issue: () => table().delete(key),
      };
    }
    const changes: Record<string, MValue | undefined> = {};
    for (const f of this.rng.subset(t.valueFields, 0.45)) {
      changes[f.name] = f.optional && this.rng.chance(0.25) ? null : this.someValue(ti, f, false);
    }
    // An undefined change leaves the field alone, even for a primary key field.
    if (this.rng.chance(0.1)) changes[this.rng.pick(t.fields).name] = undefined;
    const input: Row = {};
    for (const [name, v] of Object.entries(changes)) input[name] = v === undefined ? undefined : this.input(v);
    return {
      op: { kind, table: ti, pk, changes },
      desc: `update ${t.label} [${pk.map(show).join(",")}] ${showRow(changes)}`,
      issue: () => table().update(key, input),
    };
  }

  /** Keeps some returned rows that hold bytes or json, to check later that nothing changed them. */
  maybeHold(row: Row, fields: readonly FieldDef[], shown: string, what: string): void {
    if (!fields.some((f) => f.type === "bytes" || f.type === "json") || !this.rng.chance(0.05)) return;
    this.held.push({ row, fields, shown, what: `#${this.opIndex} ${what}` });
    if (this.held.length > 40) this.held.shift();
  }

  /** Rows returned earlier still hold what they held then (no view into a buffer the store reuses). */
  checkHeld(): void {
    for (const h of this.held) {
      const now = rowRepr(h.fields, h.row);
      if (now !== h.shown) this.fail(`a row returned by ${h.what} changed from ${h.shown} to ${now}`);
    }
  }

  /** Why `got` is not what `exp` says (undefined when it is). */
  mismatch(op: WriteOp, exp: Outcome, got: Settled): string | undefined {
    const t = this.defs[op.table];
    if (exp.kind === "duplicate") {
      if (got.status === "fulfilled")
        return `it succeeded; the model expected a DuplicateKeyError on ${exp.indexes.join(" or ")}`;
      const e = got.reason;
      if (!(e instanceof DuplicateKeyError)) {
        return `it failed with ${errText(e)}; the model expected a DuplicateKeyError on ${exp.indexes.join(" or ")}`;
      }
      if (e.table !== t.name || !exp.indexes.includes(e.index)) {
        return `DuplicateKeyError names table ${JSON.stringify(e.table)} index ${e.index}; the model expected ${exp.indexes.join(" or ")} of ${t.label}`;
      }
      return undefined;
    }
    if (got.status === "rejected") return `it failed with ${errText(got.reason)}; the model expected it to succeed`;
    const v = got.value;
    if (op.kind === "insert" || op.kind === "upsert") {
      return v === undefined ? undefined : `it resolved to ${String(v)}, not undefined`;
    }
    if (op.kind === "delete") {
      return v === exp.result ? undefined : `delete resolved to ${String(v)}; the model says ${String(exp.result)}`;
    }
    const want = exp.result as { row: MRow } | undefined;
    if (want === undefined)
      return v === undefined ? undefined : `update of a missing row resolved to a row, not undefined`;
    if (v === null || typeof v !== "object") return `update resolved to ${String(v)}; the model has the row`;
    const got1 = rowRepr(t.fields, v as Row);
    const want1 = rowRepr(t.fields, want.row);
    return got1 === want1 ? undefined : `update resolved to ${got1}; the model has ${want1}`;
  }

  async oneWrite(kind: WriteKind): Promise<void> {
    const ti = this.rng.int(0, this.defs.length - 1);
    const plan = this.planWrite(kind, ti);
    this.note(plan.desc);
    const [got] = await Promise.allSettled([plan.issue()]);
    const exp = applyWrite(this.defs, this.model, plan.op);
    if (exp.kind === "duplicate") this.activity.duplicates++;
    const why = this.mismatch(plan.op, exp, got);
    if (why) this.fail(why, got.status === "rejected" ? got.reason : undefined);
    this.checkRowCounts("after the write");
  }

  /**
   * Several writes issued in one event-loop turn, mostly on distinct primary keys (sometimes with a
   * flush among them). Writes on distinct keys may commit in any order, but each is atomic: the
   * outcomes must be those of the writes applied one at a time in some order (the issue order is
   * tried first).
   */
  async concurrent(): Promise<void> {
    const n = this.rng.int(2, 5);
    const plans: PlannedWrite[] = [];
    const used = new Set<string>();
    for (let tries = 0; plans.length < n && tries < 20; tries++) {
      const ti = this.rng.int(0, this.defs.length - 1);
      const plan = this.planWrite(this.rng.weighted(WRITE_WEIGHTS), ti);
      const id = `${ti}/${pkId(this.defs[ti], writePk(this.defs[ti], plan.op))}`;
      if (used.has(id) && this.rng.chance(0.9)) continue;
      used.add(id);
      plans.push(plan);
    }
    const flushAt = this.rng.chance(0.2) ? this.rng.int(0, plans.length) : -1;
    this.note(
      `concurrent: ${plans.map((p, i) => `${i === flushAt ? "flush ‖ " : ""}${p.desc}`).join(" ‖ ")}${flushAt === plans.length ? " ‖ flush" : ""}`,
    );
    const promises: Promise<unknown>[] = [];
    let flush: Promise<void> | undefined;
    for (let i = 0; i <= plans.length; i++) {
      if (i === flushAt) flush = this.store.flush();
      if (i < plans.length) promises.push(plans[i].issue());
    }
    const settled = await Promise.allSettled(promises);
    if (flush) await flush;
    this.explain(plans, settled);
    this.checkRowCounts("after the concurrent writes");
  }

  /**
   * Finds an order of `plans` whose outcomes, applied one at a time to the model, are the ones
   * seen, and adopts its model; fails if there is none. When `closing`, a write rejected with
   * StoreClosedError (it was waiting for another write on its key when the store closed) counts
   * as never issued.
   */
  explain(plans: PlannedWrite[], settled: Settled[], closing = false): void {
    const skipped = plans.map((_, i) => {
      const s = settled[i];
      return closing && s.status === "rejected" && s.reason instanceof StoreClosedError;
    });
    const live = plans.map((_, i) => i).filter((i) => !skipped[i]);
    let firstTry: string | undefined;
    for (const perm of permutations(live.length)) {
      const order = perm.map((j) => live[j]);
      const m = cloneModel(this.model);
      const outcomes: Outcome[] = new Array(plans.length);
      for (const i of order) outcomes[i] = applyWrite(this.defs, m, plans[i].op);
      const problems = live
        .map((i) => {
          const why = this.mismatch(plans[i].op, outcomes[i], settled[i]);
          return why ? `write ${i} (${plans[i].desc}): ${why}` : undefined;
        })
        .filter((w) => w !== undefined);
      if (problems.length === 0) {
        if (perm.some((v, i) => v !== i)) this.activity.reorders++;
        this.activity.duplicates += outcomes.filter((o) => o?.kind === "duplicate").length;
        this.activity.closedWrites += skipped.filter((x) => x).length;
        this.model = m;
        return;
      }
      firstTry ??= problems.join("\n    ");
    }
    this.fail(`no order of the writes explains their outcomes; in issue order:\n    ${firstTry}`);
  }

  // --- reads ------------------------------------------------------------------------------------

  compareRows(what: string, fields: readonly FieldDef[], got: readonly Row[], want: readonly Hit[]): void {
    const g = got.map((r) => rowRepr(fields, r));
    for (let i = 0; i < got.length; i++) this.maybeHold(got[i], fields, g[i], what);
    const w = want.map((h) => modelRepr(fields, h.row));
    let i = 0;
    while (i < g.length && i < w.length && g[i] === w[i]) i++;
    if (i === g.length && i === w.length) return;
    const around = (list: string[]) =>
      list
        .slice(Math.max(0, i - 2), i + 4)
        .map((s, j) => `[${Math.max(0, i - 2) + j}] ${s}`)
        .join("\n      ");
    this.fail(
      `${what}: ${g.length} rows returned, the model has ${w.length}; first difference at row ${i}\n` +
        `    returned:\n      ${around(g) || "(none)"}\n    model:\n      ${around(w) || "(none)"}`,
    );
  }

  randomQuery(ti: number): QuerySpec {
    const t = this.defs[ti];
    const ix: IndexDef = this.rng.pick([t.primary, ...t.indexes]);
    const { fields } = keyFields(t, ix);
    const base = this.existingRow(ti);
    const n = this.rng.weighted([...fields.map((_, i): [number, number] => [i, i === 0 ? 3 : 2]), [fields.length, 1]]);
    const eq = fields.slice(0, n).map((f) => (base && this.rng.chance(0.8) ? base[f.name] : this.someValue(ti, f)));
    const q: QuerySpec = { index: ix.name, eq, reverse: this.rng.chance(0.4), keysOnly: this.rng.chance(0.3) };
    if (n < fields.length && this.rng.chance(0.6)) {
      const f = fields[n];
      const bound = () => (this.rng.chance(0.05) ? null : this.someValue(ti, f, false));
      for (const b of this.rng.shuffle(["gt", "gte", "lt", "lte"] as const)) if (this.rng.chance(0.35)) q[b] = bound();
    }
    return q;
  }

  tableQuery(q: QuerySpec, extra: Partial<TableQuery> = {}): TableQuery {
    const out: TableQuery = { ...extra };
    if (q.index !== "primary" || this.rng.chance(0.5)) out.index = q.index;
    if (q.eq.length > 0 || this.rng.chance(0.3)) out.eq = q.eq.map(toInput);
    for (const b of ["gt", "gte", "lt", "lte"] as const) {
      const v = q[b];
      if (v !== undefined) out[b] = toInput(v);
    }
    if (q.reverse || this.rng.chance(0.2)) out.reverse = q.reverse;
    if (q.keysOnly || this.rng.chance(0.2)) out.keysOnly = q.keysOnly;
    return out;
  }

  /** A query checked against `rows`: whole, limited, walked page by page, or scanned. */
  checkQuery(ti: number, q: QuerySpec, rows: Map<string, MRow>, snapshot?: LiveSnapshot): void {
    const t = this.defs[ti];
    const table = this.handles[ti];
    const want = expectedHits(t, rows, q);
    const fields = rowFields(t, q);
    const at = snapshot ? ` @snapshot#${snapshot.takenAt}` : "";
    const snap = snapshot ? { snapshot: snapshot.snap } : {};
    const mode = this.rng.weighted([
      ["all", 3],
      ["limit", 2],
      ["walk", 3],
      ["scan", 1],
    ] as const);
    this.activity.queries++;
    if (mode === "all") {
      const what = `query ${t.label} ${describeQuery(q)}${at}`;
      const page = table.query(this.tableQuery(q, snap));
      this.compareRows(what, fields, page.rows, want);
      if (page.cursor !== undefined) this.fail(`${what}: a query without a limit returned a cursor`);
    } else if (mode === "limit") {
      const limit = this.rng.int(0, 5);
      const what = `query ${t.label} ${describeQuery(q)} limit=${limit}${at}`;
      const page = table.query(this.tableQuery(q, { ...snap, limit }));
      this.compareRows(what, fields, page.rows, want.slice(0, limit));
      if (limit > 0 && (page.cursor !== undefined) !== want.length > limit) {
        this.fail(`${what}: cursor is ${page.cursor}, but the model has ${want.length} rows`);
      }
    } else if (mode === "walk") {
      const pageSize = this.rng.int(1, 7);
      const what = `walk ${t.label} ${describeQuery(q)} pages of ${pageSize}${at}`;
      const got: Row[] = [];
      let cursor: string | undefined;
      let pages = 0;
      do {
        const page = table.query(this.tableQuery(q, { ...snap, limit: pageSize, after: cursor }));
        pages++;
        if (page.rows.length > pageSize) this.fail(`${what}: page ${pages} has ${page.rows.length} rows`);
        if (page.cursor !== undefined && page.rows.length < pageSize) {
          this.fail(`${what}: page ${pages} has only ${page.rows.length} rows, but a cursor to more`);
        }
        got.push(...page.rows);
        cursor = page.cursor;
        if (pages > want.length + 2) break;
      } while (cursor !== undefined);
      this.compareRows(what, fields, got, want);
      const wantPages = Math.max(1, Math.ceil(want.length / pageSize));
      if (pages !== wantPages) this.fail(`${what}: ${pages} pages for ${want.length} rows`);
    } else {
      const pageSize = this.rng.int(1, 7);
      const what = `scan ${t.label} ${describeQuery(q)} pageSize=${pageSize}${at}`;
      const tq = this.tableQuery(q, snap);
      this.compareRows(what, fields, [...table.scan(tq, pageSize)], want);
    }
    if (this.rng.chance(0.3)) this.checkCount(ti, q, rows, snapshot);
  }

  checkCount(ti: number, q: QuerySpec, rows: Map<string, MRow>, snapshot?: LiveSnapshot): void {
    const t = this.defs[ti];
    const want = expectedHits(t, rows, q).length;
    const { reverse: _r, keysOnly: _k, ...cq } = this.tableQuery(q, snapshot ? { snapshot: snapshot.snap } : {});
    const got = this.handles[ti].count(cq);
    if (got !== want) {
      this.fail(
        `count ${t.label} ${describeQuery(q)}${snapshot ? ` @snapshot#${snapshot.takenAt}` : ""} = ${got}, the model has ${want}`,
      );
    }
  }

  checkGet(ti: number, pk: MValue[], rows: Map<string, MRow>, snapshot?: LiveSnapshot): void {
    const t = this.defs[ti];
    const want = rows.get(pkId(t, pk));
    const key = this.keyArg(t, pk);
    const got = snapshot ? this.handles[ti].get(key, { snapshot: snapshot.snap }) : this.handles[ti].get(key);
    const g = got === undefined ? "undefined" : rowRepr(t.fields, got);
    if (got !== undefined) this.maybeHold(got, t.fields, g, `get ${t.label}`);
    const w = want === undefined ? "undefined" : modelRepr(t.fields, want);
    if (g !== w) {
      this.fail(
        `get ${t.label} [${pk.map(show).join(",")}]${snapshot ? ` @snapshot#${snapshot.takenAt}` : ""} returned ${g}; the model has ${w}`,
      );
    }
  }

  checkRowCounts(what: string): void {
    this.defs.forEach((t, ti) => {
      const n = this.model[ti].size;
      if (this.handles[ti].rows !== n)
        this.fail(`${what}: ${t.label}.rows is ${this.handles[ti].rows}, the model has ${n}`);
      if (n > this.activity.maxRows) this.activity.maxRows = n;
    });
  }

  /**
   * Index hygiene: the engine holds, for each table, one record per row and one entry per row in
   * each secondary index, and nothing else but the catalog and the stored row counts. A stale index
   * entry left by an overwrite or a delete breaks this.
   */
  checkHygiene(what: string): void {
    const counts = new Map<string, number>();
    let catalogEntries = 0;
    const idToTable = new Map(this.ids.map((id, ti) => [id, ti]));
    const it = this.store.iterator();
    try {
      for (const [k, v] of it) {
        if (k[0] === 0) {
          const r = new TupleReader(k, 1);
          const kind = r.read();
          const name = r.read();
          if (kind === "catalog" && typeof name === "string" && this.defs.some((t) => t.name === name)) {
            catalogEntries++;
          } else if (kind === "rows" && typeof name === "number" && idToTable.has(name)) {
            const ti = idToTable.get(name) as number;
            const stored = new TupleReader(v).read();
            if (stored !== this.model[ti].size) {
              this.fail(
                `${what}: the stored row count of ${this.defs[ti].label} is ${String(stored)}, the model has ${this.model[ti].size}`,
              );
            }
          } else {
            this.fail(`${what}: unexpected metadata key 0x${Buffer.from(k).toString("hex")}`);
          }
          continue;
        }
        const r = new TupleReader(k);
        const slot = `${String(r.read())}/${String(r.read())}`;
        counts.set(slot, (counts.get(slot) ?? 0) + 1);
      }
    } finally {
      it.close();
    }
    if (catalogEntries !== this.defs.length)
      this.fail(`${what}: ${catalogEntries} catalog entries for ${this.defs.length} tables`);
    const expected = new Map<string, number>();
    this.defs.forEach((t, ti) => {
      const n = this.model[ti].size;
      for (let ix = 0; ix <= t.indexes.length; ix++) if (n > 0) expected.set(`${this.ids[ti]}/${ix}`, n);
    });
    const slots = [...new Set([...counts.keys(), ...expected.keys()])].sort();
    const wrong = slots.filter((s) => (counts.get(s) ?? 0) !== (expected.get(s) ?? 0));
    if (wrong.length > 0) {
      const name = (s: string) => {
        const [tid, ix] = s.split("/").map(Number);
        const ti = idToTable.get(tid);
        const t = ti === undefined ? undefined : this.defs[ti];
        return t
          ? `${t.label}.${ix === 0 ? "primary" : (t.indexes[ix - 1]?.name ?? `index#${ix}`)}`
          : `table#${tid}/${ix}`;
      };
      this.fail(
        `${what}: engine keys per index differ from rows × indexes: ${wrong.map((s) => `${name(s)} has ${counts.get(s) ?? 0} keys, the model ${expected.get(s) ?? 0}`).join("; ")}`,
      );
    }
  }

  /** Every table against `model`: row counts, every row by key, every index whole both ways, counts. */
  fullCheck(what: string, model: Model = this.model, snapshot?: LiveSnapshot): void {
    this.defs.forEach((t, ti) => {
      const rows = model[ti];
      if (!snapshot && this.handles[ti].rows !== rows.size) {
        this.fail(`${what}: ${t.label}.rows is ${this.handles[ti].rows}, the model has ${rows.size}`);
      }
      for (const row of rows.values()) this.checkGet(ti, pkOf(t, row), rows, snapshot);
      for (let i = 0; i < 3; i++) this.checkGet(ti, this.somePk(ti, 0), rows, snapshot);
      const snap = snapshot ? { snapshot: snapshot.snap } : {};
      for (const ix of [t.primary, ...t.indexes]) {
        for (const [reverse, keysOnly] of [
          [false, false],
          [true, false],
          [false, true],
        ] as const) {
          const q: QuerySpec = { index: ix.name, eq: [], reverse, keysOnly };
          const page = this.handles[ti].query({ index: ix.name, reverse, keysOnly, ...snap });
          this.compareRows(
            `${what}: query ${t.label} ${describeQuery(q)}`,
            rowFields(t, q),
            page.rows,
            expectedHits(t, rows, q),
          );
        }
        const n = this.handles[ti].count({ index: ix.name, ...snap });
        if (n !== rows.size) this.fail(`${what}: count ${t.label} ${ix.name} = ${n}, the model has ${rows.size}`);
      }
    });
    if (!snapshot) this.checkHygiene(what);
  }

  // --- cursors, snapshots -------------------------------------------------------------------------

  cursorStart(): void {
    const ti = this.rng.int(0, this.defs.length - 1);
    const t = this.defs[ti];
    const q = this.randomQuery(ti);
    const pageSize = this.rng.int(1, 4);
    const desc = `${t.label} ${describeQuery(q)} pages of ${pageSize}`;
    this.note(`cursor start: ${desc}`);
    const want = expectedHits(t, this.model[ti], q);
    const page = this.handles[ti].query(this.tableQuery(q, { limit: pageSize }));
    this.compareRows(`cursor start ${desc}`, rowFields(t, q), page.rows, want.slice(0, pageSize));
    if ((page.cursor !== undefined) !== want.length > pageSize) {
      this.fail(`cursor start ${desc}: cursor is ${page.cursor}, but the model has ${want.length} rows`);
    }
    if (page.cursor === undefined) return;
    if (this.cursors.length >= MAX_CURSORS) this.cursors.shift();
    this.cursors.push({
      table: ti,
      q,
      pageSize,
      cursor: page.cursor,
      last: want[pageSize - 1].tuple,
      desc,
      startedAt: this.opIndex,
    });
  }

  /** The next page of a cursor taken earlier: the rows after its last one, in the state now. */
  cursorResume(): void {
    if (this.cursors.length === 0) {
      this.cursorStart();
      return;
    }
    const i = this.rng.int(0, this.cursors.length - 1);
    const c = this.cursors[i];
    const t = this.defs[c.table];
    const what = `cursor resume (from #${c.startedAt}) ${c.desc} after [${c.last.map(show).join(",")}]`;
    this.note(what);
    const want = expectedHits(t, this.model[c.table], c.q).filter((h) => after(t, c.q, h.tuple, c.last));
    const page = this.handles[c.table].query(this.tableQuery(c.q, { limit: c.pageSize, after: c.cursor }));
    this.compareRows(what, rowFields(t, c.q), page.rows, want.slice(0, c.pageSize));
    if ((page.cursor !== undefined) !== want.length > c.pageSize) {
      this.fail(`${what}: cursor is ${page.cursor}, but the model has ${want.length} more rows`);
    }
    if (page.cursor === undefined) {
      this.cursors.splice(i, 1);
      return;
    }
    c.cursor = page.cursor;
    c.last = want[c.pageSize - 1].tuple;
  }

  takeSnapshot(): void {
    if (this.snaps.length >= MAX_SNAPSHOTS) {
      this.releaseSnapshot();
      return;
    }
    this.note("snapshot");
    const snap = this.rng.chance(0.5) ? this.tables.snapshot() : this.store.snapshot();
    this.snaps.push({ snap, model: cloneModel(this.model), takenAt: this.opIndex });
  }

  readSnapshot(): void {
    if (this.snaps.length === 0) {
      this.takeSnapshot();
      return;
    }
    const live = this.rng.pick(this.snaps);
    const ti = this.rng.int(0, this.defs.length - 1);
    const rows = live.model[ti];
    const q = this.randomQuery(ti);
    this.note(`read @snapshot#${live.takenAt} ${this.defs[ti].label} ${describeQuery(q)}`);
    for (let i = 0; i < 3; i++) {
      const row = [...rows.values()][this.rng.int(0, rows.size)];
      this.checkGet(ti, row ? pkOf(this.defs[ti], row) : this.somePk(ti, 0.5), rows, live);
    }
    this.checkQuery(ti, q, rows, live);
    this.checkCount(ti, q, rows, live);
    if (this.rng.chance(0.1)) this.fullCheck(`full check @snapshot#${live.takenAt}`, live.model, live);
  }

  releaseSnapshot(): void {
    if (this.snaps.length === 0) {
      this.takeSnapshot();
      return;
    }
    const i = this.rng.int(0, this.snaps.length - 1);
    const live = this.snaps[i];
    this.note(`release snapshot#${live.takenAt}`);
    live.snap.release();
    this.snaps.splice(i, 1);
  }

  // --- store life ---------------------------------------------------------------------------------

  async openTables(first: boolean): Promise<void> {
    this.tables = Tables.open(this.store);
    if (!first) {
      const listed = this.tables.list();
      const want = this.defs
        .map((t, ti) => `${t.label}#${this.ids[ti]}:${this.model[ti].size}`)
        .sort((a, b) => Buffer.compare(Buffer.from(a), Buffer.from(b)));
      const got = listed
        .map((i) => `${label(i.name)}#${i.id}:${i.rows}`)
        .sort((a, b) => Buffer.compare(Buffer.from(a), Buffer.from(b)));
      if (got.join(" ") !== want.join(" "))
        this.fail(`after reopening, the tables are ${got.join(" ")}; the model has ${want.join(" ")}`);
    }
    const order = this.rng.shuffle(this.defs.map((_, i) => i));
    const handles: Table[] = new Array(this.defs.length);
    for (const ti of order) {
      const t = this.defs[ti];
      const table = await this.tables.define(t.schema);
      if (!first && table.id !== this.ids[ti])
        this.fail(`${t.label} came back with id ${table.id}, was ${this.ids[ti]}`);
      if (this.tables.table(t.name) !== table) this.fail(`tables.table(${t.label}) is not the table define() returned`);
      handles[ti] = table;
    }
    if (first) this.ids = this.defs.map((_, ti) => handles[ti].id);
    if (new Set(this.ids).size !== this.ids.length) this.fail(`two tables share an id: ${this.ids.join(",")}`);
    this.handles = handles;
  }

  recordActivity(): void {
    const st = this.store.stats();
    this.activity.flushes += st.flushes.count;
    this.activity.compactions += st.compactions.count;
  }

  /**
   * Closes the store (with `inflight` writes issued just before close(), unawaited) and opens it
   * and the tables again.
   */
  async reopen(what: string, options: StoreOptions = this.options, inflight: PlannedWrite[] = []): Promise<void> {
    for (const live of this.snaps) live.snap.release();
    this.snaps = [];
    this.recordActivity();
    const writes = inflight.map((p) => p.issue());
    const closing = this.store.close();
    const settled = await Promise.allSettled(writes);
    await closing;
    if (inflight.length > 0) this.explain(inflight, settled, true);
    this.activity.reopens++;
    this.store = await open(DIR, options);
    this.opDesc = `${what}: opening the tables`;
    await this.openTables(false);
  }

  async defineAgain(): Promise<void> {
    const ti = this.rng.int(0, this.defs.length - 1);
    const t = this.defs[ti];
    const changed = structuredClone(t.schema);
    const ixName = this.rng.pick(t.indexes).name;
    const ix = changed.indexes?.[ixName];
    if (ix) ix.unique = !findIndexDef(t, ixName).unique;
    this.note(`define ${t.label} again, the same and with ${ixName} unique=${String(ix?.unique)}`);
    const same = await this.tables.define(t.schema);
    if (same !== this.handles[ti]) this.fail(`defining ${t.label} again gave another table object`);
    try {
      await this.tables.define(changed);
    } catch (err) {
      if (err instanceof InvalidArgumentError && /different schema/.test(err.message)) return;
      this.fail(`defining ${t.label} with another schema failed with ${errText(err)}, not InvalidArgumentError`, err);
    }
    this.fail(`defining ${t.label} with another schema succeeded`);
  }

  /** A bad write or read: a clear InvalidArgumentError, and nothing written (the next checks see that). */
  async bad(): Promise<void> {
    const ti = this.rng.int(0, this.defs.length - 1);
    const t = this.defs[ti];
    const table = this.handles[ti];
    const kind = this.rng.pick([
      "missing",
      "unknown",
      "type",
      "pk change",
      "bad index",
      "key arity",
      "eq width",
      "foreign cursor",
    ] as const);
    const row = this.inputRow(t, this.randomRow(t));
    let attempt: () => unknown;
    let pattern: RegExp;
    let desc: string;
    if (kind === "missing") {
      const required = t.fields.filter((f) => !f.optional);
      const f = this.rng.pick(required);
      delete row[f.name];
      attempt = () => (this.rng.chance(0.5) ? table.insert(row) : table.upsert(row));
      pattern = /is required/;
      desc = `without required field ${f.name}`;
    } else if (kind === "unknown") {
      row.zz = 1;
      attempt = () => table.insert(row);
      pattern = /has no field "zz"/;
      desc = "with an unknown field";
    } else if (kind === "type") {
      const f = this.rng.pick(t.fields.filter((x) => x.type !== "json"));
      const wrong: Record<string, unknown> = {
        string: 1,
        int: this.rng.pick(["1", 1.5, 1n]),
        bigint: 1,
        float: 1n,
        bool: 0,
        bytes: "x",
      };
      row[f.name] = wrong[f.type];
      attempt = () => table.upsert(row);
      pattern = /must be/;
      desc = `${f.name}: ${f.type} = ${String(row[f.name])}`;
    } else if (kind === "pk change") {
      const f = this.rng.pick(t.primary.fields);
      const pk = this.somePk(ti, 0.8);
      attempt = () => table.update(this.keyArg(t, pk), { [f.name]: toInput(randomValue(this.rng, f)) });
      pattern = /cannot change primary key field/;
      desc = `update changing primary key field ${f.name}`;
    } else if (kind === "bad index") {
      attempt = () => table.query({ index: "nope" });
      pattern = /has no index "nope"/;
      desc = "query of an unknown index";
    } else if (kind === "eq width") {
      const ix = this.rng.pick([t.primary, ...t.indexes]);
      const { fields } = keyFields(t, ix);
      const eq = fields.map((f) => toInput(randomValue(this.rng, f)));
      const bounded = this.rng.chance(0.5);
      if (!bounded) eq.push(1);
      attempt = () => table.query({ index: ix.name, eq, ...(bounded ? { gt: eq[0] } : {}) });
      pattern = /has \d+ key field\(s\); the query names \d+/;
      desc = `query ${ix.name} naming ${eq.length + (bounded ? 1 : 0)} of its ${fields.length} key fields`;
    } else if (kind === "foreign cursor") {
      // A cursor of another index of this table, or of an index of another table.
      const ixId = this.rng.int(0, t.indexes.length);
      const ix = ixId === 0 ? t.primary : t.indexes[ixId - 1];
      const other = this.rng.int(0, this.defs.length - 1);
      let otherIx = this.rng.int(0, this.defs[other].indexes.length);
      if (other === ti && otherIx === ixId) otherIx = (otherIx + 1) % (t.indexes.length + 1);
      const cursor = Buffer.from([...encodeTuple([this.ids[other], otherIx]), 0x14]).toString("base64url");
      const from = otherIx === 0 ? "primary" : this.defs[other].indexes[otherIx - 1].name;
      attempt = () => table.query({ index: ix.name, after: cursor, limit: 1 });
      pattern = /cursor does not belong to index/;
      desc = `query ${ix.name} resuming a cursor of ${this.defs[other].label}.${from}`;
    } else {
      const pk = this.somePk(ti, 0.8).map(toInput);
      const key = [...pk, 1];
      attempt = () => (this.rng.chance(0.5) ? table.get(key) : table.delete(key));
      pattern = /primary key has \d field/;
      desc = `key with ${key.length} values`;
    }
    this.note(`bad ${t.label}: ${desc}`);
    try {
      await attempt();
    } catch (err) {
      if (err instanceof InvalidArgumentError && pattern.test(err.message)) {
        this.checkRowCounts("after a rejected write");
        return;
      }
      this.fail(`failed with ${errText(err)}, not an InvalidArgumentError matching ${pattern}`, err);
    }
    this.fail(`succeeded; it should have failed with an InvalidArgumentError matching ${pattern}`);
  }

  // --- the loop -----------------------------------------------------------------------------------

  async step(op: OpName): Promise<void> {
    switch (op) {
      case "insert":
      case "upsert":
      case "update":
      case "delete":
        return this.oneWrite(op);
      case "concurrent":
        return this.concurrent();
      case "get": {
        const ti = this.rng.int(0, this.defs.length - 1);
        const pk = this.somePk(ti, 0.6);
        this.note(`get ${this.defs[ti].label} [${pk.map(show).join(",")}]`);
        return this.checkGet(ti, pk, this.model[ti]);
      }
      case "query": {
        const ti = this.rng.int(0, this.defs.length - 1);
        const q = this.randomQuery(ti);
        this.note(`query ${this.defs[ti].label} ${describeQuery(q)}`);
        return this.checkQuery(ti, q, this.model[ti]);
      }
      case "count": {
        const ti = this.rng.int(0, this.defs.length - 1);
        const q = this.randomQuery(ti);
        this.note(`count ${this.defs[ti].label} ${describeQuery(q)}`);
        return this.checkCount(ti, q, this.model[ti]);
      }
      case "cursorStart": {
        this.cursorStart();
        return;
      }
      case "cursorResume":
        return this.cursorResume();
      case "snapshot": {
        this.takeSnapshot();
        return;
      }
      case "snapshotRead":
        return this.readSnapshot();
      case "snapshotRelease": {
        this.releaseSnapshot();
        return;
      }
      case "flush":
        this.note("flush");
        return this.store.flush();
      case "compact": {
        const ti = this.rng.int(0, this.defs.length - 1);
        const whole = this.rng.chance(0.6);
        this.note(whole ? "compact (all)" : `compact ${this.defs[ti].label}`);
        if (whole) return this.store.compact();
        const prefix = encodeTuple([this.ids[ti]]);
        const end = Uint8Array.from([...prefix, 0xff]);
        return this.store.compact({ gte: prefix, lt: end });
      }
      case "reopen": {
        // Sometimes with writes in flight at close(), some on one key (so the later ones wait for
        // the earlier, and may find the store closed).
        const inflight: PlannedWrite[] = [];
        if (this.rng.chance(0.35)) {
          const n = this.rng.int(1, 4);
          for (let i = 0; i < n; i++) {
            const ti = this.rng.int(0, this.defs.length - 1);
            const prev = inflight.length > 0 && this.rng.chance(0.5) ? inflight[inflight.length - 1] : undefined;
            const kind = this.rng.weighted(WRITE_WEIGHTS);
            inflight.push(
              prev
                ? this.planWrite(kind, prev.op.table, writePk(this.defs[prev.op.table], prev.op))
                : this.planWrite(kind, ti),
            );
          }
        }
        this.note(
          `reopen${this.snaps.length > 0 ? ` (releasing ${this.snaps.length} snapshots)` : ""}` +
            (inflight.length > 0 ? ` with writes in flight: ${inflight.map((p) => p.desc).join(" ‖ ")}` : ""),
        );
        await this.reopen("reopen", this.options, inflight);
        this.checkRowCounts("after reopening");
        return;
      }
      case "hygiene":
        this.note("index hygiene");
        return this.checkHygiene("index hygiene");
      case "bad":
        return this.bad();
      case "defineAgain":
        return this.defineAgain();
    }
  }

  async run(): Promise<void> {
    this.store = await open(DIR, this.options);
    await this.openTables(true);
    for (this.opIndex = 0; this.opIndex < this.ops; this.opIndex++) {
      const op = this.rng.weighted(OP_WEIGHTS);
      this.opDesc = op;
      this.opCounts.set(op, (this.opCounts.get(op) ?? 0) + 1);
      try {
        await this.step(op);
        this.checkHeld();
        if ((this.opIndex + 1) % FULL_CHECK_EVERY === 0) {
          this.opDesc = `full check after ${op}`;
          this.fullCheck("full check");
        }
      } catch (err) {
        if (err instanceof TableModelFailure) throw err;
        this.fail(`threw ${errText(err)}`, err);
      }
    }
    this.opDesc = "final checks";
    this.log.push(`#${this.opIndex} final checks`);
    try {
      while (this.cursors.length > 0) this.cursorResume();
      this.fullCheck("end of run");
      for (const live of this.snaps) this.fullCheck(`end of run @snapshot#${live.takenAt}`, live.model, live);
      // Reopen without background compaction, then once more after compacting everything.
      await this.reopen("final reopen", { ...this.options, autoCompaction: false });
      this.fullCheck("after the final reopen");
      await this.store.compact();
      this.fullCheck("after the final compaction");
      this.recordActivity();
      await this.store.close();
    } catch (err) {
      if (err instanceof TableModelFailure) throw err;
      this.fail(`threw ${errText(err)}`, err);
    }
  }

  async abandon(): Promise<void> {
    try {
      await this.store?.close();
    } catch {
      // already failing
    }
  }

  summary(): string {
    const ops = [...this.opCounts.entries()].map(([k, v]) => `${k}=${v}`).join(" ");
    const a = this.activity;
    return (
      `seed=${this.seed}: ${this.ops} ops (${ops}); tables ${this.defs.map(describeTable).join("; ")}; ` +
      `rows at most ${a.maxRows}, ${a.duplicates} duplicate-key rejections, ${a.reorders} concurrent groups explained ` +
      `by a reordering, ${a.closedWrites} writes stopped by close(), ${a.queries} queries, ${a.flushes} flushes, ${a.compactions} compactions, ${a.reopens} reopens`
    );
  }
}

/** Every permutation of 0..n-1, the identity first. */
function* permutations(n: number): Generator<number[]> {
  const a = Array.from({ length: n }, (_, i) => i);
  yield [...a];
  // Narayana's next-permutation, in lexicographic order from the identity.
  for (;;) {
    let i = n - 2;
    while (i >= 0 && a[i] >= a[i + 1]) i--;
    if (i < 0) return;
    let j = n - 1;
    while (a[j] <= a[i]) j--;
    [a[i], a[j]] = [a[j], a[i]];
    a.splice(i + 1, n - i - 1, ...a.slice(i + 1).reverse());
    yield [...a];
  }
}

/**
 * Runs `ops` random operations for `seed` and the final checks; resolves with a one-line summary,
 * or rejects with a failure naming the seed, the operation and the recent history.
 */
export async function runTableModel(seed: number, ops: number, hooks: RunHooks = {}): Promise<string> {
  const run = new Run(seed, ops, hooks);
  try {
    await run.run();
  } catch (err) {
    await run.abandon();
    throw err;
  }
  return run.summary();
}
