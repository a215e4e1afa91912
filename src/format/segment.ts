// Segment files: Shale's immutable sorted files (LevelDB's SSTables). This file owns their byte
// layout, the writer (`SegmentWriter`) and the reader (`Segment`, with point lookups and a two-level
// iterator). Data blocks are read through the shared BlockCache; the index, filter and properties
// are loaded into memory when a segment is opened.
//
// File layout (all integers little-endian; "varint" is LEB128 as in varint.ts):
//
//   data block*          entries in internal order, split into blocks of about `blockSize` bytes
//   filter block         optional: bloom filter over the distinct user keys (bloom.ts encoding)
//   properties block     see below
//   index block          one entry per data block, in order: key = the block's last internal key
//                        (user key, seq, kind), value = varint offset, varint size of the block
//   footer               52 bytes, see below
//
// Data and index blocks use the block layout of block.ts (the index block with restart interval 1);
// the filter and properties blocks have the contents described here. Every block is followed by a
// 5-byte trailer:
//
//   type: u8             compression of the stored bytes: 0 none, 1 raw deflate (zlib level 1),
//                        2 zstd; a block is stored compressed only when that saves >= 12.5%
//   crc: u32             CRC32 of the stored (possibly compressed) block bytes followed by the type byte
//
// A block handle is (offset of the block's first byte, size of its stored bytes without trailer).
//
// Properties block contents (varints unless noted; readers ignore bytes after the fields they know):
//
//   formatVersion, entries, deletes, dataSize (bytes of data blocks incl. trailers), dataBlocks,
//   minSeq, maxSeq, smallestSeq, largestSeq, smallestKeyLength, smallestKey bytes,
//   largestKeyLength, largestKey bytes
//
// Footer (fixed 52 bytes at the end of the file):
//
//    0  index offset: u64    8  index size: u32
//   12  filter offset: u64  20  filter size: u32     (both 0: no filter)
//   24  props offset: u64   32  props size: u32
//   36  format version: u32 (1)
//   40  crc: u32 = CRC32 of footer bytes [0, 40)
//   44  magic: 8 bytes "SHALESEG"

import * as zlib from "node:zlib";
import type { ReadableFile, WritableFile } from "../fs/types.js";
import { Block, BlockBuilder, BlockIterator, LOOKUP_ABSENT, LOOKUP_FOUND, newBlockLookup } from "./block.js";
import type { BlockCache } from "./block-cache.js";
import { BloomBuilder, BloomFilter, hash32 } from "./bloom.js";
import { compareRange } from "./compare.js";
import { crc32 } from "./crc.js";
import { CorruptionError } from "./errors.js";
import { type EntryKind, type InternalIterator, KIND_DELETE, KIND_PUT, MAX_SEQ } from "./internal-iterator.js";
import { type Cursor, readVarint, varintSize, writeVarint } from "./varint.js";

export const SEGMENT_FORMAT_VERSION = 1;

/** How much a cache-warming miss reads at once (see Segment.readAhead). */
const READAHEAD_BYTES = 64 << 10;
/** "SHALESEG" */
export const SEGMENT_MAGIC = new Uint8Array([0x53, 0x48, 0x41, 0x4c, 0x45, 0x53, 0x45, 0x47]);
export const SEGMENT_FOOTER_SIZE = 52;
export const BLOCK_TRAILER_SIZE = 5;

export const COMPRESSION_NONE = 0;
export const COMPRESSION_DEFLATE = 1;
export const COMPRESSION_ZSTD = 2;
export type SegmentCompression = "none" | "deflate" | "zstd";

type SyncCodec = (data: Uint8Array, options?: object) => Uint8Array;
const zstdApi = zlib as unknown as {
  zstdCompressSync?: SyncCodec;
  zstdDecompressSync?: SyncCodec;
  constants: Record<string, number>;
};

/** Whether this Node.js has zstd in zlib (Node >= 22.15). */
export function zstdAvailable(): boolean {
  return typeof zstdApi.zstdCompressSync === "function" && typeof zstdApi.zstdDecompressSync === "function";
}

const DEFLATE_OPTIONS: zlib.ZlibOptions = { level: 1 };
const ZSTD_LEVEL_PARAM = zstdApi.constants.ZSTD_c_compressionLevel;
const ZSTD_OPTIONS = ZSTD_LEVEL_PARAM === undefined ? {} : { params: { [ZSTD_LEVEL_PARAM]: 1 } };

/** Appends to the file happen in chunks of up to this many bytes. */
const OUT_CAPACITY = 128 * 1024;

/** What a segment holds; returned by `SegmentWriter.finish` and read back by `Segment.open`. */
export interface SegmentProperties {
  entries: number;
  deletes: number;
  smallestKey: Uint8Array;
  smallestSeq: number;
  largestKey: Uint8Array;
  largestSeq: number;
  minSeq: number;
  maxSeq: number;
  /** Bytes of the whole file. */
  fileSize: number;
  /** Bytes of the data blocks, trailers included. */
  dataSize: number;
}

