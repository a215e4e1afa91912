// The model-based randomized run behind test/model.test.ts: one seed's store, operations and
// Map-based model. This file owns `runModel`. For a seed it opens a store on a fresh in-memory
// disk (behind SlowSyncFileSystem, whose syncs finish a few event-loop turns late) with tiny
// options drawn from the seed, runs a weighted random mix of operations (put, del, batch, get,
// getMany, ranged iterators consumed with read/next/nextv, long-lived iterators, snapshots, flush,
// compact, ingest, reopen with work in flight, unawaited concurrent writes) and checks every read
// against the model. Everything comes from the seed: no Math.random, no timers.

import { setImmediate as nextTurn } from "node:timers/promises";
import { seededRandom } from "../../src/fs/random.js";
import {
  type BatchOp,
  type Durability,
  type Entry,
  type FileSystem,
  InvalidArgumentError,
  type IteratorOptions,
  type Key,
  MemoryFileSystem,
  open,
  type RangeOptions,
  type Snapshot,
  type Store,
  StoreClosedError,
  type StoreIterator,
  StoreLockedError,
  type StoreOptions,
} from "../../src/index.js";
import { SlowSyncFileSystem } from "./model-slow-fs.js";
import { Rng } from "./rng.js";

const DIR = "/db";
const MAX_SNAPSHOTS = 3;
const MAX_OPEN_ITERATORS = 2;

const encoder = new TextEncoder();

// -------------------------------------------------------------------------------------------------
// Keys, values and the model

/** Hex of the bytes: comparing these strings orders keys exactly as byte-wise (memcmp) order does. */
function hex(b: Uint8Array): string {
  return Buffer.from(b.buffer, b.byteOffset, b.byteLength).toString("hex");
}

function compareBytes(a: Uint8Array, b: Uint8Array): number {
  return Buffer.compare(a, b);
}

function sameBytes(a: Uint8Array, b: Uint8Array): boolean {
  return compareBytes(a, b) === 0;
}

function hasControlBytes(b: Uint8Array): boolean {
  for (const c of b) if (c < 0x20 || c === 0x7f) return true;
  return false;
}

const strictDecoder = new TextDecoder("utf-8", { fatal: true, ignoreBOM: true });

/** The key as a string, if it is valid UTF-8 that encodes back to the same bytes (so it may go in as a string). */
function utf8(k: Uint8Array): string | undefined {
  try {
    const text = strictDecoder.decode(k);
    return sameBytes(encoder.encode(text), k) ? text : undefined;
  } catch {
    return undefined;
  }
}

function fmtKey(k: Uint8Array): string {
  if (k.length === 0) return '""';
  const text = utf8(k);
  return text !== undefined && !hasControlBytes(k) ? JSON.stringify(text) : `0x${hex(k)}`;
}

function fmtValue(v: Uint8Array | undefined): string {
  if (v === undefined) return "(absent)";
  const head = v.subarray(0, 20);
  let shown = "";
  for (const c of head) shown += c >= 0x20 && c <= 0x7e ? String.fromCharCode(c) : ".";
  return `[${v.length}b "${shown}${v.length > head.length ? "…" : ""}"]`;
}

function fmtRange(o: IteratorOptions): string {
  const parts: string[] = [];
  for (const name of ["gt", "gte", "lt", "lte", "prefix"] as const) {
    const k = o[name];
    if (k !== undefined) parts.push(`${name}=${fmtKey(toBytes(k))}${typeof k === "string" ? "(str)" : ""}`);
  }
  if (o.reverse) parts.push("reverse");
  if (o.limit !== undefined) parts.push(`limit=${o.limit}`);
  return `{${parts.join(" ")}}`;
}

function toBytes(k: Key | Uint8Array): Uint8Array {
  return typeof k === "string" ? encoder.encode(k) : k;
}

/** The model: hex(key) -> [key, value]. */
type Model = Map<string, Entry>;

function sortedEntries(m: Model): Entry[] {
  const hexes = [...m.keys()].sort();
  return hexes.map((h) => m.get(h) as Entry);
}

function startsWith(k: Uint8Array, p: Uint8Array): boolean {
  if (p.length > k.length) return false;
  for (let i = 0; i < p.length; i++) if (k[i] !== p[i]) return false;
  return true;
}

/** Whether `k` satisfies every bound of `o` (the engine keeps the tightest; a conjunction is the same). */
function inRange(k: Uint8Array, o: RangeOptions): boolean {
  if (o.gt !== undefined && compareBytes(k, toBytes(o.gt)) <= 0) return false;
  if (o.gte !== undefined && compareBytes(k, toBytes(o.gte)) < 0) return false;
  if (o.lt !== undefined && compareBytes(k, toBytes(o.lt)) >= 0) return false;
  if (o.lte !== undefined && compareBytes(k, toBytes(o.lte)) > 0) return false;
  if (o.prefix !== undefined && !startsWith(k, toBytes(o.prefix))) return false;
  return true;
}

function expectedScan(m: Model, o: IteratorOptions): Entry[] {
  let out = sortedEntries(m).filter(([k]) => inRange(k, o));
  if (o.reverse) out.reverse();
  if (o.limit !== undefined) out = out.slice(0, o.limit);
  return out;
}

/**
 * The keyspace of a run: about 300 keys of varying length, among them the empty key, decimal
 * strings (so "1", "12" and "123" are prefixes of one another), single bytes, keys ending in 0xff
 * runs and a few random binary keys.
 */
function buildKeyspace(rng: Rng): Uint8Array[] {
  const seen = new Set<string>();
  const keys: Uint8Array[] = [];
  const add = (k: Uint8Array) => {
    const h = hex(k);
    if (seen.has(h)) return;
    seen.add(h);
    keys.push(k);
  };
  add(new Uint8Array(0));
  for (const text of ["é", "éa", "ключ", "日本", "日本語", "\u{1f600}", "a\u{1f600}"]) add(encoder.encode(text));
  for (const fixed of [[0x00], [0x00, 0x00], [0x01], [0xff], [0xff, 0xff], [0xff, 0xff, 0xff], [0xfe, 0xff]]) {
    add(Uint8Array.from(fixed));
  }
  for (let i = 0; i <= 300; i++) {
    const form = rng.int(0, 11);
    if (form <= 6) add(encoder.encode(String(i)));
    else if (form === 7) add(encoder.encode(`${i}/${rng.int(0, 9)}`));
    else if (form === 8) add(Uint8Array.from([i & 0xff]));
    else if (form === 9) add(Uint8Array.from([i & 0xff, 0xff, 0xff].slice(0, rng.int(2, 3))));
    else if (form === 10) add(rng.bytes(rng.int(1, 24)));
    else add(encoder.encode(`k${String(i).padStart(3, "0")}${"x".repeat(rng.int(0, 40))}`));
  }
  return keys;
}

