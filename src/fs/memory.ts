// An in-memory FileSystem that tracks what is durable, so that tests can cut the power at any
// point (`crashClone`) and check that the engine recovers from exactly what a real disk keeps.
//
// Model:
// - Paths are POSIX-like; "a//b", "./a", "a/" and "a/../a" all normalise to the same entry. A
//   relative path is resolved against the root, so "a/b" and "/a/b" name the same file and "."
//   is "/". Files need their parent directory to exist (ENOENT otherwise), as on a real disk.
// - A file is an inode: hard links share it, and unlinking a name leaves open handles working.
//   Each inode holds its current bytes, the bytes a crash would keep (its content at the last
//   `sync`) and the list of writes and truncations made since then, in order.
// - Every directory keeps two entry maps: the current one and the durable one. Creating,
//   renaming, linking and unlinking *files* change only the current map; `syncDir` copies the
//   current map of that directory to its durable map, as fsync of a directory does.
// - Simplification: directories themselves (mkdir, and rename of a directory) are durable at
//   once. Shale creates its directories up front, and this keeps the durable tree a tree.
// - `crashClone` builds a new file system from the durable state only: durable entries, each
//   file's synced content and, with `keepUnsynced: "random"`, a random prefix of the writes made
//   since the last sync, possibly ending in a torn (and optionally garbled) part of one write.
//   Locks are not carried over: the crashed process held them.
//
// Appends are amortised O(1): buffers grow by doubling. Each unsynced write is copied once into
// the pending list and once more into the synced image when `sync` runs.

import { randomInt } from "./random.js";
import {
  type FileLock,
  type FileSystem,
  FsError,
  type FsOp,
  type OpenWriteOptions,
  type ReadableFile,
  type WritableFile,
} from "./types.js";

/** A growable byte buffer. Invariant: bytes of `buf` beyond `length` are zero. */
class Bytes {
  buf: Uint8Array;
  length: number;
  constructor(capacity = 0) {
    this.buf = new Uint8Array(capacity);
    this.length = 0;
  }
  private ensure(capacity: number): void {
    if (capacity <= this.buf.length) return;
    const next = new Uint8Array(Math.max(capacity, this.buf.length * 2, 64));
    next.set(this.buf.subarray(0, this.length));
    this.buf = next;
  }
  write(data: Uint8Array, position: number): void {
    const end = position + data.length;
    this.ensure(end);
    this.buf.set(data, position);
    if (end > this.length) this.length = end;
  }
  truncate(size: number): void {
    if (size < this.length) this.buf.fill(0, size, this.length);
    else this.ensure(size);
    this.length = size;
  }
  view(): Uint8Array {
    return this.buf.subarray(0, this.length);
  }
  clone(): Bytes {
    const out = new Bytes(this.length);
    out.buf.set(this.view());
    out.length = this.length;
    return out;
  }
}

type PendingOp = { kind: "write"; position: number; data: Uint8Array } | { kind: "truncate"; size: number };

function applyOp(target: Bytes, op: PendingOp): void {
  if (op.kind === "write") target.write(op.data, op.position);
  else target.truncate(op.size);
}

class FileNode {
  readonly kind = "file";
  content = new Bytes();
  synced = new Bytes();
  pending: PendingOp[] = [];
  private pendingBytes = 0;

  write(data: Uint8Array, position: number): void {
    this.content.write(data, position);
    this.pending.push({ kind: "write", position, data: data.slice() });
    this.pendingBytes += data.length;
  }
  truncate(size: number): void {
    this.content.truncate(size);
    this.pending.push({ kind: "truncate", size });
  }
  sync(): void {
    if (this.pending.length === 0) return;
    if (this.pendingBytes >= this.content.length) {
      this.synced = this.content.clone();
    } else {
      for (const op of this.pending) applyOp(this.synced, op);
    }
    this.pending = [];
    this.pendingBytes = 0;
  }
}

class DirNode {
  readonly kind = "dir";
  entries = new Map<string, FsNode>();
  durable = new Map<string, FsNode>();
}

