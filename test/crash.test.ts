// Crash simulation on the in-memory file system: owns the checks that what a power cut leaves on
// the disk always recovers to a prefix of the write history, with nothing acknowledged as durable
// missing. A seeded writer issues puts, deletes, atomic batches, ingests, flushes, compactions and
// checkpoints (some awaited one by one, some concurrently) against a store on a CrashPointFileSystem,
// which takes the crash image (`crashClone`, keeping no unsynced data or a random prefix of it) at
// a random moment: at a random mutating file-system call (inside flushes, compactions, manifest
// switches, ingests, checkpoints, recovery), after a random number of event-loop turns, or right
// after a random write was issued. The image is reopened and held to:
//   (b) in every durability mode the recovered state equals the state after SOME prefix of the
//       history (atomic batches and ingests are one entry each): no holes, no partial batches;
//   (a) every write acknowledged in `strict` mode, every acknowledged ingest, and everything
//       acknowledged before a completed flush/compact/checkpoint was called is in that prefix;
//   (c) so in `relaxed` and `none` mode only a suffix of the history may be missing.
// The recovered store is then crashed again at a random call during its own recovery or the writes
// after it, and that image is held to the same rules (recovery must be crash-safe too). Sweeps
// take an image at EVERY mutating call of a fixed workload, of an ingest, of a checkpoint and of a
// recovery. Replay one trial with SHALE_SEED=<seed> (printed on failure; SHALE_DEBUG=1 also prints
// its history and the last file-system calls); SHALE_TRIALS_SCALE=<n> runs n times the trials.
// Relaxed mode's sync timer runs on wall-clock time, so only its trials can differ between runs of
// one seed.

import assert from "node:assert/strict";
import { test } from "node:test";
import { randomInt, seededRandom } from "../src/fs/random.js";
import {
  type Durability,
  MemoryFileSystem,
  open,
  type Snapshot,
  type Store,
  type StoreIterator,
  type StoreOptions,
} from "../src/index.js";
import { CrashPointFileSystem } from "./support/crash-fs.js";
import {
  dec,
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
  turns,
  withTimeout,
} from "./support/crash-model.js";

const DIR = "/db";
const KEYS = Array.from({ length: 20 }, (_, i) => `key-${String(i).padStart(2, "0")}`);
const TIMEOUT = 20_000;

type Mode = "strict" | "relaxed" | "none" | "mixed";
type Trigger = "call" | "turns" | "ops" | "end";

interface Entry extends ModelEntry {
  kind: "put" | "del" | "batch" | "ingest" | "base";
  durability: Durability | "n/a";
  /** Acknowledged at any time (for the ack-order check). */
  acked: boolean;
  /** Acknowledged before the crash image was taken (for durability floors). */
  ackedBeforeCrash: boolean;
}

interface CheckpointRecord {
  dir: string;
  /** The checkpoint must hold at least this prefix (acknowledged when it was called)... */
  lower: number;
  /** ...and at most this one (issued when it resolved, or when the crash came). */
  upper: number;
  resolvedBeforeCrash: boolean;
}

/** One store life: its history (base entries first), durability floor and what went wrong live. */
class Run {
  readonly history: Entry[] = [];
  floor = 0;
  floorWhy = "nothing acknowledged as durable";
  /** Highest acknowledged entry + 1. */
  ackedUpTo = 0;
  readonly checkpoints: CheckpointRecord[] = [];
  readonly problems: string[] = [];
  readonly outstanding: Promise<unknown>[] = [];
  valueCounter = 0;

  constructor(
    readonly fs: CrashPointFileSystem,
    readonly tag: string,
  ) {}

  raise(n: number, why: string): void {
    if (this.fs.crashed || n <= this.floor) return;
    this.floor = n;
    this.floorWhy = why;
  }

  /** Records `entry` as issued now and tracks its promise. */
  issue(entry: Entry, p: Promise<unknown>): Promise<unknown> {
    const idx = this.history.length;
    this.history.push(entry);
    const tracked = p.then(
      () => this.onAck(idx),
      (err: unknown) => this.problems.push(`entry ${idx} (${entry.kind}) was rejected: ${errorName(err)}`),
    );
    this.outstanding.push(tracked);
    return tracked;
  }

