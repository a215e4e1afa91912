// Persistence of the cache face (`appendonly yes`): a command log kept in a Shale engine store
// (`<dir>/aof`), snapshots of the whole cache (`<dir>/<dbfilename>`, see cache/snapshot.ts), and
// the startup that loads the snapshot and replays the log after it.
//
// What is logged. A command is logged after it ran when it changed the data (store.dirty moved;
// read-only commands that merely expired a key are skipped), plus FLUSHALL/FLUSHDB/SWAPDB always.
// The argv is logged verbatim, except for commands whose effect depends on time or chance, which
// are rewritten into deterministic forms from the state they left (the REWRITES table below, as
// Redis's propagation does: relative expiries become PEXPIREAT/SET ... PXAT, SPOP becomes SREM of
// what it popped, blocking pops become their plain forms, INCRBYFLOAT becomes SET of the result).
// Each entry also carries the db index and the time the command ran: replay runs every command
// with the store's clock set to that time, so a key that was alive for a command (and expired
// later) is alive for its replay too, as Redis gets by not expiring keys while loading. Keys that
// expire need no DEL (their times are absolute); evicted keys get one. The commands EXEC runs are
// logged as one engine batch, so a transaction survives a crash whole or not at all.
//
// Log entry: key = sequence number, u64 big-endian (consecutive from 1); value =
//   version u8 (1) | db varint | time varint (Unix ms) | argc varint | argc x (varint length | bytes)
//
// Durability (appendfsync): always -> engine `strict`, everysec -> `relaxed` (synced within
// 1000 ms), no -> `none`. In every mode a reply is not sent before the log write it depends on
// has reached the OS (and, for `always`, the disk): `pendingWrite` is the engine's promise for the
// latest log write, and Client.flush holds replies until it resolves. The engine's group commit
// makes all the writes of one event-loop turn one WAL record and, for `always`, one fdatasync.
//
// SAVE/BGSAVE (and the automatic saves) write a snapshot without stopping the server: the store
// is walked with SCAN cursors in slices of about 2 ms, each block appended to `<file>.tmp` as it
// fills, while commands go on between the slices and every key they change is noted; at the end
// the changed keys are written again as they now are (or as deleted), in one synchronous pass, and
// the file covers exactly the log entries issued up to that pass (see snapshotInSlices). The file is
// then fdatasync'd, renamed over the old one and the directory fsync'd, asynchronously; only when
// it is durable are the entries it covers deleted from the log (the engine compacts them away). A
// crash at any point leaves a snapshot and the log entries after it. Measured with 1M small keys:
// the longest event-loop stall during a save was 7-40 ms (a synchronous walk takes about 0.4 s).

import { Socket } from "node:net";
import type { Db } from "../../cache/db.js";
import { T_HASH, T_STRING } from "../../cache/entry.js";
import type { HashValue } from "../../cache/hash.js";
import { loadStore, SnapshotWriter, snapshotTrailerSeq, writeKey, writeStore } from "../../cache/snapshot.js";
import type { CacheStore } from "../../cache/store.js";
import type { Durability } from "../../engine/options.js";
import { type BatchOp, type Store as LogStore, open as openEngine } from "../../engine/store.js";
import { CorruptionError } from "../../format/errors.js";
import { latin1 } from "../../format/latin1.js";
import { readVarint, writeVarint } from "../../format/varint.js";
import { NodeFileSystem } from "../../fs/node.js";
import { type FileSystem, joinPath } from "../../fs/types.js";
import { Client } from "./client.js";
import type { Args, CommandSpec } from "./command.js";
import type { CacheServer, Persistence } from "./server.js";

export type AppendFsync = "always" | "everysec" | "no";

export const FSYNC_DURABILITY: Record<AppendFsync, Durability> = {
  always: "strict",
  everysec: "relaxed",
  no: "none",
};

export interface PersistenceOptions {
  /** The `dir` setting: the snapshot and the log live under it. */
  dir: string;
  /** The snapshot's file name (`dbfilename`). */
  dbfilename: string;
  appendfsync: AppendFsync;
  /** Default: the real file system. */
  fs?: FileSystem;
  log?: (line: string) => void;
}

const ENTRY_VERSION = 1;
/** Log entries deleted per engine batch after a snapshot. */
const DROP_CHUNK = 4096;
/** Commands logged even when they did not move store.dirty (they change whole databases). */
const ALWAYS_LOG = new Set(["flushall", "flushdb", "swapdb"]);

/** Raised when the snapshot and the log do not fit together, or the log holds something unreadable. */
export class PersistenceError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "PersistenceError";
  }
}

// ---------------------------------------------------------------------------------------------
// Log entries

/** An Args over a decoded log entry (arguments point into the entry's bytes). */
interface EntryArgs extends Args {
  db: number;
  time: number;
}

/** The 8-byte big-endian key of sequence number `seq`, written into `out`. */
export function seqKey(seq: number, out: Uint8Array = new Uint8Array(8)): Uint8Array {
  let hi = Math.floor(seq / 0x100000000);
  let lo = seq >>> 0;
  for (let i = 3; i >= 0; i--) {
    out[i] = hi & 0xff;
    hi >>>= 8;
    out[4 + i] = lo & 0xff;
    lo >>>= 8;
  }
  return out;
}

