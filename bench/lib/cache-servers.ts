// The cache benchmark's processes: every child (servers, redis-cli, redis-benchmark) is started through `spawnTracked`
// and stopped by its own PID (SIGTERM, then SIGKILL after a grace period), also when the benchmark fails or is
// interrupted. Servers are started from a command template in a shell (`exec`, so the PID is the server's), on a free
// port on 127.0.0.1, and are ready when they answer PING.

import { type ChildProcess, type SpawnOptions, spawn } from "node:child_process";
import { closeSync, existsSync, mkdtempSync, openSync, readFileSync } from "node:fs";
import * as net from "node:net";
import { join } from "node:path";
import { infoNumber, RespClient } from "./cache-client.js";

// ---------------------------------------------------------------------------------------------------------------------
// Child processes

const live = new Set<ChildProcess>();
/** Children started as the leader of their own process group (servers): signals go to the group, -PID. */
const leaders = new WeakSet<ChildProcess>();

export function spawnTracked(
  command: string,
  args: readonly string[],
  opts: SpawnOptions,
  processGroup = false,
): ChildProcess {
  const child = spawn(command, args, processGroup ? { ...opts, detached: true } : opts);
  if (processGroup) leaders.add(child);
  live.add(child);
  child.once("exit", () => live.delete(child));
  child.once("error", () => live.delete(child));
  return child;
}

function exited(child: ChildProcess): boolean {
  return child.exitCode !== null || child.signalCode !== null;
}

function waitExit(child: ChildProcess, ms: number): Promise<boolean> {
  if (exited(child) || child.pid === undefined) return Promise.resolve(true);
  return new Promise((resolve) => {
    const timer = setTimeout(() => {
      child.off("exit", onExit);
      resolve(false);
    }, ms);
    const onExit = () => {
      clearTimeout(timer);
      resolve(true);
    };
    child.once("exit", onExit);
  });
}

function signal(child: ChildProcess, sig: NodeJS.Signals): void {
  if (child.pid === undefined || exited(child)) return;
  try {
    // A server's group: its PID, and whatever a wrapper command that did not `exec` started under it.
    process.kill(leaders.has(child) ? -child.pid : child.pid, sig);
  } catch {
    try {
      process.kill(child.pid, sig);
    } catch {
      // already gone
    }
  }
}

/** SIGTERM by PID, then SIGKILL if it has not exited after `graceMs`. */
export async function stopProcess(child: ChildProcess, graceMs = 10_000): Promise<void> {
  signal(child, "SIGTERM");
  if (await waitExit(child, graceMs)) return;
  signal(child, "SIGKILL");
  await waitExit(child, 5_000);
}

/** Stops every child still running (on error or interrupt). */
export async function stopAll(graceMs = 3_000): Promise<void> {
  await Promise.all([...live].map((c) => stopProcess(c, graceMs)));
}

/** Last resort from an `exit` handler, which cannot wait: SIGKILL every child still running. */
export function killAllSync(): void {
  for (const c of live) signal(c, "SIGKILL");
}

/** Runs a command to completion with a time limit; rejects on a timeout (the child is stopped). */
export function runCommand(
  command: string,
  args: readonly string[],
  opts: { stdinFile?: string; timeoutMs: number; cwd?: string },
): Promise<{ code: number | null; signal: NodeJS.Signals | null; stdout: string; stderr: string }> {
  return new Promise((resolve, reject) => {
    const stdinFd = opts.stdinFile === undefined ? undefined : openSync(opts.stdinFile, "r");
    let child: ChildProcess;
    try {
      child = spawnTracked(command, args, {
        cwd: opts.cwd,
        stdio: [stdinFd ?? "ignore", "pipe", "pipe"],
      });
    } finally {
      if (stdinFd !== undefined) closeSync(stdinFd);
    }
    let stdout = "";
    let stderr = "";
    child.stdout?.setEncoding("utf8").on("data", (s: string) => {
      stdout += s;
    });
    child.stderr?.setEncoding("utf8").on("data", (s: string) => {
      stderr += s;
    });
    let timedOut = false;
    const timer = setTimeout(() => {
      timedOut = true;
      void stopProcess(child, 2_000);
    }, opts.timeoutMs);
    child.once("error", (e) => {
      clearTimeout(timer);
      reject(new Error(`${command}: ${e.message}`));
    });
    child.once("close", (code, sig) => {
      clearTimeout(timer);
      if (timedOut) reject(new Error(`${command} ${args.join(" ")} did not finish within ${opts.timeoutMs / 1000} s`));
      else if (sig !== null) reject(new Error(`${command} was stopped by ${sig}`));
      else resolve({ code, signal: sig, stdout, stderr });
    });
  });
}

