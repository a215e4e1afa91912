// A FileSystem for crash tests: passes every call through to a MemoryFileSystem, makes syncs and
// directory syncs take a seeded random number of event-loop turns (so group commits overlap,
// acknowledgements interleave with flushes and compactions, and "random moments" fall inside
// them), and can take the crash image (`crashClone`) just before its Nth mutating call. The store
// on top keeps running after the crash image is taken; the image is what a power cut at that
// instant would have left on the disk.

import { setImmediate as nextTurn } from "node:timers/promises";
import { randomInt } from "../../src/fs/random.js";
import type { FileLock, FileSystem, OpenWriteOptions, ReadableFile, WritableFile } from "../../src/fs/types.js";
import type { MemoryFileSystem } from "../../src/index.js";

export interface CrashFsOptions {
  /** Drives the sync delays. */
  random: () => number;
  /** Drives what of the unsynced data survives in the crash image. */
  crashRandom: () => number;
  /** "none": only synced data survives; "random": a random prefix of each file's later writes too. */
  keepUnsynced: "none" | "random";
  /** Take the crash image just before the Nth mutating call (writes, syncs, renames, unlinks...). */
  crashAtCall?: number;
  /** Syncs wait 0..maxDelayTurns event-loop turns before they happen (default 2). */
  maxDelayTurns?: number;
}

export class CrashPointFileSystem implements FileSystem {
  /** Mutating calls seen so far. */
  calls = 0;
  /** The crash image, once taken. */
  image: MemoryFileSystem | null = null;
  /** Where the crash image was taken, for failure messages. */
  crashNote = "";
  /** The last mutating calls (a ring of 64), for debugging a failing seed. */
  readonly trace: string[] = [];
  private readonly listeners: Array<() => void> = [];

  constructor(
    readonly mem: MemoryFileSystem,
    private readonly o: CrashFsOptions,
  ) {}

  get crashed(): boolean {
    return this.image !== null;
  }

  /** Calls `fn` (synchronously) when the crash image is taken. */
  onCrash(fn: () => void): void {
    this.listeners.push(fn);
  }

  /** Takes the crash image now (once; later calls return the same image). */
  crashNow(note: string): MemoryFileSystem {
    if (this.image === null) {
      this.image = this.mem.crashClone({ keepUnsynced: this.o.keepUnsynced, random: this.o.crashRandom });
      this.crashNote = `${note} (after ${this.calls} mutating fs calls)`;
      for (const fn of this.listeners) fn();
    }
    return this.image;
  }

  /** @internal Counts a mutating call; takes the image first if this is the crash point. */
  count(what: string, path: string): void {
    this.calls++;
    this.trace.push(`${this.calls} ${what} ${path}`);
    if (this.trace.length > 64) this.trace.shift();
    if (this.image === null && this.calls === this.o.crashAtCall) this.crashNow(`before ${what} ${path}`);
  }

  /** @internal */
  async delay(): Promise<void> {
    const n = randomInt(this.o.random, 0, this.o.maxDelayTurns ?? 2);
    for (let i = 0; i < n; i++) await nextTurn();
  }

  openRead(path: string): ReadableFile {
    return this.mem.openRead(path);
  }
  openWrite(path: string, options?: OpenWriteOptions): WritableFile {
    this.count("openWrite", path);
    return new CrashPointWritable(this, this.mem.openWrite(path, options));
  }
  readFile(path: string): Uint8Array {
    return this.mem.readFile(path);
  }
  rename(from: string, to: string): void {
    this.count("rename", `${from} -> ${to}`);
    this.mem.rename(from, to);
  }
  unlink(path: string): void {
    this.count("unlink", path);
    this.mem.unlink(path);
  }
  mkdir(path: string): void {
    this.count("mkdir", path);
    this.mem.mkdir(path);
  }
  readdir(path: string): string[] {
    return this.mem.readdir(path);
  }
  exists(path: string): boolean {
    return this.mem.exists(path);
  }
  size(path: string): number {
    return this.mem.size(path);
  }
  link(from: string, to: string): void {
    this.count("link", `${from} -> ${to}`);
    this.mem.link(from, to);
  }
  async syncDir(path: string): Promise<void> {
    this.count("syncDir", path);
    await this.delay();
    await this.mem.syncDir(path);
  }
  lock(path: string): FileLock {
    return this.mem.lock(path);
  }
}

class CrashPointWritable implements WritableFile {
  constructor(
    private readonly fs: CrashPointFileSystem,
    private readonly inner: WritableFile,
  ) {}
  get path(): string {
    return this.inner.path;
  }
  get size(): number {
    return this.inner.size;
  }
  append(data: Uint8Array): void {
    this.fs.count("append", this.inner.path);
    this.inner.append(data);
  }
  writeAt(data: Uint8Array, position: number): void {
    this.fs.count("writeAt", this.inner.path);
    this.inner.writeAt(data, position);
  }
  truncate(size: number): void {
    this.fs.count("truncate", this.inner.path);
    this.inner.truncate(size);
  }
  async sync(): Promise<void> {
    this.fs.count("sync", this.inner.path);
    await this.fs.delay();
    await this.inner.sync();
  }
  syncSync(): void {
    this.fs.count("syncSync", this.inner.path);
    this.inner.syncSync();
  }
  close(): void {
    this.inner.close();
  }
}