export function keySeq(k: Uint8Array): number {
  if (k.length !== 8) return -1;
  const hi = ((k[0] << 24) | (k[1] << 16) | (k[2] << 8) | k[3]) >>> 0;
  const lo = ((k[4] << 24) | (k[5] << 16) | (k[6] << 8) | k[7]) >>> 0;
  return hi * 0x100000000 + lo;
}

/** Encodes an entry into a reusable buffer: begin(), arg()s, then the bytes are buf[0, pos). */
class EntryEncoder {
  buf = Buffer.allocUnsafe(4096);
  pos = 0;

  begin(db: number, time: number, argc: number): void {
    this.pos = 0;
    this.ensure(32);
    const b = this.buf;
    b[0] = ENTRY_VERSION;
    let p = writeVarint(b, 1, db);
    p = writeVarint(b, p, Math.max(0, Math.floor(time)));
    this.pos = writeVarint(b, p, argc);
  }

  bytes(src: Uint8Array, s: number, e: number): void {
    const n = e - s;
    this.ensure(10 + n);
    this.pos = writeVarint(this.buf, this.pos, n);
    if (n <= 32) {
      const b = this.buf;
      let p = this.pos;
      for (let i = s; i < e; i++) b[p++] = src[i];
    } else this.buf.set(src.subarray(s, e), this.pos);
    this.pos += n;
  }

  latin1(s: string): void {
    const n = s.length;
    this.ensure(10 + n);
    this.pos = writeVarint(this.buf, this.pos, n);
    this.pos += this.buf.write(s, this.pos, n, "latin1");
  }

  view(): Uint8Array {
    return this.buf.subarray(0, this.pos);
  }

  private ensure(n: number): void {
    if (this.pos + n <= this.buf.length) return;
    const bigger = Buffer.allocUnsafe(Math.max(this.buf.length * 2, this.pos + n));
    this.buf.copy(bigger, 0, 0, this.pos);
    this.buf = bigger;
  }
}

/** Decodes a log entry; throws RangeError when it is malformed. */
export function decodeEntry(v: Uint8Array): EntryArgs {
  if (v.length === 0 || v[0] !== ENTRY_VERSION) {
    throw new RangeError(`log entry version ${v.length === 0 ? "(empty)" : v[0]} is not ${ENTRY_VERSION}`);
  }
  const cur = { pos: 1 };
  const db = readVarint(v, cur);
  const time = readVarint(v, cur);
  const argc = readVarint(v, cur);
  if (argc === 0 || argc > v.length) throw new RangeError(`log entry has ${argc} arguments`);
  const starts = new Int32Array(argc);
  const ends = new Int32Array(argc);
  for (let i = 0; i < argc; i++) {
    const n = readVarint(v, cur);
    if (cur.pos + n > v.length) throw new RangeError("log entry argument runs past its end");
    starts[i] = cur.pos;
    ends[i] = cur.pos + n;
    cur.pos += n;
  }
  if (cur.pos !== v.length) throw new RangeError(`${v.length - cur.pos} bytes after the log entry's arguments`);
  const argBuf = Buffer.from(v.buffer, v.byteOffset, v.byteLength);
  return { argBuf, starts, ends, argc, db, time };
}

function copyArgs(a: Args): Args {
  let total = 0;
  for (let i = 0; i < a.argc; i++) total += a.ends[i] - a.starts[i];
  const buf = Buffer.allocUnsafe(total);
  const starts = new Int32Array(a.argc);
  const ends = new Int32Array(a.argc);
  let p = 0;
  for (let i = 0; i < a.argc; i++) {
    starts[i] = p;
    p += a.argBuf.copy(buf, p, a.starts[i], a.ends[i]);
    ends[i] = p;
  }
  return { argBuf: buf, starts, ends, argc: a.argc };
}

// ---------------------------------------------------------------------------------------------
// Rewrites: commands whose effect depends on time or chance, logged as deterministic commands

/** A command's reply, decoded just enough for the rewrites (bulk strings as latin1). */
export type ReplyValue = string | null | ReplyValue[];

/** What a rewrite sees: the command's arguments, its database after it ran, and its reply. */
interface RewriteContext {
  a: Args;
  db: Db;
  reply(): ReplyValue;
}

/** Returns the commands to log instead (latin1 argv lists; [] logs nothing), or null for verbatim. */
type Rewrite = (x: RewriteContext) => string[][] | null;

/** One reusable context, so the commands logged verbatim (a plain SET) allocate nothing for it. */
class RewriteCall implements RewriteContext {
  a: Args = { argBuf: Buffer.alloc(0), starts: new Int32Array(0), ends: new Int32Array(0), argc: 0 };
  db!: Db;
  c!: Client;
  mark = 0;
  reply(): ReplyValue {
    return replySince(this.c, this.mark);
  }
}

function arg(a: Args, i: number): string {
  return latin1(a.argBuf, a.starts[i], a.ends[i]);
}

function argLowerIs(a: Args, i: number, words: readonly string[]): boolean {
  return words.includes(arg(a, i).toLowerCase());
}

/** The live handle of the key in argument i (0 when absent or expired). */
function lookupArg(x: RewriteContext, i: number): number {
  return x.db.lookup(x.a.argBuf, x.a.starts[i], x.a.ends[i], false);
}

