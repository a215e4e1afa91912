// The kill -9 test: a child process (test/support/kill9-child.ts) writes to a store on the real
// file system with strict durability, many writes in flight, while flushes and compactions run;
// the parent kills it with SIGKILL at a random moment, then recovers the directory itself and
// checks that
//   - while the child runs, the parent cannot open the store (StoreLockedError), and after the
//     kill the dead child's lock is taken over;
//   - every write the child reported as acknowledged survived, unless a later write to the same
//     key (acknowledged or not) replaced it, and every recovered value is one the child wrote;
//   - the recovered store is a prefix of the child's write history (the engine acknowledges in
//     sequence order and replays the WAL up to its first gap), batches and ingests all or nothing;
//   - the store is self-consistent: gets, forward scans, reverse scans and range scans agree.
// It then runs another child on the same directory (recovery after recovery) and kills it again:
// 7 kills on 3 directories. Most land at a random moment of steady writing, with flushes and
// compactions (on the worker thread) running; two right after a burst of several MB, to catch
// flushes and compactions mid-way; one while the child is still opening (recovering) the store.
//
// SHALE_KILL9_SEED=<n> replays a seed (the kill moments still depend on timing);
// SHALE_KILL9_KEEP=1 keeps the directories for inspection.

import assert from "node:assert/strict";
import { type ChildProcess, fork } from "node:child_process";
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { type TestContext, test } from "node:test";
import { fileURLToPath } from "node:url";
import { open, type Store, StoreLockedError } from "../src/index.js";
import {
  type ChildMessage,
  type ChildStats,
  KEY_COUNT,
  KILL9_OPTIONS,
  type Mode,
  mainKey,
  OpStream,
  parseValue,
  Rng,
} from "./support/kill9-child.js";

const CHILD = fileURLToPath(new URL("./support/kill9-child.ts", import.meta.url));
const REPO = fileURLToPath(new URL("..", import.meta.url));
const SEED = process.env.SHALE_KILL9_SEED
  ? Number(process.env.SHALE_KILL9_SEED) >>> 0
  : Math.floor(Math.random() * 2 ** 32) >>> 0;
const KEEP = process.env.SHALE_KILL9_KEEP === "1";

/**
 * When the parent kills the child:
 * - "ready": 100-1500 ms after the child reports the store open (writes under way; the first
 *   compaction, waiting for the worker thread to start, rarely finished);
 * - "warm": 100-1500 ms after the child reports its first compaction finished (writes, flushes
 *   and compactions in full swing);
 * - "burst": 0-15 ms after a burst of several MB is acknowledged (flushes, compactions mid-way);
 * - "open": 0-25 ms after the child starts opening the store, mostly during its recovery.
 */
type KillAt = "ready" | "warm" | "burst" | "open";

interface RoundSpec {
  mode: Mode;
  kill: KillAt;
}

/** Directories, and the rounds run on each: 7 kills in all, on 3 directories. */
const PLANS: RoundSpec[][] = [
  [
    { mode: "mixed", kill: "ready" },
    { mode: "mixed", kill: "warm" },
  ],
  [
    { mode: "mixed", kill: "warm" },
    { mode: "burst", kill: "burst" },
  ],
  [
    { mode: "burst", kill: "burst" },
    { mode: "mixed", kill: "open" },
    { mode: "mixed", kill: "warm" },
  ],
];
/** Generous: a loaded machine may take long to start a child under tsx. */
const READY_TIMEOUT_MS = 90_000;
const BURST_TIMEOUT_MS = 120_000;
/**
 * Writes the parent regenerates past the last one it knows of. The child reports how far it got
 * with every acknowledgement, each event-loop turn, and issues at most a few hundred writes per
 * turn, so this is far more than it can have issued unreported.
 */
const REGEN_MARGIN = 5_000;

const decoder = new TextDecoder();
const dec = (b: Uint8Array): string => decoder.decode(b);

function withTimeout<T>(p: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`timed out after ${ms} ms waiting for ${what}`)), ms);
  });
  return Promise.race([p, timeout]).finally(() => clearTimeout(timer));
}

const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

interface RoundPlan {
  dir: string;
  seed: number;
  round: number;
  mode: Mode;
  kill: KillAt;
  /** How long after the moment `kill` names. */
  delayMs: number;
  /** The store's contents after the previous round (empty for a new directory). */
  baseline: Map<string, string>;
}

/** What the parent learned from the child before the kill. */
interface RoundLog {
  acked: Set<number>;
  issued: number;
  stats: ChildStats | null;
  /** The child's pid once it reported the store open, else 0. */
  pid: number;
}

