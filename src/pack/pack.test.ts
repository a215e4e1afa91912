import assert from "node:assert/strict";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import * as os from "node:os";
import { join } from "node:path";
import { test } from "node:test";
import { InvalidArgumentError, StoreClosedError } from "../engine/errors.js";
import { open, type Store } from "../engine/store.js";
import type { Entry } from "../engine/store-iterator.js";
import { crc32 } from "../format/crc.js";
import { CorruptionError } from "../format/errors.js";
import { zstdAvailable } from "../format/segment.js";
import { MemoryFileSystem } from "../fs/memory.js";
import { NodeFileSystem } from "../fs/node.js";
import { seededRandom } from "../fs/random.js";
import type { FileSystem } from "../fs/types.js";
import type { KvReader } from "../table/reader.js";
import type { TableSchema } from "../table/schema.js";
import type { Table } from "../table/table.js";
import { Tables } from "../table/tables.js";
import { crc32Combine } from "./crc.js";
import {
  PACK_HEADER_SIZE,
  PACK_TRAILER_SIZE,
  readU32,
  readU64,
  SECTION_ENTRY_SIZE,
  SHALE_VERSION,
  writeU32,
} from "./format.js";
import { openPack, type Pack } from "./reader.js";
import { unpack } from "./unpack.js";
import { pack } from "./writer.js";

const users: TableSchema = {
  name: "users",
  fields: {
    id: "int",
    email: "string",
    team: { type: "string", optional: true },
    age: { type: "int", optional: true },
    data: { type: "json", optional: true },
  },
  primaryKey: ["id"],
  indexes: {
    byEmail: { fields: ["email"], unique: true },
    byTeamAge: { fields: ["team", { field: "age", order: "desc" }] },
  },
};

const grants: TableSchema = {
  name: "grants",
  fields: {
    id: "string",
    entitlement: "string",
    principal: "string",
    weight: { type: "float", optional: true },
  },
  primaryKey: ["id"],
  indexes: {
    byEntitlementPrincipal: { fields: ["entitlement", "principal"] },
    byPrincipal: { fields: ["principal"] },
  },
};

const pad = (n: number, w: number) => String(n).padStart(w, "0");
/** Raw keys outside every table's range (table keys start with a tuple code below 0x40). */
const rawKey = (i: number) => `\u007f/raw/${pad(i, 5)}`;

/**
 * A store with two tables, several levels, deletes and updates over older versions, level-0 files,
 * an ingested file and writes still in the memtable (pack flushes them).
 */
async function buildStore(fs: FileSystem, dir: string): Promise<Store> {
  const store = await open(dir, {
    fs,
    durability: "none",
    writeBufferSize: 16 << 10,
    autoCompaction: false,
    compactionThread: "inline",
  });
  const tables = Tables.open(store);
  const u = await tables.define(users);
  const g = await tables.define(grants);
  const teams = ["red", "blue", "green", null];
  const writes: Promise<unknown>[] = [];
  for (let i = 0; i < 300; i++) {
    writes.push(
      u.insert({
        id: i,
        email: `u${pad(i, 4)}@x`,
        team: teams[i % 4],
        age: 20 + (i % 37),
        data: i % 5 === 0 ? { tags: ["a", i] } : null,
      }),
    );
    writes.push(
      g.insert({
        id: `grant-${pad(i, 8)}`,
        entitlement: `ent-${pad(i % 7, 2)}`,
        principal: `user-${pad(i % 13, 3)}`,
        weight: i % 3 === 0 ? i / 3 : null,
      }),
    );
  }
  await Promise.all(writes);
  await store.compact(); // everything so far into deeper levels
  // Raw keys by ingest: a file whose entries read with one global sequence number.
  const utf8 = new TextEncoder();
  await store.ingest(Array.from({ length: 50 }, (_, i): Entry => [utf8.encode(rawKey(i)), utf8.encode(`v${i}`)]));
  const more: Promise<unknown>[] = [];
  for (let i = 0; i < 300; i += 3) more.push(u.update(i, { age: 99, team: "blue" }));
  for (let i = 1; i < 300; i += 7) more.push(u.delete(i));
  for (let i = 0; i < 300; i += 11) more.push(g.delete(`grant-${pad(i, 8)}`));
  await Promise.all(more);
  await store.flush(); // level-0 files with updates and deletes over the deeper levels
  const last: Promise<unknown>[] = [];
  for (let i = 300; i < 340; i++) last.push(u.insert({ id: i, email: `u${pad(i, 4)}@x`, team: "red", age: i % 50 }));
  for (let i = 2; i < 300; i += 17) last.push(g.update(`grant-${pad(i, 8)}`, { principal: "user-999" }));
  await Promise.all(last);
  await store.del(rawKey(3));
  // These stay in the memtable: pack flushes them.
  return store;
}

