// List commands: LPUSH/RPUSH(X), LPOP/RPOP [count], LLEN, LRANGE, LINDEX, LSET, LINSERT, LREM,
// LTRIM, LPOS, LMOVE, RPOPLPUSH, LMPOP, and the blocking BLPOP, BRPOP, BLMOVE, BRPOPLPUSH, BLMPOP.
// Also the pieces the blocking sorted-set pops share with them: argument and timeout parsing, the
// check that a client may block, waking clients blocked on a key.
//
// A blocking command that finds nothing to pop registers with server.block(); a push signals the
// key ready, and the server then retries the clients blocked on it in arrival order (Redis's FIFO).
// Replies follow Redis 7.0, including the order in which errors are checked.

import { T_LIST } from "../../../cache/entry.js";
import { ListValue } from "../../../cache/list.js";
import { INT64_MIN, parseInt64, parseInt64Approx, parseLongDouble, resolveRange } from "../../../cache/numbers.js";
import { latin1 } from "../../../format/latin1.js";
import type { Client } from "../client.js";
import {
  type Args,
  argIs,
  argString,
  type CommandSpec,
  collectionHandle,
  command,
  ERR_NO_SUCH_KEY,
  ERR_NOT_INT,
  ERR_OUT_OF_RANGE,
  ERR_SYNTAX,
  errArity,
  findCollection,
  KEY1,
} from "../command.js";
import { NOTIFY_GENERIC, NOTIFY_LIST, NOTIFY_NEW, notify } from "../notify.js";
import type { CacheServer } from "../server.js";

// ---- helpers shared with zsets.ts ----

export const ERR_MUST_BE_POSITIVE = "ERR value is out of range, must be positive";
const ERR_TIMEOUT_NOT_FLOAT = "ERR timeout is not a float or out of range";
const ERR_TIMEOUT_NEGATIVE = "ERR timeout is negative";
const TWO63 = 2 ** 63;

/** Argument i as a Redis long (getLongFromObjectOrReply); null after replying the error. */
export function longArg(c: Client, a: Args, i: number): number | null {
  const v = parseInt64Approx(a.argBuf, a.starts[i], a.ends[i]);
  if (v === null) c.reply.error(ERR_NOT_INT);
  return v;
}

/**
 * Argument i as a long >= 0 (getPositiveLongFromObjectOrReply); null after replying the error,
 * which is `message` both for a negative value and for one that is not an integer at all.
 */
export function positiveLongArg(c: Client, a: Args, i: number, message = ERR_MUST_BE_POSITIVE): number | null {
  const v = parseInt64Approx(a.argBuf, a.starts[i], a.ends[i]);
  if (v === null || v < 0) {
    c.reply.error(message);
    return null;
  }
  return v;
}

/**
 * A blocking command's timeout argument (seconds as a float, Redis's getTimeoutFromObjectOrReply):
 * the deadline in Unix ms, 0 for "wait forever", or -1 after replying the error. Redis rounds the
 * milliseconds up, so any positive timeout waits at least 1 ms; values beyond the int64 range of
 * milliseconds (inf, 1e400) become negative there, and are refused as negative.
 */
export function timeoutArg(c: Client, a: Args, i: number): number {
  const ld = parseLongDouble(argString(a, i));
  if (ld === null) {
    c.reply.error(ERR_TIMEOUT_NOT_FLOAT);
    return -1;
  }
  let ms: number;
  if (ld.inf) ms = -TWO63;
  else if (ld.q === 0n) ms = 0;
  else {
    const e = ld.e;
    const half = Math.max(e, -1000);
    const secs = Number(ld.q) * 2 ** half * 2 ** (e - half);
    if (secs === 0) ms = ld.neg ? 0 : 1;
    else {
      ms = Math.ceil((ld.neg ? -secs : secs) * 1000);
      if (!(ms < TWO63 && ms >= -TWO63)) ms = -TWO63;
    }
  }
  if (ms < 0) {
    c.reply.error(ERR_TIMEOUT_NEGATIVE);
    return -1;
  }
  if (ms === 0) return 0;
  return c.server.store.now + ms;
}

