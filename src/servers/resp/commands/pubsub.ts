// Pub/Sub: SUBSCRIBE, UNSUBSCRIBE, PSUBSCRIBE, PUNSUBSCRIBE, PUBLISH, PUBSUB CHANNELS/NUMSUB/NUMPAT/HELP.
//
// Subscriptions live in CacheServer.channels / .patterns (name -> clients) and Client.channels /
// .patterns. Replies and messages are RESP2 arrays or RESP3 push frames, one per channel, as
// Redis sends them. A message for another client is written into that client's reply buffer and
// flushed after the batch (CacheServer.markDirty). A subscriber that stops reading is
// disconnected once its unsent output passes Redis's pubsub hard limit (32 MB), so a slow
// consumer cannot grow the server's memory without bound.

import { globMatchBytes, globMatchString } from "../../../cache/glob.js";
import { latin1 } from "../../../format/latin1.js";
import type { Client } from "../client.js";
import { type Args, argString, type CommandSpec, command, NO_KEYS } from "../command.js";
import type { CacheServer } from "../server.js";
import { container, replyHelpLines, subcommandSyntaxError } from "./admin.js";

/** client-output-buffer-limit pubsub's hard limit in Redis's default configuration. */
const PUBSUB_OUTPUT_LIMIT = 32 * 1024 * 1024;

const SUB_FLAGS = ["pubsub", "noscript", "loading", "stale"] as const;

function subscribe(c: Client, a: Args): void {
  const s = c.server;
  for (let i = 1; i < a.argc; i++) {
    const ch = argString(a, i);
    if (!c.channels.has(ch)) {
      c.channels.add(ch);
      s.subscribe(s.channels, ch, c);
    }
    replySubscription(c, "subscribe", a, i);
  }
}

function psubscribe(c: Client, a: Args): void {
  const s = c.server;
  for (let i = 1; i < a.argc; i++) {
    const p = argString(a, i);
    if (!c.patterns.has(p)) {
      c.patterns.add(p);
      s.subscribe(s.patterns, p, c);
    }
    replySubscription(c, "psubscribe", a, i);
  }
}

function unsubscribe(c: Client, a: Args): void {
  unsubscribeGeneric(c, a, false);
}

function punsubscribe(c: Client, a: Args): void {
  unsubscribeGeneric(c, a, true);
}

function unsubscribeGeneric(c: Client, a: Args, pattern: boolean): void {
  const s = c.server;
  const mine = pattern ? c.patterns : c.channels;
  const map = pattern ? s.patterns : s.channels;
  const kind = pattern ? "punsubscribe" : "unsubscribe";
  if (a.argc === 1) {
    if (mine.size === 0) {
      c.reply.pushHeader(3);
      c.reply.bulkString(kind);
      c.reply.nullBulk();
      c.reply.integer(c.subscriptions);
      return;
    }
    for (const name of [...mine]) {
      mine.delete(name);
      s.unsubscribe(map, name, c);
      c.reply.pushHeader(3);
      c.reply.bulkString(kind);
      c.reply.bulkString(name);
      c.reply.integer(c.subscriptions);
    }
    return;
  }
  for (let i = 1; i < a.argc; i++) {
    const name = argString(a, i);
    if (mine.delete(name)) s.unsubscribe(map, name, c);
    replySubscription(c, kind, a, i);
  }
}

function replySubscription(c: Client, kind: string, a: Args, i: number): void {
  c.reply.pushHeader(3);
  c.reply.bulkString(kind);
  c.reply.bulk(a.argBuf, a.starts[i], a.ends[i]);
  c.reply.integer(c.subscriptions);
}

/** Pattern bytes by pattern, so PUBLISH does not convert each pattern on every message. */
const patternBytes = new Map<string, Buffer>();

/**
 * Sends the message msg[msgStart, msgEnd) on the channel ch[chStart, chEnd) to every subscriber of
 * the channel and of every matching pattern; returns the receivers. `from` is the client running
 * the command (its replies go out when it finishes), or null when the server itself publishes
 * (keys expired or evicted by the store).
 */
export function publishMessage(
  s: CacheServer,
  from: Client | null,
  ch: Uint8Array,
  chStart: number,
  chEnd: number,
  msg: Uint8Array,
  msgStart: number,
  msgEnd: number,
): number {
  let receivers = 0;
  if (s.channels.size > 0) {
    const subs = s.channels.get(latin1(ch, chStart, chEnd));
    if (subs !== undefined) {
      for (const t of subs) {
        const r = t.reply;
        r.pushHeader(3);
        r.bulkString("message");
        r.bulk(ch, chStart, chEnd);
        r.bulk(msg, msgStart, msgEnd);
        delivered(from, t);
        receivers++;
      }
    }
  }
  if (s.patterns.size > 0) {
    if (patternBytes.size > 2 * s.patterns.size + 64) patternBytes.clear();
    for (const [p, subs] of s.patterns) {
      let pb = patternBytes.get(p);
      if (pb === undefined) {
        pb = Buffer.from(p, "latin1");
        patternBytes.set(p, pb);
      }
      if (!globMatchBytes(pb, 0, pb.length, ch, chStart, chEnd)) continue;
      for (const t of subs) {
        const r = t.reply;
        r.pushHeader(4);
        r.bulkString("pmessage");
        r.bulk(pb);
        r.bulk(ch, chStart, chEnd);
        r.bulk(msg, msgStart, msgEnd);
        delivered(from, t);
        receivers++;
      }
    }
  }
  return receivers;
}

