// Model-based randomized test of tables (src/table). The run is in test/support/table-model-run.ts: per
// seed, 1-3 tables with random schemas (field types, optional fields, compound primary keys, 1-3
// secondary indexes with mixed directions, some unique) in one store on an in-memory disk with tiny
// engine options, a weighted random mix of inserts, upserts, updates, deletes (some issued in one
// event-loop turn), flushes, compactions, reopens and snapshots, with every get, index query, count,
// cursor walk and the number of engine keys per index compared with a plain in-memory model
// (test/support/table-model-model.ts). The seeds, the worker thread each runs in (so that a table
// or store that hangs fails the test instead of stalling it) and the watchdog are in
// test/support/seed-runs.ts.
//
// Runs are fully determined by their seed. A failure names the seed, the operation index and the
// recent operations, and replays with
//
//   SHALE_SEED=<seed> SHALE_TRACE=1 node --import tsx --test test/table-model.test.ts
//
// Environment: SHALE_SEED=<n> runs only that seed; SHALE_OPS=<n> sets the operations per run
// (default 600); SHALE_RUNS=<n> sets how many seeds run (default 8); SHALE_TRACE=1 prints every
// operation as it runs; SHALE_STALL_MS=<n> is how long a run may go without starting an operation
// before it counts as hung (default 15000).

import { seededTests } from "./support/seed-runs.js";

seededTests({
  name: "table model",
  testFile: "test/table-model.test.ts",
  module: new URL("./support/table-model-run.ts", import.meta.url).href,
  exportName: "runTableModel",
  defaultSeeds: [0x7ab1e01, 0x7ab1e02, 0x7ab1e03, 0x7ab1e04, 0x7ab1e05, 0x7ab1e06, 0x7ab1e07, 0x7ab1e08],
  defaultOps: 600,
});
