// Versions: which segment files make up the store, at which level, and the manifest that records
// every change to that set.
//
// A Version is an immutable list of files per level. Level 0 holds flushed memtables and ingested
// files that overlap others; its files may overlap and are ordered newest first. Levels 1+ hold
// files with disjoint key ranges, ordered by key. Readers (iterators, snapshots) hold a reference
// on the version they started with, so compaction never deletes a file someone still reads.
//
// The manifest (`MANIFEST-<n>`) is a log of framed records (format/record.ts, log number = n,
// type 2) whose payload is a version edit in UTF-8 JSON:
//
//   { "snapshot"?: true, "nextFile"?: n, "lastSeq"?: n, "logNumber"?: n,
//     "add"?: [ { "level", "number", "size", "smallest": base64, "largest": base64,
//                 "minSeq", "maxSeq", "entries", "globalSeq"? } ],
//     "del"?: [ [level, number] ] }
//
// The first record of every manifest is a snapshot edit holding the whole state. `CURRENT` holds
// the name of the live manifest and a newline; it is switched by writing `CURRENT.tmp`, syncing
// it, renaming it over `CURRENT` and syncing the directory. A new manifest is started on every
// open and whenever the old one grows past a few megabytes.

import { compareKeys } from "../format/compare.js";
import { CorruptionError } from "../format/errors.js";
import { encodeRecord, readLog } from "../format/record.js";
import { type FileSystem, joinPath, type WritableFile } from "../fs/types.js";

export const MANIFEST_EDIT = 2;
const MAX_MANIFEST_BYTES = 4 << 20;

export interface FileMeta {
  number: number;
  level: number;
  size: number;
  /** Smallest and largest user keys in the file. */
  smallest: Uint8Array;
  largest: Uint8Array;
  minSeq: number;
  maxSeq: number;
  entries: number;
  /** For an ingested file: every entry reads with this sequence number. */
  globalSeq?: number;
}

export interface VersionEdit {
  snapshot?: boolean;
  nextFile?: number;
  lastSeq?: number;
  logNumber?: number;
  add?: FileMeta[];
  del?: Array<[number, number]>;
}

export function segmentFileName(num: number): string {
  return `${String(num).padStart(6, "0")}.sst`;
}

export function manifestFileName(num: number): string {
  return `MANIFEST-${String(num).padStart(6, "0")}`;
}

/** The newest sequence number a file's entries carry. */
export function fileSeq(f: FileMeta): number {
  return f.globalSeq ?? f.maxSeq;
}

export class Version {
  refs = 0;
  constructor(readonly levels: FileMeta[][]) {}

  static empty(numLevels: number): Version {
    return new Version(Array.from({ length: numLevels }, () => []));
  }

  files(): FileMeta[] {
    return this.levels.flat();
  }

  levelBytes(level: number): number {
    let n = 0;
    for (const f of this.levels[level]) n += f.size;
    return n;
  }

  /** Files of `level` whose key range intersects [lo, hi] (either bound may be undefined = open). */
  overlapping(level: number, lo: Uint8Array | undefined, hi: Uint8Array | undefined): FileMeta[] {
    return this.levels[level].filter(
      (f) =>
        (hi === undefined || compareKeys(f.smallest, hi) <= 0) && (lo === undefined || compareKeys(f.largest, lo) >= 0),
    );
  }

  /** Index of the first file in a sorted level (1+) whose largest key >= key. */
  static findFile(files: FileMeta[], key: Uint8Array): number {
    let lo = 0;
    let hi = files.length;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if (compareKeys(files[mid].largest, key) < 0) lo = mid + 1;
      else hi = mid;
    }
    return lo;
  }

  /** A new version with `edit` applied. */
  apply(edit: VersionEdit): Version {
    const levels = this.levels.map((l) => l.slice());
    if (edit.del) {
      for (const [level, num] of edit.del) {
        const i = levels[level]?.findIndex((f) => f.number === num) ?? -1;
        if (i < 0) throw new Error(`version edit deletes file ${num} which is not at level ${level}`);
        levels[level].splice(i, 1);
      }
    }
    if (edit.add) {
      for (const f of edit.add) {
        if (f.level >= levels.length) throw new Error(`version edit adds a file at level ${f.level} beyond the last`);
        levels[f.level].push(f);
      }
    }
    levels[0].sort((a, b) => fileSeq(b) - fileSeq(a) || b.number - a.number);
    for (let l = 1; l < levels.length; l++) levels[l].sort((a, b) => compareKeys(a.smallest, b.smallest));
    return new Version(levels);
  }
}

function b64(k: Uint8Array): string {
  return Buffer.from(k.buffer, k.byteOffset, k.byteLength).toString("base64");
}

