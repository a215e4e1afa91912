// Tests of the in-memory disk: that it behaves like a file system, and above all that a crash
// keeps exactly what a real disk would: synced bytes, synced directory entries and, at most, a
// prefix of the writes made since the last sync.

import assert from "node:assert/strict";
import { test } from "node:test";
import { MemoryFileSystem } from "./memory.js";
import { seededRandom } from "./random.js";
import { FsError } from "./types.js";

const enc = new TextEncoder();
const dec = new TextDecoder();
const bytes = (s: string): Uint8Array => enc.encode(s);
const text = (fs: MemoryFileSystem, path: string): string => dec.decode(fs.readFile(path));

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

async function rejectCode(p: Promise<unknown>): Promise<string> {
  try {
    await p;
  } catch (err) {
    assert.ok(err instanceof FsError, `expected FsError, got ${String(err)}`);
    return err.code;
  }
  assert.fail("expected a rejection");
}

function concat(parts: Uint8Array[]): Uint8Array {
  const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  let at = 0;
  for (const p of parts) {
    out.set(p, at);
    at += p.length;
  }
  return out;
}

test("write, append, writeAt, truncate, read back", () => {
  const fs = new MemoryFileSystem();
  fs.mkdir("/db");
  const w = fs.openWrite("/db/a");
  assert.equal(w.size, 0);
  w.append(bytes("hello "));
  w.append(bytes("world"));
  assert.equal(w.size, 11);
  w.writeAt(bytes("J"), 6);
  assert.equal(text(fs, "/db/a"), "hello Jorld");
  w.writeAt(bytes("!"), 13); // past the end: the gap reads as zeros
  assert.equal(w.size, 14);
  assert.deepEqual([...fs.readFile("/db/a").subarray(11)], [0, 0, 33]);
  w.truncate(5);
  assert.equal(w.size, 5);
  assert.equal(text(fs, "/db/a"), "hello");
  w.truncate(7); // growing exposes zeros, not the old bytes
  assert.deepEqual([...fs.readFile("/db/a").subarray(5)], [0, 0]);
  w.close();
  assert.equal(fs.size("/db/a"), 7);

  const r = fs.openRead("/db/a");
  assert.equal(r.size, 7);
  const buf = new Uint8Array(10);
  assert.equal(r.read(buf, 2, 3, 1), 3);
  assert.equal(dec.decode(buf.subarray(2, 5)), "ell");
  assert.equal(r.read(buf, 0, 10, 5), 2);
  assert.equal(r.read(buf, 0, 10, 100), 0);
  r.close();
  assertCode(() => r.read(buf, 0, 1, 0), "EBADF");
  assertCode(() => w.append(bytes("x")), "EBADF");
});

test("open for write keeps contents unless truncating; exclusive fails on an existing file", () => {
  const fs = new MemoryFileSystem();
  fs.openWrite("f").append(bytes("abc"));
  const again = fs.openWrite("f");
  assert.equal(again.size, 3);
  again.append(bytes("d"));
  assert.equal(text(fs, "f"), "abcd");
  assert.equal(fs.openWrite("f", { truncate: true }).size, 0);
  assert.equal(text(fs, "f"), "");
  assertCode(() => fs.openWrite("f", { exclusive: true }), "EEXIST");
  assert.equal(fs.openWrite("g", { exclusive: true }).size, 0);
});

test("a reader sees bytes appended after it opened", () => {
  const fs = new MemoryFileSystem();
  const w = fs.openWrite("f");
  w.append(bytes("ab"));
  const r = fs.openRead("f");
  assert.equal(r.size, 2);
  w.append(bytes("cd"));
  const buf = new Uint8Array(4);
  assert.equal(r.read(buf, 0, 4, 0), 4);
  assert.equal(dec.decode(buf), "abcd");
});

