// A FileSystem wrapper that injects I/O errors by rule, so tests can check how the engine behaves
// when the disk fails: EIO on a read, ENOSPC on an append, a sync that never succeeds, a read-only
// remount. Every call, including those on the file handles it returns, is counted and matched
// against the rules before it is passed on; a failing call throws (or rejects) and does nothing,
// except that with `partialWrites` a failing write first lets a random prefix of its data through,
// as a real disk that fills up mid-write does.

import { randomInt, seededRandom } from "./random.js";
import {
  type FileLock,
  type FileSystem,
  FsError,
  type FsOp,
  type OpenWriteOptions,
  type ReadableFile,
  type WritableFile,
} from "./types.js";

/** A fault: which calls fail and with which code. */
export interface FaultRule {
  /** Operations the rule applies to (default: all). */
  op?: FsOp | FsOp[];
  /** Path the rule applies to: exact string, or a RegExp tested against it (default: all). For rename/link either side matches. */
  path?: string | RegExp;
  /** Fail the Nth matching call (1-based), counting from when the rule was added. */
  nth?: number;
  code: "EIO" | "ENOSPC" | "EROFS";
  /** How many matching calls fail, from the first failing one on (default: 1 if `nth` is given, else Infinity). */
  times?: number;
}

export interface FaultyOptions {
  /** A failing append/writeAt first writes a random-length prefix of its data (default false). */
  partialWrites?: boolean;
  /** Seed for the prefix lengths of partial writes (default 1). */
  seed?: number;
}

interface ActiveRule {
  rule: FaultRule;
  ops: Set<FsOp> | null;
  first: number;
  last: number;
  seen: number;
}

/** The rules and counters, shared by the file system and the handles it returns. */
class FaultInjector {
  rules: ActiveRule[] = [];
  ops = 0;
  failed = 0;
  constructor(
    private readonly partialWrites: boolean,
    private readonly random: () => number,
  ) {}

  /**
   * Counts a call and matches it against the rules: returns the error to throw, or null to go on.
   * Every matching rule counts the call, so `nth` stays exact when rules overlap.
   */
  match(op: FsOp, path: string, other?: string): FsError | null {
    this.ops++;
    let fault: FsError | null = null;
    for (const active of this.rules) {
      if (active.ops !== null && !active.ops.has(op)) continue;
      const hit = pathMatches(active.rule.path, path)
        ? path
        : other !== undefined && pathMatches(active.rule.path, other)
          ? other
          : null;
      if (hit === null) continue;
      active.seen++;
      if (fault === null && active.seen >= active.first && active.seen <= active.last) {
        fault = new FsError(active.rule.code, op, hit, `${active.rule.code}: ${op} failed on ${hit} (injected fault)`);
      }
    }
    if (fault !== null) this.failed++;
    return fault;
  }

  /** Throws the injected error if the call must fail. */
  check(op: FsOp, path: string, other?: string): void {
    const fault = this.match(op, path, other);
    if (fault !== null) throw fault;
  }

  /** How many bytes of a failing write of `length` bytes reach the disk. */
  partialLength(length: number): number {
    if (!this.partialWrites || length === 0) return 0;
    return randomInt(this.random, 0, length - 1);
  }
}

class FaultyReadable implements ReadableFile {
  constructor(
    private readonly faults: FaultInjector,
    private readonly inner: ReadableFile,
  ) {}
  get path(): string {
    return this.inner.path;
  }
  get size(): number {
    return this.inner.size;
  }
  read(buf: Uint8Array, offset: number, length: number, position: number): number {
    this.faults.check("read", this.inner.path);
    return this.inner.read(buf, offset, length, position);
  }
  close(): void {
    this.faults.check("close", this.inner.path);
    this.inner.close();
  }
}

