// The Redis-compatible server: accepts connections, dispatches commands (arity, auth, MULTI
// queueing, pub/sub context, OOM checks, as Redis's processCommand does), and keeps the state that
// spans clients: WATCH registrations, clients blocked on keys, pub/sub subscriptions, the cron that
// drives active expiry, rehash and timeouts.

import { createServer, type Server } from "node:net";
import { CacheStore, EVICT_FAIL, EVICT_RUNNING, type EvictResult } from "../../cache/store.js";
import { latin1 } from "../../format/latin1.js";
import type { BlockState, Client as ClientType, QueuedCommand } from "./client.js";
import { Client } from "./client.js";
import { type Args, type CommandSpec, ERR_NOAUTH, ERR_OOM, errArity } from "./command.js";
import { ALL_COMMANDS } from "./commands/index.js";
import { CacheConfig } from "./config.js";
import { installStoreEvents, notifyMiss } from "./notify.js";
import { applyPersistenceSetting, CachePersistence, persistenceOptions } from "./persistence.js";

export interface CacheServerOptions {
  /** Settings by their Redis names, e.g. { port: "6380", maxmemory: "100mb" }. */
  config?: Record<string, string>;
  /** Prints a line per notable event (start, stop); default none. */
  log?: (line: string) => void;
}

/**
 * Persistence behind SAVE, BGSAVE, LASTSAVE and SHUTDOWN SAVE, when the server has one
 * (appendonly yes). Without it those commands say persistence is off.
 */
