// The model half of the table model test (test/table-model.test.ts): random schemas and values
// drawn from a seed, a plain in-memory model of each table (a Map from primary key to row), and
// what every table operation should do to it and return. This file owns the model's order: a plain
// JS comparator written from the documented tuple order (src/table/tuple.ts, its header) and not
// from the byte encoding, so that the encoding is checked against it:
//
//   null < false < true < integers < floats < strings (UTF-8 byte order) < bytes (byte order)
//
// with a descending index field reversing its order, a float field's values always floats (even
// integral ones; -0 sorts before +0 and is a different value), and a secondary index ordered by its
// fields, then by the primary key fields in their own directions.

import { RawJson } from "../../src/table/codec.js";
import type { FieldType, TableSchema } from "../../src/table/schema.js";
import type { Direction } from "../../src/table/tuple.js";
import type { Rng } from "./rng.js";

// -------------------------------------------------------------------------------------------------
// Values

/** A json field's value in the model: its JSON text (what the table stores and returns as RawJson). */
export class JsonText {
  constructor(readonly text: string) {}
}

/** A field value in the model. */
export type MValue = null | boolean | number | bigint | string | Uint8Array | JsonText;
/** A row in the model: every field of the schema, absent optional fields as null. Never mutated. */
export type MRow = Readonly<Record<string, MValue>>;

const LONG_STRING = "é".repeat(70); // 140 UTF-8 bytes: a two-byte length in the record codec

/** Small value domains, so that ties, duplicates and unique conflicts are frequent. */
const DOMAINS: Record<Exclude<FieldType, "json">, { common: readonly MValue[]; rare: readonly MValue[] }> = {
  string: { common: ["", "a", "a\u0000", "ab", "é"], rare: ["a\u0000\u0000", "\u0000", LONG_STRING, "日本"] },
  int: {
    common: [-3, -2, -1, 0, 1, 2, 3],
    rare: [255, 256, -256, 2 ** 40, Number.MAX_SAFE_INTEGER, Number.MIN_SAFE_INTEGER, 2 ** 31],
  },
  bigint: {
    common: [-3n, -1n, 0n, 1n, 2n, 3n],
    rare: [2n ** 64n, -(2n ** 64n), 2n ** 63n, 2n ** 100n, -(2n ** 80n), 2n ** 53n, -(2n ** 53n) - 1n, 255n],
  },
  float: {
    common: [-0, 0, 1, 0.5, -1.5, Number.POSITIVE_INFINITY, Number.NEGATIVE_INFINITY],
    rare: [1e300, -1e-300, 2 ** 60, 5e-324, -2.5, 3],
  },
  bool: { common: [false, true], rare: [] },
  bytes: {
    common: [bytes([]), bytes([0]), bytes([0, 0]), bytes([0, 255]), bytes([1]), bytes([255])],
    rare: [bytes([255, 255]), bytes([0, 0, 255]), bytes(Array.from({ length: 200 }, (_, i) => i & 0xff))],
  },
};

const JSON_VALUES = [{ a: 1 }, [1, "x"], "s", 0, true, { é: [null] }, "é\u0000", [], { b: { c: [1.5, -2] } }];

function bytes(a: number[]): Uint8Array {
  return Uint8Array.from(a);
}

/** A value from a wider domain (about 80 values), for fields that let a table grow past a few rows. */
function wideValue(rng: Rng, type: Exclude<FieldType, "json" | "bool">): MValue {
  const n = rng.int(-40, 40);
  switch (type) {
    case "int":
      return n;
    case "bigint":
      return BigInt(n);
    case "float":
      return n / 4;
    case "string":
      return `w${n}`;
    case "bytes":
      return Uint8Array.from([n & 0xff, 7]);
  }
}

/** A random non-null value of a field. */
export function randomValue(rng: Rng, f: Pick<FieldDef, "type" | "wide">): MValue {
  const type = f.type;
  if (type === "json") return new JsonText(JSON.stringify(rng.pick(JSON_VALUES)));
  if (f.wide && type !== "bool" && rng.chance(0.6)) return wideValue(rng, type);
  const d = DOMAINS[type];
  return d.rare.length > 0 && rng.chance(0.08) ? rng.pick(d.rare) : rng.pick(d.common);
}

