// The record value codec: the fields outside the primary key, written positionally in schema order
// behind a presence bitmap, with no field names and no type tags (the schema has them). A json field
// is kept as its UTF-8 text and read back as a RawJson, so a face can splice the stored bytes into a
// response without parsing and re-serializing them. The format is in docs/format.md ("Records").
//
//   value   := bitmap field*          bitmap: ceil(n/8) bytes, bit i set = value field i present
//   string  := varint(len) utf8       bytes, json: the same with raw bytes / JSON text
//   int     := svarint                first byte: continuation, sign, 6 magnitude bits; then 7 per byte
//   bigint  := varint(len) decimal-ascii
//   float   := 8 bytes little-endian IEEE 754
//   bool    := 1 byte (0 or 1)

import { InvalidArgumentError } from "../engine/errors.js";
import { CorruptionError } from "../format/errors.js";
import type { FieldType, ResolvedField, ResolvedSchema } from "./schema.js";
import { type ByteWriter, decodeText } from "./tuple.js";

/** A stored JSON value as its UTF-8 text. `value` parses it once, on first use. */
export class RawJson {
  private parsed: unknown;
  private hasParsed = false;
  constructor(readonly bytes: Uint8Array) {}

  /** Wraps a value as JSON text (what a write does with a plain value in a json field). */
  static from(value: unknown): RawJson {
    if (value instanceof RawJson) return value;
    const text = JSON.stringify(value);
    if (text === undefined) throw new InvalidArgumentError(`${String(value)} is not representable as JSON`);
    const r = new RawJson(utf8.encode(text));
    r.parsed = value;
    r.hasParsed = true;
    return r;
  }

  get text(): string {
    return decoder.decode(this.bytes);
  }

  get value(): unknown {
    if (!this.hasParsed) {
      this.parsed = JSON.parse(this.text);
      this.hasParsed = true;
    }
    return this.parsed;
  }

  toJSON(): unknown {
    return this.value;
  }
}

/** A row as the caller sees it: field name to value. */
export type Row = Record<string, unknown>;

const utf8 = new TextEncoder();
const decoder = new TextDecoder("utf-8", { fatal: true });
const f64 = new Float64Array(1);
const f64Bytes = new Uint8Array(f64.buffer);

function typeError(table: string, f: ResolvedField, v: unknown, want: string): never {
  const got = v === null ? "null" : v instanceof Uint8Array ? "bytes" : typeof v;
  throw new InvalidArgumentError(`table ${JSON.stringify(table)}: field ${f.name} must be ${want}, got ${got}`);
}

/** Checks one field's value against its type; returns the value to store (json becomes RawJson). */
export function checkField(table: string, f: ResolvedField, v: unknown): unknown {
  if (v === undefined || v === null) {
    if (!f.optional) throw new InvalidArgumentError(`table ${JSON.stringify(table)}: field ${f.name} is required`);
    return null;
  }
  switch (f.type) {
    case "string":
      if (typeof v !== "string") typeError(table, f, v, "a string");
      return v;
    case "int":
      if (!Number.isSafeInteger(v)) typeError(table, f, v, "a safe integer");
      return v === 0 ? 0 : v; // -0 is the integer 0 (keys cannot tell them apart)
    case "bigint":
      if (typeof v !== "bigint") typeError(table, f, v, "a bigint");
      return v;
    case "float":
      if (typeof v !== "number") typeError(table, f, v, "a number");
      return v;
    case "bool":
      if (typeof v !== "boolean") typeError(table, f, v, "a boolean");
      return v;
    case "bytes":
      if (!(v instanceof Uint8Array)) typeError(table, f, v, "a Uint8Array");
      return v;
    case "json":
      return RawJson.from(v);
  }
}

function writeSvarint(w: ByteWriter, x: number): void {
  const negative = x < 0 || Object.is(x, -0);
  let m = negative ? -x : x;
  w.ensure(9);
  const buf = w.buf;
  let b = (m % 64) | (negative ? 0x40 : 0);
  m = Math.floor(m / 64);
  while (m > 0) {
    buf[w.pos++] = b | 0x80;
    b = m % 128;
    m = Math.floor(m / 128);
  }
  buf[w.pos++] = b;
}

/** Writes one present value field of type `type` (already checked), as `encodeValue` does. */
export function writeField(w: ByteWriter, type: FieldType, v: unknown): void {
  switch (type) {
    case "string": {
      const s = v as string;
      // Reserve a one-byte length when it fits; shift the text if the length needed more.
      const start = w.pos;
      w.byte(0);
      w.utf8(s, false);
      const len = w.pos - start - 1;
      if (len < 0x80) {
        w.buf[start] = len;
      } else {
        const text = w.buf.slice(start + 1, w.pos);
        w.pos = start;
        w.varint(len);
        w.bytes(text);
      }
      return;
    }
    case "int":
      writeSvarint(w, v as number);
      return;
    case "bigint": {
      const s = (v as bigint).toString();
      w.varint(s.length);
      w.utf8(s, false);
      return;
    }
    case "float":
      w.ensure(8);
      f64[0] = v as number;
      for (let i = 0; i < 8; i++) w.buf[w.pos++] = f64Bytes[i];
      return;
    case "bool":
      w.byte(v ? 1 : 0);
      return;
    case "bytes": {
      const b = v as Uint8Array;
      w.varint(b.length);
      w.bytes(b);
      return;
    }
    case "json": {
      const b = (v as RawJson).bytes;
      w.varint(b.length);
      w.bytes(b);
      return;
    }
  }
}

