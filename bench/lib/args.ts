// Command-line values the benchmark suites share: comma lists of known names and positive counts.
// Each suite passes its own `fail`, which prints its usage and exits.

/** The names in a comma list, in the order of `all`; every name must be one of `all`. No list: all. */
export function pickList<T extends string>(
  raw: string | undefined,
  all: readonly T[],
  what: string,
  fail: (message: string) => never,
): T[] {
  if (raw === undefined) return [...all];
  const picked = raw
    .split(",")
    .map((s) => s.trim())
    .filter((s) => s.length > 0);
  for (const p of picked) if (!(all as readonly string[]).includes(p)) fail(`unknown ${what} "${p}"`);
  return all.filter((a) => picked.includes(a));
}

/** A positive integer; `_` separators and k / M suffixes are accepted (100_000, 100k, 1M). */
export function positiveInt(raw: string, what: string, fail: (message: string) => never): number {
  const m = /^(\d[\d_]*)([kKmM]?)$/.exec(raw.trim());
  const v = m ? Number(m[1].replaceAll("_", "")) * (m[2] === "" ? 1 : /k/i.test(m[2]) ? 1_000 : 1_000_000) : Number.NaN;
  if (!Number.isSafeInteger(v) || v <= 0) fail(`${what} wants a positive integer, got "${raw}"`);
  return v;
}