export interface SegmentWriterOptions {
  /** Target uncompressed size of a data block in bytes (default 4096). */
  blockSize?: number;
  /** Entries between restart points in data blocks (default 16). */
  restartInterval?: number;
  /** Bloom filter bits per distinct user key (default 10; 0 = no filter). */
  bloomBitsPerKey?: number;
  /** Block compression (default "none"). */
  compression?: SegmentCompression;
}

function writeU32(buf: Uint8Array, p: number, v: number): void {
  buf[p] = v & 0xff;
  buf[p + 1] = (v >>> 8) & 0xff;
  buf[p + 2] = (v >>> 16) & 0xff;
  buf[p + 3] = (v >>> 24) & 0xff;
}

function readU32(buf: Uint8Array, p: number): number {
  return (buf[p] | (buf[p + 1] << 8) | (buf[p + 2] << 16) | (buf[p + 3] << 24)) >>> 0;
}

/** Big-endian 4 bytes of buf[p, p + 4), reading bytes at or past `end` as 0. */
function wordAt(buf: Uint8Array, p: number, end: number): number {
  if (p + 4 <= end) return ((buf[p] << 24) | (buf[p + 1] << 16) | (buf[p + 2] << 8) | buf[p + 3]) >>> 0;
  let w = 0;
  for (let j = 0; j < 4; j++) w = (w << 8) | (p + j < end ? buf[p + j] : 0);
  return w >>> 0;
}

function writeU64(buf: Uint8Array, p: number, v: number): void {
  writeU32(buf, p, v >>> 0);
  writeU32(buf, p + 4, Math.floor(v / 2 ** 32));
}

/**
 * Writes one segment file. Entries go in with `add` in strictly increasing internal order (user key
 * ascending, then seq descending); `finish` writes the rest. The caller syncs and closes the file.
 */
export class SegmentWriter {
  private readonly file: WritableFile;
  private readonly blockSize: number;
  private readonly compression: number;
  private readonly data: BlockBuilder;
  private readonly index = new BlockBuilder(1, 1024);
  private readonly bloom: BloomBuilder | null;
  private out = new Uint8Array(OUT_CAPACITY);
  private outLen = 0;
  /** File offset of out[0]. */
  private written: number;
  /** Last key of the previous data block (the order check's reference while `data` is empty). */
  private prevKey = new Uint8Array(64);
  private prevKeyLen = 0;
  private lastSeq = 0;
  private lastKind: EntryKind = KIND_PUT;
  private readonly handle = new Uint8Array(20);
  private count = 0;
  private deletes = 0;
  private minSeq = MAX_SEQ;
  private maxSeq = 0;
  private smallestKey: Uint8Array = new Uint8Array(0);
  private smallestSeq = 0;
  private dataSize = 0;
  private dataBlocks = 0;
  private finished = false;

  constructor(file: WritableFile, options: SegmentWriterOptions = {}) {
    const blockSize = options.blockSize ?? 4096;
    const restartInterval = options.restartInterval ?? 16;
    const bits = options.bloomBitsPerKey ?? 10;
    const compression = options.compression ?? "none";
    if (!Number.isInteger(blockSize) || blockSize < 1) throw new RangeError(`bad blockSize ${blockSize}`);
    if (!(bits >= 0) || !Number.isFinite(bits)) throw new RangeError(`bad bloomBitsPerKey ${bits}`);
    if (compression === "none") this.compression = COMPRESSION_NONE;
    else if (compression === "deflate") this.compression = COMPRESSION_DEFLATE;
    else if (compression === "zstd") {
      if (!zstdAvailable()) {
        throw new Error(
          `segment compression "zstd" needs zlib.zstdCompressSync (Node.js >= 22.15); this is Node.js ${process.version}`,
        );
      }
      this.compression = COMPRESSION_ZSTD;
    } else throw new RangeError(`unknown segment compression ${String(compression)}`);
    this.file = file;
    this.blockSize = blockSize;
    this.data = new BlockBuilder(restartInterval, blockSize + (blockSize >>> 2) + 64);
    this.bloom = bits > 0 ? new BloomBuilder(bits) : null;
    this.written = file.size;
  }