class FaultyWritable implements WritableFile {
  constructor(
    private readonly faults: FaultInjector,
    private readonly inner: WritableFile,
  ) {}
  get path(): string {
    return this.inner.path;
  }
  get size(): number {
    return this.inner.size;
  }
  append(data: Uint8Array): void {
    const fault = this.faults.match("write", this.inner.path);
    if (fault !== null) {
      const n = this.faults.partialLength(data.length);
      if (n > 0) this.inner.append(data.subarray(0, n));
      throw fault;
    }
    this.inner.append(data);
  }
  writeAt(data: Uint8Array, position: number): void {
    const fault = this.faults.match("write", this.inner.path);
    if (fault !== null) {
      const n = this.faults.partialLength(data.length);
      if (n > 0) this.inner.writeAt(data.subarray(0, n), position);
      throw fault;
    }
    this.inner.writeAt(data, position);
  }
  truncate(size: number): void {
    this.faults.check("truncate", this.inner.path);
    this.inner.truncate(size);
  }
  async sync(): Promise<void> {
    this.faults.check("sync", this.inner.path);
    await this.inner.sync();
  }
  syncSync(): void {
    this.faults.check("sync", this.inner.path);
    this.inner.syncSync();
  }
  close(): void {
    this.faults.check("close", this.inner.path);
    this.inner.close();
  }
}

export class FaultyFileSystem implements FileSystem {
  private readonly faults: FaultInjector;

  constructor(
    readonly inner: FileSystem,
    options: FaultyOptions = {},
  ) {
    this.faults = new FaultInjector(options.partialWrites ?? false, seededRandom(options.seed ?? 1));
  }

  /** Calls seen so far (every FileSystem and handle call, failed or not). */
  get opCount(): number {
    return this.faults.ops;
  }

  /** Calls failed so far by a rule. */
  get failedCount(): number {
    return this.faults.failed;
  }

  addFault(rule: FaultRule): void {
    const first = rule.nth ?? 1;
    const times = rule.times ?? (rule.nth !== undefined ? 1 : Number.POSITIVE_INFINITY);
    const ops = rule.op === undefined ? null : new Set(Array.isArray(rule.op) ? rule.op : [rule.op]);
    this.faults.rules.push({ rule, ops, first, last: first + times - 1, seen: 0 });
  }

  clearFaults(): void {
    this.faults.rules = [];
  }

  private check(op: FsOp, path: string, other?: string): void {
    this.faults.check(op, path, other);
  }

  openRead(path: string): ReadableFile {
    this.check("open", path);
    return new FaultyReadable(this.faults, this.inner.openRead(path));
  }
  openWrite(path: string, options?: OpenWriteOptions): WritableFile {
    this.check("open", path);
    return new FaultyWritable(this.faults, this.inner.openWrite(path, options));
  }
  readFile(path: string): Uint8Array {
    this.check("read", path);
    return this.inner.readFile(path);
  }
  rename(from: string, to: string): void {
    this.check("rename", from, to);
    this.inner.rename(from, to);
  }
  unlink(path: string): void {
    this.check("unlink", path);
    this.inner.unlink(path);
  }
  mkdir(path: string): void {
    this.check("mkdir", path);
    this.inner.mkdir(path);
  }
  readdir(path: string): string[] {
    this.check("readdir", path);
    return this.inner.readdir(path);
  }
  exists(path: string): boolean {
    this.check("stat", path);
    return this.inner.exists(path);
  }
  size(path: string): number {
    this.check("stat", path);
    return this.inner.size(path);
  }
  link(from: string, to: string): void {
    this.check("link", from, to);
    this.inner.link(from, to);
  }
  async syncDir(path: string): Promise<void> {
    this.check("syncDir", path);
    await this.inner.syncDir(path);
  }
  lock(path: string): FileLock {
    this.check("lock", path);
    return this.inner.lock(path);
  }
}

function pathMatches(pattern: string | RegExp | undefined, path: string): boolean {
  if (pattern === undefined) return true;
  if (typeof pattern === "string") return pattern === path;
  pattern.lastIndex = 0; // a /g or /y pattern keeps state between tests
  return pattern.test(path);
}