test("errors carry POSIX codes", async () => {
  const fs = new MemoryFileSystem();
  fs.mkdir("/d");
  fs.openWrite("/d/f").close();
  assertCode(() => fs.openRead("/d/missing"), "ENOENT");
  assertCode(() => fs.openWrite("/nodir/f"), "ENOENT");
  assertCode(() => fs.openWrite("/d/f/g"), "ENOTDIR");
  assertCode(() => fs.openWrite("/d"), "EISDIR");
  assertCode(() => fs.openRead("/d"), "EISDIR");
  assertCode(() => fs.readFile("/d"), "EISDIR");
  assertCode(() => fs.readFile("/missing"), "ENOENT");
  assertCode(() => fs.readdir("/d/f"), "ENOTDIR");
  assertCode(() => fs.readdir("/nope"), "ENOENT");
  assertCode(() => fs.unlink("/d/missing"), "ENOENT");
  assertCode(() => fs.unlink("/d"), "EISDIR");
  assertCode(() => fs.rename("/d/missing", "/d/x"), "ENOENT");
  assertCode(() => fs.rename("/d/f", "/nodir/x"), "ENOENT");
  assertCode(() => fs.size("/d/missing"), "ENOENT");
  assertCode(() => fs.link("/d/missing", "/d/x"), "ENOENT");
  assertCode(() => fs.link("/d/f", "/d/f"), "EEXIST");
  assertCode(() => fs.mkdir("/d/f"), "EEXIST");
  assertCode(() => fs.mkdir("/d/f/sub"), "ENOTDIR");
  assert.equal(await rejectCode(fs.syncDir("/nope")), "ENOENT");
  assert.equal(await rejectCode(fs.syncDir("/d/f")), "ENOTDIR");
});

test("paths are normalised; relative paths resolve against the root", () => {
  const fs = new MemoryFileSystem();
  fs.mkdir("a/b/");
  fs.mkdir("/a//b"); // exists: no error
  fs.openWrite("a//b/./f").append(bytes("x"));
  assert.ok(fs.exists("/a/b/f"));
  assert.ok(fs.exists("a/b/"));
  assert.ok(fs.exists("/"));
  assert.ok(fs.exists("."));
  assert.ok(!fs.exists(""));
  assert.ok(!fs.exists("/a/b/f/g"));
  assert.equal(text(fs, "/a/c/../b/f"), "x");
  assert.deepEqual(fs.readdir("/").sort(), ["a"]);
  assert.deepEqual(fs.readdir(".").sort(), ["a"]);
  assert.deepEqual(fs.readdir("a/b"), ["f"]);
  assert.deepEqual(fs.dump(), ["/a/", "/a/b/", "/a/b/f"]);
});

test("readdir lists names; rename replaces atomically; unlink removes", () => {
  const fs = new MemoryFileSystem();
  fs.mkdir("/d");
  fs.openWrite("/d/a").append(bytes("A"));
  fs.openWrite("/d/b").append(bytes("B"));
  assert.deepEqual(fs.readdir("/d").sort(), ["a", "b"]);
  fs.rename("/d/a", "/d/b");
  assert.deepEqual(fs.readdir("/d"), ["b"]);
  assert.equal(text(fs, "/d/b"), "A");
  fs.rename("/d/b", "/d/b"); // no-op
  assert.equal(text(fs, "/d/b"), "A");
  fs.unlink("/d/b");
  assert.deepEqual(fs.readdir("/d"), []);
  assert.ok(!fs.exists("/d/b"));
});

test("rename of a directory moves its contents", () => {
  const fs = new MemoryFileSystem();
  fs.mkdir("/x/y");
  fs.openWrite("/x/y/f").append(bytes("f"));
  fs.rename("/x", "/z");
  assert.equal(text(fs, "/z/y/f"), "f");
  assert.ok(!fs.exists("/x"));
  assertCode(() => fs.rename("/z", "/z/y/w"), "EINVAL");
  fs.openWrite("/file").close();
  assertCode(() => fs.rename("/z", "/file"), "ENOTDIR");
  assertCode(() => fs.rename("/file", "/z"), "EISDIR");
  fs.mkdir("/empty");
  fs.mkdir("/full/sub");
  assertCode(() => fs.rename("/empty", "/full"), "ENOTEMPTY");
  fs.rename("/full/sub", "/empty");
  assert.deepEqual(fs.readdir("/full"), []);
});

