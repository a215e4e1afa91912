// A minimal RESP2 client for the cache benchmark's control connection: PING, INFO, CONFIG, DBSIZE, FLUSHALL. One
// command in flight at a time, replies parsed whole; the load itself goes through redis-cli, redis-benchmark or the
// stall loader, never through this client. Only ever connects to 127.0.0.1.

import * as net from "node:net";

export type Reply = string | number | null | Reply[] | ReplyError;

export class ReplyError extends Error {}

/** Parses one reply at `pos`; returns it and the position after it, or undefined when the buffer holds less. */
function parseReply(buf: Buffer, pos: number): { value: Reply; end: number } | undefined {
  if (pos >= buf.length) return undefined;
  const lineEnd = buf.indexOf("\r\n", pos);
  if (lineEnd < 0) return undefined;
  const type = String.fromCharCode(buf[pos]);
  const line = buf.toString("utf8", pos + 1, lineEnd);
  const next = lineEnd + 2;
  switch (type) {
    case "+":
      return { value: line, end: next };
    case "-":
      return { value: new ReplyError(line), end: next };
    case ":":
      return { value: Number(line), end: next };
    case "$": {
      const len = Number(line);
      if (len < 0) return { value: null, end: next };
      if (buf.length < next + len + 2) return undefined;
      return { value: buf.toString("utf8", next, next + len), end: next + len + 2 };
    }
    case "*": {
      const count = Number(line);
      if (count < 0) return { value: null, end: next };
      const items: Reply[] = [];
      let at = next;
      for (let i = 0; i < count; i++) {
        const item = parseReply(buf, at);
        if (!item) return undefined;
        items.push(item.value);
        at = item.end;
      }
      return { value: items, end: at };
    }
    default:
      throw new Error(`unexpected RESP type byte ${JSON.stringify(type)} in reply`);
  }
}

export function encodeCommand(args: readonly (string | Buffer)[]): Buffer {
  const parts: Buffer[] = [Buffer.from(`*${args.length}\r\n`)];
  for (const a of args) {
    const b = typeof a === "string" ? Buffer.from(a) : a;
    parts.push(Buffer.from(`$${b.length}\r\n`), b, Buffer.from("\r\n"));
  }
  return Buffer.concat(parts);
}

export class RespClient {
  private buf: Buffer = Buffer.alloc(0);
  private pending: { resolve: (r: Reply) => void; reject: (e: Error) => void } | undefined;
  private closedError: Error | undefined;

  private constructor(private readonly socket: net.Socket) {
    socket.on("data", (chunk: Buffer) => {
      this.buf = this.buf.length === 0 ? chunk : Buffer.concat([this.buf, chunk]);
      this.drain();
    });
    const fail = (e: Error) => {
      this.closedError ??= e;
      const p = this.pending;
      this.pending = undefined;
      p?.reject(e);
    };
    socket.on("error", fail);
    socket.on("close", () => fail(new Error("connection closed")));
  }

  static connect(port: number, timeoutMs = 2000): Promise<RespClient> {
    return new Promise((resolve, reject) => {
      const socket = net.connect({ host: "127.0.0.1", port });
      socket.setNoDelay(true);
      const timer = setTimeout(() => {
        socket.destroy();
        reject(new Error(`connect to 127.0.0.1:${port} timed out`));
      }, timeoutMs);
      socket.once("error", (e) => {
        clearTimeout(timer);
        reject(e);
      });
      socket.once("connect", () => {
        clearTimeout(timer);
        resolve(new RespClient(socket));
      });
    });
  }

  private drain(): void {
    if (!this.pending) return;
    const r = parseReply(this.buf, 0);
    if (!r) return;
    this.buf = this.buf.subarray(r.end);
    const p = this.pending;
    this.pending = undefined;
    p.resolve(r.value);
  }

  /** Sends one command and resolves with its reply (a RESP error resolves as a ReplyError value). */
  call(args: readonly string[], timeoutMs = 30_000): Promise<Reply> {
    if (this.closedError) return Promise.reject(this.closedError);
    if (this.pending) return Promise.reject(new Error("RespClient: one command at a time"));
    return new Promise<Reply>((resolve, reject) => {
      const timer = setTimeout(() => {
        this.pending = undefined;
        reject(new Error(`${args[0]} timed out after ${timeoutMs} ms`));
        this.socket.destroy();
      }, timeoutMs);
      this.pending = {
        resolve: (r) => {
          clearTimeout(timer);
          resolve(r);
        },
        reject: (e) => {
          clearTimeout(timer);
          reject(e);
        },
      };
      this.socket.write(encodeCommand(args));
    });
  }

  /** Like call, but a RESP error reply throws. */
  async ok(args: readonly string[], timeoutMs?: number): Promise<Reply> {
    const r = await this.call(args, timeoutMs);
    if (r instanceof ReplyError) throw new Error(`${args.join(" ")}: ${r.message}`);
    return r;
  }

  /** INFO [section] as a field map (`used_memory` -> "12345"). */
  async info(section?: string): Promise<Map<string, string>> {
    const r = await this.ok(section === undefined ? ["INFO"] : ["INFO", section]);
    if (typeof r !== "string") throw new Error("INFO did not reply with a bulk string");
    return parseInfo(r);
  }

  /** CONFIG GET name: the value, or undefined when the server does not know the setting. */
  async configGet(name: string): Promise<string | undefined> {
    const r = await this.ok(["CONFIG", "GET", name]);
    if (!Array.isArray(r)) throw new Error(`CONFIG GET ${name} did not reply with an array`);
    for (let i = 0; i + 1 < r.length; i += 2) {
      if (String(r[i]).toLowerCase() === name.toLowerCase()) return String(r[i + 1]);
    }
    return undefined;
  }

  async dbsize(): Promise<number> {
    const r = await this.ok(["DBSIZE"]);
    if (typeof r !== "number") throw new Error(`DBSIZE replied ${JSON.stringify(r)}`);
    return r;
  }

  close(): void {
    this.socket.destroy();
  }
}

export function parseInfo(text: string): Map<string, string> {
  const fields = new Map<string, string>();
  for (const raw of text.split("\n")) {
    const line = raw.trim();
    if (line.length === 0 || line.startsWith("#")) continue;
    const colon = line.indexOf(":");
    if (colon > 0) fields.set(line.slice(0, colon), line.slice(colon + 1));
  }
  return fields;
}

/** A numeric INFO field; throws when the server does not report it. */
export function infoNumber(fields: Map<string, string>, name: string): number {
  const v = fields.get(name);
  const n = v === undefined ? Number.NaN : Number(v);
  if (!Number.isFinite(n)) throw new Error(`INFO has no numeric ${name} (got ${JSON.stringify(v)})`);
  return n;
}
