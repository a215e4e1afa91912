import assert from "node:assert/strict";
import { test } from "node:test";
import { KIND_DELETE, KIND_PUT } from "../format/internal-iterator.js";
import { MemoryFileSystem } from "../fs/memory.js";
import { contiguousGroups, encodeGroup, opsSize, readWalFile, type WalGroup, WalShard, type WriteOp } from "./wal.js";

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
  shard.append(encodeGroup(12, 1, 2, [a], opsSize(a)));
  shard.append(encodeGroup(12, 3, 1, [b], opsSize(b)));
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
