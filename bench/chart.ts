// Renders any suite's JSON results (`--json` of bench/engine.ts, bench/tables.ts or bench/cache.ts) as an SVG chart of
// how many times better Shale is than each peer, per workload, on a log scale with 1x marked, so a reader sees at a
// glance where Shale stands. "Better" follows the unit: a rate (ops/s, rows/s) is better higher, so the ratio is
// Shale / peer; a time or a size (ms, bytes, B/key) is better lower, so it is peer / Shale. Pure string output.
//
//   node --import tsx bench/chart.ts results.json docs/bench/engine.svg

import { readFileSync, writeFileSync } from "node:fs";
import type { JsonRecord } from "./lib/runner.js";

const COLORS = ["#4e79a7", "#f28e2b", "#59a14f", "#e15759", "#76b7b2"];

function esc(s: string): string {
  return s.replace(/&/g, "&amp;").replace(/</g, "&lt;").replace(/>/g, "&gt;");
}

function fmt(r: number): string {
  return r >= 10 ? `${r.toFixed(0)}x` : `${r.toFixed(2)}x`;
}

function fmtCount(n: number): string {
  return n % 1_000_000 === 0 ? `${n / 1_000_000}M` : n % 1_000 === 0 ? `${n / 1_000}k` : String(n);
}

/** True when a larger value of `unit` is better (a rate); false for times and sizes. */
export function higherIsBetter(unit: string): boolean {
  return unit.endsWith("/s");
}

/** Shale's advantage over a peer: above 1, Shale is better (faster or smaller) by that factor. */
export function advantage(unit: string, shale: number, peer: number): number {
  return higherIsBetter(unit) ? shale / peer : peer / shale;
}

interface Group {
  label: string;
  unit: string;
  bars: { peer: string; ratio: number }[];
}

/** One group per workload (and data-set size, where a suite ran several), one bar per peer that has a result. */
export function ratioGroups(records: readonly JsonRecord[]): { groups: Group[]; peers: string[] } {
  const ok = records.filter((r) => r.status === "ok" && r.median !== null && r.median > 0);
  const peers = [...new Set(ok.map((r) => r.system))].filter((s) => s !== "shale");
  const keys: string[] = [];
  for (const r of ok) {
    const key = `${r.workload}\u0000${r.n}`;
    if (!keys.includes(key)) keys.push(key);
  }
  const sizesPerWorkload = new Map<string, Set<number>>();
  for (const r of ok) sizesPerWorkload.set(r.workload, (sizesPerWorkload.get(r.workload) ?? new Set()).add(r.n));
  const groups: Group[] = [];
  for (const key of keys) {
    const [workload, nText] = key.split("\u0000");
    const n = Number(nText);
    const at = (s: string) => ok.find((r) => r.workload === workload && r.n === n && r.system === s);
    const shale = at("shale");
    if (!shale || shale.median === null) continue;
    const bars: Group["bars"] = [];
    for (const p of peers) {
      const peer = at(p);
      if (peer?.median) bars.push({ peer: p, ratio: advantage(shale.unit, shale.median, peer.median) });
    }
    if (bars.length === 0) continue;
    const sized = (sizesPerWorkload.get(workload)?.size ?? 0) > 1 || records[0]?.suite === "tables";
    groups.push({
      label: sized && Number.isFinite(n) ? `${workload} ${fmtCount(n)}` : workload,
      unit: shale.unit,
      bars,
    });
  }
  return { groups, peers };
}

