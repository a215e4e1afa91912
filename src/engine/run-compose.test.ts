import assert from "node:assert/strict";
import { test } from "node:test";
import { compareKeys } from "../format/compare.js";
import { seededRandom } from "../fs/random.js";
import { composeSorted } from "./bulk-sort.js";
import { InvalidArgumentError } from "./errors.js";
import { type PackedRun, packRun, runKey } from "./packed-run.js";
import { type CodedRun, checkCodedRun, composeRun } from "./run-compose.js";

const enc = (s: string) => new TextEncoder().encode(s);
const dec = (b: Uint8Array) => new TextDecoder().decode(b);

function sharedCodes(codes: number[]): Uint32Array {
  const a = new Uint32Array(new SharedArrayBuffer(Math.max(1, codes.length) * 4));
  a.set(codes);
  return a;
}

/** A coded run from strings: heads by code, tails after a fixed 3-byte prefix "pk:". */
function coded(heads: string[], codes: number[], tails: string[]): CodedRun {
  return {
    dict: packRun(heads.map((h) => [enc(h)] as const)),
    codes: sharedCodes(codes),
    tails: packRun(tails.map((t) => [enc(`pk:${t}`)] as const)),
    tailStart: 3,
    count: codes.length,
  };
}

/** What composing means, by brute force: every key built and sorted. */
function expected(c: CodedRun): string[] {
  const keys: string[] = [];
  for (let i = 0; i < c.count; i++) {
    keys.push(dec(runKey(c.dict, c.codes[i])) + dec(runKey(c.tails, i)).slice(c.tailStart));
  }
  return keys.sort((a, b) => compareKeys(enc(a), enc(b)));
}

function keysOf(run: PackedRun): string[] {
  return Array.from({ length: run.count }, (_, i) => dec(runKey(run, i)));
}

test("composeRun lays out rows by head rank in tail order (equal heads share a rank)", () => {
  // Heads out of order, one repeated ("b|" twice, as 5 and 5n would encode alike).
  const c = coded(["c|", "a|", "b|", "b|"], [0, 1, 2, 3, 1, 0, 2], ["01", "02", "03", "04", "05", "06", "07"]);
  const run = composeRun(c, false);
  assert.deepEqual(keysOf(run), ["a|02", "a|05", "b|03", "b|04", "b|07", "c|01", "c|06"]);
  assert.deepEqual(keysOf(run), expected(c));
});

test("composeRun sorts the ordinary way when a head is a prefix of another or tails do not increase", () => {
  // "a" is a prefix of "ab": "a" + "z1" sorts after "ab" + "01".
  const prefix = coded(["a", "ab"], [0, 1, 0], ["z1", "01", "z2"]);
  assert.deepEqual(keysOf(composeRun(prefix, false)), expected(prefix));
  // Tails out of order (records not in key order), and a repeated tail.
  const shuffled = coded(["x|", "y|"], [0, 0, 1, 0, 1], ["09", "03", "05", "03", "01"]);
  assert.deepEqual(keysOf(composeRun(shuffled, true)), expected(shuffled));
});

test("composeRun and composeSorted match a brute-force sort on random runs", async () => {
  const rnd = seededRandom(7);
  for (const [n, heads] of [
    [0, 1],
    [1, 1],
    [500, 7],
    [3000, 40],
    [20_000, 300],
  ] as const) {
    const words = Array.from(
      { length: heads },
      (_, h) => `h${String(Math.floor(rnd() * 1000)).padStart(3, "0")}/${h}|`,
    );
    const codes = Array.from({ length: n }, () => Math.floor(rnd() * heads));
    // Tails in order (the table's usual case: records in primary key order) and shuffled.
    for (const inOrder of [true, false]) {
      const tails = Array.from({ length: n }, (_, i) => String(inOrder ? i : Math.floor(rnd() * n)).padStart(6, "0"));
      const c = coded(words, codes, tails);
      const label = `n=${n}, tails ${inOrder ? "in order" : "shuffled"}`;
      assert.deepEqual(keysOf(composeRun(c, false)), expected(c), label);
      const viaWorker = await composeSorted({ ...c, rangeOnly: true });
      assert.deepEqual(keysOf(viaWorker), expected(c), `${label} (composeSorted)`);
      assert.equal(viaWorker.rangeOnly, true);
      assert.ok(viaWorker.keys.buffer instanceof SharedArrayBuffer);
    }
  }
});

