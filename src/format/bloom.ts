// Bloom filters over user keys: the builder that segment writers feed while writing, the reader
// that segment lookups consult before touching a data block, and the 32-bit key hash both use.
//
// Encoding: the bit array (nbits = 8 * its byte length, at least 64), then one byte k (the number
// of probes). Probe positions come from one 32-bit hash h by double hashing: position j is
// ((h + j * delta) mod 2^31) mod nbits, where delta = probeDelta(h), an integer mixer
// of h (a remix rather than LevelDB's rotation, which costs ~50% more false positives). A k above
// 30 is reserved for future encodings and reads as "may contain everything".

/** The seed of the bloom hash; changing it changes the on-disk format. */
const BLOOM_SEED = 0xbc9f1d34;

/** Murmur3 (x86, 32-bit) of buf[start, end). Allocation-free; returns an unsigned 32-bit integer. */
export function hash32(buf: Uint8Array, start = 0, end: number = buf.length, seed: number = BLOOM_SEED): number {
  let h = seed | 0;
  const len = end - start;
  const blockEnd = start + (len & ~3);
  let i = start;
  while (i < blockEnd) {
    let k = buf[i] | (buf[i + 1] << 8) | (buf[i + 2] << 16) | (buf[i + 3] << 24);
    k = Math.imul(k, 0xcc9e2d51);
    k = (k << 15) | (k >>> 17);
    k = Math.imul(k, 0x1b873593);
    h ^= k;
    h = (h << 13) | (h >>> 19);
    h = (Math.imul(h, 5) + 0xe6546b64) | 0;
    i += 4;
  }
  const rest = end - i;
  if (rest > 0) {
    let k = buf[i];
    if (rest > 1) k |= buf[i + 1] << 8;
    if (rest > 2) k |= buf[i + 2] << 16;
    k = Math.imul(k, 0xcc9e2d51);
    k = (k << 15) | (k >>> 17);
    k = Math.imul(k, 0x1b873593);
    h ^= k;
  }
  h ^= len;
  h ^= h >>> 16;
  h = Math.imul(h, 0x85ebca6b);
  h ^= h >>> 13;
  h = Math.imul(h, 0xc2b2ae35);
  h ^= h >>> 16;
  return h >>> 0;
}

/** The double-hashing step for hash h (an avalanche mix of h, so that the step looks independent). */
function probeDelta(h: number): number {
  let x = Math.imul(h ^ (h >>> 16), 0x7feb352d);
  x = Math.imul(x ^ (x >>> 15), 0x846ca68b);
  return x ^ (x >>> 16);
}

/** The number of probes for `bitsPerKey`: round(bitsPerKey * ln 2), clamped to 1..30. */
export function bloomProbes(bitsPerKey: number): number {
  const k = Math.round(bitsPerKey * Math.LN2);
  return Math.min(30, Math.max(1, k));
}

/** Collects key hashes and serialises a bloom filter sized for them. */
export class BloomBuilder {
  readonly bitsPerKey: number;
  readonly k: number;
  private hashes: Uint32Array = new Uint32Array(1024);
  private n = 0;

  constructor(bitsPerKey = 10) {
    if (!(bitsPerKey > 0) || !Number.isFinite(bitsPerKey)) {
      throw new RangeError(`bloom bitsPerKey must be a positive number, got ${bitsPerKey}`);
    }
    this.bitsPerKey = bitsPerKey;
    this.k = bloomProbes(bitsPerKey);
  }

  /** Adds the key buf[start, end). Callers add each distinct user key once. */
  add(buf: Uint8Array, start = 0, end: number = buf.length): void {
    this.addHash(hash32(buf, start, end));
  }

  /** Adds a key by its `hash32`. */
  addHash(h: number): void {
    if (this.n === this.hashes.length) {
      const grown = new Uint32Array(this.hashes.length * 2);
      grown.set(this.hashes);
      this.hashes = grown;
    }
    this.hashes[this.n++] = h;
  }

  /** Keys added so far. */
  count(): number {
    return this.n;
  }

  /** Size in bytes `finish` would return now. */
  estimatedSize(): number {
    return this.byteLength() + 1;
  }

  private byteLength(): number {
    let bits = Math.ceil(this.n * this.bitsPerKey);
    if (bits < 64) bits = 64;
    if (bits > 2 ** 31 - 64) bits = 2 ** 31 - 64; // probe positions are 31-bit
    return (bits + 7) >>> 3;
  }

  /** Serialises the filter (bit array, then k). The builder can be reused after `reset`. */
  finish(): Uint8Array {
    const bytes = this.byteLength();
    const out = new Uint8Array(bytes + 1);
    const nbits = bytes * 8;
    const k = this.k;
    const hashes = this.hashes;
    for (let i = 0; i < this.n; i++) {
      let h = hashes[i];
      const delta = probeDelta(h);
      for (let j = 0; j < k; j++) {
        const bit = (h & 0x7fffffff) % nbits;
        out[bit >>> 3] |= 1 << (bit & 7);
        h = (h + delta) | 0;
      }
    }
    out[bytes] = k;
    return out;
  }

  reset(): void {
    this.n = 0;
  }
}

/** Reads a serialised bloom filter. The data must not change while the reader is in use. */
export class BloomFilter {
  private readonly bits: Uint8Array;
  private readonly nbits: number;
  private readonly k: number;

  constructor(data: Uint8Array) {
    this.bits = data;
    this.nbits = data.length > 1 ? (data.length - 1) * 8 : 0;
    this.k = data.length > 1 ? data[data.length - 1] : 0;
  }

  /** Size of the serialised filter in bytes. */
  get byteSize(): number {
    return this.bits.length;
  }

  /** False only if `key` was certainly never added. */
  mayContain(key: Uint8Array): boolean {
    return this.mayContainHash(hash32(key, 0, key.length));
  }

  /** `mayContain` for the key buf[start, end). */
  mayContainRange(buf: Uint8Array, start: number, end: number): boolean {
    return this.mayContainHash(hash32(buf, start, end));
  }

  /** `mayContain` for a key given by its `hash32`. */
  mayContainHash(h: number): boolean {
    const nbits = this.nbits;
    if (nbits === 0) return false;
    const k = this.k;
    if (k > 30 || k === 0) return true; // reserved encodings: be conservative
    const bits = this.bits;
    const delta = probeDelta(h);
    for (let j = 0; j < k; j++) {
      const bit = (h & 0x7fffffff) % nbits;
      if ((bits[bit >>> 3] & (1 << (bit & 7))) === 0) return false;
      h = (h + delta) | 0;
    }
    return true;
  }
}
