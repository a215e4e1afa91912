// String commands (Redis 7.0 semantics and error texts): GET, SET [NX|XX] [GET] [EX|PX|EXAT|PXAT|KEEPTTL],
// SETNX, SETEX, PSETEX, GETSET, GETDEL, GETEX, MGET, MSET, MSETNX, APPEND, STRLEN, GETRANGE/SUBSTR,
// SETRANGE, INCR/DECR/INCRBY/DECRBY (exact 64-bit), INCRBYFLOAT (long double, as Redis), LCS.
//
// GET, SET, INCR, MGET and MSET are the hot path: they read arguments straight from the input
// buffer and copy value bytes between it, the slab and the reply buffer without any per-command
// object. INCR writes a result as long as the old text over it; APPEND and SETRANGE grow a value
// with Db.resizeString (realloc-like, amortized), so neither copies the whole value per call.

import type { Db } from "../../../cache/db.js";
import { T_STRING } from "../../../cache/entry.js";
import {
  addInt64,
  ERR_DECR_OVERFLOW,
  INT64_MAX,
  type Int64,
  incrByFloat,
  negateInt64,
  parseInt64,
  parseInt64Approx,
} from "../../../cache/numbers.js";
import { latin1 } from "../../../format/latin1.js";
import type { Client } from "../client.js";
import {
  type Args,
  argIs,
  argString,
  type CommandSpec,
  command,
  ERR_NOT_INT,
  ERR_OVERFLOW,
  ERR_SYNTAX,
  ERR_WRONGTYPE,
  errArity,
  KEY1,
} from "../command.js";
import { NOTIFY_GENERIC, NOTIFY_NEW, NOTIFY_STRING, notify, notifyingNew, notifyMiss } from "../notify.js";

const ERR_TOO_BIG = "ERR string exceeds maximum allowed size (proto-max-bulk-len)";
const ERR_OFFSET = "ERR offset is out of range";

/**
 * Writes the string value of key argument `i` as a bulk reply (nil when absent). Returns the key's
 * handle, 0 when absent, -1 after replying WRONGTYPE.
 */
export function replyStringValue(c: Client, a: Args, i: number): number {
  const db = c.db;
  const h = db.lookupRead(a.argBuf, a.starts[i], a.ends[i], !c.noTouch);
  if (h === 0) {
    notifyMiss(c, a.argBuf, a.starts[i], a.ends[i]);
    c.reply.nullBulk();
    return 0;
  }
  if (db.type(h) !== T_STRING) {
    c.reply.error(ERR_WRONGTYPE);
    return -1;
  }
  db.decode(h);
  c.reply.bulk(db.vbuf, db.vstart, db.vend);
  return h;
}

function get(c: Client, a: Args): void {
  replyStringValue(c, a, 1);
}

// ---- expiry arguments (shared with the keys family) ----

/** Units of an expiry argument. */
export const SECONDS = 1000;
export const MILLISECONDS = 1;

/**
 * Redis's getExpireMillisecondsOrReply: argument i as an expiry in `unit`, relative to now when
 * `relative`, as absolute Unix ms. Non-positive values and int64 overflow get "invalid expire time
 * in '<cmd>' command". Returns -1 after writing the error. Exact for the whole int64 range; times
 * past 2^53 ms are then stored as the nearest double.
 */
export function expireArgMs(c: Client, a: Args, i: number, unit: number, relative: boolean, cmd: string): number {
  const v = parseInt64(a.argBuf, a.starts[i], a.ends[i]);
  if (v === null) {
    c.reply.error(ERR_NOT_INT);
    return -1;
  }
  const now = c.server.store.now;
  if (typeof v === "number") {
    if (v <= 0) {
      c.reply.error(`ERR invalid expire time in '${cmd}' command`);
      return -1;
    }
    const ms = v * unit;
    const at = relative ? ms + now : ms;
    if (Number.isSafeInteger(at)) return at;
  }
  let b = BigInt(v);
  if (b <= 0n || (unit === SECONDS && b > INT64_MAX / 1000n)) {
    c.reply.error(`ERR invalid expire time in '${cmd}' command`);
    return -1;
  }
  b *= BigInt(unit);
  if (relative) b += BigInt(now);
  if (b > INT64_MAX) {
    // C's signed addition wraps to a negative time, which Redis then rejects.
    c.reply.error(`ERR invalid expire time in '${cmd}' command`);
    return -1;
  }
  return Number(b);
}

