import assert from "node:assert/strict";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { test } from "node:test";
import { compareKeys } from "../format/compare.js";
import { seededRandom } from "../fs/random.js";
import { bulkPool } from "./bulk-pool.js";
import { prestartBulkWorkers, sortRuns } from "./bulk-sort.js";
import { InvalidArgumentError } from "./errors.js";
import { type PackedRun, PackedRunBuilder, packRun, runKey, runValue } from "./packed-run.js";
import { open } from "./store.js";

const enc = (s: string) => new TextEncoder().encode(s);
const dec = (b: Uint8Array) => new TextDecoder().decode(b);

function shuffledRun(n: number, seed: number, shared: boolean): PackedRun {
  const rnd = seededRandom(seed);
  const b = new PackedRunBuilder({ shared });
  for (let i = 0; i < n; i++) {
    const k = Math.floor(rnd() * n);
    b.keyAscii(`key-${String(k).padStart(7, "0")}`);
    b.valueBytes(enc(`v${k}`));
    b.end();
  }
  return b.finish();
}

function assertSortedWithValues(run: PackedRun, label: string): void {
  for (let i = 1; i < run.count; i++) {
    if (compareKeys(runKey(run, i - 1), runKey(run, i)) > 0) assert.fail(`${label}: out of order at ${i}`);
  }
  for (let i = 0; i < run.count; i += 101) {
    assert.equal(dec(runValue(run, i)), `v${Number(dec(runKey(run, i)).slice(4))}`, `${label}: value follows its key`);
  }
}

test("sortRuns sorts runs in parallel on the workers, standalone, shared or not", async () => {
  prestartBulkWorkers();
  const runs = [shuffledRun(30_000, 1, true), shuffledRun(20_000, 2, false), shuffledRun(100, 3, false), packRun([])];
  const inputs = runs.map((r) => ({ keys: r.keys.slice(), offsets: r.keyOffsets.slice() }));
  const sorted = await sortRuns(runs);
  assert.equal(sorted.length, 4);
  sorted.slice(0, 3).forEach((r, i) => {
    assert.equal(r.count, runs[i].count);
    assert.ok(r.keys.buffer instanceof SharedArrayBuffer, `run ${i} comes back in shared memory`);
    assertSortedWithValues(r, `run ${i}`);
  });
  assert.equal(sorted[3], runs[3]);
  // The inputs are untouched.
  runs.forEach((r, i) => {
    assert.deepEqual(r.keys, inputs[i].keys);
    assert.deepEqual(r.keyOffsets, inputs[i].offsets);
  });
  // Sorted runs come back as they are.
  const again = await sortRuns(sorted);
  for (let i = 0; i < sorted.length; i++) assert.equal(again[i], sorted[i]);
});

test("sortRuns rejects malformed runs with InvalidArgumentError", async () => {
  await assert.rejects(sortRuns("no" as unknown as PackedRun[]), InvalidArgumentError);
  await assert.rejects(
    sortRuns([{ keys: enc("abc"), keyOffsets: new Uint32Array([0, 1]), count: 3 }]),
    /keyOffsets has 2 offsets/,
  );
  // Decreasing offsets, found on the worker (a run too big to sort inline).
  const bad = shuffledRun(5000, 4, true);
  const offsets = bad.keyOffsets.slice();
  offsets[100] = offsets[102];
  await assert.rejects(sortRuns([{ ...bad, keyOffsets: offsets }]), (err: unknown) => {
    assert.ok(err instanceof InvalidArgumentError, String(err));
    assert.match(err.message, /packed run 0: keyOffsets\[101\]/);
    return true;
  });
  // The pool still works.
  const [ok] = await sortRuns([shuffledRun(5000, 5, true)]);
  assertSortedWithValues(ok, "after an error");
});

test("the bulk workers stop a while after the last store using them closes; they start again when needed", async () => {
  const dir = mkdtempSync(join(tmpdir(), "shale-bulk-pool-"));
  const idle = bulkPool().idleStopMs;
  bulkPool().idleStopMs = 500;
  try {
    const db = await open(dir, { autoCompaction: false });
    await db.ingestRuns([packRun([[enc("a"), enc("1")]]), packRun([[enc("b"), enc("2")]])]);
    assert.ok(bulkPool().workers > 0, "the ingest ran on the workers");
    await db.close();
    assert.ok(bulkPool().workers > 0, "kept for a moment, for the next store");
    await new Promise((r) => setTimeout(r, 500 + 300));
    assert.equal(bulkPool().workers, 0, "then stopped, once idle");
    const [s] = await sortRuns([shuffledRun(4000, 6, true)]);
    assertSortedWithValues(s, "after a restart");
    assert.ok(bulkPool().workers > 0);
  } finally {
    bulkPool().idleStopMs = idle;
    rmSync(dir, { recursive: true, force: true });
  }
});
