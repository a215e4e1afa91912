// The cache snapshot: every database of a CacheStore (all types, with their expiry times) in one
// checksummed file, and the log sequence number it covers. Written by SAVE/BGSAVE and read at
// startup before the log is replayed (see servers/resp/persistence.ts). Pure TypeScript; all I/O
// goes through src/fs, and a snapshot replaces the old one atomically (temp file, fdatasync,
// rename, directory fsync), so a crash leaves either the old file or the new one.
//
// Format (version 1; all integers little-endian; also in docs/format.md, "Cache snapshot and log"):
//
//   header   "SHALECSN" (8 bytes) | version u16 = 1 | flags u16 = 0 | crc32 of the previous 12 bytes u32
//   block*   0x42 'B' | records u32 | payload length u32 | crc32 u32 of (records, length, payload) | payload
//   trailer  0x45 'E' | records u64 | log seq u64 | created ms u64 | blocks u32 | reserved 8 bytes (0) |
//            crc32 u32 of the previous 37 bytes
//   (nothing after the trailer)
//
//   record   type u8 | flags u8 (bit 0: has expiry; bit 1: a hash out of listpack encoding) | db varint |
//            [expire-at f64, Unix ms] | key | value
//   key      varint length | bytes
//   value    string: varint length | bytes
//            list, set: varint count | count x (varint length | bytes)        (a list head to tail)
//            zset: varint count | count x (varint length | bytes | score f64)  (ascending order)
//            hash: varint count | count x (field: varint length | bytes, value: varint length | bytes) (slot order)
//            deleted (type 0): nothing
//
// Types are the slab's (cache/entry.ts): 1 string, 2 list, 3 set, 4 zset, 5 hash; 0 marks a key that
// was deleted after an earlier record of it was written. A later record of a key replaces an earlier
// one (an incremental save writes a key again, or its deletion, when it changed during the save).
// Records are packed
// into blocks of about 64 KiB (a record is never split, so one large collection makes one large
// block). A reader checks every block's CRC before decoding it, and the trailer's record count.

import * as zlib from "node:zlib";
import { crc32 } from "../format/crc.js";
import { CorruptionError } from "../format/errors.js";
import { latin1 } from "../format/latin1.js";
import { readVarint, writeVarint } from "../format/varint.js";
import { dirName, type FileSystem, type ReadableFile, type WritableFile } from "../fs/types.js";
import type { Db } from "./db.js";
import { T_HASH, T_LIST, T_SET, T_STRING, T_ZSET } from "./entry.js";
import { HASH_MAX_LISTPACK_ENTRIES, HASH_MAX_LISTPACK_VALUE, HashValue } from "./hash.js";
import { ListValue } from "./list.js";
import { SetValue } from "./set.js";
import type { CacheStore } from "./store.js";
import { SortedSet } from "./zset.js";

export const SNAPSHOT_MAGIC = "SHALECSN";
export const SNAPSHOT_VERSION = 1;
const HEADER_SIZE = 16;
const BLOCK_HEADER_SIZE = 13;
const TRAILER_SIZE = 41;
const BLOCK_TAG = 0x42;
const TRAILER_TAG = 0x45;
/** Record type of a key deleted after an earlier record of it was written (incremental saves). */
export const T_DELETED = 0;
const F_EXPIRY = 1;
/** A hash that has left Redis's listpack encoding (see cache/hash.ts). */
const F_HASHTABLE = 2;
/** A block is emitted once its payload reaches this many bytes. */
const BLOCK_TARGET = 64 * 1024;

/** What a snapshot file holds besides its records. */
export interface SnapshotInfo {
  file: string;
  records: number;
  /** The last log sequence number whose effect the snapshot includes. */
  logSeq: number;
  /** When the snapshot was taken (Unix ms). */
  createdMs: number;
  bytes: number;
}

// ---------------------------------------------------------------------------------------------
// Writing

/**
 * Writes a snapshot file record by record: `<file>.tmp` is filled with blocks as they fill up (so
 * memory stays at one block, not a copy of the data), then finish() adds the trailer, fdatasyncs,
 * renames it over `file` and fsyncs the directory.
 */
