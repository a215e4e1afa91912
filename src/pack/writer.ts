// Writing a pack: a store (or some of its tables) into one file, laid out as format.ts describes.
//
// The whole store as it is: the memtable is flushed, the live segment files are pinned, and each is
// copied byte for byte into a section of its own (no re-encoding), with a manifest saying where
// each sits in the levels. With chosen tables or a compression asked for, the newest visible
// version of every key in range is re-encoded instead, into one level of disjoint segments.
// Either way the pack is written to `<file>.tmp`, fdatasynced, renamed over `file`, and the
// directory is fsynced: a crash leaves the old file or the new one, never a torn one.

import { setImmediate as yieldToLoop } from "node:timers/promises";
import { deflateRawSync } from "node:zlib";
import { InvalidArgumentError } from "../engine/errors.js";
import type { Snapshot, Store } from "../engine/store.js";
import type { FileMeta } from "../engine/version.js";
import { BlockCache } from "../format/block-cache.js";
import { compareKeys } from "../format/compare.js";
import { crc32 } from "../format/crc.js";
import { KIND_PUT } from "../format/internal-iterator.js";
import { Segment, type SegmentCompression, SegmentWriter, zstdAvailable } from "../format/segment.js";
import { NodeFileSystem } from "../fs/node.js";
import { dirName, type FileSystem, type WritableFile } from "../fs/types.js";
import { componentRangeEnd, metaKey } from "../table/keys.js";
import type { KvReader } from "../table/reader.js";
import { type TableInfo, Tables } from "../table/tables.js";
import { ByteWriter, writeComponent } from "../table/tuple.js";
import { crc32Combine, crc32Update } from "./crc.js";
import {
  encodeFooter,
  encodeHeader,
  encodeManifest,
  PACK_FORMAT_VERSION,
  PACK_HEADER_SIZE,
  type PackManifest,
  type PackSegment,
  SECTION_MANIFEST,
  SECTION_SEGMENT,
  SECTION_SEGMENT_DEFLATED,
  type SectionEntry,
  SHALE_VERSION,
} from "./format.js";
import { FrozenReader } from "./frozen-reader.js";

export interface PackOptions {
  /** Only these tables (their rows, indexes, catalog entries and row counts). Default: the whole store. */
  tables?: readonly string[];
  /** Re-encode the data with this block compression. Default: the store's segment files as they are. */
  compression?: SegmentCompression;
  /** The file system of the store and of the pack (default: the real one). */
  fs?: FileSystem;
  /** Size at which re-encoded segment sections are cut (default 16 MiB). */
  segmentBytes?: number;
}

export interface PackInfo {
  file: string;
  /** Bytes of the pack file. */
  bytes: number;
  /** Number of segment sections. */
  segments: number;
  /** Entries in the segment sections (for a pack of the store's files: every version and delete they hold). */
  entries: number;
  tables: TableInfo[];
  lastSeq: number;
  compression: PackManifest["compression"];
}

/** Files are copied in reads of this size. */
const COPY_CHUNK = 4 << 20;
/**
 * In a small pack (at most DEFLATE_PACK_MAX bytes of segments), each segment file of at most
 * DEFLATE_SECTION_MAX bytes is stored deflated whole (section kind 3) when that saves an eighth or
 * more; a reader inflates those into memory when the pack opens (about a millisecond per MiB), so
 * that memory stays bounded. Small packs are where deflating pays: their keys share less (at 1,000
 * grants an index entry takes about 27 bytes, at 1M about 13), and level-1 deflate of a MiB costs
 * about 10 ms, next to nothing at that size. In a large pack the segments are stored as they are
 * and read in place: deflating would cost a good part of the time spent writing the pack, for a
 * small part of its bytes.
 */
const DEFLATE_SECTION_MAX = 1 << 20;
const DEFLATE_PACK_MAX = 16 << 20;

/**
 * One section being written: a WritableFile whose offsets start at the section (so a SegmentWriter
 * can write a segment into it exactly as into a file of its own) and which checksums what passes.
 */
