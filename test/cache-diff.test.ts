// Differential tests of the cache face against a real redis-server. First, randomized: seeded random command sequences
// (test/support/cache-gen.ts: ~30 binary-safe keys of every type, integers near the int64 limits,
// floats, long-TTL expiry, wrong types, wrong arities, bad options, MULTI/EXEC/WATCH) sent to a
// real redis-server and to Shale, with every raw reply compared, in RESP2 and in RESP3. Then
// scripted sessions over several connections (test/support/cache-sessions.ts: pub/sub in RESP2 and
// RESP3, blocking pops served by other connections, WATCH, keyspace notifications), comparing every
// byte each connection receives.
//
// A failure names the family, seed, protocol, command index, the command and both replies, plus a
// shrunk reproduction; replay with
//
//   SHALE_SEED=<seed> [SHALE_DIFF_FAMILY=<family>] node --import tsx --test test/cache-diff.test.ts
//
// Environment: SHALE_SEED=<n> runs only that seed (every family); SHALE_DIFF_FAMILY=<f> only that
// family (strings, keys, hashes, lists, sets, zsets, tx, all); SHALE_DIFF_OPS=<n> commands per run;
// SHALE_DIFF_LOOSE_ORDER=1 compares small hashes and intsets order-insensitively too;
// SHALE_DIFF_NO_SHRINK=1 skips shrinking; SHALE_DIFF_SELF=1 runs a second redis-server in Shale's
// place (checks that the normalisations cover all of Redis's own nondeterminism).
//
// Intended differences (and only these are normalised; see Norm in cache-gen.ts):
// - OBJECT ENCODING / REFCOUNT / IDLETIME, MEMORY USAGE: implementation details; only the reply's
//   type is compared (a nil for a missing key must still be a nil).
// - Element order where Redis's own order is unspecified: SMEMBERS of non-intset sets, HGETALL/
//   HKEYS/HVALS of hashes Redis holds as hashtables (> 128 fields or a value > 64 bytes; Redis's
//   order there depends on its per-process hash seed), SINTER/SUNION/SDIFF, KEYS, SPOP/SRANDMEMBER/
//   HRANDFIELD with a count that returns everything. Small (listpack) hashes must keep insertion
//   order and intsets ascending order, as Redis does (the runner asks Redis for the encoding).
// - SCAN/HSCAN/SSCAN/ZSCAN: cursors are implementation-specific; each is followed to the end on
//   both servers and the sets of returned elements are compared.
// - RANDOMKEY, SRANDMEMBER / HRANDFIELD with a small count: random; only the shape is compared.
// - TTL/PTTL/EXPIRETIME/PEXPIRETIME: relative expiries are taken at slightly different instants on
//   the two servers; values within 3 s (3000 ms) of each other are equal.
// - PUBSUB CHANNELS (sessions): Redis lists channels in its dict's order; sorted.
// - HELLO's reply (client id): not compared. INFO, DEBUG, TIME, CLIENT ID/LIST, COMMAND are not
//   generated.
// Not generated: SPOP without a count (random, and it changes the data); lex ranges over sorted
// sets with mixed scores (unspecified; Redis's own answer depends on its skiplist's random levels);
// LPOS ... RANK -9223372036854775808 (Redis 7.0 negates it without an overflow check, a C
// undefined-behaviour path that returns every match regardless of COUNT).

import assert from "node:assert/strict";
import { after, before, describe, test } from "node:test";
import { type RespTestClient, redisServerPath, startRedis, startShale } from "../src/servers/resp/testing.js";
import { openClient, runSequence, shrink } from "./support/cache-diff-run.js";
import { CommandGenerator, FAMILIES, type Family, type GenCmd } from "./support/cache-gen.js";
import { compareRuns, runScript, SCRIPTS } from "./support/cache-sessions.js";
import { reprCommand } from "./support/cache-tools.js";

interface Plan {
  family: Family;
  seeds: number[];
  ops: number;
}

const envSeed = process.env.SHALE_SEED !== undefined ? Number(process.env.SHALE_SEED) : null;
const envOps = process.env.SHALE_DIFF_OPS !== undefined ? Number(process.env.SHALE_DIFF_OPS) : null;
const envFamily = process.env.SHALE_DIFF_FAMILY as Family | undefined;
const looseOrder = process.env.SHALE_DIFF_LOOSE_ORDER === "1";
const noShrink = process.env.SHALE_DIFF_NO_SHRINK === "1";
const selfCheck = process.env.SHALE_DIFF_SELF === "1";

const DEFAULT_PLANS: Plan[] = [
  { family: "strings", seeds: [101], ops: 1500 },
  { family: "keys", seeds: [201], ops: 1500 },
  { family: "hashes", seeds: [301], ops: 1500 },
  { family: "lists", seeds: [401], ops: 1500 },
  { family: "sets", seeds: [501], ops: 1500 },
  { family: "zsets", seeds: [601], ops: 1500 },
  { family: "tx", seeds: [701], ops: 1000 },
  { family: "all", seeds: [1, 2, 3], ops: 4000 },
];

const plans: Plan[] = DEFAULT_PLANS.filter((p) => envFamily === undefined || p.family === envFamily).map((p) => ({
  family: p.family,
  seeds: envSeed !== null ? [envSeed] : p.seeds,
  ops: envOps ?? p.ops,
}));
if (envFamily !== undefined && !FAMILIES.includes(envFamily)) {
  throw new Error(`SHALE_DIFF_FAMILY must be one of ${FAMILIES.join(", ")}`);
}

