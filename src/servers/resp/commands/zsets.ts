// Sorted-set commands: ZADD (NX|XX|GT|LT|CH|INCR), ZINCRBY, ZREM, ZSCORE, ZMSCORE, ZCARD, ZCOUNT,
// ZLEXCOUNT, ZRANK, ZREVRANK, ZRANGE (BYSCORE|BYLEX, REV, LIMIT, WITHSCORES) and the legacy
// ZRANGEBYSCORE, ZREVRANGE, ZREVRANGEBYSCORE, ZRANGEBYLEX, ZREVRANGEBYLEX, ZRANGESTORE,
// ZREMRANGEBYRANK/SCORE/LEX, ZPOPMIN/ZPOPMAX, ZMPOP, the blocking BZPOPMIN/BZPOPMAX/BZMPOP, ZSCAN,
// ZRANDMEMBER. Replies follow Redis 7.0: scores as RESP3 doubles (RESP2 bulk "%.17g"), WITHSCORES
// as [member, score] pairs in RESP3 and flat in RESP2, errors checked in Redis's order.
//
// Every sorted set is a SortedSet, but Redis answers a few things differently for its small
// (listpack) encoding: ZSCAN returns the whole set in order with cursor 0, ZRANDMEMBER returns
// distinct picks in set order, and a score of -0 is stored as 0. So the sets Redis would have
// converted to a skiplist (past zset-max-listpack-entries members or a member longer than
// zset-max-listpack-value bytes; one-way, as in Redis) are remembered here.

import { T_ZSET } from "../../../cache/entry.js";
import { globMatchString, isMatchAll } from "../../../cache/glob.js";
import {
  ERR_LEX_RANGE,
  ERR_SCORE_RANGE,
  formatDouble,
  parseDouble,
  parseInt64,
  parseLexBoundStr,
  parseScoreRangeStr,
  resolveRange,
} from "../../../cache/numbers.js";
import { type LexRange, type ScoreRange, SortedSet } from "../../../cache/zset.js";
import type { Client } from "../client.js";
import {
  type Args,
  argIs,
  argString,
  type CommandSpec,
  collectionHandle,
  command,
  ERR_NOT_FLOAT,
  ERR_SYNTAX,
  findCollection,
  KEY1,
} from "../command.js";
import { NOTIFY_GENERIC, NOTIFY_NEW, NOTIFY_ZSET, notify } from "../notify.js";
import type { ReplyWriter } from "../reply.js";
import {
  blockKeys,
  longArg,
  mayNotBlock,
  parseMpop,
  positiveLongArg,
  readyKeys,
  signalReady,
  timeoutArg,
} from "./lists.js";

// ---- encoding ----

/** Sorted sets Redis would hold as a skiplist by now. */
const SKIPLIST = new WeakSet<SortedSet>();

/**
 * The sorted sets these commands create: a SortedSet that reports the encoding Redis would give it
 * (OBJECT ENCODING reads `encoding`) and keeps it when copied (COPY calls `clone`), as Redis's
 * zsetDup does.
 */
class ZsetValue extends SortedSet {
  get encoding(): "listpack" | "skiplist" {
    return SKIPLIST.has(this) ? "skiplist" : "listpack";
  }

  clone(): ZsetValue {
    const z = new ZsetValue();
    this.forEach((m, s) => {
      z.add(m, s);
    });
    if (SKIPLIST.has(this)) SKIPLIST.add(z);
    return z;
  }
}

/** Whether Redis would hold z as a listpack (readLimits first). Sets made elsewhere are judged by size. */
function isListpack(z: SortedSet): boolean {
  return !SKIPLIST.has(z) && z.size <= maxEntries;
}

let maxEntries = 128;
let maxValue = 64;

/** Reads zset-max-listpack-entries/-value for the command about to add members. */
function readLimits(c: Client): void {
  maxEntries = Number(c.server.config.get("zset-max-listpack-entries") ?? 128);
  maxValue = Number(c.server.config.get("zset-max-listpack-value") ?? 64);
}

/** Adds a member z does not hold, converting z first when Redis would (readLimits first). */
function insertNew(z: SortedSet, member: string, score: number): void {
  if (!SKIPLIST.has(z)) {
    if (z.size + 1 > maxEntries || member.length > maxValue) SKIPLIST.add(z);
    else if (score === 0) score = 0; // the listpack keeps -0 as 0
  }
  z.add(member, score);
}

/** Changes an existing member's score. */
function rescore(z: SortedSet, member: string, score: number): void {
  z.add(member, score === 0 && !SKIPLIST.has(z) ? 0 : score);
}