/** While the child holds the store, nobody else may open it. */
async function expectLocked(dir: string): Promise<void> {
  let err: unknown = null;
  try {
    const other = await open(dir, KILL9_OPTIONS);
    await other.close();
  } catch (e) {
    err = e;
  }
  assert.ok(
    err instanceof StoreLockedError,
    `a second open while the child runs must fail with StoreLockedError: ${err}`,
  );
}

/** Runs one child, kills it, recovers and checks the store; returns the recovered contents. */
async function killRound(t: TestContext, plan: RoundPlan): Promise<Map<string, string>> {
  const { dir, seed, round, mode } = plan;
  const what = `seed ${SEED}, round ${round} (${mode}, kill after ${plan.kill}, child seed ${seed}) in ${dir}`;
  const log: RoundLog = { acked: new Set(), issued: 0, stats: null, pid: 0 };
  let stderr = "";
  let startMs = 0;
  let childError = "";
  let onOpening: () => void = () => {};
  let onReady: () => void = () => {};
  let onBurst: () => void = () => {};
  const opening = new Promise<void>((resolve) => {
    onOpening = resolve;
  });
  const ready = new Promise<void>((resolve) => {
    onReady = resolve;
  });
  const burst = new Promise<void>((resolve) => {
    onBurst = resolve;
  });

  const started = performance.now();
  const args = [dir, String(seed), String(round), mode, plan.kill === "warm" ? "warm" : "cold"];
  const child: ChildProcess = fork(CHILD, args, {
    cwd: REPO,
    execPath: process.execPath,
    execArgv: ["--import", "tsx"],
    stdio: ["ignore", "pipe", "pipe", "ipc"],
  });
  const closed = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) => {
    child.on("close", (code, signal) => resolve({ code, signal }));
  });
  child.stdout?.on("data", (d: Buffer) => {
    if (stderr.length < 20_000) stderr += d.toString();
  });
  child.stderr?.on("data", (d: Buffer) => {
    if (stderr.length < 20_000) stderr += d.toString();
  });
  // Only what arrives here counts as acknowledged.
  child.on("message", (m: ChildMessage) => {
    switch (m.t) {
      case "opening":
        onOpening();
        break;
      case "ready":
        log.pid = m.pid;
        startMs = performance.now() - started;
        onReady();
        break;
      case "ack":
        for (const id of m.ids) log.acked.add(id);
        log.issued = Math.max(log.issued, m.issued);
        if (m.stats) log.stats = m.stats;
        break;
      case "burst":
        log.issued = Math.max(log.issued, m.issued);
        log.stats = m.stats;
        onBurst();
        break;
      case "error":
        childError = m.message;
        break;
    }
  });
  const died = closed.then(({ code, signal }) => {
    throw new Error(
      `the child exited before it was killed (code ${code}, signal ${signal}): ${childError || stderr || "no output"}`,
    );
  });
  died.catch(() => {});

  const kill = (): void => {
    // Only our own child, by its pid.
    if (child.pid !== undefined && child.exitCode === null && child.signalCode === null) child.kill("SIGKILL");
  };
  try {
    if (plan.kill === "open") {
      await withTimeout(Promise.race([opening, died]), READY_TIMEOUT_MS, `the child to start (${what})`);
      await Promise.race([sleep(plan.delayMs), died]);
    } else {
      await withTimeout(Promise.race([ready, died]), READY_TIMEOUT_MS, `the child to open the store (${what})`);
      assert.equal(log.pid, child.pid);
      const wait = sleep(plan.kill === "burst" ? 0 : plan.delayMs);
      await expectLocked(dir);
      if (plan.kill === "burst") {
        await withTimeout(Promise.race([burst, died]), BURST_TIMEOUT_MS, `the child's burst (${what})`);
        await Promise.race([sleep(plan.delayMs), died]);
      } else {
        await Promise.race([wait, died]);
      }
    }
    kill();
    const { signal } = await withTimeout(closed, 30_000, "the killed child to exit");
    assert.equal(signal, "SIGKILL", `the child died by itself: ${childError || stderr}`);
  } finally {
    kill();
    await closed;
  }
  assert.equal(childError, "", `the child reported an error (${what})`);

  // The dead child's lock is still there (unless it died before taking it), and is taken over.
  const lockPath = join(dir, "LOCK");
  if (log.pid !== 0) assert.ok(existsSync(lockPath), "the killed child leaves its LOCK file behind");
  const staleLock = existsSync(lockPath);
  if (staleLock) {
    // A child killed while taking the lock may leave it empty.
    const holder = readFileSync(lockPath, "utf8").trim();
    if (log.pid !== 0 || holder !== "") assert.equal(holder, String(child.pid), "LOCK names the child");
  }
  // The check reads what the crash left; compactions (and the time a compaction worker takes to
  // start) are left to the next child.
  const checkStart = performance.now();
  const db = await open(dir, { ...KILL9_OPTIONS, autoCompaction: false });
  const openMs = performance.now() - checkStart;
  let recovered: Map<string, string>;
  let summary: string;
  try {
    recovered = checkConsistent(db, new Rng(seed ^ 0x1234567), what);
    summary = checkAgainstHistory(db, recovered, plan, log, what);
  } finally {
    await db.close();
  }
  assert.ok(!existsSync(lockPath), "close releases the lock");
  const checkMs = performance.now() - checkStart;
  const s = log.stats;
  const ssts = readdirSync(dir).filter((n) => n.endsWith(".sst")).length;
  const when =
    plan.kill === "open"
      ? `${plan.delayMs} ms after it began opening the store, ${log.pid ? "after" : "before"} it was open`
      : `${plan.delayMs} ms after ${plan.kill === "burst" ? "the burst was acknowledged" : `it was ${plan.kill}`}`;
  t.diagnostic(
    `round ${round} (${mode}), killed ${when}${staleLock ? "" : " (no LOCK left)"}: ${summary}; ` +
      (s
        ? `child had run ${s.flushes} flushes, ${s.compactions} compactions (${s.moves} moves), ${s.ingests} ingests, ` +
          `${s.files} files (${s.l0} in L0); `
        : "") +
      `${ssts} segment files after recovery; ` +
      (startMs ? `child ready after ${Math.round(startMs)} ms, ` : "") +
      `recovery took ${Math.round(openMs)} ms, checks ${Math.round(checkMs - openMs)} ms`,
  );
  return recovered;
}

