// One repetition of the performance gate's workloads on one source tree, in its own process:
//   node --import tsx bench/lib/gate-child.ts <tree> [--deterministic-only]
// Progress goes to stderr; the last line on stdout is the TreeResult as JSON (see gate-workloads.ts).
// bench/gate.ts starts this for the base and the head tree alternately.

import { resolve } from "node:path";
import { measureTree } from "./gate-workloads.js";

const args = process.argv.slice(2);
const tree = args.find((a) => !a.startsWith("--"));
if (tree === undefined) {
  process.stderr.write("usage: node --import tsx bench/lib/gate-child.ts <tree> [--deterministic-only]\n");
  process.exit(2);
}
const result = await measureTree(resolve(tree), {
  deterministicOnly: args.includes("--deterministic-only"),
  log: (line) => process.stderr.write(`${line}\n`),
});
process.stdout.write(`${JSON.stringify(result)}\n`);
// Worker threads (compaction, bulk sort) may keep the loop alive a moment; the result is out, so leave now.
process.exit(0);
