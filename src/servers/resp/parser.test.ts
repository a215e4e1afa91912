// Tests of the RESP request parser: multibulk and inline framing cut at every byte boundary, pipelines, inline
// quoting, Redis 7.0's protocol error texts, binary bulks, big bulks across many chunks, bounded memory, and a
// random fuzz. Expected behaviour marked "redis" was observed on redis-server 7.0.15 by sending the same bytes.

import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { ProtocolError, RespParser } from "./parser.js";

const b = (s: string): Buffer => Buffer.from(s, "latin1");

type Outcome = { cmds: string[][]; error: string | null; pending: number };

/** Drains complete commands (at most `max`), arguments as latin1 strings. */
function drain(p: RespParser, out: string[][], max = Number.POSITIVE_INFINITY): void {
  for (let n = max > 0 ? p.next() : 0; n > 0; n = out.length < max ? p.next() : 0) {
    assert.equal(n, p.argc);
    const args: string[] = [];
    for (let i = 0; i < n; i++) args.push(p.argBuf.toString("latin1", p.starts[i], p.ends[i]));
    out.push(args);
  }
}

/**
 * Feeds data in the given chunk sizes (cycled), parsing after each chunk. Every input is parsed twice:
 * from chunks that stay valid, and as the server reads: through one reused read buffer, taking at
 * most one command per chunk (as a client that blocks or pauses leaves commands unparsed), then
 * detach() and the buffer overwritten; both must give the same outcome.
 */
function run(data: Buffer, sizes: number[] = [data.length || 1], limits?: ConstructorParameters<typeof RespParser>[0]) {
  const direct = runOnce(data, sizes, limits, false);
  assert.deepEqual(runOnce(data, sizes, limits, true), direct, "the same through a reused read buffer");
  return direct;
}

function runOnce(
  data: Buffer,
  sizes: number[],
  limits: ConstructorParameters<typeof RespParser>[0] | undefined,
  reuse: boolean,
): Outcome {
  const p = new RespParser(limits);
  const cmds: string[][] = [];
  const readBuf = Buffer.alloc(reuse ? Math.max(...sizes, 1) : 0);
  let off = 0;
  let k = 0;
  try {
    while (off < data.length) {
      const n = Math.min(Math.max(1, sizes[k++ % sizes.length]!), data.length - off);
      if (reuse) {
        data.copy(readBuf, 0, off, off + n);
        p.feed(readBuf, n);
      } else p.feed(data.subarray(off, off + n));
      off += n;
      drain(p, cmds, reuse ? cmds.length + 1 : Number.POSITIVE_INFINITY);
      if (reuse) {
        p.detach();
        readBuf.fill(0x3f);
      }
    }
    drain(p, cmds);
  } catch (e) {
    if (!(e instanceof ProtocolError)) throw e;
    return { cmds, error: e.message, pending: -1 };
  }
  return { cmds, error: null, pending: p.pending };
}

function mbulk(...args: (string | Buffer)[]): Buffer {
  const parts: Buffer[] = [b(`*${args.length}\r\n`)];
  for (const a of args) {
    const x = typeof a === "string" ? b(a) : a;
    parts.push(b(`$${x.length}\r\n`), x, b("\r\n"));
  }
  return Buffer.concat(parts);
}

function rng(seed: number): () => number {
  let s = seed >>> 0 || 1;
  return () => {
    s ^= s << 13;
    s ^= s >>> 17;
    s ^= s << 5;
    return (s >>> 0) / 4294967296;
  };
}

const allBytes = Buffer.from(Array.from({ length: 256 }, (_, i) => i));

// A stream mixing every framing form the parser handles.
const corpus = Buffer.concat([
  mbulk("SET", "key", "value"),
  b("PING\r\n"),
  mbulk("ECHO", b("a\r\nb\r\n")),
  b("\r\n"),
  b("\n"),
  b("*0\r\n"),
  b("*-1\r\n"),
  b(`  ECHO "q\\x41\\n" 'it\\'s'\tplain \r\n`),
  mbulk("ECHO", allBytes),
  mbulk("ECHO", ""),
  b("*1\rX$4\r\nPING\r\n"), // redis: the byte after CR is not checked
  mbulk(...Array.from({ length: 40 }, (_, i) => `arg${i}`)),
  b("GET k\n"),
  b("*2\r\n$4\r\nECHO\r\n$3\r\nxyzZZ"), // redis: the 2 bytes after bulk data are skipped unchecked
  b("*1\r\n$4\r\nPI"), // an incomplete command at the end
]);

