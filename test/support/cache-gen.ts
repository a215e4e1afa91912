// The seeded random command generator of the cache face's differential test
// (test/cache-diff.test.ts): sequences of commands over a small binary-safe keyspace, mixing valid
// commands with wrong types, wrong arities, bad numbers and bad options, each tagged with how its
// reply is compared (see Norm and the intended differences listed in cache-diff.test.ts).
//
// Expiry: only long TTLs, drawn from pools whose members are at least 50,000 s apart, so no
// comparison (EXPIREAT GT/LT, TTL) depends on the few seconds between the two servers' clocks; GT/LT
// only with absolute times (two equal relative ones differ by whether a millisecond passed); past
// times (which delete the key at once) are deterministic too. Small positive TTLs never appear,
// not even from an argument appended for an arity error.

import { Rng } from "./rng.js";

/** How a reply is compared. */
export type Norm =
  | { kind: "exact" }
  /** Order is unspecified: sort a set/array's elements, or a map's / flat array's pairs. */
  | { kind: "unordered"; pairs: boolean }
  /** Random content: compare only the frame types and lengths of aggregates. */
  | { kind: "shape" }
  /** TTL-like integers: equal when within tol of each other (both non-negative). */
  | { kind: "ttl"; tol: number }
  /** Not compared (reply contents differ by design, e.g. HELLO's client id). */
  | { kind: "ignore" }
  /** Errors compared exactly; any other reply accepted (a SCAN page from an odd cursor). */
  | { kind: "errors-only" }
  /** EXEC: the reply array's elements compared with the queued commands' norms. */
  | { kind: "exec"; inner: Norm[] }
  /**
   * Exact when Redis holds the key in a compact encoding whose order is defined (listpack hashes:
   * insertion order; intsets: ascending), else unordered. The runner asks Redis for OBJECT ENCODING.
   */
  | { kind: "order-probe"; key: string; pairs: boolean };

export interface GenCmd {
  /** Arguments as latin1 byte strings (one char per byte). */
  args: string[];
  norm: Norm;
  /** The keys it touches (for shrinking a failing sequence). */
  keys: string[];
  /** Touches connection or database state beyond its keys (SELECT, MULTI, FLUSHDB ...): never dropped first. */
  global?: boolean;
  /** A full SCAN/HSCAN/SSCAN/ZSCAN iteration: the runner follows the cursor and compares the union. */
  scan?: { cursorArg: number; pairs: boolean };
}

export const FAMILIES = ["strings", "keys", "hashes", "lists", "sets", "zsets", "tx", "all"] as const;
export type Family = (typeof FAMILIES)[number];

const EXACT: Norm = { kind: "exact" };
const SHAPE: Norm = { kind: "shape" };
const ERRORS_ONLY: Norm = { kind: "errors-only" };
const UNORDERED: Norm = { kind: "unordered", pairs: false };
const UNORDERED_PAIRS: Norm = { kind: "unordered", pairs: true };

type KeyFamily = "strings" | "hashes" | "lists" | "sets" | "zsets" | "any";

const KEYSPACE: [string, KeyFamily][] = [
  ["str:a", "strings"],
  ["str:b", "strings"],
  ["str:c", "strings"],
  ["str:\r\n", "strings"],
  ["str:\0\xff", "strings"],
  ["", "strings"],
  ["hash:a", "hashes"],
  ["hash:b", "hashes"],
  ["hash:c", "hashes"],
  ["hash:\n", "hashes"],
  ["list:a", "lists"],
  ["list:b", "lists"],
  ["list:c", "lists"],
  ["list:\0", "lists"],
  ["set:a", "sets"],
  ["set:b", "sets"],
  ["set:int", "sets"],
  ["set:int2", "sets"],
  ["set: ", "sets"],
  ["zset:a", "zsets"],
  ["zset:b", "zsets"],
  ["zset:c", "zsets"],
  ["zset:\r", "zsets"],
  ["any:1", "any"],
  ["any:2", "any"],
  ["any:3", "any"],
  ["{x}y", "any"],
  ["\xe2\x82\xac", "any"],
  ["k with space", "any"],
  ["*?[", "any"],
];

const PATTERNS = [
  "*",
  "str:*",
  "*a",
  "?et:*",
  "[sz]*",
  "*\\**",
  "h*:[a-b]",
  "\xe2*",
  "",
  "*:\r*",
  "any:[^2]",
  "[",
  "\\",
];

const STR_VALUES = [
  "",
  "a",
  "hello",
  "0",
  "1",
  "-1",
  "42",
  "007",
  "+5",
  " 5",
  "1e3",
  "3.14",
  "-0",
  "0.1",
  "10.5",
  "9223372036854775807",
  "-9223372036854775808",
  "9223372036854775806",
  "-9223372036854775807",
  "9223372036854775808",
  "inf",
  "nan",
  "\r\n",
  "a\0b",
  "\xff\xfe\x00",
  "x".repeat(65),
  "yz".repeat(70),
  "\xe2\x82\xac",
];

const INTS = [
  "0",
  "1",
  "-1",
  "5",
  "-7",
  "100",
  "9223372036854775807",
  "-9223372036854775808",
  "9223372036854775806",
  "4611686018427387904",
  "abc",
  "1.5",
  "",
  " 1",
  "01",
  "+1",
  "99999999999999999999",
  "-9223372036854775809",
];

const FLOATS = [
  "0",
  "1",
  "0.1",
  "-0.1",
  "1.5",
  "-2.5",
  "1e308",
  "-1e308",
  "1e-320",
  "3",
  "5.0e3",
  "inf",
  "-inf",
  "+inf",
  "nan",
  "abc",
  "",
  "0x10",
  " 1",
  "1.7976931348623157e308",
  "2.5e-5",
  "100000000000000000000",
  "0.30000000000000004",
];