/**
 * Whether the client may not block now (inside EXEC, or replaying the log): a blocking command
 * then answers as if it had timed out at once, as Redis does for CLIENT_DENY_BLOCKING.
 */
export function mayNotBlock(c: Client): boolean {
  return c.denyBlocking;
}

/** Wakes clients blocked on a key (argument bytes), when there are any. */
export function signalReady(c: Client, buf: Uint8Array, start: number, end: number): void {
  if (c.server.blockedOn.size > 0) c.server.signalKeyReady(c.dbIndex, latin1(buf, start, end));
}

/** Copies of key arguments first..last, deduplicated, for a blocked client to retry with. */
export function blockKeys(a: Args, first: number, last: number): Buffer[] {
  const out: Buffer[] = [];
  const seen = new Set<string>();
  for (let i = first; i <= last; i++) {
    const s = argString(a, i);
    if (seen.has(s)) continue;
    seen.add(s);
    out.push(Buffer.from(s, "latin1"));
  }
  return out;
}

/** The server's ready-key names of a blocked client's keys (no runtime import of server.ts: it imports us). */
export function readyKeys(c: Client, keys: Buffer[]): string[] {
  const server = c.server.constructor as typeof CacheServer;
  return keys.map((k) => server.readyKey(c.dbIndex, k.toString("latin1")));
}

// ---- list lookups ----

/** Handle of the list found last by findList (valid until the next write to the db). */
let foundHandle = 0;

/**
 * The list at key bytes (buf, start, end): the ListValue, null when the key is absent, undefined
 * after replying WRONGTYPE.
 */
function findList(c: Client, buf: Uint8Array, start: number, end: number, read: boolean): ListValue | null | undefined {
  const list = findCollection<ListValue>(c, buf, start, end, T_LIST, read);
  if (list) foundHandle = collectionHandle;
  return list;
}

function listArg(c: Client, a: Args, i: number, read: boolean): ListValue | null | undefined {
  return findList(c, a.argBuf, a.starts[i], a.ends[i], read);
}

/**
 * After changing the list found last: fires `event`, deletes the key when the list is empty
 * (firing "del"), else accounts.
 */
function listChanged(c: Client, list: ListValue, buf: Uint8Array, start: number, end: number, event: string): void {
  if (list.length === 0) c.db.delete(buf, start, end);
  else c.db.objectChanged(foundHandle);
  notify(c, NOTIFY_LIST, event, buf, start, end);
  if (list.length === 0) notify(c, NOTIFY_GENERIC, "del", buf, start, end);
}

/** Creates key bytes holding a new list, firing "new". */
function createList(c: Client, buf: Uint8Array, start: number, end: number, list: ListValue): void {
  c.db.setObject(buf, start, end, T_LIST, list);
  notify(c, NOTIFY_NEW, "new", buf, start, end);
}

/** Parses LEFT|RIGHT; true for LEFT, null after replying a syntax error. */
function directionArg(c: Client, a: Args, i: number): boolean | null {
  if (argIs(a, i, "left")) return true;
  if (argIs(a, i, "right")) return false;
  c.reply.error(ERR_SYNTAX);
  return null;
}

// ---- pushes ----

function pushGeneric(c: Client, a: Args, left: boolean, onlyExisting: boolean): void {
  const buf = a.argBuf;
  const ks = a.starts[1];
  const ke = a.ends[1];
  const list = findList(c, buf, ks, ke, false);
  if (list === undefined) return;
  if (list === null) {
    if (onlyExisting) {
      c.reply.integer(0);
      return;
    }
    const l = new ListValue();
    for (let i = 2; i < a.argc; i++) {
      if (left) l.pushFront(argString(a, i));
      else l.pushBack(argString(a, i));
    }
    createList(c, buf, ks, ke, l);
    c.reply.integer(l.length);
  } else {
    for (let i = 2; i < a.argc; i++) {
      if (left) list.pushFront(argString(a, i));
      else list.pushBack(argString(a, i));
    }
    c.db.objectChanged(foundHandle);
    c.reply.integer(list.length);
  }
  notify(c, NOTIFY_LIST, left ? "lpush" : "rpush", buf, ks, ke);
  signalReady(c, buf, ks, ke);
}

