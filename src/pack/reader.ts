// Opening a pack: read-only, in place (nothing is extracted), with the query API of a live store.
// `openPack` checks the whole file before it returns: the header, the footer, every section's
// checksum (one pass over the file) and the manifest; then it opens each segment section through
// a window on the one open file and rebuilds the levels. Damage anywhere is a CorruptionError that
// names the section, so nothing is ever read from a section whose checksum failed.

import { inflateRawSync } from "node:zlib";
import type { ReadOptions, Snapshot } from "../engine/store.js";
import type { IteratorOptions, Key, StoreIterator } from "../engine/store-iterator.js";
import type { FileMeta } from "../engine/version.js";
import { BlockCache } from "../format/block-cache.js";
import { compareKeys } from "../format/compare.js";
import { crc32 } from "../format/crc.js";
import { Segment } from "../format/segment.js";
import { NodeFileSystem } from "../fs/node.js";
import type { FileSystem, ReadableFile } from "../fs/types.js";
import type { KvReader } from "../table/reader.js";
import { Tables } from "../table/tables.js";
import { crc32Combine, crc32Update } from "./crc.js";
import {
  checkHeader,
  checkMagic,
  decodeFooter,
  decodeManifest,
  isSegmentSection,
  PACK_HEADER_SIZE,
  PACK_TRAILER_SIZE,
  type PackManifest,
  packCorruption,
  readTrailer,
  SECTION_ENTRY_SIZE,
  SECTION_MANIFEST,
  SECTION_SEGMENT,
  SECTION_SEGMENT_DEFLATED,
  type SectionEntry,
} from "./format.js";
import { FrozenReader } from "./frozen-reader.js";
import { BytesFile, SliceFile } from "./slice-file.js";

export interface OpenPackOptions {
  /** Where the file lives (default: the real file system). */
  fs?: FileSystem;
  /** Bytes of decoded blocks to keep in memory (default 64 MiB). */
  cacheBytes?: number;
}

/** Sections are checked in reads of this size. */
const VERIFY_CHUNK = 1 << 20;

/** An open pack. Reads are synchronous, as on a live store; `close` when done. */
export class Pack implements KvReader {
  readonly path: string;
  /** The manifest: tables with schemas and row counts, when and by which Shale it was written, the segments. */
  readonly manifest: PackManifest;
  /** Bytes of the file. */
  readonly size: number;
  private readonly file: ReadableFile;
  private readonly segments: Segment[];
  private readonly reader: FrozenReader;
  private tablesView: Tables | null = null;

  /** @internal Use `openPack`. */
  constructor(path: string, file: ReadableFile, manifest: PackManifest, segments: Segment[], levels: FileMeta[][]) {
    this.path = path;
    this.file = file;
    this.size = file.size;
    this.manifest = manifest;
    this.segments = segments;
    this.reader = new FrozenReader(levels, (f) => segments[f.number], manifest.lastSeq, `the pack ${path}`);
  }

  /** The pack's tables, read-only: `pack.tables.table("grants").query(...)` as on a live store. */
  get tables(): Tables {
    if (this.tablesView === null) this.tablesView = Tables.openReadOnly(this);
    return this.tablesView;
  }

  /** Reads see every entry up to this sequence number (the store's state when it was packed). */
  get lastSeq(): number {
    return this.manifest.lastSeq;
  }

  get(key: Key, options?: ReadOptions): Uint8Array | undefined {
    return this.reader.get(key, options);
  }

  getMany(keys: readonly Key[], options?: ReadOptions): (Uint8Array | undefined)[] {
    return keys.map((k) => this.reader.get(k, options));
  }

  iterator(options?: IteratorOptions & ReadOptions): StoreIterator {
    return this.reader.iterator(options);
  }

  snapshot(): Snapshot {
    return this.reader.snapshot();
  }

  /** Closes the file. Open iterators are closed; using them, or the pack, afterwards throws StoreClosedError. */
  close(): void {
    this.reader.close();
    for (const s of this.segments) s.close();
    this.file.close();
  }
}

/** Opens the pack at `file` for reading; throws CorruptionError (naming the section) if any part is damaged. */
export function openPack(file: string, options: OpenPackOptions = {}): Pack {
  const fs = options.fs ?? new NodeFileSystem();
  const handle = fs.openRead(file);
  try {
    return openOn(file, handle, options);
  } catch (err) {
    handle.close();
    throw err;
  }
}

function readExactly(f: ReadableFile, path: string, section: string, position: number, length: number): Uint8Array {
  const buf = new Uint8Array(length);
  const got = f.read(buf, 0, length, position);
  if (got !== length) throw packCorruption(path, section, `short read at ${position} (${got} of ${length} bytes)`);
  return buf;
}

