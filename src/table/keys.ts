// The key layout of tables in the engine's one ordered key space (docs/format.md, "Table keys"):
//
//   00 tuple("catalog", name)               → catalog entry (JSON: table id and schema)
//   00 tuple("rows", tableId)               → row count (tuple int)
//   tuple(tableId, 0) pk...                 → record value (codec.ts)
//   tuple(tableId, indexId) fields... pk... → empty (a secondary index entry)
//
// Table ids start at 1, so every table key sorts after the metadata. Every component is
// self-delimiting, so "all keys whose next components equal these values" is the byte range
// [prefix, prefix ++ ff): no component starts with ff, and a string extended by a zero byte
// continues with ff (see tuple.ts), so its rows fall outside the range of the shorter string.

import { InvalidArgumentError } from "../engine/errors.js";
import type { Row } from "./codec.js";
import type { ResolvedIndex, ResolvedSchema } from "./schema.js";
import { ByteWriter, type TupleReader, type TupleValue, writeComponent, writeDirected } from "./tuple.js";

export const META_BYTE = 0x00;

/** The exclusive end of the keys that start with `prefix` (a whole number of components). */
export function componentRangeEnd(prefix: Uint8Array): Uint8Array {
  const out = new Uint8Array(prefix.length + 1);
  out.set(prefix);
  out[prefix.length] = 0xff;
  return out;
}

export function metaKey(kind: "catalog" | "rows", name: string | number): Uint8Array {
  const w = new ByteWriter(32);
  w.byte(META_BYTE);
  writeComponent(w, kind);
  writeComponent(w, name);
  return w.toBytes();
}

export function catalogPrefix(): Uint8Array {
  const w = new ByteWriter(16);
  w.byte(META_BYTE);
  writeComponent(w, "catalog");
  return w.toBytes();
}

export function indexPrefix(tableId: number, indexId: number): Uint8Array {
  const w = new ByteWriter(8);
  writeComponent(w, tableId);
  writeComponent(w, indexId);
  return w.toBytes();
}

/** Writes one field value as a key component (float fields keep the float encoding even when integral). */
export function writeKeyField(w: ByteWriter, ix: ResolvedIndex, i: number, v: unknown): void {
  writeDirected(w, v as TupleValue, ix.dirs[i], ix.fields[i].type === "float");
}

/** The primary key of a row (already checked): table prefix, then the primary key fields. */
export function writePrimaryKey(w: ByteWriter, prefix: Uint8Array, s: ResolvedSchema, row: Row): void {
  w.bytes(prefix);
  const pk = s.primary;
  for (let i = 0; i < pk.fields.length; i++) writeKeyField(w, pk, i, row[pk.fields[i].name]);
}

/** A secondary index entry's key: index prefix, the index fields, then the primary key fields. */
export function writeIndexKey(
  w: ByteWriter,
  prefix: Uint8Array,
  s: ResolvedSchema,
  ix: ResolvedIndex,
  row: Row,
): number {
  w.bytes(prefix);
  for (let i = 0; i < ix.fields.length; i++) writeKeyField(w, ix, i, row[ix.fields[i].name]);
  const fieldsEnd = w.pos;
  const pk = s.primary;
  for (let i = 0; i < pk.fields.length; i++) writeKeyField(w, pk, i, row[pk.fields[i].name]);
  return fieldsEnd;
}

// The last field of a primary key is unique among the rows that share the fields before it, so
// its text is decoded without the string cache (where it would only displace repeating values).

/** Reads the primary key fields from `r` (positioned after any index fields) into `row`. */
export function readPrimaryFields(r: TupleReader, s: ResolvedSchema, row: Row): void {
  const pk = s.primary;
  const last = pk.fields.length - 1;
  for (let i = 0; i <= last; i++) row[pk.fields[i].name] = readKeyField(r, pk, i, i < last);
}

/** Reads the primary key fields from `r` into `out`, by field index. */
export function readPrimaryValues(r: TupleReader, s: ResolvedSchema, out: unknown[]): void {
  const pk = s.primary;
  const last = pk.fields.length - 1;
  for (let i = 0; i <= last; i++) out[pk.fields[i].index] = readKeyField(r, pk, i, i < last);
}

/** Field `i` of index `ix`; `cache`: decode its text through the string cache (see TupleReader.read). */
export function readKeyField(r: TupleReader, ix: ResolvedIndex, i: number, cache = true): unknown {
  const v = r.read(ix.dirs[i], cache);
  const f = ix.fields[i];
  if (f.type === "bigint" && typeof v === "number") return BigInt(v);
  return v;
}

/** The primary key values of a `get`/`delete` argument: one value, an array, or a row object. */
export function primaryValues(s: ResolvedSchema, key: unknown): unknown[] {
  const pk = s.primary.fields;
  if (Array.isArray(key)) {
    if (key.length !== pk.length) {
      throw new InvalidArgumentError(
        `table ${JSON.stringify(s.name)}: a primary key has ${pk.length} field(s), got ${key.length}`,
      );
    }
    return key;
  }
  if (key !== null && typeof key === "object" && !(key instanceof Uint8Array)) {
    return pk.map((f) => (key as Row)[f.name]);
  }
  if (pk.length !== 1) {
    throw new InvalidArgumentError(
      `table ${JSON.stringify(s.name)}: its primary key has ${pk.length} fields; pass an array`,
    );
  }
  return [key];
}