describe("RespParser framing", () => {
  it("parses a multibulk in place, without copying", () => {
    const p = new RespParser();
    const chunk = mbulk("SET", "k", "v");
    p.feed(chunk);
    assert.equal(p.next(), 3);
    assert.equal(p.argBuf, chunk);
    assert.deepEqual([p.starts[0], p.ends[0], p.starts[2], p.ends[2]], [8, 11, 24, 25]);
    assert.equal(p.inline, false);
    assert.equal(p.next(), 0);
    assert.equal(p.pending, 0);
  });

  it("parses the mixed corpus", () => {
    const r = run(corpus);
    assert.equal(r.error, null);
    assert.deepEqual(r.cmds, [
      ["SET", "key", "value"],
      ["PING"],
      ["ECHO", "a\r\nb\r\n"],
      ["ECHO", "qA\n", "it's", "plain"],
      ["ECHO", allBytes.toString("latin1")],
      ["ECHO", ""],
      ["PING"],
      Array.from({ length: 40 }, (_, i) => `arg${i}`),
      ["GET", "k"],
      ["ECHO", "xyz"],
    ]);
    assert.equal(r.pending, "*1\r\n$4\r\nPI".length);
  });

  it("gives the same result for every split point", () => {
    const whole = run(corpus);
    for (let i = 1; i < corpus.length; i++) {
      const p = new RespParser();
      const cmds: string[][] = [];
      p.feed(corpus.subarray(0, i));
      drain(p, cmds);
      p.feed(corpus.subarray(i));
      drain(p, cmds);
      assert.deepEqual(cmds, whole.cmds, `split at ${i}`);
      assert.equal(p.pending, whole.pending);
    }
  });

  it("gives the same result byte by byte and in random chunk sizes", () => {
    const whole = run(corpus);
    assert.deepEqual(run(corpus, [1]), whole);
    for (let seed = 1; seed <= 50; seed++) {
      const r = rng(seed);
      const sizes = Array.from({ length: 64 }, () => 1 + Math.floor(r() * (seed % 2 ? 8 : 200)));
      assert.deepEqual(run(corpus, sizes), whole, `seed ${seed}`);
    }
  });

  it("gives the same result when two chunks are fed before parsing", () => {
    const whole = run(corpus);
    for (let i = 1; i < corpus.length; i += 7) {
      const p = new RespParser();
      p.feed(corpus.subarray(0, i));
      p.feed(corpus.subarray(i));
      const cmds: string[][] = [];
      drain(p, cmds);
      assert.deepEqual(cmds, whole.cmds);
    }
  });

  it("keeps what is pending safe when the caller reuses its read buffer", () => {
    // Like a socket with a fixed `onread` buffer: the chunk is overwritten once next() has returned 0.
    const data = Buffer.concat([mbulk("SET", "key", "0123456789"), mbulk("GET", "key"), b("PING\r\n")]);
    const whole = run(data).cmds;
    for (const size of [1, 3, 5, 16]) {
      const p = new RespParser();
      const reused = Buffer.alloc(size);
      const cmds: string[][] = [];
      for (let off = 0; off < data.length; off += size) {
        reused.fill(0x7e);
        const n = data.copy(reused, 0, off, off + size);
        p.feed(reused.subarray(0, n));
        drain(p, cmds);
      }
      assert.deepEqual(cmds, whole, `size ${size}`);
    }
  });

  it("skips *0, *-1, negative counts and blank inline lines", () => {
    // redis: "*-1\r\n*0\r\n*-5\r\nPING\r\n" -> +PONG; "\r\n\n   \r\nPING\n" -> +PONG
    assert.deepEqual(run(b("*-1\r\n*0\r\n*-5\r\nPING\r\n")).cmds, [["PING"]]);
    assert.deepEqual(run(b("\r\n\n   \r\nPING\n")).cmds, [["PING"]]);
    assert.deepEqual(run(b("*-9223372036854775808\r\nPING\r\n")).cmds, [["PING"]]);
    const p = new RespParser();
    p.feed(b("\r\n\r\n*0\r\n"));
    assert.equal(p.next(), 0);
    assert.equal(p.pending, 0);
  });

  it("accepts empty bulks and an empty first argument", () => {
    assert.deepEqual(run(b("*1\r\n$0\r\n\r\n")).cmds, [[""]]);
    assert.deepEqual(run(b("*2\r\n$4\r\nECHO\r\n$0\r\n\r\n")).cmds, [["ECHO", ""]]);
  });

  it("grows the argument arrays for many arguments", () => {
    const args = Array.from({ length: 5000 }, (_, i) => String(i));
    const r = run(mbulk("MSET", ...args), [1000]);
    assert.deepEqual(r.cmds, [["MSET", ...args]]);
  });

  it("handles every byte value inside bulks, including CR and LF", () => {
    const r = rng(7);
    const cmds: Buffer[] = [];
    for (let i = 0; i < 50; i++) {
      const n = Math.floor(r() * 300);
      cmds.push(
        Buffer.from(Array.from({ length: n }, () => (r() < 0.2 ? 13 : r() < 0.2 ? 10 : Math.floor(r() * 256)))),
      );
    }
    const data = Buffer.concat(cmds.map((c) => mbulk("SET", c, c)));
    const expect = cmds.map((c) => ["SET", c.toString("latin1"), c.toString("latin1")]);
    assert.deepEqual(run(data).cmds, expect);
    assert.deepEqual(run(data, [1, 2, 3, 61, 7]).cmds, expect);
  });

  it("sets inline for inline commands only", () => {
    const p = new RespParser();
    p.feed(b("PING\r\n*1\r\n$4\r\nPING\r\n"));
    assert.equal(p.next(), 1);
    assert.equal(p.inline, true);
    assert.equal(p.next(), 1);
    assert.equal(p.inline, false);
  });
});