function lpush(c: Client, a: Args): void {
  pushGeneric(c, a, true, false);
}
function rpush(c: Client, a: Args): void {
  pushGeneric(c, a, false, false);
}
function lpushx(c: Client, a: Args): void {
  pushGeneric(c, a, true, true);
}
function rpushx(c: Client, a: Args): void {
  pushGeneric(c, a, false, true);
}

// ---- pops ----

/** Replies up to `count` elements popped from one end as an array (the LPOP count form). */
function replyPopRange(c: Client, list: ListValue, left: boolean, count: number): void {
  const n = Math.min(count, list.length);
  c.reply.arrayHeader(n);
  for (let k = 0; k < n; k++) c.reply.bulkString((left ? list.popFront() : list.popBack()) as string);
}

function popGeneric(c: Client, a: Args, left: boolean, name: string): void {
  if (a.argc > 3) {
    c.reply.error(errArity(name));
    return;
  }
  const hasCount = a.argc === 3;
  let count = 0;
  if (hasCount) {
    const v = positiveLongArg(c, a, 2);
    if (v === null) return;
    count = v;
  }
  const list = listArg(c, a, 1, false);
  if (list === undefined) return;
  if (list === null) {
    if (hasCount) c.reply.nullArray();
    else c.reply.nullBulk();
    return;
  }
  if (hasCount && count === 0) {
    c.reply.arrayHeader(0);
    return;
  }
  if (!hasCount) c.reply.bulkString((left ? list.popFront() : list.popBack()) as string);
  else replyPopRange(c, list, left, count);
  listChanged(c, list, a.argBuf, a.starts[1], a.ends[1], left ? "lpop" : "rpop");
}

function lpop(c: Client, a: Args): void {
  popGeneric(c, a, true, "lpop");
}
function rpop(c: Client, a: Args): void {
  popGeneric(c, a, false, "rpop");
}

// ---- reads ----

function llen(c: Client, a: Args): void {
  const list = listArg(c, a, 1, true);
  if (list === undefined) return;
  c.reply.integer(list === null ? 0 : list.length);
}

function lrange(c: Client, a: Args): void {
  const start = longArg(c, a, 2);
  if (start === null) return;
  const stop = longArg(c, a, 3);
  if (stop === null) return;
  const list = listArg(c, a, 1, true);
  if (list === undefined) return;
  const r = list === null ? null : resolveRange(start, stop, list.length);
  if (list === null || r === null) {
    c.reply.arrayHeader(0);
    return;
  }
  const last = r[1];
  c.reply.arrayHeader(last - r[0] + 1);
  for (let i = r[0]; i <= last; i++) c.reply.bulkString(list.at(i));
}

function lindex(c: Client, a: Args): void {
  const list = listArg(c, a, 1, true);
  if (list === undefined) return;
  if (list === null) {
    c.reply.nullBulk();
    return;
  }
  const index = longArg(c, a, 2);
  if (index === null) return;
  const v = list.get(index);
  if (v === undefined) c.reply.nullBulk();
  else c.reply.bulkString(v);
}