export class SnapshotWriter {
  readonly file: string;
  private readonly tmp: string;
  private out: WritableFile | null;
  private buf = Buffer.allocUnsafe(BLOCK_TARGET * 2);
  private pos = BLOCK_HEADER_SIZE;
  private blockRecords = 0;
  private records = 0;
  private blocks = 0;
  private bytes = 0;

  constructor(
    private readonly fs: FileSystem,
    file: string,
  ) {
    this.file = file;
    this.tmp = `${file}.tmp`;
    this.out = fs.openWrite(this.tmp, { truncate: true });
    const h = Buffer.alloc(HEADER_SIZE);
    h.write(SNAPSHOT_MAGIC, 0, "latin1");
    h.writeUInt16LE(SNAPSHOT_VERSION, 8);
    h.writeUInt16LE(0, 10);
    h.writeUInt32LE(crc32(h, 0, 12), 12);
    this.append(h);
  }

  /** A string key; the value is bytes[vs, ve). expireAt: Unix ms, or -1 for none. */
  string(
    db: number,
    kbuf: Uint8Array,
    ks: number,
    ke: number,
    expireAt: number,
    vbuf: Uint8Array,
    vs: number,
    ve: number,
  ): void {
    this.recordHead(T_STRING, db, kbuf, ks, ke, expireAt, 5 + (ve - vs));
    this.bytesField(vbuf, vs, ve);
    this.endRecord();
  }

  /** A list or set key with its members (latin1 byte strings). */
  members(
    type: typeof T_LIST | typeof T_SET,
    db: number,
    kbuf: Uint8Array,
    ks: number,
    ke: number,
    expireAt: number,
    items: Iterable<string>,
    count: number,
  ): void {
    this.recordHead(type, db, kbuf, ks, ke, expireAt, 10);
    this.varint(count);
    let n = 0;
    for (const s of items) {
      this.stringField(s);
      n++;
    }
    if (n !== count) throw new Error(`cache snapshot: a collection said it held ${count} members and gave ${n}`);
    this.endRecord();
  }

  /** A sorted set key: its members in order, with their scores. */
  zset(db: number, kbuf: Uint8Array, ks: number, ke: number, expireAt: number, z: SortedSet): void {
    this.recordHead(T_ZSET, db, kbuf, ks, ke, expireAt, 10);
    this.varint(z.size);
    z.forEach((member, score) => {
      this.stringField(member);
      this.ensure(8);
      this.buf.writeDoubleLE(score, this.pos);
      this.pos += 8;
    });
    this.endRecord();
  }

  /** A hash key with its fields and values, in slot order (insertion order while listpack-sized). */
  hash(db: number, kbuf: Uint8Array, ks: number, ke: number, expireAt: number, hv: HashValue): void {
    this.recordHead(T_HASH, db, kbuf, ks, ke, expireAt, 10, hv.listpack ? 0 : F_HASHTABLE);
    const fields = hv.fields();
    const values = hv.values();
    this.varint(fields.length);
    for (let i = 0; i < fields.length; i++) {
      this.stringField(fields[i]);
      this.stringField(values[i]);
    }
    this.endRecord();
  }

  /** A key that no longer exists: cancels an earlier record of it (see writeKey, incremental saves). */
  deleted(db: number, kbuf: Uint8Array, ks: number, ke: number): void {
    this.recordHead(T_DELETED, db, kbuf, ks, ke, -1, 0);
    this.endRecord();
  }

  /** Adds the trailer and makes the file durable under its final name. Returns what it wrote. */
  async finish(logSeq: number, createdMs: number): Promise<SnapshotInfo> {
    const out = this.out;
    if (out === null) throw new Error("cache snapshot: finish() after finish() or abort()");
    if (this.blockRecords > 0) this.emitBlock();
    const t = Buffer.alloc(TRAILER_SIZE);
    t[0] = TRAILER_TAG;
    t.writeBigUInt64LE(BigInt(this.records), 1);
    t.writeBigUInt64LE(BigInt(logSeq), 9);
    t.writeBigUInt64LE(BigInt(Math.max(0, Math.floor(createdMs))), 17);
    t.writeUInt32LE(this.blocks, 25);
    // bytes 29..36 are reserved (zero)
    t.writeUInt32LE(crc32(t, 0, TRAILER_SIZE - 4), TRAILER_SIZE - 4);
    this.append(t);
    try {
      await out.sync();
      out.close();
      this.out = null;
      this.fs.rename(this.tmp, this.file);
      await this.fs.syncDir(dirName(this.file));
    } catch (err) {
      this.abort();
      throw err;
    }
    return { file: this.file, records: this.records, logSeq, createdMs, bytes: this.bytes };
  }