/** EXPIRE, PEXPIRE, EXPIREAT, PEXPIREAT, GETEX: the key's expiry as it now stands. */
const expiryState: Rewrite = (x) => {
  const k = arg(x.a, 1);
  const h = lookupArg(x, 1);
  if (h === 0) return [["DEL", k]];
  const at = x.db.expireAt(h);
  return [at >= 0 ? ["PEXPIREAT", k, String(at)] : ["PERSIST", k]];
};

/** SET key value ... EX|PX|EXAT|PXAT, SETEX, PSETEX: SET key value PXAT <absolute ms>. */
function setWithExpiry(valueArg: number, onlyWithOption: boolean): Rewrite {
  return (x) => {
    const a = x.a;
    if (onlyWithOption) {
      let timed = false;
      for (let i = 3; i < a.argc && !timed; i++) timed = argLowerIs(a, i, ["ex", "px", "exat", "pxat"]);
      if (!timed) return null;
    }
    const k = arg(a, 1);
    const h = lookupArg(x, 1);
    if (h === 0) return [["DEL", k]];
    const at = x.db.expireAt(h);
    const v = arg(a, valueArg);
    return [at >= 0 ? ["SET", k, v, "PXAT", String(at)] : ["SET", k, v]];
  };
}

function replyStrings(v: ReplyValue): string[] {
  if (v === null) return [];
  if (typeof v === "string") return [v];
  const out: string[] = [];
  for (const e of v) if (typeof e === "string") out.push(e);
  return out;
}

/** BLPOP/BRPOP: [key, value] -> LPOP/RPOP key. */
function popFromReply(cmd: string): Rewrite {
  return (x) => {
    const r = x.reply();
    if (!Array.isArray(r) || typeof r[0] !== "string") return [];
    return [[cmd, r[0]]];
  };
}

/** BZPOPMIN/BZPOPMAX: [key, member, score] -> ZREM key member. */
const zpopFromReply: Rewrite = (x) => {
  const r = x.reply();
  if (!Array.isArray(r) || typeof r[0] !== "string" || typeof r[1] !== "string") return [];
  return [["ZREM", r[0], r[1]]];
};

export const REWRITES: ReadonlyMap<string, Rewrite> = new Map<string, Rewrite>([
  ["expire", expiryState],
  ["pexpire", expiryState],
  ["expireat", expiryState],
  ["pexpireat", expiryState],
  ["getex", expiryState],
  ["set", setWithExpiry(2, true)],
  ["setex", setWithExpiry(3, false)],
  ["psetex", setWithExpiry(3, false)],
  [
    "incrbyfloat",
    (x) => {
      const k = arg(x.a, 1);
      const h = lookupArg(x, 1);
      if (h === 0 || x.db.type(h) !== T_STRING) return [["DEL", k]];
      x.db.decode(h);
      return [["SET", k, latin1(x.db.vbuf, x.db.vstart, x.db.vend), "KEEPTTL"]];
    },
  ],
  [
    "hincrbyfloat",
    (x) => {
      const k = arg(x.a, 1);
      const f = arg(x.a, 2);
      const h = lookupArg(x, 1);
      const v = h !== 0 && x.db.type(h) === T_HASH ? x.db.object<HashValue>(h).get(f) : undefined;
      return v === undefined ? null : [["HSET", k, f, v]];
    },
  ],
  [
    "spop",
    (x) => {
      const members = replyStrings(x.reply());
      return members.length === 0 ? [] : [["SREM", arg(x.a, 1), ...members]];
    },
  ],
  ["blpop", popFromReply("LPOP")],
  ["brpop", popFromReply("RPOP")],
  ["blmove", (x) => [["LMOVE", arg(x.a, 1), arg(x.a, 2), arg(x.a, 3), arg(x.a, 4)]]],
  ["brpoplpush", (x) => [["RPOPLPUSH", arg(x.a, 1), arg(x.a, 2)]]],
  [
    "blmpop",
    (x) => {
      // BLMPOP timeout numkeys key... LEFT|RIGHT [COUNT n] -> LPOP|RPOP key <popped count>
      const r = x.reply();
      if (!Array.isArray(r) || typeof r[0] !== "string" || !Array.isArray(r[1])) return [];
      const numkeys = Number(arg(x.a, 2));
      const left = arg(x.a, 3 + numkeys).toLowerCase() === "left";
      return [[left ? "LPOP" : "RPOP", r[0], String(r[1].length)]];
    },
  ],
  ["bzpopmin", zpopFromReply],
  ["bzpopmax", zpopFromReply],
  [
    "bzmpop",
    (x) => {
      // [key, [[member, score], ...]] -> ZREM key member...
      const r = x.reply();
      if (!Array.isArray(r) || typeof r[0] !== "string" || !Array.isArray(r[1])) return [];
      const members: string[] = [];
      for (const e of r[1]) if (Array.isArray(e) && typeof e[0] === "string") members.push(e[0]);
      return members.length === 0 ? [] : [["ZREM", r[0], ...members]];
    },
  ],
]);