test("hard links share the inode; unlinked files stay usable through open handles", () => {
  const fs = new MemoryFileSystem();
  const w = fs.openWrite("a");
  w.append(bytes("one"));
  fs.link("a", "b");
  w.append(bytes("two"));
  assert.equal(text(fs, "b"), "onetwo");
  fs.openWrite("b").append(bytes("three"));
  assert.equal(text(fs, "a"), "onetwothree");
  const r = fs.openRead("a");
  fs.unlink("a");
  fs.unlink("b");
  assert.ok(!fs.exists("a"));
  w.writeAt(bytes("!"), 11); // (each handle appends at its own end, as node.ts does: w's is 6)
  const buf = new Uint8Array(12);
  assert.equal(r.read(buf, 0, 12, 0), 12);
  assert.equal(dec.decode(buf), "onetwothree!");
  fs.mkdir("dir");
  assertCode(() => fs.link("dir", "dir2"), "EPERM");
});

test("a second lock of a held path fails with EBUSY until released", () => {
  const fs = new MemoryFileSystem();
  fs.mkdir("/db");
  const lock = fs.lock("/db/LOCK");
  assert.equal(lock.path, "/db/LOCK");
  assert.ok(fs.exists("/db/LOCK"));
  assertCode(() => fs.lock("/db/LOCK"), "EBUSY");
  assertCode(() => fs.lock("db//LOCK"), "EBUSY");
  lock.release();
  const again = fs.lock("/db/LOCK");
  lock.release(); // a stale release does not free the new holder
  assertCode(() => fs.lock("/db/LOCK"), "EBUSY");
  again.release();
  assertCode(() => fs.lock("/nodir/LOCK"), "ENOENT");
});

test("locks are not carried over a crash", async () => {
  const fs = new MemoryFileSystem();
  fs.lock("LOCK");
  await fs.syncDir("/");
  const crashed = fs.crashClone();
  crashed.lock("LOCK").release();
  assertCode(() => fs.lock("LOCK"), "EBUSY");
});

test("crash without keepUnsynced loses unsynced data and keeps synced data", async () => {
  const fs = new MemoryFileSystem();
  fs.mkdir("/db");
  const w = fs.openWrite("/db/log");
  await fs.syncDir("/db");
  w.append(bytes("lost"));
  assert.equal(fs.crashClone().size("/db/log"), 0);
  await w.sync();
  w.append(bytes("+unsynced"));
  w.writeAt(bytes("L"), 0);
  const crashed = fs.crashClone({ keepUnsynced: "none" });
  assert.equal(text(crashed, "/db/log"), "lost");
  w.syncSync();
  assert.equal(text(fs.crashClone(), "/db/log"), "Lost+unsynced");
  w.truncate(4);
  assert.equal(text(fs.crashClone(), "/db/log"), "Lost+unsynced", "an unsynced truncate is lost too");
  await w.sync();
  assert.equal(text(fs.crashClone(), "/db/log"), "Lost");
  assert.equal(fs.totalSyncs(), 3);
  assert.equal(fs.totalDirSyncs(), 1);
});

test("the crashed copy is independent of the original", async () => {
  const fs = new MemoryFileSystem();
  const w = fs.openWrite("f");
  w.append(bytes("abc"));
  await w.sync();
  await fs.syncDir("/");
  const crashed = fs.crashClone();
  w.writeAt(bytes("X"), 0);
  await w.sync();
  crashed.openWrite("f").writeAt(bytes("Y"), 1);
  assert.equal(text(fs, "f"), "Xbc");
  assert.equal(text(crashed, "f"), "aYc");
  // Everything in a crashed copy is durable: crashing it again keeps it all.
  assert.equal(text(crashed.crashClone(), "f"), "abc", "the unsynced write to the copy is lost");
  assert.equal(crashed.totalSyncs(), 0);
});

