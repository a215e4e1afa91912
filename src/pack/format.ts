// Pack files: a whole store (or some of its tables) as one checksummed file that opens in place.
// This file owns the byte layout: the header, the section table and trailer (the footer), and the
// manifest section's JSON. writer.ts writes packs and reader.ts opens them.
//
// Layout (integers little-endian):
//
//   header          16 bytes at offset 0:
//                     0  magic: 8 bytes "SHALEPAK"
//                     8  format version: u32 (2; 1 for packs without deflated sections)
//                    12  CRC32 of header bytes [0, 12): u32
//   section*        back to back from offset 16, no gaps: the segment sections (each one segment
//                   file's bytes, format/segment.ts, as the store wrote them or re-encoded), then the
//                   manifest section (UTF-8 JSON, see PackManifest)
//   section table   one 24-byte entry per section, in file order:
//                     0  kind: u32 (1 segment, 2 manifest, 3 segment deflated whole; readers skip
//                        other kinds after checking them)
//                     4  offset: u64      12  length: u64      20  CRC32 of the section's bytes: u32
//   trailer         32 bytes at the end of the file:
//                     0  section table offset: u64 (= end of the last section)
//                     8  section count: u32
//                    12  body CRC32: u32, of file bytes [0, section table offset)
//                    16  format version: u32 (as in the header)
//                    20  footer CRC32: u32, of the section table followed by trailer bytes [0, 20)
//                    24  magic: 8 bytes "SHALEPAK"
//
// The body CRC is the CRC of the whole file before the footer, and the footer CRC covers the rest,
// so every byte is checked. Segment sections are numbered from 0 in file order ("segment#3"); the
// manifest's `segments` array describes them in that order.

import { compareKeys } from "../format/compare.js";
import { crc32 } from "../format/crc.js";
import { CorruptionError } from "../format/errors.js";
import { MAX_SEQ } from "../format/internal-iterator.js";
import type { TableInfo } from "../table/tables.js";

/** The version this Shale writes; it reads 1 (no deflated sections) and 2. */
export const PACK_FORMAT_VERSION = 2;
export const PACK_FORMAT_VERSIONS: readonly number[] = [1, 2];
/** "SHALEPAK" */
export const PACK_MAGIC = new Uint8Array([0x53, 0x48, 0x41, 0x4c, 0x45, 0x50, 0x41, 0x4b]);
export const PACK_HEADER_SIZE = 16;
export const PACK_TRAILER_SIZE = 32;
export const SECTION_ENTRY_SIZE = 24;

export const SECTION_SEGMENT = 1;
export const SECTION_MANIFEST = 2;
/** A segment file deflated whole (raw deflate): small segments, inflated into memory when the pack opens. */
export const SECTION_SEGMENT_DEFLATED = 3;

/** Whether a section holds a segment (as it is, or deflated). */
export function isSegmentSection(kind: number): boolean {
  return kind === SECTION_SEGMENT || kind === SECTION_SEGMENT_DEFLATED;
}

/** The version of Shale that writes packs (kept equal to package.json's by a test). */
export const SHALE_VERSION = "0.1.0";

export interface SectionEntry {
  kind: number;
  offset: number;
  length: number;
  crc: number;
}

/** What the manifest says about one segment section: where it sits in the levels and what it holds. */
export interface PackSegment {
  level: number;
  /** Smallest and largest user keys. */
  smallest: Uint8Array;
  largest: Uint8Array;
  entries: number;
  minSeq: number;
  maxSeq: number;
  /** For a file the store ingested: the sequence number all its entries read with. */
  globalSeq?: number;
  /** Bytes of the section. */
  size: number;
}

/** The manifest section, parsed. */
export interface PackManifest {
  /** Pack format version (1). */
  format: number;
  /** Version of Shale that wrote the pack. */
  shale: string;
  /** When the pack was written, ISO 8601. */
  created: string;
  /** Reads see every entry with a sequence number at or below this. */
  lastSeq: number;
  /** Number of levels (1 + the deepest level a segment sits at). */
  levels: number;
  /** Block compression asked for when the pack was written ("store": the store's files as they were). */
  compression: "store" | "none" | "deflate" | "zstd";
  tables: TableInfo[];
  segments: PackSegment[];
}