// ---- lookups ----

/** Handle of the sorted set found last by findZset (valid until the next write to the db). */
let foundHandle = 0;

/** The sorted set at key bytes: the SortedSet, null when absent, undefined after replying WRONGTYPE. */
function findZset(c: Client, buf: Uint8Array, start: number, end: number, read: boolean): SortedSet | null | undefined {
  const z = findCollection<SortedSet>(c, buf, start, end, T_ZSET, read);
  if (z) foundHandle = collectionHandle;
  return z;
}

function zsetArg(c: Client, a: Args, i: number, read: boolean): SortedSet | null | undefined {
  return findZset(c, a.argBuf, a.starts[i], a.ends[i], read);
}

/**
 * After changing the set found last: fires `event` (unless null), deletes the key when the set is
 * empty (firing "del"), else accounts.
 */
function zsetChanged(c: Client, z: SortedSet, buf: Uint8Array, start: number, end: number, event: string | null): void {
  if (z.size === 0) c.db.delete(buf, start, end);
  else c.db.objectChanged(foundHandle);
  if (event !== null) notify(c, NOTIFY_ZSET, event, buf, start, end);
  if (z.size === 0) notify(c, NOTIFY_GENERIC, "del", buf, start, end);
}

// ---- emitting entries (module state, so range replies allocate no closures) ----

let out: ReplyWriter;
let outScores = false;
let outPairs = false;

function emitEntry(member: string, score: number): void {
  if (outPairs) out.arrayHeader(2);
  out.bulkString(member);
  if (outScores) out.double(score);
}

let collectInto: SortedSet = new SortedSet();

function collectEntry(member: string, score: number): void {
  insertNew(collectInto, member, score);
}

/** Writes the array header for n entries and sets up emitEntry. */
function beginEntries(c: Client, n: number, withScores: boolean): void {
  out = c.reply;
  outScores = withScores;
  outPairs = withScores && c.reply.proto === 3;
  c.reply.arrayHeader(withScores && !outPairs ? n * 2 : n);
}

// ---- ZADD, ZINCRBY ----

const F_NX = 1;
const F_XX = 2;
const F_GT = 4;
const F_LT = 8;
const F_INCR = 16;
const F_CH = 32;

function zaddGeneric(c: Client, a: Args, flags: number): void {
  let i = 2;
  for (; i < a.argc; i++) {
    if (argIs(a, i, "nx")) flags |= F_NX;
    else if (argIs(a, i, "xx")) flags |= F_XX;
    else if (argIs(a, i, "ch")) flags |= F_CH;
    else if (argIs(a, i, "incr")) flags |= F_INCR;
    else if (argIs(a, i, "gt")) flags |= F_GT;
    else if (argIs(a, i, "lt")) flags |= F_LT;
    else break;
  }
  const args = a.argc - i;
  if (args === 0 || args % 2 !== 0) {
    c.reply.error(ERR_SYNTAX);
    return;
  }
  const nx = (flags & F_NX) !== 0;
  const xx = (flags & F_XX) !== 0;
  const gt = (flags & F_GT) !== 0;
  const lt = (flags & F_LT) !== 0;
  const incr = (flags & F_INCR) !== 0;
  if (nx && xx) {
    c.reply.error("ERR XX and NX options at the same time are not compatible");
    return;
  }
  if ((gt && nx) || (lt && nx) || (gt && lt)) {
    c.reply.error("ERR GT, LT, and/or NX options at the same time are not compatible");
    return;
  }
  if (incr && args > 2) {
    c.reply.error("ERR INCR option supports a single increment-element pair");
    return;
  }
  const buf = a.argBuf;
  for (let j = i; j < a.argc; j += 2) {
    if (parseDouble(buf, a.starts[j], a.ends[j]) === null) {
      c.reply.error(ERR_NOT_FLOAT);
      return;
    }
  }
  const ks = a.starts[1];
  const ke = a.ends[1];
  const found = findZset(c, buf, ks, ke, false);
  if (found === undefined) return;
  if (found === null && xx) {
    if (incr) c.reply.nullBulk();
    else c.reply.integer(0);
    return;
  }
  // The listpack limits matter only while the set may still be a listpack.
  if (found === null || !SKIPLIST.has(found)) readLimits(c);
  const h = foundHandle;
  const z = found ?? new ZsetValue();
  let added = 0;
  let updated = 0;
  let processed = 0;
  let newScore = 0;
  let nan = false;
  for (let j = i; j < a.argc; j += 2) {
    let score = parseDouble(buf, a.starts[j], a.ends[j]) as number;
    const member = argString(a, j + 1);
    const cur = z.score(member);
    if (cur !== undefined) {
      if (nx) continue;
      if (incr) {
        score += cur;
        if (Number.isNaN(score)) {
          nan = true;
          break;
        }
      }
      if ((lt && score >= cur) || (gt && score <= cur)) continue;
      newScore = score;
      processed++;
      if (score !== cur) {
        rescore(z, member, score);
        updated++;
      }
    } else if (!xx) {
      insertNew(z, member, score);
      newScore = score;
      added++;
      processed++;
    }
  }
  if (found === null) {
    if (z.size > 0) c.db.setObject(buf, ks, ke, T_ZSET, z);
    notify(c, NOTIFY_NEW, "new", buf, ks, ke);
  } else if (added + updated > 0) c.db.objectChanged(h);
  if (added > 0) signalReady(c, buf, ks, ke);
  if (nan) c.reply.error("ERR resulting score is not a number (NaN)");
  else if (incr) {
    if (processed > 0) c.reply.double(newScore);
    else c.reply.nullBulk();
  } else c.reply.integer((flags & F_CH) !== 0 ? added + updated : added);
  if (added + updated > 0) notify(c, NOTIFY_ZSET, incr ? "zincr" : "zadd", buf, ks, ke);
}

