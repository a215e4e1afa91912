// RESP helpers for the cache face's end-to-end suites: a reply parsed into a tree that keeps every
// frame's type byte and header (so a normalised reply serialises back to exact bytes), and a raw
// connection that records every byte a server sends and whether it closed the connection (for the
// malformed-input tests).

import { connect, type Socket } from "node:net";

/** One reply frame: its type byte, its header line, and its children (aggregates) or data (bulks). */
export interface RespNode {
  type: string;
  line: string;
  data?: Buffer;
  kids?: RespNode[];
}

const AGGREGATES = new Set(["*", "%", "~", ">", "|"]);

/** Parses one complete frame at buf[pos]; returns the node and the next position, or null if incomplete. */
export function parseNode(buf: Buffer, pos: number): [RespNode, number] | null {
  const eol = buf.indexOf("\r\n", pos);
  if (eol < 0) return null;
  const type = String.fromCharCode(buf[pos]);
  const line = buf.toString("latin1", pos + 1, eol);
  let next = eol + 2;
  if (type === "$" || type === "=" || type === "!") {
    const n = Number(line);
    if (n < 0) return [{ type, line }, next];
    if (buf.length < next + n + 2) return null;
    return [{ type, line, data: buf.subarray(next, next + n) }, next + n + 2];
  }
  if (AGGREGATES.has(type)) {
    const n = Number(line);
    if (n < 0) return [{ type, line }, next];
    const count = type === "%" || type === "|" ? n * 2 : n;
    const kids: RespNode[] = [];
    for (let i = 0; i < count; i++) {
      const r = parseNode(buf, next);
      if (r === null) return null;
      kids.push(r[0]);
      next = r[1];
    }
    return [{ type, line, kids }, next];
  }
  return [{ type, line }, next];
}

/** Parses a buffer holding exactly one frame. */
export function parseOne(raw: Buffer): RespNode {
  const r = parseNode(raw, 0);
  if (r === null) throw new Error(`incomplete reply: ${raw.toString("latin1", 0, 80)}`);
  return r[0];
}

/** The node back as RESP bytes (latin1 string). */
export function serialize(n: RespNode): string {
  let s = `${n.type}${n.line}\r\n`;
  if (n.data !== undefined) s += `${n.data.toString("latin1")}\r\n`;
  if (n.kids !== undefined) for (const k of n.kids) s += serialize(k);
  return s;
}

/** Parses every complete frame in buf (the rest is returned as `rest`). */
export function parseAll(buf: Buffer): { frames: RespNode[]; rest: Buffer } {
  const frames: RespNode[] = [];
  let pos = 0;
  for (;;) {
    if (pos >= buf.length) break;
    let r: [RespNode, number] | null;
    try {
      r = parseNode(buf, pos);
    } catch {
      r = null;
    }
    if (r === null) break;
    frames.push(r[0]);
    pos = r[1];
  }
  return { frames, rest: buf.subarray(pos) };
}

export interface RawOutcome {
  /** Every byte the server sent. */
  received: Buffer;
  /** True when the server closed (or reset) the connection before we did. */
  closedByServer: boolean;
}

/**
 * A plain socket that records everything the server sends. `settle` waits until the server has
 * closed the connection or sent nothing for quietMs.
 */
export class RawConn {
  private chunks: Buffer[] = [];
  private lastData = Date.now();
  closedByServer = false;
  private closedByUs = false;
  private readonly closeWaiters: (() => void)[] = [];

  private constructor(readonly socket: Socket) {
    socket.on("data", (d: Buffer) => {
      this.chunks.push(d);
      this.lastData = Date.now();
    });
    socket.on("error", () => {});
    socket.on("close", () => {
      if (!this.closedByUs) this.closedByServer = true;
      for (const w of this.closeWaiters.splice(0)) w();
    });
  }

  static open(port: number): Promise<RawConn> {
    return new Promise((resolve, reject) => {
      const s = connect(port, "127.0.0.1", () => resolve(new RawConn(s)));
      s.once("error", reject);
    });
  }

  get received(): Buffer {
    return Buffer.concat(this.chunks);
  }

  write(b: Buffer | string): Promise<void> {
    return new Promise((resolve) => {
      if (this.socket.destroyed) return resolve();
      this.socket.write(typeof b === "string" ? Buffer.from(b, "latin1") : b, () => resolve());
    });
  }

  /** Writes bytes in chunks of `size`, waiting for each to drain. */
  async writeChunked(b: Buffer, size: number): Promise<void> {
    for (let i = 0; i < b.length && !this.socket.destroyed; i += size) {
      const chunk = b.subarray(i, Math.min(b.length, i + size));
      if (!this.socket.write(chunk)) await new Promise<void>((resolve) => this.socket.once("drain", resolve));
    }
  }

  /** Resolves once the server closed the connection, or nothing arrived for quietMs (max maxMs). */
  async settle(quietMs = 250, maxMs = 5000): Promise<RawOutcome> {
    const start = Date.now();
    this.lastData = Math.max(this.lastData, start);
    while (!this.closedByServer && Date.now() - this.lastData < quietMs && Date.now() - start < maxMs) {
      await new Promise<void>((resolve) => {
        const t = setTimeout(resolve, 20);
        this.closeWaiters.push(() => {
          clearTimeout(t);
          resolve();
        });
      });
    }
    return { received: this.received, closedByServer: this.closedByServer };
  }

  /** Waits until at least n bytes arrived (or the connection closed, or the timeout). */
  async waitBytes(n: number, maxMs = 5000): Promise<Buffer> {
    const start = Date.now();
    while (this.chunks.reduce((a, c) => a + c.length, 0) < n && !this.socket.destroyed && Date.now() - start < maxMs) {
      await new Promise((resolve) => setTimeout(resolve, 5));
    }
    return this.received;
  }

  close(): void {
    this.closedByUs = !this.closedByServer;
    this.socket.destroy();
  }
}
