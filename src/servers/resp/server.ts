// The Redis-compatible server: accepts connections, dispatches commands (arity, auth, MULTI
// queueing, pub/sub context, OOM checks, as Redis's processCommand does), and keeps the state that
// spans clients: WATCH registrations, clients blocked on keys, pub/sub subscriptions, the cron that
// drives active expiry, rehash and timeouts.

import { createServer, type Server } from "node:net";
import { CacheStore } from "../../cache/store.js";
import { latin1 } from "../../format/latin1.js";
import type { BlockState, Client as ClientType, QueuedCommand } from "./client.js";
import { Client } from "./client.js";
import { type Args, type CommandSpec, ERR_NOAUTH, ERR_OOM, errArity } from "./command.js";
import { ALL_COMMANDS } from "./commands/index.js";
import { CacheConfig } from "./config.js";

export interface CacheServerOptions {
  /** Settings by their Redis names, e.g. { port: "6380", maxmemory: "100mb" }. */
  config?: Record<string, string>;
  /** Prints a line per notable event (start, stop); default none. */
  log?: (line: string) => void;
}

export interface ServerStats {
  startedAt: number;
  totalCommands: number;
  totalConnections: number;
  rejectedConnections: number;
}

export class CacheServer {
  readonly config = new CacheConfig();
  readonly store: CacheStore;
  readonly clients = new Map<number, ClientType>();
  readonly commands = new Map<string, CommandSpec>();
  readonly stats: ServerStats = {
    startedAt: Date.now(),
    totalCommands: 0,
    totalConnections: 0,
    rejectedConnections: 0,
  };
  readonly runId: string;
  /** WATCHed keys ("db\0key") and the clients watching each. */
  readonly watchers = new Map<string, Set<ClientType>>();
  /** Clients blocked on each key ("db\0key"), in arrival order. */
  readonly blockedOn = new Map<string, ClientType[]>();
  /** Keys that may have become able to serve blocked clients since the last check. */
  private readonly readyKeys = new Set<string>();
  /** Channel subscribers, and pattern subscribers. */
  readonly channels = new Map<string, Set<ClientType>>();
  readonly patterns = new Map<string, Set<ClientType>>();
  /** Clients with replies written by others (pub/sub messages, unblocking) to flush. */
  private readonly dirty = new Set<ClientType>();
  private nextClientId = 1;
  private server: Server | null = null;
  private cronTimer: NodeJS.Timeout | null = null;
  private readonly log: (line: string) => void;
  /** Set by SHUTDOWN; resolves the promise returned by closed(). */
  private closeWaiters: (() => void)[] = [];
  private isClosed = false;

  constructor(opts: CacheServerOptions = {}) {
    this.log = opts.log ?? (() => {});
    for (const [k, v] of Object.entries(opts.config ?? {})) this.config.set(k, v, true);
    this.store = new CacheStore({
      databases: this.config.databases,
      maxmemory: this.config.maxmemory,
      policy: this.config.policy,
      samples: Number(this.config.get("maxmemory-samples")),
    });
    this.config.onChange = (name, value) => this.applySetting(name, value);
    for (const spec of ALL_COMMANDS) this.commands.set(spec.name, spec);
    this.runId = Array.from({ length: 40 }, () => "0123456789abcdef"[(Math.random() * 16) | 0]).join("");
  }

  /** Starts listening; resolves with the bound port. */
  async listen(): Promise<number> {
    const server = createServer((socket) => this.accept(socket));
    this.server = server;
    await new Promise<void>((resolve, reject) => {
      server.once("error", reject);
      server.listen(this.config.port, this.config.bind, () => {
        server.off("error", reject);
        resolve();
      });
    });
    const addr = server.address();
    const port = typeof addr === "object" && addr !== null ? addr.port : this.config.port;
    const hz = Number(this.config.get("hz"));
    this.cronTimer = setInterval(() => this.cron(), Math.max(10, Math.floor(1000 / hz)));
    this.cronTimer.unref();
    this.log(`shale cache: listening on ${this.config.bind}:${port}`);
    return port;
  }

  /** Stops accepting, closes every connection. */
  async close(): Promise<void> {
    if (this.isClosed) return;
    this.isClosed = true;
    if (this.cronTimer !== null) clearInterval(this.cronTimer);
    for (const c of [...this.clients.values()]) {
      c.socket.destroy();
      c.close();
    }
    const server = this.server;
    if (server !== null) await new Promise<void>((resolve) => server.close(() => resolve()));
    for (const w of this.closeWaiters) w();
    this.closeWaiters = [];
  }

  /** Resolves when the server is closed (by close() or SHUTDOWN). */
  closed(): Promise<void> {
    if (this.isClosed) return Promise.resolve();
    return new Promise((resolve) => this.closeWaiters.push(resolve));
  }

