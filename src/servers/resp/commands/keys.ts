// Keyspace commands (Redis 7.0 semantics and error texts), for keys of every type: DEL, UNLINK,
// EXISTS, TYPE, RENAME, RENAMENX, TOUCH, RANDOMKEY, COPY, MOVE, KEYS, SCAN, EXPIRE/PEXPIRE/
// EXPIREAT/PEXPIREAT [NX|XX|GT|LT], TTL, PTTL, EXPIRETIME, PEXPIRETIME, PERSIST, OBJECT
// (ENCODING, REFCOUNT, IDLETIME, FREQ, HELP) and MEMORY (USAGE, HELP).
//
// OBJECT ENCODING names what Redis 7.0 would use for the value by its thresholds (int/embstr/raw,
// quicklist, intset/hashtable, listpack/skiplist, listpack/hashtable), not how this store lays it
// out; a structure that tracks Redis's one-way conversion itself (an `encoding` getter) is asked.

import type { Db } from "../../../cache/db.js";
import { T_HASH, T_LIST, T_SET, T_STRING, T_ZSET, TYPE_NAMES, type ValueType } from "../../../cache/entry.js";
import { globMatchBytes } from "../../../cache/glob.js";
import { HashValue } from "../../../cache/hash.js";
import { ListValue } from "../../../cache/list.js";
import { INT64_MAX, INT64_MIN, parseInt64, parseInt64Str } from "../../../cache/numbers.js";
import { SetValue } from "../../../cache/set.js";
import type { CacheObject } from "../../../cache/store.js";
import { SortedSet } from "../../../cache/zset.js";
import { latin1 } from "../../../format/latin1.js";
import type { Client } from "../client.js";
import {
  type Args,
  argIs,
  argString,
  type CommandSpec,
  command,
  ERR_DB_INDEX,
  ERR_NO_SUCH_KEY,
  ERR_NOT_INT,
  ERR_SYNTAX,
  errArity,
  KEY1,
  NO_KEYS,
} from "../command.js";
import { NOTIFY_GENERIC, NOTIFY_NEW, notify, notifyMiss } from "../notify.js";
import { MILLISECONDS, SECONDS } from "./strings.js";

const ERR_SAME_OBJECT = "ERR source and destination objects are the same";
const ERR_INT_RANGE = "ERR value is out of range, value must between -2147483648 and 2147483647";
const ERR_INVALID_CURSOR = "ERR invalid cursor";

// ---- existence and deletion ----

function del(c: Client, a: Args): void {
  const db = c.db;
  let n = 0;
  for (let i = 1; i < a.argc; i++) {
    if (db.delete(a.argBuf, a.starts[i], a.ends[i])) {
      n++;
      notify(c, NOTIFY_GENERIC, "del", a.argBuf, a.starts[i], a.ends[i]);
    }
  }
  c.reply.integer(n);
}

/** The handle of key argument i for a read (keyspace hits and misses, "keymiss"), or 0. */
function readKey(c: Client, a: Args, i: number, touch: boolean): number {
  const h = c.db.lookupRead(a.argBuf, a.starts[i], a.ends[i], touch);
  if (h === 0) notifyMiss(c, a.argBuf, a.starts[i], a.ends[i]);
  return h;
}

function exists(c: Client, a: Args): void {
  let n = 0;
  for (let i = 1; i < a.argc; i++) if (readKey(c, a, i, false) !== 0) n++;
  c.reply.integer(n);
}

function touch(c: Client, a: Args): void {
  let n = 0;
  for (let i = 1; i < a.argc; i++) if (readKey(c, a, i, true) !== 0) n++;
  c.reply.integer(n);
}

function type(c: Client, a: Args): void {
  const h = readKey(c, a, 1, false);
  c.reply.simple(h === 0 ? "none" : TYPE_NAMES[c.db.type(h)]);
}

function randomkey(c: Client): void {
  const db = c.db;
  // randomHandle gives up after a bounded number of draws that hit expired keys (expiring each);
  // as Redis does, keep drawing while that makes progress.
  let h = 0;
  for (let before = -1; h === 0 && db.size > 0 && db.size !== before; ) {
    before = db.size;
    h = db.randomHandle();
  }
  if (h === 0) {
    c.reply.nullBulk();
    return;
  }
  db.decode(h);
  c.reply.bulk(db.kbuf, db.kstart, db.kend);
}