describe("RespParser inline commands", () => {
  // Each case observed on redis-server 7.0.15 (with ECHO or PING showing the split).
  const cases: [string, string[]][] = [
    ["PING\r\n", ["PING"]],
    ["PING\n", ["PING"]],
    ['  ECHO   "a b"   \r\n', ["ECHO", "a b"]],
    ['ECHO "a\\x41\\x4g\\q\\n" \r\n', ["ECHO", "aAx4gq\n"]],
    ['ECHO "\\xaB"\r\n', ["ECHO", "\xab"]],
    ['ECHO "\\x4"\r\n', ["ECHO", "x4"]],
    ['ECHO "\\xZZ"\r\n', ["ECHO", "xZZ"]],
    ['ECHO "\\a\\b\\t\\r"\r\n', ["ECHO", "\x07\b\t\r"]],
    ['ECHO "a\\"b"\r\n', ["ECHO", 'a"b']],
    ["ECHO 'a\\'b' \r\n", ["ECHO", "a'b"]],
    ["ECHO 'a\\\\b'\r\n", ["ECHO", "a\\\\b"]],
    ['ECHO ""\r\n', ["ECHO", ""]],
    ["ECHO ''\r\n", ["ECHO", ""]],
    ['ECHO foo"bar"\r\n', ["ECHO", "foobar"]],
    ["\f\vPING\r\n", ["PING"]],
    ["ECHO \vfoo\v\r\n", ["ECHO", "foo\v"]],
    ["ECHO a\vb\r\n", ["ECHO", "a\vb"]],
    ["ECHO a\fb\r\n", ["ECHO", "a\fb"]],
    ['ECHO "ab"\v\r\n', ["ECHO", "ab"]],
    ['ECHO "a"\fb\r\n', ["ECHO", "a", "b"]],
    ["ECHO a\rb\r\n", ["ECHO", "a", "b"]],
    ["ECHO x\r\r\n", ["ECHO", "x"]],
    ["ECHO\ta\t\tb\r\n", ["ECHO", "a", "b"]],
    ["$3\r\n", ["$3"]],
    // Not Redis (it waits for more input at a NUL before the newline): the line's arguments end at the NUL.
    ["ECHO ab\0cd ef\r\n", ["ECHO", "ab"]],
    ["ECHO 'ab'\0x\r\n", ["ECHO", "ab"]],
  ];
  for (const [input, expect] of cases) {
    it(`splits ${JSON.stringify(input)}`, () => {
      assert.deepEqual(run(b(input)), { cmds: [expect], error: null, pending: 0 });
      assert.deepEqual(run(b(input), [1]), { cmds: [expect], error: null, pending: 0 });
    });
  }

  const unbalanced = ['ECHO "ab"c\r\n', 'ECHO "ab\r\n', "ECHO 'ab'x\r\n", 'ECHO a"b c"d\r\n', 'ECHO "x\\"\r\n'];
  unbalanced.push(`ECHO "a"'b'\r\n`, "ECHO 'ab\r\n", 'ECHO "ab\0"\r\n');
  for (const input of unbalanced) {
    it(`rejects ${JSON.stringify(input)}`, () => {
      const r = run(b(`PING\r\n${input}PING\r\n`));
      assert.deepEqual(r.cmds, [["PING"]]);
      assert.equal(r.error, "ERR Protocol error: unbalanced quotes in request");
    });
  }

  it("puts unescaped arguments in a scratch buffer and plain ones in place", () => {
    const p = new RespParser();
    const chunk = b('SET k "v"\r\nGET k\r\n');
    p.feed(chunk);
    assert.equal(p.next(), 3);
    assert.notEqual(p.argBuf, chunk);
    assert.equal(p.next(), 2);
    assert.equal(p.argBuf, chunk);
  });
});

