// Table schemas: typed fields, a primary key as an ordered list of fields, and secondary indexes as
// ordered lists of fields (each ascending or descending, unique or not). `resolveSchema` checks a
// schema once and turns it into the flat, positional form the codecs and the table use.

import { InvalidArgumentError } from "../engine/errors.js";
import type { Direction } from "./tuple.js";

export type FieldType = "string" | "int" | "bigint" | "float" | "bool" | "bytes" | "json";

export interface FieldSpec {
  type: FieldType;
  /** May be null or absent (default: required). Primary key fields cannot be optional. */
  optional?: boolean;
}

export type IndexField = string | { field: string; order?: Direction };

export interface IndexSpec {
  fields: IndexField[];
  /** No two rows may have equal values in these fields (rows with a null among them are exempt). */
  unique?: boolean;
}

/** A table's schema as the caller writes it (and as the catalog stores it, as JSON). */
export interface TableSchema {
  name: string;
  fields: Record<string, FieldType | FieldSpec>;
  primaryKey: IndexField[];
  indexes?: Record<string, IndexSpec>;
}

export const FIELD_TYPES: readonly FieldType[] = ["string", "int", "bigint", "float", "bool", "bytes", "json"];

export interface ResolvedField {
  name: string;
  type: FieldType;
  optional: boolean;
  /** Position in the schema's field list (the order of `ResolvedSchema.fields`). */
  index: number;
  /** Position among the fields stored in the value (-1 for a primary key field). */
  valueSlot: number;
}

export interface ResolvedIndex {
  name: string;
  /** 0 is the primary key; secondary indexes count from 1 in declaration order. */
  id: number;
  fields: ResolvedField[];
  dirs: Direction[];
  unique: boolean;
}

export interface ResolvedSchema {
  schema: TableSchema;
  name: string;
  fields: ResolvedField[];
  byName: Map<string, ResolvedField>;
  primary: ResolvedIndex;
  /** Secondary indexes, by id - 1. */
  indexes: ResolvedIndex[];
  /** Fields stored in the value, in slot order. */
  valueFields: ResolvedField[];
  /** Copies a row's field values into `out`, in field order (generated code: no per-field lookup by name). */
  extract: (row: Readonly<Record<string, unknown>>, out: unknown[]) => void;
  /** A new row object from field values in field order (generated: one object literal, one shape). */
  makeRow: (values: readonly unknown[]) => Record<string, unknown>;
}

/**
 * A function reading each field of a row by a literal property name. V8 treats `row["name"]` with a
 * constant key like `row.name`, a monomorphic load, where `row[f.name]` in a loop over the fields
 * goes megamorphic; on a million rows that was most of the encoding time.
 */
function makeExtractor(names: readonly string[]): ResolvedSchema["extract"] {
  const body = names.map((n, i) => `out[${i}] = row[${JSON.stringify(n)}];`).join("\n");
  return new Function("row", "out", body) as ResolvedSchema["extract"];
}

/** The inverse of `makeExtractor`: an object literal with the fields in schema order. */
function makeRowMaker(names: readonly string[]): ResolvedSchema["makeRow"] {
  const props = names.map((n, i) => `${JSON.stringify(n)}: values[${i}]`).join(", ");
  return new Function("values", `return { ${props} };`) as ResolvedSchema["makeRow"];
}

function bad(table: string, what: string): never {
  throw new InvalidArgumentError(`table ${JSON.stringify(table)}: ${what}`);
}