function openOn(path: string, file: ReadableFile, options: OpenPackOptions): Pack {
  const size = file.size;
  if (size < PACK_HEADER_SIZE + PACK_TRAILER_SIZE) {
    if (size >= 8) checkMagic(path, readExactly(file, path, "header", 0, 8));
    throw packCorruption(
      path,
      "footer",
      `footer missing: a file of ${size} bytes is too short for a pack (truncated?)`,
    );
  }
  const header = readExactly(file, path, "header", 0, PACK_HEADER_SIZE);
  checkHeader(path, header);
  const trailer = readExactly(file, path, "footer", size - PACK_TRAILER_SIZE, PACK_TRAILER_SIZE);
  const { tableOffset, count } = readTrailer(path, size, trailer);
  const footer = readExactly(file, path, "footer", tableOffset, count * SECTION_ENTRY_SIZE + PACK_TRAILER_SIZE);
  const { sections, bodyCrc } = decodeFooter(path, footer, tableOffset);

  // One pass over the body: every section's checksum, and the body's from theirs.
  const names = sectionNames(sections);
  let body = crc32(header);
  let manifestBytes: Uint8Array | null = null;
  // Deflated segment sections are read whole here and kept, to be inflated below without a second read.
  const deflated = new Map<SectionEntry, Uint8Array>();
  const chunk = new Uint8Array(Math.min(VERIFY_CHUNK, Math.max(tableOffset, 1)));
  for (let i = 0; i < sections.length; i++) {
    const s = sections[i];
    let crc: number;
    if (s.kind === SECTION_MANIFEST) {
      manifestBytes = readExactly(file, path, names[i], s.offset, s.length);
      crc = crc32(manifestBytes);
    } else if (s.kind === SECTION_SEGMENT_DEFLATED) {
      const stored = readExactly(file, path, names[i], s.offset, s.length);
      deflated.set(s, stored);
      crc = crc32(stored);
    } else {
      crc = checksumRange(file, path, names[i], s.offset, s.length, chunk);
    }
    if (crc !== s.crc) throw packCorruption(path, names[i], "checksum mismatch");
    body = crc32Combine(body, crc, s.length);
  }
  if (body !== bodyCrc) throw packCorruption(path, "footer", "body checksum mismatch");

  const segmentSections = sections.filter((s) => isSegmentSection(s.kind));
  const manifest = decodeManifest(
    path,
    manifestBytes as Uint8Array,
    segmentSections.map((s) => (s.kind === SECTION_SEGMENT ? s.length : -1)),
  );

  const cache = new BlockCache(options.cacheBytes ?? 64 << 20);
  const segments: Segment[] = [];
  const levels: FileMeta[][] = Array.from({ length: manifest.levels }, () => []);
  try {
    for (let i = 0; i < segmentSections.length; i++) {
      const s = segmentSections[i];
      const m = manifest.segments[i];
      const name = `segment#${i}`;
      const slice =
        s.kind === SECTION_SEGMENT
          ? new SliceFile(file, s.offset, s.length, `${path} [${name}]`)
          : new BytesFile(inflateSection(deflated.get(s) as Uint8Array, path, name, m.size), `${path} [${name}]`);
      const seg = Segment.open(slice, { fileNumber: i, cache, globalSeq: m.globalSeq });
      segments.push(seg);
      const p = seg.properties;
      if (
        p.entries !== m.entries ||
        compareKeys(p.smallestKey, m.smallest) !== 0 ||
        compareKeys(p.largestKey, m.largest) !== 0
      ) {
        throw packCorruption(path, "manifest", `its description of ${name} does not match the segment`);
      }
      levels[m.level].push({
        number: i,
        level: m.level,
        size: m.size,
        smallest: m.smallest,
        largest: m.largest,
        minSeq: m.minSeq,
        maxSeq: m.maxSeq,
        entries: m.entries,
        globalSeq: m.globalSeq,
      });
    }
  } catch (err) {
    for (const s of segments) s.close();
    throw err;
  }
  return new Pack(path, file, manifest, segments, levels);
}

/** "segment#0", "segment#1", ..., "manifest", and "section#i" for kinds this version does not know. */
function sectionNames(sections: readonly SectionEntry[]): string[] {
  let segments = 0;
  return sections.map((s, i) =>
    isSegmentSection(s.kind) ? `segment#${segments++}` : s.kind === SECTION_MANIFEST ? "manifest" : `section#${i}`,
  );
}

/** A deflated segment section's stored bytes (its checksum was checked), inflated; they must inflate to `size` bytes. */
function inflateSection(stored: Uint8Array, path: string, name: string, size: number): Uint8Array {
  let bytes: Uint8Array;
  try {
    bytes = inflateRawSync(stored, { maxOutputLength: Math.max(1, size) });
  } catch (err) {
    throw packCorruption(
      path,
      name,
      `does not inflate to the ${size} bytes the manifest gives (${(err as Error).message})`,
    );
  }
  if (bytes.length !== size) {
    throw packCorruption(path, name, `inflates to ${bytes.length} bytes; the manifest gives ${size}`);
  }
  return bytes;
}

function checksumRange(
  file: ReadableFile,
  path: string,
  section: string,
  offset: number,
  length: number,
  chunk: Uint8Array,
): number {
  let crc = 0;
  let done = 0;
  while (done < length) {
    const n = Math.min(chunk.length, length - done);
    const got = file.read(chunk, 0, n, offset + done);
    if (got !== n) throw packCorruption(path, section, `short read at ${offset + done} (${got} of ${n} bytes)`);
    crc = crc32Update(crc, chunk, 0, n);
    done += n;
  }
  return crc;
}