/** The value as a write or a query passes it to the table (json as a plain value, bytes as a fresh copy). */
export function toInput(v: MValue): unknown {
  if (v instanceof JsonText) return JSON.parse(v.text);
  if (v instanceof Uint8Array) return Uint8Array.from(v);
  return v;
}

// -------------------------------------------------------------------------------------------------
// Showing values (trace and failure messages) and comparing what the table returns

function hex(b: Uint8Array): string {
  return Buffer.from(b.buffer, b.byteOffset, b.byteLength).toString("hex");
}

/** A model value for a message. */
export function show(v: MValue | undefined): string {
  if (v === undefined) return "undefined";
  if (v === null) return "null";
  if (typeof v === "bigint") return `${v}n`;
  if (typeof v === "number") return Object.is(v, -0) ? "-0" : String(v);
  if (typeof v === "string")
    return v.length > 24 ? `${JSON.stringify(v.slice(0, 8))}…(${v.length} chars)` : JSON.stringify(v);
  if (v instanceof Uint8Array) return v.length > 8 ? `0x${hex(v.subarray(0, 8))}…(${v.length}b)` : `0x${hex(v)}`;
  if (v instanceof JsonText) return `json${v.text}`;
  return String(v);
}

export function showRow(row: Readonly<Record<string, MValue | undefined>>): string {
  return `{${Object.entries(row)
    .map(([k, v]) => `${k}:${show(v)}`)
    .join(" ")}}`;
}

/**
 * A returned value as a string that says its type too, so that 1 (int) and 1 (float), 1 and 1n,
 * 0 and -0 all differ; the same function shows the model's value, so equal strings mean equal values.
 */
export function repr(type: FieldType, v: unknown): string {
  if (v === null) return "null";
  if (v === undefined) return "undefined!";
  switch (type) {
    case "int":
      return typeof v === "number" && Number.isSafeInteger(v) ? (Object.is(v, -0) ? "-0" : String(v)) : bad(v);
    case "float":
      return typeof v === "number" ? `float:${Object.is(v, -0) ? "-0" : String(v)}` : bad(v);
    case "bigint":
      return typeof v === "bigint" ? `${v}n` : bad(v);
    case "string":
      return typeof v === "string" ? JSON.stringify(v) : bad(v);
    case "bool":
      return typeof v === "boolean" ? String(v) : bad(v);
    case "bytes":
      return v instanceof Uint8Array ? `0x${hex(v)}` : bad(v);
    case "json":
      return v instanceof JsonText || v instanceof RawJson ? `json${v.text}` : bad(v);
  }
}

function bad(v: unknown): string {
  const kind = typeof v === "object" && v !== null ? (v.constructor?.name ?? "object") : typeof v;
  let shown: string;
  try {
    shown = typeof v === "bigint" ? `${v}n` : JSON.stringify(v);
  } catch {
    shown = String(v);
  }
  return `WRONG-TYPE(${kind} ${shown})`;
}

// -------------------------------------------------------------------------------------------------
// Schemas

export interface FieldDef {
  name: string;
  type: FieldType;
  optional: boolean;
  /** Values come from a wider domain too (about 80 values instead of about 7). */
  wide: boolean;
}

export interface IndexDef {
  /** "primary" or the secondary index's name. */
  name: string;
  fields: FieldDef[];
  dirs: Direction[];
  unique: boolean;
}

export interface TableDef {
  name: string;
  /** The name for messages (quoted when it has control characters, such as "t\u0000x"). */
  label: string;
  schema: TableSchema;
  fields: FieldDef[];
  byName: Map<string, FieldDef>;
  primary: IndexDef;
  indexes: IndexDef[];
  /** The fields outside the primary key. */
  valueFields: FieldDef[];
}

const TYPES: ReadonlyArray<readonly [FieldType, number]> = [
  ["string", 4],
  ["int", 4],
  ["float", 2],
  ["bool", 1.5],
  ["bytes", 2],
  ["bigint", 2],
  ["json", 1.5],
];
/** Primary key fields: types with more than two values, so that tables grow past a couple of rows. */
const KEY_TYPES: ReadonlyArray<readonly [FieldType, number]> = [
  ["string", 4],
  ["int", 4],
  ["float", 2],
  ["bytes", 2],
  ["bigint", 2],
  ["bool", 0.5],
];