  private onAck(idx: number): void {
    const e = this.history[idx];
    e.acked = true;
    if (e.ops.length > 0) {
      // Acknowledgements come in issue order (empty batches have no sequence number: exempt).
      for (let j = this.ackedUpTo; j < idx; j++) {
        const o = this.history[j];
        if (!o.acked && o.ops.length > 0 && o.kind !== "base") {
          this.problems.push(`entry ${idx} (${e.kind}) was acknowledged before entry ${j} (${o.kind})`);
          break;
        }
      }
    }
    if (this.fs.crashed) return;
    e.ackedBeforeCrash = true;
    if (e.ops.length > 0 && idx + 1 > this.ackedUpTo) this.ackedUpTo = idx + 1;
    // (An empty batch has no sequence number and promises nothing.)
    if (e.durability === "strict" && e.ops.length > 0) {
      this.raise(idx + 1, `entry ${idx} was acknowledged in strict mode`);
    }
    if (e.kind === "ingest") this.raise(idx + 1, `ingest (entry ${idx}) was acknowledged`);
  }

  /** Tracks a flush-like call: once it resolves, what was acknowledged when it was called is durable. */
  trackFlush(what: string, p: Promise<unknown>): Promise<unknown> {
    const at = this.ackedUpTo;
    const tracked = p.then(
      () => this.raise(at, `${what} completed (called with ${at} entries acknowledged)`),
      (err: unknown) => this.problems.push(`${what} was rejected: ${errorName(err)}`),
    );
    this.outstanding.push(tracked);
    return tracked;
  }

  async settle(): Promise<void> {
    await withTimeout(Promise.all(this.outstanding), TIMEOUT, `${this.tag}: outstanding operations to settle`);
  }
}

function pick<T>(rng: () => number, items: readonly T[]): T {
  return items[randomInt(rng, 0, items.length - 1)];
}

function storeOptions(rng: () => number, mode: Mode, fs: StoreOptions["fs"]): StoreOptions {
  return {
    fs,
    durability: mode === "mixed" ? pick(rng, ["strict", "relaxed", "none"] as const) : mode,
    relaxedIntervalMs: randomInt(rng, 1, 20),
    walShards: randomInt(rng, 1, 4),
    writeBufferSize: randomInt(rng, 1, 6) * 1024,
    maxImmutableMemtables: randomInt(rng, 1, 2),
    blockSize: pick(rng, [128, 512, 1024]),
    restartInterval: randomInt(rng, 1, 16),
    bloomBitsPerKey: pick(rng, [0, 10]),
    compression: pick(rng, ["none", "none", "deflate"] as const),
    l0CompactionTrigger: 2,
    l0StopTrigger: randomInt(rng, 2, 6),
    levelBaseBytes: randomInt(rng, 4, 16) * 1024,
    levelMultiplier: randomInt(rng, 2, 4),
    targetFileSize: randomInt(rng, 2, 4) * 1024,
    numLevels: randomInt(rng, 3, 7),
    compactionThread: "inline",
  };
}

function newEntry(kind: Entry["kind"], ops: ModelOp[], durability: Entry["durability"]): Entry {
  return { kind, ops, durability, acked: false, ackedBeforeCrash: false };
}

function value(run: Run, rng: () => number): string {
  const n = run.valueCounter++;
  return `${run.tag}.${n}:${"abcdefghijklmnopqrstuvwxyz"[n % 26].repeat(randomInt(rng, 0, 400))}`;
}

interface WorkloadConfig {
  ops: number;
  mode: Mode;
  /** The store's default durability (what a write without options gets). */
  storeDurability: Durability;
  /** Take the crash image right after issuing this operation. */
  crashAfterOp?: number;
  /** Allow flush/compact/checkpoint/ingest actions. */
  structural: boolean;
}

/**
 * Issues a random history against `store`, recording it in `run`, until `cfg.ops` operations are
 * issued or the crash image is taken. Leaves later writes outstanding (un-acknowledged).
 */
