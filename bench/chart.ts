// Renders a benchmark's JSON results (bench/engine.ts --json) as an SVG chart of Shale's ratio to
// each peer per workload, on a log scale with 1x marked, so a reader sees at a glance where Shale
// stands. Pure string output, no dependencies.
//
//   node --import tsx bench/chart.ts results.json docs/bench/engine.svg

import { readFileSync, writeFileSync } from "node:fs";
import type { JsonRecord } from "./lib/runner.js";

const COLORS = ["#4e79a7", "#f28e2b", "#59a14f", "#e15759", "#76b7b2"];
const MIN_RATIO = 1 / 4;
const MAX_RATIO = 64;

function esc(s: string): string {
  return s.replace(/&/g, "&amp;").replace(/</g, "&lt;").replace(/>/g, "&gt;");
}

function fmt(r: number): string {
  return r >= 10 ? `${r.toFixed(0)}x` : `${r.toFixed(2)}x`;
}

/** The chart for `records`: one group of bars per workload, one bar per peer. */
export function ratioChart(records: readonly JsonRecord[]): string {
  const workloads = [...new Set(records.map((r) => r.workload))];
  const peers = [...new Set(records.map((r) => r.system))].filter((s) => s !== "shale");
  const medianOf = (w: string, s: string) => records.find((r) => r.workload === w && r.system === s)?.median ?? null;
  const bar = 14;
  const groupGap = 14;
  const left = 190;
  const plotWidth = 560;
  const top = 70;
  const groupHeight = peers.length * bar + groupGap;
  const height = top + workloads.length * groupHeight + 60;
  const width = left + plotWidth + 40;
  const x = (ratio: number) => {
    const r = Math.min(MAX_RATIO, Math.max(MIN_RATIO, ratio));
    return left + (Math.log2(r / MIN_RATIO) / Math.log2(MAX_RATIO / MIN_RATIO)) * plotWidth;
  };
  const first = records[0];
  const out: string[] = [];
  out.push(
    `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}" font-family="sans-serif" font-size="12">`,
    `<rect width="100%" height="100%" fill="white"/>`,
    `<text x="${left}" y="22" font-size="15" font-weight="bold">Shale ${esc(first?.suite ?? "")}: ratio of median ops/s to each peer</text>`,
    `<text x="${left}" y="40" fill="#555">log scale; right of 1x Shale is faster. n=${first?.n ?? "?"}, node ${esc(first?.node ?? "?")}, ` +
      `${first?.machine.cpuCount ?? "?"} cores, commit ${esc((first?.commit ?? "?").slice(0, 7))}</text>`,
  );
  for (let t = MIN_RATIO; t <= MAX_RATIO; t *= 2) {
    const tx = x(t).toFixed(1);
    out.push(
      `<line x1="${tx}" x2="${tx}" y1="${top - 8}" y2="${height - 45}" stroke="${t === 1 ? "#000" : "#ddd"}" stroke-width="${t === 1 ? 1.5 : 1}"/>`,
      `<text x="${tx}" y="${height - 30}" text-anchor="middle" fill="#555">${t >= 1 ? `${t}x` : `1/${1 / t}x`}</text>`,
    );
  }
  workloads.forEach((w, wi) => {
    const gy = top + wi * groupHeight;
    const shale = medianOf(w, "shale");
    out.push(`<text x="${left - 8}" y="${gy + (peers.length * bar) / 2 + 4}" text-anchor="end">${esc(w)}</text>`);
    peers.forEach((p, pi) => {
      const peer = medianOf(w, p);
      if (shale === null || peer === null || peer <= 0) return;
      const ratio = shale / peer;
      const y = gy + pi * bar;
      const x0 = x(1);
      const x1 = x(ratio);
      out.push(
        `<rect x="${Math.min(x0, x1).toFixed(1)}" y="${y + 1}" width="${Math.abs(x1 - x0).toFixed(1)}" height="${bar - 2}" fill="${COLORS[pi % COLORS.length]}"/>`,
        `<text x="${(ratio >= 1 ? x1 + 4 : x1 - 4).toFixed(1)}" y="${y + bar - 3}" font-size="10" text-anchor="${ratio >= 1 ? "start" : "end"}">${fmt(ratio)}</text>`,
      );
    });
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
  writeFileSync(output, ratioChart(records));
  process.stderr.write(`chart: wrote ${output} (${records.length} results)\n`);
}
