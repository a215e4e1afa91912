// The write-ahead log: group records written to WAL shards, and their replay on recovery.
//
// A WAL generation belongs to one memtable. It has `shards` files, `<gen>.<shard>.wal`, written
// round-robin by successive commit groups, so concurrent groups fdatasync different files in
// parallel. Each group is one framed record (see format/record.ts, log number = gen, type 1):
//
//   u32 firstSeq low bits, u32 firstSeq high bits, u32 count, then `count` operations:
//     u8 kind (0 delete, 1 put), varint keyLength, key bytes, [put only: varint valueLength, value bytes]
//
// Operation i of the group has sequence number firstSeq + i. Groups cover disjoint, consecutive
// ranges of sequence numbers. Replay gathers the groups of every live generation from all shards,
// orders them by firstSeq and applies them while the ranges stay contiguous: a gap means a group
// that never reached the disk, and everything after it is dropped, so the store holds a prefix of
// its write history. Strict acknowledgements are given in sequence order for the same reason.

import { CorruptionError } from "../format/errors.js";
import { type EntryKind, KIND_PUT } from "../format/internal-iterator.js";
import { RECORD_HEADER_SIZE, readLog, sealRecord } from "../format/record.js";
import { type Cursor, readVarint, writeVarint } from "../format/varint.js";
import type { FileSystem, WritableFile } from "../fs/types.js";
import { joinPath } from "../fs/types.js";

export const WAL_GROUP = 1;

export interface WriteOp {
  kind: EntryKind;
  key: Uint8Array;
  /** Ignored for deletes. */
  value: Uint8Array;
}

export function walFileName(gen: number, shard: number): string {
  return `${String(gen).padStart(6, "0")}.${shard}.wal`;
}

export function parseWalFileName(name: string): { gen: number; shard: number } | undefined {
  const m = /^(\d+)\.(\d+)\.wal$/.exec(name);
  return m ? { gen: Number(m[1]), shard: Number(m[2]) } : undefined;
}

const GROUP_HEAD = 12; // u32 firstSeq low, u32 firstSeq high, u32 count
const PAYLOAD_START = RECORD_HEADER_SIZE + GROUP_HEAD;

/**
 * Builds one commit group's WAL record in place: operations are encoded into the record buffer as
 * they arrive, and the positions of each key and value are kept so the memtable can be filled
 * from the same bytes. `seal` writes the group head and the record header.
 */
export class GroupBuilder {
  buf: Uint8Array;
  len = PAYLOAD_START;
  count = 0;
  /** Per operation: kind, key start, key end, value start, value end (offsets into `buf`). */
  pos: Int32Array;

  constructor(capacity = 4096) {
    this.buf = new Uint8Array(Math.max(capacity, PAYLOAD_START + 64));
    this.pos = new Int32Array(5 * 64);
  }

  /** Bytes of operations encoded so far. */
  get bodySize(): number {
    return this.len - PAYLOAD_START;
  }

  private reserve(n: number): void {
    if (this.len + n <= this.buf.length) return;
    const bigger = new Uint8Array(Math.max(this.buf.length * 2, this.len + n));
    bigger.set(this.buf.subarray(0, this.len));
    this.buf = bigger;
  }

  add(kind: EntryKind, key: Uint8Array, value: Uint8Array): void {
    const klen = key.length;
    const vlen = kind === KIND_PUT ? value.length : 0;
    this.reserve(1 + 10 + klen + vlen);
    const buf = this.buf;
    let p = this.len;
    buf[p++] = kind;
    p = writeVarint(buf, p, klen);
    const ks = p;
    if (klen <= 32) for (let i = 0; i < klen; i++) buf[p + i] = key[i];
    else buf.set(key, p);
    p += klen;
    let vs = p;
    if (kind === KIND_PUT) {
      p = writeVarint(buf, p, vlen);
      vs = p;
      if (vlen <= 32) for (let i = 0; i < vlen; i++) buf[p + i] = value[i];
      else buf.set(value, p);
      p += vlen;
    }
    this.len = p;
    let pos = this.pos;
    const at = this.count * 5;
    if (at + 5 > pos.length) {
      const bigger = new Int32Array(pos.length * 2);
      bigger.set(pos);
      this.pos = pos = bigger;
    }
    pos[at] = kind;
    pos[at + 1] = ks;
    pos[at + 2] = ks + klen;
    pos[at + 3] = vs;
    pos[at + 4] = vs + vlen;
    this.count++;
  }

  /** Completes the record for WAL generation `gen`, its operations numbered from `firstSeq`. */
  seal(gen: number, firstSeq: number): Uint8Array {
    const view = new DataView(this.buf.buffer, this.buf.byteOffset, this.buf.byteLength);
    view.setUint32(RECORD_HEADER_SIZE, firstSeq % 2 ** 32, true);
    view.setUint32(RECORD_HEADER_SIZE + 4, Math.floor(firstSeq / 2 ** 32), true);
    view.setUint32(RECORD_HEADER_SIZE + 8, this.count, true);
    sealRecord(this.buf, 0, this.len - RECORD_HEADER_SIZE, gen, WAL_GROUP);
    return this.buf.subarray(0, this.len);
  }
}

/** One group read back from a WAL file; ops are views into the file's bytes. */
export interface WalGroup {
  firstSeq: number;
  ops: WriteOp[];
  file: string;
}

