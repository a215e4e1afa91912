// The set command family (SADD ... SSCAN), with Redis 7.0's replies, error texts and order of
// checks, plus the cursor and option parsing HSCAN shares.
//
// Reply order: Redis 7.0 keeps a set of at most set-max-intset-entries integers as an intset,
// whose members come out sorted; every other set is a hashtable with an order of its own, which
// clients cannot rely on. So a set (or a SINTER/SUNION/SDIFF result) that Redis would hold as an
// intset is replied sorted, SSCAN returns it whole with cursor 0, and anything else comes out in
// SetValue's order. An emptied set is deleted; in-place changes are reported with objectChanged.

import { T_SET } from "../../../cache/entry.js";
import { globMatchString } from "../../../cache/glob.js";
import { parseInt64, parseInt64Str } from "../../../cache/numbers.js";
import { SetValue, scanSlots } from "../../../cache/set.js";
import type { Client } from "../client.js";
import {
  type Args,
  argIs,
  argString,
  type CommandSpec,
  collectionHandle,
  command,
  ERR_NOT_INT,
  ERR_SYNTAX,
  ERR_WRONGTYPE,
  findCollection,
  KEY1,
} from "../command.js";
import { NOTIFY_GENERIC, NOTIFY_NEW, NOTIFY_SET, notify } from "../notify.js";

export const ERR_INVALID_CURSOR = "ERR invalid cursor";
/** getRangeLongFromObjectOrReply(-LONG_MAX, LONG_MAX) on -2^63 (SRANDMEMBER, HRANDFIELD counts). */
export const ERR_RANGE_LONG =
  "ERR value is out of range, value must between -9223372036854775807 and 9223372036854775807";
const ERR_NOT_POSITIVE = "ERR value is out of range, must be positive";
const INT64_MIN_PLUS_1 = -9223372036854775807n;

// ---- SCAN cursor and options (shared with HSCAN) ----

export const SCAN_INVALID = -1;

function isCSpace(ch: number): boolean {
  return ch === 32 || (ch >= 9 && ch <= 13);
}

/**
 * A SCAN cursor read as Redis's parseScanCursorOrReply does (C strtoul, base 10): no leading
 * space, an optional sign ('-' wraps around 2^64), digits up to a NUL byte or the end, "" reads as
 * 0, beyond 2^64-1 is an error. Returns the cursor (approximate beyond 2^53) or SCAN_INVALID.
 */
export function scanCursor(a: Args, i: number): number {
  const b = a.argBuf;
  let p = a.starts[i];
  let end = a.ends[i];
  for (let j = p; j < end; j++) {
    if (b[j] === 0) {
      end = j; // C reads the argument up to its first NUL
      break;
    }
  }
  if (p === end) return 0;
  if (isCSpace(b[p])) return SCAN_INVALID;
  let neg = false;
  if (b[p] === 43 || b[p] === 45) {
    neg = b[p] === 45;
    p++;
  }
  if (p === end) return SCAN_INVALID;
  let v = 0;
  let big = 0n;
  const digits = end - p;
  for (let j = p; j < end; j++) {
    const d = b[j] - 48;
    if (d < 0 || d > 9) return SCAN_INVALID;
    if (digits > 15) big = big * 10n + BigInt(d);
    else v = v * 10 + d;
  }
  if (digits > 15) {
    if (big > 0xffffffffffffffffn) return SCAN_INVALID;
    if (neg && big !== 0n) big = (1n << 64n) - big;
    return Number(big);
  }
  return neg && v !== 0 ? 2 ** 64 - v : v;
}

/** The options parseScanOptions read: COUNT, and the argument index of the MATCH pattern (-1: none). */
export const scanOpts = { count: 10, match: -1 };