const haveRedis = redisServerPath() !== null || process.env.CI !== undefined;

describe("cache face: randomized differential test against redis-server", { skip: !haveRedis }, () => {
  let redisPort = 0;
  let closeRedis: () => Promise<void> = async () => {};
  let otherPort = 0;
  let closeOther: () => Promise<void> = async () => {};
  const nowMs = Date.now();

  before(async () => {
    const r = await startRedis();
    assert.ok(r !== null);
    redisPort = r.port;
    closeRedis = r.close;
    if (selfCheck) {
      const o = await startRedis();
      assert.ok(o !== null);
      otherPort = o.port;
      closeOther = o.close;
    }
  });
  after(async () => {
    await closeRedis();
    await closeOther();
  });

  /** Runs a sequence on a fresh Shale and an emptied redis-server; returns the mismatch or null. */
  async function runFresh(cmds: GenCmd[], proto: 2 | 3) {
    const shale = selfCheck ? { port: otherPort, close: async () => {} } : await startShale();
    const clients: RespTestClient[] = [];
    try {
      for (const port of selfCheck ? [redisPort, otherPort] : [redisPort]) {
        const flush = await openClient(port, 2);
        clients.push(flush);
        await flush.send("FLUSHALL");
      }
      const s = await openClient(shale.port, proto);
      const r = await openClient(redisPort, proto);
      clients.push(s, r);
      return await runSequence(cmds, s, r, { looseOrder });
    } finally {
      for (const c of clients) c.close();
      await shale.close();
    }
  }

  for (const plan of plans) {
    for (const seed of plan.seeds) {
      for (const proto of [2, 3] as const) {
        test(`${plan.family}, seed ${seed}, ${plan.ops} commands, RESP${proto}`, async () => {
          const cmds = new CommandGenerator(seed, plan.family, nowMs).generate(plan.ops);
          let crash: unknown = null;
          const onCrash = (e: unknown) => {
            crash = e;
          };
          process.on("uncaughtException", onCrash);
          let m: Awaited<ReturnType<typeof runFresh>>;
          try {
            m = await runFresh(cmds, proto);
          } catch (e) {
            const extra = crash !== null ? `\nShale threw: ${(crash as Error).stack ?? String(crash)}` : "";
            throw new Error(
              `${(e as Error).message}${extra}\nreplay: SHALE_SEED=${seed} SHALE_DIFF_FAMILY=${plan.family}`,
            );
          } finally {
            process.off("uncaughtException", onCrash);
          }
          if (m === null) return;
          const lines = [
            `mismatch: family ${plan.family}, seed ${seed}, RESP${proto}, command #${m.index} of ${cmds.length}`,
            `  command: ${reprCommand(m.cmd.args)}`,
            `  shale:   ${m.shale}`,
            `  redis:   ${m.redis}`,
          ];
          if (m.orderOnly) lines.push("  (the replies differ only in element order)");
          if (m.note !== undefined) lines.push(`  (${m.note})`);
          lines.push("  previous commands:");
          for (let i = Math.max(0, m.index - 8); i < m.index; i++)
            lines.push(`    #${i} ${clip(reprCommand(cmds[i].args))}`);
          if (!noShrink) {
            const failing = cmds.slice(0, m.index + 1);
            const last = failing[failing.length - 1];
            const small = await shrink(failing, async (seq) => {
              if (seq[seq.length - 1] !== last) return false;
              try {
                const r = await runFresh(seq, proto);
                return r !== null && r.index === seq.length - 1;
              } catch {
                return false;
              }
            });
            lines.push(`  shrunk reproduction (${small.length} commands, fresh servers, RESP${proto}):`);
            for (const c of small.slice(0, 40)) lines.push(`    ${clip(reprCommand(c.args), 2000)}`);
            if (small.length > 40) lines.push("    ...");
          }
          lines.push(
            `  replay: SHALE_SEED=${seed} SHALE_DIFF_FAMILY=${plan.family} node --import tsx --test test/cache-diff.test.ts`,
          );
          assert.fail(lines.join("\n"));
        });
      }
    }
  }

  // Scripted sessions over several connections (pub/sub, blocking pops, WATCH, keyspace events):
  // every byte each connection receives is compared.
  for (const script of SCRIPTS) {
    test(`session: ${script.name}`, { todo: script.todo }, async () => {
      const shale = selfCheck ? { port: otherPort, close: async () => {} } : await startShale();
      try {
        for (const port of selfCheck ? [redisPort, otherPort] : [redisPort]) {
          const c = await openClient(port, 2);
          await c.send("FLUSHALL");
          await c.send("CONFIG", "SET", "notify-keyspace-events", "");
          c.close();
        }
        const [mine, theirs] = await Promise.all([runScript(shale.port, script), runScript(redisPort, script)]);
        const problem = compareRuns(script, mine, theirs);
        if (problem !== null) assert.fail(problem);
      } finally {
        await shale.close();
      }
    });
  }
});

function clip(s: string, max = 300): string {
  return s.length > max ? `${s.slice(0, max)}... (${s.length} chars)` : s;
}