function lpos(c: Client, a: Args): void {
  let rank = 1;
  let count = -1;
  let maxlen = 0;
  for (let j = 3; j < a.argc; j++) {
    const more = j < a.argc - 1;
    if (more && argIs(a, j, "rank")) {
      j++;
      const v = parseInt64(a.argBuf, a.starts[j], a.ends[j]);
      if (v === null) {
        c.reply.error(ERR_NOT_INT);
        return;
      }
      if (v === 0) {
        c.reply.error(
          "ERR RANK can't be zero: use 1 to start from the first match, 2 from the second ... or use negative to start from the end of the list",
        );
        return;
      }
      // Redis negates a negative rank, and -2^63 stays negative: "any match", from the tail.
      rank = v === INT64_MIN ? -1 : Number(v);
    } else if (more && argIs(a, j, "count")) {
      j++;
      const v = positiveLongArg(c, a, j, "ERR COUNT can't be negative");
      if (v === null) return;
      count = v;
    } else if (more && argIs(a, j, "maxlen")) {
      j++;
      const v = positiveLongArg(c, a, j, "ERR MAXLEN can't be negative");
      if (v === null) return;
      maxlen = v;
    } else {
      c.reply.error(ERR_SYNTAX);
      return;
    }
  }
  const list = listArg(c, a, 1, true);
  if (list === undefined) return;
  if (list === null) {
    if (count !== -1) c.reply.arrayHeader(0);
    else c.reply.nullBulk();
    return;
  }
  const found = list.positions(argString(a, 2), rank, count === -1 ? 1 : count, maxlen);
  if (count === -1) {
    if (found.length === 0) c.reply.nullBulk();
    else c.reply.integer(found[0]);
    return;
  }
  c.reply.arrayHeader(found.length);
  for (const p of found) c.reply.integer(p);
}

// ---- edits ----

function lset(c: Client, a: Args): void {
  const list = listArg(c, a, 1, false);
  if (list === undefined) return;
  if (list === null) {
    c.reply.error(ERR_NO_SUCH_KEY);
    return;
  }
  const index = longArg(c, a, 2);
  if (index === null) return;
  if (!list.set(index, argString(a, 3))) {
    c.reply.error(ERR_OUT_OF_RANGE);
    return;
  }
  c.db.objectChanged(foundHandle);
  c.reply.ok();
  notify(c, NOTIFY_LIST, "lset", a.argBuf, a.starts[1], a.ends[1]);
}

function linsert(c: Client, a: Args): void {
  let after: boolean;
  if (argIs(a, 2, "after")) after = true;
  else if (argIs(a, 2, "before")) after = false;
  else {
    c.reply.error(ERR_SYNTAX);
    return;
  }
  const list = listArg(c, a, 1, false);
  if (list === undefined) return;
  if (list === null) {
    c.reply.integer(0);
    return;
  }
  if (!list.insert(argString(a, 3), argString(a, 4), after)) {
    c.reply.integer(-1);
    return;
  }
  c.db.objectChanged(foundHandle);
  notify(c, NOTIFY_LIST, "linsert", a.argBuf, a.starts[1], a.ends[1]);
  c.reply.integer(list.length);
}

function lrem(c: Client, a: Args): void {
  const count = longArg(c, a, 2);
  if (count === null) return;
  const list = listArg(c, a, 1, false);
  if (list === undefined) return;
  if (list === null) {
    c.reply.integer(0);
    return;
  }
  const removed = list.remove(argString(a, 3), count);
  if (removed > 0) listChanged(c, list, a.argBuf, a.starts[1], a.ends[1], "lrem");
  c.reply.integer(removed);
}

function ltrim(c: Client, a: Args): void {
  const start = longArg(c, a, 2);
  if (start === null) return;
  const stop = longArg(c, a, 3);
  if (stop === null) return;
  const list = listArg(c, a, 1, false);
  if (list === undefined) return;
  if (list === null) {
    c.reply.ok();
    return;
  }
  const r = resolveRange(start, stop, list.length);
  if (r === null) list.clear();
  else if (r[0] !== 0 || r[1] !== list.length - 1) list.trim(r[0], r[1]);
  // Even a trim that keeps everything counts as a change (WATCH, "ltrim"), as in Redis.
  listChanged(c, list, a.argBuf, a.starts[1], a.ends[1], "ltrim");
  c.reply.ok();
}

// ---- moves ----