const hex = (b: Uint8Array) => Buffer.from(b).toString("hex");
const plain = (v: unknown) => (v === undefined ? undefined : JSON.parse(JSON.stringify(v)));

function allEntries(r: KvReader, reverse = false): string[] {
  const it = r.iterator({ reverse });
  try {
    return [...it].map(([k, v]) => `${hex(k)}=${hex(v)}`);
  } finally {
    it.close();
  }
}

/** Every page of every index of `a` against `b`, both directions, plus counts and point gets. */
function assertSameTable(a: Table, b: Table, pks: unknown[]): void {
  assert.equal(b.rows, a.rows);
  for (const pk of pks) assert.deepEqual(plain(b.get(pk)), plain(a.get(pk)), `get ${String(pk)}`);
  const indexes = ["primary", ...Object.keys(a.schema.schema.indexes ?? {})];
  for (const index of indexes) {
    for (const reverse of [false, true]) {
      for (const keysOnly of [false, true]) {
        let after: string | undefined;
        let pages = 0;
        do {
          const pa = a.query({ index, reverse, keysOnly, limit: 23, after });
          const pb = b.query({ index, reverse, keysOnly, limit: 23, after });
          assert.deepEqual(plain(pb.rows), plain(pa.rows), `${index} reverse=${reverse} page ${pages}`);
          assert.equal(pb.cursor, pa.cursor);
          after = pa.cursor;
          pages++;
        } while (after !== undefined);
        assert.ok(pages > 1);
      }
    }
    assert.equal(b.count({ index }), a.count({ index }));
  }
}

function assertSameData(store: Store, p: KvReader & { tables: Tables }, tableNames = ["grants", "users"]): void {
  const live = Tables.open(store);
  assert.deepEqual(
    p.tables.list().map((t) => t.name),
    tableNames,
  );
  for (const name of tableNames) {
    const a = live.table(name);
    const b = p.tables.table(name);
    const pks: unknown[] = name === "users" ? Array.from({ length: 345 }, (_, i) => i) : [];
    if (name === "grants") for (let i = 0; i < 310; i++) pks.push(`grant-${pad(i, 8)}`);
    assertSameTable(a, b, pks);
  }
  if (!tableNames.includes("users")) return;
  const us = live.table("users");
  const ps = p.tables.table("users");
  const q = { index: "byTeamAge", eq: ["blue"], gte: 30, lt: 99 };
  assert.deepEqual(plain(ps.query(q).rows), plain(us.query(q).rows));
  assert.equal(ps.count(q), us.count(q));
  assert.deepEqual(
    plain(ps.query({ index: "byTeamAge", eq: [null] }).rows),
    plain(us.query({ index: "byTeamAge", eq: [null] }).rows),
  );
}

test("crc32Combine gives the CRC of the concatenation", () => {
  const data = new Uint8Array(70_000);
  for (let i = 0; i < data.length; i++) data[i] = (i * 2654435761) >>> 24;
  for (const cut of [0, 1, 7, 4096, 65_535, 69_999, 70_000]) {
    const a = data.subarray(0, cut);
    const b = data.subarray(cut);
    assert.equal(crc32Combine(crc32(a), crc32(b), b.length), crc32(data), `cut at ${cut}`);
  }
});

test("the Shale version a pack records is package.json's", () => {
  const pkg = JSON.parse(readFileSync(new URL("../../package.json", import.meta.url), "utf8")) as { version: string };
  assert.equal(SHALE_VERSION, pkg.version);
});