/** A random schema: 1-12 fields, a primary key of 1-2 fields, 1-3 secondary indexes of 1-3 fields. */
export function randomTable(rng: Rng, name: string): TableDef {
  const pkCount = rng.chance(0.55) ? 1 : 2;
  const fields: FieldDef[] = [];
  for (let i = 0; i < pkCount; i++) {
    fields.push({ name: `k${i}`, type: rng.weighted(KEY_TYPES), optional: false, wide: rng.chance(0.6 / pkCount) });
  }
  // Sometimes no field outside the key (an empty record value), sometimes more than eight (a
  // presence bitmap of two bytes).
  const others = rng.weighted([
    [0, 1],
    [1, 3],
    [2, 3],
    [3, 3],
    [4, 2],
    [rng.int(7, 10), 1.5],
  ] as const);
  for (let i = 0; i < others; i++) {
    fields.push({ name: `f${i}`, type: rng.weighted(TYPES), optional: rng.chance(0.4), wide: rng.chance(0.25) });
  }
  // Declare the fields in a random order, so primary key fields are not always first.
  const declared = rng.shuffle(fields);
  const byName = new Map(declared.map((f) => [f.name, f]));
  const dir = (): Direction => (rng.chance(0.35) ? "desc" : "asc");
  const pkFields = rng.shuffle(fields.slice(0, pkCount));
  const primary: IndexDef = { name: "primary", fields: pkFields, dirs: pkFields.map(dir), unique: true };
  const indexable = declared.filter((f) => f.type !== "json");
  const indexes: IndexDef[] = [];
  const nIndexes = rng.int(1, 3);
  for (let i = 0; i < nIndexes; i++) {
    const n = Math.min(
      indexable.length,
      rng.weighted([
        [1, 4],
        [2, 4],
        [3, 2],
      ] as const),
    );
    const chosen = rng.shuffle(indexable).slice(0, n);
    const unique = rng.chance(0.4);
    // A unique index often has an optional field, so that rows with a null in it (exempt from
    // the uniqueness check) are common.
    const optional = indexable.filter((f) => f.optional && !chosen.includes(f));
    if (unique && optional.length > 0 && rng.chance(0.5)) chosen[rng.int(0, chosen.length - 1)] = rng.pick(optional);
    indexes.push({ name: `i${i}`, fields: chosen, dirs: chosen.map(dir), unique });
  }
  const spec = (ix: IndexDef) =>
    ix.fields.map((f, i) => (ix.dirs[i] === "asc" && rng.chance(0.5) ? f.name : { field: f.name, order: ix.dirs[i] }));
  const schema: TableSchema = {
    name,
    fields: Object.fromEntries(
      declared.map((f) => [f.name, f.optional || rng.chance(0.5) ? { type: f.type, optional: f.optional } : f.type]),
    ),
    primaryKey: spec(primary),
    indexes: Object.fromEntries(
      indexes.map((ix) => [
        ix.name,
        ix.unique || rng.chance(0.5) ? { fields: spec(ix), unique: ix.unique } : { fields: spec(ix) },
      ]),
    ),
  };
  return {
    name,
    label: label(name),
    schema,
    fields: declared,
    byName,
    primary,
    indexes,
    valueFields: declared.filter((f) => !pkFields.includes(f)),
  };
}

/** A table name for messages: as is, or quoted when it has control characters. */
export function label(name: string): string {
  // biome-ignore lint/suspicious/noControlCharactersInRegex: looking for exactly those
  return /[\u0000-\u001f]/.test(name) ? JSON.stringify(name) : name;
}

export function describeTable(t: TableDef): string {
  const ix = (i: IndexDef) =>
    `${i.name}${i.unique && i.name !== "primary" ? "(unique)" : ""}[${i.fields.map((f, j) => `${f.name}${i.dirs[j] === "desc" ? "↓" : ""}`).join(",")}]`;
  const fields = t.fields.map((f) => `${f.name}:${f.type}${f.optional ? "?" : ""}${f.wide ? "(wide)" : ""}`).join(" ");
  return `${t.label}{${fields}} ${[t.primary, ...t.indexes].map(ix).join(" ")}`;
}

// -------------------------------------------------------------------------------------------------
// Order

const utf8 = new TextEncoder();

