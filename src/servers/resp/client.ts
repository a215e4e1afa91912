// One connection: its socket, parser and reply writer, and the state Redis keeps per client
// (selected database, protocol, name, MULTI queue, watched keys, subscriptions, blocking state).
//
// Input is read into a buffer shared by all connections (socket-input.ts) and processed command by
// command straight from it; what is left unparsed is copied out. Replies accumulate in
// the writer and go out in one socket write per input chunk. When the socket's buffer is full the
// connection stops reading until it drains, so a pipeline never buffers without bound. A blocked
// client (BLPOP ...) stops processing its input until it is served or times out.

import type { Socket } from "node:net";
import type { Db } from "../../cache/db.js";
import type { Args, CommandSpec } from "./command.js";
import { ProtocolError, RespParser } from "./parser.js";
import { ReplyWriter } from "./reply.js";
import type { CacheServer } from "./server.js";
import { readInto } from "./socket-input.js";

/** Input chunks at least this big make the client yield to others before reading more. */
const YIELD_CHUNK_BYTES = 16 * 1024;

export interface QueuedCommand extends Args {
  /** The command (or subcommand) as resolved when it was queued. */
  spec: CommandSpec;
}

export interface BlockState {
  /** Keys (db-qualified, see CacheServer.readyKey) the client waits on. */
  keys: string[];
  /** Unix ms when it times out; 0 for never. */
  deadline: number;
  /** Tries to serve the client; returns true when it was served (the reply is written). */
  retry: (c: Client) => boolean;
  /** Writes the timeout reply. */
  timeout: (c: Client) => void;
}

export interface WatchedKey {
  db: number;
  key: string;
}

export class Client {
  readonly reply = new ReplyWriter();
  readonly socket: Socket;
  readonly parser: RespParser;
  readonly createdAt: number;
  name = "";
  libName = "";
  libVer = "";
  dbIndex = 0;
  db: Db;
  authenticated: boolean;
  lastInteraction: number;
  lastCommand = "NULL";
  /** Commands queued by MULTI, or null outside a transaction. */
  multi: QueuedCommand[] | null = null;
  multiError = false;
  /**
   * Set while EXEC runs the queued commands: a blocking command (BLPOP ...) must not block then,
   * but reply at once as on timeout, as Redis does for CLIENT_DENY_BLOCKING.
   */
  denyBlocking = false;
  readonly watched: WatchedKey[] = [];
  /** Set when a watched key changed: EXEC will fail. */
  dirtyCas = false;
  readonly channels = new Set<string>();
  readonly patterns = new Set<string>();
  blocked: BlockState | null = null;
  noEvict = false;
  noTouch = false;
  /** Set by QUIT or a protocol error: close after the pending replies are written. */
  closing = false;
  closed = false;
  /** Not reading because the socket's write buffer is full (until 'drain'). */
  private paused = false;
  /** Not reading until the next turn of the event loop, after a big chunk (see onInput). */
  private yielding = false;
  private processing = false;
  /** Flushes waiting for a log write (see flushAfter), and the last of them. */
  private heldFlushes = 0;
  private heldTail: Promise<void> = Promise.resolve();

  constructor(
    readonly server: CacheServer,
    readonly id: number,
    accepted: Socket,
  ) {
    this.parser = new RespParser({ maxBulkLen: server.config.protoMaxBulkLen });
    this.db = server.store.dbs[0];
    this.authenticated = server.config.requirepass === "";
    this.parser.unauthenticated = !this.authenticated;
    this.createdAt = Date.now();
    this.lastInteraction = this.createdAt;
    this.socket = readInto(accepted, this.onInput);
    const socket = this.socket;
    socket.setNoDelay(true);
    socket.on("drain", () => {
      if (this.paused) {
        this.paused = false;
        if (!this.yielding) this.socket.resume();
        this.processInput();
      }
    });
    socket.on("error", () => this.close());
    socket.on("close", () => this.close());
  }

  get subscriptions(): number {
    return this.channels.size + this.patterns.size;
  }

  get inPubSub(): boolean {
    return this.subscriptions > 0;
  }

  select(index: number): void {
    this.dbIndex = index;
    this.db = this.server.store.dbs[index];
  }

  /** Input from the socket; `buf` is reused after this returns (see socket-input.ts). */
  private readonly onInput = (buf: Buffer, n: number): void => {
    if (this.closing || this.closed) return;
    this.lastInteraction = Date.now();
    this.parser.feed(buf, n);
    this.processInput();
    this.parser.detach();
    // A client sending big chunks (a pipelined load) gets one chunk per turn of the event loop:
    // otherwise libuv reads its socket dry (up to 32 reads) while every other client waits. Redis
    // likewise reads at most 16 KB per client per event.
    if (n >= YIELD_CHUNK_BYTES && !this.yielding && !this.closed) {
      this.yielding = true;
      this.socket.pause();
      setImmediate(this.endYield);
    }
  };

  private readonly endYield = (): void => {
    this.yielding = false;
    if (!this.paused && !this.closed) this.socket.resume();
  };

  /** Runs every complete command in the input, unless blocked, paused or closing. */
  processInput(): void {
    if (this.processing) return;
    this.processing = true;
    const server = this.server;
    server.store.tick();
    try {
      while (!this.closing && this.blocked === null && !this.paused) {
        let argc: number;
        try {
          argc = this.parser.next();
        } catch (e) {
          if (!(e instanceof ProtocolError)) throw e;
          this.reply.error(e.message);
          this.closing = true;
          break;
        }
        if (argc === 0) break;
        server.execute(this, this.parser);
        if (this.reply.length > 1 << 20) this.flush();
      }
    } finally {
      this.processing = false;
    }
    server.afterCommands();
    this.flush();
  }

  /** Sends pending replies; pauses reading when the socket's buffer is full. */
  flush(): void {
    if (this.closed) return;
    const hold = this.server.persistence?.pendingWrite ?? null;
    if (hold !== null || this.heldFlushes > 0) {
      this.flushAfter(hold);
      return;
    }
    const out = this.reply.take();
    if (out !== null && !this.socket.write(out) && !this.paused) {
      this.paused = true;
      this.socket.pause();
    }
    if (this.closing) {
      this.socket.end();
      this.close();
    }
  }

  /**
   * With persistence on, replies wait for the log write they may depend on (appendfsync always: on
   * disk; otherwise: written to the OS), in order after any replies held before them. If that
   * write failed, the connection is dropped instead: the command's outcome is unknown.
   */
  private flushAfter(hold: Promise<void> | null): void {
    const out = this.reply.take();
    const end = this.closing;
    this.heldFlushes++;
    const send = () => {
      this.heldFlushes--;
      if (this.closed) return;
      if (out !== null && !this.socket.write(out) && !this.paused) {
        this.paused = true;
        this.socket.pause();
      }
      if (end) {
        this.socket.end();
        this.close();
      }
    };
    const drop = () => {
      this.heldFlushes--;
      this.socket.destroy();
      this.close();
    };
    const prev = this.heldTail;
    this.heldTail = (hold === null ? prev : prev.then(() => hold)).then(send, drop);
  }

  close(): void {
    if (this.closed) return;
    this.closed = true;
    this.closing = true;
    this.server.forgetClient(this);
    if (!this.socket.destroyed) this.socket.end();
  }
}
