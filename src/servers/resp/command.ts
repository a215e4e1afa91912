// The shape of a command: its Redis metadata (arity, flags, key positions; what COMMAND INFO
// reports) and its handler, plus the argument helpers every command family shares.
//
// A handler runs synchronously with the arguments still in the connection's input buffer
// (a.argBuf[a.starts[i], a.ends[i])), writes its reply to c.reply, and must not keep references to
// the argument bytes after it returns (copy them, e.g. with argString, when they must outlive it).

import type { ValueType } from "../../cache/entry.js";
import { latin1 } from "../../format/latin1.js";
import type { Client } from "./client.js";

export interface Args {
  argBuf: Buffer;
  starts: Int32Array;
  ends: Int32Array;
  argc: number;
}

export type CommandFlag =
  | "write"
  | "readonly"
  | "denyoom"
  | "admin"
  | "pubsub"
  | "noscript"
  | "blocking"
  | "loading"
  | "stale"
  | "fast"
  | "no_auth"
  | "no_multi"
  | "allow_busy"
  | "skip_monitor"
  | "movablekeys";

export interface CommandSpec {
  /** Lower-case name, e.g. "get"; a subcommand container lists its subcommands in `subcommands`. */
  name: string;
  /** Redis arity: the exact argument count including the name, or -N for at least N. */
  arity: number;
  flags: CommandFlag[];
  firstKey: number;
  lastKey: number;
  step: number;
  /** ACL categories without the @, e.g. ["string", "fast"]. */
  categories?: string[];
  run: (c: Client, a: Args) => void;
  /** Subcommands (CONFIG GET, CLIENT LIST ...), each with name "config|get" etc. */
  subcommands?: CommandSpec[];
}

/** Builds a spec with the common defaults. */
export function command(
  name: string,
  arity: number,
  flags: CommandFlag[],
  keys: [first: number, last: number, step: number],
  run: (c: Client, a: Args) => void,
  categories: string[] = [],
): CommandSpec {
  return { name, arity, flags, firstKey: keys[0], lastKey: keys[1], step: keys[2], run, categories };
}

export const NO_KEYS: [number, number, number] = [0, 0, 0];
export const KEY1: [number, number, number] = [1, 1, 1];

// ---- argument helpers ----

/** Argument i as a latin1 byte string (binary-safe; one char per byte). */
export function argString(a: Args, i: number): string {
  return latin1(a.argBuf, a.starts[i], a.ends[i]);
}

/** Argument i as UTF-8 text (names, patterns shown to people). */
export function argText(a: Args, i: number): string {
  return a.argBuf.toString("utf8", a.starts[i], a.ends[i]);
}

/** A copy of argument i's bytes. */
export function argBytes(a: Args, i: number): Buffer {
  return Buffer.from(a.argBuf.subarray(a.starts[i], a.ends[i]));
}

export function argLen(a: Args, i: number): number {
  return a.ends[i] - a.starts[i];
}

/** Case-insensitive comparison of argument i with a lower-case ASCII word, without allocating. */
export function argIs(a: Args, i: number, lower: string): boolean {
  const s = a.starts[i];
  const n = a.ends[i] - s;
  if (n !== lower.length) return false;
  const b = a.argBuf;
  for (let j = 0; j < n; j++) {
    let ch = b[s + j];
    if (ch >= 65 && ch <= 90) ch += 32;
    if (ch !== lower.charCodeAt(j)) return false;
  }
  return true;
}

/** Argument i lower-cased as a string (option names). */
export function argLower(a: Args, i: number): string {
  return latin1(a.argBuf, a.starts[i], a.ends[i]).toLowerCase();
}

/**
 * Argument i as an integer under Redis's string2ll rules (no sign '+', no spaces, no leading
 * zeros), or null. Values beyond +-2^53 are returned as null by this fast helper; commands that
 * need the whole int64 range use cache/numbers.ts.
 */
export function argInt(a: Args, i: number): number | null {
  const b = a.argBuf;
  let p = a.starts[i];
  const end = a.ends[i];
  if (p === end || end - p > 17) return slowInt(a, i);
  let neg = false;
  if (b[p] === 45) {
    neg = true;
    p++;
    if (p === end) return null;
  }
  if (b[p] === 48) return p + 1 === end && !neg ? 0 : null;
  let v = 0;
  for (; p < end; p++) {
    const d = b[p] - 48;
    if (d < 0 || d > 9) return null;
    v = v * 10 + d;
  }
  return neg ? -v : v;
}

function slowInt(a: Args, i: number): number | null {
  const s = argString(a, i);
  if (!/^-?[1-9][0-9]*$/.test(s)) return null;
  const big = BigInt(s);
  if (big > BigInt(Number.MAX_SAFE_INTEGER) || big < BigInt(Number.MIN_SAFE_INTEGER)) return null;
  return Number(big);
}

// ---- collection lookups ----

/** The handle findCollection found last (valid until the next write to that db). */
export let collectionHandle = 0;

/**
 * The collection of `type` under the key bytes buf[start, end): the object, null when the key is
 * absent, undefined after replying WRONGTYPE. `read` counts keyspace hits and misses and fires the
 * `keymiss` notification, as Redis's lookupKeyRead does. Records the key's handle in collectionHandle.
 */
export function findCollection<T>(
  c: Client,
  buf: Uint8Array,
  start: number,
  end: number,
  type: ValueType,
  read: boolean,
): T | null | undefined {
  const db = c.db;
  const h = read ? db.lookupRead(buf, start, end, !c.noTouch) : db.lookup(buf, start, end, !c.noTouch);
  collectionHandle = h;
  if (h === 0) {
    if (read) c.server.keyMiss(c, buf, start, end);
    return null;
  }
  if (db.type(h) !== type) {
    c.reply.error(ERR_WRONGTYPE);
    return undefined;
  }
  return db.object<T>(h);
}

// ---- Redis's error texts ----

export const ERR_SYNTAX = "ERR syntax error";
export const ERR_NOT_INT = "ERR value is not an integer or out of range";
export const ERR_NOT_FLOAT = "ERR value is not a valid float";
export const ERR_WRONGTYPE = "WRONGTYPE Operation against a key holding the wrong kind of value";
export const ERR_OVERFLOW = "ERR increment or decrement would overflow";
export const ERR_NOAUTH = "NOAUTH Authentication required.";
export const ERR_OOM = "OOM command not allowed when used memory > 'maxmemory'.";
export const ERR_DB_INDEX = "ERR DB index is out of range";
export const ERR_NO_SUCH_KEY = "ERR no such key";
export const ERR_OUT_OF_RANGE = "ERR index out of range";

export function errArity(name: string): string {
  return `ERR wrong number of arguments for '${name}' command`;
}