/** Reads [COUNT n] [MATCH pattern] from argument `from` on; false after replying an error. */
export function parseScanOptions(c: Client, a: Args, from: number): boolean {
  scanOpts.count = 10;
  scanOpts.match = -1;
  for (let i = from; i < a.argc; i += 2) {
    const more = a.argc - i;
    if (more >= 2 && argIs(a, i, "count")) {
      const n = parseInt64(a.argBuf, a.starts[i + 1], a.ends[i + 1]);
      if (n === null) {
        c.reply.error(ERR_NOT_INT);
        return false;
      }
      if (n < 1) {
        c.reply.error(ERR_SYNTAX);
        return false;
      }
      scanOpts.count = Number(n);
    } else if (more >= 2 && argIs(a, i, "match")) {
      scanOpts.match = i + 1;
    } else {
      c.reply.error(ERR_SYNTAX);
      return false;
    }
  }
  return true;
}

/** Whether a latin1 string passes the MATCH pattern parseScanOptions found (true without one). */
export function scanMatches(a: Args, s: string): boolean {
  const m = scanOpts.match;
  if (m < 0) return true;
  const ps = a.starts[m];
  const pe = a.ends[m];
  if (pe - ps === 1 && a.argBuf[ps] === 42) return true; // exactly "*": Redis skips matching
  return globMatchString(a.argBuf, ps, pe, s);
}

/** The reply to a SCAN of a missing key: cursor 0, no elements. */
export function replyEmptyScan(c: Client): void {
  c.reply.arrayHeader(2);
  c.reply.bulkString("0");
  c.reply.arrayHeader(0);
}

// ---- lookups ----

/** The handle of the key found by the last writeSet call. */
let foundHandle = 0;

/** The set at key argument i for a read: the object, null when absent, undefined after WRONGTYPE. */
function readSet(c: Client, a: Args, i: number): SetValue | null | undefined {
  return findCollection<SetValue>(c, a.argBuf, a.starts[i], a.ends[i], T_SET, true);
}

/** readSet for a write command; sets foundHandle. */
function writeSet(c: Client, a: Args, i: number): SetValue | null | undefined {
  const set = findCollection<SetValue>(c, a.argBuf, a.starts[i], a.ends[i], T_SET, false);
  foundHandle = collectionHandle;
  return set;
}

/** Fires `event` on key argument i; deletes the key when its set is empty (firing "del"), else reports the in-place change. */
function afterRemove(c: Client, a: Args, i: number, set: SetValue, event: string): void {
  if (set.size === 0) c.db.delete(a.argBuf, a.starts[i], a.ends[i]);
  else c.db.objectChanged(foundHandle);
  notify(c, NOTIFY_SET, event, a.argBuf, a.starts[i], a.ends[i]);
  if (set.size === 0) notify(c, NOTIFY_GENERIC, "del", a.argBuf, a.starts[i], a.ends[i]);
}

/** Creates key argument i holding a new set, firing "new". */
function createSet(c: Client, a: Args, i: number, set: SetValue): void {
  c.db.setObject(a.argBuf, a.starts[i], a.ends[i], T_SET, set);
  notify(c, NOTIFY_NEW, "new", a.argBuf, a.starts[i], a.ends[i]);
}

// ---- reply order ----

let intsetScratch = new Float64Array(64);

function intsetMax(c: Client): number {
  const n = Number(c.server.config.get("set-max-intset-entries"));
  return Number.isFinite(n) ? n : 512;
}

/**
 * The members sorted as Redis's intset holds them, when Redis would hold them as an intset (at
 * most set-max-intset-entries members, each an integer string2ll accepts); null otherwise. May
 * return `members` itself when it is already in order.
 */
export function intsetOrder(c: Client, members: readonly string[]): readonly string[] | null {
  const n = members.length;
  if (n > intsetMax(c)) return null;
  if (intsetScratch.length < n) intsetScratch = new Float64Array(Math.max(n, intsetScratch.length * 2));
  const nums = intsetScratch;
  let sorted = true;
  let big = false;
  for (let i = 0; i < n; i++) {
    const v = parseInt64Str(members[i]);
    if (v === null) return null;
    if (typeof v === "bigint") big = true;
    else {
      nums[i] = v;
      if (i > 0 && v < nums[i - 1]) sorted = false;
    }
  }
  if (big) {
    return members.slice().sort((x, y) => {
      const p = BigInt(x);
      const q = BigInt(y);
      return p < q ? -1 : p > q ? 1 : 0;
    });
  }
  if (sorted) return members;
  const view = nums.subarray(0, n).sort();
  const out: string[] = new Array(n);
  for (let i = 0; i < n; i++) out[i] = String(view[i]);
  return out;
}

