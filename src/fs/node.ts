// The real FileSystem on node:fs. Reads and appends use the synchronous calls (a couple of
// microseconds on cached data); fdatasync and directory fsync use the async ones so that several
// can run at once on the libuv pool.
//
// Locking: node has no flock, so a lock is a file created with O_EXCL holding the owner's pid.
// A lock whose pid is no longer alive (the owner was killed) is stale and is taken over.
// Within one process a registry of held paths makes a second open fail the same way.

import * as fs from "node:fs";
import { promisify } from "node:util";
import {
  type FileLock,
  type FileSystem,
  FsError,
  type FsOp,
  type OpenWriteOptions,
  type ReadableFile,
  type WritableFile,
} from "./types.js";

const fdatasync = promisify(fs.fdatasync);
const fsyncAsync = promisify(fs.fsync);
const openAsync = promisify(fs.open);
const closeAsync = promisify(fs.close);

function wrap(op: FsOp, path: string, err: unknown): FsError {
  if (err instanceof FsError) return err;
  const e = err as NodeJS.ErrnoException;
  return new FsError(e.code ?? "EIO", op, path, `${e.code ?? "EIO"}: ${op} failed on ${path}: ${e.message}`);
}

class NodeReadable implements ReadableFile {
  constructor(
    readonly path: string,
    private fd: number,
    readonly size: number,
  ) {}
  read(buf: Uint8Array, offset: number, length: number, position: number): number {
    try {
      let done = 0;
      while (done < length) {
        const n = fs.readSync(this.fd, buf, offset + done, length - done, position + done);
        if (n === 0) break;
        done += n;
      }
      return done;
    } catch (err) {
      throw wrap("read", this.path, err);
    }
  }
  close(): void {
    if (this.fd < 0) return;
    try {
      fs.closeSync(this.fd);
    } finally {
      this.fd = -1;
    }
  }
}

class NodeWritable implements WritableFile {
  private end: number;
  constructor(
    readonly path: string,
    private fd: number,
    size: number,
  ) {
    this.end = size;
  }
  get size(): number {
    return this.end;
  }
  append(data: Uint8Array): void {
    this.writeAt(data, this.end);
  }
  writeAt(data: Uint8Array, position: number): void {
    try {
      let done = 0;
      while (done < data.length) {
        done += fs.writeSync(this.fd, data, done, data.length - done, position + done);
      }
    } catch (err) {
      throw wrap("write", this.path, err);
    }
    if (position + data.length > this.end) this.end = position + data.length;
  }
  truncate(size: number): void {
    try {
      fs.ftruncateSync(this.fd, size);
    } catch (err) {
      throw wrap("truncate", this.path, err);
    }
    this.end = size;
  }
  async sync(): Promise<void> {
    try {
      await fdatasync(this.fd);
    } catch (err) {
      throw wrap("sync", this.path, err);
    }
  }
  syncSync(): void {
    try {
      fs.fdatasyncSync(this.fd);
    } catch (err) {
      throw wrap("sync", this.path, err);
    }
  }
  close(): void {
    if (this.fd < 0) return;
    try {
      fs.closeSync(this.fd);
    } catch (err) {
      throw wrap("close", this.path, err);
    } finally {
      this.fd = -1;
    }
  }
}

const heldLocks = new Set<string>();

function pidAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === "EPERM";
  }
}

export class NodeFileSystem implements FileSystem {
  openRead(path: string): ReadableFile {
    try {
      const fd = fs.openSync(path, "r");
      return new NodeReadable(path, fd, fs.fstatSync(fd).size);
    } catch (err) {
      throw wrap("open", path, err);
    }
  }
  openWrite(path: string, options: OpenWriteOptions = {}): WritableFile {
    try {
      let flags = fs.constants.O_WRONLY | fs.constants.O_CREAT;
      if (options.truncate) flags |= fs.constants.O_TRUNC;
      if (options.exclusive) flags |= fs.constants.O_EXCL;
      const fd = fs.openSync(path, flags, 0o644);
      return new NodeWritable(path, fd, fs.fstatSync(fd).size);
    } catch (err) {
      throw wrap("open", path, err);
    }
  }
  readFile(path: string): Uint8Array {
    try {
      return fs.readFileSync(path);
    } catch (err) {
      throw wrap("read", path, err);
    }
  }
  rename(from: string, to: string): void {
    try {
      fs.renameSync(from, to);
    } catch (err) {
      throw wrap("rename", from, err);
    }
  }
  unlink(path: string): void {
    try {
      fs.unlinkSync(path);
    } catch (err) {
      throw wrap("unlink", path, err);
    }
  }
  mkdir(path: string): void {
    try {
      fs.mkdirSync(path, { recursive: true });
    } catch (err) {
      throw wrap("mkdir", path, err);
    }
  }
  readdir(path: string): string[] {
    try {
      return fs.readdirSync(path);
    } catch (err) {
      throw wrap("readdir", path, err);
    }
  }
  exists(path: string): boolean {
    return fs.existsSync(path);
  }
  size(path: string): number {
    try {
      return fs.statSync(path).size;
    } catch (err) {
      throw wrap("stat", path, err);
    }
  }
  link(from: string, to: string): void {
    try {
      fs.linkSync(from, to);
    } catch (err) {
      throw wrap("link", from, err);
    }
  }
  async syncDir(path: string): Promise<void> {
    let fd = -1;
    try {
      fd = await openAsync(path, "r");
      await fsyncAsync(fd);
    } catch (err) {
      throw wrap("syncDir", path, err);
    } finally {
      if (fd >= 0) await closeAsync(fd).catch(() => undefined);
    }
  }
  lock(path: string): FileLock {
    const key = fs.existsSync(path) ? fs.realpathSync(path) : path;
    if (heldLocks.has(key)) {
      throw new FsError("EBUSY", "lock", path, `EBUSY: ${path} is already locked by this process`);
    }
    for (let attempt = 0; attempt < 2; attempt++) {
      try {
        const fd = fs.openSync(path, "wx", 0o644);
        fs.writeSync(fd, `${process.pid}\n`);
        fs.closeSync(fd);
        const real = fs.realpathSync(path);
        heldLocks.add(real);
        return {
          path,
          release: () => {
            heldLocks.delete(real);
            try {
              fs.unlinkSync(path);
            } catch {
              // already gone: nothing to release
            }
          },
        };
      } catch (err) {
        if ((err as NodeJS.ErrnoException).code !== "EEXIST") throw wrap("lock", path, err);
        const pid = Number.parseInt(fs.readFileSync(path, "utf8").trim(), 10);
        if (Number.isFinite(pid) && pid > 0 && pidAlive(pid)) {
          throw new FsError("EBUSY", "lock", path, `EBUSY: ${path} is held by process ${pid}`);
        }
        // The holder is gone (killed without releasing): the lock is stale, take it over.
        fs.rmSync(path, { force: true });
      }
    }
    throw new FsError("EBUSY", "lock", path, `EBUSY: could not take ${path}`);
  }
}