// ---- SET and its options ----

const NX = 1;
const XX = 2;
const GET = 4;
const KEEPTTL = 8;
const EX = 16;
const PX = 32;
const EXAT = 64;
const PXAT = 128;
const PERSIST = 256;
const ANY_EXPIRE = EX | PX | EXAT | PXAT;

/** Set by parseExtendedOptions: the argument index of the EX/PX/EXAT/PXAT value (the last one given). */
let optExpireArg = 0;

/**
 * Redis's parseExtendedStringArgumentsOrReply, for SET (`forSet`) or GETEX: the same option may be
 * repeated (the last value wins), conflicting ones are a syntax error. The expiry value is only
 * read later, as Redis does, so a syntax error anywhere wins over a bad number. Returns the flags,
 * or -1 after writing the error.
 */
function parseExtendedOptions(c: Client, a: Args, from: number, forSet: boolean): number {
  let flags = 0;
  const argc = a.argc;
  for (let i = from; i < argc; i++) {
    const more = i < argc - 1;
    if (forSet && (flags & XX) === 0 && argIs(a, i, "nx")) flags |= NX;
    else if (forSet && (flags & NX) === 0 && argIs(a, i, "xx")) flags |= XX;
    else if (forSet && argIs(a, i, "get")) flags |= GET;
    else if (forSet && (flags & (PERSIST | ANY_EXPIRE)) === 0 && argIs(a, i, "keepttl")) flags |= KEEPTTL;
    else if (!forSet && (flags & (ANY_EXPIRE | KEEPTTL)) === 0 && argIs(a, i, "persist")) flags |= PERSIST;
    else if (more && (flags & (KEEPTTL | PERSIST | EXAT | PX | PXAT)) === 0 && argIs(a, i, "ex")) {
      flags |= EX;
      optExpireArg = ++i;
    } else if (more && (flags & (KEEPTTL | PERSIST | EX | EXAT | PXAT)) === 0 && argIs(a, i, "px")) {
      flags |= PX;
      optExpireArg = ++i;
    } else if (more && (flags & (KEEPTTL | PERSIST | EX | PX | PXAT)) === 0 && argIs(a, i, "exat")) {
      flags |= EXAT;
      optExpireArg = ++i;
    } else if (more && (flags & (KEEPTTL | PERSIST | EX | EXAT | PX)) === 0 && argIs(a, i, "pxat")) {
      flags |= PXAT;
      optExpireArg = ++i;
    } else {
      c.reply.error(ERR_SYNTAX);
      return -1;
    }
  }
  return flags;
}

/** The absolute expiry for the flags' EX/PX/EXAT/PXAT argument, or -1 after writing the error. */
function optionExpireMs(c: Client, a: Args, flags: number, cmd: string): number {
  const unit = (flags & (EX | EXAT)) !== 0 ? SECONDS : MILLISECONDS;
  return expireArgMs(c, a, optExpireArg, unit, (flags & (EX | PX)) !== 0, cmd);
}

/**
 * Redis's setGenericCommand for key argument 1 and value argument `vi`. expireAt: absolute ms or
 * 0. replyInt: SETNX's :1/:0 instead of +OK/nil.
 */
