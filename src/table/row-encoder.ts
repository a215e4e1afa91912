// The bulk loader's row encoder, generated once per table schema: one function that reads a row's
// fields by literal property names, checks them, and writes the record's key and value and every
// secondary index key straight into the run arenas. The bytes are exactly those of the generic
// path (writeKeyField, encodeValue); what the generated code saves is the per-field dispatch on
// type and direction, the array of field values, and the calls the generic writers make per byte.
// Short ASCII strings, the common case for ids and names, are written by an inlined loop; any
// other value goes through the generic writers. For coded indexes (coded-index.ts) it writes a
// code per row and encodes only the index values it has not seen; with a value dictionary it
// copies a record value it has seen and encodes only new ones.

import { checkField, encodeValue, type Row, writeField } from "./codec.js";
import { CODABLE, type CodedIndex, type ValueDictionary } from "./coded-index.js";
import { writeKeyField } from "./keys.js";
import type { ResolvedIndex, ResolvedSchema } from "./schema.js";
import { type ByteWriter, CODE_STRING } from "./tuple.js";

/** Where one row's entries go: a growable arena per run, closed per entry with `end()`. */
export interface EntrySink {
  readonly keys: ByteWriter;
  readonly values: ByteWriter | null;
  /** Notes the length of the open entry's key before its primary key (index sinks; see PackedRun.prefixEnds). */
  prefixEnd?(length: number): void;
  end(): void;
}

/**
 * Encodes one row into the record run and the index runs (in index order), and codes it for the
 * coded indexes (EncoderParts.coded, in that order); throws on a bad field.
 */
export type RowEncoder = ((
  row: Row,
  records: EntrySink,
  indexes: readonly EntrySink[],
  coded?: readonly CodedIndex[],
  values?: ValueDictionary,
) => void) & {
  /** Whether it writes record values (closing record entries whole, or their values). */
  readonly writesValues: boolean;
};

/** An ascending string key component (code, text, 00), or false when `s` needs the escaping path. */
function asciiComponent(w: ByteWriter, s: string): boolean {
  const n = s.length;
  if (w.pos + n + 2 > w.buf.length) w.ensure(n + 2);
  const buf = w.buf;
  const start = w.pos;
  let p = start + 1;
  for (let i = 0; i < n; i++) {
    const c = s.charCodeAt(i);
    if (c >= 0x80 || c === 0) return false;
    buf[p++] = c;
  }
  buf[start] = CODE_STRING;
  buf[p] = 0;
  w.pos = p + 1;
  return true;
}

/** A string value field (one-byte length, text) for short ASCII, or false for the generic path. */
function asciiValue(w: ByteWriter, s: string): boolean {
  const n = s.length;
  if (n >= 0x80) return false;
  if (w.pos + n + 1 > w.buf.length) w.ensure(n + 1);
  const buf = w.buf;
  const start = w.pos;
  let p = start + 1;
  for (let i = 0; i < n; i++) {
    const c = s.charCodeAt(i);
    if (c >= 0x80) return false;
    buf[p++] = c;
  }
  buf[start] = n;
  w.pos = p;
  return true;
}

/** Copies src[start, end) to the writer (short key parts: a plain loop). */
function copy(w: ByteWriter, src: Uint8Array, start: number, end: number): void {
  const n = end - start;
  if (w.pos + n > w.buf.length) w.ensure(n);
  const buf = w.buf;
  let p = w.pos;
  for (let i = start; i < end; i++) buf[p++] = src[i];
  w.pos = p;
}

/** What one generated encoder writes. */
export interface EncoderParts {
  /** Write the record (key and value). */
  record: boolean;
  /** The secondary indexes (by position in `schema.indexes`) whose entries it writes. */
  indexes: readonly number[];
  /** Check every field of the row, not only the ones written (the first pass over the rows does). */
  checkAll: boolean;
  /** Secondary indexes (by position) given a code per row instead of a key (coded-index.ts); record only. */
  coded?: readonly number[];
  /** Take record values from a value dictionary (coded-index.ts) when every value field is codable; record only. */
  values?: boolean;
}

/**
 * An encoder for schema `s`, whose index key prefixes (by index id, 0: the records) are
 * `prefixes`, writing `parts` of each row: the sinks it is given are the record run (may be null
 * when `parts.record` is false) and one per entry of `parts.indexes`. The value is written by the
 * generic `encodeValue` unless every value field is a string; key fields that are ascending
 * strings take the inlined path.
 */