describe("RespParser protocol errors", () => {
  // [input, Redis 7.0.15's reply text without "-"]; commands before the bad one still run.
  const cases: [string, string][] = [
    ["*-0\r\n", "ERR Protocol error: invalid multibulk length"],
    ["*01\r\n", "ERR Protocol error: invalid multibulk length"],
    ["*+1\r\n", "ERR Protocol error: invalid multibulk length"],
    ["*\r\n", "ERR Protocol error: invalid multibulk length"],
    ["* 1\r\n", "ERR Protocol error: invalid multibulk length"],
    ["*1 \r\n", "ERR Protocol error: invalid multibulk length"],
    ["*1x\r\n", "ERR Protocol error: invalid multibulk length"],
    ["*2147483648\r\n", "ERR Protocol error: invalid multibulk length"],
    ["*3000000000\r\n", "ERR Protocol error: invalid multibulk length"],
    ["*-9223372036854775809\r\n", "ERR Protocol error: invalid multibulk length"],
    [`*${"1".repeat(70000)}\r\n`, "ERR Protocol error: invalid multibulk length"],
    ["*1\r\n$-1\r\n", "ERR Protocol error: invalid bulk length"],
    ["*1\r\n$-0\r\n", "ERR Protocol error: invalid bulk length"],
    ["*1\r\n$04\r\nPING\r\n", "ERR Protocol error: invalid bulk length"],
    ["*1\r\n$4a\r\n", "ERR Protocol error: invalid bulk length"],
    ["*1\r\n$\r\n", "ERR Protocol error: invalid bulk length"],
    ["*1\r\n$536870913\r\n", "ERR Protocol error: invalid bulk length"],
    ["*1\r\n$99999999999999999999\r\n", "ERR Protocol error: invalid bulk length"],
    ["*1\r\nPING\r\n", "ERR Protocol error: expected '$', got 'P'"],
    ["*1\r\n\r\n", "ERR Protocol error: expected '$', got '\r'"], // Redis shows the CR as a space
    ["*2\r\n$4\r\nECHO\r\n:1\r\n", "ERR Protocol error: expected '$', got ':'"],
    ["*1\r\n\xff\r\n", "ERR Protocol error: expected '$', got '\xff'"],
    [`*${"1".repeat(65536)}`, "ERR Protocol error: too big mbulk count string"],
    [`*1\r\n$${"1".repeat(65536)}`, "ERR Protocol error: too big bulk count string"],
    [`PING${" ".repeat(65533)}`, "ERR Protocol error: too big inline request"],
    ['ECHO "ab\r\n', "ERR Protocol error: unbalanced quotes in request"],
  ];
  for (const [input, msg] of cases) {
    it(`${msg} for ${JSON.stringify(input.length > 40 ? `${input.slice(0, 30)}...` : input)}`, () => {
      const data = b(`PING\r\n${input}`);
      const r = run(data);
      assert.deepEqual(r.cmds, [["PING"]]);
      assert.equal(r.error, msg);
      if (data.length < 1000) assert.equal(run(data, [1]).error, msg);
      // Whether a long line is "too big" depends on how much of it has arrived (in Redis too), so long inputs that
      // end their line are only fed whole.
      else if (msg.includes("too big")) assert.equal(run(data, [4096]).error, msg);
    });
  }

  it("throws ProtocolError instances", () => {
    const p = new RespParser();
    p.feed(b("*x\r\n"));
    assert.throws(
      () => p.next(),
      (e: unknown) => e instanceof ProtocolError && e instanceof Error && e.name === "ProtocolError",
    );
  });

  it("waits while a line without its end is at most 64 KiB", () => {
    // redis: "*" + 65535 digits, "PING" + 65530 spaces: no reply, connection open.
    for (const s of [`*${"1".repeat(65535)}`, `PING${" ".repeat(65532)}`, `*1\r\n$${"1".repeat(65535)}`]) {
      assert.deepEqual(run(b(s)), { cmds: [], error: null, pending: s.length });
    }
    // A line longer than that is fine when its end arrived with it (redis: same, it only checks without one).
    const long = `ECHO ${"x".repeat(70000)}\r\n`;
    assert.deepEqual(run(b(long)).cmds, [["ECHO", "x".repeat(70000)]]);
  });

  it("needs one byte after the CR of a header before judging it", () => {
    const p = new RespParser();
    p.feed(b("*1\r"));
    assert.equal(p.next(), 0);
    p.feed(b("\n$1\r"));
    assert.equal(p.next(), 0);
    p.feed(b("\nx\r"));
    assert.equal(p.next(), 0);
    p.feed(b("\n"));
    assert.equal(p.next(), 1);
  });

  it("accepts the largest bulk length and count the limits allow", () => {
    // redis: "*1\r\n$536870912\r\n" and "*2147483647\r\n" wait for more input.
    assert.deepEqual(run(b("*1\r\n$536870912\r\n")).error, null);
    assert.deepEqual(run(b("*1048576\r\n")).error, null);
    assert.equal(run(b("*1048577\r\n")).error, "ERR Protocol error: invalid multibulk length");
    assert.equal(run(b("*2147483647\r\n"), undefined, { maxMultibulk: 2147483647 }).error, null);
  });

  it("applies custom limits", () => {
    const limits = { maxBulkLen: 10, maxMultibulk: 3, maxInline: 16 };
    assert.equal(run(b("*1\r\n$10\r\n0123456789\r\n"), undefined, limits).cmds.length, 1);
    assert.equal(run(b("*1\r\n$11\r\n"), undefined, limits).error, "ERR Protocol error: invalid bulk length");
    assert.equal(run(b("*4\r\n"), undefined, limits).error, "ERR Protocol error: invalid multibulk length");
    assert.equal(run(b("x".repeat(17)), undefined, limits).error, "ERR Protocol error: too big inline request");
    assert.equal(run(b("x".repeat(16)), undefined, limits).error, null);
  });

  it("applies Redis's limits for unauthenticated connections", () => {
    // redis with requirepass: "*11\r\n" and "*10\r\n$16385\r\n" are refused; "*1\r\n$16384\r\n" waits.
    const p = new RespParser();
    p.unauthenticated = true;
    p.feed(b("*11\r\n"));
    assert.throws(() => p.next(), { message: "ERR Protocol error: unauthenticated multibulk length" });
    const q = new RespParser();
    q.unauthenticated = true;
    q.feed(b("*10\r\n$16385\r\n"));
    assert.throws(() => q.next(), { message: "ERR Protocol error: unauthenticated bulk length" });
    const r = new RespParser();
    r.unauthenticated = true;
    r.feed(b("*10\r\n$16384\r\n"));
    assert.equal(r.next(), 0);
  });
});