export interface Persistence {
  /** Writes a snapshot of the whole store; rejects when it could not. */
  save(): Promise<void>;
  /** Unix time in seconds of the last successful save (0 when never). */
  lastSave: number;
  /** Changes to the data since the last save (rdb_changes_since_last_save). */
  readonly changesSinceSave?: number;
  /** Runs a command and logs what it changed (call() uses it instead of spec.run). */
  run?(c: ClientType, spec: CommandSpec, a: Args): void;
  /** The latest log write not yet durable: replies are held until it resolves (Client.flush). */
  readonly pendingWrite?: Promise<void> | null;
  /** Logs a key evicted for maxmemory. */
  readonly evicted?: (db: number, key: string) => void;
  /** Finishes running writes and saves, and closes the log (CacheServer.close). */
  close?(): Promise<void>;
  /** While a save runs: told of every key changed (updateModifiedHook installs it). */
  readonly onModified?: ((db: number, key: Uint8Array, start: number, end: number) => void) | null;
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
  /** Set by the persistence layer when it is on; SAVE/BGSAVE/LASTSAVE use it. */
  persistence?: Persistence;
  /** store.dirty at the last successful save (rdb_changes_since_last_save counts from it). */
  dirtyAtLastSave = 0;
  /** The port listened on, once listen() resolved. */
  port = 0;
  /** DEBUG SET-ACTIVE-EXPIRE 0 turns the cron's active expiry off (keys then expire lazily only). */
  activeExpireEnabled = true;
  /** Subcommands by full name ("config|get"), for dispatch. */
  private readonly subcommands = new Map<string, CommandSpec>();
  private nextClientId = 1;
  private server: Server | null = null;
  private cronTimer: NodeJS.Timeout | null = null;
  private evictionScheduled = false;
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
    installStoreEvents(this);
    for (const spec of ALL_COMMANDS) {
      this.commands.set(spec.name, spec);
      for (const sub of spec.subcommands ?? []) this.subcommands.set(sub.name, sub);
    }
    this.runId = Array.from({ length: 40 }, () => "0123456789abcdef"[(Math.random() * 16) | 0]).join("");
  }

  /** Starts listening; resolves with the bound port. */
  async listen(): Promise<number> {
    if (this.config.get("appendonly") === "yes" && this.persistence === undefined) {
      this.persistence = await CachePersistence.open(this, persistenceOptions(this, this.log));
    }
    // Paused: each client starts reading through socket-input.ts's shared buffer.
    const server = createServer({ pauseOnConnect: true }, (socket) => this.accept(socket));
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
    this.port = port;
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
    await this.persistence?.close?.();
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
      socket.resume();
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

  /**
   * Runs one command for a client (or queues it inside MULTI), with the checks of Redis's
   * processCommand in its order: existence (of the subcommand too), arity, auth, no_multi, OOM,
   * the RESP2 pub/sub context. A rejected command inside MULTI makes EXEC fail with EXECABORT.
   */
  execute(c: ClientType, a: Args): void {
    let spec = this.lookupCommand(a);
    if (spec === undefined) {
      this.reject(c, undefined, unknownCommandText(a));
      return;
    }
    if (spec.subcommands !== undefined && a.argc >= 2) {
      const sub = this.subcommands.get(`${spec.name}|${latin1(a.argBuf, a.starts[1], a.ends[1]).toLowerCase()}`);
      if (sub === undefined) {
        const name = argPrefix(a, 1, 128);
        this.reject(c, undefined, `ERR unknown subcommand '${name}'. Try ${spec.name.toUpperCase()} HELP.`);
        return;
      }
      spec = sub;
    }
    if ((spec.arity > 0 && a.argc !== spec.arity) || a.argc < -spec.arity) {
      this.reject(c, spec, errArity(spec.name));
      return;
    }
    if (!c.authenticated && !spec.flags.includes("no_auth")) {
      this.reject(c, spec, ERR_NOAUTH);
      return;
    }
    if (c.multi !== null && spec.flags.includes("no_multi")) {
      this.reject(c, spec, "ERR Command not allowed inside a transaction");
      return;
    }
    // As Redis: evict before every command; refuse only a command that may add memory.
    if (this.store.maxmemory > 0 && this.performEvictions() === EVICT_FAIL && this.rejectsOnOom(c, spec)) {
      this.reject(c, spec, ERR_OOM);
      return;
    }
    if (c.inPubSub && c.reply.proto === 2 && !PUBSUB_CONTEXT.has(spec.name)) {
      this.reject(
        c,
        spec,
        `ERR Can't execute '${spec.name}': only (P|S)SUBSCRIBE / (P|S)UNSUBSCRIBE / PING / QUIT / RESET are allowed in this context`,
      );
      return;
    }
    if (c.multi !== null && !MULTI_IMMEDIATE.has(spec.name)) {
      c.multi.push(copyArgs(spec, a));
      c.reply.simple("QUEUED");
      return;
    }
    this.call(c, spec, a);
    // Blocked clients are served after each top-level command, as Redis does (EXEC's queue counts as one).
    if (this.readyKeys.size > 0) this.serveReady();
  }

  /** Runs a command that passed execute()'s checks; EXEC runs its queue through here, as Redis's call(). */
  call(c: ClientType, spec: CommandSpec, a: Args): void {
    this.stats.totalCommands++;
    c.lastCommand = spec.name;
    const p = this.persistence;
    if (p?.run !== undefined) p.run(c, spec, a);
    else spec.run(c, a);
  }

  /** Redis's rejectCommand: flags the transaction; a rejected EXEC discards it with EXECABORT. */
  private reject(c: ClientType, spec: CommandSpec | undefined, msg: string): void {
    if (c.multi !== null) c.multiError = true;
    if (spec !== undefined && spec.name === "exec") {
      c.multi = null;
      c.multiError = false;
      this.unwatchAll(c);
      c.reply.error(`EXECABORT Transaction discarded because of: ${msg.startsWith("ERR ") ? msg.slice(4) : msg}`);
      return;
    }
    c.reply.error(msg);
  }

  /** Whether the command is refused when memory cannot be freed: denyoom ones, anything queued in MULTI, an EXEC of denyoom ones. */
  private rejectsOnOom(c: ClientType, spec: CommandSpec): boolean {
    if (spec.flags.includes("denyoom")) return true;
    if (c.multi === null) return false;
    if (spec.name === "exec") return c.multi.some((q) => q.spec.flags.includes("denyoom"));
    return !MULTI_OOM_EXEMPT.has(spec.name);
  }

  /** A read lookup missed (the `keymiss` notification); shared lookups call it through the server. */
  keyMiss(c: ClientType, buf: Uint8Array, start: number, end: number): void {
    notifyMiss(c, buf, start, end);
  }

  lookupCommand(a: Args): CommandSpec | undefined {
    // Pipelines repeat a command: compare the name's bytes with the last one found before making a string.
    const b = a.argBuf;
    const s = a.starts[0];
    const n = a.ends[0] - s;
    const last = this.lastName;
    if (n === last.length) {
      let i = 0;
      while (i < n && b[s + i] === last[i]) i++;
      if (i === n) return this.lastSpec;
    }
    const name = latin1(b, s, s + n);
    const spec = this.commands.get(name) ?? this.commands.get(name.toLowerCase());
    if (spec !== undefined && n <= 32) {
      this.lastName = Buffer.from(name, "latin1");
      this.lastSpec = spec;
    }
    return spec;
  }

  private lastName: Uint8Array = new Uint8Array(0);
  private lastSpec: CommandSpec | undefined;

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

  /**
   * Before FLUSHDB (db), FLUSHALL (db -1) or SWAPDB (db, replacedWith): marks the clients watching
   * a key of db that exists there, or that exists in replacedWith, as Redis's
   * touchAllWatchedKeysInDb does (watching a key that is absent on both sides is not disturbed).
   */
  touchAllWatched(db: number, replacedWith = -1): void {
    if (this.watchers.size === 0) return;
    const dbs = this.store.dbs;
    for (const [k, set] of [...this.watchers]) {
      const sep = k.indexOf("\0");
      const d = Number(k.slice(0, sep));
      if (db >= 0 && d !== db) continue;
      const key = Buffer.from(k.slice(sep + 1), "latin1");
      // lookup() expires a stale key on the way, which touches its watchers like any expiry.
      const exists =
        dbs[d].lookup(key, 0, key.length, false) !== 0 ||
        (replacedWith >= 0 && dbs[replacedWith].lookup(key, 0, key.length, false) !== 0);
      if (exists) for (const c of set) c.dirtyCas = true;
    }
  }

  /** Sets the store's modification hook: WATCH, and the persistence's save tracking when it is on. */
  updateModifiedHook(): void {
    const watch: typeof this.store.onModified =
      this.watchers.size === 0
        ? null
        : (db, key, start, end) => {
            const set = this.watchers.get(`${db}\0${latin1(key, start, end)}`);
            if (set !== undefined) for (const c of set) c.dirtyCas = true;
          };
    const track = this.persistence?.onModified ?? null;
    this.store.onModified =
      track === null || watch === null
        ? (track ?? watch)
        : (db, key, start, end) => {
            track(db, key, start, end);
            watch(db, key, start, end);
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
          // A waiter of another kind (BZPOPMIN on a key that is now a list) is skipped, not a stop.
          if (!state.retry(c)) continue;
          this.unblock(c);
          this.resumeLater(c);
        }
      }
    }
  }

  /** After a client is unblocked: send its reply and go on with its buffered input. */
  resumeLater(c: ClientType): void {
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
      case "appendonly":
      case "appendfsync":
        applyPersistenceSetting(this, name, value, this.log);
        break;
      default:
        break;
    }
  }

  /**
   * Evicts before a command: at most one batch (16 keys) per command, then, while memory is still over
   * the limit, up to EVICTION_PROC_MS between I/O events (Redis's eviction time proc). Redis gives each
   * command 0.5 ms, but a 64 KiB read holds hundreds of commands, and during a burst (an index table
   * doubling adds its size at once) 0.5 ms each held the loop for a fifth of a second per read.
   */
  private performEvictions(budgetMs = 0): EvictResult {
    const r = this.store.evict(this.persistence?.evicted, budgetMs);
    if (r === EVICT_RUNNING && !this.evictionScheduled) {
      this.evictionScheduled = true;
      setImmediate(this.evictionProc);
    }
    return r;
  }

  private readonly evictionProc = (): void => {
    this.evictionScheduled = false;
    if (!this.isClosed && this.store.maxmemory > 0) this.performEvictions(EVICTION_PROC_MS);
    // Subscribers told of keys evicted here (keyspace notifications) get their messages now.
    this.afterCommands();
  };

  private cron(): void {
    if (this.activeExpireEnabled) this.store.cron(2);
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
/** Longest eviction per turn of the event loop while memory is over maxmemory, in ms. */
const EVICTION_PROC_MS = 5;

const MULTI_IMMEDIATE = new Set(["exec", "discard", "multi", "watch", "quit", "reset"]);
/** Commands not refused for memory inside MULTI (EXEC is judged by what it queued). */
const MULTI_OOM_EXEMPT = new Set(["exec", "discard", "quit", "reset"]);
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

function copyArgs(spec: CommandSpec, a: Args): QueuedCommand {
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
  return { spec, argBuf: buf, starts, ends, argc: a.argc };
}

/** Argument i's bytes as latin1 (so the error repeats them byte for byte), at most `max` of them. */
/** Argument i as Redis's `%.*s` prints it in an error: at most max bytes, and only up to a NUL. */
function argPrefix(a: Args, i: number, max: number): string {
  const start = a.starts[i];
  let end = Math.min(a.ends[i], start + Math.max(0, max));
  const nul = a.argBuf.indexOf(0, start);
  if (nul >= 0 && nul < end) end = nul;
  return latin1(a.argBuf, start, end);
}

/** Redis's text: the name cut at 128 bytes, then quoted arguments while under 128 bytes in all. */
function unknownCommandText(a: Args): string {
  let args = "";
  for (let i = 1; i < a.argc && args.length < 128; i++) args += `'${argPrefix(a, i, 128 - args.length)}' `;
  return `ERR unknown command '${argPrefix(a, 0, 128)}', with args beginning with: ${args}`;
}