/**
 * LMOVE's core over key bytes: pops from the source's end, pushes onto the destination's end
 * (creating it), replies the element, deletes an emptied source, wakes clients blocked on the
 * destination; the events and the reply come in Redis's order (push, reply, pop, del). Returns
 * the element, null when the source is absent (nothing replied), undefined after replying
 * WRONGTYPE (nothing changed).
 */
function moveElement(
  c: Client,
  sb: Uint8Array,
  ss: number,
  se: number,
  db_: Uint8Array,
  ds: number,
  de: number,
  fromLeft: boolean,
  toLeft: boolean,
): string | null | undefined {
  const db = c.db;
  const src = findList(c, sb, ss, se, false);
  if (src === null || src === undefined) return src;
  const hs = foundHandle;
  const dst = findList(c, db_, ds, de, false);
  if (dst === undefined) return undefined;
  const hd = foundHandle;
  const v = (fromLeft ? src.popFront() : src.popBack()) as string;
  const target = dst ?? new ListValue();
  if (toLeft) target.pushFront(v);
  else target.pushBack(v);
  if (src.length > 0) db.objectChanged(hs);
  if (dst !== null && dst !== src) db.objectChanged(hd);
  if (dst === null) createList(c, db_, ds, de, target);
  notify(c, NOTIFY_LIST, toLeft ? "lpush" : "rpush", db_, ds, de);
  c.reply.bulkString(v);
  notify(c, NOTIFY_LIST, fromLeft ? "lpop" : "rpop", sb, ss, se);
  if (src.length === 0) {
    db.delete(sb, ss, se);
    notify(c, NOTIFY_GENERIC, "del", sb, ss, se);
  }
  signalReady(c, db_, ds, de);
  return v;
}

function lmoveArgs(c: Client, a: Args, fromLeft: boolean, toLeft: boolean): void {
  const v = moveElement(c, a.argBuf, a.starts[1], a.ends[1], a.argBuf, a.starts[2], a.ends[2], fromLeft, toLeft);
  if (v === null) c.reply.nullBulk();
}

function lmove(c: Client, a: Args): void {
  const from = directionArg(c, a, 3);
  if (from === null) return;
  const to = directionArg(c, a, 4);
  if (to === null) return;
  lmoveArgs(c, a, from, to);
}

function rpoplpush(c: Client, a: Args): void {
  lmoveArgs(c, a, false, true);
}

// ---- LMPOP ----

interface MpopArgs {
  numkeys: number;
  left: boolean;
  count: number;
}

/** Parses [B]LMPOP/[B]ZMPOP's numkeys key... where [COUNT n]; null after replying the error. */
export function parseMpop(c: Client, a: Args, numkeysIndex: number, min: string, max: string): MpopArgs | null {
  const numkeys = parseInt64Approx(a.argBuf, a.starts[numkeysIndex], a.ends[numkeysIndex]);
  if (numkeys === null || numkeys < 1) {
    c.reply.error("ERR numkeys should be greater than 0");
    return null;
  }
  const whereIndex = numkeysIndex + numkeys + 1;
  if (whereIndex >= a.argc) {
    c.reply.error(ERR_SYNTAX);
    return null;
  }
  let left: boolean;
  if (argIs(a, whereIndex, min)) left = true;
  else if (argIs(a, whereIndex, max)) left = false;
  else {
    c.reply.error(ERR_SYNTAX);
    return null;
  }
  let count = -1;
  for (let j = whereIndex + 1; j < a.argc; j++) {
    if (count === -1 && j < a.argc - 1 && argIs(a, j, "count")) {
      j++;
      const v = parseInt64Approx(a.argBuf, a.starts[j], a.ends[j]);
      if (v === null || v < 1) {
        c.reply.error("ERR count should be greater than 0");
        return null;
      }
      count = v;
    } else {
      c.reply.error(ERR_SYNTAX);
      return null;
    }
  }
  return { numkeys, left, count: count === -1 ? 1 : count };
}