describe("RespParser volume", () => {
  it("parses a 100 MB bulk arriving in 64 KiB chunks in linear time", () => {
    const size = 100 * 1024 * 1024;
    const payload = Buffer.allocUnsafe(size);
    for (let i = 0; i < size; i += 4096) payload[i] = (i >>> 12) & 0xff;
    const data = Buffer.concat([
      b(`*3\r\n$3\r\nSET\r\n$1\r\nk\r\n$${size}\r\n`),
      payload,
      b("\r\n*1\r\n$4\r\nPING\r\n"),
    ]);
    const p = new RespParser();
    const t0 = performance.now();
    let got = 0;
    for (let off = 0; off < data.length; off += 65536) {
      p.feed(data.subarray(off, off + 65536));
      for (let n = p.next(); n > 0; n = p.next()) {
        got++;
        if (got === 1) {
          assert.equal(n, 3);
          assert.equal(p.ends[2]! - p.starts[2]!, size);
          assert.ok(p.argBuf.subarray(p.starts[2], p.ends[2]).equals(payload));
        } else {
          assert.equal(p.argBuf.toString("latin1", p.starts[0], p.ends[0]), "PING");
        }
      }
    }
    assert.equal(got, 2);
    // Quadratic copying would take minutes; linear takes well under a second even on a busy machine.
    assert.ok(performance.now() - t0 < 10_000);
  });

  it("runs a pipeline of 100k commands with bounded memory", () => {
    const one = mbulk("SET", "key:000000012345", "xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx");
    const inline = b("PING\r\n");
    const parts: Buffer[] = [];
    for (let i = 0; i < 100_000; i++) parts.push(i % 10 === 9 ? inline : one);
    const data = Buffer.concat(parts);
    for (const chunk of [data.length, 65536, 1000]) {
      const p = new RespParser();
      let count = 0;
      let maxPending = 0;
      for (let off = 0; off < data.length; off += chunk) {
        p.feed(data.subarray(off, off + chunk));
        for (let n = p.next(); n > 0; n = p.next()) {
          count++;
          maxPending = Math.max(maxPending, p.pending);
        }
        const own = (p as unknown as { own: Buffer | null }).own;
        assert.ok(own === null || own.length <= 4 * Math.max(chunk, 16 * 1024), `owned buffer ${own?.length}`);
      }
      assert.equal(count, 100_000);
      assert.equal(p.pending, 0);
      assert.ok(maxPending <= chunk + one.length);
    }
  });

  it("does not keep a big owned buffer once it is drained", () => {
    const p = new RespParser();
    const big = mbulk("SET", "k", Buffer.alloc(4 * 1024 * 1024, 1));
    for (let off = 0; off < big.length; off += 65536) {
      p.feed(big.subarray(off, off + 65536));
      while (p.next() > 0);
    }
    p.feed(b("PING\r\n"));
    assert.equal(p.next(), 1);
    assert.equal((p as unknown as { own: Buffer | null }).own, null);
  });
});