type FsNode = FileNode | DirNode;

interface SyncStats {
  fileSyncs: number;
  dirSyncs: number;
}

function components(path: string): string[] {
  const out: string[] = [];
  for (const part of path.split("/")) {
    if (part === "" || part === ".") continue;
    if (part === "..") out.pop();
    else out.push(part);
  }
  return out;
}

function checkRange(op: FsOp, path: string, value: number): void {
  if (!Number.isInteger(value) || value < 0) {
    throw new FsError("EINVAL", op, path, `EINVAL: ${op} on ${path} with invalid offset or size ${value}`);
  }
}

class MemoryReadable implements ReadableFile {
  private closed = false;
  readonly size: number;
  constructor(
    readonly path: string,
    private readonly node: FileNode,
  ) {
    this.size = node.content.length;
  }
  read(buf: Uint8Array, offset: number, length: number, position: number): number {
    if (this.closed) throw new FsError("EBADF", "read", this.path, `EBADF: read of closed file ${this.path}`);
    checkRange("read", this.path, position);
    const content = this.node.content;
    const n = Math.max(0, Math.min(length, content.length - position, buf.length - offset));
    if (n > 0) buf.set(content.buf.subarray(position, position + n), offset);
    return n;
  }
  close(): void {
    this.closed = true;
  }
}

class MemoryWritable implements WritableFile {
  private closed = false;
  private end: number;
  constructor(
    readonly path: string,
    private readonly node: FileNode,
    private readonly stats: SyncStats,
  ) {
    this.end = node.content.length;
  }
  get size(): number {
    return this.end;
  }
  private checkOpen(op: FsOp): void {
    if (this.closed) throw new FsError("EBADF", op, this.path, `EBADF: ${op} of closed file ${this.path}`);
  }
  append(data: Uint8Array): void {
    this.writeAt(data, this.end);
  }
  writeAt(data: Uint8Array, position: number): void {
    this.checkOpen("write");
    checkRange("write", this.path, position);
    this.node.write(data, position);
    if (position + data.length > this.end) this.end = position + data.length;
  }
  truncate(size: number): void {
    this.checkOpen("truncate");
    checkRange("truncate", this.path, size);
    this.node.truncate(size);
    this.end = size;
  }
  async sync(): Promise<void> {
    this.syncSync();
  }
  syncSync(): void {
    this.checkOpen("sync");
    this.node.sync();
    this.stats.fileSyncs++;
  }
  close(): void {
    this.closed = true;
  }
}

export interface CrashOptions {
  /** What survives of the data written after a file's last sync: nothing (default) or a random prefix. */
  keepUnsynced?: "none" | "random";
  /** Source of randomness for "random" (default Math.random); pass `seededRandom(seed)` to replay. */
  random?: () => number;
  /** With "random": whether the first lost write may survive in part (default true). */
  tornWrites?: boolean;
  /** With torn writes: whether the tail of a torn part may hold garbage instead of the data (default true). */
  garbage?: boolean;
}

export class MemoryFileSystem implements FileSystem {
  private root = new DirNode();
  private readonly locks = new Map<string, object>();
  private readonly stats: SyncStats = { fileSyncs: 0, dirSyncs: 0 };

  /** Number of file syncs (`sync` and `syncSync`) performed so far. */
  totalSyncs(): number {
    return this.stats.fileSyncs;
  }

  /** Number of directory syncs performed so far. */
  totalDirSyncs(): number {
    return this.stats.dirSyncs;
  }

  /** Walks to the directory holding `path`; ENOENT/ENOTDIR on the way. `rootCode` is thrown for "/". */
  private parentOf(path: string, op: FsOp, rootCode: string): { dir: DirNode; name: string } {
    const parts = components(path);
    if (path === "") throw new FsError("ENOENT", op, path);
    if (parts.length === 0) throw new FsError(rootCode, op, path);
    let dir = this.root;
    for (let i = 0; i < parts.length - 1; i++) {
      const next = dir.entries.get(parts[i]);
      if (next === undefined) throw new FsError("ENOENT", op, path);
      if (next.kind !== "dir") throw new FsError("ENOTDIR", op, path);
      dir = next;
    }
    return { dir, name: parts[parts.length - 1] };
  }