/** Replies members as a set (RESP3 ~, RESP2 *) or an array, in Redis's order where it has one. */
function replyMembers(c: Client, members: readonly string[], asSet: boolean): void {
  const list = intsetOrder(c, members) ?? members;
  const r = c.reply;
  if (asSet) r.setHeader(list.length);
  else r.arrayHeader(list.length);
  for (let i = 0; i < list.length; i++) r.bulkString(list[i]);
}

// ---- commands ----

function sadd(c: Client, a: Args): void {
  const set = writeSet(c, a, 1);
  if (set === undefined) return;
  const target = set ?? new SetValue();
  let added = 0;
  for (let i = 2; i < a.argc; i++) if (target.add(argString(a, i))) added++;
  if (set === null) createSet(c, a, 1, target);
  else if (added > 0) c.db.objectChanged(foundHandle);
  if (added > 0) notify(c, NOTIFY_SET, "sadd", a.argBuf, a.starts[1], a.ends[1]);
  c.reply.integer(added);
}

function srem(c: Client, a: Args): void {
  const set = writeSet(c, a, 1);
  if (set === undefined) return;
  if (set === null) {
    c.reply.integer(0);
    return;
  }
  let removed = 0;
  for (let i = 2; i < a.argc; i++) {
    if (set.remove(argString(a, i))) {
      removed++;
      if (set.size === 0) break;
    }
  }
  if (removed > 0) afterRemove(c, a, 1, set, "srem");
  c.reply.integer(removed);
}

function smembers(c: Client, a: Args): void {
  const set = readSet(c, a, 1);
  if (set === undefined) return;
  if (set === null) c.reply.setHeader(0);
  else replyMembers(c, set.members(), true);
}

function sismember(c: Client, a: Args): void {
  const set = readSet(c, a, 1);
  if (set !== undefined) c.reply.integer(set?.has(argString(a, 2)) ? 1 : 0);
}

function smismember(c: Client, a: Args): void {
  const set = readSet(c, a, 1);
  if (set === undefined) return;
  const r = c.reply;
  r.arrayHeader(a.argc - 2);
  for (let i = 2; i < a.argc; i++) r.integer(set?.has(argString(a, i)) ? 1 : 0);
}

function scard(c: Client, a: Args): void {
  const set = readSet(c, a, 1);
  if (set !== undefined) c.reply.integer(set === null ? 0 : set.size);
}

function spop(c: Client, a: Args): void {
  const r = c.reply;
  if (a.argc > 3) {
    r.error(ERR_SYNTAX);
    return;
  }
  if (a.argc === 3) {
    spopCount(c, a);
    return;
  }
  const set = writeSet(c, a, 1);
  if (set === undefined) return;
  if (set === null) {
    r.nullBulk();
    return;
  }
  const m = set.popRandom() as string;
  if (set.size > 0) c.db.objectChanged(foundHandle);
  notify(c, NOTIFY_SET, "spop", a.argBuf, a.starts[1], a.ends[1]);
  r.bulkString(m);
  if (set.size === 0) {
    c.db.delete(a.argBuf, a.starts[1], a.ends[1]);
    notify(c, NOTIFY_GENERIC, "del", a.argBuf, a.starts[1], a.ends[1]);
  }
}

function spopCount(c: Client, a: Args): void {
  const r = c.reply;
  const l = parseInt64(a.argBuf, a.starts[2], a.ends[2]);
  if (l === null || l < 0) {
    r.error(ERR_NOT_POSITIVE);
    return;
  }
  const set = writeSet(c, a, 1);
  if (set === undefined) return;
  const count = Number(l);
  if (set === null || count === 0) {
    r.setHeader(0);
    return;
  }
  notify(c, NOTIFY_SET, "spop", a.argBuf, a.starts[1], a.ends[1]);
  if (count >= set.size) {
    replyMembers(c, set.members(), true);
    c.db.delete(a.argBuf, a.starts[1], a.ends[1]);
    notify(c, NOTIFY_GENERIC, "del", a.argBuf, a.starts[1], a.ends[1]);
    return;
  }
  const popped = set.popRandomMany(count);
  c.db.objectChanged(foundHandle);
  r.setHeader(popped.length);
  for (let i = 0; i < popped.length; i++) r.bulkString(popped[i]);
}