  private accept(socket: import("node:net").Socket): void {
    if (this.clients.size >= Number(this.config.get("maxclients"))) {
      this.stats.rejectedConnections++;
      socket.end("-ERR max number of clients reached\r\n");
      return;
    }
    const c = new Client(this, this.nextClientId++, socket);
    this.clients.set(c.id, c);
    this.stats.totalConnections++;
  }

  forgetClient(c: ClientType): void {
    this.clients.delete(c.id);
    this.unwatchAll(c);
    this.unblock(c);
    for (const ch of c.channels) this.unsubscribe(this.channels, ch, c);
    for (const p of c.patterns) this.unsubscribe(this.patterns, p, c);
    c.channels.clear();
    c.patterns.clear();
    this.dirty.delete(c);
  }

  // ---- dispatch ----

  /** Runs one command for a client (or queues it inside MULTI). */
  execute(c: ClientType, a: Args): void {
    const spec = this.lookupCommand(a);
    if (spec === undefined) {
      if (c.multi !== null) c.multiError = true;
      c.reply.error(unknownCommandText(a));
      return;
    }
    if ((spec.arity > 0 && a.argc !== spec.arity) || a.argc < -spec.arity) {
      if (c.multi !== null) c.multiError = true;
      c.reply.error(errArity(spec.name));
      return;
    }
    if (!c.authenticated && !spec.flags.includes("no_auth")) {
      if (c.multi !== null) c.multiError = true;
      c.reply.error(ERR_NOAUTH);
      return;
    }
    if (c.inPubSub && c.reply.proto === 2 && !PUBSUB_CONTEXT.has(spec.name)) {
      c.reply.error(
        `ERR Can't execute '${spec.name}': only (P|S)SUBSCRIBE / (P|S)UNSUBSCRIBE / PING / QUIT / RESET are allowed in this context`,
      );
      return;
    }
    if (c.multi !== null && !MULTI_IMMEDIATE.has(spec.name)) {
      c.multi.push(copyArgs(spec.name, a));
      c.reply.simple("QUEUED");
      return;
    }
    if (this.store.maxmemory > 0 && spec.flags.includes("denyoom") && !this.store.evictUntilFits()) {
      c.reply.error(ERR_OOM);
      return;
    }
    this.stats.totalCommands++;
    c.lastCommand = spec.name;
    spec.run(c, a);
  }

  lookupCommand(a: Args): CommandSpec | undefined {
    const name = latin1(a.argBuf, a.starts[0], a.ends[0]);
    return this.commands.get(name) ?? this.commands.get(name.toLowerCase());
  }

  /** Called after a batch of commands: serves blocked clients whose keys changed, flushes other clients. */
  afterCommands(): void {
    if (this.readyKeys.size > 0) this.serveReady();
    if (this.dirty.size > 0) {
      const ds = [...this.dirty];
      this.dirty.clear();
      for (const d of ds) d.flush();
    }
  }

  /** Marks a client (not the one running) as having replies to send. */
  markDirty(c: ClientType): void {
    this.dirty.add(c);
  }

  // ---- WATCH ----

  watchKey(c: ClientType, db: number, key: string): void {
    if (c.watched.some((w) => w.db === db && w.key === key)) return;
    c.watched.push({ db, key });
    const k = `${db}\0${key}`;
    let set = this.watchers.get(k);
    if (set === undefined) {
      set = new Set();
      this.watchers.set(k, set);
    }
    set.add(c);
    this.updateModifiedHook();
  }

  unwatchAll(c: ClientType): void {
    for (const w of c.watched) {
      const k = `${w.db}\0${w.key}`;
      const set = this.watchers.get(k);
      if (set === undefined) continue;
      set.delete(c);
      if (set.size === 0) this.watchers.delete(k);
    }
    c.watched.length = 0;
    c.dirtyCas = false;
    this.updateModifiedHook();
  }

  /** Marks every client watching any key of a database (FLUSHDB, SWAPDB). */
  touchAllWatched(db: number): void {
    for (const [k, set] of this.watchers) {
      if (db < 0 || k.startsWith(`${db}\0`)) for (const c of set) c.dirtyCas = true;
    }
  }

  private updateModifiedHook(): void {
    this.store.onModified =
      this.watchers.size === 0
        ? null
        : (db, key, start, end) => {
            const set = this.watchers.get(`${db}\0${latin1(key, start, end)}`);
            if (set !== undefined) for (const c of set) c.dirtyCas = true;
          };
  }

  // ---- blocking ----

  static readyKey(db: number, key: string): string {
    return `${db}\0${key}`;
  }