/** Gets, forward scan, reverse scan and range scans agree; returns the contents. */
function checkConsistent(db: Store, rng: Rng, what: string): Map<string, string> {
  const fwd: Array<[string, string]> = [];
  for (const [k, v] of db.iterator()) fwd.push([dec(k), dec(v)]);
  for (let i = 1; i < fwd.length; i++) {
    assert.ok(
      fwd[i - 1][0] < fwd[i][0],
      `forward scan out of order at ${i}: ${fwd[i - 1][0]} then ${fwd[i][0]} (${what})`,
    );
  }
  const rev: Array<[string, string]> = [];
  for (const [k, v] of db.iterator({ reverse: true })) rev.push([dec(k), dec(v)]);
  const revBack = rev.reverse();
  assert.equal(revBack.length, fwd.length, `reverse scan length differs from forward scan (${what})`);
  for (let i = 0; i < fwd.length; i++) {
    if (revBack[i][0] !== fwd[i][0] || revBack[i][1] !== fwd[i][1]) {
      assert.fail(`reverse scan differs from forward scan at ${fwd[i][0]} / ${revBack[i][0]} (${what})`);
    }
  }
  const contents = new Map(fwd);
  for (const [k, v] of fwd) {
    const g = db.get(k);
    assert.equal(g === undefined ? undefined : dec(g), v, `get(${k}) disagrees with the scan (${what})`);
  }
  for (let i = 0; i < KEY_COUNT; i++) {
    const k = mainKey(i);
    if (!contents.has(k)) assert.equal(db.get(k), undefined, `get(${k}) finds a key the scan does not (${what})`);
  }
  // Bounded scans, both ways, against a slice of the full scan.
  for (let n = 0; n < 6; n++) {
    const a = mainKey(rng.int(KEY_COUNT));
    const b = mainKey(rng.int(KEY_COUNT));
    const [lo, hi] = a < b ? [a, b] : [b, a];
    const want = fwd.filter(([k]) => k > lo && k <= hi).map(([k]) => k);
    const got = [...db.iterator({ gt: lo, lte: hi })].map(([k]) => dec(k));
    assert.deepEqual(got, want, `scan (${lo}, ${hi}] (${what})`);
    const gotRev = [...db.iterator({ gt: lo, lte: hi, reverse: true })].map(([k]) => dec(k));
    assert.deepEqual(gotRev, want.reverse(), `reverse scan (${lo}, ${hi}] (${what})`);
  }
  return contents;
}