function zadd(c: Client, a: Args): void {
  zaddGeneric(c, a, 0);
}

function zincrby(c: Client, a: Args): void {
  zaddGeneric(c, a, F_INCR);
}

// ---- simple reads and removal ----

function zrem(c: Client, a: Args): void {
  const z = zsetArg(c, a, 1, false);
  if (z === undefined) return;
  if (z === null) {
    c.reply.integer(0);
    return;
  }
  let removed = 0;
  for (let i = 2; i < a.argc; i++) {
    if (z.remove(argString(a, i))) {
      removed++;
      if (z.size === 0) break;
    }
  }
  if (removed > 0) zsetChanged(c, z, a.argBuf, a.starts[1], a.ends[1], "zrem");
  c.reply.integer(removed);
}

function zscore(c: Client, a: Args): void {
  const z = zsetArg(c, a, 1, true);
  if (z === undefined) return;
  const s = z === null ? undefined : z.score(argString(a, 2));
  if (s === undefined) c.reply.nullBulk();
  else c.reply.double(s);
}

function zmscore(c: Client, a: Args): void {
  const z = zsetArg(c, a, 1, true);
  if (z === undefined) return;
  c.reply.arrayHeader(a.argc - 2);
  for (let i = 2; i < a.argc; i++) {
    const s = z === null ? undefined : z.score(argString(a, i));
    if (s === undefined) c.reply.nullBulk();
    else c.reply.double(s);
  }
}

function zcard(c: Client, a: Args): void {
  const z = zsetArg(c, a, 1, true);
  if (z === undefined) return;
  c.reply.integer(z === null ? 0 : z.size);
}

/** Parses a score range from arguments min, max; null after replying the error. */
function scoreRangeArgs(c: Client, a: Args, min: number, max: number): ScoreRange | null {
  const r = parseScoreRangeStr(argString(a, min), argString(a, max));
  if (r === null) c.reply.error(ERR_SCORE_RANGE);
  return r;
}

/** Parses a lex range from arguments min, max; null after replying the error. */
function lexRangeArgs(c: Client, a: Args, min: number, max: number): LexRange | null {
  const lo = parseLexBoundStr(argString(a, min));
  const hi = lo === null ? null : parseLexBoundStr(argString(a, max));
  if (lo === null || hi === null) {
    c.reply.error(ERR_LEX_RANGE);
    return null;
  }
  return { min: lo, max: hi };
}

function zcount(c: Client, a: Args): void {
  const r = scoreRangeArgs(c, a, 2, 3);
  if (r === null) return;
  const z = zsetArg(c, a, 1, true);
  if (z === undefined) return;
  c.reply.integer(z === null ? 0 : z.countByScore(r));
}

function zlexcount(c: Client, a: Args): void {
  const r = lexRangeArgs(c, a, 2, 3);
  if (r === null) return;
  const z = zsetArg(c, a, 1, true);
  if (z === undefined) return;
  c.reply.integer(z === null ? 0 : z.countByLex(r));
}

function zrankGeneric(c: Client, a: Args, reverse: boolean): void {
  const z = zsetArg(c, a, 1, true);
  if (z === undefined) return;
  const r = z === null ? undefined : z.rank(argString(a, 2), reverse);
  if (r === undefined) c.reply.nullBulk();
  else c.reply.integer(r);
}

