// `shale demo`: the engine on its embedded defaults, end to end, with progress and a short report.
// It writes N keys in each durability mode, reads them back point by point and in order, takes a
// snapshot, compacts, and prints what it measured and the store's shape.

import { performance } from "node:perf_hooks";
import type { Durability } from "../engine/options.js";
import { open } from "../index.js";

const enc = new TextEncoder();

function rate(n: number, ms: number): string {
  const perSec = (n / ms) * 1000;
  return perSec >= 1e6 ? `${(perSec / 1e6).toFixed(2)}M/s` : `${Math.round(perSec / 1000)}K/s`;
}

function progress(label: string, done: number, total: number): void {
  if (!process.stderr.isTTY) return;
  const width = 30;
  const filled = Math.round((done / total) * width);
  process.stderr.write(`\r  ${label.padEnd(34)} [${"#".repeat(filled)}${" ".repeat(width - filled)}] ${done}/${total}`);
  if (done === total) process.stderr.write("\r\x1b[2K");
}

export async function runDemo(dir: string, n: number): Promise<void> {
  process.stdout.write(`shale demo: store at ${dir}, ${n} keys of 16 bytes with 100-byte values\n`);
  const db = await open(dir);
  const value = new Uint8Array(100).fill(0x61);
  const keyOf = (i: number) => enc.encode(String(i).padStart(16, "0"));
  const rows: Array<[string, string]> = [];
  try {
    const modes: Durability[] = ["none", "relaxed", "strict"];
    for (const mode of modes) {
      const t0 = performance.now();
      const chunk = 10_000;
      for (let start = 0; start < n; start += chunk) {
        const writes: Promise<void>[] = [];
        for (let i = start; i < Math.min(n, start + chunk); i++)
          writes.push(db.put(keyOf(i), value, { durability: mode }));
        await Promise.all(writes);
        progress(`put (${mode}, ${chunk} in flight)`, Math.min(n, start + chunk), n);
      }
      rows.push([`put, ${mode}, group commit`, rate(n, performance.now() - t0)]);
    }
    let t0 = performance.now();
    let found = 0;
    for (let i = 0; i < n; i++) if (db.get(keyOf((i * 7919) % n))) found++;
    rows.push([`get, random order (${found} found)`, rate(n, performance.now() - t0)]);
    const snap = db.snapshot();
    await db.put(keyOf(0), enc.encode("changed after the snapshot"));
    t0 = performance.now();
    let scanned = 0;
    const it = db.iterator({ snapshot: snap });
    for (let batch = it.nextv(1000); batch.length > 0; batch = it.nextv(1000)) scanned += batch.length;
    rows.push([`scan of a snapshot (${scanned} keys)`, rate(scanned, performance.now() - t0)]);
    snap.release();
    t0 = performance.now();
    await db.compact();
    rows.push(["flush + full compaction", `${Math.round(performance.now() - t0)} ms`]);
    const s = db.stats();
    for (const [what, v] of rows) process.stdout.write(`  ${what.padEnd(40)} ${v}\n`);
    const levels = s.levels
      .filter((l) => l.files > 0)
      .map((l) => `L${l.level}: ${l.files} files, ${(l.bytes / 1e6).toFixed(1)} MB`);
    process.stdout.write(`  levels: ${levels.join("; ") || "empty"}\n`);
    process.stdout.write(
      `  WAL: ${s.wal.groups} commit groups for ${s.wal.records} writes; write amplification ${s.writeAmplification.toFixed(2)}\n`,
    );
  } finally {
    await db.close();
  }
}