  /** Drops the temp file (after an error). */
  abort(): void {
    const out = this.out;
    this.out = null;
    if (out !== null) {
      try {
        out.close();
      } catch {
        // failing anyway
      }
    }
    try {
      if (this.fs.exists(this.tmp)) this.fs.unlink(this.tmp);
    } catch {
      // already gone
    }
  }

  private append(b: Uint8Array): void {
    if (this.out === null) throw new Error("cache snapshot: write after finish() or abort()");
    this.out.append(b);
    this.bytes += b.length;
  }

  private ensure(n: number): void {
    if (this.pos + n <= this.buf.length) return;
    const bigger = Buffer.allocUnsafe(Math.max(this.buf.length * 2, this.pos + n));
    this.buf.copy(bigger, 0, 0, this.pos);
    this.buf = bigger;
  }

  private varint(n: number): void {
    this.ensure(10);
    this.pos = writeVarint(this.buf, this.pos, n);
  }

  private bytesField(b: Uint8Array, s: number, e: number): void {
    const n = e - s;
    this.ensure(10 + n);
    const buf = this.buf;
    let p = writeVarint(buf, this.pos, n);
    if (n <= 64) for (let i = s; i < e; i++) buf[p++] = b[i];
    else {
      buf.set(b.subarray(s, e), p);
      p += n;
    }
    this.pos = p;
  }

  private stringField(s: string): void {
    const n = s.length;
    this.ensure(10 + n);
    this.pos = writeVarint(this.buf, this.pos, n);
    this.pos += this.buf.write(s, this.pos, n, "latin1");
  }

  private recordHead(
    type: number,
    db: number,
    kbuf: Uint8Array,
    ks: number,
    ke: number,
    expireAt: number,
    extra: number,
    flags = 0,
  ): void {
    this.ensure(2 + 10 + 8 + 10 + (ke - ks) + extra);
    const b = this.buf;
    b[this.pos++] = type;
    b[this.pos++] = (expireAt >= 0 ? F_EXPIRY : 0) | flags;
    this.pos = writeVarint(b, this.pos, db);
    if (expireAt >= 0) {
      b.writeDoubleLE(expireAt, this.pos);
      this.pos += 8;
    }
    this.bytesField(kbuf, ks, ke);
  }

  private endRecord(): void {
    this.records++;
    this.blockRecords++;
    if (this.pos - BLOCK_HEADER_SIZE >= BLOCK_TARGET) this.emitBlock();
  }

  private emitBlock(): void {
    const b = this.buf;
    const len = this.pos - BLOCK_HEADER_SIZE;
    b[0] = BLOCK_TAG;
    b.writeUInt32LE(this.blockRecords, 1);
    b.writeUInt32LE(len, 5);
    b.writeUInt32LE(blockCrc(b.subarray(1, 9), b.subarray(BLOCK_HEADER_SIZE, this.pos)), 9);
    this.append(b.subarray(0, this.pos));
    this.blocks++;
    this.blockRecords = 0;
    this.pos = BLOCK_HEADER_SIZE;
    // A block grown for one large record is not kept for the small ones after it.
    if (b.length > BLOCK_TARGET * 4) this.buf = Buffer.allocUnsafe(BLOCK_TARGET * 2);
  }
}

/** CRC of a block: its count and length fields (bytes 1..9) followed by its payload. */
function blockCrc(head: Uint8Array, payload: Uint8Array): number {
  return zcrc32(payload, zcrc32(head)) >>> 0;
}

/** zlib's crc32 with a running value (format/crc.ts has checked that this Node has it). */
const zcrc32 = (zlib as unknown as { crc32: (data: Uint8Array, value?: number) => number }).crc32;