class SectionSink implements WritableFile {
  crc = 0;
  length = 0;
  constructor(private readonly out: WritableFile) {}
  get path(): string {
    return this.out.path;
  }
  get size(): number {
    return this.length;
  }
  append(data: Uint8Array): void {
    this.out.append(data);
    this.crc = crc32Update(this.crc, data);
    this.length += data.length;
  }
  writeAt(): void {
    throw new Error("a pack section is written front to back");
  }
  truncate(): void {
    throw new Error("a pack section is written front to back");
  }
  sync(): Promise<void> {
    return this.out.sync();
  }
  syncSync(): void {
    this.out.syncSync();
  }
  close(): void {}
}

/** The header, then sections one after another, then the footer. */
class PackFileWriter {
  private readonly sections: SectionEntry[] = [];
  private body: number;
  private position = PACK_HEADER_SIZE;
  private current: { kind: number; sink: SectionSink } | null = null;

  constructor(private readonly out: WritableFile) {
    const header = encodeHeader();
    out.append(header);
    this.body = crc32(header);
  }

  begin(kind: number): SectionSink {
    if (this.current) throw new Error("a pack section is already open");
    const sink = new SectionSink(this.out);
    this.current = { kind, sink };
    return sink;
  }

  end(): void {
    const c = this.current;
    if (!c) throw new Error("no pack section is open");
    this.sections.push({ kind: c.kind, offset: this.position, length: c.sink.length, crc: c.sink.crc });
    this.body = crc32Combine(this.body, c.sink.crc, c.sink.length);
    this.position += c.sink.length;
    this.current = null;
  }

  whole(kind: number, bytes: Uint8Array): void {
    this.begin(kind).append(bytes);
    this.end();
  }

  /** Writes the footer; returns the file's size. */
  finish(): number {
    const footer = encodeFooter(this.sections, this.body);
    this.out.append(footer);
    return this.position + footer.length;
  }
}

/** Writes `store` (or the tables in `options.tables`) into the pack `file`, replacing any file there. */
export async function pack(store: Store, file: string, options: PackOptions = {}): Promise<PackInfo> {
  const fs = options.fs ?? new NodeFileSystem();
  const compression = options.compression;
  if (compression !== undefined && !["none", "deflate", "zstd"].includes(compression)) {
    throw new InvalidArgumentError(`unknown pack compression ${JSON.stringify(compression)}`);
  }
  if (compression === "zstd" && !zstdAvailable()) {
    throw new InvalidArgumentError(
      `pack compression "zstd" needs zlib zstd (Node.js >= 22.15); this is Node.js ${process.version}: use "deflate"`,
    );
  }
  if (options.tables !== undefined && !Array.isArray(options.tables)) {
    throw new InvalidArgumentError("pack option tables must be an array of table names");
  }
  const tmp = `${file}.tmp`;
  const out = fs.openWrite(tmp, { truncate: true });
  try {
    const w = new PackFileWriter(out);
    const early = new EarlySync(out);
    const body =
      options.tables === undefined && compression === undefined
        ? await copySegments(store, fs, w, early)
        : await reencode(store, w, options, compression ?? "none");
    const manifest: PackManifest = {
      format: PACK_FORMAT_VERSION,
      shale: SHALE_VERSION,
      created: new Date().toISOString(),
      lastSeq: body.lastSeq,
      levels: body.segments.reduce((n, s) => Math.max(n, s.level + 1), 1),
      compression: compression ?? "store",
      tables: body.tables,
      segments: body.segments,
    };
    w.whole(SECTION_MANIFEST, encodeManifest(manifest));
    const bytes = w.finish();
    await early.settle();
    await out.sync();
    out.close();
    fs.rename(tmp, file);
    await fs.syncDir(dirName(file));
    return {
      file,
      bytes,
      segments: body.segments.length,
      entries: body.segments.reduce((n, s) => n + s.entries, 0),
      tables: body.tables,
      lastSeq: body.lastSeq,
      compression: manifest.compression,
    };
  } catch (err) {
    try {
      out.close();
    } catch {
      // failing anyway
    }
    try {
      fs.unlink(tmp);
    } catch {
      // already gone, or never made
    }
    throw err;
  }
}

/** Bytes written between the fdatasyncs started while a pack is copied. */
const EARLY_SYNC_BYTES = 16 << 20;