function srandmember(c: Client, a: Args): void {
  const r = c.reply;
  if (a.argc > 3) {
    r.error(ERR_SYNTAX);
    return;
  }
  if (a.argc === 2) {
    const set = readSet(c, a, 1);
    if (set === undefined) return;
    if (set === null) r.nullBulk();
    else r.bulkString(set.randomMember() as string);
    return;
  }
  const l = parseInt64(a.argBuf, a.starts[2], a.ends[2]);
  if (l === null) {
    r.error(ERR_NOT_INT);
    return;
  }
  if (typeof l === "bigint" && l < INT64_MIN_PLUS_1) {
    r.error(ERR_RANGE_LONG);
    return;
  }
  const set = readSet(c, a, 1);
  if (set === undefined) return;
  const count = Number(l);
  if (set === null || count === 0) {
    r.arrayHeader(0);
    return;
  }
  if (count < 0 || count === 1) {
    // Independent draws, repeats allowed; written as drawn so a huge count needs no array.
    const n = Math.abs(count);
    r.arrayHeader(n);
    for (let k = 0; k < n; k++) r.bulkString(set.randomMember() as string);
    return;
  }
  if (count >= set.size) {
    replyMembers(c, set.members(), false);
    return;
  }
  const picked = set.randomDistinct(count);
  r.arrayHeader(picked.length);
  for (let i = 0; i < picked.length; i++) r.bulkString(picked[i]);
}

function smove(c: Client, a: Args): void {
  const db = c.db;
  const kb = a.argBuf;
  const srcH = db.lookup(kb, a.starts[1], a.ends[1], !c.noTouch);
  const src = srcH !== 0 && db.type(srcH) === T_SET ? db.object<SetValue>(srcH) : null;
  const srcWrong = srcH !== 0 && src === null;
  const dstH = db.lookup(kb, a.starts[2], a.ends[2], !c.noTouch);
  const dst = dstH !== 0 && db.type(dstH) === T_SET ? db.object<SetValue>(dstH) : null;
  const dstWrong = dstH !== 0 && dst === null;
  if (srcH === 0) {
    c.reply.integer(0);
    return;
  }
  if (srcWrong || dstWrong || src === null) {
    c.reply.error(ERR_WRONGTYPE);
    return;
  }
  const member = argString(a, 3);
  if (src === dst) {
    c.reply.integer(src.has(member) ? 1 : 0);
    return;
  }
  if (!src.remove(member)) {
    c.reply.integer(0);
    return;
  }
  notify(c, NOTIFY_SET, "srem", kb, a.starts[1], a.ends[1]);
  if (src.size === 0) {
    db.delete(kb, a.starts[1], a.ends[1]);
    notify(c, NOTIFY_GENERIC, "del", kb, a.starts[1], a.ends[1]);
  } else db.objectChanged(db.lookup(kb, a.starts[1], a.ends[1], false));
  if (dst === null) {
    createSet(c, a, 2, new SetValue([member]));
    notify(c, NOTIFY_SET, "sadd", kb, a.starts[2], a.ends[2]);
  } else if (dst.add(member)) {
    db.objectChanged(db.lookup(kb, a.starts[2], a.ends[2], false));
    notify(c, NOTIFY_SET, "sadd", kb, a.starts[2], a.ends[2]);
  }
  c.reply.integer(1);
}

// ---- SINTER / SUNION / SDIFF and their STORE forms, SINTERCARD ----

const operands: (SetValue | null)[] = [];