function unb64(s: unknown, file: string): Uint8Array {
  if (typeof s !== "string") throw new CorruptionError(file, "file key is not a string");
  return new Uint8Array(Buffer.from(s, "base64"));
}

function encodeEdit(edit: VersionEdit): Uint8Array {
  const json = JSON.stringify({
    ...edit,
    add: edit.add?.map((f) => ({ ...f, smallest: b64(f.smallest), largest: b64(f.largest) })),
  });
  return new TextEncoder().encode(json);
}

function num(v: unknown, what: string, file: string): number {
  if (typeof v !== "number" || !Number.isSafeInteger(v) || v < 0) {
    throw new CorruptionError(file, `manifest field ${what} is not a non-negative integer`);
  }
  return v;
}

function decodeEdit(payload: Uint8Array, file: string): VersionEdit {
  let raw: Record<string, unknown>;
  try {
    raw = JSON.parse(new TextDecoder().decode(payload)) as Record<string, unknown>;
  } catch {
    throw new CorruptionError(file, "manifest edit is not valid JSON");
  }
  const edit: VersionEdit = {};
  if (raw.snapshot === true) edit.snapshot = true;
  if (raw.nextFile !== undefined) edit.nextFile = num(raw.nextFile, "nextFile", file);
  if (raw.lastSeq !== undefined) edit.lastSeq = num(raw.lastSeq, "lastSeq", file);
  if (raw.logNumber !== undefined) edit.logNumber = num(raw.logNumber, "logNumber", file);
  if (Array.isArray(raw.del)) {
    edit.del = raw.del.map((d: unknown) => {
      if (!Array.isArray(d)) throw new CorruptionError(file, "manifest del entry is not a pair");
      return [num(d[0], "del.level", file), num(d[1], "del.number", file)] as [number, number];
    });
  }
  if (Array.isArray(raw.add)) {
    edit.add = raw.add.map((a: Record<string, unknown>) => {
      const f: FileMeta = {
        level: num(a.level, "level", file),
        number: num(a.number, "number", file),
        size: num(a.size, "size", file),
        smallest: unb64(a.smallest, file),
        largest: unb64(a.largest, file),
        minSeq: num(a.minSeq, "minSeq", file),
        maxSeq: num(a.maxSeq, "maxSeq", file),
        entries: num(a.entries, "entries", file),
      };
      if (a.globalSeq !== undefined) f.globalSeq = num(a.globalSeq, "globalSeq", file);
      return f;
    });
  }
  return edit;
}

/** The live version, the counters that go with it, and the manifest that makes them durable. */
export class VersionSet {
  current: Version;
  nextFile = 2;
  /** Highest sequence number held in segment files. */
  lastSeq = 0;
  /** Oldest WAL generation that may still hold unflushed writes. */
  logNumber = 0;
  private manifest: WritableFile | null = null;
  /** Set when a manifest write or sync failed: no further edits are accepted. */
  failure: Error | null = null;
  private manifestNumber = 0;
  private readonly live = new Set<Version>();
  private queue: Promise<void> = Promise.resolve();

  constructor(
    private readonly fs: FileSystem,
    private readonly dir: string,
    private readonly numLevels: number,
  ) {
    this.current = Version.empty(numLevels);
    this.current.refs = 1;
    this.live.add(this.current);
  }

  get manifestName(): string {
    return manifestFileName(this.manifestNumber);
  }

  /** True if the directory holds a store (a CURRENT file). */
  exists(): boolean {
    return this.fs.exists(joinPath(this.dir, "CURRENT"));
  }

  /** Loads the state named by CURRENT. */
  recover(): void {
    const currentPath = joinPath(this.dir, "CURRENT");
    const name = new TextDecoder().decode(this.fs.readFile(currentPath)).trim();
    const m = /^MANIFEST-(\d+)$/.exec(name);
    if (!m) throw new CorruptionError(currentPath, `CURRENT names "${name.slice(0, 40)}", not a manifest`);
    const path = joinPath(this.dir, name);
    if (!this.fs.exists(path)) throw new CorruptionError(currentPath, `CURRENT names ${name}, which is missing`);
    const { records } = readLog(this.fs.readFile(path), Number(m[1]), path, true);
    if (records.length === 0 || records[0].type !== MANIFEST_EDIT) {
      throw new CorruptionError(path, "manifest has no snapshot record");
    }
    let version = Version.empty(this.numLevels);
    for (const r of records) {
      if (r.type !== MANIFEST_EDIT) throw new CorruptionError(path, `unknown manifest record type ${r.type}`);
      const edit = decodeEdit(r.payload, path);
      try {
        version = version.apply(edit);
      } catch (err) {
        throw new CorruptionError(path, (err as Error).message);
      }
      if (edit.nextFile !== undefined) this.nextFile = edit.nextFile;
      if (edit.lastSeq !== undefined) this.lastSeq = edit.lastSeq;
      if (edit.logNumber !== undefined) this.logNumber = edit.logNumber;
    }
    this.manifestNumber = Number(m[1]);
    this.install(version);
  }

