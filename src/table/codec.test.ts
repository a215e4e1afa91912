import assert from "node:assert/strict";
import { test } from "node:test";
import { seededRandom } from "../fs/random.js";
import { checkField, encodeValue, makeRecordDecoder, RawJson, type Row } from "./codec.js";
import { indexPrefix, writeKeyField } from "./keys.js";
import { makeRowEncoder } from "./row-encoder.js";
import { resolveSchema, type TableSchema } from "./schema.js";
import { ByteWriter } from "./tuple.js";

// Every field type, optional fields, descending and ascending string components, a compound key.
const schema: TableSchema = {
  name: "t",
  fields: {
    tenant: "string",
    id: "string",
    n: { type: "int", optional: true },
    big: { type: "bigint", optional: true },
    x: { type: "float", optional: true },
    ok: { type: "bool", optional: true },
    raw: { type: "bytes", optional: true },
    doc: { type: "json", optional: true },
    name: { type: "string", optional: true },
    tag: "string",
  },
  primaryKey: ["tenant", "id"],
  indexes: {
    byName: { fields: ["name", { field: "tag", order: "desc" }] },
    byN: { fields: [{ field: "n", order: "desc" }, "x"] },
    byTag: { fields: ["tag", "ok", "big"], unique: true },
  },
};

// Only strings in the values: the generated encoder writes those inline.
const stringSchema: TableSchema = {
  name: "s",
  fields: { id: "string", a: "string", b: { type: "string", optional: true }, c: "string" },
  primaryKey: ["id"],
  indexes: { byA: { fields: ["a", "b"] }, byC: { fields: [{ field: "c", order: "desc" }] } },
};

const TEXTS = ["", "a", "user-00000001", "ünïcödé", "nul\u0000inside", "emoji 😀", "x".repeat(200), "\u007f\u0080"];

function text(rnd: () => number): string {
  const t = TEXTS[Math.floor(rnd() * TEXTS.length)];
  return rnd() < 0.5 ? t : `${t}${Math.floor(rnd() * 1000)}`;
}

function maybe<T>(rnd: () => number, v: () => T): T | null | undefined {
  const r = rnd();
  return r < 0.15 ? null : r < 0.25 ? undefined : v();
}

function randomRow(rnd: () => number, i: number): Row {
  return {
    tenant: text(rnd),
    id: `${text(rnd)}-${i}`,
    n: maybe(rnd, () => [0, -0, 1, -1, 63, 64, -64, 2 ** 40, -(2 ** 53 - 1)][Math.floor(rnd() * 9)]),
    big: maybe(rnd, () => [0n, -5n, 2n ** 70n, -(2n ** 64n)][Math.floor(rnd() * 4)]),
    x: maybe(rnd, () => [0, -0, 1.5, -2.25, Number.POSITIVE_INFINITY, Number.NaN, 1e-300][Math.floor(rnd() * 7)]),
    ok: maybe(rnd, () => rnd() < 0.5),
    raw: maybe(rnd, () => Uint8Array.from({ length: Math.floor(rnd() * 140) }, () => Math.floor(rnd() * 256))),
    doc: maybe(rnd, () => ({ i, s: text(rnd) })),
    name: maybe(rnd, () => text(rnd)),
    tag: text(rnd),
  };
}

function randomStringRow(rnd: () => number, i: number): Row {
  return { id: `${text(rnd)}-${i}`, a: text(rnd), b: maybe(rnd, () => text(rnd)), c: text(rnd) };
}

const hex = (b: Uint8Array) => Buffer.from(b).toString("hex");

/** A row as comparable JSON: bigints, bytes and RawJson spelled out, -0 and NaN kept apart. */
function plain(row: Row): string {
  return JSON.stringify(row, (_, v) => {
    if (typeof v === "bigint") return `${v}n`;
    if (v instanceof Uint8Array) return `bytes:${hex(v)}`;
    if (v instanceof RawJson) return `json:${v.text}`;
    if (typeof v === "number" && (Object.is(v, -0) || !Number.isFinite(v))) return `num:${Object.is(v, -0) ? "-0" : v}`;
    return v;
  });
}

