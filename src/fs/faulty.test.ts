// Tests of the fault injector: which calls a rule fails, that a failed call does nothing (or, with
// partial writes, only a prefix of its data), and that handle calls are covered as well.

import assert from "node:assert/strict";
import { test } from "node:test";
import { FaultyFileSystem } from "./faulty.js";
import { MemoryFileSystem } from "./memory.js";
import { FsError } from "./types.js";

const enc = new TextEncoder();
const dec = new TextDecoder();
const bytes = (s: string): Uint8Array => enc.encode(s);

function fails(fn: () => unknown): FsError {
  try {
    fn();
  } catch (err) {
    assert.ok(err instanceof FsError, `expected FsError, got ${String(err)}`);
    return err;
  }
  assert.fail("expected an FsError");
}

async function rejects(p: Promise<unknown>): Promise<FsError> {
  try {
    await p;
  } catch (err) {
    assert.ok(err instanceof FsError, `expected FsError, got ${String(err)}`);
    return err;
  }
  assert.fail("expected a rejection");
}

function setup(options?: { partialWrites?: boolean; seed?: number }): { mem: MemoryFileSystem; fs: FaultyFileSystem } {
  const mem = new MemoryFileSystem();
  mem.mkdir("/db");
  return { mem, fs: new FaultyFileSystem(mem, options) };
}

test("without rules every call passes through and is counted", async () => {
  const { mem, fs } = setup();
  const w = fs.openWrite("/db/a");
  w.append(bytes("abc"));
  w.writeAt(bytes("X"), 0);
  await w.sync();
  w.syncSync();
  w.close();
  assert.equal(dec.decode(mem.readFile("/db/a")), "Xbc");
  assert.equal(fs.size("/db/a"), 3);
  assert.ok(fs.exists("/db/a"));
  assert.deepEqual(fs.readdir("/db"), ["a"]);
  await fs.syncDir("/db");
  assert.equal(fs.opCount, 10);
  assert.equal(fs.failedCount, 0);
  assert.equal(fs.inner, mem);
});

test("nth fails exactly the Nth matching call, counting from when the rule was added", () => {
  const { fs } = setup();
  const w = fs.openWrite("/db/log");
  w.append(bytes("0"));
  fs.addFault({ op: "write", nth: 3, code: "EIO" });
  w.append(bytes("1"));
  fs.readdir("/db"); // not a write: not counted by the rule
  w.append(bytes("2"));
  const err = fails(() => w.append(bytes("3")));
  assert.equal(err.code, "EIO");
  assert.equal(err.op, "write");
  assert.equal(err.path, "/db/log");
  w.append(bytes("4"));
  assert.equal(dec.decode(fs.readFile("/db/log")), "0124");
  assert.equal(fs.failedCount, 1);
});

test("times fails a run of calls; without nth a rule fails every match", () => {
  const { fs } = setup();
  const w = fs.openWrite("/db/log");
  fs.addFault({ op: "write", nth: 2, times: 2, code: "ENOSPC" });
  w.append(bytes("a"));
  assert.equal(fails(() => w.append(bytes("b"))).code, "ENOSPC");
  assert.equal(fails(() => w.append(bytes("c"))).code, "ENOSPC");
  w.append(bytes("d"));
  fs.addFault({ op: "read", code: "EIO" });
  for (let i = 0; i < 5; i++) assert.equal(fails(() => fs.readFile("/db/log")).code, "EIO");
  fs.clearFaults();
  assert.equal(dec.decode(fs.readFile("/db/log")), "ad");
  fs.addFault({ op: "write", times: 1, code: "EIO" });
  assert.equal(fails(() => w.append(bytes("e"))).code, "EIO");
  w.append(bytes("f"));
  assert.equal(fs.failedCount, 8);
});

test("rules filter by op list and by path string or RegExp", () => {
  const { fs } = setup();
  fs.openWrite("/db/a.log").close();
  fs.openWrite("/db/b.sst").close();
  fs.addFault({ op: ["open", "unlink"], path: /\.sst$/, code: "EIO" });
  fs.addFault({ path: "/db/MANIFEST", code: "EROFS" });
  fs.openRead("/db/a.log").close();
  assert.equal(fails(() => fs.openRead("/db/b.sst")).code, "EIO");
  assert.equal(fails(() => fs.openWrite("/db/b.sst")).code, "EIO");
  assert.equal(fails(() => fs.unlink("/db/b.sst")).code, "EIO");
  assert.equal(fs.size("/db/b.sst"), 0); // stat is not in the op list
  assert.ok(fs.exists("/db/b.sst"), "the failed unlink did nothing");
  assert.equal(fails(() => fs.openWrite("/db/MANIFEST")).code, "EROFS");
  assert.ok(!fs.exists("/db/a.sst"));
  assert.equal(fails(() => fs.exists("/db/MANIFEST")).code, "EROFS");
  fs.unlink("/db/a.log");
});

