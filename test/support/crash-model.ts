// Shared by the crash, corruption and fault tests: a model of the write history (each entry a
// put, a delete, an atomic batch or an ingest, in issue order), the "state after a prefix of the
// history" check that every recovery is held to, seeds (SHALE_SEED replays one trial), and small
// helpers (full scans that cross-check get() and reverse iteration, timeouts, event-loop turns).

import { setImmediate as nextTurn } from "node:timers/promises";
import type { Store } from "../../src/index.js";

const encoder = new TextEncoder();
const decoder = new TextDecoder();

export const enc = (s: string): Uint8Array => encoder.encode(s);
export const dec = (b: Uint8Array): string => decoder.decode(b);

/** One key's change: a put (value is a string) or a delete (value undefined). */
export interface ModelOp {
  key: string;
  value: string | undefined;
}

/** One history entry: applied atomically (a single write, a batch or an ingest). */
export interface ModelEntry {
  ops: readonly ModelOp[];
}

export type State = Map<string, string>;

/** The state after applying `entries` in order. */
export function stateAfter(entries: readonly ModelEntry[], count = entries.length): State {
  const s: State = new Map();
  for (let i = 0; i < count; i++) applyEntry(s, entries[i]);
  return s;
}

export function applyEntry(s: State, e: ModelEntry): void {
  for (const op of e.ops) {
    if (op.value === undefined) s.delete(op.key);
    else s.set(op.key, op.value);
  }
}

export interface PrefixMatch {
  /** Every prefix length whose state equals the actual state, ascending. */
  matches: number[];
  /** The prefix length closest to the actual state (fewest differing keys), for failure messages. */
  closest: number;
  closestDiff: number;
}

/**
 * Which prefixes of `history` produce exactly `actual`. Incremental: one pass over the history,
 * keeping the number of keys where the prefix state and `actual` differ.
 */
export function matchPrefixes(history: readonly ModelEntry[], actual: ReadonlyMap<string, string>): PrefixMatch {
  const s: State = new Map();
  let diff = actual.size;
  const matches: number[] = [];
  let closest = 0;
  let closestDiff = diff;
  if (diff === 0) matches.push(0);
  for (let i = 0; i < history.length; i++) {
    for (const op of history[i].ops) {
      const want = actual.get(op.key);
      const before = s.get(op.key) !== want;
      if (op.value === undefined) s.delete(op.key);
      else s.set(op.key, op.value);
      const after = s.get(op.key) !== want;
      diff += Number(after) - Number(before);
    }
    if (diff === 0) matches.push(i + 1);
    if (diff <= closestDiff) {
      closest = i + 1;
      closestDiff = diff;
    }
  }
  return { matches, closest, closestDiff };
}

/** A short description of how `actual` differs from `expected`, for failure messages. */
export function describeDiff(expected: ReadonlyMap<string, string>, actual: ReadonlyMap<string, string>): string {
  const lines: string[] = [];
  const keys = new Set([...expected.keys(), ...actual.keys()]);
  for (const k of [...keys].sort()) {
    const e = expected.get(k);
    const a = actual.get(k);
    if (e !== a) lines.push(`  ${k}: expected ${short(e)}, got ${short(a)}`);
    if (lines.length >= 8) {
      lines.push("  ...");
      break;
    }
  }
  return lines.join("\n");
}

function short(v: string | undefined): string {
  if (v === undefined) return "(absent)";
  return JSON.stringify(v.length > 24 ? `${v.slice(0, 24)}...` : v);
}

/**
 * Reads the whole store: a forward scan, checked against a reverse scan and against get() of
 * every key in `keySpace` and every key found. Throws on any disagreement (or passes through the
 * store's own error, e.g. a CorruptionError).
 */
export function readAll(store: Store, keySpace: readonly string[] = []): State {
  const out: State = new Map();
  let prev: string | undefined;
  for (const [k, v] of store.iterator()) {
    const key = dec(k);
    if (prev !== undefined && !(prev < key)) throw new Error(`scan out of order: ${prev} then ${key}`);
    prev = key;
    out.set(key, dec(v));
  }
  const reverse = [...store.iterator({ reverse: true })].map(([k]) => dec(k));
  const forward = [...out.keys()];
  if (reverse.length !== forward.length || reverse.some((k, i) => k !== forward[forward.length - 1 - i])) {
    throw new Error(`reverse scan (${reverse.length} keys) disagrees with forward scan (${forward.length} keys)`);
  }
  for (const key of new Set([...keySpace, ...out.keys()])) {
    const got = store.get(key);
    const want = out.get(key);
    const g = got === undefined ? undefined : dec(got);
    if (g !== want) throw new Error(`get(${key}) = ${short(g)} but the scan has ${short(want)}`);
  }
  return out;
}

/**
 * The seeds of a test's trials: SHALE_SEED (replay one trial), else `base`, `base + 1`, ... for
 * `count` trials, times SHALE_TRIALS_SCALE (default 1; raise it for a longer soak).
 */
export function seedsFor(base: number, count: number): number[] {
  const env = process.env.SHALE_SEED;
  if (env !== undefined && env !== "") {
    const n = Number(env);
    if (!Number.isSafeInteger(n)) throw new Error(`SHALE_SEED must be an integer, got ${env}`);
    return [n];
  }
  const scale = Number(process.env.SHALE_TRIALS_SCALE ?? "1");
  if (!(scale > 0))
    throw new Error(`SHALE_TRIALS_SCALE must be a positive number, got ${process.env.SHALE_TRIALS_SCALE}`);
  return Array.from({ length: Math.max(1, Math.round(count * scale)) }, (_, i) => base + i);
}

/** Rejects with a message naming `what` if `p` takes longer than `ms`. */
export async function withTimeout<T>(p: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`timed out after ${ms} ms: ${what}`)), ms);
  });
  try {
    return await Promise.race([p, timeout]);
  } finally {
    clearTimeout(timer);
  }
}

/** Waits `n` turns of the event loop. */
export async function turns(n: number): Promise<void> {
  for (let i = 0; i < n; i++) await nextTurn();
}

/** A label for an unknown thrown value. */
export function errorName(err: unknown): string {
  return err instanceof Error ? `${err.name}: ${err.message}` : String(err);
}
