// Connection commands: PING, ECHO, QUIT, RESET, HELLO, AUTH, SELECT.

import type { Client } from "../client.js";
import {
  type Args,
  argInt,
  argIs,
  argString,
  argText,
  type CommandSpec,
  command,
  ERR_DB_INDEX,
  ERR_NOT_INT,
  ERR_SYNTAX,
  NO_KEYS,
} from "../command.js";

/** The Redis version this server answers to (the command set and replies follow Redis 7.0). */
export const REDIS_VERSION = "7.0.15";

const WRONGPASS = "WRONGPASS invalid username-password pair or user is disabled.";

function ping(c: Client, a: Args): void {
  if (a.argc > 2) {
    c.reply.error("ERR wrong number of arguments for 'ping' command");
    return;
  }
  if (c.inPubSub && c.reply.proto === 2) {
    c.reply.arrayHeader(2);
    c.reply.bulkString("pong");
    if (a.argc === 2) c.reply.bulk(a.argBuf, a.starts[1], a.ends[1]);
    else c.reply.bulkString("");
    return;
  }
  if (a.argc === 2) c.reply.bulk(a.argBuf, a.starts[1], a.ends[1]);
  else c.reply.simple("PONG");
}

/** Checks a password for the default user; writes the error and returns false when wrong. */
function checkPassword(c: Client, user: string, pass: string): boolean {
  const required = c.server.config.requirepass;
  if (user !== "default" || (required !== "" && pass !== required)) {
    c.reply.error(WRONGPASS);
    return false;
  }
  c.authenticated = true;
  c.parser.unauthenticated = false;
  return true;
}

function auth(c: Client, a: Args): void {
  if (a.argc > 3) {
    c.reply.error(ERR_SYNTAX);
    return;
  }
  if (a.argc === 2 && c.server.config.requirepass === "") {
    c.reply.error(
      "ERR AUTH <password> called without any password configured for the default user. Are you sure your configuration is correct?",
    );
    return;
  }
  const user = a.argc === 3 ? argString(a, 1) : "default";
  const pass = argString(a, a.argc - 1);
  if (checkPassword(c, user, pass)) c.reply.ok();
}

function hello(c: Client, a: Args): void {
  let proto = c.reply.proto;
  let i = 1;
  if (a.argc >= 2) {
    const v = argInt(a, 1);
    if (v === null) {
      c.reply.error("ERR Protocol version is not an integer or out of range");
      return;
    }
    if (v !== 2 && v !== 3) {
      c.reply.error("NOPROTO unsupported protocol version");
      return;
    }
    proto = v;
    i = 2;
  }
  let name: string | null = null;
  for (; i < a.argc; i++) {
    const more = a.argc - i - 1;
    if (argIs(a, i, "auth") && more >= 2) {
      if (!checkPassword(c, argString(a, i + 1), argString(a, i + 2))) return;
      i += 2;
    } else if (argIs(a, i, "setname") && more >= 1) {
      name = argText(a, i + 1);
      if (/[\s]/.test(name)) {
        c.reply.error("ERR Client names cannot contain spaces, newlines or special characters.");
        return;
      }
      i += 1;
    } else {
      c.reply.error(`ERR Syntax error in HELLO option '${argText(a, i)}'`);
      return;
    }
  }
  if (!c.authenticated) {
    c.reply.error(
      "NOAUTH HELLO must be called with the client already authenticated, otherwise the HELLO <proto> AUTH <user> <pass> option can be used to authenticate the client and select the RESP protocol version at the same time",
    );
    return;
  }
  if (name !== null) c.name = name;
  c.reply.proto = proto;
  const r = c.reply;
  r.mapHeader(7);
  r.bulkString("server");
  r.bulkString("redis");
  r.bulkString("version");
  r.bulkString(REDIS_VERSION);
  r.bulkString("proto");
  r.integer(proto);
  r.bulkString("id");
  r.integer(c.id);
  r.bulkString("mode");
  r.bulkString("standalone");
  r.bulkString("role");
  r.bulkString("master");
  r.bulkString("modules");
  r.arrayHeader(0);
}

function select(c: Client, a: Args): void {
  const n = argInt(a, 1);
  if (n === null) {
    c.reply.error(ERR_NOT_INT);
    return;
  }
  if (n < 0 || n >= c.server.store.dbs.length) {
    c.reply.error(ERR_DB_INDEX);
    return;
  }
  c.select(n);
  c.reply.ok();
}

function quit(c: Client): void {
  c.reply.ok();
  c.closing = true;
}

function reset(c: Client): void {
  const s = c.server;
  c.multi = null;
  c.multiError = false;
  s.unwatchAll(c);
  s.unblock(c);
  for (const ch of c.channels) s.unsubscribe(s.channels, ch, c);
  for (const p of c.patterns) s.unsubscribe(s.patterns, p, c);
  c.channels.clear();
  c.patterns.clear();
  c.select(0);
  c.reply.proto = 2;
  c.name = "";
  c.noEvict = false;
  c.noTouch = false;
  c.authenticated = s.config.requirepass === "";
  c.parser.unauthenticated = !c.authenticated;
  c.reply.simple("RESET");
}

export const commands: CommandSpec[] = [
  command("ping", -1, ["fast"], NO_KEYS, ping, ["connection"]),
  command("echo", 2, ["fast"], NO_KEYS, (c, a) => c.reply.bulk(a.argBuf, a.starts[1], a.ends[1]), ["connection"]),
  command("quit", -1, ["no_auth", "fast", "allow_busy"], NO_KEYS, quit, ["connection"]),
  command("reset", 1, ["no_auth", "fast", "allow_busy"], NO_KEYS, reset, ["connection"]),
  command("hello", -1, ["no_auth", "fast", "allow_busy"], NO_KEYS, hello, ["connection"]),
  command("auth", -2, ["no_auth", "fast", "allow_busy"], NO_KEYS, auth, ["connection"]),
  command("select", 2, ["loading", "stale", "fast"], NO_KEYS, select, ["connection"]),
];