/** The chart for `records`: one group of bars per workload, one bar per peer. */
export function ratioChart(records: readonly JsonRecord[]): string {
  const { groups, peers } = ratioGroups(records);
  const ratios = groups.flatMap((g) => g.bars.map((b) => b.ratio));
  // The axis spans powers of two around the data, at least 1/4x to 4x.
  const minRatio = 2 ** Math.min(-2, Math.floor(Math.log2(Math.min(1, ...ratios))));
  const maxRatio = 2 ** Math.max(2, Math.ceil(Math.log2(Math.max(1, ...ratios))));
  const bar = 14;
  const groupGap = 14;
  const left = 230;
  const plotWidth = 560;
  const top = 70;
  const groupHeight = Math.max(1, peers.length) * bar + groupGap;
  const height = top + groups.length * groupHeight + 60;
  const width = left + plotWidth + 60;
  const x = (ratio: number) => {
    const r = Math.min(maxRatio, Math.max(minRatio, ratio));
    return left + (Math.log2(r / minRatio) / Math.log2(maxRatio / minRatio)) * plotWidth;
  };
  const first = records[0];
  const ns = [...new Set(records.map((r) => r.n))];
  const nText = ns.length === 1 && Number.isFinite(ns[0]) ? `n=${fmtCount(ns[0])}, ` : "";
  const out: string[] = [];
  out.push(
    `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}" font-family="sans-serif" font-size="12">`,
    `<rect width="100%" height="100%" fill="white"/>`,
    `<text x="${left}" y="22" font-size="15" font-weight="bold">Shale ${esc(first?.suite ?? "")}: how many times better than each peer</text>`,
    `<text x="${left}" y="40" fill="#555">log scale; right of 1x Shale is better (faster, or smaller). ${nText}node ${esc(first?.node ?? "?")}, ` +
      `${first?.machine.cpuCount ?? "?"} cores, commit ${esc((first?.commit ?? "?").slice(0, 7))}</text>`,
  );
  for (let t = minRatio; t <= maxRatio; t *= 2) {
    const tx = x(t).toFixed(1);
    out.push(
      `<line x1="${tx}" x2="${tx}" y1="${top - 8}" y2="${height - 45}" stroke="${t === 1 ? "#000" : "#ddd"}" stroke-width="${t === 1 ? 1.5 : 1}"/>`,
      `<text x="${tx}" y="${height - 30}" text-anchor="middle" fill="#555">${t >= 1 ? `${t}x` : `1/${1 / t}x`}</text>`,
    );
  }
  groups.forEach((g, gi) => {
    const gy = top + gi * groupHeight;
    const what = higherIsBetter(g.unit) ? g.unit : `${g.unit}, lower`;
    out.push(
      `<text x="${left - 8}" y="${gy + (peers.length * bar) / 2 + 4}" text-anchor="end">${esc(g.label)} <tspan fill="#777">(${esc(what)})</tspan></text>`,
    );
    for (const b of g.bars) {
      const pi = peers.indexOf(b.peer);
      const y = gy + pi * bar;
      const x0 = x(1);
      const x1 = x(b.ratio);
      out.push(
        `<rect x="${Math.min(x0, x1).toFixed(1)}" y="${y + 1}" width="${Math.abs(x1 - x0).toFixed(1)}" height="${bar - 2}" fill="${COLORS[pi % COLORS.length]}"/>`,
        `<text x="${(b.ratio >= 1 ? x1 + 4 : x1 - 4).toFixed(1)}" y="${y + bar - 3}" font-size="10" text-anchor="${b.ratio >= 1 ? "start" : "end"}">${fmt(b.ratio)}</text>`,
      );
    }
  });
  peers.forEach((p, pi) => {
    const lx = left + pi * 150;
    out.push(
      `<rect x="${lx}" y="${height - 18}" width="12" height="12" fill="${COLORS[pi % COLORS.length]}"/>`,
      `<text x="${lx + 16}" y="${height - 8}">vs ${esc(p)}</text>`,
    );
  });
  out.push("</svg>");
  return `${out.join("\n")}\n`;
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const [input, output] = process.argv.slice(2);
  if (!input || !output) {
    process.stderr.write("usage: node --import tsx bench/chart.ts results.json chart.svg\n");
    process.exit(2);
  }
  const records = JSON.parse(readFileSync(input, "utf8")) as JsonRecord[];
  const svg = ratioChart(records);
  writeFileSync(output, svg);
  const { groups } = ratioGroups(records);
  process.stderr.write(`chart: wrote ${output} (${records.length} results, ${groups.length} workloads with a peer)\n`);
}
