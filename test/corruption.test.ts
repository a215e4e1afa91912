// Torn and corrupted files on the in-memory file system: owns the checks of what Shale does when
// the bytes on disk are not what it wrote. Stores are built, closed cleanly, copied, and a copy's
// files are cut or bit-flipped through the MemoryFileSystem API before reopening.
//
// Allowed outcomes, per file type:
//   WAL shard, cut anywhere (a torn tail): open succeeds, never throws, and the store holds exactly
//     the history up to the first sequence number whose group is not whole on disk.
//   WAL shard, one bit flipped: open and reads either succeed with a PREFIX of the history (damage
//     that reads as a torn tail ends the log there; everything after the first missing sequence
//     number is dropped), or throw CorruptionError. Never another error, never a hang, never a
//     state that is not a prefix.
//   Segment file (data blocks, filter, properties, index, footer), one bit flipped: open or the
//     first read of the damaged part (get, iteration) throws CorruptionError, or everything reads
//     back EXACTLY right. Never another error type, never wrong data.
//   MANIFEST, one bit flipped: CorruptionError at open, or EXACTLY the right data. The manifest is
//     synced before anything that depends on it happens (WAL files and inputs of a compaction are
//     deleted once an edit is durable), so a damaged edit cannot be dropped as if it were torn.
//   CURRENT, one bit flipped: CorruptionError at open, or exactly the right data.
//   A segment file named by the manifest but missing: CorruptionError at open.
// Seeds: SHALE_SEED replays one seed of the random bit-flip tests.

import assert from "node:assert/strict";
import { test } from "node:test";
import { randomInt, seededRandom } from "../src/fs/random.js";
import { CorruptionError, MemoryFileSystem, open, type Store, type StoreOptions } from "../src/index.js";
import {
  describeDiff,
  enc,
  errorName,
  type ModelEntry,
  type ModelOp,
  matchPrefixes,
  readAll,
  type State,
  seedsFor,
  stateAfter,
  withTimeout,
} from "./support/crash-model.js";

const DIR = "/db";
const KEYS = Array.from({ length: 16 }, (_, i) => `key-${String(i).padStart(2, "0")}`);
const TIMEOUT = 20_000;
const RECORD_HEADER = 13;
const FOOTER = 52;
const TRAILER = 5;

const BASE_OPTIONS: StoreOptions = {
  durability: "strict",
  // Small: a memtable's arena is allocated at its full size when the store opens.
  writeBufferSize: 64 << 10,
  blockSize: 256,
  bloomBitsPerKey: 10,
  compactionThread: "inline",
};

/** Writes `count` history entries one at a time (each its own commit group and WAL record). */
async function writeHistory(store: Store, count: number, seed: number, tag: string): Promise<ModelEntry[]> {
  const rng = seededRandom(seed);
  const history: ModelEntry[] = [];
  for (let i = 0; i < count; i++) {
    const r = rng();
    const key = KEYS[randomInt(rng, 0, KEYS.length - 1)];
    const value = `${tag}${i}:${"v".repeat(randomInt(rng, 0, 60))}`;
    if (r < 0.65) {
      history.push({ ops: [{ key, value }] });
      await store.put(key, value);
    } else if (r < 0.8) {
      history.push({ ops: [{ key, value: undefined }] });
      await store.del(key);
    } else {
      const ops: ModelOp[] = [
        { key, value },
        { key: KEYS[randomInt(rng, 0, KEYS.length - 1)], value: undefined },
        { key: KEYS[randomInt(rng, 0, KEYS.length - 1)], value: `${value}b` },
      ];
      history.push({ ops });
      await store.batch(
        ops.map((o) =>
          o.value === undefined
            ? { type: "del" as const, key: o.key }
            : { type: "put" as const, key: o.key, value: o.value },
        ),
      );
    }
  }
  return history;
}

/** Framed records of log `gen` in `buf`: [start, end) of each whole one, in order. */
function recordsOf(buf: Uint8Array, gen: number): Array<[number, number]> {
  const view = new DataView(buf.buffer, buf.byteOffset, buf.byteLength);
  const out: Array<[number, number]> = [];
  let pos = 0;
  while (pos + RECORD_HEADER <= buf.length) {
    const length = view.getUint32(pos + 4, true);
    if (view.getUint32(pos + 8, true) !== gen || pos + RECORD_HEADER + length > buf.length) break;
    out.push([pos, pos + RECORD_HEADER + length]);
    pos += RECORD_HEADER + length;
  }
  return out;
}