/** Writes every key of every database of `store` into `w` (synchronously; see persistence.ts). */
export function writeStore(store: CacheStore, w: SnapshotWriter): void {
  for (const db of store.dbs) {
    db.forEach((h) => {
      writeKey(db, h, w);
    });
  }
}

/** Writes the key at handle h of db (a record of its type, with its expiry) into `w`. */
export function writeKey(db: Db, h: number, w: SnapshotWriter): void {
  const id = db.id;
  const type = db.type(h);
  const expireAt = db.expireAt(h);
  db.decode(h);
  const kbuf = db.kbuf;
  const ks = db.kstart;
  const ke = db.kend;
  switch (type) {
    case T_STRING:
      w.string(id, kbuf, ks, ke, expireAt, db.vbuf, db.vstart, db.vend);
      break;
    case T_LIST: {
      const l = db.object<ListValue>(h);
      w.members(T_LIST, id, kbuf, ks, ke, expireAt, listItems(l), l.length);
      break;
    }
    case T_SET: {
      const s = db.object<SetValue>(h);
      w.members(T_SET, id, kbuf, ks, ke, expireAt, s.values(), s.size);
      break;
    }
    case T_ZSET:
      w.zset(id, kbuf, ks, ke, expireAt, db.object<SortedSet>(h));
      break;
    case T_HASH:
      w.hash(id, kbuf, ks, ke, expireAt, db.object<HashValue>(h));
      break;
    default:
      throw new Error(`cache snapshot: key of unknown type ${type} in db ${id}`);
  }
}

function* listItems(l: ListValue): Iterable<string> {
  for (let i = 0; i < l.length; i++) yield l.at(i);
}

// ---------------------------------------------------------------------------------------------
// Reading

/** One record as the reader hands it out (reused between records: copy what must outlive the call). */
export interface SnapshotRecord {
  type: number;
  db: number;
  /** Unix ms, or -1 for none. */
  expireAt: number;
  /** The key's bytes: buf[keyStart, keyEnd). */
  buf: Uint8Array;
  keyStart: number;
  keyEnd: number;
  /** A string's value: buf[valueStart, valueEnd). */
  valueStart: number;
  valueEnd: number;
  /** A list's or set's members, a zset's members, a hash's fields. */
  items: string[];
  /** A zset's scores. */
  scores: number[];
  /** A hash's values. */
  values: string[];
  /** A hash that has left the listpack encoding. */
  hashtable: boolean;
}

function damaged(file: string, what: string): CorruptionError {
  return new CorruptionError(
    file,
    `${what}. The cache snapshot cannot be loaded: restore a good copy of ${file}, or move it aside to start ` +
      "from the log entries that follow it (keys the snapshot held are then lost)",
  );
}

/** Reads a snapshot file, calling `visit` for each record in order; throws CorruptionError on damage. */
export function readSnapshot(fs: FileSystem, file: string, visit: (r: SnapshotRecord) => void): SnapshotInfo {
  const f = fs.openRead(file);
  try {
    return readFrom(f, file, visit);
  } finally {
    f.close();
  }
}

function readExact(f: ReadableFile, file: string, pos: number, n: number, what: string): Buffer {
  const b = Buffer.allocUnsafe(n);
  let got = 0;
  while (got < n) {
    const r = f.read(b, got, n - got, pos + got);
    if (r <= 0) break;
    got += r;
  }
  if (got < n) throw damaged(file, `the file ends inside ${what} (at byte ${pos + got} of ${f.size})`);
  return b;
}