test("a created file vanishes on crash unless its directory is synced", async () => {
  const fs = new MemoryFileSystem();
  fs.mkdir("/db");
  const w = fs.openWrite("/db/new");
  w.append(bytes("data"));
  await w.sync();
  assert.ok(!fs.crashClone().exists("/db/new"));
  assert.ok(fs.crashClone().exists("/db"), "directories are durable at once");
  await fs.syncDir("/");
  assert.ok(!fs.crashClone().exists("/db/new"), "syncing another directory does not help");
  await fs.syncDir("/db");
  assert.equal(text(fs.crashClone(), "/db/new"), "data");
});

test("a rename reverts on crash until its directory is synced", async () => {
  const fs = new MemoryFileSystem();
  fs.mkdir("/db");
  const w = fs.openWrite("/db/CURRENT.tmp");
  w.append(bytes("v2"));
  await w.sync();
  const old = fs.openWrite("/db/CURRENT");
  old.append(bytes("v1"));
  await old.sync();
  await fs.syncDir("/db");

  fs.rename("/db/CURRENT.tmp", "/db/CURRENT");
  const before = fs.crashClone();
  assert.equal(text(before, "/db/CURRENT"), "v1");
  assert.equal(text(before, "/db/CURRENT.tmp"), "v2");

  await fs.syncDir("/db");
  const after = fs.crashClone();
  assert.equal(text(after, "/db/CURRENT"), "v2");
  assert.ok(!after.exists("/db/CURRENT.tmp"));
});

test("an unlink is undone by a crash before the directory sync", async () => {
  const fs = new MemoryFileSystem();
  const w = fs.openWrite("f");
  w.append(bytes("kept"));
  await w.sync();
  w.append(bytes(" not kept"));
  await fs.syncDir(".");
  fs.unlink("f");
  assert.equal(text(fs.crashClone(), "f"), "kept");
  await fs.syncDir(".");
  assert.ok(!fs.crashClone().exists("f"));
});

test("durable hard links still share one inode after a crash", async () => {
  const fs = new MemoryFileSystem();
  const w = fs.openWrite("a");
  w.append(bytes("x"));
  await w.sync();
  fs.link("a", "b");
  await fs.syncDir("/");
  const crashed = fs.crashClone();
  crashed.openWrite("a").append(bytes("y"));
  assert.equal(text(crashed, "b"), "xy");
});

test("keepUnsynced random keeps synced content and a prefix of the appends after it", async () => {
  const seen = { none: 0, all: 0, torn: 0 };
  for (let seed = 1; seed <= 300; seed++) {
    for (const garbage of [false, true]) {
      const rnd = seededRandom(seed * 7919);
      const fs = new MemoryFileSystem();
      const w = fs.openWrite("log");
      await fs.syncDir("/");
      const synced = new Uint8Array(1 + Math.floor(rnd() * 40)).map(() => Math.floor(rnd() * 256));
      w.append(synced);
      await w.sync();
      const writes: Uint8Array[] = [];
      const count = Math.floor(rnd() * 8);
      for (let i = 0; i < count; i++) {
        const data = new Uint8Array(1 + Math.floor(rnd() * 30)).map(() => Math.floor(rnd() * 256));
        writes.push(data);
        w.append(data);
      }
      const crashed = fs.crashClone({ keepUnsynced: "random", random: seededRandom(seed), garbage });
      const got = crashed.readFile("log");
      const full = concat([synced, ...writes]);

      // Boundaries of the write stream: synced, synced+w1, synced+w1+w2, ...
      const ends = [synced.length];
      for (const wr of writes) ends.push(ends[ends.length - 1] + wr.length);
      let k = 0;
      while (k + 1 < ends.length && ends[k + 1] <= got.length) k++;
      const msg = `seed ${seed} garbage ${garbage}: kept ${got.length} of ${ends.join(",")}`;
      assert.ok(got.length >= synced.length, msg);
      assert.deepEqual(got.subarray(0, ends[k]), full.subarray(0, ends[k]), msg);
      if (got.length > ends[k]) {
        // A torn part of write k+1: shorter than the write; without garbage, its real prefix.
        assert.ok(k + 1 < ends.length && got.length < ends[k + 1], msg);
        if (!garbage) assert.deepEqual(got, full.subarray(0, got.length), msg);
        seen.torn++;
      } else if (k === 0) {
        seen.none++;
      } else if (k === writes.length) {
        seen.all++;
      }
      // The crash must not disturb the original, and the same seed gives the same result.
      assert.deepEqual(fs.readFile("log"), full, msg);
      const again = fs.crashClone({ keepUnsynced: "random", random: seededRandom(seed), garbage });
      assert.deepEqual(again.readFile("log"), got, msg);
    }
  }
  assert.ok(seen.none > 0 && seen.all > 0 && seen.torn > 0, JSON.stringify(seen));
});