function walFiles(fs: MemoryFileSystem): Array<{ path: string; gen: number; shard: number }> {
  const out = [];
  for (const name of fs.readdir(DIR)) {
    const m = /^(\d+)\.(\d+)\.wal$/.exec(name);
    if (m) out.push({ path: `${DIR}/${name}`, gen: Number(m[1]), shard: Number(m[2]) });
  }
  return out.sort((a, b) => a.gen - b.gen || a.shard - b.shard);
}

function replaceFile(fs: MemoryFileSystem, path: string, bytes: Uint8Array): void {
  const w = fs.openWrite(path, { truncate: true });
  w.append(bytes);
  w.close();
}

function cutFile(fs: MemoryFileSystem, path: string, size: number): void {
  const w = fs.openWrite(path);
  w.truncate(size);
  w.close();
}

function flipBit(fs: MemoryFileSystem, path: string, bit: number): void {
  const bytes = fs.readFile(path);
  bytes[bit >> 3] ^= 1 << (bit & 7);
  replaceFile(fs, path, bytes);
}

type Outcome = { kind: "ok"; state: State } | { kind: "corruption"; error: CorruptionError };

/** Opens `fs` and reads everything; a CorruptionError (at open or read) is an outcome, any other error fails. */
async function openAndRead(fs: MemoryFileSystem, what: string, options: StoreOptions = {}): Promise<Outcome> {
  let store: Store;
  try {
    store = await withTimeout(open(DIR, { ...BASE_OPTIONS, ...options, fs }), TIMEOUT, `${what}: open`);
  } catch (err) {
    if (err instanceof CorruptionError) return { kind: "corruption", error: err };
    assert.fail(`${what}: open threw ${errorName(err)}, not a CorruptionError`);
  }
  try {
    return { kind: "ok", state: readAll(store, KEYS) };
  } catch (err) {
    if (err instanceof CorruptionError) return { kind: "corruption", error: err };
    assert.fail(`${what}: reading threw ${errorName(err)}, not a CorruptionError`);
  } finally {
    await withTimeout(store.close(), TIMEOUT, `${what}: close`);
  }
}

function assertPrefix(history: readonly ModelEntry[], state: State, what: string, exactly?: number): number {
  const m = matchPrefixes(history, state);
  if (exactly !== undefined) {
    if (!m.matches.includes(exactly)) {
      assert.fail(
        `${what}: expected the first ${exactly} of ${history.length} entries, got prefix ${JSON.stringify(m.matches)} ` +
          `(closest ${m.closest}):\n${describeDiff(stateAfter(history, exactly), state)}`,
      );
    }
    return exactly;
  }
  if (m.matches.length === 0) {
    assert.fail(
      `${what}: the state is no prefix of the ${history.length}-entry history (closest ${m.closest}):\n` +
        describeDiff(stateAfter(history, m.closest), state),
    );
  }
  return m.matches[m.matches.length - 1];
}

/** After recovering prefix `prefix`: a new write, a crash, a reopen: exactly prefix + the write (no stale WAL groups return). */
async function checkRecoveredStoreMovesOn(
  fs: MemoryFileSystem,
  history: readonly ModelEntry[],
  prefix: number,
  what: string,
): Promise<void> {
  const store = await open(DIR, { ...BASE_OPTIONS, fs });
  await store.put(KEYS[0], "after-recovery");
  const image = fs.crashClone({ keepUnsynced: "none" });
  await store.close();
  const outcome = await openAndRead(image, `${what}, reopened after a write`);
  assert.equal(outcome.kind, "ok", `${what}: the second recovery failed`);
  const expected = [...history.slice(0, prefix), { ops: [{ key: KEYS[0], value: "after-recovery" }] }];
  if (outcome.kind === "ok") assertPrefix(expected, outcome.state, `${what}, reopened after a write`, expected.length);
}

/** A closed store whose data is only in its WAL: `count` single-group entries over `shards` shards. */
async function walOnlyStore(shards: number, count: number, seed: number) {
  const fs = new MemoryFileSystem();
  const store = await open(DIR, { ...BASE_OPTIONS, fs, walShards: shards });
  const history = await writeHistory(store, count, seed, "w");
  await store.close();
  const wals = walFiles(fs).filter((w) => recordsOf(fs.readFile(w.path), w.gen).length > 0);
  assert.equal(wals.length, Math.min(shards, count), "one WAL file per shard holds the history");
  return { fs, history, wals };
}