const SMALL_IDX = ["0", "1", "2", "-1", "-2", "3", "5", "-5", "10", "-100", "100"];
const ODD_IDX = ["9223372036854775807", "-9223372036854775808", "a", "1.5", "", "99999999999999999999"];
/** A count larger than any collection here: SPOP/SRANDMEMBER/HRANDFIELD then return everything (no randomness). */
const EVERYTHING = "100000";
const COUNTS = ["0", "1", "2", "3", "5", "10", "-1", "-3", "a", "1000", "-1000"];

const FIELDS = ["f1", "f2", "f3", "f4", "f5", "", "\0", "\r\n", "field-".padEnd(70, "z"), "1", "2", "\xff"];
const SET_MEMBERS = [
  "1",
  "2",
  "3",
  "10",
  "-5",
  "0",
  "a",
  "b",
  "c",
  "",
  "\0",
  "\r\n",
  "9223372036854775807",
  "-9223372036854775808",
  "m".repeat(70),
  "007",
  "1.0",
];
const INT_MEMBERS = ["1", "2", "3", "10", "-5", "0", "100", "65536", "-2147483649", "9223372036854775807"];
const Z_MEMBERS = ["a", "b", "c", "d", "e", "f", "", "\0", "\xff", "aa", "ab", "b\0", "z".repeat(70)];
const SCORES_OK = ["0", "1", "2", "-1", "1.5", "-2.5", "3", "10", "1e308", "-1e308", "+inf", "-inf", "1e-300", "7"];
const SCORES_BAD = ["inf", "nan", "abc", "", "(1", "0x10", "100000000000000000000", " 1"];
const SCORE_BOUNDS = ["-inf", "+inf", "0", "1", "(1", "2", "(2", "-1", "1.5", "(1.5", "abc", "(", "inf", "3", "(-inf"];
const LEX_BOUNDS = ["-", "+", "[a", "(a", "[b", "(c", "[", "(", "[\0", "(\xff", "[aa", "[z", "(b\0"];
const BAD_LEX_BOUNDS = ["a", "-inf", "", "x", "+inf"];
/**
 * Sorted sets whose scores are all 0: the only keys lex-range commands read with valid bounds
 * (on mixed scores their result is unspecified, and Redis's own depends on its skiplist's random
 * levels). Nothing else writes them, and they are not in KEYSPACE, so no RENAME/COPY reaches them.
 */
const ZLEX_KEYS = ["zlex:a", "zlex:b"];

// Expiry pools: every relative duration and absolute time is at least 50,000 s from every other.
const REL_SECONDS = ["100000", "200000", "400000"];
const REL_MS = ["150000500", "350000500"];
const PAST_SECONDS = ["-10", "0", "-1"];
const BAD_TIMES = ["9223372036854775807", "abc", "", "1.5", "-9223372036854775808", "99999999999999999999"];

export class CommandGenerator {
  private readonly rng: Rng;
  private readonly absSeconds: string[];
  private readonly absMs: string[];
  /** Inside MULTI: the norms of queued commands, or null. */
  private multi: Norm[] | null = null;

  constructor(
    seed: number,
    readonly family: Family,
    nowMs: number,
  ) {
    this.rng = new Rng(seed);
    const nowS = Math.floor(nowMs / 1000);
    this.absSeconds = [String(nowS + 250000), String(nowS + 500000), String(nowS + 900000)];
    this.absMs = [String(nowS * 1000 + 450000123), String(nowS * 1000 + 700000007)];
  }

  /** n commands; every MULTI is closed by the end. */
  generate(n: number): GenCmd[] {
    const out: GenCmd[] = [];
    while (out.length < n) {
      const fam = this.family === "all" ? this.rng.pick(ALL_SUBFAMILIES) : this.family;
      if (fam === "tx" || (this.family !== "tx" && this.rng.chance(0.01))) out.push(...this.transaction());
      else out.push(this.one(fam));
    }
    return out;
  }

  // ---- picking arguments ----

  private key(fam: KeyFamily): string {
    const r = this.rng;
    if (fam !== "any" && r.chance(0.75)) {
      const own = KEYSPACE.filter(([, f]) => f === fam);
      return r.pick(own)[0];
    }
    return r.pick(KEYSPACE)[0];
  }

  private keys(fam: KeyFamily, min: number, max: number): string[] {
    const n = this.rng.int(min, max);
    return Array.from({ length: n }, () => this.key(fam));
  }

  private value(): string {
    const r = this.rng;
    if (r.chance(0.1)) return String.fromCharCode(...r.bytes(r.int(0, 20)));
    return r.pick(STR_VALUES);
  }

  private int(): string {
    return this.rng.chance(0.7) ? this.rng.pick(INTS.slice(0, 7)) : this.rng.pick(INTS);
  }

  private float(): string {
    return this.rng.chance(0.6) ? this.rng.pick(FLOATS.slice(0, 11)) : this.rng.pick(FLOATS);
  }

  private idx(): string {
    return this.rng.chance(0.9) ? this.rng.pick(SMALL_IDX) : this.rng.pick(ODD_IDX);
  }

  private score(): string {
    return this.rng.chance(0.9) ? this.rng.pick(SCORES_OK) : this.rng.pick(SCORES_BAD);
  }

  private relSeconds(): string {
    const r = this.rng.int(0, 9);
    if (r < 7) return this.rng.pick(REL_SECONDS);
    if (r < 9) return this.rng.pick(PAST_SECONDS);
    return this.rng.pick(BAD_TIMES);
  }

  private relMs(): string {
    const r = this.rng.int(0, 9);
    if (r < 7) return this.rng.pick(REL_MS);
    if (r < 9) return this.rng.pick(PAST_SECONDS);
    return this.rng.pick(BAD_TIMES);
  }