/** The sets at key arguments [from, to) into `operands` (null for a missing key); false after WRONGTYPE. */
function readOperands(c: Client, a: Args, from: number, to: number): boolean {
  operands.length = 0;
  for (let i = from; i < to; i++) {
    const s = readSet(c, a, i);
    if (s === undefined) {
      operands.length = 0;
      return false;
    }
    operands.push(s);
  }
  return true;
}

/** The members common to every operand, walking the smallest; stops after `limit` (0: none). */
function intersect(limit: number): string[] {
  const out: string[] = [];
  const sets: SetValue[] = [];
  for (const s of operands) {
    if (s === null) return out;
    sets.push(s);
  }
  sets.sort((x, y) => x.size - y.size);
  const first = sets[0];
  const members = first.members();
  outer: for (let i = 0; i < members.length; i++) {
    const m = members[i];
    for (let j = 1; j < sets.length; j++) {
      if (sets[j] !== first && !sets[j].has(m)) continue outer;
    }
    out.push(m);
    if (limit > 0 && out.length >= limit) break;
  }
  return out;
}

/** SUNION or SDIFF of the operands. */
function unionOrDiff(diff: boolean): SetValue {
  const out = new SetValue();
  if (diff) {
    const first = operands[0];
    if (first === null) return out;
    const members = first.members();
    outer: for (let i = 0; i < members.length; i++) {
      const m = members[i];
      for (let j = 1; j < operands.length; j++) {
        const s = operands[j];
        if (s?.has(m)) continue outer;
      }
      out.add(m);
    }
    return out;
  }
  for (const s of operands) {
    if (s === null) continue;
    const members = s.members();
    for (let i = 0; i < members.length; i++) out.add(members[i]);
  }
  return out;
}

/**
 * Replaces key argument 1 with the members (deletes it when there are none); replies the count.
 * Fires "new" and `event` for a stored result, "del" for a destination deleted: after the reply,
 * or before it (`delFirst`) where Redis returns early (SINTERSTORE with a missing operand).
 */
function store(c: Client, a: Args, result: SetValue, event: string, delFirst = false): void {
  const db = c.db;
  const kb = a.argBuf;
  const ks = a.starts[1];
  const ke = a.ends[1];
  operands.length = 0;
  const existed = db.delete(kb, ks, ke);
  if (result.size === 0) {
    if (existed && delFirst) notify(c, NOTIFY_GENERIC, "del", kb, ks, ke);
    c.reply.integer(0);
    if (existed && !delFirst) notify(c, NOTIFY_GENERIC, "del", kb, ks, ke);
    return;
  }
  db.setObject(kb, ks, ke, T_SET, result);
  if (!existed) notify(c, NOTIFY_NEW, "new", kb, ks, ke);
  c.reply.integer(result.size);
  notify(c, NOTIFY_SET, event, kb, ks, ke);
}

function sinter(c: Client, a: Args): void {
  if (!readOperands(c, a, 1, a.argc)) return;
  const res = intersect(0);
  operands.length = 0;
  replyMembers(c, res, true);
}

function sinterstore(c: Client, a: Args): void {
  if (!readOperands(c, a, 2, a.argc)) return;
  const missing = operands.includes(null);
  store(c, a, new SetValue(intersect(0)), "sinterstore", missing);
}

function sunion(c: Client, a: Args): void {
  if (!readOperands(c, a, 1, a.argc)) return;
  const res = unionOrDiff(false);
  operands.length = 0;
  replyMembers(c, res.members(), true);
}

function sunionstore(c: Client, a: Args): void {
  if (!readOperands(c, a, 2, a.argc)) return;
  store(c, a, unionOrDiff(false), "sunionstore");
}

function sdiff(c: Client, a: Args): void {
  if (!readOperands(c, a, 1, a.argc)) return;
  const res = unionOrDiff(true);
  operands.length = 0;
  replyMembers(c, res.members(), true);
}

function sdiffstore(c: Client, a: Args): void {
  if (!readOperands(c, a, 2, a.argc)) return;
  store(c, a, unionOrDiff(true), "sdiffstore");
}