async function workload(store: Store, rng: () => number, run: Run, cfg: WorkloadConfig): Promise<void> {
  const fs = run.fs;
  let snap: { snapshot: Snapshot; iterator: StoreIterator; state: State; consumed: State } | null = null;
  const durability = (): WriteOptionsLike =>
    cfg.mode === "mixed" ? { durability: pick(rng, ["strict", "relaxed", "none"] as const) } : undefined;
  for (let n = 0; n < cfg.ops && !fs.crashed; n++) {
    const r = rng();
    let p: Promise<unknown> | null = null;
    if (r < 0.5) {
      const key = pick(rng, KEYS);
      const v = value(run, rng);
      const o = durability();
      p = run.issue(newEntry("put", [{ key, value: v }], o?.durability ?? cfg.storeDurability), store.put(key, v, o));
    } else if (r < 0.62) {
      const key = pick(rng, KEYS);
      const o = durability();
      p = run.issue(
        newEntry("del", [{ key, value: undefined }], o?.durability ?? cfg.storeDurability),
        store.del(key, o),
      );
    } else if (r < 0.76) {
      const ops: ModelOp[] = [];
      const count = randomInt(rng, 0, 6);
      for (let i = 0; i < count; i++) {
        ops.push({ key: pick(rng, KEYS), value: rng() < 0.75 ? value(run, rng) : undefined });
      }
      const o = durability();
      const batch = ops.map((op) =>
        op.value === undefined
          ? { type: "del" as const, key: enc(op.key) }
          : { type: "put" as const, key: op.key, value: enc(op.value) },
      );
      p = run.issue(newEntry("batch", ops, o?.durability ?? cfg.storeDurability), store.batch(batch, o));
    } else if (r < 0.79 && cfg.structural) {
      p = run.trackFlush("flush()", store.flush());
    } else if (r < 0.81 && cfg.structural) {
      const lo = pick(rng, KEYS);
      p = run.trackFlush("compact()", rng() < 0.5 ? store.compact() : store.compact({ gte: lo }));
    } else if (r < 0.83 && cfg.structural) {
      const dir = `/ckpt/${run.tag}-${n}`;
      const rec: CheckpointRecord = { dir, lower: run.ackedUpTo, upper: -1, resolvedBeforeCrash: false };
      run.checkpoints.push(rec);
      p = run.trackFlush(
        "checkpoint()",
        store.checkpoint(dir).then(() => {
          if (fs.crashed) return;
          rec.resolvedBeforeCrash = true;
          rec.upper = run.history.length;
        }),
      );
    } else if (r < 0.86 && cfg.structural) {
      // Ingest is issued with no other write outstanding, so its place in the history is certain
      // (see the dedicated test below for ingest ordered after writes issued before it).
      await run.settle();
      if (fs.crashed) break;
      const big = rng() < 0.3;
      const keys = big
        ? Array.from({ length: randomInt(rng, 20, 80) }, (_, i) => `ing-${run.tag}-${n}-${String(i).padStart(3, "0")}`)
        : KEYS.filter(() => rng() < 0.3);
      const pairs = keys.map((k) => ({ key: k, value: value(run, rng) }));
      p = run.issue(
        newEntry("ingest", pairs, "n/a"),
        store.ingest(pairs.map((x) => [enc(x.key), enc(x.value)] as [Uint8Array, Uint8Array])),
      );
      await p;
      p = null;
    } else if (r < 0.88) {
      // A live read: the visible state is a prefix of the history, at least what was acknowledged.
      if (!fs.crashed) liveCheck(store, run, "live read");
    } else if (r < 0.9) {
      if (snap === null) {
        const state = readAll(store);
        snap = { snapshot: store.snapshot(), iterator: store.iterator(), state, consumed: new Map() };
        const first = snap.iterator.read();
        if (first) snap.consumed.set(dec(first[0]), dec(first[1]));
      } else {
        checkSnapshot(store, run, snap);
        snap = null;
      }
    } else {
      await turns(randomInt(rng, 1, 3));
    }
    if (p !== null && rng() < 0.35) await p;
    if (run.outstanding.length > 200) await run.settle();
    if (cfg.crashAfterOp === n) fs.crashNow(`right after issuing operation ${n}`);
  }
  if (snap !== null) {
    if (!fs.crashed) checkSnapshot(store, run, snap);
    else snap.iterator.close();
    snap.snapshot.release();
  }
}

type WriteOptionsLike = { durability: Durability } | undefined;