  /**
   * An absolute time. `past` allows a time in the past, which EXPIREAT/GETEX act on at once; SET
   * stores the key and leaves it to expire lazily or by the active cycle, at a moment neither
   * server controls (DBSIZE would race), so SET only gets the invalid ones (0, -5).
   */
  private absSec(past = true): string {
    const r = this.rng.int(0, 9);
    if (r < 7) return this.rng.pick(this.absSeconds);
    if (r < 9) return this.rng.pick(past ? ["1", "0", "-5"] : ["0", "0", "-5"]);
    return this.rng.pick(BAD_TIMES);
  }

  private absMsTime(past = true): string {
    const r = this.rng.int(0, 9);
    if (r < 7) return this.rng.pick(this.absMs);
    if (r < 9) return this.rng.pick(past ? ["1000", "0", "-5"] : ["0", "0", "-5"]);
    return this.rng.pick(BAD_TIMES);
  }

  /** Drops or duplicates an argument now and then, for arity errors. */
  private mangle(args: string[]): string[] {
    const r = this.rng;
    if (!r.chance(0.04) || args.length < 1) return args;
    if (r.chance(0.5) && args.length > 1) return args.slice(0, r.int(1, args.length - 1));
    // Never a big negative number (SRANDMEMBER k -9223372036854775807 makes Redis build a huge reply) nor a
    // small positive one (SET k v PX 1 would expire during the run).
    return [...args, r.pick(["x", "0", "-1", "", "\r\n"])];
  }

  private cmd(args: string[], keys: string[], norm: Norm = EXACT, extra: Partial<GenCmd> = {}): GenCmd {
    // Only exactly compared commands get a wrong arity: cutting "SPOP k 1000" or "HRANDFIELD k 5 WITHVALUES"
    // short would make the reply random (or change what the norm expects).
    const mangle = norm.kind === "exact" || norm.kind === "errors-only";
    return { args: mangle ? this.mangle(args) : args, norm, keys, ...extra };
  }

  /** A command whose arity must stay as generated (a blocking command outside MULTI could block). */
  private exactArity(args: string[], keys: string[]): GenCmd {
    return { args, norm: EXACT, keys };
  }

  // ---- families ----

  private one(fam: Family | "misc"): GenCmd {
    switch (fam) {
      case "strings":
        return this.strings();
      case "keys":
        return this.keyCommands();
      case "hashes":
        return this.hashes();
      case "lists":
        return this.lists(false);
      case "sets":
        return this.sets();
      case "zsets":
        return this.zsets();
      default:
        return this.misc();
    }
  }

  private strings(): GenCmd {
    const r = this.rng;
    const k = this.key("strings");
    switch (r.int(0, 26)) {
      case 0:
      case 1:
        return this.cmd(["GET", k], [k]);
      case 2:
      case 3:
      case 4: {
        const args = ["SET", k, this.value()];
        const opts: string[][] = [];
        if (r.chance(0.3)) opts.push([r.pick(["NX", "XX", "nx", "xx"])]);
        if (r.chance(0.2)) opts.push(["GET"]);
        if (r.chance(0.3)) {
          const which = r.int(0, 5);
          if (which === 0) opts.push(["EX", this.relSeconds()]);
          else if (which === 1) opts.push(["PX", this.relMs()]);
          else if (which === 2) opts.push(["EXAT", this.absSec(false)]);
          else if (which === 3) opts.push(["PXAT", this.absMsTime(false)]);
          else if (which === 4) opts.push(["KEEPTTL"]);
          else opts.push([r.pick(["EX", "PX", "FOO", "PERSIST"])]);
        }
        if (r.chance(0.05)) opts.push([r.pick(["NX", "XX", "EX", "KEEPTTL", "GET"]), ...(r.chance(0.5) ? ["10"] : [])]);
        for (const o of r.shuffle(opts)) args.push(...o);
        return this.cmd(args, [k]);
      }
      case 5:
        return this.cmd(["SETNX", k, this.value()], [k]);
      case 6:
        return this.cmd(["SETEX", k, this.relSeconds(), this.value()], [k]);
      case 7:
        return this.cmd(["PSETEX", k, this.relMs(), this.value()], [k]);
      case 8:
        return this.cmd(["GETSET", k, this.value()], [k]);
      case 9:
        return this.cmd(["GETDEL", k], [k]);
      case 10: {
        const args = ["GETEX", k];
        const w = r.int(0, 6);
        if (w === 0) args.push("EX", this.relSeconds());
        else if (w === 1) args.push("PX", this.relMs());
        else if (w === 2) args.push("EXAT", this.absSec());
        else if (w === 3) args.push("PXAT", this.absMsTime());
        else if (w === 4) args.push("PERSIST");
        else if (w === 5) args.push(r.pick(["EX", "PERSIST", "KEEPTTL", "FOO"]), ...(r.chance(0.5) ? ["5"] : []));
        return this.cmd(args, [k]);
      }
      case 11: {
        const ks = this.keys("strings", 1, 5);
        return this.cmd(["MGET", ...ks], ks);
      }
      case 12:
      case 13: {
        const ks = this.keys("strings", 1, 4);
        const args = [r.chance(0.8) ? "MSET" : "MSETNX"];
        for (const kk of ks) args.push(kk, this.value());
        if (r.chance(0.05)) args.push(this.key("any"));
        return this.cmd(args, ks);
      }
      case 14:
        return this.cmd(["APPEND", k, this.value()], [k]);
      case 15:
        return this.cmd(["STRLEN", k], [k]);
      case 16:
        return this.cmd([r.chance(0.8) ? "GETRANGE" : "SUBSTR", k, this.idx(), this.idx()], [k]);
      case 17: {
        const off = r.chance(0.9)
          ? r.pick(["0", "1", "3", "10", "100"])
          : r.pick(["-1", "a", "536870912", "536870911", "9223372036854775807"]);
        // A non-empty value at offset 536870911 would make Redis allocate 512 MB: use "" there.
        const v = off.startsWith("5368709") ? (off === "536870911" ? "" : "x") : this.value();
        return this.cmd(["SETRANGE", k, off, v], [k]);
      }
      case 18:
      case 19:
        return this.cmd([r.pick(["INCR", "DECR"]), k], [k]);
      case 20:
      case 21:
        return this.cmd([r.pick(["INCRBY", "DECRBY"]), k, this.int()], [k]);
      case 22:
      case 23:
        return this.cmd(["INCRBYFLOAT", k, this.float()], [k]);
      case 24:
        return this.cmd(["SET", k, r.pick(INTS)], [k]);
      case 25:
        return this.cmd(["SET", k, r.pick(FLOATS)], [k]);
      default:
        return this.keyCommands();
    }
  }