  /** Adds the entry (keyBuf[keyStart, keyEnd), seq, kind) -> valBuf[valStart, valEnd). */
  add(
    keyBuf: Uint8Array,
    keyStart: number,
    keyEnd: number,
    seq: number,
    kind: EntryKind,
    valBuf: Uint8Array,
    valStart: number,
    valEnd: number,
  ): void {
    if (this.finished) throw new Error("SegmentWriter.add after finish");
    if (!(seq >= 0 && seq <= MAX_SEQ && Math.floor(seq) === seq)) throw new RangeError(`bad sequence number ${seq}`);
    if (kind !== KIND_PUT && kind !== KIND_DELETE) throw new RangeError(`bad entry kind ${kind}`);
    let newKey = true;
    let shared = -1;
    if (this.count > 0) {
      const data = this.data;
      let c: number;
      if (data.empty()) {
        c = compareRange(keyBuf, keyStart, keyEnd, this.prevKey, 0, this.prevKeyLen);
      } else {
        // The prefix shared with the block's last key orders the two keys and is what the block
        // builder needs for prefix compression: measure it once, here.
        const last = data.lastKeyBuffer();
        const lastLen = data.lastKeyLength();
        const keyLen = keyEnd - keyStart;
        shared = data.sharedWithLast(keyBuf, keyStart, keyEnd);
        c = shared < Math.min(keyLen, lastLen) ? keyBuf[keyStart + shared] - last[shared] : keyLen - lastLen;
      }
      if (c < 0 || (c === 0 && seq >= this.lastSeq)) {
        throw new Error(
          `SegmentWriter: entries out of order: seq ${seq} ${c < 0 ? "with a smaller key" : "not below"} after seq ${this.lastSeq}`,
        );
      }
      newKey = c !== 0;
    } else {
      this.smallestKey = new Uint8Array(keyBuf.subarray(keyStart, keyEnd)); // a copy, also of a Buffer
      this.smallestSeq = seq;
    }
    if (newKey && this.bloom !== null) this.bloom.add(keyBuf, keyStart, keyEnd);
    this.data.add(keyBuf, keyStart, keyEnd, seq, kind, valBuf, valStart, valEnd, shared);
    this.count++;
    if (kind === KIND_DELETE) this.deletes++;
    if (seq < this.minSeq) this.minSeq = seq;
    if (seq > this.maxSeq) this.maxSeq = seq;
    this.lastSeq = seq;
    this.lastKind = kind;
    if (this.data.estimatedSize() >= this.blockSize) this.flushDataBlock();
  }

  /**
   * Tells the writer the next key added shares at least `n` bytes with the previous one (it must
   * be true): the comparison the next `add` makes starts there. For callers that build keys from
   * parts they know are equal (run-build.ts, composed runs).
   */
  sharesWithPrevious(n: number): void {
    if (this.count > 0 && !this.data.empty()) this.data.knownShared = n;
  }

  /** `add` for whole arrays. */
  addEntry(key: Uint8Array, seq: number, kind: EntryKind, value: Uint8Array): void {
    this.add(key, 0, key.length, seq, kind, value, 0, value.length);
  }

  /** Entries added so far. */
  entries(): number {
    return this.count;
  }

  /** The size the file would have if finished now (approximate). */
  estimatedFileSize(): number {
    return (
      this.written +
      this.outLen +
      this.data.estimatedSize() +
      this.index.estimatedSize() +
      (this.bloom === null ? 0 : this.bloom.estimatedSize()) +
      64 +
      this.smallestKey.length +
      this.prevKeyLen +
      4 * BLOCK_TRAILER_SIZE +
      SEGMENT_FOOTER_SIZE
    );
  }

  /** Writes the remaining blocks and the footer; returns the segment's properties. */
  finish(): SegmentProperties {
    if (this.finished) throw new Error("SegmentWriter.finish called twice");
    if (this.count === 0) throw new Error("SegmentWriter: cannot finish an empty segment (no entries)");
    this.finished = true;
    if (!this.data.empty()) this.flushDataBlock();
    let filterOffset = 0;
    let filterSize = 0;
    if (this.bloom !== null) {
      filterOffset = this.position();
      filterSize = this.writeBlock(this.bloom.finish());
    }
    const largestKey = this.prevKey.slice(0, this.prevKeyLen);
    const propsOffset = this.position();
    const propsSize = this.writeBlock(this.encodeProperties(largestKey));
    const indexOffset = this.position();
    const indexSize = this.writeBlock(this.index.finish());
    if (this.outLen + SEGMENT_FOOTER_SIZE > this.out.length) this.flushOut();
    const f = this.out;
    const p = this.outLen;
    writeU64(f, p, indexOffset);
    writeU32(f, p + 8, indexSize);
    writeU64(f, p + 12, filterOffset);
    writeU32(f, p + 20, filterSize);
    writeU64(f, p + 24, propsOffset);
    writeU32(f, p + 32, propsSize);
    writeU32(f, p + 36, SEGMENT_FORMAT_VERSION);
    writeU32(f, p + 40, crc32(f, p, p + 40));
    f.set(SEGMENT_MAGIC, p + 44);
    this.outLen += SEGMENT_FOOTER_SIZE;
    this.flushOut();
    return {
      entries: this.count,
      deletes: this.deletes,
      smallestKey: this.smallestKey,
      smallestSeq: this.smallestSeq,
      largestKey,
      largestSeq: this.lastSeq,
      minSeq: this.minSeq,
      maxSeq: this.maxSeq,
      fileSize: this.written,
      dataSize: this.dataSize,
    };
  }