/** Pops up to count elements from the first non-empty list among key arguments first..last. */
function lmpopFrom(c: Client, a: Args, first: number, last: number, left: boolean, count: number): boolean {
  for (let i = first; i <= last; i++) {
    const list = listArg(c, a, i, false);
    if (list === undefined) return true;
    if (list === null) continue;
    c.reply.arrayHeader(2);
    c.reply.bulk(a.argBuf, a.starts[i], a.ends[i]);
    replyPopRange(c, list, left, count);
    listChanged(c, list, a.argBuf, a.starts[i], a.ends[i], left ? "lpop" : "rpop");
    return true;
  }
  return false;
}

function lmpop(c: Client, a: Args): void {
  const p = parseMpop(c, a, 1, "left", "right");
  if (p === null) return;
  if (!lmpopFrom(c, a, 2, 1 + p.numkeys, p.left, p.count)) c.reply.nullArray();
}

// ---- blocking ----

/** Serves a blocked [B]LPOP/BRPOP/BLMPOP client from the first of its keys holding a list. */
function retryPop(cl: Client, keys: Buffer[], left: boolean, count: number): boolean {
  for (const k of keys) {
    const db = cl.db;
    const h = db.lookup(k, 0, k.length, false);
    if (h === 0 || db.type(h) !== T_LIST) continue;
    const list = db.object<ListValue>(h);
    foundHandle = h;
    cl.reply.arrayHeader(2);
    cl.reply.bulk(k, 0, k.length);
    if (count < 0) cl.reply.bulkString((left ? list.popFront() : list.popBack()) as string);
    else replyPopRange(cl, list, left, count);
    listChanged(cl, list, k, 0, k.length, left ? "lpop" : "rpop");
    return true;
  }
  return false;
}

function replyTimedOut(cl: Client): void {
  cl.reply.nullArray();
}

/** BLPOP/BRPOP/BLMPOP over key arguments first..last; count -1 for the single-element reply. */
function blockingPop(
  c: Client,
  a: Args,
  first: number,
  last: number,
  left: boolean,
  count: number,
  timeoutIndex: number,
): void {
  const deadline = timeoutArg(c, a, timeoutIndex);
  if (deadline < 0) return;
  for (let i = first; i <= last; i++) {
    const list = listArg(c, a, i, false);
    if (list === undefined) return;
    if (list === null) continue;
    c.reply.arrayHeader(2);
    c.reply.bulk(a.argBuf, a.starts[i], a.ends[i]);
    if (count < 0) c.reply.bulkString((left ? list.popFront() : list.popBack()) as string);
    else replyPopRange(c, list, left, count);
    listChanged(c, list, a.argBuf, a.starts[i], a.ends[i], left ? "lpop" : "rpop");
    return;
  }
  if (mayNotBlock(c)) {
    c.reply.nullArray();
    return;
  }
  const keys = blockKeys(a, first, last);
  c.server.block(c, {
    keys: readyKeys(c, keys),
    deadline,
    retry: (cl) => retryPop(cl, keys, left, count),
    timeout: replyTimedOut,
  });
}

function blpop(c: Client, a: Args): void {
  blockingPop(c, a, 1, a.argc - 2, true, -1, a.argc - 1);
}
function brpop(c: Client, a: Args): void {
  blockingPop(c, a, 1, a.argc - 2, false, -1, a.argc - 1);
}

function blmpop(c: Client, a: Args): void {
  const p = parseMpop(c, a, 2, "left", "right");
  if (p === null) return;
  blockingPop(c, a, 3, 2 + p.numkeys, p.left, p.count, 1);
}

/** Serves a blocked BLMOVE/BRPOPLPUSH client; a destination of the wrong type ends it with WRONGTYPE. */
function retryMove(cl: Client, src: Buffer, dst: Buffer, fromLeft: boolean, toLeft: boolean): boolean {
  const db = cl.db;
  const h = db.lookup(src, 0, src.length, false);
  if (h === 0 || db.type(h) !== T_LIST) return false;
  moveElement(cl, src, 0, src.length, dst, 0, dst.length, fromLeft, toLeft);
  return true;
}