test("a pack of a store with levels, deletes and unflushed writes reads exactly like the store", async () => {
  const fs = new MemoryFileSystem();
  const store = await buildStore(fs, "/db");
  await assert.rejects(pack(store, "/out/all.pack", { fs }), /ENOENT/); // no such directory
  fs.mkdir("/out");
  const info = await pack(store, "/out/all.pack", { fs });
  assert.equal(info.compression, "store");
  assert.equal(info.bytes, fs.size("/out/all.pack"));
  assert.ok(!fs.exists("/out/all.pack.tmp"));
  const p = openPack("/out/all.pack", { fs });
  try {
    const m = p.manifest;
    assert.equal(m.format, 2);
    assert.equal(m.shale, SHALE_VERSION);
    assert.ok(!Number.isNaN(Date.parse(m.created)));
    assert.deepEqual(plain(m.tables), plain(Tables.open(store).list()));
    assert.ok(
      m.segments.some((s) => s.level === 0),
      "level-0 files",
    );
    assert.ok(
      m.segments.some((s) => s.level > 0),
      "deeper levels",
    );
    assert.ok(
      m.segments.some((s) => s.globalSeq !== undefined),
      "an ingested file",
    );
    const live = allEntries(store);
    assert.ok(info.entries > live.length, "older versions and deletes are in the pack too");
    assert.deepEqual(allEntries(p), live);
    assert.deepEqual(allEntries(p, true), allEntries(store, true));
    for (let i = 0; i < 55; i++)
      assert.equal(hex(p.get(rawKey(i)) ?? new Uint8Array([1])), hex(store.get(rawKey(i)) ?? new Uint8Array([1])));
    assert.equal(p.get(rawKey(3)), undefined);
    // Ranges, prefixes and limits, both ways.
    for (const o of [
      { gte: rawKey(10), lt: rawKey(20) },
      { gt: rawKey(10), lte: rawKey(20), reverse: true },
      { prefix: "\u007f/raw/0001" },
      { limit: 5, reverse: true },
      { gte: "\u0000", lt: "\u0001", limit: 3 },
    ]) {
      const a = [...store.iterator(o)].map(([k, v]) => `${hex(k)}=${hex(v)}`);
      const b = [...p.iterator(o)].map(([k, v]) => `${hex(k)}=${hex(v)}`);
      assert.deepEqual(b, a, JSON.stringify(o));
    }
    assertSameData(store, p);
    // Snapshots of a pack are its one state.
    const snap = p.tables.snapshot();
    assert.equal(p.tables.table("users").query({ snapshot: snap, limit: 5 }).rows.length, 5);
    snap.release();
    // Read-only.
    await assert.rejects(p.tables.table("users").insert({ id: 1000, email: "z@x" }));
  } finally {
    p.close();
  }
  // The store keeps working after the pin is released.
  await Tables.open(store).table("users").insert({ id: 5000, email: "late@x" });
  await store.compact();
  await store.close();
});

test("writes after pack do not reach it, and pack replaces an older file", async () => {
  const fs = new MemoryFileSystem();
  const store = await open("/db", { fs, durability: "none" });
  await store.put("a", "1");
  await pack(store, "/p", { fs });
  await store.put("b", "2");
  const p1 = openPack("/p", { fs });
  assert.deepEqual(allEntries(p1), [`${hex(Buffer.from("a"))}=${hex(Buffer.from("1"))}`]);
  p1.close();
  await pack(store, "/p", { fs });
  const p2 = openPack("/p", { fs });
  assert.equal(allEntries(p2).length, 2);
  p2.close();
  await store.close();
});