export function writeU32(buf: Uint8Array, p: number, v: number): void {
  buf[p] = v & 0xff;
  buf[p + 1] = (v >>> 8) & 0xff;
  buf[p + 2] = (v >>> 16) & 0xff;
  buf[p + 3] = (v >>> 24) & 0xff;
}

export function readU32(buf: Uint8Array, p: number): number {
  return (buf[p] | (buf[p + 1] << 8) | (buf[p + 2] << 16) | (buf[p + 3] << 24)) >>> 0;
}

export function writeU64(buf: Uint8Array, p: number, v: number): void {
  writeU32(buf, p, v >>> 0);
  writeU32(buf, p + 4, Math.floor(v / 2 ** 32));
}

/** A u64 as a number; values past 2^53 (never written) read as NaN so that range checks fail. */
export function readU64(buf: Uint8Array, p: number): number {
  const hi = readU32(buf, p + 4);
  if (hi >= 2 ** 21) return Number.NaN;
  return readU32(buf, p) + hi * 2 ** 32;
}

/** The error for damage in one part of a pack: the message names the file and the section. */
export function packCorruption(path: string, section: string, what: string): CorruptionError {
  return new CorruptionError(`${path} [${section}]`, what);
}

export function encodeHeader(): Uint8Array {
  const h = new Uint8Array(PACK_HEADER_SIZE);
  h.set(PACK_MAGIC, 0);
  writeU32(h, 8, PACK_FORMAT_VERSION);
  writeU32(h, 12, crc32(h, 0, 12));
  return h;
}

/** The section table and trailer for these sections, which start right after the header. */
export function encodeFooter(sections: readonly SectionEntry[], bodyCrc: number): Uint8Array {
  const n = sections.length;
  const out = new Uint8Array(n * SECTION_ENTRY_SIZE + PACK_TRAILER_SIZE);
  let tableOffset = PACK_HEADER_SIZE;
  for (let i = 0; i < n; i++) {
    const s = sections[i];
    const p = i * SECTION_ENTRY_SIZE;
    writeU32(out, p, s.kind);
    writeU64(out, p + 4, s.offset);
    writeU64(out, p + 12, s.length);
    writeU32(out, p + 20, s.crc);
    tableOffset = s.offset + s.length;
  }
  const t = n * SECTION_ENTRY_SIZE;
  writeU64(out, t, tableOffset);
  writeU32(out, t + 8, n);
  writeU32(out, t + 12, bodyCrc);
  writeU32(out, t + 16, PACK_FORMAT_VERSION);
  writeU32(out, t + 20, crc32(out, 0, t + 20));
  out.set(PACK_MAGIC, t + 24);
  return out;
}

function magicAt(buf: Uint8Array, p: number): boolean {
  for (let i = 0; i < 8; i++) if (buf[p + i] !== PACK_MAGIC[i]) return false;
  return true;
}

/** Checks the magic at the start of the file (`h`: at least its first 8 bytes). */
export function checkMagic(path: string, h: Uint8Array): void {
  if (!magicAt(h, 0)) throw packCorruption(path, "header", "bad magic (not a Shale pack, or damaged)");
}

/** Checks the 16 header bytes. */
export function checkHeader(path: string, h: Uint8Array): void {
  checkMagic(path, h);
  if (readU32(h, 12) !== crc32(h, 0, 12)) throw packCorruption(path, "header", "checksum mismatch");
  const version = readU32(h, 8);
  if (!PACK_FORMAT_VERSIONS.includes(version)) {
    throw packCorruption(
      path,
      "header",
      `unsupported pack format version ${version} (this Shale reads ${PACK_FORMAT_VERSIONS.join(" and ")})`,
    );
  }
}