  private resolve(path: string, op: FsOp): FsNode {
    if (path === "") throw new FsError("ENOENT", op, path);
    const parts = components(path);
    if (parts.length === 0) return this.root;
    const { dir, name } = this.parentOf(path, op, "EISDIR");
    const node = dir.entries.get(name);
    if (node === undefined) throw new FsError("ENOENT", op, path);
    return node;
  }

  private resolveFile(path: string, op: FsOp): FileNode {
    const node = this.resolve(path, op);
    if (node.kind !== "file") throw new FsError("EISDIR", op, path);
    return node;
  }

  openRead(path: string): ReadableFile {
    return new MemoryReadable(path, this.resolveFile(path, "open"));
  }

  openWrite(path: string, options: OpenWriteOptions = {}): WritableFile {
    const { dir, name } = this.parentOf(path, "open", "EISDIR");
    let node = dir.entries.get(name);
    if (node !== undefined && options.exclusive) throw new FsError("EEXIST", "open", path);
    if (node?.kind === "dir") throw new FsError("EISDIR", "open", path);
    if (node === undefined) {
      node = new FileNode();
      dir.entries.set(name, node);
    } else if (options.truncate && node.content.length > 0) {
      node.truncate(0);
    }
    return new MemoryWritable(path, node, this.stats);
  }

  readFile(path: string): Uint8Array {
    return this.resolveFile(path, "read").content.view().slice();
  }

  rename(from: string, to: string): void {
    const src = this.parentOf(from, "rename", "EBUSY");
    const node = src.dir.entries.get(src.name);
    if (node === undefined) throw new FsError("ENOENT", "rename", from);
    const dst = this.parentOf(to, "rename", "EBUSY");
    const existing = dst.dir.entries.get(dst.name);
    if (existing === node) return; // same entry, or two links to one inode: POSIX does nothing
    if (node.kind === "dir") {
      if (existing?.kind === "file") throw new FsError("ENOTDIR", "rename", to);
      if (existing?.kind === "dir" && existing.entries.size > 0) throw new FsError("ENOTEMPTY", "rename", to);
      const fromParts = components(from);
      const toParts = components(to);
      if (toParts.length > fromParts.length && fromParts.every((p, i) => toParts[i] === p)) {
        throw new FsError("EINVAL", "rename", from, `EINVAL: cannot move ${from} into itself (${to})`);
      }
      // Directories are durable at once (see the header).
      src.dir.entries.delete(src.name);
      src.dir.durable.delete(src.name);
      dst.dir.entries.set(dst.name, node);
      dst.dir.durable.set(dst.name, node);
      return;
    }
    if (existing?.kind === "dir") throw new FsError("EISDIR", "rename", to);
    dst.dir.entries.set(dst.name, node);
    src.dir.entries.delete(src.name);
  }

  unlink(path: string): void {
    const { dir, name } = this.parentOf(path, "unlink", "EISDIR");
    const node = dir.entries.get(name);
    if (node === undefined) throw new FsError("ENOENT", "unlink", path);
    if (node.kind === "dir") throw new FsError("EISDIR", "unlink", path);
    dir.entries.delete(name);
  }

  mkdir(path: string): void {
    if (path === "") throw new FsError("ENOENT", "mkdir", path);
    const parts = components(path);
    let dir = this.root;
    for (let i = 0; i < parts.length; i++) {
      const next = dir.entries.get(parts[i]);
      if (next?.kind === "file") throw new FsError(i === parts.length - 1 ? "EEXIST" : "ENOTDIR", "mkdir", path);
      if (next !== undefined) {
        dir = next;
        continue;
      }
      const created = new DirNode();
      dir.entries.set(parts[i], created);
      dir.durable.set(parts[i], created); // durable at once (see the header)
      dir = created;
    }
  }