  private position(): number {
    return this.written + this.outLen;
  }

  private flushDataBlock(): void {
    const data = this.data;
    const offset = this.position();
    const size = this.writeBlock(data.finish());
    this.dataSize += size + BLOCK_TRAILER_SIZE;
    this.dataBlocks++;
    const keyLen = data.lastKeyLength();
    if (keyLen > this.prevKey.length) this.prevKey = new Uint8Array(Math.max(keyLen, this.prevKey.length * 2));
    this.prevKey.set(data.lastKeyBuffer().subarray(0, keyLen));
    this.prevKeyLen = keyLen;
    const h = this.handle;
    const hl = writeVarint(h, writeVarint(h, 0, offset), size);
    this.index.add(this.prevKey, 0, keyLen, this.lastSeq, this.lastKind, h, 0, hl);
    data.reset();
  }

  /** Writes block contents plus trailer (compressing if worth it); returns the stored size. */
  private writeBlock(raw: Uint8Array): number {
    let payload = raw;
    let type = COMPRESSION_NONE;
    if (this.compression !== COMPRESSION_NONE && raw.length >= 32) {
      const packed =
        this.compression === COMPRESSION_DEFLATE
          ? zlib.deflateRawSync(raw, DEFLATE_OPTIONS)
          : zstdApi.zstdCompressSync!(raw, ZSTD_OPTIONS);
      if (packed.length <= raw.length - (raw.length >>> 3)) {
        payload = packed;
        type = this.compression;
      }
    }
    const len = payload.length;
    const total = len + BLOCK_TRAILER_SIZE;
    if (this.outLen + total > this.out.length) this.flushOut();
    if (total > this.out.length) {
      const big = new Uint8Array(total);
      big.set(payload);
      big[len] = type;
      writeU32(big, len + 1, crc32(big, 0, len + 1));
      this.file.append(big);
      this.written += total;
    } else {
      const out = this.out;
      const p = this.outLen;
      out.set(payload, p);
      out[p + len] = type;
      writeU32(out, p + len + 1, crc32(out, p, p + len + 1));
      this.outLen = p + total;
    }
    return len;
  }

  private flushOut(): void {
    if (this.outLen === 0) return;
    // The file may keep a reference to what it is given (an in-memory file system), so the
    // buffer is handed over and replaced rather than reused.
    this.file.append(this.out.subarray(0, this.outLen));
    this.written += this.outLen;
    this.out = new Uint8Array(OUT_CAPACITY);
    this.outLen = 0;
  }

  private encodeProperties(largestKey: Uint8Array): Uint8Array {
    const nums = [
      SEGMENT_FORMAT_VERSION,
      this.count,
      this.deletes,
      this.dataSize,
      this.dataBlocks,
      this.minSeq,
      this.maxSeq,
      this.smallestSeq,
      this.lastSeq,
    ];
    const small = this.smallestKey;
    let size = varintSize(small.length) + small.length + varintSize(largestKey.length) + largestKey.length;
    for (const n of nums) size += varintSize(n);
    const buf = new Uint8Array(size);
    let p = 0;
    for (const n of nums) p = writeVarint(buf, p, n);
    p = writeVarint(buf, p, small.length);
    buf.set(small, p);
    p = writeVarint(buf, p + small.length, largestKey.length);
    buf.set(largestKey, p);
    return buf;
  }
}

export interface SegmentOpenOptions {
  /** The file's number: the block cache key. */
  fileNumber: number;
  cache?: BlockCache;
  /** If set, every entry's seq reads as this value (for ingested files). */
  globalSeq?: number;
  /** Check data block CRCs on every read from the file (default true). Metadata is always checked. */
  verifyChecksums?: boolean;
}

/** One version of a key, as `Segment.get` returns it. */
export interface SegmentEntry {
  kind: EntryKind;
  seq: number;
  /** Stays valid for good (a view of an immutable block buffer). */
  value: Uint8Array;
}

/** An open segment file. */
export class Segment {
  readonly file: ReadableFile;
  readonly fileNumber: number;
  readonly properties: SegmentProperties;
  /** Number of data blocks. */
  readonly blockCount: number;
  /** The seq every entry reads as (from `SegmentOpenOptions.globalSeq`), or -1 when entries keep their own. */
  readonly globalSeq: number;
  private readonly cache: BlockCache | undefined;
  /** This segment's blocks held by the block cache, by block index (the cache clears evicted ones). */
  private cachedBlocks: (Block | undefined)[] = [];
  private readonly verify: boolean;
  private readonly filter: BloomFilter | null;
  // The index, decoded: block i's last key is idxKeys[idxKeyStart[i], idxKeyStart[i + 1]).
  private readonly idxKeys: Uint8Array;
  private readonly idxKeyStart: Uint32Array;
  private readonly idxSeq: Float64Array;
  // Binary search aid: all index keys start with idxKeys[0, idxPrefixLen); the 8 bytes after that
  // prefix (zero-padded) are idxHi[i], idxLo[i] as big-endian words, which decide most comparisons
  // from two small arrays instead of the key arena.
  private readonly idxPrefixLen: number;
  private readonly idxHi: Uint32Array;
  private readonly idxLo: Uint32Array;
  private readonly blockOffset: Float64Array;
  private readonly blockSize: Float64Array;
  private readonly lookup = newBlockLookup();

