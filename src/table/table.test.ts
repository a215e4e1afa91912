import assert from "node:assert/strict";
import { test } from "node:test";
import { InvalidArgumentError } from "../engine/errors.js";
import { open, type Store } from "../engine/store.js";
import { MemoryFileSystem } from "../fs/memory.js";
import { RawJson } from "./codec.js";
import { DuplicateKeyError } from "./errors.js";
import type { TableSchema } from "./schema.js";
import { Tables } from "./tables.js";

const users: TableSchema = {
  name: "users",
  fields: {
    id: "int",
    email: "string",
    team: { type: "string", optional: true },
    age: { type: "int", optional: true },
    score: { type: "float", optional: true },
    data: { type: "json", optional: true },
  },
  primaryKey: ["id"],
  indexes: {
    byEmail: { fields: ["email"], unique: true },
    byTeamAge: { fields: ["team", { field: "age", order: "desc" }] },
  },
};

async function fresh(): Promise<{ store: Store; fs: MemoryFileSystem }> {
  const fs = new MemoryFileSystem();
  return { fs, store: await open("/db", { fs, durability: "none" }) };
}

/** Every key in the store, as hex, to check that nothing stale is left behind. */
function allKeys(store: Store): string[] {
  return [...store.iterator()].map(([k]) => Buffer.from(k).toString("hex"));
}

test("insert, get, index queries, update and delete keep every index exact", async () => {
  const { store } = await fresh();
  const t = await Tables.open(store).define(users);
  await t.insert({ id: 1, email: "a@x", team: "red", age: 30, data: { tags: ["x"] } });
  await t.insert({ id: 2, email: "b@x", team: "red", age: 40 });
  await t.insert({ id: 3, email: "c@x", team: "blue", age: 20 });
  const row = t.get(1);
  assert.ok(row);
  assert.equal(row.email, "a@x");
  assert.ok(row.data instanceof RawJson);
  assert.equal((row.data as RawJson).text, '{"tags":["x"]}');
  assert.deepEqual(JSON.parse(JSON.stringify(row)), {
    id: 1,
    email: "a@x",
    team: "red",
    age: 30,
    score: null,
    data: { tags: ["x"] },
  });
  // team red, age descending
  assert.deepEqual(
    t.query({ index: "byTeamAge", eq: ["red"] }).rows.map((r) => r.id),
    [2, 1],
  );
  assert.deepEqual(
    t.query({ index: "byTeamAge", eq: ["red"], gte: 35 }).rows.map((r) => r.id),
    [2],
  );
  assert.deepEqual(t.query({ index: "byTeamAge", eq: ["red"], lt: 35, keysOnly: true }).rows, [
    { team: "red", age: 30, id: 1 },
  ]);
  assert.equal(t.count({ index: "byTeamAge", eq: ["red"] }), 2);
  const before = allKeys(store).length;
  assert.deepEqual(JSON.parse(JSON.stringify(await t.update(1, { team: "blue", email: "a2@x" }))), {
    id: 1,
    email: "a2@x",
    team: "blue",
    age: 30,
    score: null,
    data: { tags: ["x"] },
  });
  assert.equal(allKeys(store).length, before, "an update replaces index entries, it does not add to them");
  assert.deepEqual(
    t.query({ index: "byTeamAge", eq: ["blue"] }).rows.map((r) => r.id),
    [1, 3],
  );
  assert.equal(t.query({ index: "byEmail", eq: ["a@x"] }).rows.length, 0);
  assert.equal(t.query({ index: "byEmail", eq: ["a2@x"] }).rows[0].id, 1);
  assert.equal(await t.delete(1), true);
  assert.equal(await t.delete(1), false);
  assert.equal(t.get(1), undefined);
  assert.equal(t.rows, 2);
  assert.equal(allKeys(store).length, before - 3, "a delete removes the record and both index entries");
  await store.close();
});