  private keyCommands(): GenCmd {
    const r = this.rng;
    const k = this.key("any");
    switch (r.int(0, 33)) {
      case 0:
      case 1: {
        const ks = this.keys("any", 1, 3);
        return this.cmd([r.pick(["DEL", "UNLINK"]), ...ks], ks);
      }
      case 2:
      case 3: {
        const ks = this.keys("any", 1, 4);
        return this.cmd(["EXISTS", ...ks], ks);
      }
      case 4:
      case 5:
        return this.cmd(["TYPE", k], [k]);
      case 6: {
        const k2 = this.key("any");
        return this.cmd([r.pick(["RENAME", "RENAMENX"]), k, k2], [k, k2]);
      }
      case 7: {
        const ks = this.keys("any", 1, 3);
        return this.cmd(["TOUCH", ...ks], ks);
      }
      case 8:
        return this.cmd(["RANDOMKEY"], [], SHAPE, { global: true });
      case 9: {
        const k2 = this.key("any");
        const args = ["COPY", k, k2];
        if (r.chance(0.3)) args.push("DB", r.pick(["0", "1", "1", "16", "-1", "a"]));
        if (r.chance(0.4)) args.push("REPLACE");
        if (r.chance(0.05)) args.push("FOO");
        return this.cmd(args, [k, k2], EXACT, { global: args.includes("DB") });
      }
      case 10:
        return this.cmd(["MOVE", k, r.pick(["1", "1", "0", "16", "a"])], [k], EXACT, { global: true });
      case 11:
        return this.cmd(["KEYS", r.pick(PATTERNS)], [], UNORDERED, { global: true });
      case 12: {
        const args = ["SCAN", "0"];
        if (r.chance(0.5)) args.push("MATCH", r.pick(PATTERNS));
        if (r.chance(0.5)) args.push("COUNT", r.pick(["1", "3", "10", "100"]));
        if (r.chance(0.3)) args.push("TYPE", r.pick(["string", "list", "set", "zset", "hash", "stream", "nosuch"]));
        return { args, norm: UNORDERED, keys: [], global: true, scan: { cursorArg: 1, pairs: false } };
      }
      case 13:
        return this.cmd(["SCAN", r.pick(["abc", "18446744073709551616", "", "1.5"]), "COUNT", "10"], [], ERRORS_ONLY);
      case 14:
        return this.cmd(
          ["SCAN", "0", r.pick(["COUNT", "MATCH", "TYPE", "FOO"]), r.pick(["0", "-1", "a", ""])],
          [],
          ERRORS_ONLY,
        );
      case 15:
      case 16:
      case 17: {
        const cmd = r.pick(["EXPIRE", "PEXPIRE", "EXPIREAT", "PEXPIREAT"]);
        const t =
          cmd === "EXPIRE"
            ? this.relSeconds()
            : cmd === "PEXPIRE"
              ? this.relMs()
              : cmd === "EXPIREAT"
                ? this.absSec()
                : this.absMsTime();
        const args = [cmd, k, t];
        // GT/LT compare expiry times: only with absolute times. A relative one compared with an
        // expiry set from the same relative value would depend on whether a millisecond passed.
        const relative = cmd === "EXPIRE" || cmd === "PEXPIRE";
        const opts = relative ? ["NX", "XX", "nx", "FOO"] : ["NX", "XX", "GT", "LT", "gt", "FOO"];
        if (r.chance(0.4)) args.push(r.pick(opts));
        if (r.chance(0.05)) args.push(r.pick(relative ? ["NX", "XX"] : ["NX", "XX", "GT", "LT"]));
        return this.cmd(args, [k]);
      }
      case 18:
      case 19:
        return this.cmd(["TTL", k], [k], { kind: "ttl", tol: 3 });
      case 20:
        return this.cmd(["PTTL", k], [k], { kind: "ttl", tol: 3000 });
      case 21:
        return this.cmd(["EXPIRETIME", k], [k], { kind: "ttl", tol: 3 });
      case 22:
        return this.cmd(["PEXPIRETIME", k], [k], { kind: "ttl", tol: 3000 });
      case 23:
        return this.cmd(["PERSIST", k], [k]);
      case 24:
        return this.cmd(["DBSIZE"], [], EXACT, { global: true });
      case 25:
        return this.cmd(["SELECT", r.pick(["0", "1", "0", "1", "16", "-1", "a"])], [], EXACT, { global: true });
      case 26:
        return r.chance(0.3)
          ? this.cmd(["SWAPDB", r.pick(["0", "1"]), r.pick(["1", "0", "16", "a"])], [], EXACT, { global: true })
          : this.cmd(["DBSIZE"], [], EXACT, { global: true });
      case 27:
        return r.chance(0.1)
          ? this.cmd(["FLUSHDB", ...(r.chance(0.5) ? [r.pick(["ASYNC", "SYNC", "FOO"])] : [])], [], EXACT, {
              global: true,
            })
          : this.cmd(["EXISTS", k], [k]);
      case 28:
        return this.cmd(["OBJECT", "ENCODING", k], [k], SHAPE);
      case 29:
        return this.cmd(["OBJECT", r.pick(["REFCOUNT", "IDLETIME"]), k], [k], SHAPE);
      case 30:
        return this.cmd(["OBJECT", "FREQ", k], [k]);
      case 31:
        return this.cmd(["MEMORY", "USAGE", k], [k], SHAPE);
      case 32:
        return this.cmd(["OBJECT", r.pick(["FOO", "encoding"]), ...(r.chance(0.5) ? [k] : [])], [k], SHAPE);
      default:
        return this.cmd(["TYPE", k], [k]);
    }
  }