function setGeneric(c: Client, a: Args, vi: number, flags: number, expireAt: number, replyInt: boolean): void {
  const db = c.db;
  const kb = a.argBuf;
  const ks = a.starts[1];
  const ke = a.ends[1];
  // Whether the key exists; only looked up when an option or a "new" event needs it.
  let h = 1;
  if ((flags & (NX | XX | GET)) !== 0) {
    if ((flags & GET) !== 0) {
      h = replyStringValue(c, a, 1);
      if (h < 0) return;
    } else h = db.lookup(kb, ks, ke, !c.noTouch);
    if (((flags & NX) !== 0 && h !== 0) || ((flags & XX) !== 0 && h === 0)) {
      if (replyInt) c.reply.integer(0);
      else if ((flags & GET) === 0) c.reply.nullBulk();
      return;
    }
  } else if (notifyingNew(c)) h = db.lookup(kb, ks, ke, false);
  db.setString(kb, ks, ke, kb, a.starts[vi], a.ends[vi], expireAt, (flags & KEEPTTL) !== 0);
  if (h === 0) notify(c, NOTIFY_NEW, "new", kb, ks, ke);
  notify(c, NOTIFY_STRING, "set", kb, ks, ke);
  if (expireAt > 0) notify(c, NOTIFY_GENERIC, "expire", kb, ks, ke);
  if (replyInt) c.reply.integer(1);
  else if ((flags & GET) === 0) c.reply.ok();
}

function set(c: Client, a: Args): void {
  if (a.argc === 3 && c.server.config.notifyFlags === 0) {
    c.db.setString(a.argBuf, a.starts[1], a.ends[1], a.argBuf, a.starts[2], a.ends[2]);
    c.reply.ok();
    return;
  }
  const flags = parseExtendedOptions(c, a, 3, true);
  if (flags < 0) return;
  let at = 0;
  if ((flags & ANY_EXPIRE) !== 0) {
    at = optionExpireMs(c, a, flags, "set");
    if (at < 0) return;
  }
  setGeneric(c, a, 2, flags, at, false);
}

function setnx(c: Client, a: Args): void {
  setGeneric(c, a, 2, NX, 0, true);
}

function setex(c: Client, a: Args): void {
  const at = expireArgMs(c, a, 2, SECONDS, true, "setex");
  if (at >= 0) setGeneric(c, a, 3, 0, at, false);
}

function psetex(c: Client, a: Args): void {
  const at = expireArgMs(c, a, 2, MILLISECONDS, true, "psetex");
  if (at >= 0) setGeneric(c, a, 3, 0, at, false);
}

function getset(c: Client, a: Args): void {
  const h = replyStringValue(c, a, 1);
  if (h < 0) return;
  const kb = a.argBuf;
  c.db.setString(kb, a.starts[1], a.ends[1], kb, a.starts[2], a.ends[2]);
  if (h === 0) notify(c, NOTIFY_NEW, "new", kb, a.starts[1], a.ends[1]);
  notify(c, NOTIFY_STRING, "set", kb, a.starts[1], a.ends[1]);
}

function getdel(c: Client, a: Args): void {
  if (replyStringValue(c, a, 1) <= 0) return;
  c.db.delete(a.argBuf, a.starts[1], a.ends[1]);
  notify(c, NOTIFY_GENERIC, "del", a.argBuf, a.starts[1], a.ends[1]);
}

function getex(c: Client, a: Args): void {
  const flags = a.argc === 2 ? 0 : parseExtendedOptions(c, a, 2, false);
  if (flags < 0) return;
  const db = c.db;
  const kb = a.argBuf;
  const ks = a.starts[1];
  const ke = a.ends[1];
  const h = db.lookupRead(kb, ks, ke, !c.noTouch);
  if (h === 0) {
    notifyMiss(c, kb, ks, ke);
    c.reply.nullBulk();
    return;
  }
  if (db.type(h) !== T_STRING) {
    c.reply.error(ERR_WRONGTYPE);
    return;
  }
  let at = 0;
  if ((flags & ANY_EXPIRE) !== 0) {
    at = optionExpireMs(c, a, flags, "getex");
    if (at < 0) return;
  }
  db.decode(h);
  c.reply.bulk(db.vbuf, db.vstart, db.vend);
  if ((flags & (EXAT | PXAT)) !== 0 && at <= c.server.store.now) {
    db.delete(kb, ks, ke);
    notify(c, NOTIFY_GENERIC, "del", kb, ks, ke);
  } else if (at > 0) {
    db.setExpire(h, at);
    notify(c, NOTIFY_GENERIC, "expire", kb, ks, ke);
  } else if ((flags & PERSIST) !== 0 && db.expireAt(h) >= 0) {
    db.setExpire(h, 0);
    notify(c, NOTIFY_GENERIC, "persist", kb, ks, ke);
  }
}