/** Decodes one RESP2/RESP3 reply at buf[pos]; returns [value, next] (numbers and doubles as strings). */
export function parseReply(buf: Uint8Array, pos: number): [ReplyValue, number] {
  // A RESP3 push (a keyspace notification to the client that ran the command, say) is out of band:
  // Redis may put it before a reply or between an array's items. Skip it.
  while (buf[pos] === 0x3e) pos = parseAggregate(buf, pos)[1];
  let eol = pos;
  while (eol + 1 < buf.length && !(buf[eol] === 13 && buf[eol + 1] === 10)) eol++;
  if (eol + 1 >= buf.length) throw new RangeError("incomplete reply");
  const type = buf[pos];
  const line = latin1(buf, pos + 1, eol);
  const next = eol + 2;
  switch (type) {
    case 0x24: // $ bulk
    case 0x3d: {
      // = verbatim
      const n = Number(line);
      if (n < 0) return [null, next];
      return [latin1(buf, next, next + n), next + n + 2];
    }
    case 0x2a: // * array
    case 0x7e: // ~ set
    case 0x25: // % map (flattened)
      return parseAggregate(buf, pos);
    case 0x5f: // _ null
      return [null, next];
    default: // + - : , # ( simple lines
      return [line, next];
  }
}

/** An array, set, map (flattened) or push at pos: its items and the position after it. */
function parseAggregate(buf: Uint8Array, pos: number): [ReplyValue[] | null, number] {
  let eol = pos;
  while (eol + 1 < buf.length && !(buf[eol] === 13 && buf[eol + 1] === 10)) eol++;
  if (eol + 1 >= buf.length) throw new RangeError("incomplete reply");
  let n = Number(latin1(buf, pos + 1, eol));
  if (n < 0) return [null, eol + 2];
  if (buf[pos] === 0x25) n *= 2;
  const items: ReplyValue[] = [];
  let p = eol + 2;
  for (let i = 0; i < n; i++) {
    const [v, q] = parseReply(buf, p);
    items.push(v);
    p = q;
  }
  return [items, p];
}

/** The reply a command wrote to c since `mark` (replies stay pending: take() then raw() puts them back). */
function replySince(c: Client, mark: number): ReplyValue {
  const out = c.reply.take();
  if (out === null) return null;
  c.reply.raw(out);
  if (mark >= out.length) return null;
  return parseReply(out, mark)[0];
}

// ---------------------------------------------------------------------------------------------
// The persistence object

/** Parses the `save` setting ("3600 1 300 100"): [seconds, changes] pairs. */
export function parseSaveRules(s: string): [number, number][] {
  const parts = s
    .trim()
    .split(/\s+/)
    .filter((p) => p.length > 0);
  const rules: [number, number][] = [];
  for (let i = 0; i + 1 < parts.length; i += 2) {
    const sec = Number(parts[i]);
    const changes = Number(parts[i + 1]);
    if (Number.isInteger(sec) && Number.isInteger(changes) && sec > 0) rules.push([sec, changes]);
  }
  return rules;
}

export class CachePersistence implements Persistence {
  /** Unix seconds of the last successful save (the startup counts as one, as in Redis). */
  lastSave = Math.floor(Date.now() / 1000);
  lastSaveOk = true;
  /** Snapshots written since startup. */
  saves = 0;
  /** Set when a log write failed: writes are then refused with MISCONF, and replies waiting on it dropped. */
  error: Error | null = null;
  /** The latest log write not yet acknowledged; replies wait for it (Client.flush). */
  pendingWrite: Promise<void> | null = null;
  /** Entries replayed and snapshot keys loaded at startup. */
  readonly loaded = { keys: 0, entries: 0, ms: 0 };
  readonly dir: string;
  readonly file: string;
  readonly logDir: string;

  private readonly store: CacheStore;
  private readonly fs: FileSystem;
  private readonly say: (line: string) => void;
  private log: LogStore | null = null;
  private writeOpts: { durability: Durability };
  private nextSeq = 1;
  /** The log sequence number the snapshot on disk covers. */
  private snapshotSeq = 0;
  /** The lowest sequence number that may still be in the log. */
  private firstLogSeq = 1;
  private dirtyAtSave = 0;
  private readonly enc = new EntryEncoder();
  private readonly rewriteCall = new RewriteCall();
  private readonly keyBuf = new Uint8Array(8);
  /** Entries of the running EXEC, written as one batch when it ends. */
  private tx: BatchOp[] = [];
  private txDepth = 0;
  /** While enabling at runtime: null before the snapshot (nothing is logged; the snapshot will hold it), then entries held until the snapshot is durable. */
  private held: BatchOp[] | null = null;
  private enabling = false;
  private saving: Promise<void> | null = null;
  /** While an incremental save runs: the keys ("db\0key") changed since it started. */
  private touched: Set<string> | null = null;
  /** Set when a whole database changed (FLUSHDB, FLUSHALL, SWAPDB) during an incremental save. */
  private restartSave = false;
  private saveQueued: Promise<void> | null = null;
  private dropping: Promise<void> = Promise.resolve();
  private logBytes = 0;
  private snapshotBytes = 0;
  private timer: NodeJS.Timeout | null = null;
  private closed = false;
  private closing: Promise<void> | null = null;
  private replayClient: Client | null = null;

  private constructor(
    private readonly server: CacheServer,
    opts: PersistenceOptions,
  ) {
    this.store = server.store;
    this.fs = opts.fs ?? new NodeFileSystem();
    this.say = opts.log ?? (() => {});
    this.dir = opts.dir;
    this.file = joinPath(opts.dir, opts.dbfilename);
    this.logDir = joinPath(opts.dir, "aof");
    this.writeOpts = { durability: FSYNC_DURABILITY[opts.appendfsync] };
  }

