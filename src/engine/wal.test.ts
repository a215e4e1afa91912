import assert from "node:assert/strict";
import { test } from "node:test";
import { KIND_DELETE, KIND_PUT } from "../format/internal-iterator.js";
import { MemoryFileSystem } from "../fs/memory.js";
import { contiguousGroups, GroupBuilder, readWalFile, type WalGroup, WalShard, type WriteOp } from "./wal.js";

function encodeGroup(gen: number, firstSeq: number, ops: WriteOp[]): Uint8Array {
  const b = new GroupBuilder(16);
  for (const op of ops) b.add(op.kind, op.key, op.value);
  return b.seal(gen, firstSeq);
}

const enc = (s: string) => new TextEncoder().encode(s);

test("groups written to a shard read back with their sequence numbers", async () => {
  const fs = new MemoryFileSystem();
  fs.mkdir("/db");
  const shard = new WalShard(fs, "/db", 12, 0);
  const a: WriteOp[] = [
    { kind: KIND_PUT, key: enc("a"), value: enc("1") },
    { kind: KIND_DELETE, key: enc("b"), value: new Uint8Array(0) },
  ];
  const b: WriteOp[] = [{ kind: KIND_PUT, key: enc("c"), value: new Uint8Array(300) }];
  shard.append(encodeGroup(12, 1, a));
  shard.append(encodeGroup(12, 3, b));
  await shard.sync();
  assert.ok(!shard.dirty);
  const groups = readWalFile(fs, shard.path, 12);
  assert.deepEqual(
    groups.map((g) => [g.firstSeq, g.ops.length]),
    [
      [1, 2],
      [3, 1],
    ],
  );
  assert.equal(groups[0].ops[1].kind, KIND_DELETE);
  assert.equal(groups[1].ops[0].value.length, 300);
  // only synced data survives a crash, and the file's name needed a directory sync, which sync() did
  const crashed = fs.crashClone();
  assert.equal(readWalFile(crashed, shard.path, 12).length, 2);
});

test("replay keeps the contiguous run of sequence numbers and stops at a gap", () => {
  const g = (firstSeq: number, n: number): WalGroup => ({
    firstSeq,
    file: "x",
    ops: Array.from({ length: n }, () => ({ kind: KIND_PUT, key: enc("k"), value: enc("v") })),
  });
  const r = contiguousGroups([g(6, 2), g(1, 3), g(4, 2), g(10, 1)], 0);
  assert.deepEqual(
    r.groups.map((x) => x.firstSeq),
    [1, 4, 6],
  );
  assert.equal(r.lastSeq, 7);
  // groups already flushed (at or below afterSeq) are skipped
  const s = contiguousGroups([g(1, 3), g(4, 2), g(6, 2)], 5);
  assert.deepEqual(
    s.groups.map((x) => x.firstSeq),
    [6],
  );
  assert.equal(s.lastSeq, 7);
});

test("a recycled file is overwritten in place and its old tail reads as the end", async () => {
  const fs = new MemoryFileSystem();
  fs.mkdir("/db");
  const big: WriteOp[] = [{ kind: KIND_PUT, key: enc("old"), value: new Uint8Array(1000) }];
  const old = new WalShard(fs, "/db", 5, 0);
  for (let i = 0; i < 5; i++) old.append(encodeGroup(5, 1 + i, big));
  await old.sync();
  old.close();
  const small: WriteOp[] = [{ kind: KIND_PUT, key: enc("new"), value: enc("v") }];
  const shard = new WalShard(fs, "/db", 9, 0, old.path);
  shard.append(encodeGroup(9, 20, small));
  await shard.sync();
  assert.ok(!fs.exists(old.path), "the old name is gone after the rename");
  assert.ok(fs.size(shard.path) > 5000, "the file kept its old length");
  const groups = readWalFile(fs, shard.path, 9);
  assert.deepEqual(
    groups.map((g) => g.firstSeq),
    [20],
  );
  // the rename and the new bytes are durable once sync() resolved
  assert.equal(readWalFile(fs.crashClone(), shard.path, 9).length, 1);
});

test("sequence numbers beyond 2^32 round-trip through a group", () => {
  const fs = new MemoryFileSystem();
  fs.mkdir("/db");
  const shard = new WalShard(fs, "/db", 3, 0);
  const first = 2 ** 40 + 12345;
  shard.append(encodeGroup(3, first, [{ kind: KIND_PUT, key: enc("k"), value: enc("v") }]));
  assert.equal(readWalFile(fs, shard.path, 3)[0].firstSeq, first);
});