// ---- copying and moving values ----

/** A deep copy of a collection (COPY): a new structure holding the same members. */
export function cloneObject(type: ValueType, obj: object): object {
  const withClone = obj as { clone?: () => object };
  if (typeof withClone.clone === "function") return withClone.clone();
  if (type === T_LIST && obj instanceof ListValue) return new ListValue(obj.toArray());
  if (type === T_SET && obj instanceof SetValue) return new SetValue(obj.members());
  if (type === T_ZSET && obj instanceof SortedSet) {
    const z = new SortedSet();
    obj.forEach((m, s) => {
      z.add(m, s);
    });
    return z;
  }
  if (type === T_HASH && obj instanceof HashValue) {
    const h = new HashValue();
    // Limits that keep the copy in the original's encoding (Redis's hashTypeDup keeps it too).
    const maxEntries = obj.listpack ? Number.POSITIVE_INFINITY : -1;
    const fields = obj.fields();
    const values = obj.values();
    for (let i = 0; i < fields.length; i++) h.set(fields[i], values[i], maxEntries, Number.POSITIVE_INFINITY);
    return h;
  }
  throw new Error(`cache: cannot copy a ${TYPE_NAMES[type]} held as ${obj.constructor.name}`);
}

let scratch: Buffer = Buffer.allocUnsafe(4096);
const SCRATCH_KEEP = 1 << 16;

/**
 * Writes the value of `src`'s key `h` under key kb[ks, ke) of `dst` (which must not hold the key),
 * with expiry `expireAt` (-1 for none). `deep` copies a collection; otherwise the same object is
 * shared, for a caller that deletes the source next (RENAME, MOVE). Tells blocked clients when a
 * list or sorted set appears.
 */
function putValue(
  c: Client,
  src: Db,
  h: number,
  dst: Db,
  kb: Uint8Array,
  ks: number,
  ke: number,
  expireAt: number,
  deep: boolean,
): void {
  const t = src.type(h) as ValueType;
  if (t === T_STRING) {
    src.decode(h);
    let vb = src.vbuf;
    let vs = src.vstart;
    let ve = src.vend;
    if (src === dst) {
      // The write may reuse or free the block these bytes sit in.
      const n = ve - vs;
      let out = scratch;
      if (n > out.length) {
        out = Buffer.allocUnsafe(n);
        if (n <= SCRATCH_KEEP) scratch = out;
      }
      out.set(vb.subarray(vs, ve), 0);
      vb = out;
      vs = 0;
      ve = n;
    }
    dst.setString(kb, ks, ke, vb, vs, ve, Math.max(expireAt, 0));
    return;
  }
  const obj = src.object<object>(h);
  const nh = dst.setObject(kb, ks, ke, t, deep ? cloneObject(t, obj) : obj);
  if (expireAt > 0) dst.setExpire(nh, expireAt);
  if (t === T_LIST || t === T_ZSET) c.server.signalKeyReady(dst.id, latin1(kb, ks, ke));
}

function sameBytes(a: Args, i: number, j: number): boolean {
  const n = a.ends[i] - a.starts[i];
  if (a.ends[j] - a.starts[j] !== n) return false;
  const b = a.argBuf;
  const si = a.starts[i];
  const sj = a.starts[j];
  for (let k = 0; k < n; k++) if (b[si + k] !== b[sj + k]) return false;
  return true;
}

function renameGeneric(c: Client, a: Args, nx: boolean): void {
  const db = c.db;
  const b = a.argBuf;
  let h = db.lookup(b, a.starts[1], a.ends[1], !c.noTouch);
  if (h === 0) {
    c.reply.error(ERR_NO_SUCH_KEY);
    return;
  }
  if (sameBytes(a, 1, 2)) {
    if (nx) c.reply.integer(0);
    else c.reply.ok();
    return;
  }
  if (db.lookup(b, a.starts[2], a.ends[2], false) !== 0) {
    if (nx) {
      c.reply.integer(0);
      return;
    }
    db.delete(b, a.starts[2], a.ends[2]);
  }
  h = db.lookup(b, a.starts[1], a.ends[1], false);
  putValue(c, db, h, db, b, a.starts[2], a.ends[2], db.expireAt(h), false);
  db.delete(b, a.starts[1], a.ends[1]);
  notify(c, NOTIFY_NEW, "new", b, a.starts[2], a.ends[2]);
  notify(c, NOTIFY_GENERIC, "rename_from", b, a.starts[1], a.ends[1]);
  notify(c, NOTIFY_GENERIC, "rename_to", b, a.starts[2], a.ends[2]);
  if (nx) c.reply.integer(1);
  else c.reply.ok();
}