const EMPTY: Uint8Array = new Uint8Array(0);

function decodeGroup(payload: Uint8Array, file: string): WalGroup {
  const c: Cursor = { pos: GROUP_HEAD };
  try {
    if (payload.length < GROUP_HEAD) throw new RangeError("record shorter than a group head");
    const view = new DataView(payload.buffer, payload.byteOffset, payload.byteLength);
    const firstSeq = view.getUint32(0, true) + view.getUint32(4, true) * 2 ** 32;
    const count = view.getUint32(8, true);
    const ops: WriteOp[] = [];
    for (let i = 0; i < count; i++) {
      if (c.pos >= payload.length) throw new RangeError("operation runs past the record");
      const kind = payload[c.pos++];
      if (kind > 1) throw new RangeError(`unknown operation kind ${kind}`);
      const klen = readVarint(payload, c);
      if (c.pos + klen > payload.length) throw new RangeError("key runs past the record");
      const key = payload.subarray(c.pos, c.pos + klen);
      c.pos += klen;
      let value = EMPTY;
      if (kind === KIND_PUT) {
        const vlen = readVarint(payload, c);
        if (c.pos + vlen > payload.length) throw new RangeError("value runs past the record");
        value = payload.subarray(c.pos, c.pos + vlen);
        c.pos += vlen;
      }
      ops.push({ kind: kind as EntryKind, key, value });
    }
    return { firstSeq, ops, file };
  } catch (err) {
    // The record's checksum passed, so a malformed payload is damage (or a bug), not a torn write.
    throw new CorruptionError(file, `malformed WAL group: ${(err as Error).message}`);
  }
}

/** Reads every group of generation `gen` from one shard file. */
export function readWalFile(fs: FileSystem, path: string, gen: number): WalGroup[] {
  const buf = fs.readFile(path);
  const { records } = readLog(buf, gen, path);
  const groups: WalGroup[] = [];
  for (const r of records) {
    if (r.type !== WAL_GROUP) throw new CorruptionError(path, `unknown WAL record type ${r.type}`);
    groups.push(decodeGroup(r.payload, path));
  }
  return groups;
}

/**
 * Orders groups by sequence and keeps the contiguous run that starts right after `afterSeq`
 * (groups entirely at or below it were already flushed and are skipped).
 */
export function contiguousGroups(groups: WalGroup[], afterSeq: number): { groups: WalGroup[]; lastSeq: number } {
  groups.sort((a, b) => a.firstSeq - b.firstSeq);
  const out: WalGroup[] = [];
  let next = afterSeq + 1;
  for (const g of groups) {
    const last = g.firstSeq + g.ops.length - 1;
    if (last < next) continue; // already in segments
    if (g.firstSeq > next) break; // a gap: this group and all later ones are past the prefix
    if (g.firstSeq < next) {
      throw new CorruptionError(g.file, `WAL group at sequence ${g.firstSeq} overlaps sequence ${next - 1}`);
    }
    out.push(g);
    next = last + 1;
  }
  return { groups: out, lastSeq: next - 1 };
}

/**
 * A shard file being written, with coalesced fdatasync.
 *
 * A shard may reuse (recycle) the file of a generation that has been flushed: the old file is
 * renamed to the new name and overwritten from offset 0. Overwriting blocks a file already has
 * lets fdatasync skip the metadata update an append needs, which roughly halves its latency; the
 * old records left after the new ones carry the old generation's log number and read as the end.
 */
export class WalShard {
  readonly file: WritableFile;
  /** Bytes of this generation written (the file may be longer: a recycled file's old tail). */
  private pos = 0;
  private synced = 0;
  private running: Promise<void> | null = null;
  /** Set for a new or renamed file: its directory entry must be synced before a strict acknowledgement. */
  private dirSync: Promise<void> | null = null;
  private needsDirSync = true;

  constructor(
    private readonly fs: FileSystem,
    readonly dir: string,
    readonly gen: number,
    readonly shard: number,
    recycleFrom?: string,
  ) {
    const path = joinPath(dir, walFileName(gen, shard));
    if (recycleFrom !== undefined) {
      fs.rename(recycleFrom, path);
      this.file = fs.openWrite(path);
    } else {
      this.file = fs.openWrite(path, { truncate: true });
    }
  }

  get path(): string {
    return this.file.path;
  }

  get written(): number {
    return this.pos;
  }

  get dirty(): boolean {
    return this.synced < this.pos || this.needsDirSync;
  }

  append(record: Uint8Array): void {
    this.file.writeAt(record, this.pos);
    this.pos += record.length;
  }

  /** Resolves once every byte written so far (and the file's name) is durable. */
  async sync(): Promise<void> {
    if (this.needsDirSync) {
      if (!this.dirSync) {
        this.dirSync = this.fs.syncDir(this.dir).then(() => {
          this.needsDirSync = false;
        });
        this.dirSync.catch(() => {
          this.dirSync = null; // let a later sync try again
        });
      }
      await this.dirSync;
    }
    const target = this.pos;
    while (this.synced < target) {
      if (this.running) {
        await this.running;
        continue;
      }
      const upTo = this.pos;
      const run = this.file.sync().then(() => {
        if (upTo > this.synced) this.synced = upTo;
      });
      this.running = run;
      try {
        await run;
      } finally {
        if (this.running === run) this.running = null;
      }
    }
  }

  close(): void {
    this.file.close();
  }
}
