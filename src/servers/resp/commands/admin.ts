// Server and admin commands: INFO, CONFIG, CLIENT, COMMAND, DBSIZE, FLUSHDB, FLUSHALL, SWAPDB,
// TIME, LASTSAVE, SAVE, BGSAVE, SHUTDOWN, DEBUG, FUNCTION, the scripting stubs (EVAL, EVALSHA,
// SCRIPT ...), SLOWLOG, LATENCY, ROLE, READONLY, READWRITE, WAIT.
//
// Replies follow Redis 7.0.15. Containers (CONFIG, CLIENT, COMMAND ...) list their subcommands in
// `subcommands`; CacheServer.execute resolves them and checks their arity, as Redis does.
// Commands that wait (SAVE, DEBUG SLEEP, WAIT) block only the client that sent them, through the
// server's blocking machinery, instead of stalling the whole server as Redis does.

import { T_STRING } from "../../../cache/entry.js";
import { globMatch } from "../../../cache/glob.js";
import { latin1 } from "../../../format/latin1.js";
import type { BlockState, Client } from "../client.js";
import {
  type Args,
  argInt,
  argIs,
  argLower,
  argString,
  argText,
  type CommandFlag,
  type CommandSpec,
  command,
  ERR_DB_INDEX,
  ERR_NOT_INT,
  ERR_SYNTAX,
  NO_KEYS,
} from "../command.js";
import { commandDoc } from "../command-docs.js";
import { ConfigError } from "../config.js";
import { infoText, lastSaveTime, serverExtras } from "../info.js";
import type { CacheServer } from "../server.js";
import { encodingOf } from "./keys.js";

export const ERR_PERSISTENCE_OFF = "ERR persistence is off (appendonly no); start the server with --appendonly yes";
const ERR_SCRIPTING = "ERR scripting is not supported by Shale yet";
const ERR_FUNCTIONS = "ERR Lua functions are not supported by Shale yet";
const ERR_NO_CLUSTER = "ERR This instance has cluster support disabled";

// ---- shared helpers ----

/** A HELP reply as Redis's addReplyHelp writes it. */
export function replyHelpLines(c: Client, container: string, lines: readonly string[]): void {
  const r = c.reply;
  r.arrayHeader(lines.length + 3);
  r.simple(`${container} <subcommand> [<arg> [value] [opt] ...]. Subcommands are:`);
  for (const l of lines) r.simple(l);
  r.simple("HELP");
  r.simple("    Prints this help.");
}

/** Redis's addReplySubcommandSyntaxError. */
export function subcommandSyntaxError(c: Client, a: Args): void {
  const sub = latin1(a.argBuf, a.starts[1], Math.min(a.ends[1], a.starts[1] + 128));
  const container = argText(a, 0).toUpperCase();
  c.reply.error(`ERR unknown subcommand or wrong number of arguments for '${sub}'. Try ${container} HELP.`);
}

/** Builds a container spec; execute() dispatches to its subcommands, so its own run never sees one. */
export function container(name: string, arity: number, subs: CommandSpec[]): CommandSpec {
  const spec = command(name, arity, [], NO_KEYS, (c, a) => subcommandSyntaxError(c, a), ["slow"]);
  spec.subcommands = subs;
  return spec;
}

/** Holds CLIENT UNBLOCK must leave alone: they end when their work does (SAVE, SHUTDOWN). */
const workHolds = new WeakSet<BlockState>();

/**
 * Holds the client (its later commands wait) until `ms` passed, then writes `reply`; ms <= 0 waits
 * until CLIENT UNBLOCK, releaseClient or disconnection. Other clients go on meanwhile.
 */
function holdClient(c: Client, ms: number, reply: (c: Client) => void): BlockState {
  const server = c.server;
  let timer: NodeJS.Timeout | null = null;
  const state: BlockState = {
    keys: [],
    deadline: 0,
    retry: () => false,
    // CLIENT UNBLOCK ends the hold early: the timer has nothing left to do.
    timeout: (t) => {
      if (timer !== null) clearTimeout(timer);
      reply(t);
    },
  };
  server.block(c, state);
  if (ms > 0) {
    timer = setTimeout(() => {
      if (c.blocked !== state || c.closed) return;
      server.unblock(c);
      reply(c);
      server.resumeLater(c);
    }, ms);
    // A client that disconnects leaves its timer behind; it must not keep the process alive.
    timer.unref();
  }
  return state;
}

/** Ends a hold early (the awaited work finished) and writes the reply. */
function releaseClient(c: Client, state: BlockState, reply: (c: Client) => void): void {
  if (c.closed || c.blocked !== state) return;
  c.server.unblock(c);
  reply(c);
  c.server.resumeLater(c);
}

/** Blocks the whole thread, as Redis's DEBUG SLEEP does (used where a client may not block). */
function sleepSync(ms: number): void {
  if (ms > 0) Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, ms);
}

// ---- INFO ----

function info(c: Client, a: Args): void {
  const sections: string[] = [];
  for (let i = 1; i < a.argc; i++) sections.push(argLower(a, i));
  c.reply.verbatim(infoText(c.server, sections));
}

// ---- CONFIG ----

/** Redis 7.0's config aliases: each old name and the name its value lives under. */
const CONFIG_ALIASES: Record<string, string> = {
  "hash-max-ziplist-entries": "hash-max-listpack-entries",
  "hash-max-ziplist-value": "hash-max-listpack-value",
  "zset-max-ziplist-entries": "zset-max-listpack-entries",
  "zset-max-ziplist-value": "zset-max-listpack-value",
  "list-max-ziplist-size": "list-max-listpack-size",
};
const ALIAS_OF: Record<string, string> = Object.fromEntries(Object.entries(CONFIG_ALIASES).map(([k, v]) => [v, k]));

function canonicalConfig(name: string): string {
  const l = name.toLowerCase();
  return CONFIG_ALIASES[l] ?? l;
}