// ---- many keys ----

function mget(c: Client, a: Args): void {
  const db = c.db;
  const r = c.reply;
  const kb = a.argBuf;
  const touch = !c.noTouch;
  r.arrayHeader(a.argc - 1);
  for (let i = 1; i < a.argc; i++) {
    const h = db.lookupRead(kb, a.starts[i], a.ends[i], touch);
    if (h === 0) notifyMiss(c, kb, a.starts[i], a.ends[i]);
    if (h === 0 || db.type(h) !== T_STRING) r.nullBulk();
    else {
      db.decode(h);
      r.bulk(db.vbuf, db.vstart, db.vend);
    }
  }
}

function mset(c: Client, a: Args): void {
  if ((a.argc & 1) === 0) {
    c.reply.error(errArity("mset"));
    return;
  }
  const db = c.db;
  const b = a.argBuf;
  if (c.server.config.notifyFlags === 0) {
    for (let i = 1; i < a.argc; i += 2) db.setString(b, a.starts[i], a.ends[i], b, a.starts[i + 1], a.ends[i + 1]);
  } else setPairsNotifying(c, a);
  c.reply.ok();
}

/** MSET's and MSETNX's writes when notifications are on: "new" and "set" for each key in turn. */
function setPairsNotifying(c: Client, a: Args): void {
  const db = c.db;
  const b = a.argBuf;
  const withNew = notifyingNew(c);
  for (let i = 1; i < a.argc; i += 2) {
    const ks = a.starts[i];
    const ke = a.ends[i];
    const fresh = withNew && db.lookup(b, ks, ke, false) === 0;
    db.setString(b, ks, ke, b, a.starts[i + 1], a.ends[i + 1]);
    if (fresh) notify(c, NOTIFY_NEW, "new", b, ks, ke);
    notify(c, NOTIFY_STRING, "set", b, ks, ke);
  }
}

function msetnx(c: Client, a: Args): void {
  if ((a.argc & 1) === 0) {
    c.reply.error(errArity("msetnx"));
    return;
  }
  const db = c.db;
  const b = a.argBuf;
  for (let i = 1; i < a.argc; i += 2) {
    if (db.lookup(b, a.starts[i], a.ends[i], false) !== 0) {
      c.reply.integer(0);
      return;
    }
  }
  if (c.server.config.notifyFlags === 0) {
    for (let i = 1; i < a.argc; i += 2) db.setString(b, a.starts[i], a.ends[i], b, a.starts[i + 1], a.ends[i + 1]);
  } else setPairsNotifying(c, a);
  c.reply.integer(1);
}

// ---- editing a value in place ----

function append(c: Client, a: Args): void {
  const db = c.db;
  const kb = a.argBuf;
  const ks = a.starts[1];
  const ke = a.ends[1];
  const as = a.starts[2];
  const ae = a.ends[2];
  const h = db.lookup(kb, ks, ke, !c.noTouch);
  if (h === 0) {
    db.setString(kb, ks, ke, kb, as, ae);
    notify(c, NOTIFY_NEW, "new", kb, ks, ke);
    notify(c, NOTIFY_STRING, "append", kb, ks, ke);
    c.reply.integer(ae - as);
    return;
  }
  if (db.type(h) !== T_STRING) {
    c.reply.error(ERR_WRONGTYPE);
    return;
  }
  db.decode(h);
  const oldLen = db.vend - db.vstart;
  const total = oldLen + (ae - as);
  if (total > c.server.config.protoMaxBulkLen) {
    c.reply.error(ERR_TOO_BIG);
    return;
  }
  db.resizeString(kb, ks, ke, total);
  db.vbuf.set(kb.subarray(as, ae), db.vstart + oldLen);
  notify(c, NOTIFY_STRING, "append", kb, ks, ke);
  c.reply.integer(total);
}

