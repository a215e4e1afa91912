// Test support for the cache face: start a Shale cache server or a real redis-server on a free
// loopback port, and a small RESP client that returns each reply both decoded and as its raw bytes
// (so differential tests can compare replies byte for byte).

import { spawn, spawnSync } from "node:child_process";
import { connect, type Socket } from "node:net";
import { CacheServer } from "./server.js";

export type RespValue =
  | string
  | number
  | bigint
  | boolean
  | null
  | Buffer
  | RespError
  | RespValue[]
  | Map<RespValue, RespValue>
  | Set<RespValue>
  | RespPush;

export class RespError {
  constructor(readonly message: string) {}
}
export class RespPush {
  constructor(readonly items: RespValue[]) {}
}

/** Decodes one reply frame at buf[pos]; returns [value, next position] or null when incomplete. */
export function decodeReply(buf: Buffer, pos: number): [RespValue, number] | null {
  const eol = buf.indexOf("\r\n", pos);
  if (eol < 0) return null;
  const type = String.fromCharCode(buf[pos]);
  const line = buf.toString("latin1", pos + 1, eol);
  const next = eol + 2;
  const aggregate = (n: number, build: (items: RespValue[]) => RespValue): [RespValue, number] | null => {
    const items: RespValue[] = [];
    let p = next;
    for (let i = 0; i < n; i++) {
      const r = decodeReply(buf, p);
      if (r === null) return null;
      items.push(r[0]);
      p = r[1];
    }
    return [build(items), p];
  };
  switch (type) {
    case "+":
      return [line, next];
    case "-":
      return [new RespError(line), next];
    case ":":
      return [Number(line), next];
    case "(":
      return [BigInt(line), next];
    case ",":
      return [line === "inf" ? Infinity : line === "-inf" ? -Infinity : Number(line), next];
    case "#":
      return [line === "t", next];
    case "_":
      return [null, next];
    case "$":
    case "=": {
      const n = Number(line);
      if (n < 0) return [null, next];
      if (buf.length < next + n + 2) return null;
      return [buf.subarray(next, next + n), next + n + 2];
    }
    case "*": {
      const n = Number(line);
      if (n < 0) return [null, next];
      return aggregate(n, (items) => items);
    }
    case "~":
      return aggregate(Number(line), (items) => new Set(items));
    case ">":
      return aggregate(Number(line), (items) => new RespPush(items));
    case "%": {
      const r = aggregate(Number(line) * 2, (items) => items);
      if (r === null) return null;
      const items = r[0] as RespValue[];
      const m = new Map<RespValue, RespValue>();
      for (let i = 0; i < items.length; i += 2) {
        const k = items[i];
        m.set(Buffer.isBuffer(k) ? k.toString("latin1") : k, items[i + 1]);
      }
      return [m, r[1]];
    }
    default:
      throw new Error(
        `bad reply type byte ${JSON.stringify(type)} at ${pos}: ${buf.toString("latin1", pos, pos + 40)}`,
      );
  }
}

export function encodeCommand(args: readonly (string | Buffer | number)[]): Buffer {
  const parts: Buffer[] = [Buffer.from(`*${args.length}\r\n`)];
  for (const a of args) {
    const b = Buffer.isBuffer(a) ? a : Buffer.from(String(a), "latin1");
    parts.push(Buffer.from(`$${b.length}\r\n`), b, Buffer.from("\r\n"));
  }
  return Buffer.concat(parts);
}

/** A minimal client: one socket, replies matched to commands in order; pushes collected apart. */
export class RespTestClient {
  private buf: Buffer = Buffer.alloc(0);
  private readonly waiters: ((r: { value: RespValue; raw: Buffer }) => void)[] = [];
  readonly pushes: RespValue[][] = [];
  private pushWaiters: (() => void)[] = [];
  closed = false;

  private constructor(readonly socket: Socket) {
    socket.on("data", (d: Buffer) => {
      this.buf = this.buf.length === 0 ? d : Buffer.concat([this.buf, d]);
      for (;;) {
        const r = decodeReply(this.buf, 0);
        if (r === null) break;
        const raw = this.buf.subarray(0, r[1]);
        this.buf = this.buf.subarray(r[1]);
        if (r[0] instanceof RespPush) {
          this.pushes.push(r[0].items);
          for (const w of this.pushWaiters.splice(0)) w();
          continue;
        }
        const w = this.waiters.shift();
        if (w !== undefined) w({ value: r[0], raw: Buffer.from(raw) });
        else this.pushes.push([r[0]]);
      }
    });
    socket.on("close", () => {
      this.closed = true;
    });
  }