function rank(type: FieldType, v: MValue): number {
  if (v === null) return 0;
  if (typeof v === "boolean") return v ? 2 : 1;
  if (typeof v === "bigint") return 3;
  if (typeof v === "number") return type === "float" ? 4 : 3;
  if (typeof v === "string") return 5;
  if (v instanceof Uint8Array) return 6;
  throw new Error(`a ${type} value ${show(v)} has no place in a key`);
}

/** The documented tuple order of two values of a field of type `type` (ascending). */
export function compareValues(type: FieldType, a: MValue, b: MValue): number {
  const ra = rank(type, a);
  const rb = rank(type, b);
  if (ra !== rb) return ra < rb ? -1 : 1;
  switch (ra) {
    case 3: {
      const x = a as number | bigint;
      const y = b as number | bigint;
      return x < y ? -1 : x > y ? 1 : 0;
    }
    case 4: {
      const x = a as number;
      const y = b as number;
      if (x < y) return -1;
      if (x > y) return 1;
      const nx = Object.is(x, -0);
      const ny = Object.is(y, -0);
      return nx === ny ? 0 : nx ? -1 : 1;
    }
    case 5:
      return Buffer.compare(utf8.encode(a as string), utf8.encode(b as string));
    case 6:
      return Buffer.compare(a as Uint8Array, b as Uint8Array);
    default:
      return 0;
  }
}

/** The fields of an index's keys in order (a secondary index's fields, then the primary key's), with directions. */
export function keyFields(t: TableDef, ix: IndexDef): { fields: FieldDef[]; dirs: Direction[] } {
  if (ix.name === "primary") return { fields: ix.fields, dirs: ix.dirs };
  return { fields: [...ix.fields, ...t.primary.fields], dirs: [...ix.dirs, ...t.primary.dirs] };
}

export function compareTuples(
  fields: readonly FieldDef[],
  dirs: readonly Direction[],
  a: readonly MValue[],
  b: readonly MValue[],
): number {
  for (let i = 0; i < fields.length; i++) {
    let c = compareValues(fields[i].type, a[i], b[i]);
    if (dirs[i] === "desc") c = -c;
    if (c !== 0) return c;
  }
  return 0;
}

// -------------------------------------------------------------------------------------------------
// The model of a table

/** The identity of a row's primary key in the model (-0 and 0 differ in a float field, as in the key order). */
export function pkId(t: TableDef, pk: readonly MValue[]): string {
  return t.primary.fields.map((f, i) => repr(f.type, pk[i])).join("|");
}

export function pkOf(t: TableDef, row: MRow): MValue[] {
  return t.primary.fields.map((f) => row[f.name]);
}

/** The model's tables: for each table, primary key identity → row. */
export type Model = Map<string, MRow>[];

export function cloneModel(m: Model): Model {
  return m.map((rows) => new Map(rows));
}

/** A write, as the model sees it. */
export type WriteOp =
  | { kind: "insert" | "upsert"; table: number; row: MRow }
  | { kind: "update"; table: number; pk: MValue[]; changes: Record<string, MValue | undefined> }
  | { kind: "delete"; table: number; pk: MValue[] };

/** What a write should do: succeed with a result, or fail with a DuplicateKeyError naming one of `indexes`. */
export type Outcome =
  | { kind: "ok"; result: { row: MRow } | boolean | undefined }
  | { kind: "duplicate"; indexes: string[] };

/** The primary key a write goes to. */
export function writePk(t: TableDef, op: WriteOp): MValue[] {
  return "row" in op ? pkOf(t, op.row) : op.pk;
}

/** The unique indexes (and "primary" for an insert) whose values `row` would share with another row. */
function conflicts(t: TableDef, rows: Map<string, MRow>, id: string, row: MRow): string[] {
  const out: string[] = [];
  for (const ix of t.indexes) {
    if (!ix.unique) continue;
    if (ix.fields.some((f) => row[f.name] === null)) continue;
    for (const [otherId, other] of rows) {
      if (otherId === id) continue;
      if (ix.fields.every((f) => compareValues(f.type, other[f.name], row[f.name]) === 0)) {
        out.push(ix.name);
        break;
      }
    }
  }
  return out;
}