function zrank(c: Client, a: Args): void {
  zrankGeneric(c, a, false);
}
function zrevrank(c: Client, a: Args): void {
  zrankGeneric(c, a, true);
}

// ---- ranges ----

const AUTO = -1;
const BY_RANK = 0;
const BY_SCORE = 1;
const BY_LEX = 2;

/** Entries a score or lex interval [lo, hi) yields after LIMIT offset count (Redis's rules). */
function limitedCount(lo: number, hi: number, offset: number, limit: number): number {
  if (offset < 0) return 0;
  let n = hi - lo - offset;
  if (n <= 0) return 0;
  if (limit >= 0 && limit < n) n = limit;
  return n;
}

/**
 * Redis's zrangeGenericCommand: ZRANGE and its legacy forms (type and direction fixed, AUTO when
 * options choose), and ZRANGESTORE (store: the destination is argument 1, the source keyIndex).
 */
function zrangeGeneric(
  c: Client,
  a: Args,
  keyIndex: number,
  store: boolean,
  fixedType: number,
  fixedRev: number,
): void {
  let type = fixedType;
  let rev = fixedRev;
  let withScores = false;
  let offset = 0;
  let limit = -1;
  for (let j = keyIndex + 3; j < a.argc; j++) {
    const left = a.argc - j - 1;
    if (!store && argIs(a, j, "withscores")) withScores = true;
    else if (left >= 2 && argIs(a, j, "limit")) {
      const o = longArg(c, a, j + 1);
      if (o === null) return;
      const l = longArg(c, a, j + 2);
      if (l === null) return;
      offset = o;
      limit = l;
      j += 2;
    } else if (rev === AUTO && argIs(a, j, "rev")) rev = 1;
    else if (type === AUTO && argIs(a, j, "bylex")) type = BY_LEX;
    else if (type === AUTO && argIs(a, j, "byscore")) type = BY_SCORE;
    else {
      c.reply.error(ERR_SYNTAX);
      return;
    }
  }
  const reverse = rev === 1;
  if (type === AUTO) type = BY_RANK;
  if (limit !== -1 && type === BY_RANK) {
    c.reply.error("ERR syntax error, LIMIT is only supported in combination with either BYSCORE or BYLEX");
    return;
  }
  if (withScores && type === BY_LEX) {
    c.reply.error("ERR syntax error, WITHSCORES not supported in combination with BYLEX");
    return;
  }
  let minIndex = keyIndex + 1;
  let maxIndex = keyIndex + 2;
  if (reverse && type !== BY_RANK) {
    minIndex = keyIndex + 2;
    maxIndex = keyIndex + 1;
  }
  let start = 0;
  let stop = 0;
  let scoreRange: ScoreRange | null = null;
  let lexRange: LexRange | null = null;
  if (type === BY_RANK) {
    const s = longArg(c, a, minIndex);
    if (s === null) return;
    const e = longArg(c, a, maxIndex);
    if (e === null) return;
    start = s;
    stop = e;
  } else if (type === BY_SCORE) {
    scoreRange = scoreRangeArgs(c, a, minIndex, maxIndex);
    if (scoreRange === null) return;
  } else {
    lexRange = lexRangeArgs(c, a, minIndex, maxIndex);
    if (lexRange === null) return;
  }
  const z = zsetArg(c, a, keyIndex, true);
  if (z === undefined) return;
  // The ascending rank interval [lo, hi) to visit and how many entries.
  let first = 0;
  let n = 0;
  if (z !== null) {
    const size = z.size;
    if (type === BY_RANK) {
      const r = resolveRange(start, stop, size);
      if (r !== null) {
        n = r[1] - r[0] + 1;
        first = reverse ? size - 1 - r[1] : r[0];
      }
    } else {
      const [lo, hi] = scoreRange !== null ? z.ranksByScore(scoreRange) : z.ranksByLex(lexRange as LexRange);
      n = limitedCount(lo, hi, offset, limit);
      first = reverse ? hi - offset - n : lo + offset;
    }
  }
  if (store) {
    storeRange(c, a, z, first, n);
    return;
  }
  beginEntries(c, n, withScores);
  if (n > 0) visitRanks(z as SortedSet, first, n, reverse, emitEntry);
}

/** Visits n entries from ascending rank `first` up, or from first + n - 1 down when reverse. */
function visitRanks(
  z: SortedSet,
  first: number,
  n: number,
  reverse: boolean,
  visit: (member: string, score: number) => void,
): void {
  if (!reverse) z.rangeByRank(first, first + n - 1, false, visit);
  else {
    const top = z.size - 1 - (first + n - 1);
    z.rangeByRank(top, top + n - 1, true, visit);
  }
}

