// The hash command family (HSET ... HSCAN), with Redis 7.0's replies, error texts and order of
// checks. Hashes are HashValue objects held by the store; a hash emptied by HDEL is deleted, and
// every in-place change is reported with db.objectChanged.

import { T_HASH } from "../../../cache/entry.js";
import { HASH_MAX_LISTPACK_ENTRIES, HASH_MAX_LISTPACK_VALUE, HashValue } from "../../../cache/hash.js";
import { addInt64, hincrByFloat, parseInt64, parseInt64Str, parseLongDouble } from "../../../cache/numbers.js";
import type { Client } from "../client.js";
import {
  type Args,
  argIs,
  argString,
  type CommandSpec,
  collectionHandle,
  command,
  ERR_NOT_FLOAT,
  ERR_NOT_INT,
  ERR_OVERFLOW,
  ERR_SYNTAX,
  errArity,
  findCollection,
  KEY1,
} from "../command.js";
import { NOTIFY_GENERIC, NOTIFY_HASH, NOTIFY_NEW, notify } from "../notify.js";
import {
  ERR_INVALID_CURSOR,
  ERR_RANGE_LONG,
  parseScanOptions,
  replyEmptyScan,
  SCAN_INVALID,
  scanCursor,
  scanMatches,
  scanOpts,
} from "./sets.js";

const ERR_HASH_NOT_INT = "ERR hash value is not an integer";
const ERR_VALUE_NAN_INF = "ERR value is NaN or Infinity";
const ERR_RANGE = "ERR value is out of range";
const LONG_MAX_HALF = 4611686018427387903n;

/** The handle of the key found by the last writeHash call. */
let foundHandle = 0;
let maxEntries = HASH_MAX_LISTPACK_ENTRIES;
let maxValue = HASH_MAX_LISTPACK_VALUE;

/** Reads the listpack limits in force into maxEntries / maxValue. */
function readLimits(c: Client): void {
  const e = Number(c.server.config.get("hash-max-listpack-entries"));
  const v = Number(c.server.config.get("hash-max-listpack-value"));
  maxEntries = Number.isFinite(e) ? e : HASH_MAX_LISTPACK_ENTRIES;
  maxValue = Number.isFinite(v) ? v : HASH_MAX_LISTPACK_VALUE;
}

/** The hash at key argument 1 for a read: the object, null when absent, undefined after WRONGTYPE. */
function readHash(c: Client, a: Args): HashValue | null | undefined {
  return findCollection<HashValue>(c, a.argBuf, a.starts[1], a.ends[1], T_HASH, true);
}

/** readHash for a write command; sets foundHandle. */
function writeHash(c: Client, a: Args): HashValue | null | undefined {
  const hash = findCollection<HashValue>(c, a.argBuf, a.starts[1], a.ends[1], T_HASH, false);
  foundHandle = collectionHandle;
  return hash;
}

/** Stores a new hash under key argument 1 (which is absent). */
function createHash(c: Client, a: Args, hash: HashValue): void {
  c.db.setObject(a.argBuf, a.starts[1], a.ends[1], T_HASH, hash);
  notify(c, NOTIFY_NEW, "new", a.argBuf, a.starts[1], a.ends[1]);
}

/** Fires a hash event on key argument 1. */
function hashEvent(c: Client, a: Args, event: string): void {
  notify(c, NOTIFY_HASH, event, a.argBuf, a.starts[1], a.ends[1]);
}

/** Sets the field/value pairs from argument 2 on; returns how many fields were new. */
function setPairs(c: Client, a: Args, name: string): number {
  if ((a.argc & 1) !== 0) {
    c.reply.error(errArity(name));
    return -1;
  }
  const hash = writeHash(c, a);
  if (hash === undefined) return -1;
  const target = hash ?? new HashValue();
  if (target.listpack) readLimits(c);
  let added = 0;
  for (let i = 2; i < a.argc; i += 2) {
    if (target.set(argString(a, i), argString(a, i + 1), maxEntries, maxValue)) added++;
  }
  if (hash === null) createHash(c, a, target);
  else c.db.objectChanged(foundHandle);
  return added;
}

function hset(c: Client, a: Args): void {
  const added = setPairs(c, a, "hset");
  if (added < 0) return;
  c.reply.integer(added);
  hashEvent(c, a, "hset");
}

function hmset(c: Client, a: Args): void {
  if (setPairs(c, a, "hmset") < 0) return;
  c.reply.ok();
  hashEvent(c, a, "hset");
}

function hsetnx(c: Client, a: Args): void {
  const hash = writeHash(c, a);
  if (hash === undefined) return;
  const field = argString(a, 2);
  if (hash?.has(field)) {
    c.reply.integer(0);
    return;
  }
  const target = hash ?? new HashValue();
  if (target.listpack) readLimits(c);
  target.set(field, argString(a, 3), maxEntries, maxValue);
  if (hash === null) createHash(c, a, target);
  else c.db.objectChanged(foundHandle);
  c.reply.integer(1);
  hashEvent(c, a, "hset");
}