function sintercard(c: Client, a: Args): void {
  const r = c.reply;
  const numkeys = parseInt64(a.argBuf, a.starts[1], a.ends[1]);
  if (numkeys === null || numkeys < 1) {
    r.error("ERR numkeys should be greater than 0");
    return;
  }
  if (numkeys > a.argc - 2) {
    r.error("ERR Number of keys can't be greater than number of args");
    return;
  }
  const last = 2 + Number(numkeys);
  let limit = 0;
  for (let j = last; j < a.argc; j++) {
    if (argIs(a, j, "limit") && j < a.argc - 1) {
      j++;
      const l = parseInt64(a.argBuf, a.starts[j], a.ends[j]);
      if (l === null || l < 0) {
        r.error("ERR LIMIT can't be negative");
        return;
      }
      limit = Number(l);
    } else {
      r.error(ERR_SYNTAX);
      return;
    }
  }
  if (!readOperands(c, a, 2, last)) return;
  const n = intersect(limit).length;
  operands.length = 0;
  r.integer(n);
}

const found: string[] = [];

function sscan(c: Client, a: Args): void {
  const cursor = scanCursor(a, 2);
  if (cursor === SCAN_INVALID) {
    c.reply.error(ERR_INVALID_CURSOR);
    return;
  }
  const set = readSet(c, a, 1);
  if (set === undefined) return;
  if (set === null) {
    replyEmptyScan(c);
    return;
  }
  if (!parseScanOptions(c, a, 3)) return;
  const out = found;
  out.length = 0;
  const members = set.members();
  const sorted = intsetOrder(c, members);
  let next = 0;
  if (sorted !== null) {
    for (let i = 0; i < sorted.length; i++) if (scanMatches(a, sorted[i])) out.push(sorted[i]);
  } else {
    next = scanSlots(members, cursor, scanOpts.count, (m) => {
      if (scanMatches(a, m)) out.push(m);
    });
  }
  const r = c.reply;
  r.arrayHeader(2);
  r.bulkString(String(next));
  r.arrayHeader(out.length);
  for (let i = 0; i < out.length; i++) r.bulkString(out[i]);
  out.length = 0;
}

const KEYS_ALL: [number, number, number] = [1, -1, 1];

export const commands: CommandSpec[] = [
  command("sadd", -3, ["write", "denyoom", "fast"], KEY1, sadd, ["write", "set", "fast"]),
  command("srem", -3, ["write", "fast"], KEY1, srem, ["write", "set", "fast"]),
  command("smembers", 2, ["readonly"], KEY1, smembers, ["read", "set", "slow"]),
  command("sismember", 3, ["readonly", "fast"], KEY1, sismember, ["read", "set", "fast"]),
  command("smismember", -3, ["readonly", "fast"], KEY1, smismember, ["read", "set", "fast"]),
  command("scard", 2, ["readonly", "fast"], KEY1, scard, ["read", "set", "fast"]),
  command("spop", -2, ["write", "fast"], KEY1, spop, ["write", "set", "fast"]),
  command("srandmember", -2, ["readonly"], KEY1, srandmember, ["read", "set", "slow"]),
  command("smove", 4, ["write", "fast"], [1, 2, 1], smove, ["write", "set", "fast"]),
  command("sinter", -2, ["readonly"], KEYS_ALL, sinter, ["read", "set", "slow"]),
  command("sunion", -2, ["readonly"], KEYS_ALL, sunion, ["read", "set", "slow"]),
  command("sdiff", -2, ["readonly"], KEYS_ALL, sdiff, ["read", "set", "slow"]),
  command("sinterstore", -3, ["write", "denyoom"], KEYS_ALL, sinterstore, ["write", "set", "slow"]),
  command("sunionstore", -3, ["write", "denyoom"], KEYS_ALL, sunionstore, ["write", "set", "slow"]),
  command("sdiffstore", -3, ["write", "denyoom"], KEYS_ALL, sdiffstore, ["write", "set", "slow"]),
  command("sintercard", -3, ["readonly", "movablekeys"], [0, 0, 0], sintercard, ["read", "set", "slow"]),
  command("sscan", -3, ["readonly"], KEY1, sscan, ["read", "set", "slow"]),
];
