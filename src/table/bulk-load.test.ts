import assert from "node:assert/strict";
import { mkdtempSync, readdirSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { test } from "node:test";
import { open, type Store } from "../engine/store.js";
import { MemoryFileSystem } from "../fs/memory.js";
import { seededRandom } from "../fs/random.js";
import type { Row } from "./codec.js";
import { DuplicateKeyError } from "./errors.js";
import type { TableSchema } from "./schema.js";
import type { Table, TableQuery } from "./table.js";
import { Tables } from "./tables.js";

const schema: TableSchema = {
  name: "grants",
  fields: {
    id: "string",
    ent: "string",
    kind: "string",
    who: { type: "int", optional: true },
    weight: { type: "float", optional: true },
    code: { type: "string", optional: true },
    data: { type: "json", optional: true },
  },
  primaryKey: ["id"],
  indexes: {
    byEnt: { fields: ["ent", "kind", { field: "who", order: "desc" }] },
    // Its fields are some of byEnt's: bulk load codes it from byEnt's codes (row-encoder.ts).
    byKind: { fields: ["kind", { field: "who", order: "desc" }] },
    byWeight: { fields: [{ field: "weight", order: "desc" }] },
    byCode: { fields: ["code"], unique: true },
  },
};

function makeRows(n: number, seed: number, shuffled: boolean): Row[] {
  const rnd = seededRandom(seed);
  const rows: Row[] = [];
  for (let i = 0; i < n; i++) {
    rows.push({
      id: `g-${String(i).padStart(6, "0")}`,
      ent: `e${i % 7}`,
      kind: i % 2 ? "user" : "group",
      who: i % 5 === 0 ? null : Math.floor(rnd() * 50) - 10,
      weight: i % 4 === 0 ? null : Math.round(rnd() * 100) / 4,
      code: i % 3 === 0 ? null : `c${i}`,
      data: i % 6 === 0 ? { i, tags: ["a", i] } : undefined,
    });
  }
  if (shuffled) {
    for (let i = rows.length - 1; i > 0; i--) {
      const j = Math.floor(rnd() * (i + 1));
      [rows[i], rows[j]] = [rows[j], rows[i]];
    }
  }
  return rows;
}

const queries: TableQuery[] = [
  {},
  { reverse: true },
  { index: "byEnt" },
  { index: "byEnt", eq: ["e3"] },
  { index: "byEnt", eq: ["e3", "user"], gte: 5 },
  { index: "byEnt", eq: ["e1", "group"], lt: 0, reverse: true },
  { index: "byKind", eq: ["user"] },
  { index: "byKind", eq: ["group"], gte: 3, reverse: true },
  { index: "byWeight", gt: 10, lte: 20 },
  { index: "byWeight", keysOnly: true },
  { index: "byCode", gte: "c5", keysOnly: true },
  { gte: "g-000100", lt: "g-000200" },
];

function snapshotOf(t: Table): unknown[] {
  const out: unknown[] = [t.rows];
  for (const q of queries) {
    out.push(JSON.stringify([...t.scan(q, 37)]));
    out.push(t.count(q));
  }
  return out;
}

/** Compares query by query, so a failure names the query rather than printing every row. */
function assertSame(got: Table, want: Table): void {
  const a = snapshotOf(got);
  const b = snapshotOf(want);
  assert.equal(a[0], b[0], "row counts");
  for (let i = 1; i < a.length; i++) {
    const q = JSON.stringify(queries[(i - 1) >> 1]);
    if (a[i] === b[i]) continue;
    const x = String(a[i]);
    const y = String(b[i]);
    let at = 0;
    while (at < x.length && x[at] === y[at]) at++;
    assert.fail(
      `query ${q} (${i % 2 ? "rows" : "count"}) differs at char ${at}: ${x.slice(at - 80, at + 80)} vs ${y.slice(at - 80, at + 80)}`,
    );
  }
}

async function loadBoth(store: Store, rows: Row[]): Promise<[Table, Table]> {
  const tables = Tables.open(store);
  const bulk = await tables.define(schema);
  const rowByRow = await tables.define({ ...schema, name: "rowByRow" });
  await bulk.bulkLoad(rows);
  await Promise.all(rows.map((r) => rowByRow.insert(r)));
  await store.flush();
  return [bulk, rowByRow];
}

test("bulk load gives exactly the query results of row-by-row inserts (in memory, inline build)", async () => {
  const fs = new MemoryFileSystem();
  const store = await open("/db", { fs, durability: "none", targetFileSize: 16 << 10 });
  for (const shuffled of [false, true]) {
    const rows = makeRows(3000, shuffled ? 2 : 1, shuffled);
    const tables = Tables.open(store);
    const name = shuffled ? "s" : "o";
    const bulk = await tables.define({ ...schema, name: `${name}-bulk` });
    const rowByRow = await tables.define({ ...schema, name: `${name}-rows` });
    const result = await bulk.bulkLoad(rows);
    assert.equal(result.rows, rows.length);
    assert.ok(result.files > 1, "a small target file size cuts several files");
    await Promise.all(rows.map((r) => rowByRow.insert(r)));
    assertSame(bulk, rowByRow);
  }
  await store.close();
});

test("bulk load on the real file system (worker threads) matches row-by-row inserts and survives reopening", async () => {
  const dir = mkdtempSync(join(tmpdir(), "shale-bulk-"));
  try {
    let store = await open(dir, { durability: "none" });
    const rows = makeRows(20000, 3, true);
    const [bulk, rowByRow] = await loadBoth(store, rows);
    assertSame(bulk, rowByRow);
    await store.close();
    store = await open(dir);
    const again = Tables.open(store);
    assertSame(again.table("grants"), again.table("rowByRow"));
    await store.close();
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test("a duplicate primary key or unique value loads nothing; a non-empty table is refused", async () => {
  const fs = new MemoryFileSystem();
  const store = await open("/db", { fs, durability: "none" });
  const tables = Tables.open(store);
  const t = await tables.define(schema);
  const rows = makeRows(500, 4, true);
  const before = [...store.iterator()].length;
  await assert.rejects(t.bulkLoad([...rows, { ...rows[10], code: "other" }]), (e: unknown) => {
    assert.ok(e instanceof DuplicateKeyError);
    assert.equal(e.index, "primary");
    assert.deepEqual(e.values, [rows[10].id]);
    return true;
  });
  await assert.rejects(
    t.bulkLoad([...rows, { ...rows[1], id: "zzz", code: "c7" }]),
    /unique index "byCode" already has \("c7"\)/,
  );
  await assert.rejects(t.bulkLoad([{ id: "x", ent: 5 }]), /field ent must be a string/);
  assert.equal([...store.iterator()].length, before, "nothing was written");
  assert.equal(t.rows, 0);
  await t.bulkLoad(rows);
  assert.equal(t.rows, rows.length);
  await assert.rejects(t.bulkLoad(rows), /needs an empty table/);
  // Deleting everything empties the table again.
  for (const r of rows) await t.delete(r.id);
  assert.equal((await t.bulkLoad(rows.slice(0, 10))).rows, 10);
  assert.equal(t.rows, 10);
  await store.close();
});

test("without its stored row count (a crash between the rows and the count), a reopened table counts its rows", async () => {
  const fs = new MemoryFileSystem();
  let store = await open("/db", { fs, durability: "strict" });
  const t = await Tables.open(store).define(schema);
  const rows = makeRows(700, 5, true);
  await t.bulkLoad(rows);
  await store.del(t.rowCountKey()); // the state a crash right after the ingest leaves
  const image = fs.crashClone({ keepUnsynced: "none" });
  await store.close();
  store = await open("/db", { fs: image });
  const again = Tables.open(store).table("grants");
  assert.equal(again.rows, rows.length);
  await again.insert({ ...rows[0], id: "new", code: "new" });
  assert.equal(again.rows, rows.length + 1);
  await store.close();
});

test("bulk load from an array (a pass per run) and from an iterable (one pass) match row-by-row inserts, whatever the text", async () => {
  const fs = new MemoryFileSystem();
  const store = await open("/db", { fs, durability: "none", targetFileSize: 32 << 10 });
  const texts = ["ünï", "nul\u0000in", "😀", "x".repeat(150), "", "plain"];
  const rows = makeRows(5000, 6, true).map((r, i) => ({
    ...r,
    id: i % 9 === 0 ? `${r.id}-${texts[i % texts.length]}` : r.id,
    kind: texts[i % texts.length],
    code: r.code === null ? null : `${r.code}${texts[(i >> 1) % texts.length]}`,
  }));
  const tables = Tables.open(store);
  const fromArray = await tables.define({ ...schema, name: "array" });
  const fromIterable = await tables.define({ ...schema, name: "iterable" });
  const rowByRow = await tables.define({ ...schema, name: "rows" });
  await fromArray.bulkLoad(rows);
  await fromIterable.bulkLoad(
    (function* () {
      yield* rows;
    })(),
  );
  await Promise.all(rows.map((r) => rowByRow.insert(r)));
  assertSame(fromArray, rowByRow);
  assertSame(fromIterable, rowByRow);
  // A bad row is refused by either path, and nothing is written.
  const bad = [...rows.slice(0, 100), { ...rows[0], id: "bad", kind: 7 }];
  const empty = await tables.define({ ...schema, name: "empty" });
  await assert.rejects(empty.bulkLoad(bad), /field kind must be a string/);
  await assert.rejects(
    empty.bulkLoad(
      (function* () {
        yield* bad;
      })(),
    ),
    /field kind must be a string/,
  );
  await assert.rejects(empty.bulkLoad([rows[0], null as unknown as Row]), /row 1 is not an object/);
  assert.equal(empty.rows, 0);
  assert.equal(empty.count({}), 0);
  await store.close();
});

test("on the real file system, records stream to the workers in pieces: in order, shuffled, repeated", async () => {
  const dir = mkdtempSync(join(tmpdir(), "shale-bulk-"));
  try {
    const store = await open(dir, { durability: "none" });
    const tables = Tables.open(store);
    const rows = makeRows(150_000, 8, false); // in primary key order: several pieces, no sorting
    const streamed = await tables.define({ ...schema, name: "streamed" });
    const onePass = await tables.define({ ...schema, name: "onePass" });
    const shuffled = await tables.define({ ...schema, name: "shuffled" });
    const result = await streamed.bulkLoad(rows);
    assert.ok(result.files >= 3, `one file per piece at least (${result.files})`);
    await onePass.bulkLoad(
      (function* () {
        yield* rows;
      })(),
    );
    const mixed = makeRows(150_000, 8, true);
    await shuffled.bulkLoad(mixed); // the pieces fail the order check; sorted and ingested again
    assertSame(streamed, onePass);
    assertSame(shuffled, onePass);
    // A repeated primary key in the last piece: nothing is installed, and the error names it.
    const repeated = await tables.define({ ...schema, name: "repeated" });
    const before = readdirSync(dir).filter((f) => f.endsWith(".sst")).length;
    await assert.rejects(repeated.bulkLoad([...rows, { ...rows[5], code: null }]), (e: unknown) => {
      assert.ok(e instanceof DuplicateKeyError);
      assert.deepEqual(e.values, [rows[5].id]);
      return true;
    });
    assert.equal(repeated.count({}), 0);
    assert.equal(readdirSync(dir).filter((f) => f.endsWith(".sst")).length, before, "no file left behind");
    await store.close();
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test("record values repeated across rows are encoded once (value dictionary), and byte for byte as the one-pass path", async () => {
  const dir = mkdtempSync(join(tmpdir(), "shale-bulk-"));
  try {
    const store = await open(dir, { durability: "none" });
    const tables = Tables.open(store);
    // Every value field codable: the records pass takes values from the dictionary, led by byOwner's code.
    const codableSchema: TableSchema = {
      name: "codable",
      fields: {
        id: "string",
        owner: "string",
        team: { type: "string", optional: true },
        size: { type: "int", optional: true },
        big: "bigint",
        on: "bool",
      },
      primaryKey: ["id"],
      indexes: { byOwner: { fields: ["owner", "team"] }, bySize: { fields: [{ field: "size", order: "desc" }] } },
    };
    const texts = ["ünï", "nul\u0000in", "😀", "plain", ""];
    // 100k rows: the first 40k repeat a few values; then every row's values are new, so the
    // dictionary passes its limit (65,536 values) and is switched off mid-pass.
    const rows: Row[] = Array.from({ length: 100_000 }, (_, i) => {
      const fresh = i >= 40_000;
      return {
        id: `r-${String(i).padStart(6, "0")}`,
        owner: `o${i % 7}${texts[i % texts.length]}`,
        team: i % 4 === 0 ? null : `t${i % 3}`,
        size: fresh ? i : i % 5 === 0 ? null : i % 11,
        big: fresh ? BigInt(i) * 1_000_000_007n : BigInt(i % 3) - 1n,
        on: i % 2 === 0,
      };
    });
    const bulk = await tables.define({ ...codableSchema, name: "bulk" });
    const onePass = await tables.define({ ...codableSchema, name: "onePass" });
    await bulk.bulkLoad(rows);
    await onePass.bulkLoad(
      (function* () {
        yield* rows;
      })(),
    );
    const q = (t: Table, query: TableQuery) =>
      JSON.stringify([...t.scan(query, 1000)], (_, v) => (typeof v === "bigint" ? `${v}n` : v));
    for (const query of [
      {},
      { reverse: true },
      { index: "byOwner" },
      { index: "bySize", lt: 50 },
      { gte: "r-039990", lt: "r-040010" },
    ]) {
      assert.equal(q(bulk, query), q(onePass, query), JSON.stringify(query));
      assert.equal(bulk.count(query), onePass.count(query));
    }
    // Values are the same bytes either way: every row reads back as it went in.
    for (const i of [0, 1, 39_999, 40_000, 99_999]) assert.deepEqual(bulk.get(rows[i].id as string), rows[i]);
    await store.close();
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