test("rename and link match on either path and do nothing when failed", () => {
  const { fs } = setup();
  fs.openWrite("/db/tmp").close();
  fs.addFault({ op: ["rename", "link"], path: "/db/CURRENT", code: "EIO" });
  const err = fails(() => fs.rename("/db/tmp", "/db/CURRENT"));
  assert.equal(err.path, "/db/CURRENT");
  assert.equal(err.op, "rename");
  assert.ok(fs.exists("/db/tmp") && !fs.exists("/db/CURRENT"));
  assert.equal(fails(() => fs.link("/db/tmp", "/db/CURRENT")).op, "link");
  assert.ok(!fs.exists("/db/CURRENT"));
  fs.rename("/db/tmp", "/db/other");
  assert.deepEqual(fs.readdir("/db"), ["other"]);
});

test("async calls reject instead of throwing", async () => {
  const { mem, fs } = setup();
  const w = fs.openWrite("/db/log");
  w.append(bytes("x"));
  fs.addFault({ op: ["sync", "syncDir"], code: "EIO" });
  let promise: Promise<void> | undefined;
  assert.doesNotThrow(() => {
    promise = w.sync();
  });
  assert.equal((await rejects(promise!)).code, "EIO");
  assert.equal((await rejects(fs.syncDir("/db"))).code, "EIO");
  assert.equal(fails(() => w.syncSync()).code, "EIO");
  assert.equal(mem.totalSyncs(), 0, "the failed syncs did not reach the disk");
  assert.equal(mem.totalDirSyncs(), 0);
  assert.ok(!mem.crashClone().exists("/db/log"));
});

test("every handle call consults the rules", () => {
  const { mem, fs } = setup();
  const w = fs.openWrite("/db/f");
  w.append(bytes("hello"));
  const r = fs.openRead("/db/f");
  fs.addFault({ op: ["read", "truncate", "close", "write"], code: "EIO" });
  assert.equal(fails(() => r.read(new Uint8Array(5), 0, 5, 0)).op, "read");
  assert.equal(fails(() => r.close()).op, "close");
  assert.equal(fails(() => w.truncate(0)).op, "truncate");
  assert.equal(fails(() => w.writeAt(bytes("J"), 0)).op, "write");
  assert.equal(fails(() => w.close()).op, "close");
  fs.clearFaults();
  assert.equal(dec.decode(mem.readFile("/db/f")), "hello");
  assert.equal(w.size, 5);
  assert.equal(r.size, 5);
  assert.equal(r.path, "/db/f");
  assert.equal(w.path, "/db/f");
  w.append(bytes("!")); // the failed close left the handle open
  r.close();
  w.close();
  assert.equal(dec.decode(mem.readFile("/db/f")), "hello!");
});

test("namespace calls consult the rules", async () => {
  const { fs } = setup();
  fs.addFault({ op: ["mkdir", "readdir", "lock", "stat"], code: "EROFS" });
  assert.equal(fails(() => fs.mkdir("/db/sub")).code, "EROFS");
  assert.equal(fails(() => fs.readdir("/db")).code, "EROFS");
  assert.equal(fails(() => fs.lock("/db/LOCK")).code, "EROFS");
  assert.equal(fails(() => fs.size("/db")).code, "EROFS");
  fs.clearFaults();
  assert.ok(!fs.exists("/db/sub"));
  assert.ok(!fs.exists("/db/LOCK"));
  fs.lock("/db/LOCK").release();
});

test("a failing write does nothing unless partial writes are on", () => {
  const { mem, fs } = setup();
  const w = fs.openWrite("/db/log");
  w.append(bytes("keep"));
  fs.addFault({ op: "write", code: "ENOSPC" });
  fails(() => w.append(bytes("0123456789")));
  assert.equal(w.size, 4);
  assert.equal(dec.decode(mem.readFile("/db/log")), "keep");
});

test("partial writes let a seeded random prefix of a failing write through", () => {
  const prefixes = new Set<number>();
  for (let seed = 1; seed <= 50; seed++) {
    const run = (): string => {
      const { mem, fs } = setup({ partialWrites: true, seed });
      const w = fs.openWrite("/db/log");
      w.append(bytes("keep|"));
      fs.addFault({ op: "write", nth: 1, code: "ENOSPC" });
      const data = "0123456789abcdef";
      assert.equal(fails(() => w.append(bytes(data))).code, "ENOSPC");
      const got = dec.decode(mem.readFile("/db/log"));
      assert.ok(got.startsWith("keep|"), got);
      const tail = got.slice(5);
      assert.ok(tail.length < data.length && data.startsWith(tail), `seed ${seed}: ${got}`);
      prefixes.add(tail.length);
      return got;
    };
    assert.equal(run(), run(), "the same seed gives the same prefix");
  }
  assert.ok(prefixes.size > 5, `prefix lengths vary: ${[...prefixes].join(",")}`);

  const { mem, fs } = setup({ partialWrites: true, seed: 3 });
  const w = fs.openWrite("/db/f");
  w.append(bytes("________"));
  fs.addFault({ op: "write", code: "EIO" });
  fails(() => w.writeAt(bytes("ABCDEF"), 1));
  const got = dec.decode(mem.readFile("/db/f"));
  assert.equal(got.length, 8);
  const written = got.slice(1).replace(/_+$/, "");
  assert.ok("ABCDEF".startsWith(written) && written.length < 6, got);
});