test("a pack of chosen tables holds only those tables", async () => {
  const fs = new MemoryFileSystem();
  const store = await buildStore(fs, "/db");
  const info = await pack(store, "/grants.pack", { fs, tables: ["grants"] });
  assert.deepEqual(
    info.tables.map((t) => t.name),
    ["grants"],
  );
  const p = openPack("/grants.pack", { fs });
  try {
    assert.deepEqual(
      p.manifest.segments.map((s) => s.level),
      Array(info.segments).fill(1),
    );
    assertSameData(store, p, ["grants"]);
    assert.throws(() => p.tables.table("users"), InvalidArgumentError);
    // Nothing but the grants table's keys and its metadata.
    const grantsId = Tables.open(store).table("grants").id;
    for (const [k] of p.iterator()) {
      if (k[0] === 0) continue; // its catalog entry and row count (checked by list() above)
      assert.equal(k[0], 0x14 + 1, "an int table id component of one byte");
      assert.equal(k[1], grantsId);
    }
    const meta = [...p.iterator({ lt: new Uint8Array([1]) })];
    assert.equal(meta.length, 2, "one catalog entry and one row count");
  } finally {
    p.close();
  }
  await assert.rejects(pack(store, "/x.pack", { fs, tables: ["nope"] }), InvalidArgumentError);
  assert.ok(!fs.exists("/x.pack") && !fs.exists("/x.pack.tmp"));
  await store.close();
});

test("compressed packs read the same and are smaller", async () => {
  const fs = new MemoryFileSystem();
  const store = await buildStore(fs, "/db");
  const plainInfo = await pack(store, "/none.pack", { fs, compression: "none" });
  const kinds: Array<"deflate" | "zstd"> = zstdAvailable() ? ["deflate", "zstd"] : ["deflate"];
  for (const compression of kinds) {
    const info = await pack(store, `/${compression}.pack`, { fs, compression, segmentBytes: 8 << 10 });
    assert.equal(info.compression, compression);
    assert.ok(info.segments > 1, "several segment sections");
    assert.ok(info.bytes < plainInfo.bytes * 0.8, `${compression}: ${info.bytes} vs ${plainInfo.bytes}`);
    const p = openPack(`/${compression}.pack`, { fs });
    try {
      assert.equal(p.manifest.compression, compression);
      assert.deepEqual(allEntries(p), allEntries(store));
      assert.deepEqual(allEntries(p, true), allEntries(store, true));
      assertSameData(store, p);
    } finally {
      p.close();
    }
  }
  if (!zstdAvailable()) await assert.rejects(pack(store, "/z.pack", { fs, compression: "zstd" }), /zstd/);
  await store.close();
});

test("unpack makes a writable store with the same contents", async () => {
  const fs = new MemoryFileSystem();
  const store = await buildStore(fs, "/db");
  await pack(store, "/all.pack", { fs });
  await unpack("/all.pack", "/copy", { fs, storeOptions: { durability: "none" } });
  await assert.rejects(unpack("/all.pack", "/copy", { fs }), /already holds a store/);
  const copy = await open("/copy", { fs, durability: "none" });
  try {
    assert.deepEqual(allEntries(copy), allEntries(store));
    assertSameData(store, Object.assign(copy as Store & { tables: Tables }, { tables: Tables.open(copy) }));
    const t = Tables.open(copy).table("users");
    await t.insert({ id: 7000, email: "new@x", team: "red", age: 1 });
    assert.equal(t.get(7000)?.email, "new@x");
    assert.equal(t.rows, Tables.open(store).table("users").rows + 1);
  } finally {
    await copy.close();
    await store.close();
  }
});

test("an empty store packs, opens and unpacks", async () => {
  const fs = new MemoryFileSystem();
  const store = await open("/db", { fs, durability: "none" });
  const info = await pack(store, "/empty.pack", { fs });
  assert.equal(info.segments, 0);
  assert.equal(info.entries, 0);
  const p = openPack("/empty.pack", { fs });
  assert.deepEqual(p.tables.list(), []);
  assert.deepEqual(allEntries(p), []);
  assert.deepEqual(allEntries(p, true), []);
  assert.equal(p.get("x"), undefined);
  p.close();
  await pack(store, "/empty-c.pack", { fs, compression: "deflate" });
  const pc = openPack("/empty-c.pack", { fs });
  assert.deepEqual(allEntries(pc), []);
  pc.close();
  await unpack("/empty.pack", "/empty-copy", { fs });
  const copy = await open("/empty-copy", { fs });
  assert.deepEqual(allEntries(copy), []);
  await copy.close();
  await store.close();
});