function checkSnapshot(
  store: Store,
  run: Run,
  snap: { snapshot: Snapshot; iterator: StoreIterator; state: State; consumed: State },
): void {
  const viaSnapshot = new Map<string, string>();
  for (const [k, v] of store.iterator({ snapshot: snap.snapshot })) {
    viaSnapshot.set(dec(k), dec(v));
  }
  for (const key of KEYS) {
    const got = store.get(key, { snapshot: snap.snapshot });
    const want = snap.state.get(key);
    if ((got === undefined ? undefined : dec(got)) !== want) {
      run.problems.push(`snapshot get(${key}) differs from the state when the snapshot was taken`);
      break;
    }
  }
  if (describeDiff(snap.state, viaSnapshot) !== "") {
    run.problems.push(
      `a snapshot iterator saw changes made after the snapshot:\n${describeDiff(snap.state, viaSnapshot)}`,
    );
  }
  for (const [k, v] of snap.iterator) snap.consumed.set(dec(k), dec(v));
  if (describeDiff(snap.state, snap.consumed) !== "") {
    run.problems.push(`an iterator kept open across writes saw changes:\n${describeDiff(snap.state, snap.consumed)}`);
  }
  snap.snapshot.release();
}

function liveCheck(store: Store, run: Run, what: string): void {
  const state = readAll(store, KEYS);
  const m = matchPrefixes(run.history, state);
  if (!m.matches.some((l) => l >= run.ackedUpTo)) {
    run.problems.push(
      `${what}: the visible state is no prefix of the history with >= ${run.ackedUpTo} entries ` +
        `(matching prefixes ${JSON.stringify(m.matches.slice(-5))}; closest ${m.closest}):\n` +
        describeDiff(stateAfter(run.history, m.closest), state),
    );
  }
}

/** Opens a copy of `image` at `dir` and checks it holds a history prefix of length in [lower, upper]. */
async function checkImage(
  image: MemoryFileSystem,
  dir: string,
  history: readonly ModelEntry[],
  lower: number,
  upper: number,
  context: string,
  // Small: a memtable's arena is allocated at its full size when the store opens.
  options: StoreOptions = { writeBufferSize: 16 << 10, compactionThread: "inline" },
): Promise<number> {
  const copy = image.crashClone();
  let store: Store;
  try {
    store = await withTimeout(open(dir, { ...options, fs: copy }), TIMEOUT, `${context}: open after crash`);
  } catch (err) {
    assert.fail(`${context}: reopening after the crash failed: ${errorName(err)}\nfiles: ${copy.dump().join(" ")}`);
  }
  let state: State;
  try {
    state = readAll(store, KEYS);
  } catch (err) {
    await store.close().catch(() => undefined);
    assert.fail(`${context}: reading the recovered store failed: ${errorName(err)}`);
  }
  const m = matchPrefixes(history, state);
  const ok = m.matches.filter((l) => l >= lower && l <= upper);
  if (ok.length === 0) {
    const why =
      m.matches.length === 0
        ? `the recovered state equals no prefix of the ${history.length}-entry history (a hole or a partial batch)`
        : `the recovered state is prefix ${JSON.stringify(m.matches)} of ${history.length}, outside [${lower}, ${upper}]`;
    await store.close().catch(() => undefined);
    assert.fail(
      `${context}: ${why}; closest prefix ${m.closest} differs in ${m.closestDiff} keys:\n` +
        describeDiff(stateAfter(history, m.closest), state),
    );
  }
  // The recovered store takes writes again.
  await withTimeout(store.put("after-crash", "yes"), TIMEOUT, `${context}: write after recovery`);
  assert.equal(dec(store.get("after-crash")!), "yes");
  await withTimeout(store.close(), TIMEOUT, `${context}: close after recovery`);
  return ok[ok.length - 1];
}