  private constructor(file: ReadableFile, options: SegmentOpenOptions) {
    this.file = file;
    this.fileNumber = options.fileNumber;
    this.cache = options.cache;
    this.verify = options.verifyChecksums ?? true;
    const g = options.globalSeq;
    if (g !== undefined && !(g >= 0 && g <= MAX_SEQ && Math.floor(g) === g)) {
      throw new RangeError(`bad globalSeq ${g}`);
    }
    this.globalSeq = g ?? -1;

    const size = file.size;
    if (size < SEGMENT_FOOTER_SIZE) {
      throw this.corrupt(`file of ${size} bytes is too short for a segment footer (${SEGMENT_FOOTER_SIZE} bytes)`);
    }
    const footer = new Uint8Array(SEGMENT_FOOTER_SIZE);
    const got = file.read(footer, 0, SEGMENT_FOOTER_SIZE, size - SEGMENT_FOOTER_SIZE);
    if (got !== SEGMENT_FOOTER_SIZE) throw this.corrupt(`short read of the footer (${got} bytes)`);
    for (let i = 0; i < 8; i++) {
      if (footer[44 + i] !== SEGMENT_MAGIC[i])
        throw this.corrupt("bad magic number (not a segment file, or truncated)");
    }
    const storedCrc = readU32(footer, 40);
    const actualCrc = crc32(footer, 0, 40);
    if (storedCrc !== actualCrc) throw this.corrupt("footer checksum mismatch");
    const version = readU32(footer, 36);
    if (version !== SEGMENT_FORMAT_VERSION) throw this.corrupt(`unsupported segment format version ${version}`);
    const metaEnd = size - SEGMENT_FOOTER_SIZE;
    const handle = (p: number, what: string): [number, number] => {
      const hi = readU32(footer, p + 4);
      const offset = readU32(footer, p) + hi * 2 ** 32;
      const len = readU32(footer, p + 8);
      if (hi >= 2 ** 20 || offset + len + BLOCK_TRAILER_SIZE > metaEnd) {
        throw this.corrupt(`${what} handle (offset ${offset}, size ${len}) lies outside the file`);
      }
      return [offset, len];
    };
    const [indexOffset, indexSize] = handle(0, "index block");
    const [propsOffset, propsSize] = handle(24, "properties block");
    let dataEnd = Math.min(indexOffset, propsOffset);
    const filterOffset = readU32(footer, 12) + readU32(footer, 16) * 2 ** 32;
    const filterSize = readU32(footer, 20);
    if (filterOffset !== 0 || filterSize !== 0) {
      const [fo, fs] = handle(12, "filter block");
      this.filter = new BloomFilter(this.readContents(fo, fs, "filter block", true));
      dataEnd = Math.min(dataEnd, fo);
    } else {
      this.filter = null;
    }

    // Index.
    const indexBlock = new Block(
      this.readContents(indexOffset, indexSize, "index block", true),
      file.path,
      indexOffset,
    );
    const it = new BlockIterator(indexBlock);
    let keys = new Uint8Array(1024);
    let keysLen = 0;
    const starts: number[] = [0];
    const seqs: number[] = [];
    const offsets: number[] = [];
    const sizes: number[] = [];
    const cur: Cursor = { pos: 0 };
    let prevEnd = 0;
    let prevSeq = 0;
    for (it.seekToFirst(); it.valid(); it.next()) {
      const kb = it.keyBuffer();
      const kl = it.keyLength();
      const n = seqs.length;
      if (n > 0) {
        const c = compareRange(kb, 0, kl, keys, starts[n - 1], keysLen);
        if (c < 0 || (c === 0 && it.seq() >= prevSeq))
          throw this.corrupt(`index entries ${n - 1} and ${n} out of order`);
      }
      if (keysLen + kl > keys.length) {
        const grown = new Uint8Array(Math.max(keys.length * 2, keysLen + kl));
        grown.set(keys.subarray(0, keysLen));
        keys = grown;
      }
      keys.set(kb.subarray(0, kl), keysLen);
      keysLen += kl;
      starts.push(keysLen);
      prevSeq = it.seq();
      seqs.push(this.globalSeq >= 0 ? this.globalSeq : prevSeq);
      const vEnd = it.valueEnd();
      cur.pos = it.valueStart();
      let offset: number;
      let len: number;
      try {
        offset = readVarint(indexBlock.data, cur, vEnd);
        len = readVarint(indexBlock.data, cur, vEnd);
      } catch (err) {
        if (err instanceof RangeError) throw this.corrupt(`index entry ${n}: bad block handle (${err.message})`);
        throw err;
      }
      if (cur.pos !== vEnd) throw this.corrupt(`index entry ${n}: trailing bytes after the block handle`);
      if (offset < prevEnd || offset + len + BLOCK_TRAILER_SIZE > dataEnd) {
        throw this.corrupt(`index entry ${n}: data block handle (offset ${offset}, size ${len}) out of place`);
      }
      prevEnd = offset + len + BLOCK_TRAILER_SIZE;
      offsets.push(offset);
      sizes.push(len);
    }
    if (seqs.length === 0) throw this.corrupt("index block has no entries");
    this.blockCount = seqs.length;
    this.cachedBlocks = new Array(this.blockCount).fill(undefined);
    this.idxKeys = keys.slice(0, keysLen);
    this.idxKeyStart = Uint32Array.from(starts);
    this.idxSeq = Float64Array.from(seqs);
    const n = this.blockCount;
    const lastStart = starts[n - 1];
    const maxPrefix = Math.min(starts[1], keysLen - lastStart);
    let cp = 0;
    while (cp < maxPrefix && keys[cp] === keys[lastStart + cp]) cp++;
    this.idxPrefixLen = cp;
    this.idxHi = new Uint32Array(n);
    this.idxLo = new Uint32Array(n);
    for (let i = 0; i < n; i++) {
      this.idxHi[i] = wordAt(keys, starts[i] + cp, starts[i + 1]);
      this.idxLo[i] = wordAt(keys, starts[i] + cp + 4, starts[i + 1]);
    }
    this.blockOffset = Float64Array.from(offsets);
    this.blockSize = Float64Array.from(sizes);

    // Properties.
    const props = this.readContents(propsOffset, propsSize, "properties block", true);
    cur.pos = 0;
    try {
      const nums: number[] = [];
      for (let i = 0; i < 9; i++) nums.push(readVarint(props, cur));
      const smallLen = readVarint(props, cur);
      if (cur.pos + smallLen > props.length) throw new RangeError("smallest key runs past the end");
      const smallestKey = props.slice(cur.pos, cur.pos + smallLen);
      cur.pos += smallLen;
      const largeLen = readVarint(props, cur);
      if (cur.pos + largeLen > props.length) throw new RangeError("largest key runs past the end");
      const largestKey = props.slice(cur.pos, cur.pos + largeLen);
      const [formatVersion, entries, deletes, dataSize, dataBlocks, minSeq, maxSeq, smallestSeq, largestSeq] = nums;
      if (formatVersion !== SEGMENT_FORMAT_VERSION) throw new RangeError(`format version ${formatVersion}`);
      if (dataBlocks !== this.blockCount) {
        throw new RangeError(`${dataBlocks} data blocks, but the index lists ${this.blockCount}`);
      }
      if (deletes > entries || entries < dataBlocks || minSeq > maxSeq) throw new RangeError("inconsistent counts");
      const gs = this.globalSeq;
      this.properties = {
        entries,
        deletes,
        smallestKey,
        smallestSeq: gs >= 0 ? gs : smallestSeq,
        largestKey,
        largestSeq: gs >= 0 ? gs : largestSeq,
        minSeq: gs >= 0 ? gs : minSeq,
        maxSeq: gs >= 0 ? gs : maxSeq,
        fileSize: size,
        dataSize,
      };
    } catch (err) {
      if (err instanceof RangeError) throw this.corrupt(`properties block: ${err.message}`);
      throw err;
    }
  }