  /**
   * Startup with appendonly yes: opens the log, loads the snapshot and replays the log entries
   * after it into the (empty) store, before the server accepts connections.
   */
  static async open(server: CacheServer, opts: PersistenceOptions): Promise<CachePersistence> {
    const p = new CachePersistence(server, opts);
    p.fs.mkdir(opts.dir);
    p.log = await openLog(p.fs, p.logDir);
    try {
      p.load();
    } catch (err) {
      await p.log.close();
      throw err;
    }
    p.startTimer();
    return p;
  }

  /**
   * CONFIG SET appendonly yes: from now on the log follows the data. Like Redis's AOF rewrite on
   * enable, it starts from a snapshot of the current data (replacing what the directory held);
   * until that snapshot is durable, replies wait and new log entries are held back, so a crash
   * in between leaves the directory's old, consistent state.
   */
  static enable(
    server: CacheServer,
    opts: PersistenceOptions,
    after: Promise<void> = Promise.resolve(),
  ): CachePersistence {
    const p = new CachePersistence(server, opts);
    p.enabling = true;
    const ready = after.then(() => p.startFromSnapshot());
    p.pendingWrite = ready;
    ready.then(
      () => {
        if (p.pendingWrite === ready) p.pendingWrite = null;
      },
      (err: unknown) => {
        p.fail(err instanceof Error ? err : new Error(String(err)));
        p.say(`shale cache: appendonly could not start: ${p.error?.message}`);
      },
    );
    p.startTimer();
    return p;
  }

  private async startFromSnapshot(): Promise<void> {
    this.fs.mkdir(this.dir);
    const log = await openLog(this.fs, this.logDir);
    this.log = log;
    if (this.closed) return;
    const last = lastSeq(log);
    const first = firstSeq(log);
    this.firstLogSeq = first > 0 ? first : 1;
    this.nextSeq = Math.max(last, this.snapshotSeqOnDisk()) + 1;
    this.enabling = false;
    this.held = [];
    try {
      await this.snapshotNow();
    } catch (err) {
      this.held = null;
      throw err;
    }
    const held = this.held;
    this.held = null;
    if (held.length > 0) {
      const p = log.batch(held, this.writeOpts);
      this.track(p);
      await p;
    }
  }

  /** The log sequence the snapshot file on disk says it covers (0 when there is none or it is unreadable). */
  private snapshotSeqOnDisk(): number {
    // Only the trailer matters here; a damaged old snapshot is replaced anyway.
    try {
      return this.fs.exists(this.file) ? (snapshotTrailerSeq(this.fs, this.file) ?? 0) : 0;
    } catch {
      return 0;
    }
  }

  // ---- startup ----

  private load(): void {
    const started = performance.now();
    const store = this.store;
    const log = this.log as LogStore;
    if (this.fs.exists(this.file)) {
      const info = loadStore(store, this.fs, this.file);
      this.snapshotSeq = info.logSeq;
      this.snapshotBytes = info.bytes;
      this.loaded.keys = store.keyCount();
    }
    const first = firstSeq(log);
    this.firstLogSeq = first > 0 ? first : this.snapshotSeq + 1;
    let expect = this.snapshotSeq + 1;
    const it = log.iterator({ gt: seqKey(this.snapshotSeq) });
    try {
      for (const [k, v] of it) {
        const seq = keySeq(k);
        if (seq !== expect) {
          throw new PersistenceError(
            seq < 0
              ? `the log ${this.logDir} holds a key that is not a sequence number: it is not a Shale cache log`
              : `the log ${this.logDir} continues at entry ${seq}, but the snapshot ${this.file} covers entries up to ` +
                  `${this.snapshotSeq} and entry ${expect} is missing. Restore the snapshot that goes with this log, ` +
                  `or move ${this.logDir} aside to start from the snapshot alone`,
          );
        }
        this.replay(seq, v);
        this.logBytes += v.length + 8;
        expect++;
        this.loaded.entries++;
      }
    } finally {
      it.close();
      store.tick();
    }
    this.nextSeq = Math.max(expect, lastSeq(log) + 1);
    this.dirtyAtSave = store.dirty;
    this.server.dirtyAtLastSave = store.dirty;
    this.loaded.ms = Math.round(performance.now() - started);
    if (this.firstLogSeq <= this.snapshotSeq) this.dropLog(this.snapshotSeq);
    this.say(
      `shale cache: loaded ${this.loaded.keys} keys from ${this.fs.exists(this.file) ? this.file : "(no snapshot)"} and ` +
        `replayed ${this.loaded.entries} log entries in ${this.loaded.ms} ms`,
    );
  }