test("the generated record decoder reads exactly what decodeValue and makeRow read", () => {
  for (const sc of [schema, stringSchema]) {
    const s = resolveSchema(sc);
    const decode = makeRecordDecoder(s);
    const rnd = seededRandom(11);
    const w = new ByteWriter(64);
    for (let i = 0; i < 2000; i++) {
      const row = sc === schema ? randomRow(rnd, i) : randomStringRow(rnd, i);
      const vals = s.fields.map((f) => checkField(s.name, f, row[f.name]));
      w.reset();
      encodeValue(w, s, vals);
      const value = w.toBytes();
      const keyValues = s.fields.map((f) => (f.valueSlot < 0 ? vals[f.index] : "not from the key"));
      const got = decode(keyValues, value, 0, value.length);
      const want = s.fields.map((f) => (f.valueSlot < 0 ? vals[f.index] : null));
      // The reference: the generic decoder into the field array, then makeRow.
      const ref = s.fields.map((_, j) => want[j]);
      decodeValueInto(s, value, ref);
      assert.equal(plain(got), plain(s.makeRow(ref)), `row ${i}`);
      assert.deepEqual(Object.keys(got), Object.keys(sc.fields), "fields in schema order");
    }
  }
});

// decodeValue is the generic reader the generated one must match.
import { decodeValue } from "./codec.js";

function decodeValueInto(s: ReturnType<typeof resolveSchema>, value: Uint8Array, out: unknown[]): void {
  decodeValue(s, value, 0, value.length, out);
}

test("generated row encoders write the bytes of the generic key and value writers, in any split", () => {
  for (const sc of [schema, stringSchema]) {
    const s = resolveSchema(sc);
    const prefixes = [indexPrefix(9, 0), ...s.indexes.map((ix) => indexPrefix(9, ix.id))];
    const all = s.indexes.map((_, x) => x);
    const whole = makeRowEncoder(s, prefixes, { record: true, indexes: all, checkAll: true });
    const recordOnly = makeRowEncoder(s, prefixes, { record: true, indexes: [], checkAll: false });
    const perIndex = all.map((x) => makeRowEncoder(s, prefixes, { record: false, indexes: [x], checkAll: x === 0 }));
    const sink = (values: boolean) => {
      const keys = new ByteWriter(64);
      const vals = values ? new ByteWriter(64) : null;
      const out: string[] = [];
      return {
        keys,
        values: vals,
        out,
        end() {
          out.push(`${hex(keys.toBytes())}=${vals ? hex(vals.toBytes()) : ""}`);
          keys.reset();
          vals?.reset();
        },
      };
    };
    const rnd = seededRandom(5);
    for (let i = 0; i < 2000; i++) {
      const row = sc === schema ? randomRow(rnd, i) : randomStringRow(rnd, i);
      // The generic path, as bulk load wrote it before the encoders were generated.
      const vals = s.fields.map((f) => checkField(s.name, f, row[f.name]));
      const k = new ByteWriter(64);
      k.bytes(prefixes[0]);
      const pkStart = k.pos;
      s.primary.fields.forEach((f, j) => {
        writeKeyField(k, s.primary, j, vals[f.index]);
      });
      const pk = k.buf.slice(pkStart, k.pos);
      const v = new ByteWriter(64);
      encodeValue(v, s, vals);
      const wantRecord = `${hex(k.toBytes())}=${hex(v.toBytes())}`;
      const wantIndex = s.indexes.map((ix) => {
        const w = new ByteWriter(64);
        w.bytes(prefixes[ix.id]);
        ix.fields.forEach((f, j) => {
          writeKeyField(w, ix, j, vals[f.index]);
        });
        w.bytes(pk);
        return `${hex(w.toBytes())}=`;
      });

      const rec = sink(true);
      const idx = all.map(() => sink(false));
      whole(row, rec, idx);
      assert.deepEqual([rec.out, ...idx.map((x) => x.out)], [[wantRecord], ...wantIndex.map((x) => [x])], `row ${i}`);
      const rec2 = sink(true);
      recordOnly(row, rec2, []);
      assert.deepEqual(rec2.out, [wantRecord]);
      all.forEach((x) => {
        const one = sink(false);
        perIndex[x](row, null as never, [one]);
        assert.deepEqual(one.out, [wantIndex[x]], `row ${i} index ${x}`);
      });
    }
    // A bad field is the same error as the generic check's.
    const bad = { ...(sc === schema ? randomRow(rnd, 0) : randomStringRow(rnd, 0)), tag: 5, c: 5 };
    assert.throws(
      () =>
        whole(
          bad,
          sink(true),
          all.map(() => sink(false)),
        ),
      /must be a string/,
    );
    assert.throws(() => perIndex[0](bad, null as never, [sink(false)]), /must be a string/);
  }
});