function hget(c: Client, a: Args): void {
  const hash = readHash(c, a);
  if (hash === undefined) return;
  const v = hash === null ? undefined : hash.get(argString(a, 2));
  if (v === undefined) c.reply.nullBulk();
  else c.reply.bulkString(v);
}

function hmget(c: Client, a: Args): void {
  const hash = readHash(c, a);
  if (hash === undefined) return;
  const r = c.reply;
  r.arrayHeader(a.argc - 2);
  for (let i = 2; i < a.argc; i++) {
    const v = hash === null ? undefined : hash.get(argString(a, i));
    if (v === undefined) r.nullBulk();
    else r.bulkString(v);
  }
}

function hgetall(c: Client, a: Args): void {
  const hash = readHash(c, a);
  if (hash === undefined) return;
  const r = c.reply;
  if (hash === null) {
    r.mapHeader(0);
    return;
  }
  const fields = hash.fields();
  const values = hash.values();
  r.mapHeader(fields.length);
  for (let i = 0; i < fields.length; i++) {
    r.bulkString(fields[i]);
    r.bulkString(values[i]);
  }
}

function replyList(c: Client, a: Args, values: boolean): void {
  const hash = readHash(c, a);
  if (hash === undefined) return;
  const r = c.reply;
  if (hash === null) {
    r.arrayHeader(0);
    return;
  }
  const list = values ? hash.values() : hash.fields();
  r.arrayHeader(list.length);
  for (let i = 0; i < list.length; i++) r.bulkString(list[i]);
}

function hkeys(c: Client, a: Args): void {
  replyList(c, a, false);
}

function hvals(c: Client, a: Args): void {
  replyList(c, a, true);
}

function hlen(c: Client, a: Args): void {
  const hash = readHash(c, a);
  if (hash !== undefined) c.reply.integer(hash === null ? 0 : hash.size);
}

function hexists(c: Client, a: Args): void {
  const hash = readHash(c, a);
  if (hash !== undefined) c.reply.integer(hash?.has(argString(a, 2)) ? 1 : 0);
}

function hstrlen(c: Client, a: Args): void {
  const hash = readHash(c, a);
  if (hash === undefined) return;
  const v = hash === null ? undefined : hash.get(argString(a, 2));
  c.reply.integer(v === undefined ? 0 : v.length);
}

function hdel(c: Client, a: Args): void {
  const hash = writeHash(c, a);
  if (hash === undefined) return;
  if (hash === null) {
    c.reply.integer(0);
    return;
  }
  let deleted = 0;
  for (let i = 2; i < a.argc; i++) {
    if (hash.delete(argString(a, i))) {
      deleted++;
      if (hash.size === 0) break;
    }
  }
  if (deleted > 0) {
    if (hash.size === 0) c.db.delete(a.argBuf, a.starts[1], a.ends[1]);
    else c.db.objectChanged(foundHandle);
    hashEvent(c, a, "hdel");
    if (hash.size === 0) notify(c, NOTIFY_GENERIC, "del", a.argBuf, a.starts[1], a.ends[1]);
  }
  c.reply.integer(deleted);
}

function hincrby(c: Client, a: Args): void {
  const incr = parseInt64(a.argBuf, a.starts[3], a.ends[3]);
  if (incr === null) {
    c.reply.error(ERR_NOT_INT);
    return;
  }
  const hash = writeHash(c, a);
  if (hash === undefined) return;
  const field = argString(a, 2);
  const cur = hash === null ? undefined : hash.get(field);
  let old: number | bigint = 0;
  if (cur !== undefined) {
    const v = parseInt64Str(cur);
    if (v === null) {
      c.reply.error(ERR_HASH_NOT_INT);
      return;
    }
    old = v;
  }
  const sum = addInt64(old, incr);
  if (sum === null) {
    c.reply.error(ERR_OVERFLOW);
    return;
  }
  const target = hash ?? new HashValue();
  if (target.listpack) readLimits(c);
  target.set(field, String(sum), maxEntries, maxValue);
  if (hash === null) createHash(c, a, target);
  else c.db.objectChanged(foundHandle);
  if (typeof sum === "number") c.reply.integer(sum);
  else c.reply.integerBig(sum);
  hashEvent(c, a, "hincrby");
}

function hincrbyfloat(c: Client, a: Args): void {
  const incr = argString(a, 3);
  const parsed = parseLongDouble(incr);
  if (parsed === null) {
    c.reply.error(ERR_NOT_FLOAT);
    return;
  }
  if (parsed.inf) {
    c.reply.error(ERR_VALUE_NAN_INF);
    return;
  }
  const hash = writeHash(c, a);
  if (hash === undefined) return;
  const field = argString(a, 2);
  const cur = hash === null ? undefined : hash.get(field);
  const res = hincrByFloat(cur ?? null, incr);
  if (!res.ok) {
    c.reply.error(res.error);
    return;
  }
  const target = hash ?? new HashValue();
  if (target.listpack) readLimits(c);
  target.set(field, res.value, maxEntries, maxValue);
  if (hash === null) createHash(c, a, target);
  else c.db.objectChanged(foundHandle);
  c.reply.bulkString(res.value);
  hashEvent(c, a, "hincrbyfloat");
}

