// A FileSystem wrapper for the model test (test/model.test.ts): it passes every call to an inner
// file system, but each file sync and directory sync, done at once, reports completion only after
// a seeded random number of event-loop turns (setImmediate hops, never timers). With the in-memory
// file system every sync would otherwise finish within the same microtask run, so background
// flushes and compactions would rarely still be going when the next foreground operation starts;
// with the delays they overlap reads, writes, snapshots and iterators. Runs stay deterministic for
// a given seed because the delays come from a seeded generator and the loop order of immediates is.
// It also records every change to the disk made while `frozen` is set (after the store closed).

import { setImmediate as nextTurn } from "node:timers/promises";
import { randomInt } from "../../src/fs/random.js";
import type { FileLock, FileSystem, OpenWriteOptions, ReadableFile, WritableFile } from "../../src/fs/types.js";

export class SlowSyncFileSystem implements FileSystem {
  /** Syncs performed so far (file and directory). */
  syncs = 0;
  /**
   * While set (the test sets it once `close()` has resolved), every call that changes the disk is
   * recorded in `violations`: a closed store must not touch its directory any more. The calls
   * still go through, so the engine behaves as it would on a real disk.
   */
  frozen = false;
  readonly violations: string[] = [];

  /**
   * `maxTurns` is the largest delay, in event-loop turns, of one sync (0: no delay at all).
   * `random` is the seeded source of the delays.
   */
  constructor(
    readonly inner: FileSystem,
    private readonly random: () => number,
    private readonly maxTurns: number,
  ) {}

  /** Records `op` if the disk is frozen. */
  guard(op: string, path: string): void {
    if (this.frozen) this.violations.push(`${op} ${path}`);
  }

  /** Waits a random number of event-loop turns. */
  async delay(): Promise<void> {
    this.syncs++;
    const turns = this.maxTurns > 0 ? randomInt(this.random, 0, this.maxTurns) : 0;
    for (let i = 0; i < turns; i++) await nextTurn();
  }

  openRead(path: string): ReadableFile {
    return this.inner.openRead(path);
  }

  openWrite(path: string, options?: OpenWriteOptions): WritableFile {
    this.guard("openWrite", path);
    const file = this.inner.openWrite(path, options);
    return {
      get path() {
        return file.path;
      },
      get size() {
        return file.size;
      },
      append: (data) => {
        this.guard("append", path);
        file.append(data);
      },
      writeAt: (data, position) => {
        this.guard("writeAt", path);
        file.writeAt(data, position);
      },
      truncate: (size) => {
        this.guard("truncate", path);
        file.truncate(size);
      },
      // The sync happens when it is called (so it covers exactly what was written by then, and a
      // handle closed while the caller waits is no error); only its completion is late.
      sync: async () => {
        this.guard("sync", path);
        await file.sync();
        await this.delay();
      },
      syncSync: () => {
        this.guard("syncSync", path);
        file.syncSync();
      },
      close: () => file.close(),
    };
  }

  readFile(path: string): Uint8Array {
    return this.inner.readFile(path);
  }

  rename(from: string, to: string): void {
    this.guard("rename", `${from} -> ${to}`);
    this.inner.rename(from, to);
  }

  unlink(path: string): void {
    this.guard("unlink", path);
    this.inner.unlink(path);
  }

  mkdir(path: string): void {
    this.guard("mkdir", path);
    this.inner.mkdir(path);
  }

  readdir(path: string): string[] {
    return this.inner.readdir(path);
  }

  exists(path: string): boolean {
    return this.inner.exists(path);
  }

  size(path: string): number {
    return this.inner.size(path);
  }

  link(from: string, to: string): void {
    this.guard("link", `${from} -> ${to}`);
    this.inner.link(from, to);
  }

  async syncDir(path: string): Promise<void> {
    this.guard("syncDir", path);
    await this.inner.syncDir(path);
    await this.delay();
  }

  lock(path: string): FileLock {
    this.guard("lock", path);
    return this.inner.lock(path);
  }
}
