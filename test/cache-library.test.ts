// The cache face used as a library, from the package root: a CacheServer started in-process serves a
// client, refuses connections beyond maxclients with Redis's error, and evicts under maxmemory until
// used memory is back within the limit even when one command's eviction budget runs out.

import assert from "node:assert/strict";
import { once } from "node:events";
import { connect } from "node:net";
import { test } from "node:test";
import { CacheServer } from "../src/index.js";
import { RespTestClient } from "../src/servers/resp/testing.js";

test("CacheServer from the package root: serve, maxclients, eviction under maxmemory", async () => {
  const server = new CacheServer({ config: { port: "0", maxclients: "2" } });
  const port = await server.listen();
  const a = await RespTestClient.connect(port);
  const b = await RespTestClient.connect(port);
  try {
    assert.equal(await a.call("SET", "greeting", "hello"), "OK");
    assert.equal(await b.call("GET", "greeting"), "hello");

    // A third connection gets the error and is closed.
    const s = connect(port, "127.0.0.1");
    const chunks: Buffer[] = [];
    s.on("data", (d: Buffer) => chunks.push(d));
    await once(s, "close");
    assert.equal(Buffer.concat(chunks).toString(), "-ERR max number of clients reached\r\n");

    // 20,000 x 1 KiB under a 4 MB limit: keys are evicted and memory ends within the limit.
    assert.equal(await a.call("CONFIG", "SET", "maxmemory", "4000000"), "OK");
    assert.equal(await a.call("CONFIG", "SET", "maxmemory-policy", "allkeys-lru"), "OK");
    const value = "v".repeat(1024);
    for (let i = 0; i < 20_000; i += 500) {
      const batch: Promise<unknown>[] = [];
      for (let j = i; j < i + 500; j++) batch.push(a.call("SET", `k:${j}`, value));
      for (const r of await Promise.all(batch)) assert.equal(r, "OK");
    }
    await new Promise((resolve) => setImmediate(resolve));
    const info = String(await a.call("INFO", "memory")) + String(await a.call("INFO", "stats"));
    const field = (name: string) => Number(new RegExp(`${name}:(\\d+)`).exec(info)?.[1]);
    assert.ok(field("evicted_keys") > 10_000, `evicted_keys ${field("evicted_keys")}`);
    assert.ok(field("used_memory") <= 4_000_000, `used_memory ${field("used_memory")}`);
    assert.equal(await a.call("GET", "k:19999"), value, "the newest key is kept");
  } finally {
    a.close();
    b.close();
    await server.close();
  }
});
