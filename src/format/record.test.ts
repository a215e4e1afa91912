import assert from "node:assert/strict";
import { test } from "node:test";
import { CorruptionError } from "./errors.js";
import { encodeRecord, RECORD_HEADER_SIZE, readLog } from "./record.js";

const enc = (s: string) => new TextEncoder().encode(s);

function log(n: number, logNumber = 7): Uint8Array {
  const parts = Array.from({ length: n }, (_, i) => encodeRecord(enc(`payload-${i}`.repeat(i + 1)), logNumber, 1));
  return Buffer.concat(parts);
}

test("round-trips records", () => {
  const { records, validLength } = readLog(log(5), 7, "f");
  assert.equal(records.length, 5);
  assert.equal(new TextDecoder().decode(records[2].payload), "payload-2".repeat(3));
  assert.equal(validLength, log(5).length);
});

test("a torn tail at every offset reads as a prefix", () => {
  const full = log(6);
  const ends: number[] = [];
  let pos = 0;
  for (const r of readLog(full, 7, "f").records) {
    pos = r.offset + RECORD_HEADER_SIZE + r.payload.length;
    ends.push(pos);
  }
  for (let cut = 0; cut <= full.length; cut++) {
    const { records } = readLog(full.subarray(0, cut), 7, "f");
    assert.equal(records.length, ends.filter((e) => e <= cut).length, `cut at ${cut}`);
  }
});

test("records of another log number and zeros end the log", () => {
  const mixed = Buffer.concat([log(2, 7), log(3, 6)]);
  assert.equal(readLog(mixed, 7, "f").records.length, 2);
  const zeros = Buffer.concat([log(2, 7), Buffer.alloc(100)]);
  assert.equal(readLog(zeros, 7, "f").records.length, 2);
});

test("damage before valid records is a CorruptionError; damage in the last record is a torn tail", () => {
  const full = log(4);
  const first = Buffer.from(full);
  first[RECORD_HEADER_SIZE + 2] ^= 0x10;
  assert.throws(() => readLog(first, 7, "wal-x"), CorruptionError);
  const last = Buffer.from(full);
  last[last.length - 2] ^= 0x10;
  assert.equal(readLog(last, 7, "f").records.length, 3);
});

test("a strict log reports damage anywhere, even in its last record, but tolerates a torn tail", () => {
  const full = log(3);
  const records = readLog(full, 7, "m", true).records;
  const last = records[2].offset;
  const lengthFlip = Buffer.from(full);
  lengthFlip[last + 5] ^= 0x01; // the last record now claims 256 more bytes than the log has
  assert.equal(readLog(lengthFlip, 7, "m").records.length, 2, "a lenient log reads it as a torn tail");
  assert.throws(() => readLog(lengthFlip, 7, "m", true), CorruptionError);
  const crcFlip = Buffer.from(full);
  crcFlip[full.length - 1] ^= 0x40;
  assert.throws(() => readLog(crcFlip, 7, "m", true), CorruptionError);
  for (let cut = last + 1; cut < full.length; cut++) {
    assert.equal(readLog(full.subarray(0, cut), 7, "m", true).records.length, 2, `torn at ${cut}`);
  }
});
