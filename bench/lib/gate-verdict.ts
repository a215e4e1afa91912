// The performance gate's verdicts: pure functions from the samples of a base tree and a head tree (or a committed
// baseline) to PASS, WARN or FAIL per metric. No I/O, so the rules are unit-tested (gate-verdict.test.ts).
//
// - Deterministic metrics (bytes per key, bytes on disk, fsyncs per N writes, pack size) have a tight budget: head
//   more than 5% worse than base fails, anything else passes.
// - Noisy metrics (throughput, latency) get a band: the larger relative spread (interquartile range / median) of
//   the two trees' repetitions, floored at 5%. Head worse than base by no more than the band passes; worse by more
//   than the band but at most 15% warns; worse by more than both the band and 15% fails. (A band above 15% means the
//   machine was too noisy to tell that much apart: then only a change beyond the band fails.) "Worse" compares the
//   medians, or, when the repetitions come in pairs (the gate runs base and head next to each other), it is the
//   median of the pairs' ratios, so drift of the machine that outlasts a pair cancels out.
// - A metric that could not be measured on either side fails: the gate fails closed.

export type MetricKind = "deterministic" | "noisy";
/** Which direction is better: "lower" for bytes, fsyncs and latency; "higher" for throughput. */
export type Better = "lower" | "higher";
export type Verdict = "PASS" | "WARN" | "FAIL";

export interface MetricSpec {
  name: string;
  kind: MetricKind;
  unit: string;
  better: Better;
}

/** What one tree produced for one metric: its repetitions' values, or why it has none. */
export interface Measured {
  samples: readonly number[];
  /** Why the metric was not measured (or not in every repetition), when it was not. */
  error?: string;
}

export interface VerdictRow {
  metric: string;
  kind: MetricKind;
  unit: string;
  better: Better;
  base: number;
  head: number;
  /** head / base - 1 (paired: the median of the pairs' head / base, - 1): the raw relative change; NaN if unmeasured. */
  change: number;
  /** How much worse head is than base, as a fraction (negative: better). */
  worse: number;
  /** The noisy metrics' band; the deterministic budget for the others. */
  allowed: number;
  verdict: Verdict;
  note: string;
}

/** A rise above this fails a deterministic metric. */
export const DETERMINISTIC_BUDGET = 0.05;
/** The smallest band a noisy metric gets. */
export const NOISE_FLOOR = 0.05;
/** A noisy metric worse by more than this (and by more than its band) fails; up to it, it warns. */
export const WARN_LIMIT = 0.15;

// Comparisons allow for the last bits of floating-point division: a rise of exactly 5% is not "above 5%".
const EPS = 1e-9;

export function median(xs: readonly number[]): number {
  if (xs.length === 0) return Number.NaN;
  const s = [...xs].sort((a, b) => a - b);
  const mid = s.length >> 1;
  return s.length % 2 === 1 ? s[mid] : (s[mid - 1] + s[mid]) / 2;
}

/** The q-quantile (0..1) of the samples, interpolating between the two nearest (R's type 7, numpy's default). */
export function quantile(xs: readonly number[], q: number): number {
  if (xs.length === 0) return Number.NaN;
  const s = [...xs].sort((a, b) => a - b);
  const pos = (s.length - 1) * q;
  const lo = Math.floor(pos);
  const hi = Math.ceil(pos);
  return s[lo] + (s[hi] - s[lo]) * (pos - lo);
}

/**
 * The relative spread of a tree's repetitions: the interquartile range over the median. Quartiles, not min and max:
 * on a shared machine one repetition in five is often hit by someone else's work, and one such outlier would set the
 * band for a whole metric. 0 for one sample; NaN for none, or for a median of 0 with samples that differ.
 */
export function relativeSpread(xs: readonly number[]): number {
  if (xs.length === 0) return Number.NaN;
  const m = median(xs);
  if (!(m > 0)) return xs.every((x) => x === m) ? 0 : Number.NaN;
  return (quantile(xs, 0.75) - quantile(xs, 0.25)) / m;
}

/** How much worse `head` is than `base`, as a fraction of base: 0.1 = 10% worse, -0.1 = 10% better. */
export function worseBy(base: number, head: number, better: Better): number {
  if (!Number.isFinite(base) || !Number.isFinite(head)) return Number.NaN;
  if (better === "lower") {
    if (base === 0) return head === 0 ? 0 : head > 0 ? Number.POSITIVE_INFINITY : Number.NEGATIVE_INFINITY;
    return head / base - 1;
  }
  if (!(base > 0)) return Number.NaN; // a throughput of 0 (or below) on base is no measurement
  return 1 - head / base;
}

function usable(m: Measured | undefined): string | null {
  if (m === undefined) return "not measured";
  if (m.error !== undefined) return m.error;
  if (m.samples.length === 0) return "no samples";
  if (m.samples.some((x) => !Number.isFinite(x))) return "a sample is not a finite number";
  return null;
}

function pct(x: number, digits = 1): string {
  if (!Number.isFinite(x)) return x > 0 ? "+inf%" : x < 0 ? "-inf%" : "-";
  return `${x >= 0 ? "+" : ""}${(x * 100).toFixed(digits)}%`;
}