function rename(c: Client, a: Args): void {
  renameGeneric(c, a, false);
}

function renamenx(c: Client, a: Args): void {
  renameGeneric(c, a, true);
}

/** A database index argument as Redis's getIntFromObjectOrReply + selectDb check it; null after an error. */
function dbIndexArg(c: Client, a: Args, i: number): Db | null {
  const n = parseInt64(a.argBuf, a.starts[i], a.ends[i]);
  if (n === null) {
    c.reply.error(ERR_NOT_INT);
    return null;
  }
  if (n < -2147483648 || n > 2147483647) {
    c.reply.error(ERR_INT_RANGE);
    return null;
  }
  const dbs = c.server.store.dbs;
  if (typeof n !== "number" || n < 0 || n >= dbs.length) {
    c.reply.error(ERR_DB_INDEX);
    return null;
  }
  return dbs[n];
}

function move(c: Client, a: Args): void {
  const src = c.db;
  const dst = dbIndexArg(c, a, 2);
  if (dst === null) return;
  if (dst === src) {
    c.reply.error(ERR_SAME_OBJECT);
    return;
  }
  const b = a.argBuf;
  const ks = a.starts[1];
  const ke = a.ends[1];
  const h = src.lookup(b, ks, ke, !c.noTouch);
  if (h === 0 || dst.lookup(b, ks, ke, false) !== 0) {
    c.reply.integer(0);
    return;
  }
  putValue(c, src, h, dst, b, ks, ke, src.expireAt(h), false);
  src.delete(b, ks, ke);
  notify(c, NOTIFY_NEW, "new", b, ks, ke, dst.id);
  notify(c, NOTIFY_GENERIC, "move_from", b, ks, ke);
  notify(c, NOTIFY_GENERIC, "move_to", b, ks, ke, dst.id);
  c.reply.integer(1);
}

function copy(c: Client, a: Args): void {
  const src = c.db;
  let dst = src;
  let replace = false;
  for (let j = 3; j < a.argc; j++) {
    if (argIs(a, j, "replace")) replace = true;
    else if (argIs(a, j, "db") && j + 1 < a.argc) {
      const d = dbIndexArg(c, a, ++j);
      if (d === null) return;
      dst = d;
    } else {
      c.reply.error(ERR_SYNTAX);
      return;
    }
  }
  if (src === dst && sameBytes(a, 1, 2)) {
    c.reply.error(ERR_SAME_OBJECT);
    return;
  }
  const b = a.argBuf;
  if (readKey(c, a, 1, !c.noTouch) === 0) {
    c.reply.integer(0);
    return;
  }
  if (dst.lookup(b, a.starts[2], a.ends[2], false) !== 0) {
    if (!replace) {
      c.reply.integer(0);
      return;
    }
    dst.delete(b, a.starts[2], a.ends[2]);
  }
  const h = src.lookup(b, a.starts[1], a.ends[1], false);
  putValue(c, src, h, dst, b, a.starts[2], a.ends[2], src.expireAt(h), true);
  notify(c, NOTIFY_NEW, "new", b, a.starts[2], a.ends[2], dst.id);
  notify(c, NOTIFY_GENERIC, "copy_to", b, a.starts[2], a.ends[2], dst.id);
  c.reply.integer(1);
}

// ---- KEYS and SCAN ----

const found: number[] = [];

/** Whether key h has an expiry time that has passed (it is still in the index until touched). */
function expired(db: Db, h: number, now: number): boolean {
  const at = db.expireAt(h);
  return at >= 0 && at < now;
}

function keys(c: Client, a: Args): void {
  const db = c.db;
  const now = c.server.store.now;
  const pb = a.argBuf;
  const ps = a.starts[1];
  const pe = a.ends[1];
  const all = pe - ps === 1 && pb[ps] === 0x2a;
  found.length = 0;
  db.forEach((h) => {
    if (expired(db, h, now)) return;
    if (!all) {
      db.decode(h);
      if (!globMatchBytes(pb, ps, pe, db.kbuf, db.kstart, db.kend)) return;
    }
    found.push(h);
  });
  replyKeys(c, db);
}