test("a WAL shard cut at every offset recovers exactly the whole records before the cut", async () => {
  const { fs, history, wals } = await walOnlyStore(1, 14, 1);
  const wal = wals[0];
  const size = fs.size(wal.path);
  const records = recordsOf(fs.readFile(wal.path), wal.gen);
  assert.equal(records.length, history.length, "one record per entry");
  for (let cut = 0; cut <= size; cut++) {
    const copy = fs.crashClone();
    cutFile(copy, wal.path, cut);
    const what = `WAL cut at ${cut} of ${size} bytes`;
    const outcome = await openAndRead(copy, what);
    assert.equal(outcome.kind, "ok", `${what}: a torn tail must not be an error`);
    if (outcome.kind !== "ok") continue;
    const whole = records.filter(([, end]) => end <= cut).length;
    assertPrefix(history, outcome.state, what, whole);
    if (cut % 17 === 0) await checkRecoveredStoreMovesOn(copy, history, whole, what);
  }
});

test("WAL shards cut at every offset of their last records lose the history from the first missing sequence on", async () => {
  const shards = 3;
  const { fs, history, wals } = await walOnlyStore(shards, 60, 2);
  for (const wal of wals) {
    const records = recordsOf(fs.readFile(wal.path), wal.gen);
    const from = records[Math.max(0, records.length - 3)][0];
    const size = fs.size(wal.path);
    for (let cut = from; cut <= size; cut++) {
      const copy = fs.crashClone();
      cutFile(copy, wal.path, cut);
      const what = `shard ${wal.shard} cut at ${cut} of ${size} bytes`;
      const outcome = await openAndRead(copy, what);
      assert.equal(outcome.kind, "ok", `${what}: a torn tail must not be an error`);
      if (outcome.kind !== "ok") continue;
      // Group i went to shard i % shards; the first lost one ends the recovered prefix.
      const whole = records.filter(([, end]) => end <= cut).length;
      const expected = Math.min(history.length, wal.shard + shards * whole);
      assertPrefix(history, outcome.state, what, expected);
      if (cut % 23 === 0) await checkRecoveredStoreMovesOn(copy, history, expected, what);
    }
  }
});

test("a WAL with torn garbage appended after its last record recovers everything", async () => {
  const { fs, history, wals } = await walOnlyStore(2, 20, 3);
  for (const seed of seedsFor(300, 40)) {
    const rng = seededRandom(seed);
    const copy = fs.crashClone();
    const wal = wals[seed % wals.length];
    const junk = new Uint8Array(randomInt(rng, 1, 40)).map(() => randomInt(rng, 0, 255));
    const w = copy.openWrite(wal.path);
    w.append(junk);
    w.close();
    const what = `seed ${seed} (SHALE_SEED=${seed}): ${junk.length} garbage bytes after ${wal.path}`;
    const outcome = await openAndRead(copy, what);
    assert.equal(outcome.kind, "ok", `${what}: garbage after the last record is a torn tail`);
    if (outcome.kind === "ok") assertPrefix(history, outcome.state, what, history.length);
  }
});

test("a bit flipped anywhere in a WAL shard gives a prefix of the history or a CorruptionError", async (t) => {
  const { fs, history, wals } = await walOnlyStore(3, 45, 4);
  const counts = { prefix: 0, whole: 0, corruption: 0 };
  for (const seed of seedsFor(400, 300)) {
    const rng = seededRandom(seed);
    const wal = wals[randomInt(rng, 0, wals.length - 1)];
    const bit = randomInt(rng, 0, fs.size(wal.path) * 8 - 1);
    const copy = fs.crashClone();
    flipBit(copy, wal.path, bit);
    const what = `seed ${seed} (SHALE_SEED=${seed}): bit ${bit & 7} of byte ${bit >> 3} of ${wal.path}`;
    const outcome = await openAndRead(copy, what);
    if (outcome.kind === "corruption") {
      counts.corruption++;
      continue;
    }
    const prefix = assertPrefix(history, outcome.state, what);
    if (prefix === history.length) counts.whole++;
    else counts.prefix++;
  }
  t.diagnostic(`WAL bit flips: ${JSON.stringify(counts)}`);
});