describe("RespParser fuzz", () => {
  it("throws nothing but ProtocolError and always returns on random bytes", () => {
    const r = rng(12345);
    const alphabet = b("*$\r\n0123456789-+ \"'\\xaF\t\v\0PINGECHO");
    for (let iter = 0; iter < 3000; iter++) {
      const len = Math.floor(r() * 200);
      const data = Buffer.alloc(len);
      for (let i = 0; i < len; i++) data[i] = r() < 0.8 ? alphabet[Math.floor(r() * alphabet.length)]! : r() * 256;
      const whole = run(data);
      const sizes = Array.from({ length: 8 }, () => 1 + Math.floor(r() * 20));
      assert.deepEqual(run(data, sizes), whole, `input ${JSON.stringify(data.toString("latin1"))}`);
    }
  });

  it("matches the clean parse for mutated valid streams", () => {
    const r = rng(99);
    for (let iter = 0; iter < 1000; iter++) {
      const bytes = [...corpus.subarray(0, corpus.length - 11)];
      const muts = 1 + Math.floor(r() * 3);
      for (let m = 0; m < muts; m++) {
        const i = Math.floor(r() * bytes.length);
        const op = Math.floor(r() * 3);
        const v = Math.floor(r() * 256);
        if (op === 0) bytes[i] = v;
        else if (op === 1) bytes.splice(i, 0, v);
        else bytes.splice(i, 1);
      }
      const data = Buffer.from(bytes);
      assert.deepEqual(run(data, [1]), run(data));
    }
  });
});