/**
 * fdatasyncs started while the copy goes on, one at a time: the disk writes the pack while the
 * rest is copied, so the final fdatasync (the one that makes the pack durable) has little left.
 * A failure is reported by `settle`.
 */
class EarlySync {
  private pending: Promise<void> | null = null;
  private error: unknown = null;
  private since = 0;

  constructor(private readonly out: WritableFile) {}

  wrote(bytes: number): void {
    this.since += bytes;
    if (this.pending !== null || this.since < EARLY_SYNC_BYTES) return;
    this.since = 0;
    this.pending = this.out.sync().then(
      () => {
        this.pending = null;
      },
      (err: unknown) => {
        this.pending = null;
        this.error ??= err;
      },
    );
  }

  async settle(): Promise<void> {
    await this.pending;
    if (this.error !== null) throw this.error;
  }
}

interface PackBody {
  segments: PackSegment[];
  tables: TableInfo[];
  lastSeq: number;
}

/** The store's live segment files, byte for byte, one section each, in level order. */
async function copySegments(store: Store, fs: FileSystem, w: PackFileWriter, early: EarlySync): Promise<PackBody> {
  const pinned = await store.pinSegments();
  try {
    // The table list comes from the pinned files themselves, so the manifest describes exactly
    // what the pack holds, whatever the store does meanwhile.
    const levels: FileMeta[][] = Array.from({ length: pinned.levels }, () => []);
    for (const f of pinned.files) levels[f.level].push(f);
    const opened = new Map<number, Segment>();
    const cache = new BlockCache(1 << 20);
    const byNumber = new Map(pinned.files.map((f) => [f.number, f]));
    const segmentFor = (f: FileMeta): Segment => {
      let s = opened.get(f.number);
      if (s === undefined) {
        const handle = fs.openRead((byNumber.get(f.number) as { path: string }).path);
        try {
          s = Segment.open(handle, { fileNumber: f.number, cache, globalSeq: f.globalSeq });
        } catch (err) {
          handle.close();
          throw err;
        }
        opened.set(f.number, s);
      }
      return s;
    };
    const reader = new FrozenReader(levels, segmentFor, pinned.lastSeq, "the pinned files of the store");
    let tables: TableInfo[];
    try {
      tables = Tables.openReadOnly(reader).list();
    } finally {
      reader.close();
      for (const s of opened.values()) s.close();
    }

    const segments: PackSegment[] = [];
    let chunks = 0;
    const reuse = fs instanceof NodeFileSystem;
    let copyBuffer: Uint8Array | undefined;
    const small = pinned.files.reduce((n, f) => n + f.size, 0) <= DEFLATE_PACK_MAX;
    for (const f of pinned.files) {
      const src = fs.openRead(f.path);
      try {
        if (src.size !== f.size)
          throw new Error(`${f.path} has ${src.size} bytes, the store's manifest says ${f.size}`);
        if (small && f.size <= DEFLATE_SECTION_MAX) {
          // A small segment is deflated whole when that saves an eighth or more.
          const whole = new Uint8Array(f.size);
          const got = src.read(whole, 0, f.size, 0);
          if (got !== f.size) throw new Error(`${f.path}: short read (${got} of ${f.size} bytes)`);
          const z = deflateRawSync(whole, { level: 1 });
          const worth = z.length <= f.size - (f.size >>> 3);
          w.whole(worth ? SECTION_SEGMENT_DEFLATED : SECTION_SEGMENT, worth ? z : whole);
          early.wrote(worth ? z.length : f.size);
        } else {
          const sink = w.begin(SECTION_SEGMENT);
          for (let done = 0; done < src.size; ) {
            // A fresh buffer per chunk where the file may keep what it is given (in memory); a file
            // on disk does not, and reusing one buffer spares faulting in a new one each time.
            const size = Math.min(COPY_CHUNK, src.size - done);
            const buf = reuse ? (copyBuffer ??= new Uint8Array(COPY_CHUNK)).subarray(0, size) : new Uint8Array(size);
            const got = src.read(buf, 0, buf.length, done);
            if (got !== buf.length) throw new Error(`${f.path}: short read at ${done} (${got} of ${buf.length} bytes)`);
            sink.append(buf);
            early.wrote(buf.length);
            done += got;
            if (++chunks % 16 === 0) await yieldToLoop();
          }
          w.end();
        }
      } finally {
        src.close();
      }
      const seg: PackSegment = {
        level: f.level,
        smallest: f.smallest,
        largest: f.largest,
        entries: f.entries,
        minSeq: f.minSeq,
        maxSeq: f.maxSeq,
        size: f.size,
      };
      if (f.globalSeq !== undefined) seg.globalSeq = f.globalSeq;
      segments.push(seg);
    }
    return { segments, tables, lastSeq: pinned.lastSeq };
  } finally {
    pinned.release();
  }
}