/** Phase 1: a random history with a crash at a random moment; returns the recovered prefix. */
async function crashTrial(seed: number, mode: Mode): Promise<void> {
  const rng = seededRandom(seed);
  const keepUnsynced = rng() < 0.75 ? ("random" as const) : ("none" as const);
  const trigger = pick(rng, ["call", "call", "turns", "ops", "end"] as const satisfies readonly Trigger[]);
  const ops = randomInt(rng, 30, 160);
  const mem = new MemoryFileSystem();
  const fs = new CrashPointFileSystem(mem, {
    random: seededRandom(seed ^ 0x5bd1e995),
    crashRandom: seededRandom(seed ^ 0x27d4eb2f),
    keepUnsynced,
    crashAtCall: trigger === "call" ? randomInt(rng, 1, ops * 4) : undefined,
  });
  const options = storeOptions(rng, mode, fs);
  const ctx = `seed ${seed} (SHALE_SEED=${seed}), mode ${mode}, trigger ${trigger}, keepUnsynced ${keepUnsynced}`;
  const run = new Run(fs, "a");
  const store = await withTimeout(open(DIR, options), TIMEOUT, `${ctx}: open`);
  let crasher: Promise<void> = Promise.resolve();
  if (trigger === "turns") {
    const k = randomInt(rng, 0, ops * 2);
    crasher = turns(k).then(() => void fs.crashNow(`after ${k} event-loop turns`));
  }
  try {
    await workload(store, rng, run, {
      ops,
      mode,
      storeDurability: options.durability ?? "strict",
      structural: true,
      crashAfterOp: trigger === "ops" ? randomInt(rng, 0, ops - 1) : undefined,
    });
  } catch (err) {
    run.problems.push(`the workload threw: ${errorName(err)}`);
  }
  const unacked = run.history.filter((e) => !e.acked).length;
  fs.crashNow(`at the end of the workload (${unacked} entries unacknowledged)`);
  await run.settle();
  await withTimeout(store.close(), TIMEOUT, `${ctx}: close of the abandoned store`);
  await crasher;
  const where = `${ctx}, crash ${fs.crashNote}`;
  if (process.env.SHALE_DEBUG) {
    console.log(where);
    console.log(
      run.history
        .map(
          (e, i) =>
            `${i} ${e.kind} ${e.durability} acked=${e.acked}/${e.ackedBeforeCrash} ${e.ops.map((o) => `${o.key}=${o.value?.slice(0, 8)}`).join(",")}`,
        )
        .join("\n"),
    );
    console.log(fs.trace.join("\n"));
    console.log(fs.image!.dump().join(" "));
  }
  // Live problems (rejections, out-of-order acknowledgements) are reported after the image checks,
  // which still apply: a rejected write may or may not be there, but the state is still a prefix.
  const issues = run.problems.map((p) => `${where}: while running: ${p}`);
  const image = fs.image!;
  const prefix = await checkImage(
    image,
    DIR,
    run.history,
    run.floor,
    run.history.length,
    `${where}, floor ${run.floor} (${run.floorWhy})`,
  );
  for (const c of run.checkpoints) {
    const upper = c.upper >= 0 ? c.upper : run.history.length;
    if (image.exists(`${c.dir}/CURRENT`)) {
      await checkImage(image, c.dir, run.history, c.lower, upper, `${where}, checkpoint ${c.dir}`);
    } else {
      assert.ok(!c.resolvedBeforeCrash, `${where}: checkpoint ${c.dir} completed but its CURRENT is not durable`);
    }
  }

  // Phase 2: crash the recovery (or the writes after it) of the image, and check again.
  const rng2 = seededRandom(seed ^ 0x1b873593);
  const fs2 = new CrashPointFileSystem(image, {
    random: seededRandom(seed ^ 0x68e31da4),
    crashRandom: seededRandom(seed ^ 0x2f6a1c3d),
    keepUnsynced: rng2() < 0.5 ? "random" : "none",
    crashAtCall: rng2() < 0.6 ? randomInt(rng2, 1, 30) : randomInt(rng2, 1, 200),
  });
  const run2 = new Run(fs2, "b");
  for (const e of run.history.slice(0, prefix)) {
    run2.history.push({ ...e, kind: "base", acked: true, ackedBeforeCrash: true });
  }
  run2.floor = prefix;
  run2.floorWhy = `the first recovery held ${prefix} entries`;
  run2.ackedUpTo = prefix;
  const mode2 = pick(rng2, ["strict", "relaxed", "none", "mixed"] as const);
  const ctx2 = `${where}; phase 2 (mode ${mode2})`;
  // Same number of levels (files may sit on the deepest one); everything else may change.
  const options2 = { ...storeOptions(rng2, mode2, fs2), numLevels: options.numLevels };
  const store2 = await withTimeout(open(DIR, options2), TIMEOUT, `${ctx2}: open`);
  if (!fs2.crashed) {
    try {
      await workload(store2, rng2, run2, {
        ops: randomInt(rng2, 0, 40),
        mode: mode2,
        storeDurability: options2.durability ?? "strict",
        structural: false,
      });
    } catch (err) {
      run2.problems.push(`the workload threw: ${errorName(err)}`);
    }
  }
  fs2.crashNow("at the end of the phase-2 workload");
  await run2.settle();
  await withTimeout(store2.close(), TIMEOUT, `${ctx2}: close of the abandoned store`);
  const where2 = `${ctx2}, crash ${fs2.crashNote}`;
  issues.push(...run2.problems.map((p) => `${where2}: while running: ${p}`));
  await checkImage(
    fs2.image!,
    DIR,
    run2.history,
    run2.floor,
    run2.history.length,
    `${where2}, floor ${run2.floor} (${run2.floorWhy})`,
  );
  if (issues.length > 0) {
    const more = issues.length > 3 ? `\n  (${issues.length - 3} more like these)` : "";
    assert.fail(`${issues.slice(0, 3).join("\n")}${more}`);
  }
}