function randomOptions(rng: Rng, fs: FileSystem): StoreOptions {
  const l0CompactionTrigger = rng.int(1, 4);
  const durabilities: Durability[] = ["strict", "relaxed", "none"];
  return {
    fs,
    writeBufferSize: rng.int(1, 16) * 1024,
    blockSize: rng.int(64, 1024),
    restartInterval: rng.int(1, 16),
    bloomBitsPerKey: rng.chance(0.5) ? 0 : 10,
    l0CompactionTrigger,
    l0StopTrigger: rng.int(l0CompactionTrigger, l0CompactionTrigger + 8),
    targetFileSize: rng.int(1, 16) * 1024,
    levelBaseBytes: rng.int(4, 64) * 1024,
    levelMultiplier: rng.int(2, 10),
    numLevels: rng.int(3, 7),
    walShards: rng.int(1, 8),
    durability: rng.pick(durabilities),
    // The relaxed-sync timer is the engine's only timer: keep it from firing, so that a run
    // depends on nothing but its seed (no crash is simulated, so when relaxed writes sync is moot).
    relaxedIntervalMs: 3_600_000,
    compactionThread: "inline",
    maxImmutableMemtables: rng.int(1, 3),
  };
}

function describeOptions(o: StoreOptions): string {
  const { fs: _fs, ...rest } = o;
  return JSON.stringify(rest);
}

// -------------------------------------------------------------------------------------------------
// The run

class ModelFailure extends Error {
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = "ModelFailure";
  }
}

interface LiveSnapshot {
  snap: Snapshot;
  model: Model;
  takenAt: number;
}

interface LiveIterator {
  it: StoreIterator;
  expected: Entry[];
  got: Entry[];
  desc: string;
}

interface PlannedIngest {
  pairs: Entry[];
  desc: string;
  /** The pairs as ingest() takes them: an array, or an async generator. */
  source(): Iterable<Entry> | AsyncIterable<Entry>;
  apply(m: Model): void;
}

interface PlannedWrite {
  desc: string;
  /** The keys the write touches. */
  keys: Uint8Array[];
  issue(store: Store): Promise<void>;
  apply(m: Model): void;
}

type OpName =
  | "put"
  | "del"
  | "delRange"
  | "batch"
  | "get"
  | "getMany"
  | "iterate"
  | "iterStart"
  | "iterResume"
  | "snapshot"
  | "snapshotRead"
  | "snapshotRelease"
  | "flush"
  | "compact"
  | "ingest"
  | "reopen"
  | "concurrent"
  | "checkpoint";

const OP_WEIGHTS: ReadonlyArray<readonly [OpName, number]> = [
  ["put", 18],
  ["del", 7],
  ["delRange", 2],
  ["batch", 8],
  ["get", 11],
  ["getMany", 5],
  ["iterate", 12],
  ["iterStart", 2],
  ["iterResume", 3],
  ["snapshot", 3],
  ["snapshotRead", 6],
  ["snapshotRelease", 2],
  ["flush", 2],
  ["compact", 2],
  ["ingest", 3],
  ["reopen", 1.2],
  ["concurrent", 6],
  ["checkpoint", 0.6],
];

/** Progress reports, so that a watchdog can tell where a run that stopped moving got stuck. */
export interface RunHooks {
  /** Called as each operation starts, with its index and description. */
  progress?(opIndex: number, desc: string): void;
}

class Run {
  readonly rng: Rng;
  readonly disk = new MemoryFileSystem();
  /** The disk, with syncs that finish a few event-loop turns late (0 turns for some seeds). */
  readonly fs: SlowSyncFileSystem;
  readonly syncDelay: number;
  readonly options: StoreOptions;
  readonly keys: Uint8Array[];
  /** A few keys most operations go to, so keys are overwritten and deleted often. */
  readonly hot: Uint8Array[];
  store!: Store;
  model: Model = new Map();
  snaps: LiveSnapshot[] = [];
  iters: LiveIterator[] = [];
  opIndex = -1;
  opDesc = "setup";
  readonly log: string[] = [];
  private valueCounter = 0;
  /** Values returned earlier, with copies of what they held then. */
  private readonly held: Array<{ view: Uint8Array; copy: Uint8Array; what: string }> = [];
  /** The highest stats().seq seen: it never goes down, not even across a reopen. */
  private lastSeq = 0;
  private checkpoints = 0;
  /** Operations run, by name, and engine activity summed over every open of the store. */
  readonly opCounts = new Map<string, number>();
  readonly activity = { flushes: 0, compactions: 0, moves: 0, ingests: 0, deepestLevel: 0, maxL0: 0 };
  private readonly trace = process.env.SHALE_TRACE === "1";

  constructor(
    readonly seed: number,
    readonly ops: number,
    private readonly hooks: RunHooks = {},
  ) {
    this.rng = new Rng(seed);
    this.syncDelay = this.rng.chance(0.25) ? 0 : this.rng.int(1, 8);
    this.fs = new SlowSyncFileSystem(this.disk, seededRandom(seed ^ 0x2545f491), this.syncDelay);
    this.options = randomOptions(this.rng, this.fs);
    this.keys = buildKeyspace(this.rng);
    this.hot = Array.from({ length: 24 }, () => this.rng.pick(this.keys));
  }

  // --- failure reporting ---------------------------------------------------------------------

  fail(message: string, cause?: unknown): never {
    const recent = this.log.slice(-20).join("\n    ");
    throw new ModelFailure(
      `seed=${this.seed} op #${this.opIndex} (${this.opDesc}): ${message}\n` +
        `  options: ${describeOptions(this.options)}, syncs late by up to ${this.syncDelay} turns\n` +
        `  replay: SHALE_SEED=${this.seed} SHALE_OPS=${this.opIndex + 1} SHALE_TRACE=1 node --import tsx --test test/model.test.ts\n` +
        `  recent operations (last ${Math.min(20, this.log.length)}):\n    ${recent}`,
      cause === undefined ? undefined : { cause },
    );
  }