/** The keys of the handles in `found` as an array reply. */
function replyKeys(c: Client, db: Db): void {
  const r = c.reply;
  r.arrayHeader(found.length);
  for (let i = 0; i < found.length; i++) {
    db.decode(found[i]);
    r.bulk(db.kbuf, db.kstart, db.kend);
  }
  found.length = 0;
}

function isSpace(ch: number): boolean {
  return ch === 0x20 || (ch >= 0x09 && ch <= 0x0d);
}

/**
 * A SCAN cursor as Redis's strtoul check reads it (a leading space, trailing bytes or a value past
 * 2^64-1 are invalid; a sign is allowed and "-n" wraps; "" is 0; a NUL ends the text), reduced to
 * the 32 bits our cursors use. -1 when invalid.
 */
export function parseCursor(buf: Uint8Array, start: number, end: number): number {
  for (let k = start; k < end; k++) {
    if (buf[k] === 0) {
      end = k;
      break;
    }
  }
  if (start === end) return 0;
  if (isSpace(buf[start])) return -1;
  let p = start;
  let neg = false;
  if (buf[p] === 0x2b || buf[p] === 0x2d) {
    neg = buf[p] === 0x2d;
    p++;
  }
  if (p === end) return -1;
  let v = 0n;
  let small = 0;
  const digits = end - p;
  for (let k = p; k < end; k++) {
    const d = buf[k] - 0x30;
    if (d < 0 || d > 9) return -1;
    if (digits <= 15) small = small * 10 + d;
    else v = v * 10n + BigInt(d);
  }
  if (digits <= 15) v = BigInt(small);
  if (v > 0xffffffffffffffffn) return -1;
  if (neg) v = (1n << 64n) - v;
  return Number(v & 0xffffffffn);
}

function scan(c: Client, a: Args): void {
  const cursor = parseCursor(a.argBuf, a.starts[1], a.ends[1]);
  if (cursor < 0) {
    c.reply.error(ERR_INVALID_CURSOR);
    return;
  }
  let count = 10;
  let patArg = 0;
  let typeArg = 0;
  for (let i = 2; i < a.argc; ) {
    const more = a.argc - i;
    if (more >= 2 && argIs(a, i, "count")) {
      const n = parseInt64(a.argBuf, a.starts[i + 1], a.ends[i + 1]);
      if (n === null) {
        c.reply.error(ERR_NOT_INT);
        return;
      }
      if (n < 1) {
        c.reply.error(ERR_SYNTAX);
        return;
      }
      count = Number(n);
      i += 2;
    } else if (more >= 2 && argIs(a, i, "match")) {
      patArg = i + 1;
      i += 2;
    } else if (more >= 2 && argIs(a, i, "type")) {
      typeArg = i + 1;
      i += 2;
    } else {
      c.reply.error(ERR_SYNTAX);
      return;
    }
  }
  const db = c.db;
  // Redis's loop: one bucket per dictScan call, until `count` keys (before filtering) or count*10 calls.
  found.length = 0;
  let v = cursor;
  let iterations = count * 10;
  do {
    v = db.scan(v, 1, collect);
  } while (v !== 0 && iterations-- !== 0 && found.length < count);
  // Filter in place: pattern, type, expiry. A key whose time has passed is expired on the way
  // (as Redis's expireIfNeeded does here), and counts as a miss when TYPE looked it up.
  const pb = a.argBuf;
  const ps = patArg === 0 ? 0 : a.starts[patArg];
  const pe = patArg === 0 ? 0 : a.ends[patArg];
  const usePattern = patArg !== 0 && !(pe - ps === 1 && pb[ps] === 0x2a);
  const now = c.server.store.now;
  let kept = 0;
  for (let i = 0; i < found.length; i++) {
    const h = found[i];
    if (usePattern) {
      db.decode(h);
      if (!globMatchBytes(pb, ps, pe, db.kbuf, db.kstart, db.kend)) continue;
    }
    if (expired(db, h, now)) {
      db.decode(h);
      const key = db.kbuf.slice(db.kstart, db.kend);
      db.lookup(key, 0, key.length, false);
      if (typeArg !== 0) notifyMiss(c, key, 0, key.length);
      continue;
    }
    if (typeArg !== 0 && !typeIs(a, typeArg, TYPE_NAMES[db.type(h)])) continue;
    found[kept++] = h;
  }
  found.length = kept;
  c.reply.arrayHeader(2);
  c.reply.bulkString(String(v));
  replyKeys(c, db);
}

