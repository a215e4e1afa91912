// String commands. GET and SET are the hot path: they read arguments straight from the input
// buffer and copy value bytes between it, the slab and the reply buffer without any per-command
// object.

import { T_STRING } from "../../../cache/entry.js";
import type { Client } from "../client.js";
import {
  type Args,
  argInt,
  argIs,
  type CommandSpec,
  command,
  ERR_NOT_INT,
  ERR_SYNTAX,
  ERR_WRONGTYPE,
  KEY1,
} from "../command.js";

/** Writes the string value of key argument `i` as a bulk reply (nil when absent); false on WRONGTYPE. */
export function replyStringValue(c: Client, a: Args, i: number): boolean {
  const db = c.db;
  const h = db.lookupRead(a.argBuf, a.starts[i], a.ends[i], !c.noTouch);
  if (h === 0) {
    c.reply.nullBulk();
    return true;
  }
  if (db.type(h) !== T_STRING) {
    c.reply.error(ERR_WRONGTYPE);
    return false;
  }
  db.decode(h);
  c.reply.bulk(db.vbuf, db.vstart, db.vend);
  return true;
}

function get(c: Client, a: Args): void {
  replyStringValue(c, a, 1);
}

const NX = 1;
const XX = 2;
const GET = 4;
const KEEPTTL = 8;
const EXPIRE = 16;

/**
 * Parses SET-style options from argument `from`: NX|XX, GET, EX|PX|EXAT|PXAT|KEEPTTL. Returns the
 * flags and sets c.server's scratch expiry (absolute ms) — or writes the error and returns -1.
 */
function parseSetOptions(c: Client, a: Args, from: number, cmd: string): number {
  let flags = 0;
  for (let i = from; i < a.argc; i++) {
    const last = i === a.argc - 1;
    if (argIs(a, i, "nx") && (flags & XX) === 0) flags |= NX;
    else if (argIs(a, i, "xx") && (flags & NX) === 0) flags |= XX;
    else if (argIs(a, i, "get")) flags |= GET;
    else if (argIs(a, i, "keepttl") && (flags & EXPIRE) === 0) flags |= KEEPTTL;
    else if (!last && (flags & (EXPIRE | KEEPTTL)) === 0) {
      let unit = 0;
      let absolute = false;
      if (argIs(a, i, "ex")) unit = 1000;
      else if (argIs(a, i, "px")) unit = 1;
      else if (argIs(a, i, "exat")) {
        unit = 1000;
        absolute = true;
      } else if (argIs(a, i, "pxat")) {
        unit = 1;
        absolute = true;
      } else {
        c.reply.error(ERR_SYNTAX);
        return -1;
      }
      const n = argInt(a, ++i);
      if (n === null) {
        c.reply.error(ERR_NOT_INT);
        return -1;
      }
      const at = absolute ? n * unit : c.server.store.now + n * unit;
      if (n <= 0 || !Number.isSafeInteger(n * unit) || !Number.isSafeInteger(at)) {
        c.reply.error(`ERR invalid expire time in '${cmd}' command`);
        return -1;
      }
      setExpireAt = at;
      flags |= EXPIRE;
    } else {
      c.reply.error(ERR_SYNTAX);
      return -1;
    }
  }
  return flags;
}

let setExpireAt = 0;

function set(c: Client, a: Args): void {
  const flags = a.argc === 3 ? 0 : parseSetOptions(c, a, 3, "set");
  if (flags < 0) return;
  const db = c.db;
  const kb = a.argBuf;
  const ks = a.starts[1];
  const ke = a.ends[1];
  if (flags !== 0) {
    const h = db.lookup(kb, ks, ke, false);
    if ((flags & GET) !== 0) {
      if (h !== 0 && db.type(h) !== T_STRING) {
        c.reply.error(ERR_WRONGTYPE);
        return;
      }
      if (h === 0) c.reply.nullBulk();
      else {
        db.decode(h);
        c.reply.bulk(db.vbuf, db.vstart, db.vend);
      }
    }
    if (((flags & NX) !== 0 && h !== 0) || ((flags & XX) !== 0 && h === 0)) {
      if ((flags & GET) === 0) c.reply.nullBulk();
      return;
    }
  }
  db.setString(
    kb,
    ks,
    ke,
    kb,
    a.starts[2],
    a.ends[2],
    (flags & EXPIRE) !== 0 ? setExpireAt : 0,
    (flags & KEEPTTL) !== 0,
  );
  if ((flags & GET) === 0) c.reply.ok();
}

export const commands: CommandSpec[] = [
  command("get", 2, ["readonly", "fast"], KEY1, get, ["read", "string", "fast"]),
  command("set", -3, ["write", "denyoom"], KEY1, set, ["write", "string", "slow"]),
];