  note(desc: string): void {
    this.opDesc = desc;
    const line = `#${this.opIndex} ${desc}`;
    this.log.push(line);
    this.hooks.progress?.(this.opIndex, desc);
    if (this.trace) console.log(`[seed ${this.seed}] ${line}`);
  }

  checkGet(what: string, key: Uint8Array, actual: Uint8Array | undefined, model: Model): void {
    const exp = model.get(hex(key))?.[1];
    const ok = exp === undefined ? actual === undefined : actual !== undefined && sameBytes(actual, exp);
    if (!ok) this.fail(`${what}: get(${fmtKey(key)}) returned ${fmtValue(actual)}, the model has ${fmtValue(exp)}`);
    if (actual !== undefined && actual.length > 0 && this.rng.chance(0.05)) this.hold(actual, `${what} ${fmtKey(key)}`);
  }

  /**
   * Keeps a returned value (a view into the store's memory) to check later that it never changes
   * under its holder: no buffer it points into may be reused while it is reachable.
   */
  hold(view: Uint8Array, what: string): void {
    this.held.push({ view, copy: view.slice(), what: `${what} at #${this.opIndex}` });
    if (this.held.length > 16) this.held.shift();
  }

  checkHeld(): void {
    for (const h of this.held) {
      if (!sameBytes(h.view, h.copy)) {
        this.fail(
          `a value returned earlier (${h.what}) changed under its holder: ${fmtValue(h.copy)} is now ${fmtValue(h.view)}`,
        );
      }
    }
  }

  checkEntries(what: string, actual: Entry[], expected: Entry[]): void {
    const n = Math.max(actual.length, expected.length);
    for (let i = 0; i < n; i++) {
      const a = actual[i];
      const e = expected[i];
      if (a !== undefined && e !== undefined && sameBytes(a[0], e[0]) && sameBytes(a[1], e[1])) continue;
      const show = (x: Entry | undefined) => (x === undefined ? "(end)" : `${fmtKey(x[0])} => ${fmtValue(x[1])}`);
      this.fail(
        `${what}: entry ${i} is ${show(a)}, the model expects ${show(e)} ` +
          `(got ${actual.length} entries, expected ${expected.length}; ` +
          `previous entry ${i > 0 ? show(expected[i - 1]) : "(none)"})`,
      );
    }
  }

  async expectReject(what: string, p: Promise<unknown>, cls: new (...args: never[]) => Error): Promise<void> {
    try {
      await p;
    } catch (err) {
      if (err instanceof cls) return;
      this.fail(`${what}: rejected with ${String(err)}, expected ${cls.name}`, err);
    }
    this.fail(`${what}: resolved, expected a ${cls.name} rejection`);
  }

  expectThrow(what: string, fn: () => unknown, cls: new (...args: never[]) => Error): void {
    try {
      fn();
    } catch (err) {
      if (err instanceof cls) return;
      this.fail(`${what}: threw ${String(err)}, expected ${cls.name}`, err);
    }
    this.fail(`${what}: returned normally, expected a ${cls.name}`);
  }

  // --- random inputs -------------------------------------------------------------------------

  /** A key of the keyspace (half the time a hot one), never one whose hex is in `avoid`. */
  randomKey(avoid?: ReadonlySet<string>): Uint8Array {
    const k = this.rng.chance(0.5) ? this.rng.pick(this.hot) : this.rng.pick(this.keys);
    if (avoid === undefined || !avoid.has(hex(k))) return k;
    const free = this.keys.filter((x) => !avoid.has(hex(x)));
    return free.length > 0 ? this.rng.pick(free) : k;
  }

  /** A key outside the keyspace now and then, for bounds and misses. */
  randomProbeKey(): Uint8Array {
    if (!this.rng.chance(0.15)) return this.randomKey();
    const base = this.rng.pick(this.keys);
    const r = this.rng.int(0, 2);
    if (r === 0) return Uint8Array.from([...base, this.rng.int(0, 255)]);
    if (r === 1) return base.subarray(0, Math.max(0, base.length - 1)).slice();
    return this.rng.bytes(this.rng.int(0, 4));
  }

  /** The key as bytes, or now and then as a string when it is valid UTF-8 (strings are stored as UTF-8). */
  keyArg(k: Uint8Array): Key {
    if (this.rng.chance(0.25)) {
      const text = utf8(k);
      if (text !== undefined) return text;
    }
    return k;
  }

  /**
   * A value of 0..200 bytes (rarely up to 20 KB), starting with a tag naming the operation that
   * wrote it; sometimes passed as a string.
   */
  randomValue(): { arg: Uint8Array | string; bytes: Uint8Array } {
    const tag = `v${this.opIndex}.${this.valueCounter++}:`;
    // Now and then a value larger than a block, a memtable or a segment file.
    const len = this.rng.chance(0.08) ? 0 : this.rng.chance(0.01) ? this.rng.int(1000, 20_000) : this.rng.int(0, 200);
    if (this.rng.chance(0.15)) {
      const s = (tag + "abcdefghijklmnopqrstuvwxyz".repeat(Math.ceil(len / 26))).slice(0, len);
      return { arg: s, bytes: encoder.encode(s) };
    }
    const bytes = new Uint8Array(len);
    bytes.set(encoder.encode(tag).subarray(0, len));
    for (let i = tag.length; i < len; i++) bytes[i] = this.rng.int(0, 255);
    return { arg: bytes, bytes };
  }

  writeOptions(): { durability: Durability } | undefined {
    if (!this.rng.chance(0.3)) return undefined;
    return { durability: this.rng.pick<Durability>(["strict", "relaxed", "none"]) };
  }

  randomRange(): RangeOptions {
    const o: RangeOptions = {};
    const shape = this.rng.int(0, 9);
    const lower = () => {
      if (this.rng.chance(0.5)) o.gt = this.keyArg(this.randomProbeKey());
      else o.gte = this.keyArg(this.randomProbeKey());
    };
    const upper = () => {
      if (this.rng.chance(0.5)) o.lt = this.keyArg(this.randomProbeKey());
      else o.lte = this.keyArg(this.randomProbeKey());
    };
    const prefix = () => {
      const r = this.rng.int(0, 9);
      let p: Uint8Array;
      if (r === 0) p = Uint8Array.from([0xff]);
      else if (r === 1) p = Uint8Array.from([0xff, 0xff]);
      else if (r === 2) p = new Uint8Array(0);
      else {
        const k = this.rng.pick(this.keys);
        p = k.slice(0, this.rng.int(0, Math.min(k.length, 3)));
      }
      o.prefix = this.keyArg(p);
    };
    if (shape === 1 || shape === 2) lower();
    if (shape === 3 || shape === 4) upper();
    if (shape === 5 || shape === 6) {
      lower();
      upper();
    }
    if (shape === 7) prefix();
    if (shape === 8) {
      prefix();
      if (this.rng.chance(0.5)) lower();
      else upper();
    }
    if (shape === 9) {
      // Several bounds of one side: the tightest must win.
      o.gt = this.keyArg(this.randomProbeKey());
      o.gte = this.keyArg(this.randomProbeKey());
      if (this.rng.chance(0.5)) {
        o.lt = this.keyArg(this.randomProbeKey());
        o.lte = this.keyArg(this.randomProbeKey());
      }
    }
    return o;
  }