/** Where the footer starts, from the trailer (the file's last 32 bytes); checks what the trailer alone can. */
export function readTrailer(path: string, fileSize: number, t: Uint8Array): { tableOffset: number; count: number } {
  if (!magicAt(t, 24)) throw packCorruption(path, "footer", "footer missing: no magic at the end (file truncated?)");
  const tableOffset = readU64(t, 0);
  const count = readU32(t, 8);
  const expected = tableOffset + count * SECTION_ENTRY_SIZE + PACK_TRAILER_SIZE;
  if (!(tableOffset >= PACK_HEADER_SIZE) || expected !== fileSize) {
    throw packCorruption(
      path,
      "footer",
      `the trailer puts the section table at ${tableOffset} with ${count} entries, which does not fit a file of ${fileSize} bytes (truncated or damaged)`,
    );
  }
  return { tableOffset, count };
}

/**
 * Parses and checks the footer (`footer` holds the section table and the trailer). The sections must
 * tile the body: the first starts after the header, each starts where the previous ended, and the
 * last ends at the section table.
 */
export function decodeFooter(
  path: string,
  footer: Uint8Array,
  tableOffset: number,
): { sections: SectionEntry[]; bodyCrc: number } {
  const t = footer.length - PACK_TRAILER_SIZE;
  if (readU32(footer, t + 20) !== crc32(footer, 0, t + 20)) throw packCorruption(path, "footer", "checksum mismatch");
  const version = readU32(footer, t + 16);
  if (!PACK_FORMAT_VERSIONS.includes(version)) {
    throw packCorruption(
      path,
      "footer",
      `unsupported pack format version ${version} (this Shale reads ${PACK_FORMAT_VERSIONS.join(" and ")})`,
    );
  }
  const count = t / SECTION_ENTRY_SIZE;
  const sections: SectionEntry[] = [];
  let expected = PACK_HEADER_SIZE;
  let manifests = 0;
  for (let i = 0; i < count; i++) {
    const p = i * SECTION_ENTRY_SIZE;
    const s: SectionEntry = {
      kind: readU32(footer, p),
      offset: readU64(footer, p + 4),
      length: readU64(footer, p + 12),
      crc: readU32(footer, p + 20),
    };
    if (s.offset !== expected || !(s.length >= 0) || s.offset + s.length > tableOffset) {
      throw packCorruption(path, "footer", `section ${i} (offset ${s.offset}, length ${s.length}) is out of place`);
    }
    if (s.kind === SECTION_MANIFEST) manifests++;
    expected = s.offset + s.length;
    sections.push(s);
  }
  if (expected !== tableOffset) {
    throw packCorruption(path, "footer", `the sections end at ${expected}, not at the section table (${tableOffset})`);
  }
  if (manifests !== 1) throw packCorruption(path, "footer", `${manifests} manifest sections (expected 1)`);
  return { sections, bodyCrc: readU32(footer, t + 12) };
}

function b64(k: Uint8Array): string {
  return Buffer.from(k.buffer, k.byteOffset, k.byteLength).toString("base64");
}

export function encodeManifest(m: PackManifest): Uint8Array {
  const json = {
    ...m,
    segments: m.segments.map((s) => ({ ...s, smallest: b64(s.smallest), largest: b64(s.largest) })),
  };
  return new TextEncoder().encode(JSON.stringify(json));
}

/**
 * Parses the manifest section and checks it against the section table (`segmentSizes`: each
 * segment section's length, or -1 for a deflated one, whose size is checked when it is inflated).
 */