test("keepUnsynced random replays overwrites and truncations in order", async () => {
  // Model: the crash image is the synced image with the first k operations applied, then possibly
  // part of operation k+1 (a torn write). Enumerate every candidate and check the result is one.
  type Op = { kind: "write"; pos: number; data: Uint8Array } | { kind: "truncate"; size: number };
  const apply = (img: Uint8Array, op: Op): Uint8Array => {
    if (op.kind === "truncate") {
      const out = new Uint8Array(op.size);
      out.set(img.subarray(0, Math.min(op.size, img.length)));
      return out;
    }
    const out = new Uint8Array(Math.max(img.length, op.pos + op.data.length));
    out.set(img);
    out.set(op.data, op.pos);
    return out;
  };
  const torn = { seen: 0 };
  for (let seed = 1; seed <= 200; seed++) {
    const rnd = seededRandom(seed + 1_000_000);
    const fs = new MemoryFileSystem();
    const w = fs.openWrite("f");
    await fs.syncDir("/");
    w.append(new Uint8Array(20).fill(1));
    await w.sync();
    let image = fs.readFile("f");
    const ops: Op[] = [];
    for (let i = 0; i < 6; i++) {
      if (rnd() < 0.25) {
        const size = Math.floor(rnd() * 30);
        w.truncate(size);
        ops.push({ kind: "truncate", size });
      } else {
        const pos = Math.floor(rnd() * 30);
        const data = new Uint8Array(1 + Math.floor(rnd() * 10)).fill(10 + i);
        w.writeAt(data, pos);
        ops.push({ kind: "write", pos, data });
      }
    }
    const got = fs.crashClone({ keepUnsynced: "random", random: seededRandom(seed), garbage: false }).readFile("f");
    let match = false;
    for (let k = 0; k <= ops.length && !match; k++) {
      if (Buffer.compare(Buffer.from(image), Buffer.from(got)) === 0) match = true;
      const next = ops[k];
      if (!match && next?.kind === "write") {
        for (let t = 1; t < next.data.length && !match; t++) {
          const part = apply(image, { kind: "write", pos: next.pos, data: next.data.subarray(0, t) });
          if (Buffer.compare(Buffer.from(part), Buffer.from(got)) === 0) {
            match = true;
            torn.seen++;
          }
        }
      }
      if (next !== undefined) image = apply(image, next);
    }
    assert.ok(match, `seed ${seed}: crash image is not a prefix of the operations`);
  }
  assert.ok(torn.seen > 0);
});

test("unsynced data of a new file: without a directory sync nothing survives, even when kept", async () => {
  const fs = new MemoryFileSystem();
  fs.openWrite("f").append(bytes("data"));
  for (let seed = 1; seed < 20; seed++) {
    assert.ok(!fs.crashClone({ keepUnsynced: "random", random: seededRandom(seed) }).exists("f"));
  }
});

test("appends are amortised O(1): 16 MB in small appends", { timeout: 60_000 }, async () => {
  const fs = new MemoryFileSystem();
  const w = fs.openWrite("big");
  const chunk = new Uint8Array(128).fill(7);
  const n = 16 * 8192;
  for (let i = 0; i < n; i++) {
    w.append(chunk);
    if (i % 1024 === 1023) await w.sync();
  }
  assert.equal(w.size, n * 128);
  assert.equal(fs.size("big"), n * 128);
  assert.equal(fs.totalSyncs(), n / 1024);
});
