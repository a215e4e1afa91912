// Tests of the RESP reply writer: every reply type in RESP2 and RESP3 byte for byte, slab hand-out that never
// overwrites taken bytes, large replies, and the double formats checked against redis-server 7.0.15 output.

import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { addLongDoubleHuman, formatDouble, formatDoubleHuman, ReplyWriter } from "./reply.js";

/** Runs fn on a fresh writer speaking proto and returns what it wrote, as latin1. */
function out(proto: 2 | 3, fn: (w: ReplyWriter) => void): string {
  const w = new ReplyWriter();
  w.proto = proto;
  fn(w);
  const buf = w.take();
  return buf === null ? "" : buf.toString("latin1");
}

/** The same bytes in both protocols. */
function both(fn: (w: ReplyWriter) => void): string {
  const two = out(2, fn);
  assert.equal(out(3, fn), two);
  return two;
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

describe("ReplyWriter replies", () => {
  it("writes status replies", () => {
    assert.equal(
      both((w) => w.ok()),
      "+OK\r\n",
    );
    assert.equal(
      both((w) => w.simple("PONG")),
      "+PONG\r\n",
    );
    assert.equal(
      both((w) => w.simple("")),
      "+\r\n",
    );
    assert.equal(
      both((w) => w.simple("a\r\nb")),
      "+a  b\r\n",
    );
  });

  it("writes errors, with CR and LF trimmed at the ends and spaces inside", () => {
    assert.equal(
      both((w) => w.error("ERR syntax error")),
      "-ERR syntax error\r\n",
    );
    assert.equal(
      both((w) => w.error("WRONGTYPE Operation against a key holding the wrong kind of value")),
      "-WRONGTYPE Operation against a key holding the wrong kind of value\r\n",
    );
    // redis: "*1\r\n$5\r\na\r\nbc\r\n" -> "-ERR unknown command 'a  bc', with args beginning with: "
    assert.equal(
      both((w) => w.error("ERR unknown command 'a\r\nbc', with args beginning with: ")),
      "-ERR unknown command 'a  bc', with args beginning with: \r\n",
    );
    assert.equal(
      both((w) => w.error("\r\nERR x\n\r\n")),
      "-ERR x\r\n",
    );
    // Bytes of a latin1 byte string stay single bytes.
    assert.equal(
      both((w) => w.error("ERR Protocol error: expected '$', got '\xff'")),
      "-ERR Protocol error: expected '$', got '\xff'\r\n",
    );
  });

  it("writes UTF-8 when a status or error has a char above U+00FF", () => {
    const w = new ReplyWriter();
    w.error("ERR ключ\n");
    assert.deepEqual(w.take(), Buffer.from("-ERR ключ\r\n", "utf8"));
  });

  it("writes integers", () => {
    for (const n of [
      0,
      1,
      -1,
      9,
      10,
      99,
      100,
      -100,
      12345,
      2147483647,
      -2147483648,
      2 ** 32,
      Number.MAX_SAFE_INTEGER,
    ]) {
      assert.equal(
        both((w) => w.integer(n)),
        `:${n}\r\n`,
      );
    }
    assert.equal(
      both((w) => w.integer(Number.MIN_SAFE_INTEGER)),
      ":-9007199254740991\r\n",
    );
    assert.equal(
      both((w) => w.integer(-0)),
      ":0\r\n",
    );
    assert.equal(
      both((w) => w.integer(2 ** 60)),
      ":1152921504606846976\r\n",
    );
    assert.throws(() => new ReplyWriter().integer(1.5), RangeError);
    assert.throws(() => new ReplyWriter().integer(Number.NaN), RangeError);
  });

  it("writes every integer digit count like String()", () => {
    const r = rng(3);
    const w = new ReplyWriter();
    let expect = "";
    for (let d = 0; d <= 16; d++) {
      for (const base of [10 ** d, 10 ** d - 1, 10 ** d + 1]) {
        for (const n of [base, -base]) {
          if (!Number.isSafeInteger(n)) continue;
          w.integer(n);
          expect += `:${n}\r\n`;
        }
      }
    }
    for (let i = 0; i < 2000; i++) {
      const n = Math.floor((r() - 0.5) * 10 ** Math.floor(r() * 16));
      w.integer(n);
      expect += `:${n === 0 ? 0 : n}\r\n`;
    }
    assert.equal(w.take()!.toString("latin1"), expect);
  });

  it("writes big integers", () => {
    assert.equal(
      both((w) => w.integerBig(9223372036854775807n)),
      ":9223372036854775807\r\n",
    );
    assert.equal(
      both((w) => w.integerBig(-9223372036854775808n)),
      ":-9223372036854775808\r\n",
    );
  });

  it("writes bulks from bytes, copying them", () => {
    const src = Buffer.from("xxhello\r\nworldxx", "latin1");
    assert.equal(
      both((w) => w.bulk(src, 2, 14)),
      "$12\r\nhello\r\nworld\r\n",
    );
    assert.equal(
      both((w) => w.bulk(new Uint8Array(0))),
      "$0\r\n\r\n",
    );
    const all = new Uint8Array(256).map((_, i) => i);
    assert.equal(
      both((w) => w.bulk(all)),
      `$256\r\n${Buffer.from(all).toString("latin1")}\r\n`,
    );
    const w = new ReplyWriter();
    const mutable = Buffer.from("abc");
    w.bulk(mutable);
    mutable[0] = 0x7a;
    assert.equal(w.take()!.toString(), "$3\r\nabc\r\n");
  });

  it("writes latin1 and UTF-8 bulk strings", () => {
    assert.equal(
      both((w) => w.bulkString("bar")),
      "$3\r\nbar\r\n",
    );
    assert.equal(
      both((w) => w.bulkString("")),
      "$0\r\n\r\n",
    );
    const bytes = out(2, (w) => w.bulkString("caf\xe9\xff\x00"));
    assert.deepEqual(
      Buffer.from(bytes, "latin1"),
      Buffer.from([0x24, 0x36, 13, 10, 0x63, 0x61, 0x66, 0xe9, 0xff, 0, 13, 10]),
    );
    const long = "\xe9".repeat(1000);
    assert.equal(
      out(2, (w) => w.bulkString(long)),
      `$1000\r\n${long}\r\n`,
    );
    const w = new ReplyWriter();
    w.bulkUtf8("café 🙂");
    assert.deepEqual(w.take(), Buffer.from("$10\r\ncafé 🙂\r\n", "utf8"));
    w.bulkUtf8("plain");
    assert.equal(w.take()!.toString(), "$5\r\nplain\r\n");
    const longUtf8 = "ж".repeat(5000);
    w.bulkUtf8(longUtf8);
    assert.deepEqual(w.take(), Buffer.from(`$10000\r\n${longUtf8}\r\n`, "utf8"));
  });

  it("writes nulls: RESP2 $-1 / *-1, RESP3 _", () => {
    assert.equal(
      out(2, (w) => w.nullBulk()),
      "$-1\r\n",
    );
    assert.equal(
      out(2, (w) => w.nullArray()),
      "*-1\r\n",
    );
    assert.equal(
      out(3, (w) => w.nullBulk()),
      "_\r\n",
    );
    assert.equal(
      out(3, (w) => w.nullArray()),
      "_\r\n",
    );
  });

  it("writes aggregate headers", () => {
    // redis DEBUG PROTOCOL array/set/map: RESP2 *3, *3, *6; RESP3 *3, ~3, %3
    assert.equal(
      both((w) => w.arrayHeader(3)),
      "*3\r\n",
    );
    assert.equal(
      both((w) => w.arrayHeader(0)),
      "*0\r\n",
    );
    assert.equal(
      out(2, (w) => w.mapHeader(3)),
      "*6\r\n",
    );
    assert.equal(
      out(3, (w) => w.mapHeader(3)),
      "%3\r\n",
    );
    assert.equal(
      out(2, (w) => w.setHeader(3)),
      "*3\r\n",
    );
    assert.equal(
      out(3, (w) => w.setHeader(3)),
      "~3\r\n",
    );
    assert.equal(
      out(2, (w) => w.pushHeader(3)),
      "*3\r\n",
    );
    assert.equal(
      out(3, (w) => w.pushHeader(2)),
      ">2\r\n",
    );
    assert.equal(
      out(3, (w) => w.arrayHeader(123456)),
      "*123456\r\n",
    );
  });

  it("writes a RESP3 map as redis does", () => {
    // redis: HELLO 3, DEBUG PROTOCOL map -> %3 :0 #f :1 #t :2 #f
    const r3 = out(3, (w) => {
      w.mapHeader(3);
      for (let i = 0; i < 3; i++) {
        w.integer(i);
        w.boolean(i === 1);
      }
    });
    assert.equal(r3, "%3\r\n:0\r\n#f\r\n:1\r\n#t\r\n:2\r\n#f\r\n");
  });

  it("writes doubles", () => {
    // redis: DEBUG PROTOCOL double -> RESP2 $5 3.141, RESP3 ,3.141; ZSCORE of 0.1 / inf / -inf.
    assert.equal(
      out(2, (w) => w.double(3141 / 1000)),
      "$5\r\n3.141\r\n",
    );
    assert.equal(
      out(3, (w) => w.double(3141 / 1000)),
      ",3.141\r\n",
    );
    assert.equal(
      out(2, (w) => w.double(0.1)),
      "$19\r\n0.10000000000000001\r\n",
    );
    assert.equal(
      out(3, (w) => w.double(0.1)),
      ",0.10000000000000001\r\n",
    );
    assert.equal(
      out(2, (w) => w.double(Number.POSITIVE_INFINITY)),
      "$3\r\ninf\r\n",
    );
    assert.equal(
      out(3, (w) => w.double(Number.NEGATIVE_INFINITY)),
      ",-inf\r\n",
    );
    assert.equal(
      out(3, (w) => w.double(Number.NaN)),
      ",nan\r\n",
    );
    assert.equal(
      out(3, (w) => w.double(3)),
      ",3\r\n",
    );
  });

  it("writes booleans", () => {
    assert.equal(
      out(2, (w) => w.boolean(true)),
      ":1\r\n",
    );
    assert.equal(
      out(2, (w) => w.boolean(false)),
      ":0\r\n",
    );
    assert.equal(
      out(3, (w) => w.boolean(true)),
      "#t\r\n",
    );
    assert.equal(
      out(3, (w) => w.boolean(false)),
      "#f\r\n",
    );
  });

  it("writes verbatim strings", () => {
    // redis: DEBUG PROTOCOL verbatim -> RESP3 "=29\r\ntxt:This is a verbatim\nstring\r\n", RESP2 "$25\r\n...".
    const text = "This is a verbatim\nstring";
    assert.equal(
      out(3, (w) => w.verbatim(text)),
      `=29\r\ntxt:${text}\r\n`,
    );
    assert.equal(
      out(2, (w) => w.verbatim(text)),
      `$25\r\n${text}\r\n`,
    );
    assert.equal(
      out(3, (w) => w.verbatim("# x", "mkd")),
      "=7\r\nmkd:# x\r\n",
    );
    const w = new ReplyWriter();
    w.proto = 3;
    w.verbatim("ключ");
    assert.deepEqual(w.take(), Buffer.from("=12\r\ntxt:ключ\r\n", "utf8"));
    w.proto = 2;
    w.verbatim("ключ");
    assert.deepEqual(w.take(), Buffer.from("$8\r\nключ\r\n", "utf8"));
  });

  it("writes big numbers", () => {
    // redis: DEBUG PROTOCOL bignum.
    const n = "1234567999999999999999999999999999999";
    assert.equal(
      out(3, (w) => w.bigNumber(n)),
      `(${n}\r\n`,
    );
    assert.equal(
      out(2, (w) => w.bigNumber(n)),
      `$37\r\n${n}\r\n`,
    );
  });

  it("appends raw bytes", () => {
    assert.equal(
      both((w) => w.raw(Buffer.from("+QUEUED\r\n"))),
      "+QUEUED\r\n",
    );
    const long = Buffer.alloc(100, 0x61);
    assert.equal(
      both((w) => w.raw(long)),
      "a".repeat(100),
    );
  });
});

describe("ReplyWriter buffers", () => {
  it("returns null when nothing is pending, and tracks length", () => {
    const w = new ReplyWriter();
    assert.equal(w.take(), null);
    assert.equal(w.length, 0);
    w.ok();
    assert.equal(w.length, 5);
    w.integer(42);
    assert.equal(w.length, 10);
    assert.equal(w.take()!.length, 10);
    assert.equal(w.length, 0);
    assert.equal(w.take(), null);
  });

  it("discards only the pending bytes on reset", () => {
    const w = new ReplyWriter();
    w.ok();
    const first = w.take()!;
    w.simple("QUEUED");
    w.reset();
    assert.equal(w.length, 0);
    w.integer(1);
    assert.equal(w.take()!.toString(), ":1\r\n");
    assert.equal(first.toString(), "+OK\r\n");
  });

  it("never overwrites a taken buffer", () => {
    const w = new ReplyWriter(256);
    w.bulkString("first");
    const a = w.take()!;
    w.bulkString("second");
    w.integer(7);
    const b = w.take()!;
    assert.equal(a.toString(), "$5\r\nfirst\r\n");
    assert.equal(b.toString(), "$6\r\nsecond\r\n:7\r\n");
    // Many replies across many slabs: every taken buffer keeps its bytes.
    const r = rng(11);
    const taken: [Buffer, string][] = [];
    for (let i = 0; i < 5000; i++) {
      let expect = "";
      const replies = 1 + Math.floor(r() * 4);
      for (let j = 0; j < replies; j++) {
        const s = "v".repeat(Math.floor(r() * (r() < 0.05 ? 2000 : 60))) + i;
        w.bulkString(s);
        expect += `$${s.length}\r\n${s}\r\n`;
      }
      if (r() < 0.1) {
        w.simple("discarded");
        w.reset();
        w.integer(i);
        expect = `:${i}\r\n`;
      }
      taken.push([w.take()!, expect]);
    }
    for (const [buf, expect] of taken) assert.equal(buf.toString("latin1"), expect);
  });

  it("builds a reply larger than a slab piece by piece", () => {
    const w = new ReplyWriter(1024);
    w.ok();
    const before = w.take()!;
    let expect = "*10000\r\n";
    w.arrayHeader(10000);
    for (let i = 0; i < 10000; i++) {
      w.bulkString(`member:${i}`);
      expect += `$${`member:${i}`.length}\r\nmember:${i}\r\n`;
    }
    const big = w.take()!;
    assert.equal(big.toString(), expect);
    w.ok();
    const after = w.take()!;
    assert.notEqual(after.buffer, big.buffer, "a large reply's buffer is not reused");
    assert.equal(before.toString(), "+OK\r\n");
    assert.equal(big.toString(), expect);
  });

  it("writes a 10 MB bulk", () => {
    const w = new ReplyWriter();
    w.simple("before");
    const data = Buffer.alloc(10 * 1024 * 1024);
    for (let i = 0; i < data.length; i += 997) data[i] = i & 0xff;
    w.bulk(data);
    w.ok();
    const buf = w.take()!;
    const head = "+before\r\n$10485760\r\n";
    assert.equal(buf.length, head.length + data.length + 2 + 5);
    assert.equal(buf.toString("latin1", 0, head.length), head);
    assert.ok(buf.subarray(head.length, head.length + data.length).equals(data));
    assert.equal(buf.toString("latin1", head.length + data.length), "\r\n+OK\r\n");
    w.bulkString("y".repeat(3 * 1024 * 1024));
    const second = w.take()!;
    assert.equal(second.length, 3 * 1024 * 1024 + 12);
    assert.ok(buf.subarray(head.length, head.length + data.length).equals(data));
  });
});

describe("formatDouble", () => {
  // Each value's ZSCORE reply from redis-server 7.0.15 (RESP3 ZSCORE gave the same text after ",").
  const confirmed: [number, string][] = [
    [0.1, "0.10000000000000001"],
    [1e300, "1.0000000000000001e+300"],
    [3.0, "3"],
    [-0, "-0"],
    [1.5e-7, "1.4999999999999999e-07"],
    [Number.POSITIVE_INFINITY, "inf"],
    [Number.NEGATIVE_INFINITY, "-inf"],
    [1 + 2 ** -17, "1.0000076293945312"], // 1.00000762939453125, a tie at 17 digits: glibc rounds to even
    [72057594037927936, "72057594037927936"],
    [1e17, "1e+17"],
    [1e16, "10000000000000000"],
    [123456789012345680, "1.2345678901234568e+17"],
    [0.0001, "0.0001"],
    [1e-5, "1.0000000000000001e-05"],
    [2.5, "2.5"],
    [-1.5e-300, "-1.5000000000000001e-300"],
    [5e-324, "4.9406564584124654e-324"],
    [1.7976931348623157e308, "1.7976931348623157e+308"],
    [0.3, "0.29999999999999999"],
    [100.1, "100.09999999999999"],
    [1e21, "1e+21"],
    [1e22, "1e+22"],
    [12345.6789, "12345.678900000001"],
    [-1e-320, "-9.9998886718268301e-321"],
    [3141 / 1000, "3.141"],
  ];
  for (const [x, s] of confirmed) {
    it(`formats ${x} as ${s}`, () => assert.equal(formatDouble(x), s));
  }

  it("prints nan as nan", () => assert.equal(formatDouble(Number.NaN), "nan"));

  it("rounds every 17-digit tie to even", () => {
    // x = m / 2^k whose exact expansion has 18 digits ending in 5.
    const r = rng(5);
    for (let i = 0; i < 300; i++) {
      const k = 1 + Math.floor(r() * 25);
      const p5 = 5n ** BigInt(k);
      const lo = (10n ** 17n + p5 - 1n) / p5;
      const hi = 10n ** 18n / p5;
      if (hi <= lo) continue;
      let m = lo + ((BigInt(Math.floor(r() * 2 ** 31)) * BigInt(Math.floor(r() * 2 ** 31))) % (hi - lo));
      if (m % 2n === 0n) m += 1n;
      if (m >= 2n ** 53n) continue;
      const x = Number(m) / 2 ** k;
      const exact = (m * p5).toString(); // x * 10^k, 18 digits ending in 5
      let q = BigInt(exact.slice(0, 17));
      if (q % 2n === 1n) q += 1n;
      const digits = q.toString().replace(/0+$/, "");
      assert.equal(
        formatDouble(x)
          .replace(/^0\.0*/, "")
          .replace(".", "")
          .replace(/e.*$/, ""),
        digits,
        `${x}`,
      );
    }
  });
});

describe("long double human format (INCRBYFLOAT)", () => {
  // [stored value, increment, redis-server 7.0.15's INCRBYFLOAT reply]
  const confirmed: [string, string, string][] = [
    ["10.5", "0.1", "10.6"],
    ["0", "5.0e3", "5000"],
    ["0", "1e-20", "0"],
    ["0.1", "0.2", "0.3"],
    ["1", "-1.1", "-0.1"],
    ["0", "0.1", "0.1"],
    ["1000", "0.1", "1000.09999999999999998"],
    ["1000.1", "0", "1000.09999999999999998"],
    ["17179869184", "1.1", "17179869185.09999999962747097"],
    ["17179869184", "1.5", "17179869185.5"],
    [
      "0",
      "1e300",
      "1000000000000000000008997324079559193870523944273290747938260082321265646596180935755849152083750497190350372508614274835903592556184672983913096260520748646287327135641843653294084255107606016789726652932370030551382947620994540294772781889620606179267611627097410650567187386105690089424915104006144",
    ],
    [
      "0",
      "1.5e308",
      "149999999999999999999901476489468468031016840965060944967133685421180106066691046036756664728216022031902928370522024964340854582506645209487860806577896175175227643677561112877760303256738896516844124921428435196017215141331511736789270744288327321353040504243421434090049846615188904452633296864511849922560",
    ],
    ["0", "1.2345678901234567", "1.2345678901234567"],
    ["0", "100.1", "100.1"],
    ["0", "123456.789", "123456.78900000000000148"],
    ["0", "1e17", "100000000000000000"],
    ["0", "1e20", "100000000000000000000"],
    ["0", "1e-17", "0.00000000000000001"],
    ["0", "5e-18", "0"],
    ["0", "6e-18", "0.00000000000000001"],
    ["0", "-1e-20", "0"],
    ["0", "3.0", "3"],
    ["0", "1700000000000.123", "1700000000000.12300002574920654"],
    ["0", "0.3", "0.3"],
    ["0.30000000000000004", "0", "0.30000000000000004"],
    ["0", "1e-7", "0.0000001"],
    ["0", "123e-9", "0.000000123"],
    ["0", "9007199254740993", "9007199254740993"],
    ["0", "-0.0", "0"],
  ];
  for (const [a, b, s] of confirmed) {
    it(`${a} + ${b} = ${s}`, () => assert.equal(addLongDoubleHuman(a, b), s));
  }

  it("accumulates ten increments of 0.1 to 1, as redis does", () => {
    let v = "0";
    for (let i = 0; i < 10; i++) v = addLongDoubleHuman(v, "0.1")!;
    assert.equal(v, "1");
  });

  it("reports what it does not emulate, and overflow", () => {
    assert.equal(addLongDoubleHuman("0x10", "1"), undefined);
    assert.equal(addLongDoubleHuman("inf", "1"), undefined);
    assert.equal(addLongDoubleHuman("abc", "1"), undefined);
    assert.equal(addLongDoubleHuman("1", ""), undefined);
    assert.equal(addLongDoubleHuman("1e5000", "1"), undefined);
    assert.equal(addLongDoubleHuman("1e-5000", "1"), undefined);
    assert.equal(addLongDoubleHuman("1e4932", "1e4932"), "inf");
    assert.equal(addLongDoubleHuman("-1e4932", "-1e4932"), "-inf");
    // Past double range but within long double range, which redis accepts.
    assert.equal(addLongDoubleHuman("1e308", "1e308")!.length, 309);
    assert.equal(addLongDoubleHuman("+.5", "1."), "1.5");
  });

  it("formats a number as redis formats its shortest decimal text", () => {
    assert.equal(formatDoubleHuman(10.6), "10.6");
    assert.equal(formatDoubleHuman(5000), "5000");
    assert.equal(formatDoubleHuman(1e-20), "0");
    assert.equal(formatDoubleHuman(-1e-20), "0");
    assert.equal(formatDoubleHuman(-0), "0");
    assert.equal(formatDoubleHuman(1000.1), "1000.09999999999999998");
    assert.equal(formatDoubleHuman(1e300), confirmed[10]![2]);
    assert.equal(formatDoubleHuman(-2.5), "-2.5");
    assert.equal(formatDoubleHuman(1e-7), "0.0000001");
    assert.equal(formatDoubleHuman(Number.POSITIVE_INFINITY), "inf");
    assert.equal(formatDoubleHuman(Number.NEGATIVE_INFINITY), "-inf");
    // The documented difference: a double sum's binary error shows; redis (long double) says "0.3".
    assert.equal(formatDoubleHuman(0.1 + 0.2), "0.30000000000000004");
  });
});
