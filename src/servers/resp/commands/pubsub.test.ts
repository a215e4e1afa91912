// Tests of Pub/Sub: a differential section that drives Shale and a real redis-server 7.0 through
// the same steps on raw connections and compares every byte each client receives (one client
// subscribing, unsubscribing and being refused commands in RESP2; a subscriber and a publisher on
// two connections, in RESP2 and RESP3), and behaviour tests against Shale (messages reach a
// subscriber that sends nothing, a subscriber that stops reading is cut off).
//
// Each step sends its command followed by "PING __end__" and reads until that PING's reply, so the
// bytes a step produced (replies and any messages) are compared as one. Where Redis's order is a
// dict's (UNSUBSCRIBE with no arguments and several channels, PUBSUB CHANNELS), the step's frames
// are compared as sorted names, with the subscription counts in arrival order; so are the messages
// of one PUBLISH to several matching patterns, which Redis 7.0 sends in its pattern dict's order.

import assert from "node:assert/strict";
import { connect, type Socket } from "node:net";
import { after, before, describe, it } from "node:test";
import type { CacheServer } from "../server.js";
import {
  decodeReply,
  encodeCommand,
  RespPush,
  RespTestClient,
  type RunningServer,
  startRedis,
  startShale,
} from "../testing.js";

const END = "__end__";

/** A connection that keeps every byte it receives. */
class RawConn {
  private buf = Buffer.alloc(0);
  private wake: (() => void) | null = null;
  closed = false;

  private constructor(readonly socket: Socket) {
    socket.on("data", (d: Buffer) => {
      this.buf = Buffer.concat([this.buf, d]);
      this.wake?.();
    });
    socket.on("close", () => {
      this.closed = true;
      this.wake?.();
    });
  }

  static connect(port: number): Promise<RawConn> {
    return new Promise((resolve, reject) => {
      const s = connect(port, "127.0.0.1", () => resolve(new RawConn(s)));
      s.once("error", reject);
    });
  }

  send(args: (string | Buffer)[]): void {
    this.socket.write(encodeCommand(args));
  }

  /** Waits until the received bytes satisfy `done`, then hands them over (and forgets them). */
  async until(done: (text: string) => boolean, timeoutMs = 3000): Promise<string> {
    const deadline = Date.now() + timeoutMs;
    while (!done(this.buf.toString("latin1"))) {
      if (this.closed) break;
      if (Date.now() > deadline) throw new Error(`timed out; have ${JSON.stringify(this.buf.toString("latin1"))}`);
      await new Promise<void>((resolve) => {
        this.wake = resolve;
        setTimeout(resolve, 20);
      });
    }
    const out = this.buf.toString("latin1");
    this.buf = Buffer.alloc(0);
    return out;
  }

  /** Sends a command and a sentinel PING; returns everything received up to the PING's reply. */
  async step(args: (string | Buffer)[]): Promise<string> {
    this.send(args);
    this.send(["PING", END]);
    return this.until((t) => t.endsWith(`${END}\r\n`));
  }

  close(): void {
    this.socket.destroy();
  }
}

/** The RESP frames of a byte string, each as its raw text. */
function frames(text: string): string[] {
  const buf = Buffer.from(text, "latin1");
  const out: string[] = [];
  let pos = 0;
  while (pos < buf.length) {
    const r = decodeReply(buf, pos);
    if (r === null) throw new Error(`incomplete frame in ${JSON.stringify(text)}`);
    out.push(buf.toString("latin1", pos, r[1]));
    pos = r[1];
  }
  return out;
}

/**
 * A step's frames for comparison where Redis answers in dict order: (un)subscribe confirmations
 * as a sorted list of names and their counts in arrival order (the count after each removal), and
 * other arrays with their items sorted.
 */