  /**
   * Opens a segment: checks the footer and loads the index, filter and properties. Throws
   * CorruptionError on damage. On success the segment owns `file` (`close` closes it); on failure
   * the file is left open for the caller to close.
   */
  static open(file: ReadableFile, options: SegmentOpenOptions): Segment {
    return new Segment(file, options);
  }

  /** The newest entry for `key` with seq <= snapshotSeq, or undefined. */
  get(key: Uint8Array, snapshotSeq: number): SegmentEntry | undefined {
    return this.getHashed(key, hash32(key, 0, key.length), snapshotSeq);
  }

  /** `get` with the key's `hash32` computed by the caller (once for all the files it asks). */
  getHashed(key: Uint8Array, hash: number, snapshotSeq: number): SegmentEntry | undefined {
    const filter = this.filter;
    if (filter !== null && !filter.mayContainHash(hash)) return undefined;
    const n = this.blockCount;
    const out = this.lookup;
    for (let i = this.findBlock(key, snapshotSeq); i < n; i++) {
      const block = this.blockAt(i);
      const status = block.get(key, snapshotSeq, out, this.globalSeq);
      if (status === LOOKUP_FOUND) {
        return { kind: out.kind, seq: out.seq, value: block.data.subarray(out.valueStart, out.valueEnd) };
      }
      if (status === LOOKUP_ABSENT) return undefined;
    }
    return undefined;
  }

