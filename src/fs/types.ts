// The FileSystem waist: the one narrow interface through which every byte of Shale's file I/O
// passes. Real disks (node.ts), an in-memory disk that can simulate crashes (memory.ts) and a
// fault-injecting wrapper (faulty.ts) implement it, which is what makes crash and fault tests
// cheap and honest.
//
// Reads, appends and namespace operations are synchronous: on cached data they cost a couple of
// microseconds, where an async call costs tens. Only the operations that wait for the disk
// (fdatasync of a file, fsync of a directory) are asynchronous, so many of them can run in
// parallel on the libuv pool while the event loop keeps working.

/** Which kind of operation a FileSystem call is; fault injection matches on it. */
export type FsOp =
  | "open"
  | "read"
  | "write"
  | "sync"
  | "close"
  | "rename"
  | "unlink"
  | "mkdir"
  | "readdir"
  | "syncDir"
  | "lock"
  | "link"
  | "truncate"
  | "stat";

/** An error from the file system, carrying a POSIX-style code (ENOENT, EIO, ENOSPC, ...). */
export class FsError extends Error {
  readonly code: string;
  readonly op: FsOp;
  readonly path: string;
  constructor(code: string, op: FsOp, path: string, message?: string) {
    super(message ?? `${code}: ${op} failed on ${path}`);
    this.name = "FsError";
    this.code = code;
    this.op = op;
    this.path = path;
  }
}

/** A file opened for reading at arbitrary offsets. */
export interface ReadableFile {
  readonly path: string;
  /** Size in bytes when opened (files Shale reads this way are immutable). */
  readonly size: number;
  /** Reads up to `length` bytes at `position` into `buf` at `offset`; returns bytes read. */
  read(buf: Uint8Array, offset: number, length: number, position: number): number;
  close(): void;
}

/** A file opened for writing. Writes go to the OS (page cache) synchronously; `sync` waits for the disk. */
export interface WritableFile {
  readonly path: string;
  /** Current logical size (the end where `append` writes). */
  readonly size: number;
  /** Appends all of `data` at the end of the file. */
  append(data: Uint8Array): void;
  /** Writes all of `data` at `position` (used to overwrite recycled files in place). */
  writeAt(data: Uint8Array, position: number): void;
  /** Cuts the file to `size` bytes. */
  truncate(size: number): void;
  /** fdatasync: resolves once everything written so far is on the disk. */
  sync(): Promise<void>;
  /** Synchronous fdatasync, for paths that must not yield (rare; prefer `sync`). */
  syncSync(): void;
  close(): void;
}

/** An exclusive lock on a file, held until released or the process dies. */
export interface FileLock {
  readonly path: string;
  release(): void;
}

export interface OpenWriteOptions {
  /** Truncate an existing file to zero length (default false: keep contents, append at end). */
  truncate?: boolean;
  /** Fail with EEXIST if the file exists. */
  exclusive?: boolean;
}

export interface FileSystem {
  openRead(path: string): ReadableFile;
  /** Opens (creating if needed) a file for writing. A new file's name is durable only after `syncDir` of its directory. */
  openWrite(path: string, options?: OpenWriteOptions): WritableFile;
  /** Reads a whole file. */
  readFile(path: string): Uint8Array;
  /** Atomically replaces `to` with `from`. Durable only after `syncDir`. */
  rename(from: string, to: string): void;
  unlink(path: string): void;
  /** Creates a directory and its parents; no error if it exists. */
  mkdir(path: string): void;
  /** Names in a directory (not paths), in no particular order. ENOENT if missing. */
  readdir(path: string): string[];
  exists(path: string): boolean;
  /** Size of a file in bytes. */
  size(path: string): number;
  /** Makes a hard link `to` for `from`; EXDEV or ENOTSUP when not possible (callers then copy). */
  link(from: string, to: string): void;
  /** fsync of a directory: makes the creation, rename and removal of its entries durable. */
  syncDir(path: string): Promise<void>;
  /** Takes an exclusive lock on `path` (created if missing). Throws FsError EBUSY if another holder has it. */
  lock(path: string): FileLock;
}

/** Joins path parts with "/" (Shale's own paths are always POSIX-like). */
export function joinPath(...parts: string[]): string {
  return parts
    .filter((p) => p.length > 0)
    .join("/")
    .replace(/\/{2,}/g, "/");
}

/** The directory part of a path ("" for a bare name). */
export function dirName(path: string): string {
  const i = path.lastIndexOf("/");
  return i < 0 ? "." : i === 0 ? "/" : path.slice(0, i);
}