function strlen(c: Client, a: Args): void {
  const db = c.db;
  const h = db.lookupRead(a.argBuf, a.starts[1], a.ends[1], !c.noTouch);
  if (h === 0) {
    notifyMiss(c, a.argBuf, a.starts[1], a.ends[1]);
    c.reply.integer(0);
    return;
  }
  if (db.type(h) !== T_STRING) {
    c.reply.error(ERR_WRONGTYPE);
    return;
  }
  db.decode(h);
  c.reply.integer(db.vend - db.vstart);
}

function getrange(c: Client, a: Args): void {
  const start64 = parseInt64(a.argBuf, a.starts[2], a.ends[2]);
  if (start64 === null) {
    c.reply.error(ERR_NOT_INT);
    return;
  }
  const end64 = parseInt64(a.argBuf, a.starts[3], a.ends[3]);
  if (end64 === null) {
    c.reply.error(ERR_NOT_INT);
    return;
  }
  const db = c.db;
  const h = db.lookupRead(a.argBuf, a.starts[1], a.ends[1], !c.noTouch);
  if (h === 0) {
    notifyMiss(c, a.argBuf, a.starts[1], a.ends[1]);
    c.reply.bulkString("");
    return;
  }
  if (db.type(h) !== T_STRING) {
    c.reply.error(ERR_WRONGTYPE);
    return;
  }
  // Exact comparison first (int64 values may be bigints); only clamping follows, where doubles do.
  if (start64 < 0 && end64 < 0 && start64 > end64) {
    c.reply.bulkString("");
    return;
  }
  db.decode(h);
  const len = db.vend - db.vstart;
  let start = Number(start64);
  let end = Number(end64);
  if (start < 0) start = len + start;
  if (end < 0) end = len + end;
  if (start < 0) start = 0;
  if (end < 0) end = 0;
  if (end >= len) end = len - 1;
  if (start > end || len === 0) c.reply.bulkString("");
  else c.reply.bulk(db.vbuf, db.vstart + start, db.vstart + end + 1);
}

function setrange(c: Client, a: Args): void {
  const offset = parseInt64Approx(a.argBuf, a.starts[2], a.ends[2]);
  if (offset === null) {
    c.reply.error(ERR_NOT_INT);
    return;
  }
  if (offset < 0) {
    c.reply.error(ERR_OFFSET);
    return;
  }
  const db = c.db;
  const kb = a.argBuf;
  const ks = a.starts[1];
  const ke = a.ends[1];
  const vs = a.starts[3];
  const vlen = a.ends[3] - vs;
  const h = db.lookup(kb, ks, ke, !c.noTouch);
  let oldLen = 0;
  if (h !== 0) {
    if (db.type(h) !== T_STRING) {
      c.reply.error(ERR_WRONGTYPE);
      return;
    }
    db.decode(h);
    oldLen = db.vend - db.vstart;
  }
  if (vlen === 0) {
    c.reply.integer(oldLen);
    return;
  }
  if (offset + vlen > c.server.config.protoMaxBulkLen) {
    c.reply.error(ERR_TOO_BIG);
    return;
  }
  const total = Math.max(oldLen, offset + vlen);
  if (h === 0) db.reserveString(kb, ks, ke, total, 0, true);
  else if (total > oldLen) db.resizeString(kb, ks, ke, total);
  const out = db.vbuf;
  const p = db.vstart;
  if (offset > oldLen) out.fill(0, p + oldLen, p + offset);
  out.set(kb.subarray(vs, vs + vlen), p + offset);
  if (h !== 0 && total === oldLen) c.server.store.modified(db.id, kb, ks, ke);
  if (h === 0) notify(c, NOTIFY_NEW, "new", kb, ks, ke);
  notify(c, NOTIFY_STRING, "setrange", kb, ks, ke);
  c.reply.integer(total);
}

// ---- counters ----