function readFrom(f: ReadableFile, file: string, visit: (r: SnapshotRecord) => void): SnapshotInfo {
  const size = f.size;
  if (size < HEADER_SIZE) throw damaged(file, `the file is ${size} bytes, shorter than a snapshot header`);
  const h = readExact(f, file, 0, HEADER_SIZE, "the header");
  if (h.toString("latin1", 0, 8) !== SNAPSHOT_MAGIC) {
    throw damaged(file, "the file does not start with SHALECSN: it is not a Shale cache snapshot");
  }
  if (h.readUInt32LE(12) !== crc32(h, 0, 12)) throw damaged(file, "the header's checksum does not match");
  const version = h.readUInt16LE(8);
  if (version !== SNAPSHOT_VERSION) {
    throw new CorruptionError(
      file,
      `snapshot format version ${version} is not one this Shale reads (it reads ${SNAPSHOT_VERSION}): ` +
        "open it with the Shale version that wrote it",
    );
  }
  const rec: SnapshotRecord = {
    type: 0,
    db: 0,
    expireAt: -1,
    buf: h,
    keyStart: 0,
    keyEnd: 0,
    valueStart: 0,
    valueEnd: 0,
    items: [],
    scores: [],
    values: [],
    hashtable: false,
  };
  let pos = HEADER_SIZE;
  let records = 0;
  let blocks = 0;
  for (;;) {
    if (pos >= size) throw damaged(file, `the file ends at byte ${size} without a trailer`);
    const tagByte = readExact(f, file, pos, 1, "a block tag")[0];
    if (tagByte === TRAILER_TAG) {
      const t = readExact(f, file, pos, TRAILER_SIZE, "the trailer");
      if (t.readUInt32LE(TRAILER_SIZE - 4) !== crc32(t, 0, TRAILER_SIZE - 4)) {
        throw damaged(file, `the trailer's checksum does not match (at byte ${pos})`);
      }
      const count = Number(t.readBigUInt64LE(1));
      const logSeq = Number(t.readBigUInt64LE(9));
      const createdMs = Number(t.readBigUInt64LE(17));
      const blockCount = t.readUInt32LE(25);
      if (count !== records || blockCount !== blocks) {
        throw damaged(
          file,
          `the trailer counts ${count} records in ${blockCount} blocks, the file holds ${records} in ${blocks}`,
        );
      }
      if (pos + TRAILER_SIZE !== size)
        throw damaged(file, `${size - pos - TRAILER_SIZE} unexpected bytes after the trailer`);
      return { file, records, logSeq, createdMs, bytes: size };
    }
    if (tagByte !== BLOCK_TAG) throw damaged(file, `a block at byte ${pos} has tag ${tagByte}, not 'B' or 'E'`);
    const bh = readExact(f, file, pos, BLOCK_HEADER_SIZE, "a block header");
    const n = bh.readUInt32LE(1);
    const len = bh.readUInt32LE(5);
    if (pos + BLOCK_HEADER_SIZE + len > size) {
      throw damaged(file, `a block at byte ${pos} says it holds ${len} bytes, past the end of the file`);
    }
    const payload = readExact(f, file, pos + BLOCK_HEADER_SIZE, len, "a block");
    if (blockCrc(bh.subarray(1, 9), payload) !== bh.readUInt32LE(9)) {
      throw damaged(file, `the checksum of the block at byte ${pos} does not match`);
    }
    try {
      decodeBlock(payload, n, rec, visit);
    } catch (err) {
      if (err instanceof RangeError) throw damaged(file, `the block at byte ${pos} is malformed (${err.message})`);
      throw err;
    }
    records += n;
    blocks++;
    pos += BLOCK_HEADER_SIZE + len;
  }
}