export function decodeManifest(path: string, bytes: Uint8Array, segmentSizes: readonly number[]): PackManifest {
  const bad = (what: string): CorruptionError => packCorruption(path, "manifest", what);
  let raw: Record<string, unknown>;
  try {
    raw = JSON.parse(new TextDecoder("utf-8", { fatal: true }).decode(bytes)) as Record<string, unknown>;
  } catch {
    throw bad("not valid UTF-8 JSON");
  }
  if (raw === null || typeof raw !== "object" || Array.isArray(raw)) throw bad("not a JSON object");
  const int = (v: unknown, what: string): number => {
    if (typeof v !== "number" || !Number.isSafeInteger(v) || v < 0) throw bad(`${what} is not a non-negative integer`);
    return v;
  };
  const str = (v: unknown, what: string): string => {
    if (typeof v !== "string") throw bad(`${what} is not a string`);
    return v;
  };
  const key = (v: unknown, what: string): Uint8Array => {
    const s = str(v, what);
    if (!/^[A-Za-z0-9+/]*={0,2}$/.test(s)) throw bad(`${what} is not base64`);
    return new Uint8Array(Buffer.from(s, "base64"));
  };
  const format = int(raw.format, "format");
  if (!PACK_FORMAT_VERSIONS.includes(format)) throw bad(`unsupported manifest format ${format}`);
  const levels = int(raw.levels, "levels");
  if (levels < 1 || levels > 64) throw bad(`levels ${levels} out of range`);
  const compression = str(raw.compression, "compression");
  if (!["store", "none", "deflate", "zstd"].includes(compression)) throw bad(`unknown compression ${compression}`);
  if (!Array.isArray(raw.tables)) throw bad("tables is not an array");
  const tables: TableInfo[] = raw.tables.map((t: unknown, i: number) => {
    if (t === null || typeof t !== "object") throw bad(`tables[${i}] is not an object`);
    const o = t as Record<string, unknown>;
    if (o.schema === null || typeof o.schema !== "object") throw bad(`tables[${i}].schema is not an object`);
    return {
      name: str(o.name, `tables[${i}].name`),
      id: int(o.id, `tables[${i}].id`),
      schema: o.schema as TableInfo["schema"],
      rows: int(o.rows, `tables[${i}].rows`),
    };
  });
  if (!Array.isArray(raw.segments)) throw bad("segments is not an array");
  if (raw.segments.length !== segmentSizes.length) {
    throw bad(`describes ${raw.segments.length} segments, but the pack holds ${segmentSizes.length}`);
  }
  const segments: PackSegment[] = raw.segments.map((s: unknown, i: number) => {
    if (s === null || typeof s !== "object") throw bad(`segments[${i}] is not an object`);
    const o = s as Record<string, unknown>;
    const seg: PackSegment = {
      level: int(o.level, `segments[${i}].level`),
      smallest: key(o.smallest, `segments[${i}].smallest`),
      largest: key(o.largest, `segments[${i}].largest`),
      entries: int(o.entries, `segments[${i}].entries`),
      minSeq: int(o.minSeq, `segments[${i}].minSeq`),
      maxSeq: int(o.maxSeq, `segments[${i}].maxSeq`),
      size: int(o.size, `segments[${i}].size`),
    };
    if (o.globalSeq !== undefined) seg.globalSeq = int(o.globalSeq, `segments[${i}].globalSeq`);
    if (seg.level >= levels) throw bad(`segments[${i}] is at level ${seg.level}, past the last (${levels - 1})`);
    if (segmentSizes[i] >= 0 && seg.size !== segmentSizes[i])
      throw bad(`segments[${i}] has size ${seg.size}, its section ${segmentSizes[i]}`);
    if (compareKeys(seg.smallest, seg.largest) > 0) throw bad(`segments[${i}] has smallest key > largest key`);
    if (seg.minSeq > seg.maxSeq) throw bad(`segments[${i}] has minSeq > maxSeq`);
    if (seg.maxSeq > MAX_SEQ || (seg.globalSeq ?? 0) > MAX_SEQ)
      throw bad(`segments[${i}] has a sequence number past 2^52 - 1`);
    return seg;
  });
  const manifest: PackManifest = {
    format,
    shale: str(raw.shale, "shale"),
    created: str(raw.created, "created"),
    lastSeq: int(raw.lastSeq, "lastSeq"),
    levels,
    compression: compression as PackManifest["compression"],
    tables,
    segments,
  };
  // Level 0 newest first; deeper levels in key order without overlap (how readers walk them).
  let prev: PackSegment | undefined;
  for (const s of segments) {
    if (prev && s.level < prev.level) throw bad("segments are not listed level by level");
    if (prev && s.level === prev.level) {
      if (s.level === 0 && (s.globalSeq ?? s.maxSeq) > (prev.globalSeq ?? prev.maxSeq)) {
        throw bad("level-0 segments are not listed newest first");
      }
      if (s.level > 0 && compareKeys(prev.largest, s.smallest) >= 0) {
        throw bad(`level-${s.level} segments overlap or are out of order`);
      }
    }
    prev = s;
  }
  return manifest;
}