function resolveIndex(
  table: string,
  name: string,
  id: number,
  spec: IndexField[],
  unique: boolean,
  byName: Map<string, ResolvedField>,
): ResolvedIndex {
  if (!Array.isArray(spec) || spec.length === 0) bad(table, `index ${JSON.stringify(name)} needs at least one field`);
  const fields: ResolvedField[] = [];
  const dirs: Direction[] = [];
  for (const f of spec) {
    const fieldName = typeof f === "string" ? f : f?.field;
    const order = typeof f === "string" ? "asc" : (f?.order ?? "asc");
    const field = byName.get(fieldName);
    if (!field) bad(table, `index ${JSON.stringify(name)} names unknown field ${JSON.stringify(fieldName)}`);
    if (order !== "asc" && order !== "desc") bad(table, `index ${JSON.stringify(name)}: order must be "asc" or "desc"`);
    if (field.type === "json") bad(table, `index ${JSON.stringify(name)}: json field ${fieldName} cannot be indexed`);
    if (fields.includes(field)) bad(table, `index ${JSON.stringify(name)} names field ${fieldName} twice`);
    fields.push(field);
    dirs.push(order);
  }
  return { name, id, fields, dirs, unique };
}

/** Checks a schema and resolves it; every problem is an InvalidArgumentError naming the table. */
export function resolveSchema(schema: TableSchema): ResolvedSchema {
  const name = schema?.name;
  if (typeof name !== "string" || name.length === 0) throw new InvalidArgumentError("a table schema needs a name");
  if (typeof schema.fields !== "object" || schema.fields === null) bad(name, "fields must be an object");
  const fields: ResolvedField[] = [];
  const byName = new Map<string, ResolvedField>();
  for (const [fieldName, spec] of Object.entries(schema.fields)) {
    const type = typeof spec === "string" ? spec : spec?.type;
    if (!FIELD_TYPES.includes(type)) bad(name, `field ${fieldName} has unknown type ${JSON.stringify(type)}`);
    const field: ResolvedField = {
      name: fieldName,
      type,
      optional: typeof spec === "object" && spec.optional === true,
      index: fields.length,
      valueSlot: -1,
    };
    fields.push(field);
    byName.set(fieldName, field);
  }
  const primary = resolveIndex(name, "primary", 0, schema.primaryKey, true, byName);
  for (const f of primary.fields) {
    if (f.optional) bad(name, `primary key field ${f.name} cannot be optional`);
  }
  const valueFields = fields.filter((f) => !primary.fields.includes(f));
  valueFields.forEach((f, i) => {
    f.valueSlot = i;
  });
  const indexes: ResolvedIndex[] = [];
  for (const [indexName, spec] of Object.entries(schema.indexes ?? {})) {
    if (indexName === "primary") bad(name, `"primary" is reserved for the primary key`);
    indexes.push(resolveIndex(name, indexName, indexes.length + 1, spec?.fields, spec?.unique === true, byName));
  }
  const names = fields.map((f) => f.name);
  return {
    schema,
    name,
    fields,
    byName,
    primary,
    indexes,
    valueFields,
    extract: makeExtractor(names),
    makeRow: makeRowMaker(names),
  };
}

/** The index named `name` ("primary" or a secondary index). */
export function findIndex(s: ResolvedSchema, name: string): ResolvedIndex {
  if (name === "primary") return s.primary;
  const ix = s.indexes.find((i) => i.name === name);
  if (!ix) {
    const known = ["primary", ...s.indexes.map((i) => i.name)].join(", ");
    throw new InvalidArgumentError(
      `table ${JSON.stringify(s.name)} has no index ${JSON.stringify(name)} (it has ${known})`,
    );
  }
  return ix;
}

/** The schema in a canonical JSON form, for the catalog and for comparing two definitions. */
export function canonicalSchema(schema: TableSchema): string {
  const s = resolveSchema(schema);
  const index = (ix: ResolvedIndex) => ({
    fields: ix.fields.map((f, i) => ({ field: f.name, order: ix.dirs[i] })),
    unique: ix.unique,
  });
  return JSON.stringify({
    name: s.name,
    fields: Object.fromEntries(s.fields.map((f) => [f.name, { type: f.type, optional: f.optional }])),
    primaryKey: index(s.primary).fields,
    indexes: Object.fromEntries(s.indexes.map((ix) => [ix.name, index(ix)])),
  });
}