function unordered(text: string): unknown {
  const names: string[] = [];
  const counts: unknown[] = [];
  const other: string[] = [];
  for (const f of frames(text)) {
    const v = decodeReply(Buffer.from(f, "latin1"), 0)?.[0] ?? null;
    const raw = v instanceof RespPush ? v.items : Array.isArray(v) ? v : null;
    const items = raw?.map((x) => (Buffer.isBuffer(x) ? x.toString("latin1") : x));
    if (items !== undefined && items.length === 3 && /subscribe$/.test(String(items[0]))) {
      names.push(`${f[0]} ${String(items[0])} ${String(items[1])}`);
      counts.push(items[2]);
    } else if (items !== undefined && items[0] !== "message" && items[0] !== "pmessage") {
      other.push(`${f[0]} ${JSON.stringify(items.map(String).sort())}`);
    } else {
      other.push(f);
    }
  }
  return { names: names.sort(), counts, other: other.sort() };
}

/** A step: words ('' empty, '$x' prefixed names); a leading '~' compares the frames sorted. */
function parse(step: string, prefix: string): { args: string[]; sorted: boolean } {
  const sorted = step.startsWith("~");
  const words = (sorted ? step.slice(1) : step).split(" ");
  return { args: words.map((w) => (w === "''" ? "" : w.startsWith("$") ? prefix + w.slice(1) : w)), sorted };
}

async function hello(conn: RawConn, proto: 2 | 3): Promise<void> {
  if (proto === 3) await conn.step(["HELLO", "3"]);
}

// ---- single-client sequences ----

const SEQUENCES: Record<string, string[]> = {
  subscriptions: [
    "UNSUBSCRIBE",
    "PUNSUBSCRIBE",
    "UNSUBSCRIBE $nothing",
    "PUNSUBSCRIBE $nothing*",
    "SUBSCRIBE $a $b $a",
    "SUBSCRIBE $a",
    "PSUBSCRIBE $h* $a",
    "PSUBSCRIBE $h*",
    "PING",
    "PING x",
    "UNSUBSCRIBE $x",
    "PUNSUBSCRIBE $h*",
    "PUNSUBSCRIBE",
    "UNSUBSCRIBE $a",
    "UNSUBSCRIBE",
    "UNSUBSCRIBE",
    "~SUBSCRIBE $c1 $c2 $c3",
    "~UNSUBSCRIBE",
    "~PSUBSCRIBE $p1* $p2* $p3*",
    "~PUNSUBSCRIBE",
    "SUBSCRIBE $a",
    "PSUBSCRIBE $a*",
    "~UNSUBSCRIBE",
    "PUNSUBSCRIBE",
    "PING",
    ["SUBSCRIBE", "''"].join(" "),
    "UNSUBSCRIBE ''",
  ],
  context: [
    "SUBSCRIBE $a",
    "GET $k",
    "SET $k v",
    "PUBLISH $a hi",
    "CONFIG GET maxmemory",
    "CONFIG foo",
    "FOO",
    "GET",
    "PUBSUB NUMPAT",
    "PSUBSCRIBE $p*",
    "UNSUBSCRIBE $a",
    "GET $k",
    "PUNSUBSCRIBE $p*",
    "GET $k",
    "DEL $k",
  ],
  self_publish: ["PUBLISH $a hi", "SUBSCRIBE $a", "PSUBSCRIBE $*", "UNSUBSCRIBE $a", "PUNSUBSCRIBE", "PUBLISH $a hi"],
  errors: [
    "SUBSCRIBE",
    "PSUBSCRIBE",
    "PUBLISH x",
    "PUBLISH x y z",
    "PUBSUB",
    "PUBSUB foo",
    "PUBSUB NUMPAT x",
    "PUBSUB CHANNELS a b",
    "PUBSUB SHARDCHANNELS a b",
    "PUBSUB NUMSUB",
    "PUBSUB NUMSUB $a $b",
    "PUBSUB SHARDNUMSUB $a",
    "PUBSUB SHARDCHANNELS",
    "PUBSUB NUMPAT",
    "PUBSUB CHANNELS $zz*",
    "PUBSUB HELP",
    "PUBSUB help x",
    "PUBLISH $a hi",
  ],
};

// ---- behaviour against Shale ----