test("coded runs with bad shapes or codes are refused with InvalidArgumentError", async () => {
  const good = coded(["a|"], [0, 0], ["1", "2"]);
  assert.throws(() => checkCodedRun({ ...good, count: 3 }, 0), InvalidArgumentError);
  assert.throws(() => checkCodedRun({ ...good, codes: new Uint32Array(1) }, 0), InvalidArgumentError);
  assert.throws(() => checkCodedRun({ ...good, tailStart: -1 }, 0), InvalidArgumentError);
  assert.throws(() => composeRun({ ...good, codes: sharedCodes([0, 1]) }), /codes\[1\] = 1/);
  assert.throws(() => composeRun({ ...good, tailStart: 9 }), /shorter than tailStart/);
  await assert.rejects(composeSorted({ ...good, count: -1 }), InvalidArgumentError);
});

test("a composed run (with heads) is ingested like any run; sortRuns refuses one; a bad head index is refused", async () => {
  const { MemoryFileSystem } = await import("../fs/memory.js");
  const { open } = await import("./store.js");
  const { sortRuns } = await import("./bulk-sort.js");
  const c = coded(["b|", "a|", "c|"], [0, 1, 2, 1, 0, 2, 1], ["1", "2", "3", "4", "5", "6", "7"]);
  const run = composeRun(c, false);
  assert.ok(run.heads !== undefined, "in order as laid out: heads, not whole keys");
  const store = await open("/db", { fs: new MemoryFileSystem(), durability: "none", targetFileSize: 64 });
  const result = await store.ingestRuns([run]);
  assert.ok(result.files > 1, "cut into several files");
  assert.deepEqual(
    [...store.iterator()].map(([k]) => dec(k)),
    expected(c),
  );
  await assert.rejects(sortRuns([run]), /a run with heads comes sorted/);
  const bad = {
    ...run,
    heads: { ...(run.heads as NonNullable<PackedRun["heads"]>), of: new Uint32Array(run.count).fill(9) },
  };
  await assert.rejects(store.ingestRuns([bad]), /heads\.of\[0\] = 9; there are 3 heads/);
  // Heads out of order inside one file: the writer refuses, and the error names the entry.
  const swapped = {
    ...run,
    heads: { ...(run.heads as NonNullable<PackedRun["heads"]>), of: run.heads?.of.slice().reverse() as Uint32Array },
  };
  const one = await open("/one", { fs: new MemoryFileSystem(), durability: "none" });
  await assert.rejects(one.ingestRuns([swapped]), /entry \d+: its key is smaller than entry \d+'s/);
  await one.close();
  await store.close();
});

test("composing from pieces grouped as the codes were written gives the same run; unusable pieces are ignored", async () => {
  const { groupCodedPiece } = await import("./bulk-sort.js");
  const rnd = seededRandom(11);
  for (const [n, heads, piece] of [
    [10_000, 50, 3000],
    [7, 3, 2],
    [5000, 2000, 5000],
  ] as const) {
    const words = Array.from({ length: heads }, (_, h) => `w${String(Math.floor(rnd() * 1e6)).padStart(6, "0")}-${h}|`);
    const codes = Array.from({ length: n }, () => Math.floor(rnd() * heads));
    const c = coded(
      words,
      codes,
      Array.from({ length: n }, (_, i) => String(i).padStart(6, "0")),
    );
    const pieces = [];
    for (let start = 0; start < n; start += piece) {
      pieces.push(await groupCodedPiece(c.codes, c.tails, c.tailStart, start, Math.min(n, start + piece)));
    }
    const run = composeRun({ ...c, pieces }, true);
    assert.ok(run.heads !== undefined);
    assert.deepEqual(keysOf(run), expected(c), `n=${n}, pieces of ${piece}`);
    assert.deepEqual(keysOf(await composeSorted({ ...c, pieces })), expected(c));
    // Pieces that leave a gap, or a piece whose tails do not increase, are not used: same result.
    assert.deepEqual(keysOf(composeRun({ ...c, pieces: pieces.slice(1) })), expected(c));
    assert.deepEqual(
      keysOf(composeRun({ ...c, pieces: [{ ...pieces[0], increasing: false }, ...pieces.slice(1)] })),
      expected(c),
    );
  }
  // Tails out of order: the piece says so, and the run is sorted the ordinary way.
  const shuffled = coded(["a|", "b|"], [0, 1, 0, 1], ["4", "3", "2", "1"]);
  const p = await groupCodedPiece(shuffled.codes, shuffled.tails, 3, 0, 4);
  assert.equal(p.increasing, false);
  assert.deepEqual(keysOf(composeRun({ ...shuffled, pieces: [p] })), expected(shuffled));
  await assert.rejects(groupCodedPiece(shuffled.codes, shuffled.tails, 3, 2, 9), /codes must be a Uint32Array of >= 9/);
});