export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = net.createServer();
    srv.unref();
    srv.once("error", reject);
    srv.listen(0, "127.0.0.1", () => {
      const addr = srv.address();
      const port = typeof addr === "object" && addr !== null ? addr.port : 0;
      srv.close(() => (port > 0 ? resolve(port) : reject(new Error("no free port"))));
    });
  });
}

export const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

// ---------------------------------------------------------------------------------------------------------------------
// Servers

export type CacheSystemName = "shale" | "redis";

export interface ServerSpec {
  name: CacheSystemName;
  /** A shell command line; `{port}` and `{dir}` (a fresh empty directory) are substituted. */
  template: string;
  cwd: string;
}

export interface StartOptions {
  /** Appended as `--maxmemory <bytes> --maxmemory-policy <policy>`, then checked with CONFIG GET. */
  maxmemory?: number;
  policy?: string;
  tmpRoot: string;
  readyTimeoutMs?: number;
}

export interface MemorySample {
  usedMemory: number;
  rss: number;
}

export class RunningServer {
  /** Where the process RSS comes from: `/proc/<pid>/status` or INFO used_memory_rss. */
  rssSource = "";
  private rssPid: number | undefined;

  constructor(
    readonly spec: ServerSpec,
    readonly port: number,
    readonly child: ChildProcess,
    readonly client: RespClient,
    readonly logFile: string,
    readonly commandLine: string,
    /** INFO redis_version, or "?" */
    readonly version: string,
    /** Warnings about the persistence settings the server reports, empty when it reports persistence off. */
    readonly persistenceWarnings: string[],
    /** Commands that failed at start without stopping it (INFO, CONFIG GET), with the server's error. */
    readonly startProblems: string[],
  ) {}

  get name(): CacheSystemName {
    return this.spec.name;
  }

  /** Chooses the RSS source: the PID INFO reports (process_id), else the spawned PID, else INFO used_memory_rss. */
  async initRss(): Promise<void> {
    // A server without INFO still gets an RSS: the spawned PID's (the shell `exec`s the server, so it is the same).
    const info = await this.client.info("server").catch(() => new Map<string, string>());
    const reported = Number(info.get("process_id"));
    for (const pid of [reported, this.child.pid]) {
      if (pid !== undefined && Number.isSafeInteger(pid) && pid > 0 && existsSync(`/proc/${pid}/status`)) {
        this.rssPid = pid;
        this.rssSource = `VmRSS of /proc/${pid}/status`;
        return;
      }
    }
    this.rssSource = "INFO used_memory_rss";
  }

  async memory(): Promise<MemorySample> {
    const info = await this.client.info("memory");
    const usedMemory = infoNumber(info, "used_memory");
    let rss = Number.NaN;
    if (this.rssPid !== undefined) {
      const m = /^VmRSS:\s+(\d+)\s+kB/m.exec(readFileSync(`/proc/${this.rssPid}/status`, "utf8"));
      if (m) rss = Number(m[1]) * 1024;
    }
    if (!Number.isFinite(rss)) rss = infoNumber(info, "used_memory_rss");
    return { usedMemory, rss };
  }

  /**
   * Polls used_memory (and RSS) every `intervalMs` until neither moved by more than its tolerance during the last
   * `windowMs`, or `maxMs` passed. Redis finishes an incremental dict rehash in its cron and only then frees the old
   * table (with 300k keys, 2 MiB about 0.9 s after the load, here); a garbage-collected server frees memory some time
   * after a load; both show up here. `lastMoveMs` is when used_memory last moved by more than the tolerance.
   */
  async settle(
    opts: { windowMs?: number; intervalMs?: number; maxMs?: number } = {},
  ): Promise<MemorySample & { settled: boolean; waitedMs: number; lastMoveMs: number }> {
    const windowMs = opts.windowMs ?? 1000;
    const intervalMs = opts.intervalMs ?? 100;
    const maxMs = opts.maxMs ?? 30_000;
    const t0 = performance.now();
    const samples: (MemorySample & { t: number })[] = [];
    let lastMoveMs = 0;
    for (;;) {
      const s = await this.memory();
      const t = performance.now();
      // INFO and this client's own buffers move used_memory by a few hundred bytes; allocators return pages lazily.
      const usedTol = Math.max(16 * 1024, s.usedMemory * 0.0005);
      const rssTol = Math.max(256 * 1024, s.rss * 0.002);
      const prev = samples[samples.length - 1];
      if (prev && Math.abs(prev.usedMemory - s.usedMemory) > usedTol) lastMoveMs = t - t0;
      samples.push({ ...s, t });
      while (samples.length > 1 && t - samples[1].t >= windowMs) samples.shift();
      if (t - samples[0].t >= windowMs) {
        const range = (f: (x: MemorySample) => number) => {
          const xs = samples.map(f);
          return Math.max(...xs) - Math.min(...xs);
        };
        if (range((x) => x.usedMemory) <= usedTol && range((x) => x.rss) <= rssTol) {
          return { ...s, settled: true, waitedMs: t - t0, lastMoveMs };
        }
      }
      if (t - t0 >= maxMs) return { ...s, settled: false, waitedMs: t - t0, lastMoveMs };
      await sleep(intervalMs);
    }
  }