  randomIteratorOptions(): IteratorOptions {
    const o: IteratorOptions = this.randomRange();
    if (this.rng.chance(0.4)) o.reverse = true;
    if (this.rng.chance(0.3)) o.limit = this.rng.int(0, 12);
    return o;
  }

  /** A random put, del or batch; `avoid` keeps it off some keys. */
  planWrite(kind?: "put" | "del" | "batch", avoid?: ReadonlySet<string>): PlannedWrite {
    const k =
      kind ??
      this.rng.weighted<"put" | "del" | "batch">([
        ["put", 6],
        ["del", 2],
        ["batch", 2],
      ]);
    const wopts = this.writeOptions();
    const dur = wopts ? ` (${wopts.durability})` : "";
    if (k === "put") {
      const key = this.randomKey(avoid);
      const arg = this.keyArg(key);
      const v = this.randomValue();
      return {
        desc: `put ${fmtKey(key)} = ${fmtValue(v.bytes)}${dur}`,
        keys: [key],
        issue: (s) => s.put(arg, v.arg, wopts),
        apply: (m) => void m.set(hex(key), [key, v.bytes]),
      };
    }
    if (k === "del") {
      const key = this.randomKey(avoid);
      const arg = this.keyArg(key);
      return {
        desc: `del ${fmtKey(key)}${dur}`,
        keys: [key],
        issue: (s) => s.del(arg, wopts),
        apply: (m) => void m.delete(hex(key)),
      };
    }
    const n = this.rng.int(1, 12);
    const ops: BatchOp[] = [];
    const effects: Array<[Uint8Array, Uint8Array | undefined]> = [];
    for (let i = 0; i < n; i++) {
      // Sometimes touch a key this batch already touched: the last operation on it wins.
      const key = i > 0 && this.rng.chance(0.25) ? this.rng.pick(effects)[0] : this.randomKey(avoid);
      if (this.rng.chance(0.7)) {
        const v = this.randomValue();
        ops.push({ type: "put", key: this.keyArg(key), value: v.arg });
        effects.push([key, v.bytes]);
      } else {
        ops.push({ type: "del", key: this.keyArg(key) });
        effects.push([key, undefined]);
      }
    }
    const desc = effects.map(([key, v]) => (v ? `put ${fmtKey(key)}=${fmtValue(v)}` : `del ${fmtKey(key)}`));
    return {
      desc: `batch[${desc.join(", ")}]${dur}`,
      keys: effects.map(([key]) => key),
      issue: (s) => s.batch(ops, wopts),
      apply: (m) => {
        for (const [key, v] of effects) {
          if (v) m.set(hex(key), [key, v]);
          else m.delete(hex(key));
        }
      },
    };
  }

  /**
   * Up to 40 pairs in key order (sometimes none), mostly keys of the keyspace, never one in
   * `avoid`. Ingest overwrites whatever the keys held.
   */
  planIngest(avoid?: ReadonlySet<string>): PlannedIngest {
    const n = this.rng.chance(0.1) ? 0 : this.rng.int(1, 40);
    const chosen = new Map<string, Uint8Array>();
    for (let i = 0; i < n; i++) {
      const k = this.rng.chance(0.3) ? this.randomProbeKey() : this.rng.pick(this.keys);
      if (avoid === undefined || !avoid.has(hex(k))) chosen.set(hex(k), k);
    }
    const pairs: Entry[] = [...chosen.keys()]
      .sort()
      .map((h) => [chosen.get(h) as Uint8Array, this.randomValue().bytes]);
    const asAsync = this.rng.chance(0.3);
    const shown = pairs.map(([k, v]) => `${fmtKey(k)}=${fmtValue(v)}`).join(", ");
    return {
      pairs,
      desc: `ingest ${pairs.length} pairs${asAsync ? " (async source)" : ""}: ${shown}`,
      source: () =>
        asAsync
          ? (async function* () {
              for (const p of pairs) yield p;
            })()
          : pairs,
      apply: (m) => {
        for (const [k, v] of pairs) m.set(hex(k), [k, v]);
      },
    };
  }

  /** Checks what ingest() reported for `plan`. */
  checkIngestResult(plan: PlannedIngest, res: { entries: number; files: number; level: number }): void {
    const n = plan.pairs.length;
    if (res.entries !== n) this.fail(`ingest reported ${res.entries} entries for ${n} pairs`);
    if (n === 0 && (res.files !== 0 || res.level !== -1)) this.fail(`an empty ingest reported ${JSON.stringify(res)}`);
    if (n > 0 && (res.files < 1 || res.level < 0 || res.level >= (this.options.numLevels ?? 7))) {
      this.fail(`ingest reported ${JSON.stringify(res)}`);
    }
  }

  /** Reads an iterator to its end with a random mix of read(), next() and nextv(n). */
  drain(it: StoreIterator, out: Entry[], maxEntries = Number.POSITIVE_INFINITY): boolean {
    while (out.length < maxEntries) {
      const mode = this.rng.int(0, 2);
      if (mode === 0) {
        const e = it.read();
        if (e === undefined) return true;
        out.push(e);
      } else if (mode === 1) {
        const r = it.next();
        if (r.done) return true;
        out.push(r.value);
      } else {
        const want = Math.min(this.rng.int(1, 8), maxEntries - out.length);
        const batch = it.nextv(want);
        if (batch.length > want) this.fail(`nextv(${want}) returned ${batch.length} entries`);
        out.push(...batch);
        // Fewer than asked for: the iterator reached its end (and closed itself).
        if (batch.length < want) return true;
      }
    }
    return false;
  }