  private replay(seq: number, v: Uint8Array): void {
    let e: EntryArgs;
    try {
      e = decodeEntry(v);
    } catch (err) {
      throw new CorruptionError(
        this.logDir,
        `log entry ${seq} is malformed (${(err as Error).message}); move ${this.logDir} aside to start from the snapshot alone`,
      );
    }
    const server = this.server;
    let spec = server.lookupCommand(e);
    if (spec?.subcommands !== undefined && e.argc >= 2) {
      const name = `${spec.name}|${arg(e, 1).toLowerCase()}`;
      spec = spec.subcommands.find((s) => s.name === name);
    }
    if (spec === undefined) {
      throw new PersistenceError(
        `log entry ${seq} in ${this.logDir} is a command this server does not know (${JSON.stringify(arg(e, 0))}): ` +
          "start the Shale version that wrote it",
      );
    }
    if (e.db >= this.store.dbs.length) {
      throw new PersistenceError(
        `log entry ${seq} in ${this.logDir} writes to database ${e.db}, and this server has ${this.store.dbs.length}: raise the databases setting`,
      );
    }
    let c = this.replayClient;
    if (c === null) {
      c = new Client(server, 0, new Socket());
      c.denyBlocking = true;
      this.replayClient = c;
    }
    c.select(e.db);
    this.store.now = e.time;
    spec.run(c, e);
    c.reply.reset();
    if (c.blocked !== null) {
      server.unblock(c);
      throw new PersistenceError(
        `replaying log entry ${seq} (${arg(e, 0)}) blocked: the log does not match the snapshot it follows`,
      );
    }
  }

  // ---- logging ----

  /** Runs a command for a client (CacheServer.call's hook) and logs what it changed. */
  run(c: Client, spec: CommandSpec, a: Args): void {
    if (this.error !== null && spec.flags.includes("write")) {
      c.reply.error(`MISCONF Errors writing to the AOF file: ${this.error.message}`);
      return;
    }
    const store = this.store;
    const dirty = store.dirty;
    const db = c.dbIndex;
    const mark = c.reply.length;
    if (spec.name === "exec") {
      this.txDepth++;
      try {
        spec.run(c, a);
      } finally {
        this.txDepth--;
        if (this.txDepth === 0) this.endTx();
      }
      return;
    }
    spec.run(c, a);
    if (store.dirty !== dirty ? !spec.flags.includes("readonly") : ALWAYS_LOG.has(spec.name)) {
      this.record(c, spec, a, db, mark);
    }
    if (this.touched !== null && ALWAYS_LOG.has(spec.name)) this.restartSave = true;
    if (c.blocked !== null && spec.flags.includes("blocking")) this.watchBlocked(c, spec, a, db);
  }

  /** An evicted key (maxmemory): logged as DEL, since replay does not evict. */
  readonly evicted = (db: number, key: string): void => {
    if (this.closed || this.enabling) return;
    this.enc.begin(db, this.store.now, 2);
    this.enc.latin1("DEL");
    this.enc.latin1(key);
    this.append();
  };

  private record(c: Client, spec: CommandSpec, a: Args, db: number, mark: number): void {
    if (this.closed || this.enabling) return;
    const rewrite = REWRITES.get(spec.name);
    if (rewrite !== undefined) {
      const store = this.store;
      const x = this.rewriteCall;
      x.a = a;
      x.db = store.dbs[db];
      x.c = c;
      x.mark = mark;
      const out = rewrite(x);
      if (out !== null) {
        for (const argv of out) {
          this.enc.begin(db, store.now, argv.length);
          for (const s of argv) this.enc.latin1(s);
          this.append();
        }
        return;
      }
    }
    const enc = this.enc;
    enc.begin(db, this.store.now, a.argc);
    for (let i = 0; i < a.argc; i++) enc.bytes(a.argBuf, a.starts[i], a.ends[i]);
    this.append();
  }

  /** A blocked command (BLPOP ...) is logged, rewritten, when a later write serves it. */
  private watchBlocked(c: Client, spec: CommandSpec, a: Args, db: number): void {
    const state = c.blocked;
    if (state === null) return;
    const args = copyArgs(a);
    const retry = state.retry;
    state.retry = (cl: Client): boolean => {
      const dirty = this.store.dirty;
      const mark = cl.reply.length;
      const served = retry(cl);
      if (served && this.store.dirty !== dirty) this.record(cl, spec, args, db, mark);
      return served;
    };
  }

  /** Writes the encoded entry (or holds it for the running EXEC's batch). */
  private append(): void {
    const seq = this.nextSeq++;
    const value = this.enc.view();
    this.logBytes += value.length + 8;
    if (this.txDepth > 0 || this.held !== null) {
      const op: BatchOp = { type: "put", key: seqKey(seq), value: Uint8Array.prototype.slice.call(value) };
      if (this.txDepth > 0) this.tx.push(op);
      else this.held?.push(op);
      return;
    }
    seqKey(seq, this.keyBuf);
    this.track((this.log as LogStore).put(this.keyBuf, value, this.writeOpts));
  }

  private endTx(): void {
    const ops = this.tx;
    if (ops.length === 0) return;
    this.tx = [];
    if (this.held !== null) this.held.push(...ops);
    else this.track((this.log as LogStore).batch(ops, this.writeOpts));
  }

  private track(p: Promise<void>): void {
    if (p === this.pendingWrite) return;
    this.pendingWrite = p;
    p.then(
      () => {
        if (this.pendingWrite === p) this.pendingWrite = null;
      },
      (err: unknown) => {
        if (this.pendingWrite === p) this.pendingWrite = null;
        this.fail(err instanceof Error ? err : new Error(String(err)));
      },
    );
  }

  private fail(err: Error): void {
    if (this.error !== null) return;
    this.error = err;
    this.say(`shale cache: writing the log failed, writes are refused from now on: ${err.message}`);
  }