  /** The last lines the server wrote to stdout and stderr. */
  logTail(lines = 15): string {
    return readTail(this.logFile, lines);
  }

  async stop(): Promise<void> {
    this.client.close();
    await stopProcess(this.child);
  }
}

function readTail(file: string, lines = 15): string {
  try {
    return readFileSync(file, "utf8").trimEnd().split("\n").slice(-lines).join("\n");
  } catch {
    return "";
  }
}

export function formatBytesArg(n: number): string {
  return String(Math.round(n));
}

/** Starts one server process and waits until it answers PING; checks the settings the benchmark relies on. */
export async function startServer(spec: ServerSpec, opts: StartOptions): Promise<RunningServer> {
  const port = await freePort();
  const dir = mkdtempSync(join(opts.tmpRoot, `${spec.name}-${port}-`));
  let cmd = spec.template.replaceAll("{port}", String(port)).replaceAll("{dir}", dir);
  if (opts.maxmemory !== undefined) cmd += ` --maxmemory ${formatBytesArg(opts.maxmemory)}`;
  if (opts.policy !== undefined) cmd += ` --maxmemory-policy ${opts.policy}`;
  const logFile = join(dir, "server.log");
  const logFd = openSync(logFile, "a");
  let child: ChildProcess;
  try {
    child = spawnTracked("/bin/sh", ["-c", `exec ${cmd}`], { cwd: spec.cwd, stdio: ["ignore", logFd, logFd] }, true);
  } finally {
    closeSync(logFd);
  }
  const fail = async (why: string): Promise<never> => {
    await stopProcess(child, 2_000);
    const tail = readTail(logFile);
    throw new Error(`${spec.name} server (${spec.template}): ${why}${tail ? `\n--- server output ---\n${tail}` : ""}`);
  };

  const deadline = performance.now() + (opts.readyTimeoutMs ?? 60_000);
  let client: RespClient | undefined;
  while (!client) {
    if (exited(child)) return fail(`exited with ${child.exitCode ?? child.signalCode} before answering PING`);
    if (performance.now() > deadline) return fail("did not answer PING in time");
    try {
      const c = await RespClient.connect(port, 1000);
      const pong = await c.call(["PING"], 2000).catch(() => undefined);
      if (pong === "PONG") client = c;
      else c.close();
    } catch {
      // not listening yet
    }
    if (!client) await sleep(100);
  }

  try {
    // What only labels the rows may be missing (the part that needs it fails later, with its own message); what the
    // stall part relies on (maxmemory, policy) must be right.
    const warnings: string[] = [];
    const problems: string[] = [];
    const soft = <T>(what: string, p: Promise<T>, unverified?: string): Promise<T | undefined> =>
      p.catch((e: unknown) => {
        problems.push(`${what} failed: ${e instanceof Error ? e.message : String(e)}`);
        if (unverified) warnings.push(unverified);
        return undefined;
      });
    const info = await soft("INFO server", client.info("server"));
    const version = info?.get("redis_version") ?? "?";
    const save = await soft("CONFIG GET save", client.configGet("save"), "CONFIG GET save failed");
    if (save !== undefined && save.trim() !== "") warnings.push(`CONFIG GET save reports "${save}"`);
    const aof = await soft("CONFIG GET appendonly", client.configGet("appendonly"), "CONFIG GET appendonly failed");
    if (aof !== undefined && aof !== "no") warnings.push(`CONFIG GET appendonly reports "${aof}"`);
    if (opts.maxmemory !== undefined) {
      const mm = await client.configGet("maxmemory");
      if (mm === undefined || Number(mm) !== Math.round(opts.maxmemory)) {
        return fail(`CONFIG GET maxmemory is ${mm}, expected ${Math.round(opts.maxmemory)}`);
      }
    }
    if (opts.policy !== undefined) {
      const pol = await client.configGet("maxmemory-policy");
      if (pol !== opts.policy) return fail(`CONFIG GET maxmemory-policy is ${pol}, expected ${opts.policy}`);
    }
    const server = new RunningServer(spec, port, child, client, logFile, cmd, version, warnings, problems);
    await server.initRss();
    return server;
  } catch (e) {
    client.close();
    return fail(e instanceof Error ? e.message : String(e));
  }
}
