import assert from "node:assert/strict";
import { test } from "node:test";
import { judge, type MetricSpec, overall, quantile, relativeSpread, worseBy } from "./gate-verdict.js";

const bytes: MetricSpec = { name: "bytes/key", kind: "deterministic", unit: "B/key", better: "lower" };
const ops: MetricSpec = { name: "SET ops/s", kind: "noisy", unit: "ops/s", better: "higher" };
const latency: MetricSpec = { name: "p99", kind: "noisy", unit: "ms", better: "lower" };
const s = (...samples: number[]) => ({ samples });

test("quantile, relativeSpread and worseBy", () => {
  assert.equal(quantile([5, 1, 3], 0.5), 3);
  assert.equal(quantile([1, 2, 3, 4, 5], 0.25), 2);
  assert.equal(quantile([1, 2], 0.75), 1.75);
  assert.equal(relativeSpread([100]), 0);
  // Interquartile range over the median: the outliers at either end do not count.
  assert.equal(relativeSpread([10, 90, 100, 110, 500]), 0.2);
  assert.equal(relativeSpread([90, 100, 110]), 0.1);
  assert.ok(Number.isNaN(relativeSpread([])));
  assert.ok(Math.abs(worseBy(100, 110, "lower") - 0.1) < 1e-12);
  assert.ok(Math.abs(worseBy(100, 90, "higher") - 0.1) < 1e-12);
  assert.ok(worseBy(100, 120, "higher") < 0);
  assert.equal(worseBy(0, 0, "lower"), 0);
  assert.equal(worseBy(0, 1, "lower"), Number.POSITIVE_INFINITY);
  assert.ok(Number.isNaN(worseBy(0, 5, "higher")));
});

test("deterministic: a rise above 5% fails; 5% exactly, less, or a drop passes", () => {
  assert.equal(judge(bytes, s(100), s(100)).verdict, "PASS");
  assert.equal(judge(bytes, s(100), s(105)).verdict, "PASS");
  assert.equal(judge(bytes, s(100), s(105.01)).verdict, "FAIL");
  assert.equal(judge(bytes, s(100), s(110)).verdict, "FAIL");
  assert.equal(judge(bytes, s(100), s(50)).verdict, "PASS");
  // Deterministic metrics ignore spread: a noisy-looking base does not widen the budget.
  assert.equal(judge(bytes, s(80, 100, 120), s(110, 110, 110)).verdict, "FAIL");
  const row = judge(bytes, s(100, 100), s(110, 110));
  assert.equal(row.base, 100);
  assert.equal(row.head, 110);
  assert.ok(Math.abs(row.change - 0.1) < 1e-12);
  assert.match(row.note, /above the \+5% budget/);
});

test("deterministic: zero on base and more on head fails; zero on both passes", () => {
  const fsyncs: MetricSpec = { ...bytes, name: "fsyncs", unit: "fsyncs" };
  assert.equal(judge(fsyncs, s(0), s(0)).verdict, "PASS");
  assert.equal(judge(fsyncs, s(0), s(1)).verdict, "FAIL");
});

test("deterministic: samples that vary are noted", () => {
  assert.match(judge(bytes, s(100, 101), s(100)).note, /base varied 100-101/);
});

test("noisy: the band is the larger interquartile spread of both trees, floored at 5%", () => {
  // Both trees steady: band 5%. A 4% drop passes, 10% warns, 20% fails.
  assert.equal(judge(ops, s(1000, 1000, 1000), s(960, 960, 960)).verdict, "PASS");
  assert.equal(judge(ops, s(1000, 1000, 1000), s(900, 900, 900)).verdict, "WARN");
  assert.equal(judge(ops, s(1000, 1000, 1000), s(800, 800, 800)).verdict, "FAIL");
  assert.equal(judge(ops, s(1000), s(960)).allowed, 0.05);
  // Base quartiles 950 and 1050 around 1000: band 10%, so a 9% drop is inside it; the outliers do not widen it.
  const row = judge(ops, s(100, 950, 1000, 1050, 5000), s(910, 910, 910));
  assert.ok(Math.abs(row.allowed - 0.1) < 1e-12);
  assert.equal(row.verdict, "PASS");
  // Head's spread counts too.
  assert.ok(Math.abs(judge(ops, s(1000), s(800, 860, 910, 960, 990)).allowed - 0.1 / 0.91) < 1e-12);
  // Exactly 15% worse warns; just beyond fails.
  assert.equal(judge(ops, s(1000), s(850)).verdict, "WARN");
  assert.equal(judge(ops, s(1000), s(849)).verdict, "FAIL");
});