function collect(h: number): void {
  found.push(h);
}

/** strcasecmp(argument i, name) === 0 */
function typeIs(a: Args, i: number, name: string): boolean {
  const s = a.starts[i];
  const n = a.ends[i] - s;
  if (n !== name.length) return false;
  for (let k = 0; k < n; k++) {
    let ch = a.argBuf[s + k];
    if (ch >= 65 && ch <= 90) ch += 32;
    if (ch !== name.charCodeAt(k)) return false;
  }
  return true;
}

// ---- expiry ----

const E_NX = 1;
const E_XX = 2;
const E_GT = 4;
const E_LT = 8;

/**
 * Redis's expireGenericCommand: key 1, time argument 2 in `unit`, plus `relative` (EXPIRE/PEXPIRE)
 * or absolute; options NX|XX|GT|LT. A time not in the future deletes the key.
 */
function expireGeneric(c: Client, a: Args, unit: number, relative: boolean, cmd: string): void {
  let flags = 0;
  for (let j = 3; j < a.argc; j++) {
    if (argIs(a, j, "nx")) flags |= E_NX;
    else if (argIs(a, j, "xx")) flags |= E_XX;
    else if (argIs(a, j, "gt")) flags |= E_GT;
    else if (argIs(a, j, "lt")) flags |= E_LT;
    else {
      c.reply.error(`ERR Unsupported option ${argString(a, j)}`);
      return;
    }
  }
  if ((flags & E_NX) !== 0 && (flags & (E_XX | E_GT | E_LT)) !== 0) {
    c.reply.error("ERR NX and XX, GT or LT options at the same time are not compatible");
    return;
  }
  if ((flags & E_GT) !== 0 && (flags & E_LT) !== 0) {
    c.reply.error("ERR GT and LT options at the same time are not compatible");
    return;
  }
  const v = parseInt64(a.argBuf, a.starts[2], a.ends[2]);
  if (v === null) {
    c.reply.error(ERR_NOT_INT);
    return;
  }
  const now = c.server.store.now;
  const base = relative ? now : 0;
  let when = 0;
  const fast = typeof v === "number" ? v * unit + base : Number.NaN;
  if (Number.isSafeInteger(fast)) when = fast;
  else {
    let b = BigInt(v);
    if (unit === SECONDS) {
      if (b > INT64_MAX / 1000n || b < INT64_MIN / 1000n) {
        c.reply.error(`ERR invalid expire time in '${cmd}' command`);
        return;
      }
      b *= 1000n;
    }
    if (b > INT64_MAX - BigInt(base)) {
      c.reply.error(`ERR invalid expire time in '${cmd}' command`);
      return;
    }
    when = Number(b + BigInt(base));
  }
  const db = c.db;
  const kb = a.argBuf;
  const ks = a.starts[1];
  const ke = a.ends[1];
  const h = db.lookup(kb, ks, ke, !c.noTouch);
  if (h === 0) {
    c.reply.integer(0);
    return;
  }
  if (flags !== 0) {
    const cur = db.expireAt(h);
    if (
      ((flags & E_NX) !== 0 && cur !== -1) ||
      ((flags & E_XX) !== 0 && cur === -1) ||
      ((flags & E_GT) !== 0 && (when <= cur || cur === -1)) ||
      ((flags & E_LT) !== 0 && cur !== -1 && when >= cur)
    ) {
      c.reply.integer(0);
      return;
    }
  }
  if (when <= now) {
    db.delete(kb, ks, ke);
    notify(c, NOTIFY_GENERIC, "del", kb, ks, ke);
    c.reply.integer(1);
  } else {
    db.setExpire(h, when);
    c.reply.integer(1);
    notify(c, NOTIFY_GENERIC, "expire", kb, ks, ke);
  }
}

function ttlGeneric(c: Client, a: Args, ms: boolean, absolute: boolean): void {
  const db = c.db;
  const h = readKey(c, a, 1, false);
  if (h === 0) {
    c.reply.integer(-2);
    return;
  }
  const at = db.expireAt(h);
  if (at < 0) {
    c.reply.integer(-1);
    return;
  }
  let t = absolute ? at : at - c.server.store.now;
  if (t < 0) t = 0;
  c.reply.integer(ms ? t : Math.floor((t + 500) / 1000));
}

