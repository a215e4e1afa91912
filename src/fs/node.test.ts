// Tests of the real FileSystem on a temporary directory: the calls behave as the FileSystem
// interface promises and errors come back as FsError with the OS code; locks exclude a second
// holder and take over a lock file left by a dead process.

import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import * as nodeFs from "node:fs";
import * as os from "node:os";
import * as nodePath from "node:path";
import { after, before, test } from "node:test";
import { NodeFileSystem } from "./node.js";
import { FsError } from "./types.js";

const enc = new TextEncoder();
const dec = new TextDecoder();
const bytes = (s: string): Uint8Array => enc.encode(s);
const fs = new NodeFileSystem();
let root = "";
let counter = 0;

before(() => {
  root = nodeFs.mkdtempSync(nodePath.join(os.tmpdir(), "shale-fs-test-"));
});

after(() => {
  nodeFs.rmSync(root, { recursive: true, force: true });
});

/** A fresh directory for one test. */
function dir(): string {
  const path = nodePath.join(root, `t${++counter}`);
  fs.mkdir(path);
  return path;
}

function assertCode(fn: () => unknown, expected: string): void {
  try {
    fn();
  } catch (err) {
    assert.ok(err instanceof FsError, `expected FsError, got ${String(err)}`);
    assert.equal(err.code, expected);
    return;
  }
  assert.fail(`expected an FsError ${expected}`);
}

test("write, append, writeAt, truncate and read back", async () => {
  const d = dir();
  const path = `${d}/a`;
  const w = fs.openWrite(path);
  assert.equal(w.path, path);
  assert.equal(w.size, 0);
  w.append(bytes("hello "));
  w.append(bytes("world"));
  assert.equal(w.size, 11);
  w.writeAt(bytes("J"), 6);
  await w.sync();
  w.syncSync();
  assert.equal(dec.decode(fs.readFile(path)), "hello Jorld");
  w.truncate(5);
  assert.equal(w.size, 5);
  w.append(bytes("!"));
  w.close();
  w.close(); // closing twice is harmless
  assert.equal(dec.decode(fs.readFile(path)), "hello!");
  assert.equal(fs.size(path), 6);

  const r = fs.openRead(path);
  assert.equal(r.size, 6);
  const buf = new Uint8Array(8);
  assert.equal(r.read(buf, 1, 3, 1), 3);
  assert.equal(dec.decode(buf.subarray(1, 4)), "ell");
  assert.equal(r.read(buf, 0, 8, 4), 2, "a read past the end returns what is there");
  assert.equal(r.read(buf, 0, 8, 100), 0);
  r.close();

  const again = fs.openWrite(path);
  assert.equal(again.size, 6, "reopening keeps the contents");
  again.close();
  const cut = fs.openWrite(path, { truncate: true });
  assert.equal(cut.size, 0);
  cut.close();
  assert.equal(fs.size(path), 0);
});

test("errors are FsError with the OS code", () => {
  const d = dir();
  fs.openWrite(`${d}/f`).close();
  assertCode(() => fs.openWrite(`${d}/f`, { exclusive: true }), "EEXIST");
  assertCode(() => fs.openRead(`${d}/missing`), "ENOENT");
  assertCode(() => fs.openWrite(`${d}/nodir/f`), "ENOENT");
  assertCode(() => fs.readFile(`${d}/missing`), "ENOENT");
  assertCode(() => fs.readdir(`${d}/missing`), "ENOENT");
  assertCode(() => fs.unlink(`${d}/missing`), "ENOENT");
  assertCode(() => fs.size(`${d}/missing`), "ENOENT");
  assertCode(() => fs.rename(`${d}/missing`, `${d}/x`), "ENOENT");
  assertCode(() => fs.link(`${d}/f`, `${d}/f`), "EEXIST");
  const err = (() => {
    try {
      fs.openRead(`${d}/missing`);
    } catch (e) {
      return e as FsError;
    }
    assert.fail("expected an error");
  })();
  assert.equal(err.op, "open");
  assert.equal(err.path, `${d}/missing`);
});

test("mkdir, readdir, exists, rename, unlink and syncDir", async () => {
  const d = dir();
  fs.mkdir(`${d}/x/y`);
  fs.mkdir(`${d}/x/y`); // exists: no error
  assert.ok(fs.exists(`${d}/x/y`));
  fs.openWrite(`${d}/x/a`).append(bytes("A"));
  fs.openWrite(`${d}/x/b`).append(bytes("B"));
  assert.deepEqual(fs.readdir(`${d}/x`).sort(), ["a", "b", "y"]);
  fs.rename(`${d}/x/a`, `${d}/x/b`);
  assert.deepEqual(fs.readdir(`${d}/x`).sort(), ["b", "y"]);
  assert.equal(dec.decode(fs.readFile(`${d}/x/b`)), "A");
  await fs.syncDir(`${d}/x`);
  fs.unlink(`${d}/x/b`);
  assert.ok(!fs.exists(`${d}/x/b`));
  await assert.rejects(fs.syncDir(`${d}/missing`), (e: unknown) => e instanceof FsError && e.code === "ENOENT");
});

test("hard links share content", () => {
  const d = dir();
  const w = fs.openWrite(`${d}/a`);
  w.append(bytes("one"));
  fs.link(`${d}/a`, `${d}/b`);
  w.append(bytes("two"));
  w.close();
  assert.equal(dec.decode(fs.readFile(`${d}/b`)), "onetwo");
  fs.unlink(`${d}/a`);
  assert.equal(dec.decode(fs.readFile(`${d}/b`)), "onetwo");
});

test("a second lock in the same process fails with EBUSY until released", () => {
  const d = dir();
  const path = `${d}/LOCK`;
  const lock = fs.lock(path);
  assert.equal(lock.path, path);
  assert.ok(fs.exists(path));
  assertCode(() => fs.lock(path), "EBUSY");
  lock.release();
  assert.ok(!fs.exists(path), "release removes the lock file");
  fs.lock(path).release();
});

test("a lock file of a live process is respected", () => {
  const d = dir();
  const path = `${d}/LOCK`;
  nodeFs.writeFileSync(path, `${process.pid}\n`); // live, but not in this process's registry
  assertCode(() => fs.lock(path), "EBUSY");
  assert.ok(fs.exists(path));
});

test("a stale lock file of a dead process is taken over", () => {
  const d = dir();
  const path = `${d}/LOCK`;
  const child = spawnSync(process.execPath, ["-e", ""]);
  assert.equal(child.status, 0);
  const deadPid = child.pid;
  assert.ok(deadPid !== undefined && deadPid > 0);
  nodeFs.writeFileSync(path, `${deadPid}\n`);
  const lock = fs.lock(path);
  assert.equal(nodeFs.readFileSync(path, "utf8").trim(), String(process.pid));
  assertCode(() => fs.lock(path), "EBUSY");
  lock.release();

  nodeFs.writeFileSync(path, "garbage\n"); // unreadable pid: also stale
  fs.lock(path).release();
});