  /** False if the bloom filter rules `key` out (always true without a filter). */
  mayContain(key: Uint8Array): boolean {
    return this.filter === null || this.filter.mayContainHash(hash32(key, 0, key.length));
  }

  /** Whether the segment has a bloom filter. */
  hasFilter(): boolean {
    return this.filter !== null;
  }

  iterator(): InternalIterator {
    return new SegmentIterator(this);
  }

  /** Approximate bytes of memory held by the open segment (index and filter; cached blocks not included). */
  memoryUsage(): number {
    const filter = this.filter === null ? 0 : this.filter.byteSize;
    return 256 + filter + this.idxKeys.byteLength + this.blockCount * 40;
  }

  /** Closes the file. Blocks already handed out stay valid. */
  close(): void {
    this.file.close();
  }

  /** @internal Index of the first data block whose last key is >= (key, seq); blockCount if none. */
  findBlock(key: Uint8Array, seq: number): number {
    const keys = this.idxKeys;
    const klen = key.length;
    const cp = this.idxPrefixLen;
    const n = this.blockCount;
    // Against the common prefix first: a key that differs there is before or after every block.
    const m = Math.min(cp, klen);
    for (let j = 0; j < m; j++) {
      const d = key[j] - keys[j];
      if (d !== 0) return d < 0 ? 0 : n;
    }
    if (klen < cp) return 0;
    const th = wordAt(key, cp, klen);
    const tl = wordAt(key, cp + 4, klen);
    const hi = this.idxHi;
    const lo = this.idxLo;
    const starts = this.idxKeyStart;
    let left = 0;
    let right = n;
    while (left < right) {
      const mid = (left + right) >>> 1;
      const h = hi[mid];
      let less: boolean;
      if (h !== th) less = h < th;
      else {
        const l = lo[mid];
        if (l !== tl) less = l < tl;
        else {
          const c = compareRange(keys, starts[mid] + cp, starts[mid + 1], key, cp, klen);
          less = c !== 0 ? c < 0 : this.idxSeq[mid] > seq;
        }
      }
      if (less) left = mid + 1;
      else right = mid;
    }
    return left;
  }

  /** @internal Data block i, from the cache or the file. */
  blockAt(i: number): Block {
    const cache = this.cache;
    if (cache !== undefined) {
      const own = this.cachedBlocks[i];
      if (own !== undefined) {
        cache.hit(own);
        return own;
      }
    }
    if (cache !== undefined && cache.room() >= READAHEAD_BYTES) return this.readAhead(i, cache);
    const offset = this.blockOffset[i];
    const block = new Block(
      this.readContents(offset, this.blockSize[i], "data block", this.verify),
      this.file.path,
      offset,
    );
    if (cache !== undefined) cache.set(this.fileNumber, offset, block, { slots: this.cachedBlocks, index: i });
    return block;
  }

  /**
   * A miss while the cache still has room: read block i and the uncached blocks after it, up to
   * READAHEAD_BYTES, in one read, and cache them all. Warming a cache this way costs one system
   * call per run of blocks instead of one per block; once the cache is full, misses read one block.
   */
  private readAhead(i: number, cache: BlockCache): Block {
    const start = this.blockOffset[i];
    let j = i + 1;
    while (
      j < this.blockCount &&
      this.cachedBlocks[j] === undefined &&
      this.blockOffset[j] + this.blockSize[j] + BLOCK_TRAILER_SIZE - start <= READAHEAD_BYTES
    ) {
      j++;
    }
    const end = this.blockOffset[j - 1] + this.blockSize[j - 1] + BLOCK_TRAILER_SIZE;
    const buf = new Uint8Array(end - start);
    const got = this.file.read(buf, 0, buf.length, start);
    if (got !== buf.length) throw this.corrupt(`data blocks at ${start}: short read (${got} of ${buf.length} bytes)`);
    // Blocks share the run's buffer (as views), which lives while any of them is cached.
    let first: Block | undefined;
    for (let k = i; k < j; k++) {
      const offset = this.blockOffset[k];
      const size = this.blockSize[k];
      const at = offset - start;
      const stored = buf.subarray(at, at + size + BLOCK_TRAILER_SIZE);
      let block: Block;
      try {
        block = new Block(this.decodeStored(stored, size, offset, "data block", this.verify), this.file.path, offset);
      } catch (err) {
        // Damage in block i is this read's error; damage in a neighbour is reported when it is read.
        if (k === i || !(err instanceof CorruptionError)) throw err;
        break;
      }
      if (k === i) first = block;
      cache.set(this.fileNumber, offset, block, { slots: this.cachedBlocks, index: k });
    }
    return first as Block;
  }