function persist(c: Client, a: Args): void {
  const db = c.db;
  const h = db.lookup(a.argBuf, a.starts[1], a.ends[1], !c.noTouch);
  if (h === 0 || db.expireAt(h) < 0) {
    c.reply.integer(0);
    return;
  }
  db.setExpire(h, 0);
  notify(c, NOTIFY_GENERIC, "persist", a.argBuf, a.starts[1], a.ends[1]);
  c.reply.integer(1);
}

// ---- OBJECT and MEMORY ----

interface Subcommand {
  name: string;
  arity: number;
  run: (c: Client, a: Args) => void;
}

/** Runs a container command's subcommand with Redis 7.0's errors for unknown ones and bad arity. */
function dispatch(c: Client, a: Args, container: string, subs: readonly Subcommand[]): void {
  for (const sub of subs) {
    if (!argIs(a, 1, sub.name)) continue;
    if ((sub.arity > 0 && a.argc !== sub.arity) || a.argc < -sub.arity) {
      c.reply.error(errArity(`${container}|${sub.name}`));
      return;
    }
    sub.run(c, a);
    return;
  }
  const typed = argString(a, 1);
  c.reply.error(
    `ERR unknown subcommand '${typed.length > 128 ? typed.slice(0, 128) : typed}'. Try ${argString(a, 0).toUpperCase()} HELP.`,
  );
}

function replyHelp(c: Client, container: string, lines: readonly string[]): void {
  const r = c.reply;
  r.arrayHeader(lines.length + 3);
  r.simple(`${container} <subcommand> [<arg> [value] [opt] ...]. Subcommands are:`);
  for (const l of lines) r.simple(l);
  r.simple("HELP");
  r.simple("    Prints this help.");
}

const OBJECT_HELP = [
  "ENCODING <key>",
  "    Return the kind of internal representation used in order to store the value",
  "    associated with a <key>.",
  "FREQ <key>",
  "    Return the access frequency index of the <key>. The returned integer is",
  "    proportional to the logarithm of the recent access frequency of the key.",
  "IDLETIME <key>",
  "    Return the idle time of the <key>, that is the approximated number of",
  "    seconds elapsed since the last access to the key.",
  "REFCOUNT <key>",
  "    Return the number of references of the value associated with the specified",
  "    <key>.",
];

const MEMORY_HELP = [
  "DOCTOR",
  "    Return memory problems reports.",
  "MALLOC-STATS",
  "    Return internal statistics report from the memory allocator.",
  "PURGE",
  "    Attempt to purge dirty pages for reclamation by the allocator.",
  "STATS",
  "    Return information about the memory usage of the server.",
  "USAGE <key> [SAMPLES <count>]",
  "    Return memory in bytes used by <key> and its value. Nested values are",
  "    sampled up to <count> times (default: 5, 0 means sample all).",
];

/** The key of argument 2 for OBJECT, without touching it; writes the null reply and returns 0 when absent. */
function objectKey(c: Client, a: Args): number {
  const h = c.db.lookupRead(a.argBuf, a.starts[2], a.ends[2], false);
  if (h === 0) c.reply.nullBulk();
  return h;
}

function configInt(c: Client, name: string, fallback: number): number {
  const v = Number(c.server.config.get(name));
  return Number.isFinite(v) ? v : fallback;
}

/** The OBJECT ENCODING Redis 7.0 would report for the value of key h. */
export function encodingOf(c: Client, db: Db, h: number): string {
  const t = db.type(h);
  if (t === T_STRING) {
    db.decode(h);
    const len = db.vend - db.vstart;
    if (len <= 20 && parseInt64(db.vbuf, db.vstart, db.vend) !== null) return "int";
    return len <= 44 ? "embstr" : "raw";
  }
  const obj = db.object<object>(h);
  const tracked = (obj as { encoding?: unknown }).encoding;
  if (typeof tracked === "string") return tracked;
  if (t === T_LIST) return "quicklist";
  if (t === T_SET && obj instanceof SetValue) {
    if (obj.size > configInt(c, "set-max-intset-entries", 512)) return "hashtable";
    for (const m of obj.members()) if (parseInt64Str(m) === null) return "hashtable";
    return "intset";
  }
  if (t === T_ZSET && obj instanceof SortedSet) {
    if (obj.size > configInt(c, "zset-max-listpack-entries", 128)) return "skiplist";
    const maxValue = configInt(c, "zset-max-listpack-value", 64);
    let small = true;
    obj.forEach((m) => {
      if (m.length > maxValue) small = false;
    });
    return small ? "listpack" : "skiplist";
  }
  if (t === T_HASH && obj instanceof HashValue) return obj.encoding;
  return "hashtable";
}