function configGet(c: Client, a: Args): void {
  const config = c.server.config;
  // Keyed by the lower-cased name, valued [name as reported, value]: Redis dedupes case-insensitively.
  const matches = new Map<string, [string, string]>();
  for (let i = 2; i < a.argc; i++) {
    const pattern = argString(a, i);
    if (!/[[*?]/.test(pattern)) {
      const l = pattern.toLowerCase();
      if (!matches.has(l) && config.has(l)) matches.set(l, [argText(a, i), config.get(canonicalConfig(l)) ?? ""]);
      continue;
    }
    const pat = Buffer.from(pattern, "latin1");
    for (const [name] of config.entries((n) => globMatch(pat, n, true))) {
      if (!matches.has(name)) matches.set(name, [name, config.get(canonicalConfig(name)) ?? ""]);
    }
  }
  c.reply.mapHeader(matches.size);
  for (const [name, value] of matches.values()) {
    c.reply.bulkUtf8(name);
    c.reply.bulkUtf8(value);
  }
}

/** Checks a value CacheConfig does not know the shape of; returns Redis's reason, or null. */
function extraConfigCheck(name: string, value: string): string | null {
  if (name === "save") {
    const parts = value.trim() === "" ? [] : value.trim().split(/\s+/);
    if (parts.length % 2 !== 0 || parts.some((p) => !/^\d+$/.test(p))) return "Invalid save parameters";
  }
  return null;
}

function configSet(c: Client, a: Args): void {
  if ((a.argc & 1) !== 0) {
    c.reply.error(ERR_SYNTAX);
    return;
  }
  const config = c.server.config;
  const names: string[] = [];
  const given: string[] = [];
  const values: string[] = [];
  let unknown: string | null = null;
  let failure: string | null = null;
  for (let i = 2; i < a.argc; i += 2) {
    const text = argText(a, i);
    const name = canonicalConfig(text);
    if (!config.has(name)) {
      if (failure === null && unknown === null) unknown = text;
      continue;
    }
    if (failure !== null || unknown !== null) continue;
    // Redis 7.0 tells an alias from its name here, so "x-ziplist-y 1 x-listpack-y 1" is no duplicate.
    if (config.isImmutable(name)) {
      failure = `CONFIG SET failed (possibly related to argument '${text}') - can't set immutable config`;
    } else if (given.includes(text.toLowerCase())) {
      failure = `CONFIG SET failed (possibly related to argument '${text}') - duplicate parameter`;
    }
    names.push(name);
    given.push(text.toLowerCase());
    values.push(argText(a, i + 1));
  }
  if (unknown !== null) {
    c.reply.error(`ERR Unknown option or number of arguments for CONFIG SET - '${unknown}'`);
    return;
  }
  if (failure !== null) {
    c.reply.error(`ERR ${failure}`);
    return;
  }
  // All or nothing: on the first bad value, put back the ones already changed.
  const old = names.map((n) => config.get(n) ?? "");
  for (let i = 0; i < names.length; i++) {
    const extra = extraConfigCheck(names[i], values[i]);
    try {
      if (extra !== null)
        throw new ConfigError(`CONFIG SET failed (possibly related to argument '${names[i]}') - ${extra}`);
      config.set(names[i], values[i]);
      const alias = ALIAS_OF[names[i]];
      if (alias !== undefined && config.has(alias)) config.set(alias, config.get(names[i]) ?? "", true);
    } catch (e) {
      if (!(e instanceof ConfigError)) throw e;
      for (let j = i - 1; j >= 0; j--) {
        config.set(names[j], old[j], true);
        const alias = ALIAS_OF[names[j]];
        if (alias !== undefined && config.has(alias)) config.set(alias, old[j], true);
      }
      c.reply.error(`ERR ${e.message}`);
      return;
    }
  }
  c.reply.ok();
}

function configResetstat(c: Client): void {
  const s = c.server;
  s.stats.totalCommands = 0;
  s.stats.totalConnections = 0;
  s.stats.rejectedConnections = 0;
  const st = s.store.stats;
  st.expiredKeys = 0;
  st.evictedKeys = 0;
  st.hits = 0;
  st.misses = 0;
  serverExtras(s).peakMemory = 0;
  c.reply.ok();
}

const CONFIG_HELP = [
  "GET <pattern>",
  "    Return parameters matching the glob-like <pattern> and their values.",
  "SET <directive> <value>",
  "    Set the configuration <directive> to <value>.",
  "RESETSTAT",
  "    Reset statistics reported by the INFO command.",
  "REWRITE",
  "    Rewrite the configuration file.",
];

const ADMIN_SUB: CommandFlag[] = ["admin", "noscript", "loading", "stale"];
const ADMIN_CATS = ["admin", "slow", "dangerous"];

const configSpec = container("config", -2, [
  command("config|get", -3, ADMIN_SUB, NO_KEYS, configGet, ADMIN_CATS),
  command("config|set", -4, ADMIN_SUB, NO_KEYS, configSet, ADMIN_CATS),
  command("config|resetstat", 2, ADMIN_SUB, NO_KEYS, configResetstat, ADMIN_CATS),
  command(
    "config|rewrite",
    2,
    ADMIN_SUB,
    NO_KEYS,
    (c) => c.reply.error("ERR The server is running without a config file"),
    ADMIN_CATS,
  ),
  command("config|help", 2, ["loading", "stale"], NO_KEYS, (c) => replyHelpLines(c, "CONFIG", CONFIG_HELP), ["slow"]),
]);

// ---- CLIENT ----

function peerAddress(host: string | undefined, port: number | undefined): string {
  let h = host ?? "";
  if (h.startsWith("::ffff:")) h = h.slice(7);
  return h.includes(":") ? `[${h}]:${port ?? 0}` : `${h}:${port ?? 0}`;
}

function clientAddr(t: Client): string {
  return peerAddress(t.socket.remoteAddress, t.socket.remotePort);
}

function clientLaddr(t: Client): string {
  return peerAddress(t.socket.localAddress, t.socket.localPort);
}

function clientFd(t: Client): number {
  return (t.socket as unknown as { _handle?: { fd?: number } })._handle?.fd ?? -1;
}

function clientFlags(t: Client): string {
  let f = "";
  if (t.inPubSub) f += "P";
  if (t.multi !== null) f += "x";
  if (t.blocked !== null) f += "b";
  if (t.dirtyCas) f += "d";
  if (t.closing) f += "c";
  if (t.noEvict) f += "e";
  if (t.noTouch) f += "T";
  return f === "" ? "N" : f;
}

/** One CLIENT LIST line (without the newline), in Redis 7.2's field order (7.0's plus lib-name/lib-ver). */
export function clientInfoLine(t: Client): string {
  const now = Date.now();
  const omem = t.socket.writableLength;
  return (
    `id=${t.id} addr=${clientAddr(t)} laddr=${clientLaddr(t)} fd=${clientFd(t)} name=${t.name}` +
    ` age=${Math.floor((now - t.createdAt) / 1000)} idle=${Math.floor((now - t.lastInteraction) / 1000)}` +
    ` flags=${clientFlags(t)} db=${t.dbIndex} sub=${t.channels.size} psub=${t.patterns.size} ssub=0` +
    ` multi=${t.multi === null ? -1 : t.multi.length} qbuf=0 qbuf-free=0 argv-mem=0 multi-mem=0 rbs=0 rbp=0` +
    ` obl=${t.reply.length} oll=0 omem=${omem} tot-mem=${omem + t.reply.length} events=r cmd=${t.lastCommand}` +
    ` user=default redir=-1 resp=${t.reply.proto} lib-name=${t.libName} lib-ver=${t.libVer}`
  );
}

const NORMAL = 0;
const PUBSUB = 1;
const NONE = 2;

/** Redis's getClientTypeByName: -1 for an unknown name; master and replica match nobody here. */
function clientTypeByName(name: string): number {
  switch (name.toLowerCase()) {
    case "normal":
      return NORMAL;
    case "pubsub":
      return PUBSUB;
    case "master":
    case "slave":
    case "replica":
      return NONE;
    default:
      return -1;
  }
}

function clientType(t: Client): number {
  return t.inPubSub ? PUBSUB : NORMAL;
}

function clientList(c: Client, a: Args): void {
  const clients = c.server.clients;
  let out = "";
  if (a.argc === 4 && argIs(a, 2, "type")) {
    const type = clientTypeByName(argText(a, 3));
    if (type < 0) {
      c.reply.error(`ERR Unknown client type '${argText(a, 3)}'`);
      return;
    }
    for (const t of clients.values()) if (clientType(t) === type) out += `${clientInfoLine(t)}\n`;
  } else if (a.argc > 3 && argIs(a, 2, "id")) {
    for (let i = 3; i < a.argc; i++) {
      const id = argInt(a, i);
      if (id === null) {
        c.reply.error("ERR Invalid client ID");
        return;
      }
      const t = clients.get(id);
      if (t !== undefined) out += `${clientInfoLine(t)}\n`;
    }
  } else if (a.argc !== 2) {
    c.reply.error(ERR_SYNTAX);
    return;
  } else {
    for (const t of clients.values()) out += `${clientInfoLine(t)}\n`;
  }
  c.reply.verbatim(out);
}

/** Redis accepts printable ASCII without spaces in names and library attributes. */
function validAttribute(a: Args, i: number): boolean {
  const b = a.argBuf;
  for (let p = a.starts[i]; p < a.ends[i]; p++) if (b[p] < 0x21 || b[p] > 0x7e) return false;
  return true;
}

function clientSetname(c: Client, a: Args): void {
  if (!validAttribute(a, 2)) {
    c.reply.error("ERR Client names cannot contain spaces, newlines or special characters.");
    return;
  }
  c.name = argString(a, 2);
  c.reply.ok();
}

function clientGetname(c: Client): void {
  if (c.name === "") c.reply.nullBulk();
  else c.reply.bulkString(c.name);
}

function clientSetinfo(c: Client, a: Args): void {
  const attr = argText(a, 2);
  const which = attr.toLowerCase();
  if (which !== "lib-name" && which !== "lib-ver") {
    c.reply.error(`ERR Unrecognized option '${attr}'`);
    return;
  }
  if (!validAttribute(a, 3)) {
    c.reply.error(`ERR ${attr} cannot contain spaces, newlines or special characters.`);
    return;
  }
  if (which === "lib-name") c.libName = argString(a, 3);
  else c.libVer = argString(a, 3);
  c.reply.ok();
}

function onOff(c: Client, a: Args, i: number): boolean | null {
  if (argIs(a, i, "on")) return true;
  if (argIs(a, i, "off")) return false;
  c.reply.error(ERR_SYNTAX);
  return null;
}

function clientNoEvict(c: Client, a: Args): void {
  const v = onOff(c, a, 2);
  if (v === null) return;
  c.noEvict = v;
  c.reply.ok();
}

function clientNoTouch(c: Client, a: Args): void {
  const v = onOff(c, a, 2);
  if (v === null) return;
  c.noTouch = v;
  c.reply.ok();
}

function clientReply(c: Client, a: Args): void {
  if (argIs(a, 2, "on")) c.reply.ok();
  else if (argIs(a, 2, "off") || argIs(a, 2, "skip"))
    c.reply.error("ERR CLIENT REPLY OFF and SKIP are not supported by Shale yet");
  else c.reply.error(ERR_SYNTAX);
}

function killClient(c: Client, t: Client): void {
  if (t === c) {
    c.closing = true;
    return;
  }
  t.close();
  t.socket.destroy();
}

function clientKill(c: Client, a: Args): void {
  let addr: string | null = null;
  let laddr: string | null = null;
  let id = 0;
  let type = -1;
  let skipme = true;
  if (a.argc === 3) {
    addr = argText(a, 2);
    skipme = false;
  } else {
    for (let i = 2; i < a.argc; i += 2) {
      const more = i + 1 < a.argc;
      if (argIs(a, i, "id") && more) {
        const n = argInt(a, i + 1);
        if (n === null || n < 1) {
          c.reply.error("ERR client-id should be greater than 0");
          return;
        }
        id = n;
      } else if (argIs(a, i, "type") && more) {
        type = clientTypeByName(argText(a, i + 1));
        if (type < 0) {
          c.reply.error(`ERR Unknown client type '${argText(a, i + 1)}'`);
          return;
        }
      } else if (argIs(a, i, "addr") && more) {
        addr = argText(a, i + 1);
      } else if (argIs(a, i, "laddr") && more) {
        laddr = argText(a, i + 1);
      } else if (argIs(a, i, "user") && more) {
        if (argString(a, i + 1) !== "default") {
          c.reply.error(`ERR No such user '${argText(a, i + 1)}'`);
          return;
        }
      } else if (argIs(a, i, "skipme") && more) {
        if (argIs(a, i + 1, "yes")) skipme = true;
        else if (argIs(a, i + 1, "no")) skipme = false;
        else {
          c.reply.error(ERR_SYNTAX);
          return;
        }
      } else {
        c.reply.error(ERR_SYNTAX);
        return;
      }
    }
  }
  let killed = 0;
  for (const t of [...c.server.clients.values()]) {
    if (addr !== null && clientAddr(t) !== addr) continue;
    if (laddr !== null && clientLaddr(t) !== laddr) continue;
    if (type >= 0 && clientType(t) !== type) continue;
    if (id !== 0 && t.id !== id) continue;
    if (t === c && skipme) continue;
    killClient(c, t);
    killed++;
  }
  if (a.argc === 3) {
    if (killed === 0) c.reply.error("ERR No such client");
    else c.reply.ok();
  } else {
    c.reply.integer(killed);
  }
}

function clientUnblock(c: Client, a: Args): void {
  if (a.argc > 4) {
    subcommandSyntaxError(c, a);
    return;
  }
  let error = false;
  if (a.argc === 4) {
    if (argIs(a, 3, "error")) error = true;
    else if (!argIs(a, 3, "timeout")) {
      c.reply.error("ERR CLIENT UNBLOCK reason should be TIMEOUT or ERROR");
      return;
    }
  }
  const id = argInt(a, 2);
  if (id === null) {
    c.reply.error(ERR_NOT_INT);
    return;
  }
  const t = c.server.clients.get(id);
  const state = t?.blocked ?? null;
  if (t === undefined || state === null || workHolds.has(state)) {
    c.reply.integer(0);
    return;
  }
  c.server.unblock(t);
  if (error) t.reply.error("UNBLOCKED client unblocked via CLIENT UNBLOCK");
  else state.timeout(t);
  c.server.resumeLater(t);
  c.reply.integer(1);
}

function clientTrackinginfo(c: Client): void {
  const r = c.reply;
  r.mapHeader(3);
  r.bulkString("flags");
  r.setHeader(1);
  r.bulkString("off");
  r.bulkString("redirect");
  r.integer(-1);
  r.bulkString("prefixes");
  r.arrayHeader(0);
}

const CLIENT_HELP = [
  "GETNAME",
  "    Return the name of the current connection.",
  "GETREDIR",
  "    Return the client ID we are redirecting to when tracking is enabled.",
  "ID",
  "    Return the ID of the current connection.",
  "INFO",
  "    Return information about the current client connection.",
  "KILL <ip:port>",
  "    Kill connection made from <ip:port>.",
  "KILL <option> <value> [<option> <value> [...]]",
  "    Kill connections. Options are:",
  "    * ADDR (<ip:port>|<unixsocket>:0)",
  "      Kill connections made from the specified address",
  "    * LADDR (<ip:port>|<unixsocket>:0)",
  "      Kill connections made to specified local address",
  "    * TYPE (NORMAL|MASTER|REPLICA|PUBSUB)",
  "      Kill connections by type.",
  "    * USER <username>",
  "      Kill connections authenticated by <username>.",
  "    * SKIPME (YES|NO)",
  "      Skip killing current connection (default: yes).",
  "LIST [options ...]",
  "    Return information about client connections. Options:",
  "    * TYPE (NORMAL|MASTER|REPLICA|PUBSUB)",
  "      Return clients of specified type.",
  "REPLY (ON|OFF|SKIP)",
  "    Control the replies sent to the current connection (only ON is supported).",
  "SETNAME <name>",
  "    Assign the name <name> to the current connection.",
  "SETINFO <option> <value>",
  "    Set client meta attr. Options are:",
  "    * LIB-NAME: the client lib name.",
  "    * LIB-VER: the client lib version.",
  "UNBLOCK <clientid> [TIMEOUT|ERROR]",
  "    Unblock the specified blocked client.",
  "TRACKINGINFO",
  "    Report tracking status for the current connection.",
  "NO-EVICT (ON|OFF)",
  "    Protect current client connection from eviction.",
  "NO-TOUCH (ON|OFF)",
  "    Will not touch LRU/LFU stats when this mode is on.",
];

const CLIENT_SUB: CommandFlag[] = ["noscript", "loading", "stale"];
const CLIENT_CATS = ["slow", "connection"];
const CLIENT_ADMIN_CATS = ["admin", "slow", "dangerous", "connection"];

const clientSpec = container("client", -2, [
  command("client|setname", 3, CLIENT_SUB, NO_KEYS, clientSetname, CLIENT_CATS),
  command("client|getname", 2, CLIENT_SUB, NO_KEYS, clientGetname, CLIENT_CATS),
  command("client|id", 2, CLIENT_SUB, NO_KEYS, (c) => c.reply.integer(c.id), CLIENT_CATS),
  command("client|info", 2, CLIENT_SUB, NO_KEYS, (c) => c.reply.verbatim(`${clientInfoLine(c)}\n`), CLIENT_CATS),
  command("client|list", -2, ADMIN_SUB, NO_KEYS, clientList, CLIENT_ADMIN_CATS),
  command("client|kill", -3, ADMIN_SUB, NO_KEYS, clientKill, CLIENT_ADMIN_CATS),
  command("client|setinfo", 4, CLIENT_SUB, NO_KEYS, clientSetinfo, CLIENT_CATS),
  command("client|no-evict", 3, ADMIN_SUB, NO_KEYS, clientNoEvict, CLIENT_ADMIN_CATS),
  command("client|no-touch", 3, CLIENT_SUB, NO_KEYS, clientNoTouch, CLIENT_CATS),
  command("client|reply", 3, CLIENT_SUB, NO_KEYS, clientReply, CLIENT_CATS),
  command("client|unblock", -3, ADMIN_SUB, NO_KEYS, clientUnblock, CLIENT_ADMIN_CATS),
  command("client|getredir", 2, CLIENT_SUB, NO_KEYS, (c) => c.reply.integer(-1), CLIENT_CATS),
  command("client|trackinginfo", 2, CLIENT_SUB, NO_KEYS, clientTrackinginfo, CLIENT_CATS),
  command(
    "client|help",
    2,
    ["loading", "stale"],
    NO_KEYS,
    (c) => replyHelpLines(c, "CLIENT", CLIENT_HELP),
    CLIENT_CATS,
  ),
]);

// ---- COMMAND ----

function replyKeySpec(c: Client, spec: CommandSpec): void {
  const r = c.reply;
  const flags = keySpecFlags(spec);
  r.mapHeader(3);
  r.bulkString("flags");
  r.setHeader(flags.length);
  for (const f of flags) r.simple(f);
  r.bulkString("begin_search");
  r.mapHeader(2);
  r.bulkString("type");
  r.bulkString("index");
  r.bulkString("spec");
  r.mapHeader(1);
  r.bulkString("index");
  r.integer(spec.firstKey);
  r.bulkString("find_keys");
  r.mapHeader(2);
  r.bulkString("type");
  r.bulkString("range");
  r.bulkString("spec");
  r.mapHeader(3);
  r.bulkString("lastkey");
  r.integer(spec.lastKey < 0 ? spec.lastKey : spec.lastKey - spec.firstKey);
  r.bulkString("keystep");
  r.integer(spec.step);
  r.bulkString("limit");
  r.integer(0);
}

/** A COMMAND INFO entry: Redis 7.0's ten fields (tips are not kept, so that set is empty). */
function replyCommandInfo(c: Client, spec: CommandSpec): void {
  const r = c.reply;
  r.arrayHeader(10);
  r.bulkString(spec.name);
  r.integer(spec.arity);
  r.setHeader(spec.flags.length);
  for (const f of spec.flags) r.simple(f);
  r.integer(spec.firstKey);
  r.integer(spec.lastKey);
  r.integer(spec.step);
  const cats = spec.categories ?? [];
  r.setHeader(cats.length);
  for (const cat of cats) r.simple(`@${cat}`);
  r.setHeader(0);
  if (spec.firstKey > 0) {
    r.setHeader(1);
    replyKeySpec(c, spec);
  } else {
    r.setHeader(0);
  }
  const subs = spec.subcommands ?? [];
  if (subs.length === 0) {
    r.setHeader(0);
    return;
  }
  r.arrayHeader(subs.length);
  for (const s of subs) replyCommandInfo(c, s);
}

function replyCommandDocs(c: Client, spec: CommandSpec): void {
  const r = c.reply;
  const doc = commandDoc(spec.name);
  const subs = spec.subcommands ?? [];
  r.mapHeader(subs.length > 0 ? 4 : 3);
  r.bulkString("summary");
  r.bulkString(doc?.summary ?? "");
  r.bulkString("since");
  r.bulkString(doc?.since ?? "");
  r.bulkString("group");
  r.bulkString(doc?.group ?? "generic");
  if (subs.length > 0) {
    r.bulkString("subcommands");
    r.mapHeader(subs.length);
    for (const s of subs) {
      r.bulkString(s.name);
      replyCommandDocs(c, s);
    }
  }
}

/** A command or subcommand by name, "get" or "config|get" (any case). */
function findCommand(server: CacheServer, name: string): CommandSpec | undefined {
  const l = name.toLowerCase();
  const bar = l.indexOf("|");
  if (bar < 0) return server.commands.get(l);
  return server.commands.get(l.slice(0, bar))?.subcommands?.find((s) => s.name === l);
}

function commandAll(c: Client): void {
  const cmds = c.server.commands;
  c.reply.arrayHeader(cmds.size);
  for (const spec of cmds.values()) replyCommandInfo(c, spec);
}

function commandInfo(c: Client, a: Args): void {
  if (a.argc === 2) {
    commandAll(c);
    return;
  }
  c.reply.arrayHeader(a.argc - 2);
  for (let i = 2; i < a.argc; i++) {
    const spec = findCommand(c.server, argString(a, i));
    if (spec === undefined) c.reply.nullBulk();
    else replyCommandInfo(c, spec);
  }
}

function commandDocs(c: Client, a: Args): void {
  const found: CommandSpec[] = [];
  if (a.argc === 2) for (const spec of c.server.commands.values()) found.push(spec);
  for (let i = 2; i < a.argc; i++) {
    const spec = findCommand(c.server, argString(a, i));
    if (spec !== undefined) found.push(spec);
  }
  c.reply.mapHeader(found.length);
  for (const spec of found) {
    c.reply.bulkString(spec.name);
    replyCommandDocs(c, spec);
  }
}

function commandList(c: Client, a: Args): void {
  let keep: (spec: CommandSpec) => boolean = () => true;
  if (a.argc === 5 && argIs(a, 2, "filterby")) {
    const arg = argString(a, 4);
    if (argIs(a, 3, "module")) keep = () => false;
    else if (argIs(a, 3, "aclcat")) {
      const cat = arg.toLowerCase();
      keep = (s) => (s.categories ?? []).includes(cat);
    } else if (argIs(a, 3, "pattern")) {
      const pat = Buffer.from(arg, "latin1");
      keep = (s) => globMatch(pat, s.name, true);
    } else {
      c.reply.error(ERR_SYNTAX);
      return;
    }
  } else if (a.argc !== 2) {
    c.reply.error(ERR_SYNTAX);
    return;
  }
  const names: string[] = [];
  for (const spec of c.server.commands.values()) {
    if (keep(spec)) names.push(spec.name);
    for (const s of spec.subcommands ?? []) if (keep(s)) names.push(s.name);
  }
  c.reply.arrayHeader(names.length);
  for (const n of names) c.reply.bulkString(n);
}

/** The flags a key spec derived from the command's flags reports (see replyKeySpec). */
function keySpecFlags(spec: CommandSpec): string[] {
  return spec.flags.includes("write") ? ["RW", "update"] : ["RO", "access"];
}

function commandGetkeys(c: Client, a: Args): void {
  getkeys(c, a, false);
}

function commandGetkeysandflags(c: Client, a: Args): void {
  getkeys(c, a, true);
}

function getkeys(c: Client, a: Args, withFlags: boolean): void {
  let spec = c.server.commands.get(argLower(a, 2));
  if (spec?.subcommands !== undefined && a.argc > 3) {
    const full = `${spec.name}|${argLower(a, 3)}`;
    spec = spec.subcommands.find((s) => s.name === full);
  }
  if (spec === undefined) {
    c.reply.error("ERR Invalid command specified");
    return;
  }
  if (spec.firstKey <= 0) {
    c.reply.error(
      spec.flags.includes("movablekeys")
        ? "ERR Invalid arguments specified for command"
        : "ERR The command has no key arguments",
    );
    return;
  }
  const argc = a.argc - 2;
  if ((spec.arity > 0 && spec.arity !== argc) || argc < -spec.arity) {
    c.reply.error("ERR Invalid number of arguments specified for command");
    return;
  }
  const last = spec.lastKey < 0 ? argc + spec.lastKey : spec.lastKey;
  const keys: number[] = [];
  for (let i = spec.firstKey; i <= last && i < argc; i += Math.max(1, spec.step)) keys.push(i + 2);
  const flags = keySpecFlags(spec);
  c.reply.arrayHeader(keys.length);
  for (const i of keys) {
    if (withFlags) c.reply.arrayHeader(2);
    c.reply.bulk(a.argBuf, a.starts[i], a.ends[i]);
    if (!withFlags) continue;
    c.reply.setHeader(flags.length);
    for (const f of flags) c.reply.simple(f);
  }
}

const COMMAND_HELP = [
  "(no subcommand)",
  "    Return details about all Redis commands.",
  "COUNT",
  "    Return the total number of commands in this Redis server.",
  "LIST",
  "    Return a list of all commands in this Redis server.",
  "INFO [<command-name> ...]",
  "    Return details about multiple Redis commands.",
  "    If no command names are given, documentation details for all",
  "    commands are returned.",
  "DOCS [<command-name> ...]",
  "    Return documentation details about multiple Redis commands.",
  "    If no command names are given, documentation details for all",
  "    commands are returned.",
  "GETKEYS <full-command>",
  "    Return the keys from a full Redis command.",
  "GETKEYSANDFLAGS <full-command>",
  "    Return the keys and the access flags from a full Redis command.",
];

const CMD_SUB: CommandFlag[] = ["loading", "stale"];
const CMD_CATS = ["slow", "connection"];
const commandSpec = command("command", -1, ["loading", "stale"], NO_KEYS, commandAll, CMD_CATS);
commandSpec.subcommands = [
  command("command|count", 2, CMD_SUB, NO_KEYS, (c) => c.reply.integer(c.server.commands.size), CMD_CATS),
  command("command|info", -2, CMD_SUB, NO_KEYS, commandInfo, CMD_CATS),
  command("command|docs", -2, CMD_SUB, NO_KEYS, commandDocs, CMD_CATS),
  command("command|list", -2, CMD_SUB, NO_KEYS, commandList, CMD_CATS),
  command("command|getkeys", -4, CMD_SUB, NO_KEYS, commandGetkeys, CMD_CATS),
  command("command|getkeysandflags", -4, CMD_SUB, NO_KEYS, commandGetkeysandflags, CMD_CATS),
  command("command|help", 2, CMD_SUB, NO_KEYS, (c) => replyHelpLines(c, "COMMAND", COMMAND_HELP), CMD_CATS),
];

// ---- keyspace: DBSIZE, FLUSHDB, FLUSHALL, SWAPDB ----

/** Redis's getFlushCommandFlags: nothing, ASYNC or SYNC (both free at once here). */
function flushArgsOk(c: Client, a: Args): boolean {
  if (a.argc === 1 || (a.argc === 2 && (argIs(a, 1, "sync") || argIs(a, 1, "async")))) return true;
  c.reply.error(ERR_SYNTAX);
  return false;
}

function flushdb(c: Client, a: Args): void {
  if (!flushArgsOk(c, a)) return;
  const s = c.server;
  s.touchAllWatched(c.dbIndex);
  const n = c.db.size;
  c.db.flush();
  s.store.dirty += n;
  c.reply.ok();
}

function flushall(c: Client, a: Args): void {
  if (!flushArgsOk(c, a)) return;
  const s = c.server;
  s.touchAllWatched(-1);
  const n = s.store.keyCount();
  s.store.flushAll();
  s.store.dirty += n + 1;
  c.reply.ok();
}

function swapdb(c: Client, a: Args): void {
  const id1 = argInt(a, 1);
  if (id1 === null || id1 < -0x80000000 || id1 > 0x7fffffff) {
    c.reply.error("ERR invalid first DB index");
    return;
  }
  const id2 = argInt(a, 2);
  if (id2 === null || id2 < -0x80000000 || id2 > 0x7fffffff) {
    c.reply.error("ERR invalid second DB index");
    return;
  }
  const s = c.server;
  const dbs = s.store.dbs;
  if (id1 < 0 || id1 >= dbs.length || id2 < 0 || id2 >= dbs.length) {
    c.reply.error(ERR_DB_INDEX);
    return;
  }
  if (id1 !== id2) {
    s.touchAllWatched(id1, id2);
    s.touchAllWatched(id2, id1);
    dbs[id1].swapWith(dbs[id2]);
    // Clients blocked on keys of either database may be served by what arrived.
    for (const k of [...s.blockedOn.keys()]) {
      const sep = k.indexOf("\0");
      const d = Number(k.slice(0, sep));
      if (d === id1 || d === id2) s.signalKeyReady(d, k.slice(sep + 1));
    }
  }
  s.store.dirty++;
  c.reply.ok();
}

// ---- time and persistence ----

function time(c: Client): void {
  const us = Math.floor((performance.timeOrigin + performance.now()) * 1000);
  c.reply.arrayHeader(2);
  c.reply.bulkString(String(Math.floor(us / 1e6)));
  c.reply.bulkString(String(us % 1e6));
}

/** Runs a save through the persistence layer; records its outcome for INFO and LASTSAVE. */
async function runSave(server: CacheServer): Promise<void> {
  const p = server.persistence;
  if (p === undefined) throw new Error("persistence is off");
  const e = serverExtras(server);
  e.saving = true;
  const dirtyBefore = server.store.dirty;
  try {
    await p.save();
    server.dirtyAtLastSave = dirtyBefore;
    e.saves++;
    e.lastSaveOk = true;
  } catch (err) {
    e.lastSaveOk = false;
    throw err;
  } finally {
    e.saving = false;
  }
}

function errorText(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}

function save(c: Client): void {
  const server = c.server;
  if (server.persistence === undefined) {
    c.reply.error(ERR_PERSISTENCE_OFF);
    return;
  }
  if (serverExtras(server).saving) {
    c.reply.error("ERR Background save already in progress");
    return;
  }
  const state = holdClient(c, 0, () => {});
  workHolds.add(state);
  runSave(server).then(
    () => releaseClient(c, state, (t) => t.reply.ok()),
    (err: unknown) => releaseClient(c, state, (t) => t.reply.error(`ERR ${errorText(err)}`)),
  );
}

function bgsave(c: Client, a: Args): void {
  let schedule = false;
  if (a.argc > 1) {
    if (a.argc === 2 && argIs(a, 1, "schedule")) schedule = true;
    else {
      c.reply.error(ERR_SYNTAX);
      return;
    }
  }
  const server = c.server;
  if (server.persistence === undefined) {
    c.reply.error(ERR_PERSISTENCE_OFF);
    return;
  }
  const e = serverExtras(server);
  if (e.saving) {
    if (!schedule) {
      c.reply.error("ERR Background save already in progress");
      return;
    }
    c.reply.simple("Background saving scheduled");
    const again = () => {
      if (e.saving) setTimeout(again, 10);
      else runSave(server).catch(() => {});
    };
    setTimeout(again, 10);
    return;
  }
  runSave(server).catch(() => {});
  c.reply.simple("Background saving started");
}

function shutdown(c: Client, a: Args): void {
  let nosave = false;
  let saveFlag = false;
  let force = false;
  let abort = false;
  let flags = 0;
  for (let i = 1; i < a.argc; i++) {
    if (argIs(a, i, "nosave")) nosave = true;
    else if (argIs(a, i, "save")) saveFlag = true;
    else if (argIs(a, i, "force")) force = true;
    else if (argIs(a, i, "abort")) {
      abort = true;
      continue;
    } else if (!argIs(a, i, "now")) {
      c.reply.error(ERR_SYNTAX);
      return;
    }
    flags++;
  }
  if ((abort && flags > 0) || (nosave && saveFlag)) {
    c.reply.error(ERR_SYNTAX);
    return;
  }
  if (abort) {
    c.reply.error("ERR No shutdown in progress.");
    return;
  }
  const server = c.server;
  const persistence = server.persistence;
  if (saveFlag && persistence === undefined && !force) {
    c.reply.error(ERR_PERSISTENCE_OFF);
    return;
  }
  if (nosave || persistence === undefined) {
    void server.close();
    return;
  }
  const state = holdClient(c, 0, () => {});
  workHolds.add(state);
  runSave(server).then(
    () => void server.close(),
    () => {
      if (force) void server.close();
      else releaseClient(c, state, (t) => t.reply.error("ERR Errors trying to SHUTDOWN. Check logs."));
    },
  );
}

// ---- DEBUG ----

const DEBUG_HELP = [
  "OBJECT <key>",
  "    Show low-level info about the <key> and associated value.",
  "PROTOCOL <type>",
  "    Reply with a test value of the specified type. <type> can be: string,",
  "    integer, double, bignum, null, array, set, map, attrib, push, verbatim,",
  "    true, false.",
  "SET-ACTIVE-EXPIRE <0|1>",
  "    Setting it to 0 disables expiring keys in background when they are not",
  "    accessed (otherwise the Redis behavior). Setting it to 1 reenables back the",
  "    default.",
  "SLEEP <seconds>",
  "    Stop the server for <seconds>. Decimals allowed.",
];

/** C's atoi: leading blanks, an optional sign, digits; 0 when there are none. */
function atoi(s: string): number {
  const m = /^\s*([+-]?\d+)/.exec(s);
  return m === null ? 0 : Number.parseInt(m[1], 10);
}

function debugObject(c: Client, a: Args): void {
  const db = c.db;
  const h = db.lookup(a.argBuf, a.starts[2], a.ends[2], false);
  if (h === 0) {
    c.reply.error("ERR no such key");
    return;
  }
  const store = c.server.store;
  const page = store.slab.page(h);
  const off = store.slab.offset(h);
  const encoding = encodingOf(c, db, h);
  let length = store.slab.sizeOf(h);
  if (db.type(h) === T_STRING) {
    db.decode(h);
    length = db.vend - db.vstart;
  }
  const lru = (page[off + 2] << 16) | (page[off + 3] << 8) | page[off + 4];
  const idle = store.policy.endsWith("-lfu") ? 0 : store.idleSeconds(page, off);
  c.reply.simple(
    `Value at:0x${h.toString(16)} refcount:1 encoding:${encoding} serializedlength:${length} lru:${lru} lru_seconds_idle:${idle}`,
  );
}

function debugProtocol(c: Client, a: Args): void {
  const r = c.reply;
  const name = argLower(a, 2);
  const resp3 = r.proto === 3;
  switch (name) {
    case "string":
      r.bulkString("Hello World");
      return;
    case "integer":
      r.integer(12345);
      return;
    case "double":
      r.raw(Buffer.from(resp3 ? ",3.141\r\n" : "$5\r\n3.141\r\n"));
      return;
    case "bignum":
      r.bigNumber("1234567999999999999999999999999999999");
      return;
    case "null":
      r.nullBulk();
      return;
    case "array":
    case "set":
      if (name === "array") r.arrayHeader(3);
      else r.setHeader(3);
      for (let j = 0; j < 3; j++) r.integer(j);
      return;
    case "map":
      r.mapHeader(3);
      for (let j = 0; j < 3; j++) {
        r.integer(j);
        r.boolean(j === 1);
      }
      return;
    case "attrib":
      if (resp3) {
        r.raw(Buffer.from("|1\r\n"));
        r.bulkString("key-popularity");
        r.arrayHeader(2);
        r.bulkString("key:123");
        r.integer(90);
      }
      r.bulkString("Some real reply following the attribute");
      return;
    case "push":
      if (!resp3) {
        r.error("ERR RESP2 is not supported by this command");
        return;
      }
      r.pushHeader(2);
      r.bulkString("server-cpu-usage");
      r.integer(42);
      r.bulkString("Some real reply following the push reply");
      return;
    case "verbatim":
      r.verbatim("This is a verbatim\nstring");
      return;
    case "true":
    case "false":
      r.boolean(name === "true");
      return;
    default:
      r.error(
        "ERR Wrong protocol type name. Please use one of the following: string|integer|double|bignum|null|array|set|map|attrib|push|verbatim|true|false",
      );
  }
}

function debug(c: Client, a: Args): void {
  if (argIs(a, 1, "help") && a.argc === 2) {
    replyHelpLines(c, "DEBUG", DEBUG_HELP);
  } else if (argIs(a, 1, "sleep") && a.argc === 3) {
    const seconds = Number.parseFloat(argString(a, 2));
    const ms = Number.isFinite(seconds) && seconds > 0 ? seconds * 1000 : 0;
    if (ms === 0) c.reply.ok();
    else if (c.denyBlocking) {
      sleepSync(ms);
      c.reply.ok();
    } else holdClient(c, ms, (t) => t.reply.ok());
  } else if (argIs(a, 1, "set-active-expire") && a.argc === 3) {
    c.server.activeExpireEnabled = atoi(argString(a, 2)) !== 0;
    c.reply.ok();
  } else if (argIs(a, 1, "object") && a.argc === 3) {
    debugObject(c, a);
  } else if (argIs(a, 1, "protocol") && a.argc === 3) {
    debugProtocol(c, a);
  } else if (argIs(a, 1, "change-repl-id") && a.argc === 2) {
    serverExtras(c.server).replId = Array.from({ length: 40 }, () => "0123456789abcdef"[(Math.random() * 16) | 0]).join(
      "",
    );
    c.reply.ok();
  } else {
    subcommandSyntaxError(c, a);
  }
}

// ---- scripting and functions (not supported yet) ----

function functionFlush(c: Client, a: Args): void {
  if (a.argc > 3) {
    subcommandSyntaxError(c, a);
    return;
  }
  if (a.argc === 2 || argIs(a, 2, "sync") || argIs(a, 2, "async")) c.reply.ok();
  else c.reply.error("ERR FUNCTION FLUSH only supports SYNC|ASYNC option");
}

const noFunctions = (c: Client) => c.reply.error(ERR_FUNCTIONS);
const FN_CATS = ["slow", "scripting"];
const functionSpec = container("function", -2, [
  command("function|flush", -2, ["write", "noscript"], NO_KEYS, functionFlush, ["write", ...FN_CATS]),
  command("function|load", -3, ["write", "denyoom", "noscript"], NO_KEYS, noFunctions, ["write", ...FN_CATS]),
  command("function|delete", 3, ["write", "noscript"], NO_KEYS, noFunctions, ["write", ...FN_CATS]),
  command("function|restore", -3, ["write", "denyoom", "noscript"], NO_KEYS, noFunctions, ["write", ...FN_CATS]),
  command("function|dump", 2, ["noscript"], NO_KEYS, noFunctions, FN_CATS),
  command("function|list", -2, ["noscript"], NO_KEYS, noFunctions, FN_CATS),
  command("function|kill", 2, ["noscript", "allow_busy"], NO_KEYS, noFunctions, FN_CATS),
  command("function|stats", 2, ["noscript", "allow_busy"], NO_KEYS, noFunctions, FN_CATS),
  command("function|help", 2, ["loading", "stale"], NO_KEYS, noFunctions, FN_CATS),
]);

const noScripting = (c: Client) => c.reply.error(ERR_SCRIPTING);
const EVAL_FLAGS: CommandFlag[] = ["noscript", "stale", "skip_monitor", "movablekeys"];

const SCRIPT_CATS = ["slow", "scripting"];
const scriptSpec = container("script", -2, [
  command("script|exists", -3, ["noscript"], NO_KEYS, noScripting, SCRIPT_CATS),
  command("script|load", 3, ["noscript", "stale"], NO_KEYS, noScripting, SCRIPT_CATS),
  command("script|flush", -2, ["noscript"], NO_KEYS, noScripting, SCRIPT_CATS),
  command("script|kill", 2, ["noscript", "allow_busy"], NO_KEYS, noScripting, SCRIPT_CATS),
  command("script|debug", 3, ["noscript"], NO_KEYS, noScripting, SCRIPT_CATS),
  command("script|help", 2, ["loading", "stale"], NO_KEYS, noScripting, SCRIPT_CATS),
]);

// ---- SLOWLOG, LATENCY ----

function slowlogGet(c: Client, a: Args): void {
  if (a.argc > 3) {
    subcommandSyntaxError(c, a);
    return;
  }
  if (a.argc === 3) {
    const n = argInt(a, 2);
    if (n === null || n < -1) {
      c.reply.error("ERR count should be greater than or equal to -1");
      return;
    }
  }
  c.reply.arrayHeader(0);
}

const SLOWLOG_HELP = [
  "GET [<count>]",
  "    Return top <count> entries from the slowlog (default: 10, -1 mean all).",
  "    Entries are made of:",
  "    id, timestamp, time in microseconds, arguments array, client IP and port,",
  "    client name",
  "LEN",
  "    Return the length of the slowlog.",
  "RESET",
  "    Reset the slowlog.",
];

const LOG_SUB: CommandFlag[] = ["admin", "loading", "stale"];
const slowlogSpec = container("slowlog", -2, [
  command("slowlog|get", -2, LOG_SUB, NO_KEYS, slowlogGet, ADMIN_CATS),
  command("slowlog|len", 2, LOG_SUB, NO_KEYS, (c) => c.reply.integer(0), ADMIN_CATS),
  command("slowlog|reset", 2, LOG_SUB, NO_KEYS, (c) => c.reply.ok(), ADMIN_CATS),
  command("slowlog|help", 2, ["loading", "stale"], NO_KEYS, (c) => replyHelpLines(c, "SLOWLOG", SLOWLOG_HELP), [
    "slow",
  ]),
]);

const LATENCY_DOCTOR =
  "I'm sorry, Dave, I can't do that. Latency monitoring is disabled in this Redis instance. You may use \"CONFIG SET latency-monitor-threshold <milliseconds>.\" in order to enable it. If we weren't in a deep space mission I'd suggest to take a look at https://redis.io/topics/latency-monitor.\n";

const LATENCY_HELP = [
  "DOCTOR",
  "    Return a human readable latency analysis report.",
  "GRAPH <event>",
  "    Return an ASCII latency graph for the <event> class.",
  "HISTORY <event>",
  "    Return time-latency samples for the <event> class.",
  "LATEST",
  "    Return the latest latency samples for all events.",
  "RESET [<event> ...]",
  "    Reset latency data of one or more <event> classes.",
  "    (default: reset all data for all event classes)",
  "HISTOGRAM [COMMAND ...]",
  "    Return a cumulative distribution of latencies in the format of a histogram for the specified command names.",
  "    If no commands are specified then all histograms are replied.",
];

const latencySpec = container("latency", -2, [
  command("latency|latest", 2, ADMIN_SUB, NO_KEYS, (c) => c.reply.arrayHeader(0), ADMIN_CATS),
  command("latency|doctor", 2, ADMIN_SUB, NO_KEYS, (c) => c.reply.verbatim(LATENCY_DOCTOR), ADMIN_CATS),
  command("latency|reset", -2, ADMIN_SUB, NO_KEYS, (c) => c.reply.integer(0), ADMIN_CATS),
  command("latency|history", 3, ADMIN_SUB, NO_KEYS, (c) => c.reply.arrayHeader(0), ADMIN_CATS),
  command(
    "latency|graph",
    3,
    ADMIN_SUB,
    NO_KEYS,
    (c, a) => c.reply.error(`ERR No samples available for event '${argText(a, 2)}'`),
    ADMIN_CATS,
  ),
  command("latency|histogram", -2, ADMIN_SUB, NO_KEYS, (c) => c.reply.mapHeader(0), ADMIN_CATS),
  command("latency|help", 2, ["loading", "stale"], NO_KEYS, (c) => replyHelpLines(c, "LATENCY", LATENCY_HELP), [
    "slow",
  ]),
]);

// ---- replication stand-ins: ROLE, WAIT ----

function role(c: Client): void {
  c.reply.arrayHeader(3);
  c.reply.bulkString("master");
  c.reply.integer(0);
  c.reply.arrayHeader(0);
}

function wait(c: Client, a: Args): void {
  const replicas = argInt(a, 1);
  if (replicas === null) {
    c.reply.error(ERR_NOT_INT);
    return;
  }
  const timeout = argInt(a, 2);
  if (timeout === null) {
    c.reply.error("ERR timeout is not an integer or out of range");
    return;
  }
  if (timeout < 0) {
    c.reply.error("ERR timeout is negative");
    return;
  }
  // There are no replicas: 0 acknowledged, at once when that is enough, else after the timeout
  // (never, for timeout 0), as a Redis master without replicas answers.
  if (replicas <= 0 || c.denyBlocking) {
    c.reply.integer(0);
    return;
  }
  holdClient(c, timeout, (t) => t.reply.integer(0));
}

export const commands: CommandSpec[] = [
  command("info", -1, ["loading", "stale"], NO_KEYS, info, ["slow", "dangerous"]),
  configSpec,
  clientSpec,
  commandSpec,
  command("dbsize", 1, ["readonly", "fast"], NO_KEYS, (c) => c.reply.integer(c.db.size), ["keyspace", "read", "fast"]),
  command("flushdb", -1, ["write"], NO_KEYS, flushdb, ["keyspace", "write", "slow", "dangerous"]),
  command("flushall", -1, ["write"], NO_KEYS, flushall, ["keyspace", "write", "slow", "dangerous"]),
  command("swapdb", 3, ["write", "fast"], NO_KEYS, swapdb, ["keyspace", "write", "fast", "dangerous"]),
  command("time", 1, ["loading", "stale", "fast"], NO_KEYS, time, ["fast"]),
  command("lastsave", 1, ["loading", "stale", "fast"], NO_KEYS, (c) => c.reply.integer(lastSaveTime(c.server)), [
    "admin",
    "fast",
    "dangerous",
  ]),
  command("save", 1, ["admin", "noscript", "no_multi"], NO_KEYS, save, ADMIN_CATS),
  command("bgsave", -1, ["admin", "noscript"], NO_KEYS, bgsave, ADMIN_CATS),
  command(
    "shutdown",
    -1,
    ["admin", "noscript", "loading", "stale", "no_multi", "allow_busy"],
    NO_KEYS,
    shutdown,
    ADMIN_CATS,
  ),
  command("debug", -2, ["admin", "noscript", "loading", "stale"], NO_KEYS, debug, ADMIN_CATS),
  functionSpec,
  command("eval", -3, EVAL_FLAGS, NO_KEYS, noScripting, ["slow", "scripting"]),
  command("evalsha", -3, EVAL_FLAGS, NO_KEYS, noScripting, ["slow", "scripting"]),
  command("eval_ro", -3, [...EVAL_FLAGS, "readonly"], NO_KEYS, noScripting, ["slow", "scripting"]),
  command("evalsha_ro", -3, [...EVAL_FLAGS, "readonly"], NO_KEYS, noScripting, ["slow", "scripting"]),
  command("fcall", -3, EVAL_FLAGS, NO_KEYS, noFunctions, ["slow", "scripting"]),
  command("fcall_ro", -3, [...EVAL_FLAGS, "readonly"], NO_KEYS, noFunctions, ["slow", "scripting"]),
  scriptSpec,
  slowlogSpec,
  latencySpec,
  command("role", 1, ["noscript", "loading", "stale", "fast"], NO_KEYS, role, ["admin", "fast", "dangerous"]),
  command("readonly", 1, ["loading", "stale", "fast"], NO_KEYS, (c) => c.reply.error(ERR_NO_CLUSTER), [
    "fast",
    "connection",
  ]),
  command("readwrite", 1, ["loading", "stale", "fast"], NO_KEYS, (c) => c.reply.error(ERR_NO_CLUSTER), [
    "fast",
    "connection",
  ]),
  command("wait", 3, ["noscript"], NO_KEYS, wait, ["slow", "connection"]),
];