/** Decimal digits of a non-negative safe integer. */
function digitCount(n: number): number {
  let len = 1;
  while (n >= 10) {
    n = Math.floor(n / 10);
    len++;
  }
  return len;
}

/** Writes the decimal text of a safe integer, `len` bytes including any '-', at buf[p]. */
function writeDecimal(buf: Uint8Array, p: number, v: number, len: number): void {
  let n = v;
  if (n < 0) {
    buf[p] = 45;
    n = -n;
  }
  let q = p + len;
  while (n >= 10) {
    const d = n % 10;
    buf[--q] = 48 + d;
    n = (n - d) / 10;
  }
  buf[--q] = 48 + n;
}

/**
 * INCR/DECR/INCRBY/DECRBY on key argument 1: Redis's incrDecrCommand. The new value keeps the
 * key's TTL; when its text is as long as the old one it is written over it in place.
 */
function incrDecr(c: Client, a: Args, incr: Int64): void {
  const db = c.db;
  const kb = a.argBuf;
  const ks = a.starts[1];
  const ke = a.ends[1];
  const h = db.lookup(kb, ks, ke, !c.noTouch);
  let value: Int64 = 0;
  let oldLen = -1;
  if (h !== 0) {
    if (db.type(h) !== T_STRING) {
      c.reply.error(ERR_WRONGTYPE);
      return;
    }
    db.decode(h);
    const v = parseInt64(db.vbuf, db.vstart, db.vend);
    if (v === null) {
      c.reply.error(ERR_NOT_INT);
      return;
    }
    value = v;
    oldLen = db.vend - db.vstart;
  }
  const next = addInt64(value, incr);
  if (next === null) {
    c.reply.error(ERR_OVERFLOW);
    return;
  }
  if (typeof next === "number") {
    const len = next < 0 ? digitCount(-next) + 1 : digitCount(next);
    if (len === oldLen) {
      writeDecimal(db.vbuf, db.vstart, next, len);
      c.server.store.modified(db.id, kb, ks, ke);
    } else {
      db.reserveString(kb, ks, ke, len, 0, true);
      writeDecimal(db.vbuf, db.vstart, next, len);
    }
  } else storeText(db, kb, ks, ke, next.toString());
  if (h === 0) notify(c, NOTIFY_NEW, "new", kb, ks, ke);
  notify(c, NOTIFY_STRING, "incrby", kb, ks, ke);
  if (typeof next === "number") c.reply.integer(next);
  else c.reply.integerBig(next);
}

/** Stores a latin1 string as the key's value, keeping its TTL. */
function storeText(db: Db, kb: Uint8Array, ks: number, ke: number, text: string): void {
  db.reserveString(kb, ks, ke, text.length, 0, true);
  const out = db.vbuf;
  const p = db.vstart;
  for (let i = 0; i < text.length; i++) out[p + i] = text.charCodeAt(i);
}

function incr(c: Client, a: Args): void {
  incrDecr(c, a, 1);
}

function decr(c: Client, a: Args): void {
  incrDecr(c, a, -1);
}

function incrby(c: Client, a: Args): void {
  const n = parseInt64(a.argBuf, a.starts[2], a.ends[2]);
  if (n === null) c.reply.error(ERR_NOT_INT);
  else incrDecr(c, a, n);
}

function decrby(c: Client, a: Args): void {
  const n = parseInt64(a.argBuf, a.starts[2], a.ends[2]);
  if (n === null) {
    c.reply.error(ERR_NOT_INT);
    return;
  }
  const neg = negateInt64(n);
  if (neg === null) c.reply.error(ERR_DECR_OVERFLOW);
  else incrDecr(c, a, neg);
}

