// Model-based randomized test of the Store: a store on an in-memory disk with tiny random options,
// a weighted random mix of ~700 operations, every read checked against a Map-based model. The run
// is in test/support/model-run.ts; the seeds, the worker thread each runs in and the watchdog are
// in test/support/seed-runs.ts.
//
// Runs are fully determined by their seed. A failure names the seed, the operation index and the
// recent operations, and replays with
//
//   SHALE_SEED=<seed> node --import tsx --test test/model.test.ts
//
// Environment: SHALE_SEED=<n> runs only that seed; SHALE_OPS=<n> sets the operations per run
// (default 700); SHALE_RUNS=<n> sets how many seeds run (default 6); SHALE_TRACE=1 prints every
// operation as it runs; SHALE_STALL_MS=<n> is how long a run may go without starting an operation
// before it counts as hung (default 15000).

import { seededTests } from "./support/seed-runs.js";

seededTests({
  name: "model",
  testFile: "test/model.test.ts",
  module: new URL("./support/model-run.ts", import.meta.url).href,
  exportName: "runModel",
  defaultSeeds: [0x5a1e01, 0x5a1e02, 0x5a1e03, 0x5a1e04, 0x5a1e05, 0x5a1e06],
  defaultOps: 700,
});