  /** CONFIG SET appendfsync. */
  setFsync(mode: AppendFsync): void {
    this.writeOpts = { durability: FSYNC_DURABILITY[mode] };
  }

  // ---- snapshots ----

  /** rdb_changes_since_last_save. */
  get changesSinceSave(): number {
    return Math.max(0, this.store.dirty - this.dirtyAtSave);
  }

  /** A save is running. */
  get inProgress(): boolean {
    return this.saving !== null;
  }

  /**
   * SAVE / BGSAVE: writes a snapshot (in slices, see snapshotInSlices) holding every change made
   * before the call, and resolves once it is durable. When a save is already running, one more is
   * queued after it (and shared by every caller until it starts), so the data of the call is
   * always in the snapshot it waits for.
   */
  save(): Promise<void> {
    if (this.closed) return Promise.reject(new Error("persistence is closed"));
    if (this.enabling) return this.pendingWrite ?? Promise.resolve();
    if (this.saving === null) return this.startSave();
    if (this.saveQueued === null) {
      const queued = this.saving.then(
        () => undefined,
        () => undefined,
      );
      this.saveQueued = queued.then(() => {
        this.saveQueued = null;
        return this.startSave();
      });
    }
    return this.saveQueued;
  }

  private startSave(): Promise<void> {
    const p = this.snapshotInSlices();
    this.saving = p;
    const done = () => {
      if (this.saving === p) this.saving = null;
    };
    p.then(done, done);
    return p;
  }

  /** While an incremental save runs: records each changed key (CacheServer.updateModifiedHook installs it). */
  get onModified(): ((db: number, key: Uint8Array, start: number, end: number) => void) | null {
    return this.touched === null ? null : this.noteModified;
  }

  private readonly noteModified = (db: number, key: Uint8Array, start: number, end: number): void => {
    this.touched?.add(`${db}\0${latin1(key, start, end)}`);
  };

  /**
   * An incremental save (SAVE, BGSAVE, automatic saves): the store is walked with SCAN cursors in
   * slices of about 2 ms, yielding to the event loop between them, while every key changed in the
   * meantime is noted (the store's modification hook). When the walk is done, the changed keys are
   * written again as they now are (or as deleted), synchronously: the file, read with "a later
   * record of a key wins", is then the data as it is at that moment, and it covers every log entry
   * made up to it. A FLUSHDB/FLUSHALL/SWAPDB during the walk starts it again (after three tries,
   * one synchronous walk). The cost left on the event loop is the final pass, proportional to the
   * keys changed during the save.
   */
  private async snapshotInSlices(): Promise<void> {
    const store = this.store;
    for (let attempt = 0; attempt < 3; attempt++) {
      const started = Date.now();
      const w = new SnapshotWriter(this.fs, this.file);
      const touched = new Set<string>();
      this.touched = touched;
      this.restartSave = false;
      this.server.updateModifiedHook();
      let written = false;
      try {
        for (const db of store.dbs) {
          let cursor = 0;
          do {
            const deadline = performance.now() + 2;
            do {
              cursor = db.scan(cursor, 16, (h) => writeKey(db, h, w));
            } while (cursor !== 0 && performance.now() < deadline);
            if (cursor !== 0) await new Promise<void>((resolve) => setImmediate(resolve));
            if (this.server.persistence !== this) throw new Error("persistence was turned off during the save");
          } while (cursor !== 0 && !this.restartSave);
          if (this.restartSave) break;
        }
        if (!this.restartSave) {
          // The final pass: synchronous, so nothing changes between it and `covered`.
          this.touched = null;
          this.server.updateModifiedHook();
          for (const t of touched) {
            const sep = t.indexOf("\0");
            const db = store.dbs[Number(t.slice(0, sep))];
            const key = Buffer.from(t.slice(sep + 1), "latin1");
            const h = db.lookup(key, 0, key.length, false);
            if (h === 0) w.deleted(db.id, key, 0, key.length);
            else writeKey(db, h, w);
          }
          written = true;
          await this.finishSnapshot(w, started);
          return;
        }
        w.abort();
      } catch (err) {
        if (!written) {
          w.abort();
          this.lastSaveOk = false;
        }
        throw err;
      } finally {
        if (this.touched === touched) {
          this.touched = null;
          this.server.updateModifiedHook();
        }
      }
    }
    return this.snapshotNow();
  }

  /** Serializes the store now (synchronously), then makes the file durable and trims the log. */
  private async snapshotNow(): Promise<void> {
    const started = Date.now();
    const w = new SnapshotWriter(this.fs, this.file);
    try {
      writeStore(this.store, w);
    } catch (err) {
      w.abort();
      this.lastSaveOk = false;
      throw err;
    }
    await this.finishSnapshot(w, started);
  }