for (const [mode, base, count] of [
  ["strict", 1000, 300],
  ["relaxed", 2000, 200],
  ["none", 3000, 300],
  ["mixed", 4000, 300],
] as const) {
  test(`random crashes in ${mode} mode recover a prefix of the history with every durable write`, async () => {
    // Every trial runs; the failures are reported together (each names its seed).
    const failures: string[] = [];
    const seeds = seedsFor(base, count);
    for (const seed of seeds) {
      try {
        await crashTrial(seed, mode);
      } catch (err) {
        const msg = err instanceof assert.AssertionError ? err.message : `${errorName(err)}\n${(err as Error).stack}`;
        failures.push(`seed ${seed} (replay with SHALE_SEED=${seed}), mode ${mode}:\n${msg}`);
      }
    }
    if (failures.length > 0) {
      // A histogram of the kinds of failure (numbers blanked out), then the first few in full.
      const kinds = new Map<string, number>();
      for (const f of failures) {
        const line = f.split("\n")[1] ?? f;
        const kind = line
          .replace(/^.*?(while running: |\): )/, "")
          .replace(/\d+/g, "#")
          .replace(/\((put|del|batch|ingest)\)/, "(write)")
          .slice(0, 160);
        kinds.set(kind, (kinds.get(kind) ?? 0) + 1);
      }
      const histogram = [...kinds.entries()].map(([k, n]) => `  ${n} x ${k}`).join("\n");
      const shown = failures.slice(0, 3).join("\n\n");
      assert.fail(`${failures.length} of ${seeds.length} trials failed:\n${histogram}\nThe first ones:\n\n${shown}`);
    }
  });
}

// ---------------------------------------------------------------------------------------------
// Sweeps: an image at every mutating call.

interface Image {
  image: MemoryFileSystem;
  floor: number;
  issued: number;
  note: string;
}

/**
 * A CrashPointFileSystem that, while started, keeps a crash image (with the run's floor and the
 * number of entries issued) at every mutating call.
 */
function imagingFs(mem: MemoryFileSystem, seed: number, keepUnsynced: "none" | "random", images: Image[]) {
  let run: Run | null = null;
  let active = false;
  const crashRandom = seededRandom(seed);
  const fs = new CrashPointFileSystem(mem, { random: seededRandom(seed + 1), crashRandom, keepUnsynced });
  const count = fs.count.bind(fs);
  fs.count = (what: string, path: string) => {
    if (active) {
      images.push({
        image: mem.crashClone({ keepUnsynced, random: crashRandom }),
        floor: run?.floor ?? 0,
        issued: run?.history.length ?? 0,
        note: `before ${what} ${path} (call ${fs.calls + 1})`,
      });
    }
    count(what, path);
  };
  return {
    fs,
    attach(r: Run) {
      run = r;
    },
    start() {
      active = true;
    },
    stop() {
      active = false;
    },
  };
}

const SWEEP_OPTIONS: StoreOptions = {
  walShards: 3,
  writeBufferSize: 2048,
  targetFileSize: 2048,
  blockSize: 256,
  l0CompactionTrigger: 2,
  levelBaseBytes: 4096,
  levelMultiplier: 2,
  compactionThread: "inline",
};

test("a crash at every mutating call of a workload with flushes and compactions recovers a valid prefix", async () => {
  for (const seed of seedsFor(7000, 4)) {
    for (const keepUnsynced of ["none", "random"] as const) {
      const mode: Mode = seed % 2 === 0 ? "strict" : "mixed";
      const images: Image[] = [];
      const im = imagingFs(new MemoryFileSystem(), seed, keepUnsynced, images);
      const run = new Run(im.fs, "s");
      im.attach(run);
      im.start();
      const store = await open(DIR, { ...SWEEP_OPTIONS, durability: mode === "strict" ? "strict" : "none", fs: im.fs });
      await workload(store, seededRandom(seed), run, {
        ops: 70,
        mode,
        storeDurability: mode === "strict" ? "strict" : "none",
        structural: true,
      });
      await run.settle();
      await store.close();
      im.stop();
      assert.deepEqual(run.problems, [], `seed ${seed}: problems while running`);
      assert.ok(images.length > 100, `only ${images.length} crash points`);
      for (const img of images.splice(0)) {
        await checkImage(
          img.image,
          DIR,
          run.history,
          img.floor,
          img.issued,
          `sweep seed ${seed} (SHALE_SEED=${seed}), ${keepUnsynced}, crash ${img.note}, floor ${img.floor}`,
        );
      }
    }
  }
});

