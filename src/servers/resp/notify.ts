// Keyspace notifications (notify-keyspace-events), as Redis 7.0's notify.c: the event classes and
// their letters, and the publishing of `__keyspace@<db>__:<key>` (message: the event) and
// `__keyevent@<db>__:<event>` (message: the key) through pub/sub.
//
// Command families call notify() where Redis calls notifyKeyspaceEvent, so the order of events,
// and where a RESP3 client's own pushes fall among its replies, follow from where the call sits.
// The store reports the keys it removes by itself (expired, evicted) through its onKeyEvent hook.
// Off is the default and costs one integer test per call: CacheConfig.notifyFlags is 0 unless the
// setting names a class and K or E, so nothing else runs and nothing is allocated.

import type { Client } from "./client.js";
import { publishMessage } from "./commands/pubsub.js";
import type { CacheServer } from "./server.js";

export const NOTIFY_KEYSPACE = 1 << 0; // K
export const NOTIFY_KEYEVENT = 1 << 1; // E
export const NOTIFY_GENERIC = 1 << 2; // g
export const NOTIFY_STRING = 1 << 3; // $
export const NOTIFY_LIST = 1 << 4; // l
export const NOTIFY_SET = 1 << 5; // s
export const NOTIFY_HASH = 1 << 6; // h
export const NOTIFY_ZSET = 1 << 7; // z
export const NOTIFY_EXPIRED = 1 << 8; // x
export const NOTIFY_EVICTED = 1 << 9; // e
export const NOTIFY_STREAM = 1 << 10; // t
export const NOTIFY_KEY_MISS = 1 << 11; // m
export const NOTIFY_MODULE = 1 << 13; // d
export const NOTIFY_NEW = 1 << 14; // n
/** A: every class but m and n, as in Redis. */
const NOTIFY_ALL =
  NOTIFY_GENERIC |
  NOTIFY_STRING |
  NOTIFY_LIST |
  NOTIFY_SET |
  NOTIFY_HASH |
  NOTIFY_ZSET |
  NOTIFY_EXPIRED |
  NOTIFY_EVICTED |
  NOTIFY_STREAM |
  NOTIFY_MODULE;

const LETTERS: Record<string, number> = {
  A: NOTIFY_ALL,
  g: NOTIFY_GENERIC,
  $: NOTIFY_STRING,
  l: NOTIFY_LIST,
  s: NOTIFY_SET,
  h: NOTIFY_HASH,
  z: NOTIFY_ZSET,
  x: NOTIFY_EXPIRED,
  e: NOTIFY_EVICTED,
  K: NOTIFY_KEYSPACE,
  E: NOTIFY_KEYEVENT,
  t: NOTIFY_STREAM,
  m: NOTIFY_KEY_MISS,
  d: NOTIFY_MODULE,
  n: NOTIFY_NEW,
};

/** CONFIG SET's reason for a letter that names no class. */
export const ERR_NOTIFY_CLASS = "Invalid event class character. Use 'Ag$lshzxeKEtmdn'.";

/** The flags a notify-keyspace-events value names, or -1 when a letter is unknown (the value ends at a NUL, as in C). */
export function parseNotifyFlags(value: string): number {
  let flags = 0;
  for (const ch of value) {
    if (ch === "\0") break;
    const f = LETTERS[ch];
    if (f === undefined) return -1;
    flags |= f;
  }
  return flags;
}

/** The value as CONFIG GET prints it (Redis's keyspaceEventsFlagsToString; "A" hides n). */
export function formatNotifyFlags(flags: number): string {
  let s = "";
  if ((flags & NOTIFY_ALL) === NOTIFY_ALL) s += "A";
  else {
    if (flags & NOTIFY_GENERIC) s += "g";
    if (flags & NOTIFY_STRING) s += "$";
    if (flags & NOTIFY_LIST) s += "l";
    if (flags & NOTIFY_SET) s += "s";
    if (flags & NOTIFY_HASH) s += "h";
    if (flags & NOTIFY_ZSET) s += "z";
    if (flags & NOTIFY_EXPIRED) s += "x";
    if (flags & NOTIFY_EVICTED) s += "e";
    if (flags & NOTIFY_STREAM) s += "t";
    if (flags & NOTIFY_MODULE) s += "d";
    if (flags & NOTIFY_NEW) s += "n";
  }
  if (flags & NOTIFY_KEYSPACE) s += "K";
  if (flags & NOTIFY_KEYEVENT) s += "E";
  if (flags & NOTIFY_KEY_MISS) s += "m";
  return s;
}