function incrbyfloat(c: Client, a: Args): void {
  const db = c.db;
  const kb = a.argBuf;
  const ks = a.starts[1];
  const ke = a.ends[1];
  const h = db.lookup(kb, ks, ke, !c.noTouch);
  let current: string | null = null;
  if (h !== 0) {
    if (db.type(h) !== T_STRING) {
      c.reply.error(ERR_WRONGTYPE);
      return;
    }
    db.decode(h);
    current = latin1(db.vbuf, db.vstart, db.vend);
  }
  const r = incrByFloat(current, argString(a, 2));
  if (!r.ok) {
    c.reply.error(r.error);
    return;
  }
  storeText(db, kb, ks, ke, r.value);
  if (h === 0) notify(c, NOTIFY_NEW, "new", kb, ks, ke);
  notify(c, NOTIFY_STRING, "incrbyfloat", kb, ks, ke);
  c.reply.bulkString(r.value);
}

// ---- LCS ----

function lcs(c: Client, a: Args): void {
  const db = c.db;
  const touch = !c.noTouch;
  const ha = db.lookupRead(a.argBuf, a.starts[1], a.ends[1], touch);
  if (ha === 0) notifyMiss(c, a.argBuf, a.starts[1], a.ends[1]);
  const hb = db.lookupRead(a.argBuf, a.starts[2], a.ends[2], touch);
  if (hb === 0) notifyMiss(c, a.argBuf, a.starts[2], a.ends[2]);
  if ((ha !== 0 && db.type(ha) !== T_STRING) || (hb !== 0 && db.type(hb) !== T_STRING)) {
    c.reply.error("ERR The specified keys must contain string values");
    return;
  }
  let getIdx = false;
  let getLen = false;
  let withMatchLen = false;
  let minMatchLen: Int64 = 0;
  for (let j = 3; j < a.argc; j++) {
    const more = a.argc - 1 - j;
    if (argIs(a, j, "idx")) getIdx = true;
    else if (argIs(a, j, "len")) getLen = true;
    else if (argIs(a, j, "withmatchlen")) withMatchLen = true;
    else if (more > 0 && argIs(a, j, "minmatchlen")) {
      const n = parseInt64(a.argBuf, a.starts[j + 1], a.ends[j + 1]);
      if (n === null) {
        c.reply.error(ERR_NOT_INT);
        return;
      }
      minMatchLen = n;
      if (minMatchLen < 0) minMatchLen = 0;
      j++;
    } else {
      c.reply.error(ERR_SYNTAX);
      return;
    }
  }
  if (getIdx && getLen) {
    c.reply.error("ERR If you want both the length and indexes, please just use IDX.");
    return;
  }
  // Copies: a and b may be the same block, and the reply is written after the table is built.
  const A = ha === 0 ? new Uint8Array(0) : valueCopy(db, ha);
  const B = hb === 0 ? new Uint8Array(0) : valueCopy(db, hb);
  const alen = A.length;
  const blen = B.length;
  const cells = (alen + 1) * (blen + 1);
  if (cells * 4 > c.server.config.protoMaxBulkLen) {
    c.reply.error("ERR Insufficient memory, transient memory for LCS exceeds proto-max-bulk-len");
    return;
  }
  const w = blen + 1;
  const T = new Uint32Array(cells);
  for (let i = 1; i <= alen; i++) {
    const ai = A[i - 1];
    const row = i * w;
    const prev = row - w;
    for (let j = 1; j <= blen; j++) {
      if (ai === B[j - 1]) T[row + j] = T[prev + j - 1] + 1;
      else {
        const l1 = T[prev + j];
        const l2 = T[row + j - 1];
        T[row + j] = Math.max(l1, l2);
      }
    }
  }
  const total = T[alen * w + blen];
  const r = c.reply;
  if (getLen) {
    r.integer(total);
    return;
  }
  const result = new Uint8Array(total);
  const ranges: number[] = [];
  let idx = total;
  let i = alen;
  let j = blen;
  let aStart = alen;
  let aEnd = 0;
  let bStart = 0;
  let bEnd = 0;
  while (i > 0 && j > 0) {
    let emit = false;
    if (A[i - 1] === B[j - 1]) {
      result[idx - 1] = A[i - 1];
      if (aStart === alen) {
        aStart = i - 1;
        aEnd = i - 1;
        bStart = j - 1;
        bEnd = j - 1;
      } else if (aStart === i && bStart === j) {
        aStart--;
        bStart--;
      } else emit = true;
      if (aStart === 0 || bStart === 0) emit = true;
      idx--;
      i--;
      j--;
    } else {
      const l1 = T[(i - 1) * w + j];
      const l2 = T[i * w + j - 1];
      if (l1 > l2) i--;
      else j--;
      if (aStart !== alen) emit = true;
    }
    if (emit) {
      const matchLen = aEnd - aStart + 1;
      if (minMatchLen === 0 || matchLen >= minMatchLen) ranges.push(aStart, aEnd, bStart, bEnd, matchLen);
      aStart = alen;
    }
  }
  if (!getIdx) {
    r.bulk(result);
    return;
  }
  r.mapHeader(2);
  r.bulkString("matches");
  r.arrayHeader(ranges.length / 5);
  for (let k = 0; k < ranges.length; k += 5) {
    r.arrayHeader(withMatchLen ? 3 : 2);
    r.arrayHeader(2);
    r.integer(ranges[k]);
    r.integer(ranges[k + 1]);
    r.arrayHeader(2);
    r.integer(ranges[k + 2]);
    r.integer(ranges[k + 3]);
    if (withMatchLen) r.integer(ranges[k + 4]);
  }
  r.bulkString("len");
  r.integer(total);
}