  newFileNumber(): number {
    return this.nextFile++;
  }

  /** Starts a fresh manifest holding the whole state, and points CURRENT at it. */
  async rollManifest(): Promise<void> {
    await this.serialized(async () => {
      await this.writeNewManifest();
    });
  }

  private async writeNewManifest(): Promise<void> {
    if (this.failure) throw this.failure;
    const number = this.newFileNumber();
    const path = joinPath(this.dir, manifestFileName(number));
    const file = this.fs.openWrite(path, { truncate: true });
    const snapshot: VersionEdit = {
      snapshot: true,
      nextFile: this.nextFile,
      lastSeq: this.lastSeq,
      logNumber: this.logNumber,
      add: this.current.files(),
    };
    file.append(encodeRecord(encodeEdit(snapshot), number, MANIFEST_EDIT));
    await file.sync();
    const tmp = joinPath(this.dir, "CURRENT.tmp");
    const cur = this.fs.openWrite(tmp, { truncate: true });
    cur.append(new TextEncoder().encode(`${manifestFileName(number)}\n`));
    await cur.sync();
    cur.close();
    this.fs.rename(tmp, joinPath(this.dir, "CURRENT"));
    await this.fs.syncDir(this.dir);
    const old = this.manifest;
    const oldNumber = this.manifestNumber;
    this.manifest = file;
    this.manifestNumber = number;
    if (old) old.close();
    if (oldNumber > 0 && oldNumber !== number) {
      try {
        this.fs.unlink(joinPath(this.dir, manifestFileName(oldNumber)));
      } catch {
        // an old manifest left behind is harmless; the next open removes it
      }
    }
  }

  private serialized<T>(fn: () => Promise<T>): Promise<T> {
    const run = this.queue.then(fn);
    this.queue = run.then(
      () => undefined,
      () => undefined,
    );
    return run;
  }

  /**
   * Makes `edit` durable in the manifest, then installs the version it produces. Edits are
   * applied one at a time, each against the version current when its turn comes. `onInstall` runs
   * in the same synchronous step as the install, so readers never see a half-made change.
   */
  logAndApply(edit: VersionEdit, onInstall?: () => void): Promise<Version> {
    return this.serialized(async () => {
      if (this.failure) throw this.failure;
      if (!this.manifest) throw new Error("the manifest is not open");
      const next = this.current.apply(edit);
      if (edit.nextFile === undefined) edit.nextFile = this.nextFile;
      try {
        this.manifest.append(encodeRecord(encodeEdit(edit), this.manifestNumber, MANIFEST_EDIT));
        await this.manifest.sync();
      } catch (err) {
        // The edit may or may not be on disk now. Nothing more may be appended after it (a torn
        // record followed by valid ones reads as damage) and nothing it names may be deleted:
        // the store must be reopened, which recovers whichever state the disk holds.
        this.failure = err instanceof Error ? err : new Error(String(err));
        throw err;
      }
      if (edit.lastSeq !== undefined && edit.lastSeq > this.lastSeq) this.lastSeq = edit.lastSeq;
      if (edit.logNumber !== undefined && edit.logNumber > this.logNumber) this.logNumber = edit.logNumber;
      this.install(next);
      onInstall?.();
      if (this.manifest.size > MAX_MANIFEST_BYTES) {
        try {
          await this.writeNewManifest();
        } catch (err) {
          // The edit itself is durable; only the switch to a fresh manifest failed. Stop here.
          this.failure = err instanceof Error ? err : new Error(String(err));
        }
      }
      return next;
    });
  }

  private install(v: Version): void {
    const old = this.current;
    v.refs++;
    this.live.add(v);
    this.current = v;
    this.unref(old);
  }

  ref(v: Version = this.current): Version {
    v.refs++;
    return v;
  }

  /** Drops a reference; returns true when the version died (files may have become obsolete). */
  unref(v: Version): boolean {
    v.refs--;
    if (v.refs === 0) {
      this.live.delete(v);
      return true;
    }
    return false;
  }

  /** Numbers of all files in any live version. */
  liveFiles(): Set<number> {
    const s = new Set<number>();
    for (const v of this.live) for (const level of v.levels) for (const f of level) s.add(f.number);
    return s;
  }

  close(): void {
    this.manifest?.close();
    this.manifest = null;
  }
}