function decodeBlock(b: Buffer, n: number, rec: SnapshotRecord, visit: (r: SnapshotRecord) => void): void {
  const end = b.length;
  const cur = { pos: 0 };
  const need = (k: number) => {
    if (cur.pos + k > end) throw new RangeError("a record runs past the end of its block");
  };
  const str = (): string => {
    const len = readVarint(b, cur, end);
    need(len);
    const s = latin1(b, cur.pos, cur.pos + len);
    cur.pos += len;
    return s;
  };
  rec.buf = b;
  for (let i = 0; i < n; i++) {
    need(2);
    const type = b[cur.pos++];
    const flags = b[cur.pos++];
    rec.type = type;
    rec.hashtable = (flags & F_HASHTABLE) !== 0;
    rec.db = readVarint(b, cur, end);
    if ((flags & F_EXPIRY) !== 0) {
      need(8);
      rec.expireAt = b.readDoubleLE(cur.pos);
      cur.pos += 8;
    } else rec.expireAt = -1;
    const klen = readVarint(b, cur, end);
    need(klen);
    rec.keyStart = cur.pos;
    rec.keyEnd = cur.pos + klen;
    cur.pos += klen;
    rec.items = [];
    rec.scores = [];
    rec.values = [];
    switch (type) {
      case T_DELETED:
        break;
      case T_STRING: {
        const vlen = readVarint(b, cur, end);
        need(vlen);
        rec.valueStart = cur.pos;
        rec.valueEnd = cur.pos + vlen;
        cur.pos += vlen;
        break;
      }
      case T_LIST:
      case T_SET: {
        const count = readVarint(b, cur, end);
        for (let j = 0; j < count; j++) rec.items.push(str());
        break;
      }
      case T_ZSET: {
        const count = readVarint(b, cur, end);
        for (let j = 0; j < count; j++) {
          rec.items.push(str());
          need(8);
          rec.scores.push(b.readDoubleLE(cur.pos));
          cur.pos += 8;
        }
        break;
      }
      case T_HASH: {
        const count = readVarint(b, cur, end);
        for (let j = 0; j < count; j++) {
          rec.items.push(str());
          rec.values.push(str());
        }
        break;
      }
      default:
        throw new RangeError(`record ${i} has unknown type ${type}`);
    }
    visit(rec);
  }
  if (cur.pos !== end) throw new RangeError(`${end - cur.pos} bytes left after the block's ${n} records`);
}

/** The log seq a snapshot's trailer names, read without checking the rest of the file (null if no trailer). */
export function snapshotTrailerSeq(fs: FileSystem, file: string): number | null {
  const f = fs.openRead(file);
  try {
    if (f.size < HEADER_SIZE + TRAILER_SIZE) return null;
    const t = Buffer.alloc(TRAILER_SIZE);
    if (f.read(t, 0, TRAILER_SIZE, f.size - TRAILER_SIZE) !== TRAILER_SIZE || t[0] !== TRAILER_TAG) return null;
    if (t.readUInt32LE(TRAILER_SIZE - 4) !== crc32(t, 0, TRAILER_SIZE - 4)) return null;
    return Number(t.readBigUInt64LE(9));
  } finally {
    f.close();
  }
}

/**
 * Loads a snapshot into `store` (which should be empty). Keys whose expiry time has passed are
 * loaded too: the log replayed after the snapshot runs at the times its commands first ran, when
 * they were still alive; the expiry cycle removes them afterwards.
 */
export function loadStore(store: CacheStore, fs: FileSystem, file: string): SnapshotInfo {
  return readSnapshot(fs, file, (r) => {
    if (r.db >= store.dbs.length) {
      throw new CorruptionError(
        file,
        `a key belongs to database ${r.db}, and this server has ${store.dbs.length} (raise the databases setting)`,
      );
    }
    const db = store.dbs[r.db];
    const kb = r.buf;
    const ks = r.keyStart;
    const ke = r.keyEnd;
    if (r.type === T_STRING) {
      db.setString(kb, ks, ke, kb, r.valueStart, r.valueEnd, Math.max(r.expireAt, 0));
      return;
    }
    // A later record of a key replaces an earlier one; a T_DELETED record removes it.
    db.delete(kb, ks, ke);
    if (r.type === T_DELETED) return;
    let h: number;
    if (r.type === T_LIST) h = db.setObject(kb, ks, ke, T_LIST, new ListValue(r.items));
    else if (r.type === T_SET) h = db.setObject(kb, ks, ke, T_SET, new SetValue(r.items));
    else if (r.type === T_ZSET) {
      const z = new SortedSet();
      for (let i = 0; i < r.items.length; i++) z.add(r.items[i], r.scores[i]);
      h = db.setObject(kb, ks, ke, T_ZSET, z);
    } else {
      const hv = new HashValue();
      // A hash that had left the listpack encoding stays out of it (Redis's conversion is one-way):
      // a negative value limit makes the first set() leave it.
      for (let i = 0; i < r.items.length; i++)
        hv.set(
          r.items[i],
          r.values[i],
          HASH_MAX_LISTPACK_ENTRIES,
          r.hashtable && i === 0 ? -1 : HASH_MAX_LISTPACK_VALUE,
        );
      h = db.setObject(kb, ks, ke, T_HASH, hv);
    }
    if (r.expireAt >= 0) db.setExpire(h, r.expireAt);
  });
}