  /** After the end, an iterator keeps saying so. */
  checkExhausted(what: string, it: StoreIterator): void {
    if (it.read() !== undefined) this.fail(`${what}: read() after the end returned an entry`);
    if (it.nextv(3).length !== 0) this.fail(`${what}: nextv() after the end returned entries`);
    if (!it.next().done) this.fail(`${what}: next() after the end is not done`);
  }

  // --- consistency of the store's own counters ------------------------------------------------

  checkStats(what: string): void {
    const st = this.store.stats();
    if (st.snapshots !== this.snaps.length) {
      this.fail(`${what}: stats().snapshots is ${st.snapshots}, but ${this.snaps.length} snapshots are alive`);
    }
    if (st.openIterators !== this.iters.length) {
      this.fail(`${what}: stats().openIterators is ${st.openIterators}, but ${this.iters.length} are open`);
    }
    if (st.levels.length !== this.options.numLevels) {
      this.fail(`${what}: stats() lists ${st.levels.length} levels, expected ${this.options.numLevels}`);
    }
    let files = 0;
    let bytes = 0;
    for (const l of st.levels) {
      if (l.files < 0 || l.bytes < 0 || (l.files === 0) !== (l.bytes === 0)) {
        this.fail(`${what}: odd level stats ${JSON.stringify(l)}`);
      }
      files += l.files;
      bytes += l.bytes;
    }
    if (files !== st.files || bytes !== st.bytes) this.fail(`${what}: stats() totals do not add up`);
    if (st.memtable.immutables > (this.options.maxImmutableMemtables ?? 2)) {
      this.fail(`${what}: ${st.memtable.immutables} immutable memtables, more than maxImmutableMemtables`);
    }
    if (!Number.isSafeInteger(st.seq) || st.seq < this.lastSeq) {
      this.fail(`${what}: stats().seq is ${st.seq}, it was ${this.lastSeq} before`);
    }
    this.lastSeq = st.seq;
    const a = this.activity;
    a.maxL0 = Math.max(a.maxL0, st.levels[0].files);
    for (const l of st.levels) if (l.files > 0) a.deepestLevel = Math.max(a.deepestLevel, l.level);
  }

  /** Adds the counters of the store about to be closed to `activity`. */
  recordActivity(store: Store): void {
    const st = store.stats();
    this.activity.flushes += st.flushes.count;
    this.activity.compactions += st.compactions.count;
    this.activity.moves += st.compactions.moves;
    this.activity.ingests += st.ingests.count;
  }

  summary(): string {
    const ops = [...this.opCounts.entries()].map(([k, v]) => `${k}=${v}`).join(" ");
    return `seed ${this.seed}: syncs late by <= ${this.syncDelay} turns, ${this.keys.length} keys, ${this.model.size} live at the end; ops: ${ops}; engine: ${JSON.stringify(this.activity)}`;
  }

  // --- operations ----------------------------------------------------------------------------

  async step(op: OpName): Promise<void> {
    switch (op) {
      case "put":
      case "del":
      case "batch": {
        const w = this.planWrite(op);
        this.note(w.desc);
        await w.issue(this.store);
        w.apply(this.model);
        // Read-your-writes: once acknowledged, the written keys read back at once.
        for (const k of w.keys) this.checkGet("read after write", k, this.store.get(this.keyArg(k)), this.model);
        return;
      }
      case "delRange":
        return this.opDelRange();
      case "get":
        return this.opGet(this.rng.int(1, 6));
      case "getMany":
        return this.opGetMany(undefined);
      case "iterate":
        return this.opIterate(undefined);
      case "iterStart":
        return this.opIterStart();
      case "iterResume":
        return this.opIterResume();
      case "snapshot":
        return this.opSnapshot();
      case "snapshotRead":
        return this.opSnapshotRead();
      case "snapshotRelease":
        return this.opSnapshotRelease();
      case "flush":
        return this.opFlush();
      case "compact":
        return this.opCompact();
      case "ingest":
        return this.opIngest();
      case "reopen":
        return this.opReopen();
      case "concurrent":
        return this.opConcurrent();
      case "checkpoint":
        return this.opCheckpoint();
    }
  }

  /** Deletes what an iterator over a random range finds, in one batch (keys one by one when small). */
  async opDelRange(): Promise<void> {
    const o: IteratorOptions = { ...this.randomRange(), limit: this.rng.int(1, 40) };
    this.note(`delRange ${fmtRange(o)}`);
    const found: Entry[] = [];
    this.drain(this.store.iterator(o), found);
    this.checkEntries(`delRange ${fmtRange(o)}: scan`, found, expectedScan(this.model, o));
    const wopts = this.writeOptions();
    if (found.length <= 3) {
      for (const [k] of found) await this.store.del(this.keyArg(k), wopts);
    } else {
      await this.store.batch(
        found.map(([k]) => ({ type: "del", key: this.keyArg(k) })),
        wopts,
      );
    }
    for (const [k] of found) this.model.delete(hex(k));
    const after: Entry[] = [];
    this.drain(this.store.iterator(o), after);
    this.checkEntries(`delRange ${fmtRange(o)}: scan after deleting`, after, expectedScan(this.model, o));
  }

  opGet(n: number): void {
    const keys = Array.from({ length: n }, () => this.randomProbeKey());
    this.note(`get ${keys.map(fmtKey).join(" ")}`);
    for (const k of keys) this.checkGet("get", k, this.store.get(this.keyArg(k)), this.model);
  }