test("a closed pack refuses reads and closes its iterators", async () => {
  const fs = new MemoryFileSystem();
  const store = await open("/db", { fs, durability: "none" });
  for (let i = 0; i < 100; i++) await store.put(`k${pad(i, 3)}`, "v");
  await pack(store, "/p", { fs });
  await store.close();
  const p: Pack = openPack("/p", { fs });
  const it = p.iterator();
  assert.ok(it.read());
  p.close();
  assert.throws(() => it.read(), StoreClosedError);
  assert.throws(() => p.iterator(), StoreClosedError);
  assert.throws(() => p.get("k000"), StoreClosedError);
  p.close(); // twice is fine
});

test("packs on the real file system", async () => {
  const dir = mkdtempSync(join(os.tmpdir(), "shale-pack-"));
  try {
    const fs = new NodeFileSystem();
    const store = await buildStore(fs, join(dir, "db"));
    const file = join(dir, "all.pack");
    await pack(store, file);
    const p = openPack(file);
    try {
      assert.deepEqual(allEntries(p), allEntries(store));
      assertSameData(store, p);
    } finally {
      p.close();
    }
    await unpack(file, join(dir, "copy"));
    const copy = await open(join(dir, "copy"));
    assert.deepEqual(allEntries(copy), allEntries(store));
    await copy.close();
    await store.close();
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

// ---------------------------------------------------------------------------------------------
// Damage

interface Layout {
  bytes: Uint8Array;
  /** [name, start, end) of each part of the file. */
  parts: Array<[string, number, number]>;
  /** Each segment section's kind (1 stored, 3 deflated), in order. */
  kinds: number[];
}

function layoutOf(bytes: Uint8Array): Layout {
  const t = bytes.length - PACK_TRAILER_SIZE;
  const tableOffset = readU64(bytes, t);
  const count = readU32(bytes, t + 8);
  const parts: Array<[string, number, number]> = [["header", 0, PACK_HEADER_SIZE]];
  const kinds: number[] = [];
  let segments = 0;
  for (let i = 0; i < count; i++) {
    const p = tableOffset + i * SECTION_ENTRY_SIZE;
    const kind = readU32(bytes, p);
    if (kind === 1 || kind === 3) kinds.push(kind);
    const offset = readU64(bytes, p + 4);
    const length = readU64(bytes, p + 12);
    parts.push([kind === 1 || kind === 3 ? `segment#${segments++}` : "manifest", offset, offset + length]);
  }
  parts.push(["footer", tableOffset, bytes.length]);
  return { bytes, parts, kinds };
}

function openBytes(bytes: Uint8Array): Pack {
  const fs = new MemoryFileSystem();
  const f = fs.openWrite("/damaged.pack", { truncate: true });
  f.append(bytes);
  f.close();
  return openPack("/damaged.pack", { fs });
}

function expectCorruption(bytes: Uint8Array, section: RegExp, what: string): void {
  let p: Pack | undefined;
  try {
    p = openBytes(bytes);
  } catch (err) {
    assert.ok(err instanceof CorruptionError, `${what}: ${String(err)}`);
    assert.match(err.message, section, what);
    assert.match(err.message, /\/damaged\.pack/, what);
    return;
  }
  p.close();
  assert.fail(`${what}: opened a damaged pack`);
}

/** A pack of one segment of random (incompressible) values: stored, not deflated. */
async function randomPack(): Promise<Uint8Array> {
  const fs = new MemoryFileSystem();
  const store = await open("/db", { fs, durability: "none" });
  const rnd = seededRandom(5);
  for (let i = 0; i < 300; i++) {
    const v = new Uint8Array(200).map(() => Math.floor(rnd() * 256));
    await store.put(new TextEncoder().encode(`k${String(i).padStart(4, "0")}`), v);
  }
  await store.flush();
  await pack(store, "/p", { fs });
  await store.close();
  return fs.readFile("/p").slice();
}

async function smallPack(): Promise<Uint8Array> {
  const fs = new MemoryFileSystem();
  const store = await buildStore(fs, "/db");
  await pack(store, "/p", { fs });
  await store.close();
  return fs.readFile("/p").slice();
}

test("a truncated pack is a CorruptionError at open, whatever the cut", async () => {
  const bytes = await smallPack();
  const { parts } = layoutOf(bytes);
  const cuts = new Set<number>([0, 1, 7, 8, 15, 16, 17, 47, 48, bytes.length - 1, bytes.length - 8]);
  for (const [, start, end] of parts) for (const d of [-1, 0, 1]) cuts.add(start + d).add(end + d);
  for (let c = 0; c < bytes.length; c += Math.max(1, Math.floor(bytes.length / 300))) cuts.add(c);
  for (const cut of cuts) {
    if (cut < 0 || cut >= bytes.length) continue;
    expectCorruption(bytes.subarray(0, cut), /\[footer\]/, `cut at ${cut} of ${bytes.length}`);
  }
});

test("a flipped byte in any section is a CorruptionError naming that section", async () => {
  const bytes = await smallPack();
  const { parts } = layoutOf(bytes);
  assert.ok(parts.filter(([n]) => n.startsWith("segment#")).length >= 3);
  for (const [name, start, end] of parts) {
    const positions = new Set<number>();
    if (name === "header" || name === "footer") for (let i = start; i < end; i++) positions.add(i);
    else {
      for (const d of [0, 1, 2, 100]) positions.add(Math.min(start + d, end - 1));
      for (const d of [1, 2, 52, 53]) positions.add(Math.max(end - d, start));
      for (let i = 0; i < 20; i++) positions.add(start + Math.floor((((i * 7919) % 1000) / 1000) * (end - start)));
    }
    const label = name.replace("#", "\\#");
    for (const pos of positions) {
      for (const mask of [0x01, 0x80]) {
        const damaged = bytes.slice();
        damaged[pos] ^= mask;
        expectCorruption(damaged, new RegExp(`\\[${label}\\]`), `${name} byte ${pos - start} ^ ${mask}`);
      }
    }
  }
});

test("damage that slips past a section checksum is still caught by the segment's own, or by inflating it", async () => {
  // smallPack's segments are deflated (kind 3); randomPack's values do not deflate, so its segment is stored (kind 1).
  for (const [what, bytes] of [
    ["deflated", await smallPack()],
    ["stored", await randomPack()],
  ] as const) {
    const { parts, kinds } = layoutOf(bytes);
    assert.equal(kinds[0], what === "deflated" ? 3 : 1, `${what}: the first segment's section kind`);
    const [, start, end] = parts.find(([n]) => n === "segment#0") as [string, number, number];
    const damaged = bytes.slice();
    damaged[start + 10] ^= 0xff; // inside the first data block, or the deflated stream
    // Forge the section, body and footer checksums, as a buggy writer would have produced them.
    const t = damaged.length - PACK_TRAILER_SIZE;
    const tableOffset = readU64(damaged, t);
    const w32 = (p: number, v: number) => writeU32(damaged, p, v);
    w32(tableOffset + 20, crc32(damaged, start, end));
    w32(t + 12, crc32(damaged, 0, tableOffset));
    w32(t + 20, crc32(damaged, tableOffset, t + 20));
    assert.throws(
      () => {
        const p = openBytes(damaged);
        try {
          allEntries(p);
        } finally {
          p.close();
        }
      },
      (err: unknown) => err instanceof CorruptionError && /\[segment#0\]/.test(err.message),
      what,
    );
  }
});

test("a file that is not a pack is a CorruptionError naming the header", async () => {
  const junk = new Uint8Array(4096).fill(7);
  expectCorruption(junk, /\[header\]/, "junk");
  expectCorruption(junk.subarray(0, 20), /\[header\]/, "short junk");
  expectCorruption(junk.subarray(0, 3), /\[footer\]/, "three bytes");
  const fs = new MemoryFileSystem();
  assert.throws(() => openPack("/missing.pack", { fs }), /ENOENT/);
});

test("visit over a pack gives each visible key once, in any range, with or without the files around it", async () => {
  const fs = new MemoryFileSystem();
  const store = await buildStore(fs, "/db");
  // A bulk-loaded table sits alone in its range, in files of one sequence number each.
  const bulk = await Tables.open(store).define({ ...grants, name: "bulk" });
  await bulk.bulkLoad(
    Array.from({ length: 400 }, (_, i) => ({
      id: `grant-${pad(i, 8)}`,
      entitlement: `ent-${pad(i % 5, 2)}`,
      principal: `user-${pad(i % 9, 3)}`,
      weight: i % 2 ? i : null,
    })),
  );
  await pack(store, "/all.pack", { fs });
  const p = openPack("/all.pack", { fs });
  try {
    const visited = (r: KvReader, o: object, stopAfter = Number.POSITIVE_INFINITY) => {
      const out: string[] = [];
      const it = r.iterator(o);
      try {
        it.visit((k, v) => {
          out.push(`${hex(k)}=${hex(v)}`);
          return out.length < stopAfter ? undefined : false;
        });
        // After an early stop, reading on continues right after the last key visited.
        const next = it.read();
        if (next) out.push(`then ${hex(next[0])}`);
      } finally {
        it.close();
      }
      return out;
    };
    const ranges: object[] = [{}, { reverse: true }, { limit: 7 }, { gte: rawKey(5), lt: rawKey(40) }];
    for (const t of ["users", "grants", "bulk"]) {
      const id = p.tables.list().find((x) => x.name === t)?.id as number;
      const prefix = new Uint8Array([0x15, id]); // tuple(id): the table's rows and indexes
      ranges.push({ prefix }, { prefix, limit: 50 }, { gte: prefix, lt: new Uint8Array([0x15, id, 0x15, 0x02]) });
    }
    for (const o of ranges) {
      for (const stop of [Number.POSITIVE_INFINITY, 1, 33]) {
        assert.deepEqual(visited(p, o, stop), visited(store, o, stop), `${JSON.stringify(o)} stop ${stop}`);
      }
    }
    assertSameData(store, p, ["bulk", "grants", "users"]);
  } finally {
    p.close();
    await store.close();
  }
});

test("segments over 1 MiB are stored as they are; a version-1 pack (no deflated sections) still opens", async () => {
  const fs = new MemoryFileSystem();
  const store = await open("/db", { fs, durability: "none", targetFileSize: 64 << 20 });
  const text = new TextEncoder().encode("grant of entitlement-0042 to user-00000042 on app/github; ".repeat(2));
  for (let i = 0; i < 12_000; i++) await store.put(new TextEncoder().encode(`k${String(i).padStart(6, "0")}`), text);
  await store.flush();
  await pack(store, "/big.pack", { fs });
  const { kinds } = layoutOf(fs.readFile("/big.pack"));
  assert.ok(fs.size("/big.pack") > 1 << 20);
  assert.deepEqual(kinds, [1], "compressible, but over 1 MiB: stored");
  await store.close();

  // The same bytes as version 1: header and trailer versions, the manifest's format, and the checksums.
  const v1 = (await randomPack()).slice();
  const { parts, kinds: k1 } = layoutOf(v1);
  assert.deepEqual(k1, [1]);
  const w32 = (p: number, v: number) => writeU32(v1, p, v);
  w32(8, 1);
  w32(12, crc32(v1, 0, 12));
  const [, ms, me] = parts.find(([n]) => n === "manifest") as [string, number, number];
  const json = new TextDecoder().decode(v1.subarray(ms, me)).replace('"format":2', '"format":1');
  v1.set(new TextEncoder().encode(json), ms);
  const t = v1.length - PACK_TRAILER_SIZE;
  const tableOffset = readU64(v1, t);
  const count = readU32(v1, t + 8);
  for (let i = 0; i < count; i++) {
    const p = tableOffset + i * SECTION_ENTRY_SIZE;
    w32(p + 20, crc32(v1, readU64(v1, p + 4), readU64(v1, p + 4) + readU64(v1, p + 12)));
  }
  w32(t + 12, crc32(v1, 0, tableOffset));
  w32(t + 16, 1);
  w32(t + 20, crc32(v1, tableOffset, t + 20));
  const p = openBytes(v1);
  try {
    assert.equal(p.manifest.format, 1);
    assert.equal(allEntries(p).length, 300);
  } finally {
    p.close();
  }
});