/** Applies `op` to `model` (in place) and says what the table should have answered. */
export function applyWrite(tables: readonly TableDef[], model: Model, op: WriteOp): Outcome {
  const t = tables[op.table];
  const rows = model[op.table];
  if ("row" in op) {
    const id = pkId(t, pkOf(t, op.row));
    if (op.kind === "insert" && rows.has(id)) return { kind: "duplicate", indexes: ["primary"] };
    const dup = conflicts(t, rows, id, op.row);
    if (dup.length > 0) return { kind: "duplicate", indexes: dup };
    rows.set(id, op.row);
    return { kind: "ok", result: undefined };
  }
  const id = pkId(t, op.pk);
  const old = rows.get(id);
  if (!("changes" in op)) {
    if (old) rows.delete(id);
    return { kind: "ok", result: old !== undefined };
  }
  if (!old) return { kind: "ok", result: undefined };
  const merged: Record<string, MValue> = { ...old };
  for (const [name, v] of Object.entries(op.changes)) if (v !== undefined) merged[name] = v;
  const dup = conflicts(t, rows, id, merged);
  if (dup.length > 0) return { kind: "duplicate", indexes: dup };
  rows.set(id, merged);
  return { kind: "ok", result: { row: merged } };
}

// -------------------------------------------------------------------------------------------------
// Queries

export interface QuerySpec {
  index: string;
  eq: MValue[];
  gt?: MValue;
  gte?: MValue;
  lt?: MValue;
  lte?: MValue;
  reverse: boolean;
  keysOnly: boolean;
}

export function describeQuery(q: QuerySpec): string {
  const parts = [q.index];
  if (q.eq.length > 0) parts.push(`eq=[${q.eq.map(show).join(",")}]`);
  for (const b of ["gt", "gte", "lt", "lte"] as const) if (q[b] !== undefined) parts.push(`${b}=${show(q[b])}`);
  if (q.reverse) parts.push("reverse");
  if (q.keysOnly) parts.push("keysOnly");
  return parts.join(" ");
}

export interface Hit {
  /** The index key's values: the index fields, then (for a secondary index) the primary key. */
  tuple: MValue[];
  row: MRow;
}

export function findIndexDef(t: TableDef, name: string): IndexDef {
  if (name === "primary") return t.primary;
  const ix = t.indexes.find((i) => i.name === name);
  if (!ix) throw new Error(`no index ${name}`);
  return ix;
}

/** Every row of the table as entries of index `ix`, in the index's order. */
export function indexHits(t: TableDef, ix: IndexDef, rows: Map<string, MRow>): Hit[] {
  const { fields, dirs } = keyFields(t, ix);
  const hits = [...rows.values()].map((row) => ({ tuple: fields.map((f) => row[f.name]), row }));
  hits.sort((a, b) => compareTuples(fields, dirs, a.tuple, b.tuple));
  return hits;
}

/** What a query returns, in order (ignoring limit and cursor). */
export function expectedHits(t: TableDef, rows: Map<string, MRow>, q: QuerySpec): Hit[] {
  const ix = findIndexDef(t, q.index);
  const { fields } = keyFields(t, ix);
  const n = q.eq.length;
  const out = indexHits(t, ix, rows).filter((h) => {
    for (let i = 0; i < n; i++) if (compareValues(fields[i].type, h.tuple[i], q.eq[i]) !== 0) return false;
    if (n === fields.length) return true;
    const type = fields[n].type;
    const v = h.tuple[n];
    if (q.gt !== undefined && !(compareValues(type, v, q.gt) > 0)) return false;
    if (q.gte !== undefined && !(compareValues(type, v, q.gte) >= 0)) return false;
    if (q.lt !== undefined && !(compareValues(type, v, q.lt) < 0)) return false;
    if (q.lte !== undefined && !(compareValues(type, v, q.lte) <= 0)) return false;
    return true;
  });
  if (q.reverse) out.reverse();
  return out;
}

/** The fields a query's rows have: every field, or with keysOnly the index's key fields. */
export function rowFields(t: TableDef, q: QuerySpec): FieldDef[] {
  if (!q.keysOnly) return t.fields;
  const { fields } = keyFields(t, findIndexDef(t, q.index));
  return t.fields.filter((f) => fields.includes(f));
}

/** Whether hit `a` comes after `b` in the direction a query walks. */
export function after(t: TableDef, q: QuerySpec, a: readonly MValue[], b: readonly MValue[]): boolean {
  const { fields, dirs } = keyFields(t, findIndexDef(t, q.index));
  const c = compareTuples(fields, dirs, a, b);
  return q.reverse ? c < 0 : c > 0;
}