  opGetMany(live: LiveSnapshot | undefined): void {
    const keys = Array.from({ length: this.rng.int(0, 12) }, () => this.randomProbeKey());
    const args = keys.map((k) => this.keyArg(k));
    this.note(`getMany${live ? ` @snapshot#${live.takenAt}` : ""} [${keys.map(fmtKey).join(" ")}]`);
    const got = this.store.getMany(args, live ? { snapshot: live.snap } : undefined);
    if (got.length !== keys.length) this.fail(`getMany returned ${got.length} values for ${keys.length} keys`);
    const model = live ? live.model : this.model;
    keys.forEach((k, i) => void this.checkGet(`getMany[${i}]`, k, got[i], model));
  }

  opIterate(live: LiveSnapshot | undefined): void {
    const o = this.randomIteratorOptions();
    const desc = `iterate ${fmtRange(o)}${live ? ` @snapshot#${live.takenAt}` : ""}`;
    this.note(desc);
    const it = this.store.iterator(live ? { ...o, snapshot: live.snap } : o);
    const expected = expectedScan(live ? live.model : this.model, o);
    const got: Entry[] = [];
    // Sometimes stop early and close: the iterator must release what it holds.
    const stopAt = this.rng.chance(0.2) ? this.rng.int(0, expected.length) : Number.POSITIVE_INFINITY;
    const ended = this.drain(it, got, stopAt);
    if (ended) {
      this.checkEntries(desc, got, expected);
      this.checkExhausted(desc, it);
    } else {
      this.checkEntries(`${desc} (first ${got.length})`, got, expected.slice(0, got.length));
      it.close();
      it.close(); // twice is fine
      if (it.read() !== undefined) this.fail(`${desc}: read() after close() returned an entry`);
    }
  }

  opIterStart(): void {
    if (this.iters.length >= MAX_OPEN_ITERATORS) {
      this.opIterResume();
      return;
    }
    const live = this.snaps.length > 0 && this.rng.chance(0.3) ? this.rng.pick(this.snaps) : undefined;
    const o = this.randomIteratorOptions();
    const desc = `iterator opened at #${this.opIndex} ${fmtRange(o)}${live ? ` @snapshot#${live.takenAt}` : ""}`;
    this.note(`iterStart ${desc}`);
    const it = this.store.iterator(live ? { ...o, snapshot: live.snap } : o);
    const li: LiveIterator = {
      it,
      expected: expectedScan(live ? live.model : this.model, o),
      got: [],
      desc,
    };
    // Leave it open across the next operations (writes, flushes, compactions): it must keep seeing
    // the state it was opened on, even once the snapshot it was opened with is released.
    this.iters.push(li);
    if (live && this.rng.chance(0.3)) {
      this.snaps.splice(this.snaps.indexOf(live), 1);
      live.snap.release();
      this.log.push(`    released snapshot#${live.takenAt} under the iterator`);
    }
    if (this.rng.chance(0.5)) this.resumeIterator(li, this.rng.int(0, 3));
  }

  opIterResume(): void {
    if (this.iters.length === 0) {
      this.opIterStart();
      return;
    }
    const li = this.rng.pick(this.iters);
    this.note(`iterResume ${li.desc}`);
    this.resumeIterator(li, this.rng.chance(0.4) ? Number.POSITIVE_INFINITY : this.rng.int(1, 6));
  }

  resumeIterator(li: LiveIterator, more: number): void {
    const before = li.got.length;
    const ended = this.drain(li.it, li.got, before + more);
    if (ended) {
      this.checkEntries(li.desc, li.got, li.expected);
      this.checkExhausted(li.desc, li.it);
      this.iters.splice(this.iters.indexOf(li), 1);
    } else {
      this.checkEntries(`${li.desc} (first ${li.got.length})`, li.got, li.expected.slice(0, li.got.length));
    }
  }

  opSnapshot(): void {
    if (this.snaps.length >= MAX_SNAPSHOTS) {
      this.opSnapshotRead();
      return;
    }
    this.note("snapshot");
    const snap = this.store.snapshot();
    this.snaps.push({ snap, model: new Map(this.model), takenAt: this.opIndex });
  }

  opSnapshotRead(): void {
    if (this.snaps.length === 0) {
      this.opSnapshot();
      return;
    }
    const live = this.rng.pick(this.snaps);
    const r = this.rng.int(0, 2);
    if (r === 0) {
      const keys = Array.from({ length: this.rng.int(1, 6) }, () => this.randomProbeKey());
      this.note(`get @snapshot#${live.takenAt} ${keys.map(fmtKey).join(" ")}`);
      for (const k of keys) {
        this.checkGet(
          `get @snapshot#${live.takenAt}`,
          k,
          this.store.get(this.keyArg(k), { snapshot: live.snap }),
          live.model,
        );
      }
    } else if (r === 1) {
      this.opGetMany(live);
    } else {
      this.opIterate(live);
    }
  }

  opSnapshotRelease(): void {
    if (this.snaps.length === 0) {
      this.opSnapshot();
      return;
    }
    const live = this.snaps.splice(this.rng.int(0, this.snaps.length - 1), 1)[0];
    this.note(`release snapshot#${live.takenAt}`);
    live.snap.release();
    if (this.rng.chance(0.3)) live.snap.release(); // a second release is a no-op
  }

  async opFlush(): Promise<void> {
    this.note("flush");
    await this.store.flush();
    const st = this.store.stats();
    if (st.memtable.entries !== 0 || st.memtable.immutables !== 0) {
      this.fail(
        `after flush() the memtables hold ${st.memtable.entries} entries, ${st.memtable.immutables} immutables`,
      );
    }
  }

  async opCompact(): Promise<void> {
    const whole = this.rng.chance(0.4);
    const range = whole ? {} : this.randomRange();
    this.note(`compact ${whole ? "(all)" : fmtRange(range)}`);
    await this.store.compact(range);
    if (whole) {
      const st = this.store.stats();
      if (st.levels[0].files !== 0)
        this.fail(`after compact() of everything level 0 still has ${st.levels[0].files} files`);
      if (st.memtable.entries !== 0) this.fail(`after compact() the memtable holds ${st.memtable.entries} entries`);
    }
  }

  async opIngest(): Promise<void> {
    const plan = this.planIngest();
    if (plan.pairs.length >= 2 && this.rng.chance(0.12)) {
      // Out of order, or a duplicate key: rejected before anything is written.
      const pairs = plan.pairs.slice();
      const i = this.rng.int(1, pairs.length - 1);
      if (this.rng.chance(0.5)) [pairs[i - 1], pairs[i]] = [pairs[i], pairs[i - 1]];
      else pairs[i] = [pairs[i - 1][0], pairs[i][1]];
      this.note(`ingest of ${pairs.length} pairs, out of order at ${i}`);
      await this.expectReject("ingest of unsorted pairs", this.store.ingest(pairs), InvalidArgumentError);
      return;
    }
    this.note(plan.desc);
    this.checkIngestResult(plan, await this.store.ingest(plan.source()));
    plan.apply(this.model);
  }

  async opReopen(): Promise<void> {
    const unawaited = this.rng.chance(0.3) ? this.rng.int(1, 4) : 0;
    const keepIterator = this.rng.chance(0.4);
    const side = this.rng.chance(0.3) ? this.rng.pick(["flush", "compact", "ingest"] as const) : undefined;
    this.note(
      `reopen (${unawaited} writes${side ? ` and a ${side}` : ""} in flight at close` +
        `${keepIterator ? ", an iterator left open" : ""})`,
    );
    for (const live of this.snaps) live.snap.release();
    this.snaps = [];
    let zombie: StoreIterator | undefined;
    if (keepIterator) {
      zombie = this.store.iterator(this.randomIteratorOptions());
      // An iterator that already reached its end is closed and keeps saying so.
      if (zombie.read() === undefined) zombie = undefined;
    }
    // Writes accepted before close() still finish.
    const inflight: Promise<void>[] = [];
    const touched = new Set<string>();
    for (let i = 0; i < unawaited; i++) {
      const w = this.planWrite();
      this.log.push(`    in flight: ${w.desc}`);
      inflight.push(w.issue(this.store));
      w.apply(this.model);
      for (const k of w.keys) touched.add(hex(k));
    }
    // A flush, compaction or ingest in flight when close() is called either finishes or fails with
    // StoreClosedError; an ingest is all or nothing. Its keys stay clear of the writes in flight.
    let sideResult: Promise<unknown> = Promise.resolve();
    let ingest: PlannedIngest | undefined;
    if (side === "flush") sideResult = this.store.flush();
    else if (side === "compact") sideResult = this.store.compact();
    else if (side === "ingest") {
      ingest = this.planIngest(touched);
      this.log.push(`    in flight: ${ingest.desc}`);
      sideResult = this.store.ingest(ingest.source());
    }
    const sideOutcome = sideResult.then(
      (value) => ({ ok: true as const, value }),
      (error: unknown) => ({ ok: false as const, error }),
    );

    const old = this.store;
    this.recordActivity(old);
    await old.close();
    // From here on the closed store must leave the disk alone.
    this.fs.frozen = true;
    try {
      await Promise.all(inflight);
    } catch (err) {
      this.fail(`a write accepted before close() failed: ${String(err)}`, err);
    }
    const outcome = await sideOutcome;
    if (!outcome.ok && !(outcome.error instanceof StoreClosedError)) {
      const e = outcome.error;
      this.fail(
        `${side} in flight at close() failed with ${e instanceof Error ? `${e.name}: ${e.message}` : String(e)}, ` +
          "expected it to finish or fail with StoreClosedError",
        e,
      );
    }
    if (ingest && outcome.ok) {
      this.checkIngestResult(ingest, outcome.value as { entries: number; files: number; level: number });
      ingest.apply(this.model);
    }
    this.log.push(`    ${side ?? "nothing"} in flight: ${outcome.ok ? "finished" : "StoreClosedError"}`);
    for (let i = 0; i < 20; i++) await nextTurn(); // time for stray background work to show
    if (this.fs.violations.length > 0) {
      this.fail(`the disk was changed after close() resolved: ${this.fs.violations.slice(0, 6).join("; ")}`);
    }
    this.fs.frozen = false;

    const seqBefore = old.stats().seq;
    for (const li of [...this.iters, ...(zombie ? [{ it: zombie, desc: "zombie" }] : [])]) {
      this.expectThrow(`${li.desc}: read() after close()`, () => li.it.read(), StoreClosedError);
    }
    this.iters = [];
    this.expectThrow("get() after close()", () => old.get("x"), StoreClosedError);
    this.expectThrow("iterator() after close()", () => old.iterator(), StoreClosedError);
    await this.expectReject("put() after close()", old.put("x", "y"), StoreClosedError);
    await old.close(); // twice is fine

    this.store = await open(DIR, this.options);
    const seqAfter = this.store.stats().seq;
    if (seqAfter !== seqBefore) {
      this.fail(`the sequence number was ${seqBefore} at close and is ${seqAfter} after reopening`);
    }
    if (this.rng.chance(0.3)) {
      await this.expectReject("a second open() of an open store", open(DIR, this.options), StoreLockedError);
    }
  }

  /**
   * Checkpoints the store into a new directory, opens the copy as a store of its own and checks that
   * it holds exactly the model; writes to the copy must not show in the original.
   */
  async opCheckpoint(): Promise<void> {
    const dir = `/checkpoint-${this.checkpoints++}`;
    this.note(`checkpoint to ${dir}`);
    await this.store.checkpoint(dir);
    await this.expectReject("a second checkpoint into the same directory", this.store.checkpoint(dir), Error);
    // Without automatic compaction, writes to the copy could stall for good once level 0 reaches
    // l0StopTrigger (as documented), so then the copy is only read.
    const autoCompaction = this.rng.chance(0.5);
    const copy = await open(dir, { ...this.options, autoCompaction });
    const k = this.randomKey();
    try {
      const got: Entry[] = [];
      this.drain(copy.iterator(), got);
      this.checkEntries(`scan of the checkpoint in ${dir}`, got, sortedEntries(this.model));
      if (autoCompaction) {
        await copy.put(k, "written to the checkpoint only");
        await copy.flush();
      }
    } finally {
      await copy.close();
    }
    this.checkGet(
      "get from the original after writing to its checkpoint",
      k,
      this.store.get(this.keyArg(k)),
      this.model,
    );
  }

  /**
   * Several writes issued without awaiting, sometimes with a flush, compact, ingest or iterator
   * started among them; then all are awaited. Write promises resolve in issue order, and the model
   * applies everything in issue order.
   */
  async opConcurrent(): Promise<void> {
    const n = this.rng.int(2, 8);
    type Extra = { at: number; kind: "flush" | "compact" | "iterator" | "ingest" };
    const extras: Extra[] = [];
    const extraCount = this.rng.chance(0.3) ? this.rng.int(1, 2) : 0;
    for (let i = 0; i < extraCount; i++) {
      const kind = this.rng.pick(["flush", "compact", "iterator", "ingest"] as const);
      if (kind === "ingest" && extras.some((e) => e.kind === "ingest")) continue;
      extras.push({ at: this.rng.int(0, n), kind });
    }
    extras.sort((a, b) => a.at - b.at);
    // A flush, compact or ingest orders the writes issued before it, and may make them visible
    // at once; without one, nothing issued is visible before the end of the event-loop turn.
    const ordered = extras.some((e) => e.kind !== "iterator");
    const takeSnapshot = !ordered && this.rng.chance(0.3) && this.snaps.length < MAX_SNAPSHOTS;
    const shown = extras.map((e) => `${e.kind} before write ${e.at}`).join(", ");
    this.note(`concurrent ${n} writes${shown ? `, ${shown}` : ""}${takeSnapshot ? ", snapshot" : ""}`);

    // Writes issued after an ingest stay off its keys: which of the two is newer is then moot.
    // Writes issued before it are older: the ingested values must win.
    const ingestAt = extras.find((e) => e.kind === "ingest")?.at ?? n + 1;
    const ingest = ingestAt <= n ? this.planIngest() : undefined;
    const ingestKeys = new Set(ingest?.pairs.map(([k]) => hex(k)));
    const planned = Array.from({ length: n }, (_, i) =>
      this.planWrite(undefined, i >= ingestAt ? ingestKeys : undefined),
    );
    for (let i = 0; i <= n; i++) {
      for (const e of extras) {
        if (e.at === i) this.log.push(`    ${e.kind === "ingest" && ingest ? ingest.desc : e.kind}`);
      }
      if (i < n) this.log.push(`    ${planned[i].desc}`);
    }

    const before = new Map(this.model);
    const resolved: number[] = [];
    const promises: Promise<void>[] = [];
    const sides: Promise<void>[] = [];
    const sideIterators: StoreIterator[] = [];
    const start = (e: Extra) => {
      if (e.kind === "flush") sides.push(this.store.flush());
      else if (e.kind === "compact") sides.push(this.store.compact());
      else if (e.kind === "iterator") sideIterators.push(this.store.iterator());
      else if (ingest) {
        const plan = ingest;
        sides.push(this.store.ingest(plan.source()).then((res) => this.checkIngestResult(plan, res)));
        plan.apply(this.model);
      }
    };
    for (let i = 0; i <= n; i++) {
      for (const e of extras) if (e.at === i) start(e);
      if (i === n) break;
      const w = planned[i];
      promises.push(w.issue(this.store).then(() => void resolved.push(i)));
      w.apply(this.model);
    }

    if (!ordered) {
      const probe = this.randomProbeKey();
      this.checkGet("get right after issuing writes", probe, this.store.get(this.keyArg(probe)), before);
      if (takeSnapshot) this.snaps.push({ snap: this.store.snapshot(), model: before, takenAt: this.opIndex });
    }

    try {
      await Promise.all(promises);
      await Promise.all(sides);
    } catch (err) {
      this.fail(`a concurrent write${shown ? ` or ${shown}` : ""} failed: ${String(err)}`, err);
    }
    for (let i = 0; i < resolved.length; i++) {
      if (resolved[i] !== i) this.fail(`write promises resolved out of order: ${resolved.join(",")}`);
    }
    for (const it of sideIterators) {
      const got: Entry[] = [];
      this.drain(it, got);
      // Opened among unacknowledged writes: it sees none of them (unless something ordered them).
      if (!ordered) this.checkEntries("iterator opened among unacknowledged writes", got, sortedEntries(before));
    }
    for (const k of [...planned.flatMap((w) => w.keys), ...(ingest?.pairs.map(([k]) => k) ?? [])]) {
      this.checkGet("read after concurrent writes", k, this.store.get(this.keyArg(k)), this.model);
    }
  }

  // --- whole-store checks --------------------------------------------------------------------

  fullCheck(what: string): void {
    const fwd = this.store.iterator();
    const got: Entry[] = [];
    this.drain(fwd, got);
    this.checkEntries(`${what}: full forward scan`, got, sortedEntries(this.model));
    const rev = this.store.iterator({ reverse: true });
    const gotRev: Entry[] = [];
    this.drain(rev, gotRev);
    this.checkEntries(`${what}: full reverse scan`, gotRev, sortedEntries(this.model).reverse());
    const values = this.store.getMany(this.keys);
    this.keys.forEach((k, i) => void this.checkGet(`${what}: getMany(every key)`, k, values[i], this.model));
  }

  async run(): Promise<void> {
    this.store = await open(DIR, this.options);
    for (this.opIndex = 0; this.opIndex < this.ops; this.opIndex++) {
      const op = this.rng.weighted(OP_WEIGHTS);
      this.opDesc = op;
      this.opCounts.set(op, (this.opCounts.get(op) ?? 0) + 1);
      try {
        await this.step(op);
        this.checkStats(`after ${op}`);
        this.checkHeld();
      } catch (err) {
        if (err instanceof ModelFailure) throw err;
        this.fail(`threw ${err instanceof Error ? `${err.name}: ${err.message}` : String(err)}`, err);
      }
    }
    this.opDesc = "final checks";
    this.log.push(`#${this.opIndex} final checks`);
    try {
      for (const li of [...this.iters]) this.resumeIterator(li, Number.POSITIVE_INFINITY);
      this.fullCheck("end of run");
      this.checkStats("end of run");
      for (const live of this.snaps) {
        const got: Entry[] = [];
        this.drain(this.store.iterator({ snapshot: live.snap }), got);
        this.checkEntries(`end of run: scan @snapshot#${live.takenAt}`, got, sortedEntries(live.model));
        live.snap.release();
      }
      this.snaps = [];
      this.checkStats("end of run, snapshots released");
      this.recordActivity(this.store);
      await this.store.close();

      // Reopen without background compaction: the store holds exactly the model, and no segment
      // file is left on disk that the store does not use.
      this.opDesc = "final reopen";
      this.store = await open(DIR, { ...this.options, autoCompaction: false });
      this.fullCheck("after the final reopen");
      const st = this.store.stats();
      const onDisk = this.fs.readdir(DIR).filter((n) => n.endsWith(".sst"));
      if (onDisk.length !== st.files) {
        this.fail(`${onDisk.length} segment files on disk (${onDisk.join(" ")}), but the store uses ${st.files}`);
      }
      if (st.openIterators !== 0 || st.snapshots !== 0)
        this.fail(`stats after the final reopen: ${JSON.stringify(st)}`);
      await this.store.close();
    } catch (err) {
      if (err instanceof ModelFailure) throw err;
      this.fail(`threw ${err instanceof Error ? `${err.name}: ${err.message}` : String(err)}`, err);
    }
  }

  /** Best-effort cleanup after a failure, so one failed seed does not hold timers for the rest. */
  async abandon(): Promise<void> {
    try {
      await this.store?.close();
    } catch {
      // already failing
    }
  }
}

/**
 * Runs `ops` random operations for `seed` and the final checks; resolves with a one-line summary
 * of what ran, or rejects with a ModelFailure naming the seed, the operation and the recent history.
 */
export async function runModel(seed: number, ops: number, hooks: RunHooks = {}): Promise<string> {
  const run = new Run(seed, ops, hooks);
  try {
    await run.run();
  } catch (err) {
    await run.abandon();
    throw err;
  }
  if (run.snaps.length !== 0) run.fail("snapshots left alive at the end");
  return run.summary();
}