test("noisy: a band above 15% passes what is inside it and fails what is beyond it", () => {
  // Spread 30%: a 20% drop is noise; a 40% drop is not.
  assert.equal(judge(ops, s(700, 850, 1000, 1150, 1300), s(800, 800, 800)).verdict, "PASS");
  assert.equal(judge(ops, s(700, 850, 1000, 1150, 1300), s(600, 600, 600)).verdict, "FAIL");
});

test("noisy: improvements pass; lower-is-better metrics judge a rise", () => {
  assert.equal(judge(ops, s(1000), s(2000)).verdict, "PASS");
  assert.match(judge(ops, s(1000), s(2000)).note, /better/);
  assert.equal(judge(latency, s(10), s(10.4)).verdict, "PASS");
  assert.equal(judge(latency, s(10), s(11)).verdict, "WARN");
  assert.equal(judge(latency, s(10), s(12)).verdict, "FAIL");
  assert.equal(judge(latency, s(10), s(5)).verdict, "PASS");
});

test("noisy, paired: the median of the pairs' ratios cancels drift that hits both trees alike", () => {
  // The machine slows down rep by rep; each head run is 2% slower than the base run next to it.
  const base = s(1000, 900, 800, 700, 600);
  const head = s(980, 882, 784, 686, 588);
  const paired = judge(ops, base, head, { paired: true });
  assert.ok(Math.abs(paired.worse - 0.02) < 1e-12);
  assert.ok(Math.abs(paired.change + 0.02) < 1e-12);
  assert.equal(paired.verdict, "PASS");
  // A 30% slowdown in every pair fails, though the drift makes the trees' ranges overlap.
  const slow = s(700, 630, 560, 490, 420);
  assert.equal(judge(ops, base, slow).verdict, "FAIL");
  assert.equal(judge(ops, base, slow, { paired: true }).verdict, "FAIL");
  assert.ok(Math.abs(judge(ops, base, slow, { paired: true }).worse - 0.3) < 1e-12);
  // One pair hit by a burst of someone else's work does not move the median of the ratios.
  assert.equal(
    judge(ops, s(1000, 1000, 1000, 1000, 1000), s(1000, 400, 1000, 990, 1000), { paired: true }).verdict,
    "PASS",
  );
  // Lower-is-better metrics pair the same way; unequal sample counts fall back to the medians.
  assert.ok(Math.abs(judge(latency, s(10, 20), s(11, 22), { paired: true }).worse - 0.1) < 1e-12);
  assert.ok(Math.abs(judge(ops, s(1000, 1000), s(900), { paired: true }).change + 0.1) < 1e-12);
});

test("a metric that was not measured fails closed, on either side and of either kind", () => {
  for (const spec of [bytes, ops]) {
    assert.equal(judge(spec, undefined, s(1)).verdict, "FAIL");
    assert.equal(judge(spec, s(1), undefined).verdict, "FAIL");
    assert.equal(judge(spec, s(), s(1)).verdict, "FAIL");
    assert.equal(judge(spec, s(1), { samples: [1], error: "child crashed" }).verdict, "FAIL");
    assert.equal(judge(spec, s(1), s(Number.NaN)).verdict, "FAIL");
    assert.match(judge(spec, s(1), { samples: [], error: "child crashed" }).note, /not measured: head: child crashed/);
  }
  assert.equal(judge(ops, s(0), s(10)).verdict, "FAIL");
});

test("overall: any FAIL fails, else any WARN warns; no metric at all fails", () => {
  const pass = judge(bytes, s(1), s(1));
  const warn = judge(ops, s(1000), s(900));
  const fail = judge(bytes, s(1), s(2));
  assert.equal(overall([pass, pass]), "PASS");
  assert.equal(overall([pass, warn]), "WARN");
  assert.equal(overall([warn, fail, pass]), "FAIL");
  assert.equal(overall([]), "FAIL");
});