  private hashes(): GenCmd {
    const r = this.rng;
    const k = this.key("hashes");
    const f = () => r.pick(FIELDS);
    switch (r.int(0, 22)) {
      case 0:
      case 1:
      case 2: {
        const args = [r.chance(0.8) ? "HSET" : "HMSET", k];
        const n = r.int(1, 4);
        for (let i = 0; i < n; i++) args.push(f(), this.value());
        return this.cmd(args, [k]);
      }
      case 3:
        return this.cmd(["HSETNX", k, f(), this.value()], [k]);
      case 4:
      case 5:
        return this.cmd(["HGET", k, f()], [k]);
      case 6:
        return this.cmd(["HMGET", k, ...Array.from({ length: r.int(1, 4) }, f)], [k]);
      case 7:
        return this.cmd(["HGETALL", k], [k], { kind: "order-probe", key: k, pairs: true });
      case 8:
        return this.cmd([r.pick(["HKEYS", "HVALS"]), k], [k], { kind: "order-probe", key: k, pairs: false });
      case 9:
        return this.cmd(["HLEN", k], [k]);
      case 10:
        return this.cmd(["HEXISTS", k, f()], [k]);
      case 11:
      case 12:
        return this.cmd(["HDEL", k, ...Array.from({ length: r.int(1, 3) }, f)], [k]);
      case 13:
      case 14:
        return this.cmd(["HINCRBY", k, f(), this.int()], [k]);
      case 15:
        return this.cmd(["HINCRBYFLOAT", k, f(), this.float()], [k]);
      case 16:
        return this.cmd(["HSTRLEN", k, f()], [k]);
      case 17: {
        if (r.chance(0.3)) return this.cmd(["HRANDFIELD", k], [k], SHAPE);
        const big = r.chance(0.4);
        const count = big ? EVERYTHING : r.pick(COUNTS);
        const withValues = r.chance(0.5);
        const args = ["HRANDFIELD", k, count, ...(withValues ? ["WITHVALUES"] : [])];
        return this.cmd(args, [k], big ? { kind: "unordered", pairs: withValues } : SHAPE);
      }
      case 18: {
        const args = ["HSCAN", k, "0"];
        if (r.chance(0.4)) args.push("MATCH", r.pick(["*", "f*", "*1", "", "[f]?"]));
        if (r.chance(0.4)) args.push("COUNT", r.pick(["1", "2", "10"]));
        return { args, norm: UNORDERED_PAIRS, keys: [k], scan: { cursorArg: 2, pairs: true } };
      }
      case 19:
        return this.cmd(
          ["HSCAN", k, r.pick(["x", "18446744073709551616"]), ...(r.chance(0.5) ? ["COUNT", "0"] : [])],
          [k],
          ERRORS_ONLY,
        );
      case 20:
        return this.cmd(["HSET", k, f(), "1".repeat(r.int(1, 3))], [k]);
      case 21: {
        // Grow past Redis's listpack limit (128 fields) now and then.
        const args = ["HSET", k];
        for (let i = r.int(20, 90); i > 0; i--) args.push(`g${r.int(0, 199)}`, String(r.int(0, 99)));
        return this.cmd(args, [k]);
      }
      default:
        return this.cmd(["HGET", k, f()], [k]);
    }
  }