describe("pub/sub (Shale)", { timeout: 120_000 }, () => {
  let shale: RunningServer & { server: CacheServer };

  before(async () => {
    shale = await startShale();
  });
  after(async () => {
    await shale.close();
  });

  it("a message reaches a subscriber that sends nothing, in RESP2 and RESP3", async () => {
    for (const proto of [2, 3] as const) {
      const sub = await RawConn.connect(shale.port);
      await hello(sub, proto);
      await sub.step(["SUBSCRIBE", "news"]);
      await sub.step(["PSUBSCRIBE", "ne*"]);
      const pub = await RespTestClient.connect(shale.port);
      assert.equal(await pub.call("PUBLISH", "news", Buffer.from([0, 255, 13, 10])), 2);
      const t = proto === 3 ? ">" : "*";
      const got = await sub.until((x) => x.endsWith("\r\n\x00\xff\r\n\r\n") && x.includes("pmessage"));
      assert.equal(
        got,
        `${t}3\r\n$7\r\nmessage\r\n$4\r\nnews\r\n$4\r\n\x00\xff\r\n\r\n${t}4\r\n$8\r\npmessage\r\n$3\r\nne*\r\n$4\r\nnews\r\n$4\r\n\x00\xff\r\n\r\n`,
      );
      assert.deepEqual(await pub.call("PUBSUB", "NUMSUB", "news", "none"), ["news", 1, "none", 0]);
      assert.equal(await pub.call("PUBSUB", "NUMPAT"), 1);
      assert.match((await pub.call("INFO", "stats")) as string, /pubsub_channels:1\r\npubsub_patterns:1\r\n/);
      sub.close();
      await new Promise((r) => setTimeout(r, 30));
      assert.deepEqual(await pub.call("PUBSUB", "NUMSUB", "news"), ["news", 0]);
      assert.equal(await pub.call("PUBSUB", "NUMPAT"), 0);
      assert.equal(await pub.call("PUBLISH", "news", "x"), 0);
      assert.equal(shale.server.channels.size + shale.server.patterns.size, 0);
      pub.close();
    }
  });

  it("a RESP3 subscriber runs ordinary commands between messages", async () => {
    const sub = await RawConn.connect(shale.port);
    await hello(sub, 3);
    await sub.step(["SUBSCRIBE", "ch"]);
    await sub.step(["SET", "k", "v"]);
    assert.equal(await sub.step(["GET", "k"]), `$1\r\nv\r\n$${END.length}\r\n${END}\r\n`);
    const pub = await RespTestClient.connect(shale.port);
    await pub.call("PUBLISH", "ch", "m");
    assert.equal(
      await sub.step(["GET", "k"]),
      `>3\r\n$7\r\nmessage\r\n$2\r\nch\r\n$1\r\nm\r\n$1\r\nv\r\n$7\r\n${END}\r\n`,
    );
    sub.close();
    pub.close();
  });

  it("a subscriber that stops reading is disconnected past the pubsub output limit", async () => {
    const sub = await RawConn.connect(shale.port);
    await sub.step(["SUBSCRIBE", "flood"]);
    sub.socket.pause();
    const pub = await RespTestClient.connect(shale.port);
    const payload = Buffer.alloc(1 << 20, 120);
    let receivers = 0;
    for (let i = 0; i < 64; i++) receivers += (await pub.call("PUBLISH", "flood", payload)) as number;
    // The first messages are counted; once the subscriber is cut off, nobody receives.
    assert.ok(receivers > 0 && receivers < 64, `receivers ${receivers}`);
    assert.deepEqual(await pub.call("PUBSUB", "NUMSUB", "flood"), ["flood", 0]);
    sub.close();
    pub.close();
  });
});

// ---- differential: Shale against a real redis-server ----