export function makeRowEncoder(s: ResolvedSchema, prefixes: readonly Uint8Array[], parts: EncoderParts): RowEncoder {
  const lines: string[] = [];
  const fields = s.fields;
  const used = new Set<number>();
  if (parts.checkAll || parts.record) for (const f of fields) used.add(f.index);
  for (const f of s.primary.fields) used.add(f.index);
  for (const x of parts.indexes) for (const f of s.indexes[x].fields) used.add(f.index);
  lines.push("let m; let t; let lastKey;");
  // Read and check the fields first, in field order, as the generic path does.
  fields.forEach((f, i) => {
    if (!used.has(i)) return;
    lines.push(`let v${i} = row[${JSON.stringify(f.name)}];`);
    if (f.type === "string" && !f.optional) lines.push(`if (typeof v${i} !== "string") v${i} = check(${i}, v${i});`);
    else lines.push(`v${i} = check(${i}, v${i});`);
  });
  // Lines that walk a Map tree from `root` by the values `vars` (no values: one constant key),
  // creating the inner Maps, leaving the last Map in `m`, its key in `lastKey` and what it holds in `out`.
  const walk = (root: string, vars: string[], out: string): string[] => {
    const keys = vars.length > 0 ? vars : ["0"];
    const code: string[] = [`m = ${root};`];
    for (const v of keys.slice(0, -1)) {
      code.push(`t = m.get(${v}); if (t === undefined) { t = new Map(); m.set(${v}, t); } m = t;`);
    }
    code.push(`${out} = m.get(${keys[keys.length - 1]}); lastKey = ${keys[keys.length - 1]};`);
    return code;
  };
  const lastKey = (vars: string[]): string => (vars.length > 0 ? vars[vars.length - 1] : "0");
  // The value written straight into the records' value arena.
  const directValue = (): string[] => {
    const out: string[] = [];
    const allStrings = s.valueFields.length > 0 && s.valueFields.every((f) => f.type === "string");
    if (allStrings) {
      const n = s.valueFields.length;
      const bitmapBytes = (n + 7) >> 3;
      out.push(`if (rv.pos + ${bitmapBytes} > rv.buf.length) rv.ensure(${bitmapBytes});`, "const bm = rv.pos;");
      for (let b = 0; b < bitmapBytes; b++) out.push(`rv.buf[bm + ${b}] = 0;`);
      out.push(`rv.pos = bm + ${bitmapBytes};`);
      s.valueFields.forEach((f, slot) => {
        const v = `v${f.index}`;
        const body = [
          `rv.buf[bm + ${slot >> 3}] |= ${1 << (slot & 7)};`,
          `if (!asciiValue(rv, ${v})) writeString(rv, ${v});`,
        ].join(" ");
        out.push(f.optional ? `if (${v} !== null) { ${body} }` : body);
      });
    } else {
      fields.forEach((_, i) => {
        out.push(`vals[${i}] = v${i};`);
      });
      out.push("encodeValue(rv, schema, vals);");
    }
    return out;
  };
  const keyField = (w: string, ix: ResolvedIndex, j: number, ixName: string) => {
    const f = ix.fields[j];
    const v = `v${f.index}`;
    const generic = `writeKeyField(${w}, ${ixName}, ${j}, ${v})`;
    if (f.type === "string" && ix.dirs[j] === "asc") {
      // An optional field may be null: its component is not a string one.
      const fast = `asciiComponent(${w}, ${v})`;
      return f.optional ? `if (${v} === null || !${fast}) ${generic};` : `if (!${fast}) ${generic};`;
    }
    return `${generic};`;
  };
  if (parts.record) {
    // The record's key = prefix 0 + primary key fields.
    lines.push("const rk = records.keys;", "copy(rk, prefixes[0], 0, prefixes[0].length);", "const pkStart = rk.pos;");
    s.primary.fields.forEach((_, j) => {
      lines.push(keyField("rk", s.primary, j, "primary"));
    });
    lines.push("const pkEnd = rk.pos;");
    // Each coded index: walk the Map tree by the index's field values; a combination not seen
    // before is encoded once, as a dictionary entry (index prefix and fields), and gets a code.
    // An index whose fields are all fields of an index coded before it gets its code from that
    // index's code once the two have been seen together (a functional dependency: the values of
    // the bigger index determine the smaller one's), without walking its Maps.
    const coded = parts.coded ?? [];
    const fieldSet = (x: number) => new Set(s.indexes[x].fields.map((f) => f.index));
    for (let k = 0; k < coded.length; k++) lines.push(`let c${k} = -1;`);
    coded.forEach((x, k) => {
      const ix = s.indexes[x];
      const mine = fieldSet(x);
      const parent = coded.findIndex((y, j) => j < k && [...mine].every((f) => fieldSet(y).has(f)));
      lines.push(`{ const C = coded[${k}]; if (!C.off) {`);
      if (parent >= 0) lines.push(`let c = c${parent} >= 0 ? C.known(c${parent}) : -1; if (c < 0) {`);
      else lines.push("let c; {");
      lines.push(
        ...walk(
          "C.root",
          ix.fields.map((f) => `v${f.index}`),
          "c",
        ),
      );
      lines.push(`if (c === undefined) { const w = C.keys; copy(w, prefixes[${ix.id}], 0, prefixes[${ix.id}].length);`);
      ix.fields.forEach((_, j) => {
        lines.push(keyField("w", ix, j, `index${x}`));
      });
      lines.push(`c = C.add(); m.set(${lastKey(ix.fields.map((f) => `v${f.index}`))}, c); }`);
      if (parent >= 0) lines.push(`if (c${parent} >= 0) C.remember(c${parent}, c);`);
      lines.push(`} C.codes[C.n++] = c; c${k} = c; } }`);
    });
    // The value: by its dictionary (a value already seen is copied), or encoded.
    lines.push("const rv = records.values;");
    const valueVars = s.valueFields.map((f) => `v${f.index}`);
    if (parts.values && s.valueFields.length > 0 && s.valueFields.every((f) => CODABLE.has(f.type))) {
      // A coded index whose fields are all value fields determines those: its code leads the walk.
      const valueSet = new Set(s.valueFields.map((f) => f.index));
      let parent = -1;
      coded.forEach((x, k) => {
        const f = fieldSet(x);
        if ([...f].every((i) => valueSet.has(i)) && (parent < 0 || f.size > fieldSet(coded[parent]).size)) parent = k;
      });
      // A value not in the dictionary is encoded into it once.
      const miss = [
        "if (vc === undefined) {",
        ...fields.map((_, i) => `vals[${i}] = v${i};`),
        "encodeValue(values.keys, schema, vals); vc = values.add(); m.set(lastKey, vc); }",
      ];
      lines.push("if (values !== undefined && !values.off) { let vc;");
      if (parent >= 0) {
        // Under the leading code, the rest of the values as in the last row with that code (the
        // common case: they repeat) give the value without walking the Maps.
        const p = `c${parent}`;
        const leading = fieldSet(coded[parent]);
        const restVars = s.valueFields.filter((f) => !leading.has(f.index)).map((f) => `v${f.index}`);
        const same = restVars.map((v, j) => `values.rest[${j}][${p}] === ${v}`);
        lines.push(
          `if (${p} >= 0) { vc = values.last[${p}];`,
          `if (vc === undefined${same.map((x) => ` || !(${x})`).join("")}) {`,
          ...walk(`values.under(${p})`, restVars, "vc"),
          ...miss,
          `values.last[${p}] = vc;`,
          ...restVars.map((v, j) => `values.rest[${j}][${p}] = ${v};`),
          "} } else {",
        );
      }
      lines.push(...walk("values.root", valueVars, "vc"), ...miss);
      if (parent >= 0) lines.push("}");
      lines.push("values.copyTo(rv, vc); } else {", ...directValue(), "}");
    } else {
      lines.push(...directValue());
    }
    lines.push("records.end();");
  }
  // Each index entry: its prefix, its fields, then the primary key (its bytes copied from the
  // record key when this encoder wrote one).
  parts.indexes.forEach((x, k) => {
    const ix = s.indexes[x];
    lines.push(
      `{ const sink = indexes[${k}]; const w = sink.keys; const e0 = w.pos;`,
      `copy(w, prefixes[${ix.id}], 0, prefixes[${ix.id}].length);`,
    );
    ix.fields.forEach((_, j) => {
      lines.push(keyField("w", ix, j, `index${x}`));
    });
    lines.push("if (sink.prefixEnd !== undefined) sink.prefixEnd(w.pos - e0);");
    if (parts.record) lines.push("copy(w, rk.buf, pkStart, pkEnd);");
    else {
      s.primary.fields.forEach((_, j) => {
        lines.push(keyField("w", s.primary, j, "primary"));
      });
    }
    lines.push("sink.end(); }");
  });

  const vals: unknown[] = new Array(fields.length);
  const check = (i: number, v: unknown) => checkField(s.name, fields[i], v);
  const writeString = (w: ByteWriter, v: string) => writeField(w, "string", v);
  const names = ["row", "records", "indexes", "coded", "values"];
  const deps: Record<string, unknown> = {
    check,
    copy,
    asciiComponent,
    asciiValue,
    writeKeyField,
    writeString,
    encodeValue,
    schema: s,
    vals,
    prefixes,
    primary: s.primary,
  };
  s.indexes.forEach((ix, x) => {
    deps[`index${x}`] = ix;
  });
  const factory = new Function(
    ...Object.keys(deps),
    `return function encodeRow(${names.join(", ")}) {\n${lines.join("\n")}\n};`,
  );
  const encode = factory(...Object.values(deps));
  encode.writesValues = parts.record;
  return encode as RowEncoder;
}