/** ZRANGESTORE's end: the n entries from ascending rank `first` replace the destination. */
function storeRange(c: Client, a: Args, z: SortedSet | null, first: number, n: number): void {
  const buf = a.argBuf;
  const ds = a.starts[1];
  const de = a.ends[1];
  if (z === null || n === 0) {
    const existed = c.db.delete(buf, ds, de);
    c.reply.integer(0);
    if (existed) notify(c, NOTIFY_GENERIC, "del", buf, ds, de);
    return;
  }
  readLimits(c);
  const dst = new ZsetValue();
  collectInto = dst;
  z.rangeByRank(first, first + n - 1, false, collectEntry);
  collectInto = EMPTY_ZSET;
  const existed = c.db.delete(buf, ds, de);
  c.db.setObject(buf, ds, de, T_ZSET, dst);
  if (!existed) notify(c, NOTIFY_NEW, "new", buf, ds, de);
  signalReady(c, buf, ds, de);
  c.reply.integer(dst.size);
  notify(c, NOTIFY_ZSET, "zrangestore", buf, ds, de);
}

const EMPTY_ZSET = collectInto;

function zrange(c: Client, a: Args): void {
  zrangeGeneric(c, a, 1, false, AUTO, AUTO);
}
function zrangestore(c: Client, a: Args): void {
  zrangeGeneric(c, a, 2, true, AUTO, AUTO);
}
function zrevrange(c: Client, a: Args): void {
  zrangeGeneric(c, a, 1, false, BY_RANK, 1);
}
function zrangebyscore(c: Client, a: Args): void {
  zrangeGeneric(c, a, 1, false, BY_SCORE, 0);
}
function zrevrangebyscore(c: Client, a: Args): void {
  zrangeGeneric(c, a, 1, false, BY_SCORE, 1);
}
function zrangebylex(c: Client, a: Args): void {
  zrangeGeneric(c, a, 1, false, BY_LEX, 0);
}
function zrevrangebylex(c: Client, a: Args): void {
  zrangeGeneric(c, a, 1, false, BY_LEX, 1);
}

function zremrangeGeneric(c: Client, a: Args, type: number): void {
  let start = 0;
  let stop = 0;
  let scoreRange: ScoreRange | null = null;
  let lexRange: LexRange | null = null;
  if (type === BY_RANK) {
    const s = longArg(c, a, 2);
    if (s === null) return;
    const e = longArg(c, a, 3);
    if (e === null) return;
    start = s;
    stop = e;
  } else if (type === BY_SCORE) {
    scoreRange = scoreRangeArgs(c, a, 2, 3);
    if (scoreRange === null) return;
  } else {
    lexRange = lexRangeArgs(c, a, 2, 3);
    if (lexRange === null) return;
  }
  const z = zsetArg(c, a, 1, false);
  if (z === undefined) return;
  if (z === null) {
    c.reply.integer(0);
    return;
  }
  let removed = 0;
  if (type === BY_RANK) {
    const r = resolveRange(start, stop, z.size);
    if (r !== null) removed = z.deleteRangeByRank(r[0], r[1]);
  } else if (scoreRange !== null) removed = z.deleteRangeByScore(scoreRange);
  else removed = z.deleteRangeByLex(lexRange as LexRange);
  if (removed > 0) zsetChanged(c, z, a.argBuf, a.starts[1], a.ends[1], REMRANGE_EVENTS[type]);
  c.reply.integer(removed);
}

const REMRANGE_EVENTS = ["zremrangebyrank", "zremrangebyscore", "zremrangebylex"];

function zremrangebyrank(c: Client, a: Args): void {
  zremrangeGeneric(c, a, BY_RANK);
}
function zremrangebyscore(c: Client, a: Args): void {
  zremrangeGeneric(c, a, BY_SCORE);
}
function zremrangebylex(c: Client, a: Args): void {
  zremrangeGeneric(c, a, BY_LEX);
}

// ---- pops ----

/**
 * Pops up to count entries (count -1: one, the plain form) from z under key bytes, replying as
 * Redis's genericZpopCommand: with the key first when emitKey, as [member, score] pairs when
 * nested. Deletes an emptied key.
 */