function valueCopy(db: Db, h: number): Uint8Array {
  db.decode(h);
  return db.vbuf.slice(db.vstart, db.vend);
}

const KEYS_ALL: [number, number, number] = [1, -1, 1];
const KEYS_PAIRS: [number, number, number] = [1, -1, 2];

export const commands: CommandSpec[] = [
  command("get", 2, ["readonly", "fast"], KEY1, get, ["read", "string", "fast"]),
  command("set", -3, ["write", "denyoom"], KEY1, set, ["write", "string", "slow"]),
  command("setnx", 3, ["write", "denyoom", "fast"], KEY1, setnx, ["write", "string", "fast"]),
  command("setex", 4, ["write", "denyoom"], KEY1, setex, ["write", "string", "slow"]),
  command("psetex", 4, ["write", "denyoom"], KEY1, psetex, ["write", "string", "slow"]),
  command("getset", 3, ["write", "denyoom", "fast"], KEY1, getset, ["write", "string", "fast"]),
  command("getdel", 2, ["write", "fast"], KEY1, getdel, ["write", "string", "fast"]),
  command("getex", -2, ["write", "fast"], KEY1, getex, ["write", "string", "fast"]),
  command("mget", -2, ["readonly", "fast"], KEYS_ALL, mget, ["read", "string", "fast"]),
  command("mset", -3, ["write", "denyoom"], KEYS_PAIRS, mset, ["write", "string", "slow"]),
  command("msetnx", -3, ["write", "denyoom"], KEYS_PAIRS, msetnx, ["write", "string", "slow"]),
  command("append", 3, ["write", "denyoom", "fast"], KEY1, append, ["write", "string", "fast"]),
  command("strlen", 2, ["readonly", "fast"], KEY1, strlen, ["read", "string", "fast"]),
  command("getrange", 4, ["readonly"], KEY1, getrange, ["read", "string", "slow"]),
  command("substr", 4, ["readonly"], KEY1, getrange, ["read", "string", "slow"]),
  command("setrange", 4, ["write", "denyoom"], KEY1, setrange, ["write", "string", "slow"]),
  command("incr", 2, ["write", "denyoom", "fast"], KEY1, incr, ["write", "string", "fast"]),
  command("decr", 2, ["write", "denyoom", "fast"], KEY1, decr, ["write", "string", "fast"]),
  command("incrby", 3, ["write", "denyoom", "fast"], KEY1, incrby, ["write", "string", "fast"]),
  command("decrby", 3, ["write", "denyoom", "fast"], KEY1, decrby, ["write", "string", "fast"]),
  command("incrbyfloat", 3, ["write", "denyoom", "fast"], KEY1, incrbyfloat, ["write", "string", "fast"]),
  command("lcs", -3, ["readonly"], [1, 2, 1], lcs, ["read", "string", "slow"]),
];