  /** Makes a fully written snapshot durable (covering every entry logged so far), then trims the log. */
  private async finishSnapshot(w: SnapshotWriter, started: number): Promise<void> {
    const covered = this.nextSeq - 1;
    const dirty = this.store.dirty;
    const logBytes = this.logBytes;
    let info: Awaited<ReturnType<SnapshotWriter["finish"]>>;
    try {
      info = await w.finish(covered, started);
    } catch (err) {
      this.lastSaveOk = false;
      this.say(`shale cache: saving ${this.file} failed: ${(err as Error).message}`);
      throw err;
    }
    this.lastSaveOk = true;
    this.saves++;
    this.lastSave = Math.floor(Date.now() / 1000);
    this.dirtyAtSave = dirty;
    this.server.dirtyAtLastSave = dirty;
    this.snapshotSeq = covered;
    this.snapshotBytes = info.bytes;
    this.logBytes -= logBytes;
    this.say(
      `shale cache: saved ${info.records} records to ${this.file} (${info.bytes} bytes) in ${Date.now() - started} ms`,
    );
    this.dropLog(covered);
  }

  /** Deletes the log entries up to `upTo` (covered by a durable snapshot), a chunk per engine batch. */
  private dropLog(upTo: number): void {
    this.dropping = this.dropping.then(async () => {
      const log = this.log;
      while (log !== null && !this.closed && this.firstLogSeq <= upTo) {
        const end = Math.min(upTo, this.firstLogSeq + DROP_CHUNK - 1);
        const ops: BatchOp[] = [];
        for (let s = this.firstLogSeq; s <= end; s++) ops.push({ type: "del", key: seqKey(s) });
        try {
          await log.batch(ops, { durability: "none" });
        } catch (err) {
          // A later snapshot or startup tries again; the entries are skipped by replay meanwhile.
          this.say(`shale cache: trimming the log failed: ${(err as Error).message}`);
          return;
        }
        this.firstLogSeq = end + 1;
      }
    });
  }

  /** Automatic saves: the `save` rules (seconds, changes), and a log grown past its limits. */
  private startTimer(): void {
    this.timer = setInterval(() => this.autoSave(), 1000);
    this.timer.unref();
  }

  private autoSave(): void {
    if (this.closed || this.enabling || this.saving !== null || this.error !== null) return;
    const config = this.server.config;
    const now = Math.floor(Date.now() / 1000);
    const changes = this.changesSinceSave;
    let due = false;
    for (const [sec, min] of parseSaveRules(config.get("save") ?? "")) {
      if (changes >= min && now - this.lastSave >= sec && (this.lastSaveOk || now - this.lastSave >= 5)) due = true;
    }
    const pct = Number(config.get("auto-aof-rewrite-percentage") ?? 100);
    const minSize = Number(config.get("auto-aof-rewrite-min-size") ?? 64 * 1024 * 1024);
    if (pct > 0 && this.logBytes >= minSize && this.logBytes >= (this.snapshotBytes * pct) / 100) due = true;
    if (due) this.save().catch(() => {});
  }

  /** Lets running writes and saves finish, then closes the log (which syncs it). Idempotent. */
  close(): Promise<void> {
    this.closing ??= this.closeNow();
    return this.closing;
  }

  private async closeNow(): Promise<void> {
    if (this.timer !== null) clearInterval(this.timer);
    const saving = this.saveQueued ?? this.saving;
    if (saving !== null) await saving.catch(() => {});
    this.closed = true;
    await this.dropping;
    const log = this.log;
    this.log = null;
    if (log !== null) await log.close();
  }
}

async function openLog(fs: FileSystem, dir: string): Promise<LogStore> {
  return openEngine(dir, { fs, durability: "strict", relaxedIntervalMs: 1000 });
}

function lastSeq(log: LogStore): number {
  const it = log.iterator({ reverse: true, limit: 1 });
  try {
    for (const [k] of it) return keySeq(k);
    return 0;
  } finally {
    it.close();
  }
}

function firstSeq(log: LogStore): number {
  const it = log.iterator({ limit: 1 });
  try {
    for (const [k] of it) return keySeq(k);
    return 0;
  } finally {
    it.close();
  }
}

/** The server's persistence options from its settings. */
export function persistenceOptions(server: CacheServer, log?: (line: string) => void): PersistenceOptions {
  const c = server.config;
  return {
    dir: c.get("dir") ?? ".",
    dbfilename: c.get("dbfilename") ?? "dump.shale",
    appendfsync: (c.get("appendfsync") ?? "everysec") as AppendFsync,
    log,
  };
}

/** Logs turned off at runtime and still closing, by server. */
const closingLogs = new WeakMap<CacheServer, Promise<void>>();

/**
 * Applies a persistence setting changed at runtime (CacheServer.applySetting): appendonly yes/no
 * starts or stops the log, appendfsync changes the durability of the writes that follow.
 */
export function applyPersistenceSetting(
  server: CacheServer,
  name: string,
  value: string,
  log?: (line: string) => void,
): void {
  const current = server.persistence instanceof CachePersistence ? server.persistence : null;
  if (name === "appendonly") {
    if (value === "yes" && current === null) {
      // A log just turned off may still be closing (it holds the directory's lock): start after it.
      const previous = closingLogs.get(server) ?? Promise.resolve();
      server.persistence = CachePersistence.enable(server, persistenceOptions(server, log), previous);
    } else if (value === "no" && current !== null) {
      server.persistence = undefined;
      const closing = current.close().catch((err: unknown) => {
        log?.(`shale cache: closing the log failed: ${(err as Error).message}`);
      });
      closingLogs.set(server, closing);
    }
  } else if (name === "appendfsync" && current !== null) {
    current.setFsync(value as AppendFsync);
  }
}