function hrandfield(c: Client, a: Args): void {
  const r = c.reply;
  if (a.argc === 2) {
    const hash = readHash(c, a);
    if (hash === undefined) return;
    if (hash === null) r.nullBulk();
    else r.bulkString(hash.fieldAt(hash.randomSlot()));
    return;
  }
  const l = parseInt64(a.argBuf, a.starts[2], a.ends[2]);
  if (l === null) {
    r.error(ERR_NOT_INT);
    return;
  }
  if (typeof l === "bigint" && l < -9223372036854775807n) {
    r.error(ERR_RANGE_LONG);
    return;
  }
  if (a.argc > 4 || (a.argc === 4 && !argIs(a, 3, "withvalues"))) {
    r.error(ERR_SYNTAX);
    return;
  }
  const withValues = a.argc === 4;
  if (withValues && typeof l === "bigint" && (l < -LONG_MAX_HALF || l > LONG_MAX_HALF)) {
    r.error(ERR_RANGE);
    return;
  }
  const hash = readHash(c, a);
  if (hash === undefined) return;
  const count = Number(l);
  if (hash === null || count === 0) {
    r.arrayHeader(0);
    return;
  }
  const resp3 = r.proto === 3;
  const size = hash.size;
  const n = count < 0 || count === 1 ? Math.abs(count) : Math.min(count, size);
  r.arrayHeader(withValues && !resp3 ? n * 2 : n);
  const fields = hash.fields();
  const values = hash.values();
  const write = (slot: number): void => {
    if (withValues && resp3) r.arrayHeader(2);
    r.bulkString(fields[slot]);
    if (withValues) r.bulkString(values[slot]);
  };
  if (count < 0 || count === 1) {
    // Case 1 of Redis: independent draws, repeats allowed.
    for (let k = 0; k < n; k++) write(hash.randomSlot());
    return;
  }
  const slots = hash.randomSlots(count);
  for (let k = 0; k < slots.length; k++) write(slots[k]);
}

const found: number[] = [];

function hscan(c: Client, a: Args): void {
  const cursor = scanCursor(a, 2);
  if (cursor === SCAN_INVALID) {
    c.reply.error(ERR_INVALID_CURSOR);
    return;
  }
  const hash = readHash(c, a);
  if (hash === undefined) return;
  if (hash === null) {
    replyEmptyScan(c);
    return;
  }
  if (!parseScanOptions(c, a, 3)) return;
  const out = found;
  out.length = 0;
  const next = hash.scan(cursor, scanOpts.count, (field, _value, slot) => {
    if (scanMatches(a, field)) out.push(slot);
  });
  const r = c.reply;
  r.arrayHeader(2);
  r.bulkString(String(next));
  r.arrayHeader(out.length * 2);
  const fields = hash.fields();
  const values = hash.values();
  for (let k = 0; k < out.length; k++) {
    r.bulkString(fields[out[k]]);
    r.bulkString(values[out[k]]);
  }
  out.length = 0;
}

export const commands: CommandSpec[] = [
  command("hset", -4, ["write", "denyoom", "fast"], KEY1, hset, ["write", "hash", "fast"]),
  command("hsetnx", 4, ["write", "denyoom", "fast"], KEY1, hsetnx, ["write", "hash", "fast"]),
  command("hmset", -4, ["write", "denyoom", "fast"], KEY1, hmset, ["write", "hash", "fast"]),
  command("hget", 3, ["readonly", "fast"], KEY1, hget, ["read", "hash", "fast"]),
  command("hmget", -3, ["readonly", "fast"], KEY1, hmget, ["read", "hash", "fast"]),
  command("hgetall", 2, ["readonly"], KEY1, hgetall, ["read", "hash", "slow"]),
  command("hkeys", 2, ["readonly"], KEY1, hkeys, ["read", "hash", "slow"]),
  command("hvals", 2, ["readonly"], KEY1, hvals, ["read", "hash", "slow"]),
  command("hlen", 2, ["readonly", "fast"], KEY1, hlen, ["read", "hash", "fast"]),
  command("hexists", 3, ["readonly", "fast"], KEY1, hexists, ["read", "hash", "fast"]),
  command("hstrlen", 3, ["readonly", "fast"], KEY1, hstrlen, ["read", "hash", "fast"]),
  command("hdel", -3, ["write", "fast"], KEY1, hdel, ["write", "hash", "fast"]),
  command("hincrby", 4, ["write", "denyoom", "fast"], KEY1, hincrby, ["write", "hash", "fast"]),
  command("hincrbyfloat", 4, ["write", "denyoom", "fast"], KEY1, hincrbyfloat, ["write", "hash", "fast"]),
  command("hrandfield", -2, ["readonly"], KEY1, hrandfield, ["read", "hash", "slow"]),
  command("hscan", -3, ["readonly"], KEY1, hscan, ["read", "hash", "slow"]),
];