  /** List commands; the blocking ones only inside MULTI (where they never block). */
  private lists(inMulti: boolean): GenCmd {
    const r = this.rng;
    const k = this.key("lists");
    const v = () => (r.chance(0.7) ? r.pick(["a", "b", "c", "1", "2", "x"]) : this.value());
    switch (r.int(0, 24)) {
      case 0:
      case 1:
      case 2:
        return this.cmd([r.pick(["LPUSH", "RPUSH"]), k, ...Array.from({ length: r.int(1, 4) }, v)], [k]);
      case 3:
        return this.cmd([r.pick(["LPUSHX", "RPUSHX"]), k, ...Array.from({ length: r.int(1, 3) }, v)], [k]);
      case 4:
      case 5:
        return this.cmd([r.pick(["LPOP", "RPOP"]), k, ...(r.chance(0.4) ? [r.pick(COUNTS)] : [])], [k]);
      case 6:
        return this.cmd(["LLEN", k], [k]);
      case 7:
      case 8:
        return this.cmd(["LRANGE", k, this.idx(), this.idx()], [k]);
      case 9:
        return this.cmd(["LINDEX", k, this.idx()], [k]);
      case 10:
        return this.cmd(["LSET", k, this.idx(), v()], [k]);
      case 11:
        return this.cmd(["LINSERT", k, r.pick(["BEFORE", "AFTER", "before", "MIDDLE"]), v(), v()], [k]);
      case 12:
        return this.cmd(["LREM", k, r.pick(["0", "1", "-1", "2", "-2", "a"]), v()], [k]);
      case 13:
        return this.cmd(["LTRIM", k, this.idx(), this.idx()], [k]);
      case 14:
      case 15: {
        const args = ["LPOS", k, v()];
        if (r.chance(0.4)) args.push("RANK", r.pick(["1", "-1", "2", "-2", "0", "a", "9223372036854775807"]));
        if (r.chance(0.4)) args.push("COUNT", r.pick(["0", "1", "2", "-1", "a"]));
        if (r.chance(0.3)) args.push("MAXLEN", r.pick(["0", "1", "3", "-1"]));
        if (r.chance(0.05)) args.push("FOO");
        return this.cmd(args, [k]);
      }
      case 16:
      case 17: {
        const k2 = this.key("lists");
        const dir = () => r.pick(["LEFT", "RIGHT", "left", "UP"]);
        return this.cmd(["LMOVE", k, k2, dir(), dir()], [k, k2]);
      }
      case 18: {
        const k2 = this.key("lists");
        return this.cmd(["RPOPLPUSH", k, k2], [k, k2]);
      }
      case 19:
      case 20: {
        const bad = r.pick(["-1", "abc", "", "inf", "+inf", "nan"]);
        if (!inMulti) {
          // Outside MULTI only timeouts that fail before blocking.
          return this.exactArity([r.pick(["BLPOP", "BRPOP"]), k, bad], [k]);
        }
        const ks = this.keys("lists", 1, 3);
        return this.cmd([r.pick(["BLPOP", "BRPOP"]), ...ks, r.pick(["0", "1", "0.5", bad])], ks);
      }
      case 21: {
        const k2 = this.key("lists");
        const dir = () => r.pick(["LEFT", "RIGHT"]);
        if (!inMulti) return this.exactArity(["BLMOVE", k, k2, dir(), dir(), r.pick(["-1", "abc", "inf"])], [k, k2]);
        return this.cmd(["BLMOVE", k, k2, dir(), dir(), "0"], [k, k2]);
      }
      case 22: {
        const items = Array.from({ length: r.int(20, 150) }, (_, i) => (i % 3 === 0 ? v() : String(r.int(0, 50))));
        return this.cmd([r.pick(["RPUSH", "LPUSH"]), k, ...items], [k]);
      }
      default:
        return this.cmd(["RPUSH", k, v()], [k]);
    }
  }

  private sets(): GenCmd {
    const r = this.rng;
    const k = this.key("sets");
    const m = () => (k.startsWith("set:int") && r.chance(0.85) ? r.pick(INT_MEMBERS) : r.pick(SET_MEMBERS));
    switch (r.int(0, 23)) {
      case 0:
      case 1:
      case 2:
        return this.cmd(["SADD", k, ...Array.from({ length: r.int(1, 5) }, m)], [k]);
      case 3:
      case 4:
        return this.cmd(["SREM", k, ...Array.from({ length: r.int(1, 3) }, m)], [k]);
      case 5:
        return this.cmd(["SMEMBERS", k], [k], { kind: "order-probe", key: k, pairs: false });
      case 6:
        return this.cmd(["SISMEMBER", k, m()], [k]);
      case 7:
        return this.cmd(["SMISMEMBER", k, ...Array.from({ length: r.int(1, 4) }, m)], [k]);
      case 8:
        return this.cmd(["SCARD", k], [k]);
      case 9: {
        // SPOP's choice is random: only forms that pop everything or nothing, or fail.
        const count = r.pick([EVERYTHING, "0", "-1", "a"]);
        return this.cmd(["SPOP", k, count], [k], UNORDERED);
      }
      case 10: {
        if (r.chance(0.3)) return this.cmd(["SRANDMEMBER", k], [k], SHAPE);
        const big = r.chance(0.4);
        return this.cmd(["SRANDMEMBER", k, big ? EVERYTHING : r.pick(COUNTS)], [k], big ? UNORDERED : SHAPE);
      }
      case 11: {
        const k2 = this.key("sets");
        return this.cmd(["SMOVE", k, k2, m()], [k, k2]);
      }
      case 12:
      case 13: {
        const ks = this.keys("sets", 1, 3);
        return this.cmd([r.pick(["SINTER", "SUNION", "SDIFF"]), ...ks], ks, UNORDERED);
      }
      case 14:
      case 15: {
        const ks = this.keys("sets", 2, 4);
        return this.cmd([r.pick(["SINTERSTORE", "SUNIONSTORE", "SDIFFSTORE"]), ...ks], ks);
      }
      case 16: {
        const ks = this.keys("sets", 1, 3);
        const n = r.chance(0.85) ? String(ks.length) : r.pick(["0", "5", "-1", "a"]);
        const args = ["SINTERCARD", n, ...ks];
        if (r.chance(0.4)) args.push("LIMIT", r.pick(["0", "1", "2", "-1", "a"]));
        return this.cmd(args, ks);
      }
      case 17: {
        const args = ["SSCAN", k, "0"];
        if (r.chance(0.4)) args.push("MATCH", r.pick(["*", "1*", "*a*", "", "?"]));
        if (r.chance(0.4)) args.push("COUNT", r.pick(["1", "2", "10"]));
        return { args, norm: UNORDERED, keys: [k], scan: { cursorArg: 2, pairs: false } };
      }
      case 18:
        return this.cmd(["SADD", k, ...INT_MEMBERS.slice(0, r.int(1, 6))], [k]);
      case 19:
        return this.cmd(["SSCAN", k, r.pick(["x", "18446744073709551616"])], [k], ERRORS_ONLY);
      case 20: {
        // Grow intsets past 512 entries (Redis converts them to hashtables), and other sets past 128.
        const n = r.int(30, 200);
        const ints = k.startsWith("set:int") || r.chance(0.3);
        const members = Array.from({ length: n }, () => (ints ? String(r.int(-50, 900)) : `e${r.int(0, 299)}`));
        return this.cmd(["SADD", k, ...members], [k]);
      }
      default:
        return this.cmd(["SISMEMBER", k, m()], [k]);
    }
  }