const SHARED_INTEGERS = 10000;
const SHARED_REFCOUNT = 2147483647;

function objectEncoding(c: Client, a: Args): void {
  const h = objectKey(c, a);
  if (h !== 0) c.reply.bulkString(encodingOf(c, c.db, h));
}

function objectRefcount(c: Client, a: Args): void {
  const h = objectKey(c, a);
  if (h === 0) return;
  // Redis shares the objects of the integers 0..9999 (refcount INT_MAX) unless an LRU/LFU
  // maxmemory policy needs per-key access data.
  const db = c.db;
  const store = c.server.store;
  if (db.type(h) === T_STRING && (store.maxmemory === 0 || !/-(lru|lfu)$/.test(store.policy))) {
    db.decode(h);
    const v = db.vend - db.vstart <= 20 ? parseInt64(db.vbuf, db.vstart, db.vend) : null;
    if (typeof v === "number" && v >= 0 && v < SHARED_INTEGERS) {
      c.reply.integer(SHARED_REFCOUNT);
      return;
    }
  }
  c.reply.integer(1);
}

function lfuPolicy(c: Client): boolean {
  return c.server.store.policy.endsWith("-lfu");
}

function objectIdletime(c: Client, a: Args): void {
  const h = objectKey(c, a);
  if (h === 0) return;
  if (lfuPolicy(c)) {
    c.reply.error(
      "ERR An LFU maxmemory policy is selected, idle time not tracked. Please note that when switching between policies at runtime LRU and LFU data will take some time to adjust.",
    );
    return;
  }
  const store = c.server.store;
  c.reply.integer(store.idleSeconds(store.slab.page(h), store.slab.offset(h)));
}

function objectFreq(c: Client, a: Args): void {
  const h = objectKey(c, a);
  if (h === 0) return;
  if (!lfuPolicy(c)) {
    c.reply.error(
      "ERR An LFU maxmemory policy is not selected, access frequency not tracked. Please note that when switching between policies at runtime LRU and LFU data will take some time to adjust.",
    );
    return;
  }
  const store = c.server.store;
  c.reply.integer(store.lfuDecayed(store.slab.page(h), store.slab.offset(h)));
}

const OBJECT_SUBS: Subcommand[] = [
  { name: "encoding", arity: 3, run: objectEncoding },
  { name: "refcount", arity: 3, run: objectRefcount },
  { name: "idletime", arity: 3, run: objectIdletime },
  { name: "freq", arity: 3, run: objectFreq },
  { name: "help", arity: 2, run: (c) => replyHelp(c, "OBJECT", OBJECT_HELP) },
];

function object(c: Client, a: Args): void {
  dispatch(c, a, "object", OBJECT_SUBS);
}

/** MEMORY USAGE: the key's slab block plus the estimated heap bytes of its collection object. */
function memoryUsage(c: Client, a: Args): void {
  for (let j = 3; j < a.argc; j++) {
    if (argIs(a, j, "samples") && j + 1 < a.argc) {
      const n = parseInt64(a.argBuf, a.starts[j + 1], a.ends[j + 1]);
      if (n === null) {
        c.reply.error(ERR_NOT_INT);
        return;
      }
      if (n < 0) {
        c.reply.error(ERR_SYNTAX);
        return;
      }
      j++;
    } else {
      c.reply.error(ERR_SYNTAX);
      return;
    }
  }
  const db = c.db;
  const h = db.lookup(a.argBuf, a.starts[2], a.ends[2], false);
  if (h === 0) {
    c.reply.nullBulk();
    return;
  }
  let bytes = c.server.store.slab.sizeOf(h);
  if (db.type(h) !== T_STRING) bytes += db.object<CacheObject>(h).bytes ?? 0;
  c.reply.integer(bytes);
}

const MEMORY_SUBS: Subcommand[] = [
  { name: "usage", arity: -3, run: memoryUsage },
  { name: "help", arity: 2, run: (c) => replyHelp(c, "MEMORY", MEMORY_HELP) },
];