test("a unique index rejects a duplicate and writes nothing", async () => {
  const { store } = await fresh();
  const t = await Tables.open(store).define(users);
  await t.insert({ id: 1, email: "a@x" });
  const keys = allKeys(store);
  await assert.rejects(t.insert({ id: 2, email: "a@x" }), DuplicateKeyError);
  await assert.rejects(t.insert({ id: 1, email: "z@x" }), /already has a row with primary key \(1\)/);
  await t.insert({ id: 2, email: "b@x" });
  await assert.rejects(t.update(2, { email: "a@x" }), /unique index "byEmail" already has \("a@x"\)/);
  await assert.rejects(t.upsert({ id: 2, email: "a@x" }), DuplicateKeyError);
  assert.equal(t.get(2)?.email, "b@x");
  assert.equal(allKeys(store).length, keys.length + 3);
  // Two inserts of one unique value in the same turn: exactly one wins.
  const results = await Promise.allSettled([t.insert({ id: 5, email: "same" }), t.insert({ id: 6, email: "same" })]);
  assert.deepEqual(
    results.map((r) => r.status),
    ["fulfilled", "rejected"],
  );
  assert.equal(t.rows, 3);
  await store.close();
});

test("bad rows are clear errors", async () => {
  const { store } = await fresh();
  const t = await Tables.open(store).define(users);
  await assert.rejects(t.insert({ id: "1", email: "a" }), /field id must be a safe integer, got string/);
  await assert.rejects(t.insert({ id: 1 }), /field email is required/);
  await assert.rejects(t.insert({ id: 1, email: "a", nope: 1 }), /has no field "nope"/);
  await assert.rejects(t.update(1, { id: 2 }), /cannot change primary key field id/);
  assert.throws(() => t.query({ index: "nope" }), /has no index "nope" \(it has primary, byEmail, byTeamAge\)/);
  assert.throws(() => t.query({ after: "AAAA" }), InvalidArgumentError);
  await store.close();
});

test("pagination over thousands of rows that tie on the indexed fields resumes exactly", async () => {
  const { store } = await fresh();
  const t = await Tables.open(store).define(users);
  const n = 3000;
  for (let i = 0; i < n; i++) void t.insert({ id: i, email: `u${i}`, team: i % 3 === 0 ? "red" : "blue", age: 7 });
  await store.flush();
  await t.insert({ id: n, email: "last", team: "red", age: 7 });
  for (const reverse of [false, true]) {
    const seen: number[] = [];
    let after: string | undefined;
    let pages = 0;
    do {
      const page = t.query({ index: "byTeamAge", eq: ["red", 7], limit: 97, after, reverse });
      seen.push(...page.rows.map((r) => r.id as number));
      after = page.cursor;
      pages++;
    } while (after);
    const want = Array.from({ length: n + 1 }, (_, i) => i).filter((i) => i % 3 === 0 || i === n);
    assert.deepEqual(seen, reverse ? want.reverse() : want);
    assert.equal(pages, Math.ceil(want.length / 97));
  }
  assert.equal(t.count({ index: "byTeamAge", eq: ["red"] }), Math.ceil(n / 3) + 1);
  await store.close();
});

test("tables persist in the catalog, share one store, and reads see snapshots", async () => {
  const fs = new MemoryFileSystem();
  let store = await open("/db", { fs, durability: "strict" });
  const tables = Tables.open(store);
  const a = await tables.define(users);
  const b = await tables.define({ name: "events", fields: { at: "float", kind: "string" }, primaryKey: ["at"] });
  await a.insert({ id: 1, email: "a" });
  await b.insert({ at: 1.5, kind: "x" });
  const snap = tables.snapshot();
  await a.delete(1);
  assert.equal(a.get(1), undefined);
  assert.equal(a.get(1, { snapshot: snap })?.email, "a");
  assert.equal(a.query({ snapshot: snap }).rows.length, 1);
  snap.release();
  await store.close();
  store = await open("/db", { fs });
  const again = Tables.open(store);
  assert.deepEqual(
    again.list().map((t) => [t.name, t.rows]),
    [
      ["events", 1],
      ["users", 0],
    ],
  );
  assert.equal(again.table("events").get(1.5)?.kind, "x");
  await assert.rejects(again.define({ ...users, indexes: {} }), /exists with a different schema/);
  assert.equal((await again.define(users)).id, a.id);
  await store.close();
});