test("a crash at every call of an ingest leaves it all-or-nothing, and an acknowledged ingest survives", async () => {
  for (const keepUnsynced of ["none", "random"] as const) {
    const images: Image[] = [];
    const mem = new MemoryFileSystem();
    const im = imagingFs(mem, 11, keepUnsynced, images);
    const run = new Run(im.fs, "i");
    im.attach(run);
    const store = await open(DIR, { ...SWEEP_OPTIONS, durability: "none", fs: im.fs });
    // Unflushed none-mode writes before the ingest: the ingest must make them durable first.
    const rng = seededRandom(12);
    for (let i = 0; i < 30; i++) {
      const key = KEYS[i % KEYS.length];
      const v = value(run, rng);
      await run.issue(newEntry("put", [{ key, value: v }], "none"), store.put(key, v));
    }
    const pairs = Array.from({ length: 120 }, (_, i) => ({
      key: i < KEYS.length ? KEYS[i] : `ingested-${String(i).padStart(4, "0")}`,
      value: `ingest:${i}`,
    })).sort((a, b) => (a.key < b.key ? -1 : 1));
    im.start();
    await run.issue(
      newEntry("ingest", pairs, "n/a"),
      store.ingest(pairs.map((x) => [enc(x.key), enc(x.value)] as [Uint8Array, Uint8Array])),
    );
    im.stop();
    assert.deepEqual(run.problems, []);
    assert.ok(images.length > 5, `the ingest made ${images.length} mutating calls`);
    assert.equal(run.floor, run.history.length, "the acknowledged ingest raised the floor");
    // Acknowledged: everything is there after a crash right now, in any mode.
    images.push({
      image: mem.crashClone({ keepUnsynced, random: seededRandom(5) }),
      floor: run.history.length,
      issued: run.history.length,
      note: "right after the ingest was acknowledged",
    });
    await store.close();
    for (const img of images.splice(0)) {
      await checkImage(img.image, DIR, run.history, img.floor, img.issued, `ingest sweep ${keepUnsynced}: ${img.note}`);
    }
  }
});

test("an ingest is ordered after writes issued before it (issue order), live and after a crash", async () => {
  const mem = new MemoryFileSystem();
  const store = await open(DIR, { fs: mem, ...SWEEP_OPTIONS });
  const put = store.put("k", "written before the ingest was called");
  const ingest = store.ingest([[enc("k"), enc("ingested")]]);
  await Promise.all([put, ingest]);
  const live = store.get("k");
  const image = mem.crashClone();
  await store.close();
  assert.equal(
    live === undefined ? undefined : dec(live),
    "ingested",
    "a put issued (not awaited) before ingest() was called must be older than the ingested pairs",
  );
  await checkImage(
    image,
    DIR,
    [
      { ops: [{ key: "k", value: "written before the ingest was called" }] },
      { ops: [{ key: "k", value: "ingested" }] },
    ],
    2,
    2,
    "ingest ordering after a crash",
  );
});