/** A key range to copy: [gte, lt), or everything when both are undefined. */
interface KeyRange {
  gte?: Uint8Array;
  lt?: Uint8Array;
}

/** The keys of the chosen tables: catalog entries, row counts, and every row and index entry. */
function tableRanges(tables: readonly TableInfo[]): KeyRange[] {
  const exact = (k: Uint8Array): KeyRange => {
    const lt = new Uint8Array(k.length + 1); // the smallest key after k
    lt.set(k);
    return { gte: k, lt };
  };
  const ranges: KeyRange[] = [];
  for (const t of tables) {
    ranges.push(exact(metaKey("catalog", t.name)), exact(metaKey("rows", t.id)));
    const w = new ByteWriter(16);
    writeComponent(w, t.id);
    const prefix = w.toBytes();
    ranges.push({ gte: prefix, lt: componentRangeEnd(prefix) });
  }
  return ranges.sort((a, b) => compareKeys(a.gte as Uint8Array, b.gte as Uint8Array));
}

/** The newest visible version of every key in range, re-encoded into one level of disjoint segments. */
async function reencode(
  store: Store,
  w: PackFileWriter,
  options: PackOptions,
  compression: SegmentCompression,
): Promise<PackBody> {
  const snap = store.snapshot();
  try {
    // Everything below reads the store as of one snapshot.
    const view: KvReader = {
      get: (k, o) => store.get(k, { snapshot: o?.snapshot ?? snap }),
      iterator: (o = {}) => store.iterator({ ...o, snapshot: o.snapshot ?? snap }),
      snapshot: (): Snapshot => snap,
    };
    const all = Tables.openReadOnly(view).list();
    let tables = all;
    let ranges: KeyRange[] = [{}];
    if (options.tables !== undefined) {
      const wanted = new Set(options.tables);
      for (const name of wanted) {
        if (!all.some((t) => t.name === name)) {
          const known = all.map((t) => t.name).join(", ") || "none";
          throw new InvalidArgumentError(`cannot pack table ${JSON.stringify(name)}: no such table (tables: ${known})`);
        }
      }
      tables = all.filter((t) => wanted.has(t.name));
      ranges = tableRanges(tables);
    }

    const target = options.segmentBytes ?? 16 << 20;
    const seq = 1;
    const segments: PackSegment[] = [];
    let writer: SegmentWriter | null = null;
    let sink: SectionSink | null = null;
    const finish = () => {
      if (!writer || !sink) return;
      const p = writer.finish();
      w.end();
      segments.push({
        level: 1,
        smallest: p.smallestKey.slice(),
        largest: p.largestKey.slice(),
        entries: p.entries,
        minSeq: seq,
        maxSeq: seq,
        size: sink.length,
      });
      writer = null;
      sink = null;
    };
    let n = 0;
    for (const r of ranges) {
      const it = store.iterator({ gte: r.gte, lt: r.lt, snapshot: snap });
      try {
        for (let e = it.read(); e !== undefined; e = it.read()) {
          if (writer !== null && n % 64 === 0 && (writer as SegmentWriter).estimatedFileSize() >= target) finish();
          if (writer === null) {
            sink = w.begin(SECTION_SEGMENT);
            writer = new SegmentWriter(sink, { compression });
          }
          const [k, v] = e;
          (writer as SegmentWriter).add(k, 0, k.length, seq, KIND_PUT, v, 0, v.length);
          if ((++n & 0xffff) === 0) await yieldToLoop();
        }
      } finally {
        it.close();
      }
    }
    finish();
    return { segments, tables, lastSeq: segments.length > 0 ? seq : 0 };
  } finally {
    snap.release();
  }
}