function memory(c: Client, a: Args): void {
  dispatch(c, a, "memory", MEMORY_SUBS);
}

function subSpecs(
  container: string,
  subs: readonly Subcommand[],
  flags: CommandSpec["flags"],
  keys: [number, number, number],
): CommandSpec[] {
  return subs.map((s) =>
    command(`${container}|${s.name}`, s.arity, flags, s.name === "help" ? NO_KEYS : keys, s.run, ["keyspace"]),
  );
}

const KEYS_ALL: [number, number, number] = [1, -1, 1];
const KEY2: [number, number, number] = [1, 2, 1];
const KEY_SUB: [number, number, number] = [2, 2, 1];

function expire(c: Client, a: Args): void {
  expireGeneric(c, a, SECONDS, true, "expire");
}
function pexpire(c: Client, a: Args): void {
  expireGeneric(c, a, MILLISECONDS, true, "pexpire");
}
function expireat(c: Client, a: Args): void {
  expireGeneric(c, a, SECONDS, false, "expireat");
}
function pexpireat(c: Client, a: Args): void {
  expireGeneric(c, a, MILLISECONDS, false, "pexpireat");
}

const objectSpec = command("object", -2, [], NO_KEYS, object, ["keyspace"]);
objectSpec.subcommands = subSpecs("object", OBJECT_SUBS, ["readonly"], KEY_SUB);
const memorySpec = command("memory", -2, [], NO_KEYS, memory, []);
memorySpec.subcommands = subSpecs("memory", MEMORY_SUBS, ["readonly"], KEY_SUB);

export const commands: CommandSpec[] = [
  command("del", -2, ["write"], KEYS_ALL, del, ["keyspace", "write", "slow"]),
  command("unlink", -2, ["write", "fast"], KEYS_ALL, del, ["keyspace", "write", "fast"]),
  command("exists", -2, ["readonly", "fast"], KEYS_ALL, exists, ["keyspace", "read", "fast"]),
  command("type", 2, ["readonly", "fast"], KEY1, type, ["keyspace", "read", "fast"]),
  command("rename", 3, ["write"], KEY2, rename, ["keyspace", "write", "slow"]),
  command("renamenx", 3, ["write", "fast"], KEY2, renamenx, ["keyspace", "write", "fast"]),
  command("touch", -2, ["readonly", "fast"], KEYS_ALL, touch, ["keyspace", "read", "fast"]),
  command("randomkey", 1, ["readonly"], NO_KEYS, randomkey, ["keyspace", "read", "slow"]),
  command("copy", -3, ["write", "denyoom"], KEY2, copy, ["keyspace", "write", "slow"]),
  command("move", 3, ["write", "fast"], KEY1, move, ["keyspace", "write", "fast"]),
  command("keys", 2, ["readonly"], NO_KEYS, keys, ["keyspace", "read", "slow", "dangerous"]),
  command("scan", -2, ["readonly"], NO_KEYS, scan, ["keyspace", "read", "slow"]),
  command("expire", -3, ["write", "fast"], KEY1, expire, ["keyspace", "write", "fast"]),
  command("pexpire", -3, ["write", "fast"], KEY1, pexpire, ["keyspace", "write", "fast"]),
  command("expireat", -3, ["write", "fast"], KEY1, expireat, ["keyspace", "write", "fast"]),
  command("pexpireat", -3, ["write", "fast"], KEY1, pexpireat, ["keyspace", "write", "fast"]),
  command("ttl", 2, ["readonly", "fast"], KEY1, (c, a) => ttlGeneric(c, a, false, false), ["keyspace", "read", "fast"]),
  command("pttl", 2, ["readonly", "fast"], KEY1, (c, a) => ttlGeneric(c, a, true, false), ["keyspace", "read", "fast"]),
  command("expiretime", 2, ["readonly", "fast"], KEY1, (c, a) => ttlGeneric(c, a, false, true), [
    "keyspace",
    "read",
    "fast",
  ]),
  command("pexpiretime", 2, ["readonly", "fast"], KEY1, (c, a) => ttlGeneric(c, a, true, true), [
    "keyspace",
    "read",
    "fast",
  ]),
  command("persist", 2, ["write", "fast"], KEY1, persist, ["keyspace", "write", "fast"]),
  objectSpec,
  memorySpec,
];