function blockingMove(c: Client, a: Args, fromLeft: boolean, toLeft: boolean, deadline: number): void {
  const src = listArg(c, a, 1, false);
  if (src === undefined) return;
  if (src !== null) {
    lmoveArgs(c, a, fromLeft, toLeft);
    return;
  }
  if (mayNotBlock(c)) {
    c.reply.nullBulk();
    return;
  }
  const s = Buffer.from(a.argBuf.subarray(a.starts[1], a.ends[1]));
  const d = Buffer.from(a.argBuf.subarray(a.starts[2], a.ends[2]));
  c.server.block(c, {
    keys: readyKeys(c, [s]),
    deadline,
    retry: (cl) => retryMove(cl, s, d, fromLeft, toLeft),
    timeout: replyTimedOut,
  });
}

function blmove(c: Client, a: Args): void {
  const from = directionArg(c, a, 3);
  if (from === null) return;
  const to = directionArg(c, a, 4);
  if (to === null) return;
  const deadline = timeoutArg(c, a, 5);
  if (deadline < 0) return;
  blockingMove(c, a, from, to, deadline);
}

function brpoplpush(c: Client, a: Args): void {
  const deadline = timeoutArg(c, a, 3);
  if (deadline < 0) return;
  blockingMove(c, a, false, true, deadline);
}

const W = ["write", "list"];
const R = ["read", "list"];

export const commands: CommandSpec[] = [
  command("lpush", -3, ["write", "denyoom", "fast"], KEY1, lpush, [...W, "fast"]),
  command("rpush", -3, ["write", "denyoom", "fast"], KEY1, rpush, [...W, "fast"]),
  command("lpushx", -3, ["write", "denyoom", "fast"], KEY1, lpushx, [...W, "fast"]),
  command("rpushx", -3, ["write", "denyoom", "fast"], KEY1, rpushx, [...W, "fast"]),
  command("lpop", -2, ["write", "fast"], KEY1, lpop, [...W, "fast"]),
  command("rpop", -2, ["write", "fast"], KEY1, rpop, [...W, "fast"]),
  command("llen", 2, ["readonly", "fast"], KEY1, llen, [...R, "fast"]),
  command("lrange", 4, ["readonly"], KEY1, lrange, [...R, "slow"]),
  command("lindex", 3, ["readonly"], KEY1, lindex, [...R, "slow"]),
  command("lset", 4, ["write", "denyoom"], KEY1, lset, [...W, "slow"]),
  command("linsert", 5, ["write", "denyoom"], KEY1, linsert, [...W, "slow"]),
  command("lrem", 4, ["write"], KEY1, lrem, [...W, "slow"]),
  command("ltrim", 4, ["write"], KEY1, ltrim, [...W, "slow"]),
  command("lpos", -3, ["readonly"], KEY1, lpos, [...R, "slow"]),
  command("lmove", 5, ["write", "denyoom"], [1, 2, 1], lmove, [...W, "slow"]),
  command("rpoplpush", 3, ["write", "denyoom"], [1, 2, 1], rpoplpush, [...W, "slow"]),
  command("lmpop", -4, ["write", "movablekeys"], [0, 0, 0], lmpop, [...W, "slow"]),
  command("blpop", -3, ["write", "noscript", "blocking"], [1, -2, 1], blpop, [...W, "slow", "blocking"]),
  command("brpop", -3, ["write", "noscript", "blocking"], [1, -2, 1], brpop, [...W, "slow", "blocking"]),
  command("blmove", 6, ["write", "denyoom", "noscript", "blocking"], [1, 2, 1], blmove, [...W, "slow", "blocking"]),
  command("brpoplpush", 4, ["write", "denyoom", "noscript", "blocking"], [1, 2, 1], brpoplpush, [
    ...W,
    "slow",
    "blocking",
  ]),
  command("blmpop", -5, ["write", "blocking", "movablekeys"], [0, 0, 0], blmpop, [...W, "slow", "blocking"]),
];