  private zsets(): GenCmd {
    const r = this.rng;
    if (r.chance(0.3)) return this.zlex();
    const k = this.key("zsets");
    const m = () => r.pick(Z_MEMBERS);
    const sb = () => r.pick(SCORE_BOUNDS);
    // Lex ranges on these keys may mix scores: at least one bound is invalid (a deterministic error).
    const lbs = (): [string, string] =>
      r.chance(0.5) ? [r.pick(BAD_LEX_BOUNDS), r.pick(LEX_BOUNDS)] : [r.pick(LEX_BOUNDS), r.pick(BAD_LEX_BOUNDS)];
    const limit = (): string[] =>
      r.chance(0.3) ? ["LIMIT", r.pick(["0", "1", "-1", "2"]), r.pick(["1", "2", "-1", "0", "10", "a"])] : [];
    const ws = (): string[] => (r.chance(0.4) ? ["WITHSCORES"] : []);
    switch (r.int(0, 34)) {
      case 0:
      case 1:
      case 2:
      case 3: {
        const args = ["ZADD", k];
        if (r.chance(0.15)) args.push(r.pick(["NX", "XX"]));
        if (r.chance(0.15)) args.push(r.pick(["GT", "LT"]));
        if (r.chance(0.15)) args.push("CH");
        const incr = r.chance(0.1);
        if (incr) args.push("INCR");
        const n = incr && r.chance(0.8) ? 1 : r.int(1, 4);
        for (let i = 0; i < n; i++) args.push(this.score(), m());
        return this.cmd(args, [k]);
      }
      case 4:
      case 5:
        return this.cmd(["ZREM", k, ...Array.from({ length: r.int(1, 3) }, m)], [k]);
      case 6:
        return this.cmd(["ZSCORE", k, m()], [k]);
      case 7:
        return this.cmd(["ZMSCORE", k, ...Array.from({ length: r.int(1, 3) }, m)], [k]);
      case 8:
      case 9:
        return this.cmd(["ZINCRBY", k, this.score(), m()], [k]);
      case 10:
        return this.cmd(["ZCARD", k], [k]);
      case 11:
        return this.cmd(["ZCOUNT", k, sb(), sb()], [k]);
      case 12:
        return this.cmd(["ZLEXCOUNT", k, ...lbs()], [k]);
      case 13:
        return this.cmd([r.pick(["ZRANK", "ZREVRANK"]), k, m(), ...(r.chance(0.1) ? ["WITHSCORE"] : [])], [k]);
      case 14:
      case 15:
      case 16: {
        const mode = r.int(0, 2);
        const args = ["ZRANGE", k];
        if (mode === 0) args.push(this.idx(), this.idx());
        else if (mode === 1) args.push(sb(), sb(), "BYSCORE");
        else args.push(...lbs(), "BYLEX");
        if (r.chance(0.3)) args.push("REV");
        args.push(...limit(), ...ws());
        return this.cmd(args, [k]);
      }
      case 17:
        return this.cmd([r.pick(["ZRANGEBYSCORE", "ZREVRANGEBYSCORE"]), k, sb(), sb(), ...ws(), ...limit()], [k]);
      case 18:
        return this.cmd(["ZREVRANGE", k, this.idx(), this.idx(), ...ws()], [k]);
      case 19:
        return this.cmd([r.pick(["ZRANGEBYLEX", "ZREVRANGEBYLEX"]), k, ...lbs(), ...limit()], [k]);
      case 20:
        return this.cmd(["ZREMRANGEBYRANK", k, this.idx(), this.idx()], [k]);
      case 21:
        return this.cmd(["ZREMRANGEBYSCORE", k, sb(), sb()], [k]);
      case 22:
        return this.cmd(["ZREMRANGEBYLEX", k, ...lbs()], [k]);
      case 23:
      case 24:
        return this.cmd([r.pick(["ZPOPMIN", "ZPOPMAX"]), k, ...(r.chance(0.5) ? [r.pick(COUNTS)] : [])], [k]);
      case 25: {
        const args = ["ZSCAN", k, "0"];
        if (r.chance(0.4)) args.push("MATCH", r.pick(["*", "a*", "*b", "", "?"]));
        if (r.chance(0.4)) args.push("COUNT", r.pick(["1", "2", "10"]));
        return { args, norm: UNORDERED_PAIRS, keys: [k], scan: { cursorArg: 2, pairs: true } };
      }
      case 26:
        return this.cmd(["ZRANGE", k, "0", "-1", "WITHSCORES"], [k]);
      case 27:
        return this.cmd(
          [
            "ZADD",
            k,
            ...r.pick([
              ["1", "a", "1", "b"],
              ["2", "a"],
              ["INCR", "1", "a", "2", "b"],
              ["XX", "NX", "1", "a"],
              ["GT", "LT", "1", "a"],
              ["NX", "GT", "1", "a"],
              ["1"],
            ]),
          ],
          [k],
        );
      case 28:
        return this.cmd(["ZRANGE", k, "(1", "5", r.pick(["BYSCORE", "BYLEX"]), "LIMIT", "0"], [k]);
      case 29:
        return this.cmd(["ZRANGE", k, "0", "-1", "LIMIT", "0", "1"], [k]);
      case 30: {
        // Grow past Redis's listpack limit (128 members) now and then.
        const args = ["ZADD", k];
        for (let i = r.int(20, 90); i > 0; i--) args.push(String(r.int(-20, 20) / 4), `y${r.int(0, 199)}`);
        return this.cmd(args, [k]);
      }
      default:
        return this.cmd(["ZSCORE", k, m()], [k]);
    }
  }