interface KeyHistory {
  ids: number[];
  /** The value written by each op, null for a delete. */
  vals: Array<string | null>;
}

function describeState(v: string | null | undefined, round: number): string {
  if (v === null || v === undefined) return "absent";
  const p = parseValue(v);
  if (!p) return `unparsable value ${JSON.stringify(v.slice(0, 40))}`;
  return p.round === round ? `the value of write ${p.id}` : `a value from round ${p.round} (write ${p.id})`;
}

function describeHistory(h: KeyHistory, acked: Set<number>, around: number): string {
  let i = h.ids.findIndex((id) => id >= around);
  if (i < 0) i = h.ids.length;
  const from = Math.max(0, i - 4);
  return h.ids
    .slice(from, i + 4)
    .map((id, j) => `${id}:${h.vals[from + j] === null ? "del" : "put"}${acked.has(id) ? "(acked)" : ""}`)
    .join(" ");
}

/**
 * Checks the recovered contents against what the child wrote. The child's writes (other than
 * ingests) are sequenced in the order it issued them, so the store must hold exactly the effect
 * of the first C of them, for some C that includes every acknowledged one. Ingests take their
 * sequence number when they are installed, not when issued, and write fresh keys: each must be
 * all there or all missing, and there if acknowledged.
 */
function checkAgainstHistory(
  db: Store,
  recovered: Map<string, string>,
  plan: RoundPlan,
  log: RoundLog,
  what: string,
): string {
  const { round, baseline } = plan;
  let maxAcked = -1;
  for (const id of log.acked) if (id > maxAcked) maxAcked = id;
  let maxSeen = -1;
  for (const v of recovered.values()) {
    const p = parseValue(v);
    if (p && p.round === round && p.id > maxSeen) maxSeen = p.id;
  }
  const L = Math.max(maxAcked, maxSeen, log.issued) + REGEN_MARGIN;

  const stream = new OpStream(plan.seed, round, plan.mode);
  const touched = new Map<string, KeyHistory>();
  const ingests: Array<{ id: number; entries: Array<[string, string]> }> = [];
  const note = (key: string, id: number, value: string | null) => {
    let h = touched.get(key);
    if (!h) touched.set(key, (h = { ids: [], vals: [] }));
    h.ids.push(id);
    h.vals.push(value);
  };
  let maxAckedOrdered = -1;
  for (let i = 0; i < L; i++) {
    const op = stream.next();
    switch (op.kind) {
      case "put":
        note(op.key, op.id, op.value);
        break;
      case "del":
        note(op.key, op.id, null);
        break;
      case "batch":
        for (const it of op.items) note(it.key, op.id, it.value);
        break;
      case "ingest":
        ingests.push({ id: op.id, entries: op.entries });
        break;
    }
    if (op.kind !== "ingest" && log.acked.has(op.id)) maxAckedOrdered = op.id;
  }
  const problems: string[] = [];
  const problem = (s: string) => {
    if (problems.length < 25) problems.push(s);
  };

  // Ingests: all or nothing, there if acknowledged, with the values written.
  const ingestKeys = new Set<string>();
  let ingestsPresent = 0;
  for (const ing of ingests) {
    let present = 0;
    for (const [k, v] of ing.entries) {
      ingestKeys.add(k);
      const got = recovered.get(k);
      if (got === undefined) continue;
      present++;
      if (got !== v) problem(`ingested key ${k} holds ${describeState(got, round)}, not what ingest ${ing.id} wrote`);
    }
    if (present > 0) ingestsPresent++;
    if (present !== 0 && present !== ing.entries.length) {
      problem(`ingest ${ing.id} is partly there: ${present} of ${ing.entries.length} keys`);
    } else if (present === 0 && log.acked.has(ing.id)) {
      problem(`acknowledged ingest ${ing.id} (${ing.entries.length} keys from ${ing.entries[0][0]}) is missing`);
    }
  }

  // Keys this round did not write keep their value from before.
  for (const [k, v] of recovered) {
    if (touched.has(k) || ingestKeys.has(k)) continue;
    if (!baseline.has(k)) problem(`unexpected key ${k} holding ${describeState(v, round)}`);
    else if (baseline.get(k) !== v) problem(`key ${k} changed without being written: ${describeState(v, round)}`);
  }
  for (const [k, v] of baseline) {
    if (!touched.has(k) && !recovered.has(k)) problem(`key ${k} (${describeState(v, round)}) was lost`);
  }

  // Each written key: the cuts C (number of writes applied) its recovered state is consistent with.
  const count = new Int32Array(L + 2);
  const keys = [...touched.keys()];
  for (const key of keys) {
    const h = touched.get(key) as KeyHistory;
    const got = recovered.get(key) ?? null;
    let lastAcked = -1;
    for (const id of h.ids) if (log.acked.has(id)) lastAcked = id;
    let matched = false;
    let okForAcked = false;
    for (let i = -1; i < h.ids.length; i++) {
      const state = i < 0 ? (baseline.get(key) ?? null) : h.vals[i];
      if (state !== got) continue;
      // After write i (or before any), until the next write to the key.
      const lo = i < 0 ? 0 : h.ids[i] + 1;
      const hi = i + 1 < h.ids.length ? h.ids[i + 1] : L;
      count[lo]++;
      count[hi + 1]--;
      matched = true;
      if (hi >= lastAcked + 1) okForAcked = true;
    }
    if (!matched) {
      problem(
        `key ${key} holds ${describeState(got, round)}, which no write to it left there; ` +
          `writes to it: ${describeHistory(h, log.acked, parseValue(got ?? "")?.id ?? 0)}`,
      );
    } else if (!okForAcked) {
      problem(
        `key ${key} holds ${describeState(got, round)}, but write ${lastAcked} to it was acknowledged; ` +
          `writes to it: ${describeHistory(h, log.acked, lastAcked)}`,
      );
    }
  }

  // One cut for all keys: the store is a prefix of the write history holding every acked write.
  let first = -1;
  let last = -1;
  let best = -1;
  let bestCount = -1;
  let running = 0;
  for (let c = 0; c <= L; c++) {
    running += count[c];
    if (c <= maxAckedOrdered) continue;
    if (running === keys.length) {
      if (first < 0) first = c;
      last = c;
    }
    if (running > bestCount) {
      bestCount = running;
      best = c;
    }
  }
  if (first < 0 && problems.length === 0) {
    const off: string[] = [];
    for (const key of keys) {
      if (off.length >= 8) break;
      const h = touched.get(key) as KeyHistory;
      const got = recovered.get(key) ?? null;
      let state = baseline.get(key) ?? null;
      for (let i = 0; i < h.ids.length && h.ids[i] < best; i++) state = h.vals[i];
      if (state !== got) {
        off.push(`${key} holds ${describeState(got, round)}, writes: ${describeHistory(h, log.acked, best)}`);
      }
    }
    problem(
      `the store is no prefix of the write history holding every acked write (last acked ${maxAckedOrdered}); ` +
        `the best cut, after ${best} writes, fits ${bestCount} of ${keys.length} keys; off: ${off.join("; ")}`,
    );
  }

  // Keys the scan did not return are not there for get either.
  for (const k of [...touched.keys(), ...ingestKeys]) {
    if (!recovered.has(k) && db.get(k) !== undefined) problem(`get(${k}) finds a key the scan does not`);
  }

  assert.deepEqual(problems, [], `recovered store is wrong (${what}); ${log.acked.size} writes acknowledged`);
  return (
    `${log.acked.size} writes acknowledged (last ${maxAcked}, ${log.issued}+ issued), ` +
    `recovered the first ${first}..${last} writes, ${ingestsPresent} ingests, ${recovered.size} keys`
  );
}

test("kill -9 during writes, flushes and compactions loses no acknowledged write", async (t) => {
  t.diagnostic(`seed ${SEED} (replay with SHALE_KILL9_SEED=${SEED})`);
  const rng = new Rng(SEED);
  const dirs: string[] = [];
  t.after(() => {
    if (KEEP) {
      t.diagnostic(`kept ${dirs.join(" ")}`);
      return;
    }
    for (const d of dirs) rmSync(d, { recursive: true, force: true });
  });
  for (const [d, rounds] of PLANS.entries()) {
    const dir = mkdtempSync(join(tmpdir(), "shale-kill9-"));
    dirs.push(dir);
    const name = rounds.map((r) => `${r.mode} killed after ${r.kill}`).join(", then ");
    await t.test(`directory ${d + 1}: ${name}`, { timeout: 300_000 }, async (st) => {
      let baseline = new Map<string, string>();
      for (const [r, { mode, kill }] of rounds.entries()) {
        const seed = rng.u32();
        const delayMs = kill === "burst" ? rng.int(16) : kill === "open" ? rng.int(26) : rng.range(100, 1500);
        baseline = await killRound(st, { dir, seed, round: r + 1, mode, kill, delayMs, baseline });
      }
    });
  }
});
