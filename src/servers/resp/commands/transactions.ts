// Transactions: MULTI, EXEC, DISCARD, WATCH, UNWATCH.
//
// Queueing happens in CacheServer.execute (commands are checked as they are queued; a rejected
// one makes EXEC answer EXECABORT). EXEC runs the queue through CacheServer.call, as Redis's
// execCommand calls call() directly. A watched key that was changed, expired, or flushed away
// (FLUSHDB, FLUSHALL, SWAPDB, through CacheServer.touchAllWatched) makes EXEC reply a null array,
// as in Redis 6.0.9 and later.

import type { Client } from "../client.js";
import { type Args, argString, type CommandSpec, command, NO_KEYS } from "../command.js";

const FLAGS_TX = ["noscript", "loading", "stale", "fast", "allow_busy"] as const;

function multi(c: Client): void {
  if (c.multi !== null) {
    c.reply.error("ERR MULTI calls can not be nested");
    return;
  }
  c.multi = [];
  c.multiError = false;
  c.reply.ok();
}

/** Ends the transaction and forgets the watched keys (Redis's discardTransaction). */
export function discardTransaction(c: Client): void {
  c.multi = null;
  c.multiError = false;
  c.server.unwatchAll(c);
}

/** Expires watched keys whose time has passed, which marks the client dirty (Redis's isWatchedKeyExpired). */
function expireWatched(c: Client): void {
  const dbs = c.server.store.dbs;
  for (const w of [...c.watched]) {
    if (c.dirtyCas) return;
    const k = Buffer.from(w.key, "latin1");
    dbs[w.db].lookup(k, 0, k.length, false);
  }
}

function exec(c: Client): void {
  const queue = c.multi;
  if (queue === null) {
    c.reply.error("ERR EXEC without MULTI");
    return;
  }
  if (c.watched.length > 0 && !c.dirtyCas) expireWatched(c);
  if (c.multiError) {
    discardTransaction(c);
    c.reply.error("EXECABORT Transaction discarded because of previous errors.");
    return;
  }
  if (c.dirtyCas) {
    discardTransaction(c);
    c.reply.nullArray();
    return;
  }
  // Unwatch first: the transaction's own writes must not touch its watches.
  discardTransaction(c);
  const server = c.server;
  c.reply.arrayHeader(queue.length);
  c.denyBlocking = true;
  try {
    for (const q of queue) server.call(c, q.spec, q);
  } finally {
    c.denyBlocking = false;
  }
}

function discard(c: Client): void {
  if (c.multi === null) {
    c.reply.error("ERR DISCARD without MULTI");
    return;
  }
  discardTransaction(c);
  c.reply.ok();
}

function watch(c: Client, a: Args): void {
  if (c.multi !== null) {
    c.reply.error("ERR WATCH inside MULTI is not allowed");
    return;
  }
  // Watching is pointless once a watched key changed: EXEC fails anyway.
  if (!c.dirtyCas) {
    const db = c.db;
    for (let i = 1; i < a.argc; i++) {
      // A key already past its time is expired now, before the watch starts, so its deletion is
      // not a change (Redis remembers such keys as expired-at-WATCH instead).
      db.lookup(a.argBuf, a.starts[i], a.ends[i], false);
      c.server.watchKey(c, c.dbIndex, argString(a, i));
    }
  }
  c.reply.ok();
}

function unwatch(c: Client): void {
  c.server.unwatchAll(c);
  c.reply.ok();
}

export const commands: CommandSpec[] = [
  command("multi", 1, [...FLAGS_TX], NO_KEYS, multi, ["fast", "transaction"]),
  command("exec", 1, ["noscript", "loading", "stale"], NO_KEYS, exec, ["slow", "transaction"]),
  command("discard", 1, [...FLAGS_TX], NO_KEYS, discard, ["fast", "transaction"]),
  command("watch", -2, [...FLAGS_TX], [1, -1, 1], watch, ["fast", "transaction"]),
  command("unwatch", 1, [...FLAGS_TX], NO_KEYS, unwatch, ["fast", "transaction"]),
];