function popEntries(
  c: Client,
  z: SortedSet,
  kb: Uint8Array,
  ks: number,
  ke: number,
  max: boolean,
  emitKey: boolean,
  count: number,
  nested: boolean,
): void {
  const n = count === -1 ? 1 : Math.min(count, z.size);
  const r = c.reply;
  if (!emitKey) r.arrayHeader(nested ? n : n * 2);
  else if (!nested) {
    r.arrayHeader(n * 2 + 1);
    r.bulk(kb, ks, ke);
  } else {
    r.arrayHeader(2);
    r.bulk(kb, ks, ke);
    r.arrayHeader(n);
  }
  for (let k = 0; k < n; k++) {
    const e = (max ? z.popMax() : z.popMin()) as { member: string; score: number };
    // Redis fires the event after the first pop, before that element's reply.
    if (k === 0) notify(c, NOTIFY_ZSET, max ? "zpopmax" : "zpopmin", kb, ks, ke);
    if (nested) r.arrayHeader(2);
    r.bulkString(e.member);
    r.double(e.score);
  }
  zsetChanged(c, z, kb, ks, ke, null);
}

/** ZPOP over key arguments first..last: the first existing key is popped. */
function zpopArgs(
  c: Client,
  a: Args,
  first: number,
  last: number,
  max: boolean,
  emitKey: boolean,
  count: number,
  nested: boolean,
  nilWhenEmpty: boolean,
): void {
  for (let i = first; i <= last; i++) {
    const z = zsetArg(c, a, i, false);
    if (z === undefined) return;
    if (z === null) continue;
    if (count === 0) {
      c.reply.arrayHeader(0);
      return;
    }
    popEntries(c, z, a.argBuf, a.starts[i], a.ends[i], max, emitKey, count, nested);
    return;
  }
  if (nilWhenEmpty) c.reply.nullArray();
  else c.reply.arrayHeader(0);
}

function zpopGeneric(c: Client, a: Args, max: boolean): void {
  if (a.argc > 3) {
    c.reply.error(ERR_SYNTAX);
    return;
  }
  let count = -1;
  if (a.argc === 3) {
    const v = positiveLongArg(c, a, 2);
    if (v === null) return;
    count = v;
  }
  zpopArgs(c, a, 1, 1, max, false, count, c.reply.proto === 3 && count !== -1, false);
}

function zpopmin(c: Client, a: Args): void {
  zpopGeneric(c, a, false);
}
function zpopmax(c: Client, a: Args): void {
  zpopGeneric(c, a, true);
}

function zmpop(c: Client, a: Args): void {
  const p = parseMpop(c, a, 1, "min", "max");
  if (p === null) return;
  zpopArgs(c, a, 2, 1 + p.numkeys, !p.left, true, p.count, true, true);
}

/** Serves a blocked BZPOPMIN/BZPOPMAX/BZMPOP client from the first of its keys holding a zset. */
function retryZpop(cl: Client, keys: Buffer[], max: boolean, count: number, nested: boolean): boolean {
  for (const k of keys) {
    const db = cl.db;
    const h = db.lookup(k, 0, k.length, false);
    if (h === 0 || db.type(h) !== T_ZSET) continue;
    foundHandle = h;
    popEntries(cl, db.object<SortedSet>(h), k, 0, k.length, max, true, count, nested);
    return true;
  }
  return false;
}

function replyTimedOut(cl: Client): void {
  cl.reply.nullArray();
}

function blockingZpop(
  c: Client,
  a: Args,
  first: number,
  last: number,
  timeoutIndex: number,
  max: boolean,
  count: number,
  nested: boolean,
): void {
  const deadline = timeoutArg(c, a, timeoutIndex);
  if (deadline < 0) return;
  for (let i = first; i <= last; i++) {
    const z = zsetArg(c, a, i, false);
    if (z === undefined) return;
    if (z === null) continue;
    popEntries(c, z, a.argBuf, a.starts[i], a.ends[i], max, true, count, nested);
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
    retry: (cl) => retryZpop(cl, keys, max, count, nested),
    timeout: replyTimedOut,
  });
}

function bzpopmin(c: Client, a: Args): void {
  blockingZpop(c, a, 1, a.argc - 2, a.argc - 1, false, -1, false);
}
function bzpopmax(c: Client, a: Args): void {
  blockingZpop(c, a, 1, a.argc - 2, a.argc - 1, true, -1, false);
}

function bzmpop(c: Client, a: Args): void {
  const p = parseMpop(c, a, 2, "min", "max");
  if (p === null) return;
  blockingZpop(c, a, 3, 2 + p.numkeys, 1, !p.left, p.count, true);
}

// ---- ZRANDMEMBER ----

const LONG_MAX = 9223372036854775807n;
const HALF_LONG_MAX = LONG_MAX / 2n;