function notMeasured(spec: MetricSpec, allowed: number, base: number, head: number, why: string): VerdictRow {
  return {
    metric: spec.name,
    kind: spec.kind,
    unit: spec.unit,
    better: spec.better,
    base,
    head,
    change: Number.NaN,
    worse: Number.NaN,
    allowed,
    verdict: "FAIL",
    note: `not measured: ${why}`,
  };
}

/**
 * The verdict on one metric, base against head (or a baseline, as a one-sample base, against head). With `paired`,
 * base.samples[i] and head.samples[i] were measured next to each other, and a noisy metric's change is the median of
 * their ratios rather than the ratio of the medians.
 */
export function judge(
  spec: MetricSpec,
  base: Measured | undefined,
  head: Measured | undefined,
  opts: { paired?: boolean } = {},
): VerdictRow {
  const baseWhy = usable(base);
  const headWhy = usable(head);
  const b = baseWhy === null && base ? median(base.samples) : Number.NaN;
  const h = headWhy === null && head ? median(head.samples) : Number.NaN;
  if (spec.kind === "deterministic") {
    if (baseWhy !== null) return notMeasured(spec, DETERMINISTIC_BUDGET, b, h, `base: ${baseWhy}`);
    if (headWhy !== null) return notMeasured(spec, DETERMINISTIC_BUDGET, b, h, `head: ${headWhy}`);
    const worse = worseBy(b, h, spec.better);
    if (Number.isNaN(worse)) return notMeasured(spec, DETERMINISTIC_BUDGET, b, h, `cannot compare ${h} with ${b}`);
    const notes: string[] = [];
    for (const [side, m] of [
      ["base", base],
      ["head", head],
    ] as const) {
      const xs = m?.samples ?? [];
      if (Math.min(...xs) !== Math.max(...xs)) notes.push(`${side} varied ${Math.min(...xs)}-${Math.max(...xs)}`);
    }
    const fail = worse > DETERMINISTIC_BUDGET + EPS;
    notes.unshift(
      fail
        ? `${pct(worse)} worse, above the ${pct(DETERMINISTIC_BUDGET, 0)} budget`
        : worse < -EPS
          ? `${pct(-worse)} better`
          : worse > EPS
            ? `${pct(worse)} worse, within the budget`
            : "unchanged",
    );
    return {
      metric: spec.name,
      kind: spec.kind,
      unit: spec.unit,
      better: spec.better,
      base: b,
      head: h,
      change: b === 0 ? (h === 0 ? 0 : Number.POSITIVE_INFINITY) : h / b - 1,
      worse,
      allowed: DETERMINISTIC_BUDGET,
      verdict: fail ? "FAIL" : "PASS",
      note: notes.join("; "),
    };
  }

  const band = Math.max(
    NOISE_FLOOR,
    baseWhy === null && base ? relativeSpread(base.samples) : 0,
    headWhy === null && head ? relativeSpread(head.samples) : 0,
  );
  if (baseWhy !== null) return notMeasured(spec, band, b, h, `base: ${baseWhy}`);
  if (headWhy !== null) return notMeasured(spec, band, b, h, `head: ${headWhy}`);
  // Paired repetitions (base and head run next to each other): the change is the median of the pairs' ratios, so
  // drift of the machine that lasts longer than one pair cancels out. Otherwise: the ratio of the medians.
  const bs = base?.samples ?? [];
  const hs = head?.samples ?? [];
  const paired = opts.paired === true && bs.length === hs.length && bs.every((x) => x > 0);
  const ratio = paired ? median(hs.map((x, i) => x / bs[i])) : h / b;
  const worse = paired ? worseBy(1, ratio, spec.better) : worseBy(b, h, spec.better);
  if (Number.isNaN(worse) || Number.isNaN(band)) {
    return notMeasured(spec, band, b, h, `cannot compare ${h} with ${b}`);
  }
  let verdict: Verdict;
  let note: string;
  if (worse <= band + EPS) {
    verdict = "PASS";
    note = worse < -band ? `${pct(-worse)} better` : "within the band";
  } else if (worse <= WARN_LIMIT + EPS) {
    verdict = "WARN";
    note = `${pct(worse)} worse: beyond the band, within ${pct(WARN_LIMIT, 0)}`;
  } else {
    verdict = "FAIL";
    note = `${pct(worse)} worse: beyond the band and ${pct(WARN_LIMIT, 0)}`;
  }
  return {
    metric: spec.name,
    kind: spec.kind,
    unit: spec.unit,
    better: spec.better,
    base: b,
    head: h,
    change: ratio - 1,
    worse,
    allowed: band,
    verdict,
    note,
  };
}

/** The gate's overall verdict: FAIL if any metric fails, else WARN if any warns, else PASS (FAIL for no metric). */
export function overall(rows: readonly VerdictRow[]): Verdict {
  if (rows.length === 0) return "FAIL";
  if (rows.some((r) => r.verdict === "FAIL")) return "FAIL";
  if (rows.some((r) => r.verdict === "WARN")) return "WARN";
  return "PASS";
}

export function formatChange(x: number): string {
  return pct(x);
}

export function formatAllowed(row: VerdictRow): string {
  return row.kind === "deterministic"
    ? `<= ${pct(row.allowed, 0)}`
    : `band ${(row.allowed * 100).toFixed(1)}%, warn to ${(WARN_LIMIT * 100).toFixed(0)}%`;
}