  /** Reads a block and its trailer with one read, checks the CRC, and decompresses. */
  private readContents(offset: number, size: number, what: string, verify: boolean): Uint8Array {
    const total = size + BLOCK_TRAILER_SIZE;
    const buf = new Uint8Array(total);
    const got = this.file.read(buf, 0, total, offset);
    if (got !== total) throw this.corrupt(`${what} at ${offset}: short read (${got} of ${total} bytes)`);
    return this.decodeStored(buf, size, offset, what, verify);
  }

  /** Checks and decompresses one stored block: `buf` holds its `size` bytes and its trailer. */
  private decodeStored(buf: Uint8Array, size: number, offset: number, what: string, verify: boolean): Uint8Array {
    const type = buf[size];
    if (verify) {
      const stored = readU32(buf, size + 1);
      const actual = crc32(buf, 0, size + 1);
      if (stored !== actual) throw this.corrupt(`${what} at ${offset}: checksum mismatch`);
    }
    if (type === COMPRESSION_NONE) return buf.subarray(0, size);
    let out: Uint8Array;
    try {
      if (type === COMPRESSION_DEFLATE) {
        out = zlib.inflateRawSync(buf.subarray(0, size));
      } else if (type === COMPRESSION_ZSTD) {
        if (!zstdAvailable()) {
          throw new Error(`${this.file.path}: ${what} at ${offset} is zstd-compressed; this Node.js lacks zstd`);
        }
        out = zstdApi.zstdDecompressSync!(buf.subarray(0, size));
      } else {
        throw this.corrupt(`${what} at ${offset}: unknown compression type ${type}`);
      }
    } catch (err) {
      if (err instanceof Error && "errno" in err) {
        throw this.corrupt(`${what} at ${offset}: cannot decompress (${err.message})`);
      }
      throw err;
    }
    // A plain Uint8Array view (not a Buffer) keeps block reads monomorphic.
    return new Uint8Array(out.buffer, out.byteOffset, out.byteLength);
  }

  private corrupt(what: string): CorruptionError {
    return new CorruptionError(this.file.path, what);
  }
}

/** Two-level iterator: a position in the index plus a BlockIterator over that data block. */
class SegmentIterator implements InternalIterator {
  private readonly seg: Segment;
  private readonly it = new BlockIterator();
  /** Index of the data block `it` is on; -1 when not valid. */
  private blockIdx = -1;

  constructor(seg: Segment) {
    this.seg = seg;
  }

  private load(i: number): void {
    if (i !== this.blockIdx) {
      this.it.setBlock(this.seg.blockAt(i), this.seg.globalSeq);
      this.blockIdx = i;
    }
  }

  private invalidate(): void {
    this.it.setBlock(null);
    this.blockIdx = -1;
  }

  private skipForward(): void {
    while (!this.it.valid()) {
      const i = this.blockIdx + 1;
      if (i <= 0 || i >= this.seg.blockCount) {
        this.invalidate();
        return;
      }
      this.load(i);
      this.it.seekToFirst();
    }
  }

  private skipBackward(): void {
    while (!this.it.valid()) {
      const i = this.blockIdx - 1;
      if (i < 0) {
        this.invalidate();
        return;
      }
      this.load(i);
      this.it.seekToLast();
    }
  }

  valid(): boolean {
    return this.blockIdx >= 0 && this.it.valid();
  }

  seekToFirst(): void {
    this.load(0);
    this.it.seekToFirst();
    this.skipForward();
  }

  seekToLast(): void {
    this.load(this.seg.blockCount - 1);
    this.it.seekToLast();
    this.skipBackward();
  }

  seek(key: Uint8Array, seq: number): void {
    const i = this.seg.findBlock(key, seq);
    if (i >= this.seg.blockCount) {
      this.invalidate();
      return;
    }
    this.load(i);
    this.it.seek(key, seq);
    this.skipForward();
  }

  seekForPrev(key: Uint8Array, seq: number): void {
    const i = this.seg.findBlock(key, seq);
    if (i >= this.seg.blockCount) {
      this.seekToLast();
      return;
    }
    this.load(i);
    this.it.seekForPrev(key, seq);
    this.skipBackward();
  }

  next(): void {
    if (this.blockIdx < 0) return;
    this.it.next();
    this.skipForward();
  }

  prev(): void {
    if (this.blockIdx < 0) return;
    this.it.prev();
    this.skipBackward();
  }

  key(): Uint8Array {
    return this.it.key();
  }

  seq(): number {
    return this.it.seq();
  }

  kind(): EntryKind {
    return this.it.kind();
  }

  value(): Uint8Array {
    return this.it.value();
  }

  close(): void {
    this.invalidate();
  }
}