  /** Lex-range commands on the all-zero-score keys. */
  private zlex(): GenCmd {
    const r = this.rng;
    const k = r.pick(ZLEX_KEYS);
    const m = () => r.pick(Z_MEMBERS);
    const lb = () => r.pick(LEX_BOUNDS);
    const limit = (): string[] =>
      r.chance(0.3) ? ["LIMIT", r.pick(["0", "1", "-1", "2"]), r.pick(["1", "2", "-1", "0", "10"])] : [];
    switch (r.int(0, 13)) {
      case 0:
      case 1:
      case 2: {
        const args = ["ZADD", k];
        if (r.chance(0.15)) args.push(r.pick(["NX", "XX"]));
        if (r.chance(0.15)) args.push("CH");
        const n = r.int(1, 5);
        for (let i = 0; i < n; i++) args.push("0", m());
        return this.cmd(args, [k]);
      }
      case 3:
        return this.cmd(["ZREM", k, ...Array.from({ length: r.int(1, 3) }, m)], [k]);
      case 4:
        return this.cmd(["ZLEXCOUNT", k, lb(), lb()], [k]);
      case 5:
      case 6: {
        const args = ["ZRANGE", k, lb(), lb(), "BYLEX"];
        if (r.chance(0.3)) args.push("REV");
        args.push(...limit());
        return this.cmd(args, [k]);
      }
      case 7:
      case 8:
        return this.cmd([r.pick(["ZRANGEBYLEX", "ZREVRANGEBYLEX"]), k, lb(), lb(), ...limit()], [k]);
      case 9:
        return this.cmd(["ZREMRANGEBYLEX", k, lb(), lb()], [k]);
      case 10:
        return this.cmd(["ZRANGE", k, "0", "-1", ...(r.chance(0.5) ? ["WITHSCORES"] : [])], [k]);
      case 11:
        return this.cmd([r.pick(["ZPOPMIN", "ZPOPMAX"]), k, ...(r.chance(0.5) ? [r.pick(COUNTS)] : [])], [k]);
      case 12:
        return this.cmd(["ZINCRBY", k, "0", m()], [k]);
      default:
        return this.cmd(["ZCARD", k], [k]);
    }
  }

  private misc(): GenCmd {
    const r = this.rng;
    switch (r.int(0, 12)) {
      case 0:
        return this.cmd(["PING", ...(r.chance(0.5) ? [this.value()] : [])], []);
      case 1:
        return this.cmd(["ECHO", this.value()], []);
      case 2:
        return this.cmd(["PUBLISH", r.pick(["ch", "news.1", ""]), this.value()], []);
      case 3:
        return this.cmd(["PUBSUB", r.pick(["CHANNELS", "NUMSUB", "NUMPAT"]), ...(r.chance(0.5) ? ["ch"] : [])], []);
      case 4:
        return this.cmd(["CLIENT", "SETNAME", r.pick(["app", "", "a b", "x\ny", "ok-name"])], []);
      case 5:
        return this.cmd(["CLIENT", "GETNAME"], []);
      case 6:
        return this.cmd(
          [r.pick(["FOO", "GETT", "\xff\xfe"]), ...Array.from({ length: r.int(0, 3) }, () => this.value())],
          [],
        );
      case 7:
        return this.cmd([r.pick(["gEt", "Set", "iNcR"]), this.key("strings"), ...(r.chance(0.5) ? ["1"] : [])], []);
      case 8:
        return this.cmd(["EXEC"], [], EXACT, { global: true });
      case 9:
        return this.cmd(["DISCARD"], [], EXACT, { global: true });
      case 10:
        return this.cmd(["UNWATCH"], [], EXACT, { global: true });
      case 11:
        return this.cmd(["ECHO"], []);
      default:
        return this.cmd(["PING", "a", "b"], []);
    }
  }

  /** WATCH? MULTI, a few commands (sometimes one that fails to queue), EXEC or DISCARD. */
  private transaction(): GenCmd[] {
    const r = this.rng;
    const out: GenCmd[] = [];
    if (r.chance(0.3)) {
      const ks = this.keys("any", 1, 2);
      out.push({ args: ["WATCH", ...ks], norm: EXACT, keys: ks, global: true });
      if (r.chance(0.5)) out.push(this.one(r.pick(DATA_FAMILIES)));
    }
    out.push({ args: ["MULTI"], norm: EXACT, keys: [], global: true });
    this.multi = [];
    const n = r.int(0, 5);
    for (let i = 0; i < n; i++) {
      const w = r.int(0, 19);
      let c: GenCmd;
      if (w === 0) c = { args: ["WATCH", this.key("any")], norm: EXACT, keys: [], global: true };
      else if (w === 1) c = { args: ["MULTI"], norm: EXACT, keys: [], global: true };
      else if (w === 2) c = { args: ["GET"], norm: EXACT, keys: [] };
      else if (w === 3) c = { args: ["NOSUCHCOMMAND", "x"], norm: EXACT, keys: [] };
      else if (w <= 6) c = this.lists(true);
      else c = this.one(r.pick(DATA_FAMILIES));
      if (c.scan !== undefined) c = { args: ["SCAN", "0", "COUNT", "1000"], norm: ERRORS_ONLY, keys: [] };
      // A MULTI-level norm that needs Redis's encoding cannot be probed inside a transaction.
      if (c.norm.kind === "order-probe") c = { ...c, norm: { kind: "unordered", pairs: c.norm.pairs } };
      out.push(c);
      if (!["WATCH", "MULTI"].includes(c.args[0])) this.multi.push(c.norm);
    }
    const inner = this.multi;
    this.multi = null;
    out.push({ args: [r.chance(0.85) ? "EXEC" : "DISCARD"], norm: { kind: "exec", inner }, keys: [], global: true });
    return out;
  }
}

const DATA_FAMILIES: Family[] = ["strings", "keys", "hashes", "lists", "sets", "zsets"];
/** What "all" draws from: data commands (the collection families twice as often), plus connection-level ones. */
const ALL_SUBFAMILIES: (Family | "misc")[] = [...DATA_FAMILIES, "strings", "hashes", "lists", "sets", "zsets", "misc"];