function zrandmember(c: Client, a: Args): void {
  if (a.argc >= 3) {
    const v = parseInt64(a.argBuf, a.starts[2], a.ends[2]);
    if (v === null) {
      c.reply.error("ERR value is not an integer or out of range");
      return;
    }
    if (v === -LONG_MAX - 1n) {
      c.reply.error("ERR value is out of range, value must between -9223372036854775807 and 9223372036854775807");
      return;
    }
    let withScores = false;
    if (a.argc > 4 || (a.argc === 4 && !argIs(a, 3, "withscores"))) {
      c.reply.error(ERR_SYNTAX);
      return;
    }
    if (a.argc === 4) {
      withScores = true;
      if (v < -HALF_LONG_MAX || v > HALF_LONG_MAX) {
        c.reply.error("ERR value is out of range");
        return;
      }
    }
    randomWithCount(c, a, Number(v), withScores);
    return;
  }
  const z = zsetArg(c, a, 1, true);
  if (z === undefined) return;
  if (z === null) {
    c.reply.nullBulk();
    return;
  }
  c.reply.bulkString((z.randomEntry() as { member: string }).member);
}

function randomWithCount(c: Client, a: Args, count: number, withScores: boolean): void {
  const z = zsetArg(c, a, 1, true);
  if (z === undefined) return;
  if (z === null || count === 0) {
    c.reply.arrayHeader(0);
    return;
  }
  const size = z.size;
  if (count < 0 || count === 1) {
    const n = count < 0 ? -count : 1;
    beginEntries(c, n, withScores);
    for (let k = 0; k < n; k++) {
      const e = z.randomEntry() as { member: string; score: number };
      emitEntry(e.member, e.score);
    }
    return;
  }
  if (count >= size) {
    // The whole set, highest first, as Redis 7.0 replies it.
    beginEntries(c, size, withScores);
    z.rangeByRank(0, size - 1, true, emitEntry);
    return;
  }
  const picked = z.randomEntries(count);
  beginEntries(c, picked.length, withScores);
  for (const e of picked) emitEntry(e.member, e.score);
}

// ---- ZSCAN ----

/** Redis's parseScanCursorOrReply (strtoul): a cursor, or -1 when invalid. */
function cursorArg(a: Args, i: number): number {
  const b = a.argBuf;
  let p = a.starts[i];
  const end = a.ends[i];
  if (p === end) return 0;
  const c0 = b[p];
  if (c0 === 0x20 || (c0 >= 0x09 && c0 <= 0x0d)) return -1;
  let neg = false;
  if (c0 === 0x2b || c0 === 0x2d) {
    neg = c0 === 0x2d;
    p++;
  }
  if (p === end) return -1;
  let v = 0n;
  for (; p < end; p++) {
    const d = b[p] - 0x30;
    if (d < 0 || d > 9) return -1;
    v = v * 10n + BigInt(d);
    if (v > 0xffffffffffffffffn) return -1;
  }
  if (neg && v !== 0n) v = (1n << 64n) - v;
  return Number(v);
}

function zscan(c: Client, a: Args): void {
  const cursor = cursorArg(a, 2);
  if (cursor < 0) {
    c.reply.error("ERR invalid cursor");
    return;
  }
  const z = zsetArg(c, a, 1, true);
  if (z === undefined) return;
  if (z === null) {
    c.reply.arrayHeader(2);
    c.reply.bulkString("0");
    c.reply.arrayHeader(0);
    return;
  }
  let count = 10;
  let pattern = -1;
  for (let i = 3; i < a.argc; i += 2) {
    const more = i < a.argc - 1;
    if (more && argIs(a, i, "count")) {
      const n = longArg(c, a, i + 1);
      if (n === null) return;
      if (n < 1) {
        c.reply.error(ERR_SYNTAX);
        return;
      }
      count = n;
    } else if (more && argIs(a, i, "match")) {
      pattern = a.ends[i + 1] - a.starts[i + 1] === 1 && a.argBuf[a.starts[i + 1]] === 0x2a ? -1 : i + 1;
    } else {
      c.reply.error(ERR_SYNTAX);
      return;
    }
  }
  const members: string[] = [];
  const scores: number[] = [];
  let next = 0;
  readLimits(c);
  const listpack = isListpack(z);
  if (listpack) {
    z.forEach((m, s) => {
      members.push(m);
      scores.push(s);
    });
  } else {
    next = z.scan(cursor > Number.MAX_SAFE_INTEGER ? 0 : cursor, count, (m, s) => {
      members.push(m);
      scores.push(s);
    });
  }
  let n = members.length;
  if (pattern >= 0 && !isMatchAll(a.argBuf.subarray(a.starts[pattern], a.ends[pattern]))) {
    const pb = a.argBuf;
    const ps = a.starts[pattern];
    const pe = a.ends[pattern];
    let w = 0;
    for (let k = 0; k < n; k++) {
      if (globMatchString(pb, ps, pe, members[k])) {
        members[w] = members[k];
        scores[w] = scores[k];
        w++;
      }
    }
    n = w;
  }
  const r = c.reply;
  r.arrayHeader(2);
  r.bulkString(String(next));
  r.arrayHeader(n * 2);
  for (let k = 0; k < n; k++) {
    r.bulkString(members[k]);
    r.bulkString(listpack ? listpackScore(scores[k]) : formatDouble(scores[k]));
  }
}