/** The flags that can publish anything: none unless K or E is among them. */
export function activeNotifyFlags(flags: number): number {
  return (flags & (NOTIFY_KEYSPACE | NOTIFY_KEYEVENT)) === 0 ? 0 : flags;
}

/**
 * Fires `event` of class `type` for the key bytes buf[start, end) of the client's database (or
 * of database `db`: MOVE, COPY ... DB), when that class is on.
 */
export function notify(
  c: Client,
  type: number,
  event: string,
  buf: Uint8Array,
  start: number,
  end: number,
  db = c.dbIndex,
): void {
  if ((c.server.config.notifyFlags & type) !== 0) publishKeyEvent(c.server, c, event, db, buf, start, end);
}

/** Whether "new" events are on: the writes that may create a key then look first (Redis's dbAdd fires it). */
export function notifyingNew(c: Client): boolean {
  return (c.server.config.notifyFlags & NOTIFY_NEW) !== 0;
}

/** Fires "keymiss" for a read that found no key (Redis's lookupKeyRead misses). */
export function notifyMiss(c: Client, buf: Uint8Array, start: number, end: number): void {
  if ((c.server.config.notifyFlags & NOTIFY_KEY_MISS) !== 0)
    publishKeyEvent(c.server, c, "keymiss", c.dbIndex, buf, start, end);
}

/** Installs the store's hook for the keys it removes by itself: "expired" and "evicted". */
export function installStoreEvents(server: CacheServer): void {
  server.store.onKeyEvent = (db, event, key) => {
    const type = event === "expired" ? NOTIFY_EXPIRED : NOTIFY_EVICTED;
    if ((server.config.notifyFlags & type) !== 0) publishKeyEvent(server, null, event, db, key, 0, key.length);
  };
}

// ---- publishing ----

const eventNames = new Map<string, Buffer>();
let channel: Buffer = Buffer.allocUnsafe(256);
const CHANNEL_KEEP = 1 << 16;

function eventBytes(event: string): Buffer {
  let b = eventNames.get(event);
  if (b === undefined) {
    b = Buffer.from(event, "latin1");
    eventNames.set(event, b);
  }
  return b;
}

/** Writes prefix, the db number, "__:" and buf[start, end) into `channel`; returns the length. */
function channelName(prefix: string, db: number, buf: Uint8Array, start: number, end: number): number {
  const head = `${prefix}${db}__:`;
  const n = head.length + (end - start);
  if (n > channel.length) channel = Buffer.allocUnsafe(Math.max(n, channel.length * 2));
  channel.write(head, 0, "latin1");
  channel.set(buf.subarray(start, end), head.length);
  return n;
}

/** Redis's notifyKeyspaceEvent after its class check. `from` is the client running (null: the store). */
function publishKeyEvent(
  server: CacheServer,
  from: Client | null,
  event: string,
  db: number,
  key: Uint8Array,
  start: number,
  end: number,
): void {
  if (server.channels.size === 0 && server.patterns.size === 0) return;
  const flags = server.config.notifyFlags;
  const ev = eventBytes(event);
  if ((flags & NOTIFY_KEYSPACE) !== 0) {
    const n = channelName("__keyspace@", db, key, start, end);
    publishMessage(server, from, channel, 0, n, ev, 0, ev.length);
  }
  if ((flags & NOTIFY_KEYEVENT) !== 0) {
    const n = channelName("__keyevent@", db, ev, 0, ev.length);
    publishMessage(server, from, channel, 0, n, key, start, end);
  }
  if (channel.length > CHANNEL_KEEP) channel = Buffer.allocUnsafe(256);
}