/** A closed store with level-0 and level-1 segments, an ingested file, manifest edits and a WAL tail. */
async function segmentStore() {
  const fs = new MemoryFileSystem();
  const options: StoreOptions = {
    ...BASE_OPTIONS,
    fs,
    walShards: 2,
    writeBufferSize: 2048,
    targetFileSize: 2048,
    l0CompactionTrigger: 3,
  };
  const store = await open(DIR, options);
  const history = await writeHistory(store, 80, 5, "a");
  await store.compact();
  history.push(...(await writeHistory(store, 30, 6, "b")));
  const ingested = KEYS.filter((_, i) => i % 3 === 0).map((k) => ({ key: `${k}-ingested`, value: `i-${k}` }));
  await store.ingest(ingested.map((x) => [enc(x.key), enc(x.value)] as [Uint8Array, Uint8Array]));
  history.push({ ops: ingested });
  history.push(...(await writeHistory(store, 25, 7, "c")));
  await store.flush();
  history.push(...(await writeHistory(store, 6, 8, "d")));
  const levels = store.stats().levels;
  await store.close();
  assert.ok(levels[0].files >= 1 && levels.slice(1).some((l) => l.files > 0), `levels ${JSON.stringify(levels)}`);
  const expected = stateAfter(history);
  const check = await openAndRead(fs.crashClone(), "the undamaged store");
  assert.equal(check.kind, "ok");
  if (check.kind === "ok") assert.equal(describeDiff(expected, check.state), "", "the undamaged store reads back");
  return { fs, history, expected };
}

type Region = "data" | "filter" | "properties" | "index" | "footer";

/** Byte ranges of a segment file's parts, from its footer. */
function segmentRegions(bytes: Uint8Array): Record<Region, [number, number]> {
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const f = bytes.length - FOOTER;
  const handle = (p: number): [number, number] => {
    const offset = view.getUint32(f + p, true) + view.getUint32(f + p + 4, true) * 2 ** 32;
    return [offset, offset + view.getUint32(f + p + 8, true) + TRAILER];
  };
  const index = handle(0);
  const filter = handle(12);
  const properties = handle(24);
  const dataEnd = Math.min(index[0], properties[0], filter[1] > TRAILER ? filter[0] : Number.POSITIVE_INFINITY);
  return { data: [0, dataEnd], filter, properties, index, footer: [f, bytes.length] };
}

test("a bit flipped in any part of a segment file gives a CorruptionError or exactly the right data", async (t) => {
  const { fs, expected } = await segmentStore();
  const segments = fs.readdir(DIR).filter((n) => n.endsWith(".sst"));
  assert.ok(segments.length >= 3, `segments: ${segments.join(" ")}`);
  const regions: Region[] = ["data", "filter", "properties", "index", "footer"];
  const counts: Record<string, number> = {};
  for (const seed of seedsFor(500, 300)) {
    const rng = seededRandom(seed);
    const name = segments[randomInt(rng, 0, segments.length - 1)];
    const path = `${DIR}/${name}`;
    const region = regions[seed % regions.length];
    const [lo, hi] = segmentRegions(fs.readFile(path))[region];
    assert.ok(hi > lo, `${name} has a ${region} part`);
    const bit = randomInt(rng, lo * 8, hi * 8 - 1);
    const copy = fs.crashClone();
    flipBit(copy, path, bit);
    const what = `seed ${seed} (SHALE_SEED=${seed}): bit ${bit & 7} of byte ${bit >> 3} (${region}) of ${path}`;
    const outcome = await openAndRead(copy, what);
    const key = `${region}:${outcome.kind}`;
    counts[key] = (counts[key] ?? 0) + 1;
    if (outcome.kind === "ok") {
      assert.equal(describeDiff(expected, outcome.state), "", `${what}: damage read back as wrong data`);
    }
  }
  t.diagnostic(`segment bit flips: ${JSON.stringify(counts)}`);
});

test("a segment file cut short gives a CorruptionError, not another error or wrong data", async () => {
  const { fs, expected } = await segmentStore();
  const segments = fs.readdir(DIR).filter((n) => n.endsWith(".sst"));
  for (const name of segments) {
    const path = `${DIR}/${name}`;
    const size = fs.size(path);
    for (const cut of [0, 1, FOOTER - 1, FOOTER, Math.floor(size / 2), size - FOOTER, size - 1]) {
      const copy = fs.crashClone();
      cutFile(copy, path, cut);
      const what = `${path} cut to ${cut} of ${size} bytes`;
      const outcome = await openAndRead(copy, what);
      if (outcome.kind === "ok") assert.equal(describeDiff(expected, outcome.state), "", `${what}: wrong data`);
      else assert.match(outcome.error.message, /\.sst/, `${what}: the error names the segment`);
    }
  }
});