describe("pub/sub matches redis-server 7.0 byte for byte", { timeout: 120_000 }, () => {
  let shale: RunningServer & { server: CacheServer };
  let redis: RunningServer | null;

  before(async () => {
    shale = await startShale();
    redis = await startRedis();
  });
  after(async () => {
    await shale.close();
    await redis?.close();
  });

  for (const proto of [2, 3] as const) {
    for (const [name, steps] of Object.entries(SEQUENCES)) {
      it(`${name} (RESP${proto})`, async (t) => {
        if (redis === null) {
          t.skip("redis-server is not installed");
          return;
        }
        const s = await RawConn.connect(shale.port);
        const r = await RawConn.connect(redis.port);
        try {
          await hello(s, proto);
          await hello(r, proto);
          const prefix = `ps:${name}:${proto}:`;
          for (const step of steps) {
            const { args, sorted } = parse(step, prefix);
            const [a, b] = await Promise.all([s.step(args), r.step(args)]);
            if (sorted) assert.deepEqual(unordered(a), unordered(b), `${name} RESP${proto}: ${step}`);
            else assert.equal(a, b, `${name} RESP${proto}: ${step}`);
          }
        } finally {
          s.close();
          r.close();
          await new Promise((resolve) => setTimeout(resolve, 30));
        }
      });
    }
  }

  for (const proto of [2, 3] as const) {
    it(`a subscriber and a publisher on two connections (subscriber RESP${proto})`, async (t) => {
      if (redis === null) {
        t.skip("redis-server is not installed");
        return;
      }
      const conns: RawConn[] = [];
      const open = async (port: number) => {
        const c = await RawConn.connect(port);
        conns.push(c);
        return c;
      };
      const sides = await Promise.all(
        [shale.port, redis.port].map(async (port) => ({ sub: await open(port), pub: await open(port) })),
      );
      const p = `two:${proto}:`;
      /** Runs a step on one connection of each side and compares what each received. */
      const both = async (who: "sub" | "pub", args: (string | Buffer)[], sorted = false) => {
        const [a, b] = await Promise.all(sides.map((s) => s[who].step(args)));
        const ctx = `${who}: ${args.map(String).join(" ")}`;
        if (sorted) assert.deepEqual(unordered(a), unordered(b), ctx);
        else assert.equal(a, b, ctx);
      };
      try {
        for (const s of sides) await hello(s.sub, proto);
        await both("sub", ["SUBSCRIBE", `${p}news.tech`, `${p}news.sport`]);
        await both("sub", ["PSUBSCRIBE", `${p}news.*`, `${p}*.tech`]);
        await both("pub", ["PUBLISH", `${p}news.tech`, "hello"]);
        await both("pub", ["PUBLISH", `${p}news.sport`, Buffer.from([0, 1, 255])]);
        await both("pub", ["PUBLISH", `${p}news.weather`, ""]);
        await both("pub", ["PUBLISH", `${p}other`, "nobody"]);
        await both("pub", ["PUBSUB", "NUMSUB", `${p}news.tech`, `${p}news.sport`, `${p}other`]);
        await both("pub", ["PUBSUB", "NUMPAT"]);
        await both("pub", ["PUBSUB", "CHANNELS", `${p}*`], true);
        await both("pub", ["PUBSUB", "CHANNELS", `${p}news.t*`]);
        await both("pub", ["PUBSUB", "CHANNELS", `${p}NEWS.*`]);
        // What the subscriber received: the messages, then its own PING. Redis 7.0 keeps patterns
        // in a dict, so the pmessages of one PUBLISH come in no fixed order: compared sorted.
        await both("sub", ["PING"], true);
        await both("sub", ["GET", `${p}k`]);
        await both("sub", ["UNSUBSCRIBE", `${p}news.tech`]);
        await both("pub", ["PUBLISH", `${p}news.tech`, "after"]);
        await both("sub", ["PUNSUBSCRIBE", `${p}*.tech`], true);
        await both("pub", ["PUBLISH", `${p}news.tech`, "later"]);
        await both("sub", ["PING"]);
        // The publisher subscribes too, and publishes to itself.
        await both("pub", ["SUBSCRIBE", `${p}news.sport`]);
        await both("pub", ["PUBSUB", "NUMSUB", `${p}news.sport`]);
        await both("sub", ["PUBLISH", `${p}news.sport`, "both"]);
        await both("pub", ["PING"]);
        await both("sub", ["UNSUBSCRIBE"], true);
        await both("pub", ["UNSUBSCRIBE"]);
        await both("pub", ["PUBLISH", `${p}news.sport`, "to the pattern"]);
        await both("sub", ["PUNSUBSCRIBE"]);
        await both("pub", ["PUBLISH", `${p}news.sport`, "to nobody"]);
        await both("pub", ["PUBSUB", "NUMPAT"]);
      } finally {
        for (const c of conns) c.close();
        await new Promise((resolve) => setTimeout(resolve, 30));
      }
    });
  }
});