function delivered(from: Client | null, t: Client): void {
  if (t === from) return;
  t.server.markDirty(t);
  if (t.reply.length + t.socket.writableLength > PUBSUB_OUTPUT_LIMIT) {
    t.reply.reset();
    t.close();
    t.socket.destroy();
  }
}

function publish(c: Client, a: Args): void {
  const b = a.argBuf;
  c.reply.integer(publishMessage(c.server, c, b, a.starts[1], a.ends[1], b, a.starts[2], a.ends[2]));
}

const PUBSUB_HELP = [
  "CHANNELS [<pattern>]",
  "    Return the currently active channels matching a <pattern> (default: '*').",
  "NUMPAT",
  "    Return number of subscriptions to patterns.",
  "NUMSUB [<channel> ...]",
  "    Return the number of subscribers for the specified channels, excluding",
  "    pattern subscriptions(default: no channels).",
  "SHARDCHANNELS [<pattern>]",
  "    Return the currently active shard level channels matching a <pattern> (default: '*').",
  "SHARDNUMSUB [<shardchannel> ...]",
  "    Return the number of subscribers for the specified shard level channel(s)",
];

function pubsubChannels(c: Client, a: Args): void {
  if (a.argc > 3) {
    subcommandSyntaxError(c, a);
    return;
  }
  channelList(c, a, c.server.channels);
}

function channelList(c: Client, a: Args, map: Map<string, Set<Client>>): void {
  if (a.argc === 2) {
    c.reply.arrayHeader(map.size);
    for (const ch of map.keys()) c.reply.bulkString(ch);
    return;
  }
  const pat = a.argBuf;
  const ps = a.starts[2];
  const pe = a.ends[2];
  const out: string[] = [];
  for (const ch of map.keys()) if (globMatchString(pat, ps, pe, ch)) out.push(ch);
  c.reply.arrayHeader(out.length);
  for (const ch of out) c.reply.bulkString(ch);
}

function pubsubNumsub(c: Client, a: Args): void {
  const channels = c.server.channels;
  c.reply.arrayHeader((a.argc - 2) * 2);
  for (let i = 2; i < a.argc; i++) {
    c.reply.bulk(a.argBuf, a.starts[i], a.ends[i]);
    c.reply.integer(channels.get(argString(a, i))?.size ?? 0);
  }
}

function pubsubNumpat(c: Client): void {
  c.reply.integer(c.server.patterns.size);
}

/** Shard channels are not kept apart in a standalone server without SSUBSCRIBE: always none. */
function pubsubShardChannels(c: Client, a: Args): void {
  if (a.argc > 3) {
    subcommandSyntaxError(c, a);
    return;
  }
  c.reply.arrayHeader(0);
}

function pubsubShardNumsub(c: Client, a: Args): void {
  c.reply.arrayHeader((a.argc - 2) * 2);
  for (let i = 2; i < a.argc; i++) {
    c.reply.bulk(a.argBuf, a.starts[i], a.ends[i]);
    c.reply.integer(0);
  }
}

const PUBSUB_SUB_FLAGS = ["pubsub", "loading", "stale"] as const;
const pubsubSpec = container("pubsub", -2, [
  command("pubsub|channels", -2, [...PUBSUB_SUB_FLAGS], NO_KEYS, pubsubChannels, ["pubsub", "slow"]),
  command("pubsub|numsub", -2, [...PUBSUB_SUB_FLAGS], NO_KEYS, pubsubNumsub, ["pubsub", "slow"]),
  command("pubsub|numpat", 2, [...PUBSUB_SUB_FLAGS], NO_KEYS, pubsubNumpat, ["pubsub", "slow"]),
  command("pubsub|shardchannels", -2, [...PUBSUB_SUB_FLAGS], NO_KEYS, pubsubShardChannels, ["pubsub", "slow"]),
  command("pubsub|shardnumsub", -2, [...PUBSUB_SUB_FLAGS], NO_KEYS, pubsubShardNumsub, ["pubsub", "slow"]),
  command("pubsub|help", 2, ["loading", "stale"], NO_KEYS, (c) => replyHelpLines(c, "PUBSUB", PUBSUB_HELP), ["slow"]),
]);

export const commands: CommandSpec[] = [
  command("subscribe", -2, [...SUB_FLAGS], NO_KEYS, subscribe, ["pubsub", "slow"]),
  command("unsubscribe", -1, [...SUB_FLAGS], NO_KEYS, unsubscribe, ["pubsub", "slow"]),
  command("psubscribe", -2, [...SUB_FLAGS], NO_KEYS, psubscribe, ["pubsub", "slow"]),
  command("punsubscribe", -1, [...SUB_FLAGS], NO_KEYS, punsubscribe, ["pubsub", "slow"]),
  command("publish", 3, ["pubsub", "loading", "stale", "fast"], NO_KEYS, publish, ["pubsub", "fast"]),
  pubsubSpec,
];