  /** Blocks the client on keys (db-qualified with readyKey) until state.retry succeeds or the deadline. */
  block(c: ClientType, state: BlockState): void {
    c.blocked = state;
    for (const k of state.keys) {
      let list = this.blockedOn.get(k);
      if (list === undefined) {
        list = [];
        this.blockedOn.set(k, list);
      }
      list.push(c);
    }
  }

  unblock(c: ClientType): void {
    const state = c.blocked;
    if (state === null) return;
    c.blocked = null;
    for (const k of state.keys) {
      const list = this.blockedOn.get(k);
      if (list === undefined) continue;
      const i = list.indexOf(c);
      if (i >= 0) list.splice(i, 1);
      if (list.length === 0) this.blockedOn.delete(k);
    }
  }

  /** Tells blocked clients that a key (e.g. a list that was pushed to) may serve them now. */
  signalKeyReady(db: number, key: string): void {
    const k = `${db}\0${key}`;
    if (this.blockedOn.has(k)) this.readyKeys.add(k);
  }

  private serveReady(): void {
    while (this.readyKeys.size > 0) {
      const keys = [...this.readyKeys];
      this.readyKeys.clear();
      for (const k of keys) {
        const list = this.blockedOn.get(k);
        if (list === undefined) continue;
        for (const c of [...list]) {
          const state = c.blocked;
          if (state === null) continue;
          if (!state.retry(c)) break;
          this.unblock(c);
          this.resumeLater(c);
        }
      }
    }
  }

  /** After a client is unblocked: send its reply and go on with its buffered input. */
  private resumeLater(c: ClientType): void {
    this.dirty.add(c);
    setImmediate(() => {
      if (!c.closed) c.processInput();
    });
  }

  // ---- pub/sub ----

  subscribe(map: Map<string, Set<ClientType>>, name: string, c: ClientType): void {
    let set = map.get(name);
    if (set === undefined) {
      set = new Set();
      map.set(name, set);
    }
    set.add(c);
  }

  unsubscribe(map: Map<string, Set<ClientType>>, name: string, c: ClientType): void {
    const set = map.get(name);
    if (set === undefined) return;
    set.delete(c);
    if (set.size === 0) map.delete(name);
  }

  // ---- settings and housekeeping ----

  private applySetting(name: string, value: string): void {
    const store = this.store;
    switch (name) {
      case "maxmemory":
        store.maxmemory = Number(value);
        break;
      case "maxmemory-policy":
        store.policy = value as typeof store.policy;
        break;
      case "maxmemory-samples":
        store.samples = Number(value);
        break;
      case "lfu-log-factor":
        store.lfuLogFactor = Number(value);
        break;
      case "lfu-decay-time":
        store.lfuDecayTime = Number(value);
        break;
      case "requirepass":
        break;
      default:
        break;
    }
  }

  private cron(): void {
    this.store.cron(2);
    const now = Date.now();
    const timeout = this.config.timeout * 1000;
    for (const c of this.clients.values()) {
      const b = c.blocked;
      if (b !== null && b.deadline > 0 && b.deadline <= now) {
        this.unblock(c);
        b.timeout(c);
        this.resumeLater(c);
      } else if (timeout > 0 && b === null && !c.inPubSub && now - c.lastInteraction > timeout) {
        c.close();
        c.socket.destroy();
      }
    }
    this.afterCommands();
  }
}

/** Commands run even inside MULTI. */
const MULTI_IMMEDIATE = new Set(["exec", "discard", "multi", "watch", "quit", "reset"]);
/** Commands allowed in RESP2 while subscribed. */
const PUBSUB_CONTEXT = new Set([
  "subscribe",
  "unsubscribe",
  "psubscribe",
  "punsubscribe",
  "ssubscribe",
  "sunsubscribe",
  "ping",
  "quit",
  "reset",
]);

function copyArgs(name: string, a: Args): QueuedCommand {
  let total = 0;
  for (let i = 0; i < a.argc; i++) total += a.ends[i] - a.starts[i];
  const buf = Buffer.allocUnsafe(total);
  const starts = new Int32Array(a.argc);
  const ends = new Int32Array(a.argc);
  let p = 0;
  for (let i = 0; i < a.argc; i++) {
    starts[i] = p;
    p += a.argBuf.copy(buf, p, a.starts[i], a.ends[i]);
    ends[i] = p;
  }
  return { name, argBuf: buf, starts, ends, argc: a.argc };
}

function unknownCommandText(a: Args): string {
  const name = a.argBuf.toString("utf8", a.starts[0], a.ends[0]);
  let args = "";
  for (let i = 1; i < a.argc && args.length < 128; i++) {
    args += `'${a.argBuf.toString("utf8", a.starts[i], a.ends[i])}' `;
  }
  return `ERR unknown command '${name}', with args beginning with: ${args}`;
}