test("a crash at every call of a checkpoint leaves the store intact and the checkpoint whole or absent", async () => {
  for (const keepUnsynced of ["none", "random"] as const) {
    const mem = new MemoryFileSystem();
    const images: Image[] = [];
    const im = imagingFs(mem, 21, keepUnsynced, images);
    const run = new Run(im.fs, "c");
    im.attach(run);
    const store = await open(DIR, { ...SWEEP_OPTIONS, durability: "strict", fs: im.fs });
    await workload(store, seededRandom(21), run, {
      ops: 60,
      mode: "strict",
      storeDurability: "strict",
      structural: false,
    });
    await run.settle();
    // A few unflushed none-mode writes: the checkpoint flushes them.
    for (let i = 0; i < 5; i++) {
      const v = `pre-checkpoint-${i}`;
      await run.issue(
        newEntry("put", [{ key: KEYS[i], value: v }], "none"),
        store.put(KEYS[i], v, { durability: "none" }),
      );
    }
    const atCall = run.history.length;
    im.start();
    await run.trackFlush("checkpoint()", store.checkpoint("/ckpt/one"));
    im.stop();
    const final = mem.crashClone({ keepUnsynced: "none" });
    await store.close();
    assert.deepEqual(run.problems, []);
    assert.ok(images.length > 5, `the checkpoint made ${images.length} mutating calls`);
    for (const img of images.splice(0)) {
      const ctx = `checkpoint sweep ${keepUnsynced}: crash ${img.note}`;
      await checkImage(img.image, DIR, run.history, img.floor, run.history.length, ctx);
      if (img.image.exists("/ckpt/one/CURRENT")) {
        await checkImage(img.image, "/ckpt/one", run.history, atCall, atCall, `${ctx} (the checkpoint)`);
      }
    }
    assert.ok(final.exists("/ckpt/one/CURRENT"), "a completed checkpoint is durable");
    await checkImage(final, "/ckpt/one", run.history, atCall, atCall, `checkpoint ${keepUnsynced} after completion`);
    await checkImage(final, DIR, run.history, atCall, atCall, `store ${keepUnsynced} after a checkpoint`);
  }
});

test("a crash at every call of a recovery (WAL replay, manifest switch, cleanup) loses nothing", async () => {
  for (const keepUnsynced of ["none", "random"] as const) {
    const mem = new MemoryFileSystem();
    const plain = new CrashPointFileSystem(mem, {
      random: seededRandom(31),
      crashRandom: seededRandom(32),
      keepUnsynced,
    });
    const run = new Run(plain, "r");
    const store = await open(DIR, { ...SWEEP_OPTIONS, durability: "strict", fs: plain });
    await workload(store, seededRandom(33), run, {
      ops: 80,
      mode: "strict",
      storeDurability: "strict",
      structural: true,
    });
    await run.settle();
    // Abandon the store: its WAL holds writes that recovery must replay.
    const crashed = mem.crashClone({ keepUnsynced: "none" });
    await store.close();
    assert.deepEqual(run.problems, []);
    const full = run.history.length;
    // Recover the crashed image while taking an image at every call of the recovery, then crash
    // each of those again (recovery of a half-done recovery).
    const images: Image[] = [];
    const im = imagingFs(crashed, 34, keepUnsynced, images);
    im.start();
    const s = await open(DIR, { ...SWEEP_OPTIONS, fs: im.fs });
    im.stop();
    await s.close();
    assert.ok(images.length > 3, `recovery made ${images.length} mutating calls`);
    for (const img of images.splice(0)) {
      await checkImage(img.image, DIR, run.history, full, full, `recovery sweep ${keepUnsynced}: crash ${img.note}`);
    }
  }
});

test("a reader closing while a flush syncs the flushed WAL files does not break later writes", async () => {
  // The flush installs its segment, then syncs and closes the old generation's WAL files (keeping
  // them for reuse). A sweep of obsolete files in that window (here: an old iterator closing) must
  // not delete files the flush is about to hand out for reuse.
  const mem = new MemoryFileSystem();
  const fs = new CrashPointFileSystem(mem, {
    random: () => 0.999, // every sync takes two event-loop turns
    crashRandom: seededRandom(1),
    keepUnsynced: "none",
  });
  const store = await open(DIR, { fs, durability: "none", writeBufferSize: 1024, walShards: 2 });
  const run = new Run(fs, "r");
  await run.issue(newEntry("put", [{ key: "first", value: "x" }], "none"), store.put("first", "x"));
  const reader = store.iterator(); // holds the current version
  const count = fs.count.bind(fs);
  let armed = true;
  fs.count = (what: string, path: string) => {
    if (armed && what === "sync" && path.endsWith(".wal")) {
      armed = false;
      setImmediate(() => reader.close()); // the old version dies while the WAL sync is in flight
    }
    count(what, path);
  };
  for (let i = 0; i < 60; i++) {
    const key = KEYS[i % KEYS.length];
    const v = `${i}:${"v".repeat(100)}`;
    await run.issue(newEntry("put", [{ key, value: v }], "none"), store.put(key, v));
  }
  assert.ok(!armed, "a flush synced the old WAL files");
  assert.deepEqual(run.problems, [], "every write after the race was accepted");
  await store.close();
  await checkImage(mem.crashClone(), DIR, run.history, run.history.length, run.history.length, "after the race");
});
