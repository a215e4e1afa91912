// Tests of the bloom filter: the hash against reference murmur3 vectors, no false negatives, and a
// false-positive rate near the theory for the configured bits per key.

import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { BloomBuilder, BloomFilter, bloomProbes, hash32 } from "./bloom.js";

const enc = new TextEncoder();

describe("hash32", () => {
  it("matches murmur3 x86_32 reference vectors", () => {
    assert.equal(hash32(enc.encode(""), 0, 0, 0), 0);
    assert.equal(hash32(enc.encode(""), 0, 0, 1), 0x514e28b7);
    assert.equal(hash32(enc.encode("hello"), 0, 5, 0), 0x248bfa47);
    const fox = enc.encode("The quick brown fox jumps over the lazy dog");
    assert.equal(hash32(fox, 0, fox.length, 0), 0x2e4ff723);
  });

  it("hashes a range in place", () => {
    const whole = enc.encode("abcdefg");
    const framed = enc.encode("xxabcdefgyy");
    assert.equal(hash32(framed, 2, 9), hash32(whole));
    assert.notEqual(hash32(framed, 2, 8), hash32(whole));
  });
});

describe("bloom filter", () => {
  it("computes k = round(bitsPerKey * ln 2) clamped to 1..30", () => {
    assert.equal(bloomProbes(10), 7);
    assert.equal(bloomProbes(1), 1);
    assert.equal(bloomProbes(0.1), 1);
    assert.equal(bloomProbes(100), 30);
    assert.equal(new BloomBuilder(10).k, 7);
  });

  it("has no false negatives and about 1% false positives at 10 bits per key over 100k keys", () => {
    const builder = new BloomBuilder(10);
    const n = 100_000;
    for (let i = 0; i < n; i++) {
      const k = enc.encode(`user-key-${i}`);
      builder.add(k, 0, k.length);
    }
    assert.equal(builder.count(), n);
    const data = builder.finish();
    assert.equal(data.length, builder.estimatedSize());
    assert.equal(data[data.length - 1], 7);
    const filter = new BloomFilter(data);
    for (let i = 0; i < n; i++) assert.ok(filter.mayContain(enc.encode(`user-key-${i}`)), `false negative ${i}`);
    let fp = 0;
    for (let i = 0; i < n; i++) if (filter.mayContain(enc.encode(`absent-${i}`))) fp++;
    const rate = fp / n;
    assert.ok(rate > 0.003 && rate < 0.015, `false positive rate ${rate}`);
  });

  it("scales with bits per key", () => {
    const rates: number[] = [];
    for (const bits of [4, 10, 20]) {
      const b = new BloomBuilder(bits);
      for (let i = 0; i < 20_000; i++) b.add(enc.encode(`k${i}`));
      const f = new BloomFilter(b.finish());
      let fp = 0;
      for (let i = 0; i < 20_000; i++) if (f.mayContain(enc.encode(`q${i}`))) fp++;
      rates.push(fp / 20_000);
    }
    assert.ok(rates[0] > rates[1] && rates[1] > rates[2], `rates ${rates}`);
  });

  it("handles an empty builder, tiny filters, reuse, and reserved encodings", () => {
    const b = new BloomBuilder(10);
    const empty = new BloomFilter(b.finish());
    assert.equal(empty.mayContain(enc.encode("a")), false);
    b.add(enc.encode("only"));
    const one = new BloomFilter(b.finish());
    assert.ok(one.mayContain(enc.encode("only")));
    b.reset();
    assert.equal(b.count(), 0);
    const reserved = new Uint8Array(9);
    reserved[8] = 31;
    assert.ok(new BloomFilter(reserved).mayContain(enc.encode("anything")));
    assert.equal(new BloomFilter(new Uint8Array(0)).mayContain(enc.encode("x")), false);
    assert.throws(() => new BloomBuilder(0), RangeError);
  });

  it("checks keys given as ranges and as hashes", () => {
    const b = new BloomBuilder(10);
    const framed = enc.encode("--key--");
    b.add(framed, 2, 5);
    const f = new BloomFilter(b.finish());
    assert.ok(f.mayContain(enc.encode("key")));
    assert.ok(f.mayContainRange(framed, 2, 5));
    assert.ok(f.mayContainHash(hash32(enc.encode("key"))));
  });
});