const TWO62 = 2 ** 62;

/**
 * A score as a listpack holds it, which ZSCAN returns as is: an integral score within
 * +-LLONG_MAX/2 is stored as an integer (Redis's double2ll), anything else as its %.17g text.
 */
function listpackScore(d: number): string {
  if (Number.isInteger(d) && d >= -TWO62 && d <= TWO62) {
    return Number.isSafeInteger(d) ? String(d) : BigInt(d).toString();
  }
  return formatDouble(d);
}

const W = ["write", "sortedset"];
const R = ["read", "sortedset"];

export const commands: CommandSpec[] = [
  command("zadd", -4, ["write", "denyoom", "fast"], KEY1, zadd, [...W, "fast"]),
  command("zincrby", 4, ["write", "denyoom", "fast"], KEY1, zincrby, [...W, "fast"]),
  command("zrem", -3, ["write", "fast"], KEY1, zrem, [...W, "fast"]),
  command("zscore", 3, ["readonly", "fast"], KEY1, zscore, [...R, "fast"]),
  command("zmscore", -3, ["readonly", "fast"], KEY1, zmscore, [...R, "fast"]),
  command("zcard", 2, ["readonly", "fast"], KEY1, zcard, [...R, "fast"]),
  command("zcount", 4, ["readonly", "fast"], KEY1, zcount, [...R, "fast"]),
  command("zlexcount", 4, ["readonly", "fast"], KEY1, zlexcount, [...R, "fast"]),
  command("zrank", 3, ["readonly", "fast"], KEY1, zrank, [...R, "fast"]),
  command("zrevrank", 3, ["readonly", "fast"], KEY1, zrevrank, [...R, "fast"]),
  command("zrange", -4, ["readonly"], KEY1, zrange, [...R, "slow"]),
  command("zrangebyscore", -4, ["readonly"], KEY1, zrangebyscore, [...R, "slow"]),
  command("zrevrange", -4, ["readonly"], KEY1, zrevrange, [...R, "slow"]),
  command("zrevrangebyscore", -4, ["readonly"], KEY1, zrevrangebyscore, [...R, "slow"]),
  command("zrangebylex", -4, ["readonly"], KEY1, zrangebylex, [...R, "slow"]),
  command("zrevrangebylex", -4, ["readonly"], KEY1, zrevrangebylex, [...R, "slow"]),
  command("zrangestore", -5, ["write", "denyoom"], [1, 2, 1], zrangestore, [...W, "slow"]),
  command("zremrangebyrank", 4, ["write"], KEY1, zremrangebyrank, [...W, "slow"]),
  command("zremrangebyscore", 4, ["write"], KEY1, zremrangebyscore, [...W, "slow"]),
  command("zremrangebylex", 4, ["write"], KEY1, zremrangebylex, [...W, "slow"]),
  command("zpopmin", -2, ["write", "fast"], KEY1, zpopmin, [...W, "fast"]),
  command("zpopmax", -2, ["write", "fast"], KEY1, zpopmax, [...W, "fast"]),
  command("zmpop", -4, ["write", "movablekeys"], [0, 0, 0], zmpop, [...W, "slow"]),
  command("bzpopmin", -3, ["write", "noscript", "blocking", "fast"], [1, -2, 1], bzpopmin, [...W, "fast", "blocking"]),
  command("bzpopmax", -3, ["write", "noscript", "blocking", "fast"], [1, -2, 1], bzpopmax, [...W, "fast", "blocking"]),
  command("bzmpop", -5, ["write", "blocking", "movablekeys"], [0, 0, 0], bzmpop, [...W, "slow", "blocking"]),
  command("zscan", -3, ["readonly"], KEY1, zscan, [...R, "slow"]),
  command("zrandmember", -2, ["readonly"], KEY1, zrandmember, [...R, "slow"]),
];