/** The manifest's records as [start, end) and a label for failure messages. */
function manifestRecords(fs: MemoryFileSystem): { path: string; records: Array<[number, number, string]> } {
  const name = new TextDecoder().decode(fs.readFile(`${DIR}/CURRENT`)).trim();
  const path = `${DIR}/${name}`;
  const bytes = fs.readFile(path);
  const gen = Number(/\d+$/.exec(name)![0]);
  const records = recordsOf(bytes, gen).map(([s, e]): [number, number, string] => {
    const json = new TextDecoder().decode(bytes.subarray(s + RECORD_HEADER, e));
    const kind = json.includes('"snapshot"') ? "snapshot" : json.includes('"del"') ? "compaction" : "edit";
    return [s, e, kind];
  });
  return { path, records };
}

function fieldOf(offsetInRecord: number): string {
  if (offsetInRecord < 4) return "crc";
  if (offsetInRecord < 8) return "length";
  if (offsetInRecord < 12) return "log number";
  if (offsetInRecord < 13) return "type";
  return "payload";
}

test("a bit flipped in the MANIFEST gives a CorruptionError or exactly the right data, never a silent rollback", async () => {
  const { fs, history, expected } = await segmentStore();
  const { path, records } = manifestRecords(fs);
  assert.ok(records.length >= 3, `manifest records: ${records.length}`);
  // Every bit of the headers of the first two and the last two records, random header bits of the
  // others, and random payload bits of every record.
  const bits: number[] = [];
  const rng = seededRandom(600);
  records.forEach(([s, e], i) => {
    const all = i < 2 || i >= records.length - 2;
    for (let b = s * 8; b < (s + RECORD_HEADER) * 8; b++) if (all || rng() < 0.15) bits.push(b);
    for (let j = 0; j < 12; j++) bits.push(randomInt(rng, (s + RECORD_HEADER) * 8, e * 8 - 1));
  });
  const wrong = new Map<string, { count: number; example: string }>();
  let wrongCount = 0;
  for (const bit of bits) {
    const copy = fs.crashClone();
    flipBit(copy, path, bit);
    const byte = bit >> 3;
    const r = records.findIndex(([s, e]) => byte >= s && byte < e);
    const field = fieldOf(byte - records[r][0]);
    const where = `bit ${bit & 7} of byte ${byte} (${field} of record ${r} of ${records.length}, ${records[r][2]})`;
    const outcome = await openAndRead(copy, `MANIFEST ${where}`);
    if (outcome.kind === "ok" && describeDiff(expected, outcome.state) !== "") {
      wrongCount++;
      const m = matchPrefixes(history, outcome.state);
      const as =
        m.matches.length > 0 ? `the state after ${m.matches.at(-1)} of ${history.length} entries` : "no prefix";
      const group = `${field} of record ${r} (${records[r][2]})`;
      const g = wrong.get(group) ?? { count: 0, example: `${where}: opened without error as ${as}` };
      g.count++;
      wrong.set(group, g);
    }
  }
  if (wrongCount > 0) {
    const lines = [...wrong.entries()].map(([group, g]) => `  ${group}: ${g.count} flips, e.g. ${g.example}`);
    assert.fail(
      `${wrongCount} of ${bits.length} single-bit MANIFEST flips opened without error but rolled the store back:\n` +
        lines.join("\n"),
    );
  }
});

test("a bit flipped in CURRENT gives a CorruptionError or exactly the right data", async () => {
  const { fs, expected } = await segmentStore();
  const size = fs.size(`${DIR}/CURRENT`);
  for (let bit = 0; bit < size * 8; bit++) {
    const copy = fs.crashClone();
    flipBit(copy, `${DIR}/CURRENT`, bit);
    const what = `bit ${bit & 7} of byte ${bit >> 3} of CURRENT`;
    const outcome = await openAndRead(copy, what);
    if (outcome.kind === "ok") assert.equal(describeDiff(expected, outcome.state), "", `${what}: wrong data`);
  }
});

test("a segment file named by the manifest but missing gives a CorruptionError at open", async () => {
  const { fs } = await segmentStore();
  const segments = fs.readdir(DIR).filter((n) => n.endsWith(".sst"));
  for (const name of segments) {
    const copy = fs.crashClone();
    copy.unlink(`${DIR}/${name}`);
    await assert.rejects(
      open(DIR, { ...BASE_OPTIONS, fs: copy }),
      (err: unknown) => err instanceof CorruptionError && err.message.includes(name),
      `opening without ${name} gives a CorruptionError naming it`,
    );
    // The failed open let go of the directory: a second attempt fails the same way, not with a lock error.
    await assert.rejects(open(DIR, { ...BASE_OPTIONS, fs: copy }), CorruptionError);
  }
});