  readdir(path: string): string[] {
    const node = this.resolve(path, "readdir");
    if (node.kind !== "dir") throw new FsError("ENOTDIR", "readdir", path);
    return [...node.entries.keys()];
  }

  exists(path: string): boolean {
    try {
      this.resolve(path, "stat");
      return true;
    } catch {
      return false;
    }
  }

  size(path: string): number {
    const node = this.resolve(path, "stat");
    return node.kind === "file" ? node.content.length : 0;
  }

  link(from: string, to: string): void {
    const node = this.resolve(from, "link");
    if (node.kind === "dir") throw new FsError("EPERM", "link", from);
    const { dir, name } = this.parentOf(to, "link", "EEXIST");
    if (dir.entries.has(name)) throw new FsError("EEXIST", "link", to);
    dir.entries.set(name, node);
  }

  async syncDir(path: string): Promise<void> {
    const node = this.resolve(path, "syncDir");
    if (node.kind !== "dir") throw new FsError("ENOTDIR", "syncDir", path);
    node.durable = new Map(node.entries);
    this.stats.dirSyncs++;
  }

  lock(path: string): FileLock {
    const key = `/${components(path).join("/")}`;
    if (this.locks.has(key)) {
      throw new FsError("EBUSY", "lock", path, `EBUSY: ${path} is already locked`);
    }
    const { dir, name } = this.parentOf(path, "lock", "EISDIR");
    const node = dir.entries.get(name);
    if (node?.kind === "dir") throw new FsError("EISDIR", "lock", path);
    if (node === undefined) dir.entries.set(name, new FileNode());
    const token = {};
    this.locks.set(key, token);
    return {
      path,
      release: () => {
        if (this.locks.get(key) === token) this.locks.delete(key);
      },
    };
  }

  /**
   * A new file system holding what would survive a power loss now: the durable directory entries
   * and each file's synced content, plus with `keepUnsynced: "random"` a random prefix of the
   * writes since its last sync (the first k whole, then possibly a torn part of write k+1).
   */
  crashClone(options: CrashOptions = {}): MemoryFileSystem {
    const random = options.random ?? Math.random;
    const keepRandom = options.keepUnsynced === "random";
    const torn = options.tornWrites ?? true;
    const garbage = options.garbage ?? true;
    const files = new Map<FileNode, FileNode>();

    const cloneFile = (file: FileNode): FileNode => {
      const done = files.get(file);
      if (done !== undefined) return done;
      const content = file.synced.clone();
      if (keepRandom && file.pending.length > 0) {
        const k = randomInt(random, 0, file.pending.length);
        for (let i = 0; i < k; i++) applyOp(content, file.pending[i]);
        const next = file.pending[k];
        if (torn && next?.kind === "write" && next.data.length > 1 && random() < 0.5) {
          const part = next.data.slice(0, randomInt(random, 1, next.data.length - 1));
          if (garbage && random() < 0.5) {
            for (let i = randomInt(random, 0, part.length - 1); i < part.length; i++) {
              part[i] = Math.floor(random() * 256);
            }
          }
          content.write(part, next.position);
        }
      }
      const out = new FileNode();
      out.content = content;
      out.synced = content.clone();
      files.set(file, out);
      return out;
    };

    const cloneDir = (dir: DirNode): DirNode => {
      const out = new DirNode();
      for (const [name, node] of dir.durable) {
        const copy = node.kind === "dir" ? cloneDir(node) : cloneFile(node);
        out.entries.set(name, copy);
        out.durable.set(name, copy);
      }
      return out;
    };

    const crashed = new MemoryFileSystem();
    crashed.root = cloneDir(this.root);
    return crashed;
  }

  /** Every path in the current tree, sorted; directories end with "/". For test failure messages. */
  dump(): string[] {
    const out: string[] = [];
    const walk = (dir: DirNode, prefix: string): void => {
      for (const [name, node] of dir.entries) {
        const path = `${prefix}/${name}`;
        if (node.kind === "dir") {
          out.push(`${path}/`);
          walk(node, path);
        } else {
          out.push(path);
        }
      }
    };
    walk(this.root, "");
    return out.sort();
  }
}
