// Support for the cache face's end-to-end suites (test/cache-clients.test.ts, cache-diff.test.ts,
// cache-malformed.test.ts): which server a suite talks to, running the redis-cli / redis-benchmark
// binaries without blocking the event loop (Shale runs in the test process), and escaping bytes
// for failure messages.
//
// SHALE_CACHE_TARGET=redis runs the client suite against a real redis-server instead of Shale, to
// check the suite itself (every test must pass there).

import { spawn, spawnSync } from "node:child_process";
import { createReadStream } from "node:fs";
import { type RunningServer, startRedis, startShale } from "../../src/servers/resp/testing.js";

export type TargetKind = "shale" | "redis";

export function targetKind(): TargetKind {
  return process.env.SHALE_CACHE_TARGET === "redis" ? "redis" : "shale";
}

/** The server a client test talks to: Shale (default) or redis-server (SHALE_CACHE_TARGET=redis). */
export async function startTarget(config: Record<string, string> = {}): Promise<RunningServer & { kind: TargetKind }> {
  if (targetKind() === "redis") {
    const extra: string[] = [];
    for (const [k, v] of Object.entries(config)) extra.push(`--${k}`, v);
    const r = await startRedis(extra);
    if (r === null) throw new Error("SHALE_CACHE_TARGET=redis but redis-server is not installed");
    return { ...r, kind: "redis" };
  }
  const s = await startShale(config);
  return { port: s.port, close: s.close, kind: "shale" };
}

/** True when a binary is on PATH. */
export function hasBinary(name: string): boolean {
  return spawnSync("sh", ["-c", `command -v ${name}`]).status === 0;
}

export interface ToolResult {
  code: number | null;
  signal: NodeJS.Signals | null;
  stdout: Buffer;
  stderr: string;
  timedOut: boolean;
}

/**
 * Runs a binary asynchronously (never spawnSync: an in-process Shale must keep serving), feeding
 * it `input` (bytes) or the file `inputFile` on stdin; SIGKILLs it after timeoutMs.
 */
export function runTool(
  bin: string,
  args: string[],
  opts: { input?: Buffer | string; inputFile?: string; timeoutMs?: number } = {},
): Promise<ToolResult> {
  return new Promise((resolve, reject) => {
    const child = spawn(bin, args, { stdio: ["pipe", "pipe", "pipe"] });
    const out: Buffer[] = [];
    let err = "";
    let timedOut = false;
    const timer = setTimeout(() => {
      timedOut = true;
      child.kill("SIGKILL");
    }, opts.timeoutMs ?? 30_000);
    child.stdout.on("data", (d: Buffer) => out.push(d));
    child.stderr.on("data", (d: Buffer) => {
      err += d.toString("latin1");
    });
    child.on("error", (e) => {
      clearTimeout(timer);
      reject(e);
    });
    child.on("close", (code, signal) => {
      clearTimeout(timer);
      resolve({ code, signal, stdout: Buffer.concat(out), stderr: err, timedOut });
    });
    child.stdin.on("error", () => {});
    if (opts.inputFile !== undefined) createReadStream(opts.inputFile).pipe(child.stdin);
    else child.stdin.end(opts.input ?? "");
  });
}

/** Bytes as a quoted, escaped string in the style of Redis's sdscatrepr: "SET" "a\r\n" "\x00". */
export function repr(b: Buffer | string): string {
  const buf = typeof b === "string" ? Buffer.from(b, "latin1") : b;
  let s = '"';
  for (const c of buf) {
    if (c === 0x5c) s += "\\\\";
    else if (c === 0x22) s += '\\"';
    else if (c === 10) s += "\\n";
    else if (c === 13) s += "\\r";
    else if (c === 9) s += "\\t";
    else if (c >= 32 && c < 127) s += String.fromCharCode(c);
    else s += `\\x${c.toString(16).padStart(2, "0")}`;
  }
  return `${s}"`;
}

/** A command as `"SET" "k" "v"`. */
export function reprCommand(args: readonly (Buffer | string)[]): string {
  return args.map(repr).join(" ");
}

/** A promise that rejects after ms with the given message (for races against replies that never come). */
export function timeout<T>(p: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  return Promise.race([
    p.finally(() => clearTimeout(timer)),
    new Promise<T>((_, reject) => {
      timer = setTimeout(() => reject(new Error(`timed out after ${ms} ms: ${what}`)), ms);
    }),
  ]);
}

export function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}
