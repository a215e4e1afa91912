// A small seeded pseudo-random generator (mulberry32) for reproducible crash and fault tests:
// the in-memory disk uses it to pick which unsynced writes survive a crash, the fault injector
// to pick how much of a failing write reaches the disk. A failing seed can be replayed exactly.

/** Returns a generator of floats in [0, 1), fully determined by `seed` (any 32-bit integer). */
export function seededRandom(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** A random integer in [min, max] (inclusive) drawn from `random`. */
export function randomInt(random: () => number, min: number, max: number): number {
  if (max <= min) return min;
  return min + Math.min(max - min, Math.floor(random() * (max - min + 1)));
}