/** Writes the value part of a row whose field values (in field order) were already checked (see `checkField`). */
export function encodeValue(w: ByteWriter, s: ResolvedSchema, values: readonly unknown[]): void {
  const fields = s.valueFields;
  const n = fields.length;
  const bitmapStart = w.pos;
  const bitmapBytes = (n + 7) >> 3;
  w.ensure(bitmapBytes);
  for (let i = 0; i < bitmapBytes; i++) w.buf[w.pos++] = 0;
  for (let i = 0; i < n; i++) {
    const f = fields[i];
    const v = values[f.index];
    if (v === null || v === undefined) continue;
    w.buf[bitmapStart + (i >> 3)] |= 1 << (i & 7);
    writeField(w, f.type, v);
  }
}

/**
 * Reads a value written by `encodeValue` into `out`, by field index (see ResolvedField.index);
 * absent optional fields become null.
 */
export function decodeValue(s: ResolvedSchema, buf: Uint8Array, start: number, end: number, out: unknown[]): void {
  const fields = s.valueFields;
  const n = fields.length;
  let p = start + ((n + 7) >> 3);
  if (p > end) throw new CorruptionError("record", "record value shorter than its presence bitmap");
  for (let i = 0; i < n; i++) {
    const f = fields[i];
    if ((buf[start + (i >> 3)] & (1 << (i & 7))) === 0) {
      out[f.index] = null;
      continue;
    }
    out[f.index] = decodeField(f, buf, p, end);
    p = fieldEnd;
  }
  if (p > end) throw new CorruptionError("record", "record value cut short");
}

/** Where the field `decodeField` read last ended. */
let fieldEnd = 0;

/** The present field `f` stored at buf[p...]; sets `fieldEnd`. */
function decodeField(f: ResolvedField, buf: Uint8Array, p: number, end: number): unknown {
  let out: unknown;
  switch (f.type) {
    case "string":
    case "bytes":
    case "json":
    case "bigint": {
      p = readLength(buf, p);
      const len = lengthRead;
      if (p + len > end) throw new CorruptionError("record", `field ${f.name} runs past the end of the record`);
      if (f.type === "string") out = decodeText(buf, p, p + len);
      else if (f.type === "bytes") out = buf.subarray(p, p + len);
      else if (f.type === "json") out = new RawJson(buf.subarray(p, p + len));
      else out = BigInt(decodeText(buf, p, p + len));
      p += len;
      break;
    }
    case "int": {
      let b = buf[p++];
      const negative = (b & 0x40) !== 0;
      let m = b & 0x3f;
      let scale = 64;
      while (b & 0x80) {
        b = buf[p++];
        m += (b & 0x7f) * scale;
        scale *= 128;
      }
      out = negative ? -m : m;
      break;
    }
    case "float":
      for (let j = 0; j < 8; j++) f64Bytes[j] = buf[p + j];
      out = f64[0];
      p += 8;
      break;
    case "bool":
      out = buf[p++] === 1;
      break;
  }
  fieldEnd = p;
  return out;
}

/** Reads a record value straight into a row: see `makeRecordDecoder`. */
export type RecordDecoder = (keyValues: readonly unknown[], buf: Uint8Array, start: number, end: number) => Row;

/**
 * A decoder generated for one schema: it reads the value's fields in slot order into locals (the
 * text of string fields inline, other types through `decodeField`) and returns the whole row as
 * one object literal in field order, taking the primary key fields from `keyValues` (by field
 * index). The same result as `decodeValue` plus `makeRow`, without the loop over field types.
 */
export function makeRecordDecoder(s: ResolvedSchema): RecordDecoder {
  const n = s.valueFields.length;
  const bitmap = (n + 7) >> 3;
  const lines: string[] = [
    `let p = start + ${bitmap};`,
    `if (p > end) throw corrupt("record value shorter than its presence bitmap");`,
    "let len = 0;",
  ];
  s.valueFields.forEach((f, i) => {
    const present = `(buf[start + ${i >> 3}] & ${1 << (i & 7)}) !== 0`;
    if (f.type === "string") {
      lines.push(
        `let v${i} = null;`,
        `if (${present}) {`,
        "  len = buf[p++];",
        "  if (len >= 0x80) { p = readLength(buf, p - 1); len = lastLength(); }",
        `  if (p + len > end) throw corrupt(${JSON.stringify(`field ${f.name} runs past the end of the record`)});`,
        `  v${i} = decodeText(buf, p, p + len);`,
        "  p += len;",
        "}",
      );
    } else {
      lines.push(
        `let v${i} = null;`,
        `if (${present}) { v${i} = decodeField(fields[${i}], buf, p, end); p = getEnd(); }`,
      );
    }
  });
  lines.push(`if (p > end) throw corrupt("record value cut short");`);
  const props = s.fields.map(
    (f) => `${JSON.stringify(f.name)}: ${f.valueSlot < 0 ? `keyValues[${f.index}]` : `v${f.valueSlot}`}`,
  );
  lines.push(`return { ${props.join(", ")} };`);
  const factory = new Function(
    "fields",
    "decodeField",
    "getEnd",
    "decodeText",
    "readLength",
    "lastLength",
    "corrupt",
    `return function decodeRecord(keyValues, buf, start, end) {\n${lines.join("\n")}\n};`,
  );
  return factory(
    s.valueFields,
    decodeField,
    () => fieldEnd,
    decodeText,
    readLength,
    () => lengthRead,
    (what: string) => new CorruptionError("record", what),
  ) as RecordDecoder;
}

/** The length varint read last by `readLength`. */
let lengthRead = 0;

/** Reads the varint at buf[p]; returns the position after it and leaves its value in `lengthRead`. */
function readLength(buf: Uint8Array, p: number): number {
  let len = 0;
  let shift = 1;
  let b: number;
  do {
    b = buf[p++];
    len += (b & 0x7f) * shift;
    shift *= 128;
  } while (b & 0x80);
  lengthRead = len;
  return p;
}
