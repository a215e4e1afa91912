// Benchmark data: db_bench-style keys and values, seeded shuffles and pre-built batches. Everything here is generated
// before any timing starts and is shared, read-only, by every system and repetition.

/** Key length in bytes: db_bench's 16-byte zero-padded decimal keys. */
export const KEY_BYTES = 16;
/** Value length in bytes: db_bench's default 100-byte values. */
export const VALUE_BYTES = 100;

const POOL_BYTES = 1 << 20;

export type Entry = [Uint8Array, Uint8Array];

/** mulberry32: a small, fast, seeded PRNG returning floats in [0, 1). */
export function seededRandom(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** A seeded Fisher-Yates permutation of 0..n-1. */
export function permutation(n: number, seed: number): Uint32Array {
  const rnd = seededRandom(seed);
  const order = new Uint32Array(n);
  for (let i = 0; i < n; i++) order[i] = i;
  for (let i = n - 1; i > 0; i--) {
    const j = Math.floor(rnd() * (i + 1));
    const t = order[i];
    order[i] = order[j];
    order[j] = t;
  }
  return order;
}

/** The data set for one run: N keys in sorted order, their values, and the random orders workloads use. */
export class BenchData {
  readonly n: number;
  /** keys[i] is String(i).padStart(16, "0") as bytes, so keys are in ascending byte order. */
  readonly keys: Buffer[];
  /** values[i] is the value first written for keys[i]. */
  readonly values: Buffer[];
  private cache = new Map<string, unknown>();

  constructor(n: number) {
    if (n > 10 ** KEY_BYTES) throw new Error(`n=${n} does not fit ${KEY_BYTES}-digit keys`);
    this.n = n;
    // One backing store for all keys, one view per key.
    const keyStore = Buffer.allocUnsafe(n * KEY_BYTES);
    this.keys = new Array<Buffer>(n);
    for (let i = 0; i < n; i++) {
      keyStore.write(String(i).padStart(KEY_BYTES, "0"), i * KEY_BYTES, "latin1");
      this.keys[i] = keyStore.subarray(i * KEY_BYTES, (i + 1) * KEY_BYTES);
    }
    // Like db_bench's RandomGenerator: a 1 MiB pool of printable random bytes that compresses to about half its size
    // (each 100-byte piece is 50 random bytes repeated), and values are 100-byte slices of it.
    const rnd = seededRandom(0x5eed);
    const pool = Buffer.allocUnsafe(POOL_BYTES);
    for (let off = 0; off < POOL_BYTES; off += VALUE_BYTES) {
      const half = VALUE_BYTES / 2;
      for (let j = 0; j < VALUE_BYTES && off + j < POOL_BYTES; j++) {
        pool[off + j] = j < half ? 32 + Math.floor(rnd() * 95) : pool[off + j - half];
      }
    }
    this.values = new Array<Buffer>(n);
    const span = POOL_BYTES - VALUE_BYTES;
    for (let i = 0; i < n; i++) {
      const off = (i * 997 * VALUE_BYTES + i) % span;
      this.values[i] = pool.subarray(off, off + VALUE_BYTES);
    }
  }

  private memo<T>(name: string, make: () => T): T {
    if (!this.cache.has(name)) this.cache.set(name, make());
    return this.cache.get(name) as T;
  }

  /** The order fillrandom (and the untimed fills of the read workloads) write keys in. */
  get fillOrder(): Uint32Array {
    return this.memo("fillOrder", () => permutation(this.n, 1));
  }

  /** The order readrandom reads keys in (every key exactly once). */
  get readOrder(): Uint32Array {
    return this.memo("readOrder", () => permutation(this.n, 2));
  }

  /** The order overwrite rewrites keys in. */
  get overwriteOrder(): Uint32Array {
    return this.memo("overwriteOrder", () => permutation(this.n, 3));
  }

  /** The value overwrite writes for keys[i]: a different slice than the original, so overwrites change data. */
  overwriteValue(i: number): Buffer {
    return this.values[(i + 1) % this.n];
  }

  /** All N pairs in ascending key order (bulk ingest's input). */
  get sortedPairs(): Entry[] {
    return this.memo("sortedPairs", () => this.keys.map((k, i): Entry => [k, this.values[i]]));
  }

  /** Pre-built batches of `size` entries: sequential order, fill order, or overwrite order (with new values). */
  batches(order: "seq" | "random" | "overwrite", size: number): Entry[][] {
    return this.memo(`batches:${order}:${size}`, () => {
      const perm = order === "seq" ? undefined : order === "random" ? this.fillOrder : this.overwriteOrder;
      const out: Entry[][] = [];
      for (let start = 0; start < this.n; start += size) {
        const end = Math.min(this.n, start + size);
        const batch = new Array<Entry>(end - start);
        for (let j = start; j < end; j++) {
          const i = perm ? perm[j] : j;
          batch[j - start] = [this.keys[i], order === "overwrite" ? this.overwriteValue(i) : this.values[i]];
        }
        out.push(batch);
      }
      return out;
    });
  }
}

export function bytesEqual(a: Uint8Array, b: Uint8Array): boolean {
  return a.length === b.length && Buffer.compare(a, b) === 0;
}