  static connect(port: number): Promise<RespTestClient> {
    return new Promise((resolve, reject) => {
      const s = connect(port, "127.0.0.1", () => resolve(new RespTestClient(s)));
      s.once("error", reject);
    });
  }

  /** Sends a command; resolves with its decoded reply and raw bytes. */
  send(...args: (string | Buffer | number)[]): Promise<{ value: RespValue; raw: Buffer }> {
    return this.sendRaw(encodeCommand(args));
  }

  sendRaw(bytes: Buffer | string): Promise<{ value: RespValue; raw: Buffer }> {
    return new Promise((resolve) => {
      this.waiters.push(resolve);
      this.socket.write(bytes);
    });
  }

  /** Sends a command and resolves with its decoded reply (bulk strings as latin1 strings). */
  async call(...args: (string | Buffer | number)[]): Promise<RespValue> {
    return toStrings((await this.send(...args)).value);
  }

  /** Waits until at least n pushes (pub/sub messages, or replies nobody waited for) arrived. */
  async waitPushes(n: number, timeoutMs = 5000): Promise<RespValue[][]> {
    const deadline = Date.now() + timeoutMs;
    while (this.pushes.length < n) {
      if (Date.now() > deadline) throw new Error(`timed out waiting for ${n} pushes (have ${this.pushes.length})`);
      await new Promise<void>((resolve) => {
        this.pushWaiters.push(resolve);
        setTimeout(resolve, 50);
      });
    }
    return this.pushes;
  }

  close(): void {
    this.socket.destroy();
  }
}

/** Bulk strings (Buffers) become latin1 strings, recursively: easier to assert on. */
export function toStrings(v: RespValue): RespValue {
  if (Buffer.isBuffer(v)) return v.toString("latin1");
  if (Array.isArray(v)) return v.map(toStrings);
  if (v instanceof Map) return new Map([...v].map(([k, x]) => [toStrings(k), toStrings(x)]));
  if (v instanceof Set) return new Set([...v].map(toStrings));
  return v;
}

export interface RunningServer {
  port: number;
  close(): Promise<void>;
}

/** A Shale cache server on a free port. */
export async function startShale(
  config: Record<string, string> = {},
): Promise<RunningServer & { server: CacheServer }> {
  const server = new CacheServer({ config: { port: "0", ...config } });
  const port = await server.listen();
  return { server, port, close: () => server.close() };
}

export function redisServerPath(): string | null {
  const r = spawnSync("sh", ["-c", "command -v redis-server"], { encoding: "utf8" });
  const p = r.stdout.trim();
  return r.status === 0 && p !== "" ? p : null;
}

/**
 * A real redis-server (Debian's package) on a free port, persistence off; null when it is not
 * installed and we are not in CI (CI installs it, so there its absence is a failure).
 */
export async function startRedis(extra: string[] = []): Promise<RunningServer | null> {
  const bin = redisServerPath();
  if (bin === null) {
    if (process.env.CI) throw new Error("redis-server is not installed; .ci/run installs the redis-server package");
    return null;
  }
  for (let attempt = 0; attempt < 20; attempt++) {
    const port = 20000 + Math.floor(Math.random() * 30000);
    const child = spawn(
      bin,
      ["--port", String(port), "--save", "", "--appendonly", "no", "--bind", "127.0.0.1", ...extra],
      {
        stdio: ["ignore", "pipe", "pipe"],
      },
    );
    let out = "";
    child.stdout.on("data", (d: Buffer) => {
      out += d.toString();
    });
    const ready = await new Promise<boolean>((resolve) => {
      const timer = setTimeout(() => resolve(false), 5000);
      const check = () => {
        if (out.includes("Ready to accept connections")) {
          clearTimeout(timer);
          resolve(true);
        }
      };
      child.stdout.on("data", check);
      child.once("exit", () => {
        clearTimeout(timer);
        resolve(false);
      });
    });
    if (ready) {
      // A test process that dies mid-run must not leave its redis-server behind.
      const reap = () => child.kill("SIGKILL");
      process.once("exit", reap);
      return {
        port,
        close: () =>
          new Promise<void>((resolve) => {
            process.off("exit", reap);
            if (child.exitCode !== null) return resolve();
            child.once("exit", () => resolve());
            child.kill("SIGKILL");
          }),
      };
    }
    child.kill("SIGKILL");
  }
  throw new Error("could not start redis-server on a free port");
}
