// Tests of Redis's number rules. Every expected value below was read from redis-server 7.0.15
// (ZADD/ZSCORE for doubles, SET+INCRBY for integers, INCRBYFLOAT/HINCRBYFLOAT, ZCOUNT and
// ZLEXCOUNT for range items), then frozen here.

import assert from "node:assert/strict";
import { describe, it } from "node:test";
import {
  addInt64,
  ERR_HASH_NOT_FLOAT,
  ERR_INCR_NAN_INF,
  ERR_NOT_FLOAT,
  ERR_VALUE_NAN_INF,
  formatDouble,
  formatLongDouble,
  hincrByFloat,
  INT64_MAX,
  INT64_MIN,
  incrByFloat,
  incrOverflows,
  negateInt64,
  parseDouble,
  parseDoubleStr,
  parseInt64,
  parseInt64Approx,
  parseInt64Str,
  parseLexBound,
  parseLexBoundStr,
  parseLongDouble,
  parseScoreBound,
  parseScoreBoundStr,
  parseScoreRangeStr,
  resolveRange,
} from "./numbers.js";

const bytes = (s: string) => Buffer.from(s, "latin1");

describe("parseInt64 (string2ll)", () => {
  // [input, value or null], from SET k <input>; INCRBY k 0.
  const cases: [string, number | bigint | null][] = [
    ["0", 0],
    ["-0", null],
    ["00", null],
    ["01", null],
    ["-01", null],
    ["+", null],
    ["-", null],
    ["+1", null],
    [" 1", null],
    ["1 ", null],
    ["", null],
    ["1.0", null],
    ["12a", null],
    ["9223372036854775807", 9223372036854775807n],
    ["9223372036854775808", null],
    ["-9223372036854775808", -9223372036854775808n],
    ["-9223372036854775809", null],
    ["18446744073709551616", null],
    ["000000000000000000001", null],
    ["123456789012345", 123456789012345],
    ["9007199254740991", 9007199254740991],
    ["9007199254740992", 9007199254740992n],
    ["-9007199254740991", -9007199254740991],
    ["-9007199254740992", -9007199254740992n],
    ["42", 42],
    ["-42", -42],
  ];
  it("accepts and rejects exactly what Redis does", () => {
    for (const [s, want] of cases) {
      assert.equal(parseInt64Str(s), want, s);
      assert.equal(parseInt64(bytes(s), 0, s.length), want, s);
    }
  });
  it("reads a range inside a larger buffer", () => {
    const b = bytes("xx-1234yy");
    assert.equal(parseInt64(b, 2, 7), -1234);
    assert.equal(parseInt64(b, 2, 8), null);
    assert.equal(parseInt64(new Uint8Array(b), 3, 7), 1234);
  });
  it("gives an approximate number for indexes", () => {
    assert.equal(parseInt64Approx(bytes("9223372036854775807"), 0, 19), 2 ** 63);
    assert.equal(parseInt64Approx(bytes("-5"), 0, 2), -5);
    assert.equal(parseInt64Approx(bytes("x"), 0, 1), null);
  });
});

describe("int64 arithmetic", () => {
  it("detects INCRBY/DECRBY overflow", () => {
    // SET k 9223372036854775807; INCR k -> overflow; SET k -9223372036854775808; DECR k -> overflow.
    assert.equal(incrOverflows(INT64_MAX, 1), true);
    assert.equal(incrOverflows(INT64_MIN, -1), true);
    assert.equal(incrOverflows(1, INT64_MAX), true);
    assert.equal(incrOverflows(0, INT64_MAX), false);
    assert.equal(incrOverflows(-1, INT64_MIN), true);
    assert.equal(addInt64(INT64_MAX, -1), 9223372036854775806n);
    assert.equal(addInt64(9007199254740991, 1), 9007199254740992n);
    assert.equal(addInt64(9007199254740992n, -1), 9007199254740991);
    assert.equal(addInt64(2, 3), 5);
    assert.equal(addInt64(INT64_MIN, INT64_MAX), -1);
  });
  it("negates for DECRBY, refusing -2^63 (Redis: 'decrement would overflow')", () => {
    assert.equal(negateInt64(INT64_MIN), null);
    assert.equal(negateInt64(5), -5);
    assert.equal(negateInt64(0), 0);
    assert.equal(negateInt64(INT64_MAX), -INT64_MAX);
    // SET k 0; DECRBY k 9223372036854775807 -> -9223372036854775807; then DECRBY -9223372036854775807 -> 0
    assert.equal(addInt64(0, negateInt64(INT64_MAX)!), -INT64_MAX);
  });
});

describe("parseDouble (ZADD scores)", () => {
  // [input, value or null], from ZADD z <input> a; ZSCORE z a.
  const cases: [string, number | null][] = [
    ["5.", 5],
    [".5", 0.5],
    ["0x10", 16],
    [" 1", null],
    ["1 ", null],
    ["inf", Infinity],
    ["+inf", Infinity],
    ["-inf", -Infinity],
    ["infinity", Infinity],
    ["INF", Infinity],
    ["Infinity", Infinity],
    ["infin", null],
    ["infinityx", null],
    ["nan", null],
    ["-nan", null],
    ["nan(1)", null],
    ["1e3", 1000],
    ["1E3", 1000],
    ["1e", null],
    ["1e+", null],
    ["e3", null],
    [".", null],
    ["+", null],
    ["-", null],
    ["", null],
    ["+5", 5],
    ["-.5", -0.5],
    ["1e400", null],
    ["-1e400", null],
    ["1e-400", null],
    ["1e-310", 1e-310],
    ["0e-400", 0],
    ["0x", null],
    ["0x1p3", 8],
    ["0x.8", 0.5],
    ["0x1p", null],
    ["0X1P-2", 0.25],
    ["1_0", null],
    ["00012", 12],
    ["+.e1", null],
    ["1.5e+2", 150],
    ["0b1", null],
    ["1,5", null],
    ["+-1", null],
    ["1\u0000", null],
    ["-0", -0],
    ["0x1.0000000000001p0", 1.0000000000000002],
  ];
  it("accepts and rejects exactly what Redis does", () => {
    for (const [s, want] of cases) {
      assert.equal(parseDoubleStr(s), want, JSON.stringify(s));
      assert.equal(parseDouble(bytes(s), 0, s.length), want, JSON.stringify(s));
    }
  });
  it("rounds hex floats correctly, subnormals included (confirmed on the server)", () => {
    assert.equal(parseDoubleStr("0x1p-1074"), 5e-324);
    assert.equal(parseDoubleStr("0x1p-1075"), null); // half the smallest subnormal: ties to 0, underflow
    assert.equal(parseDoubleStr("0x1.8p-1074"), 1e-323); // 1.5 ulp rounds to even (2 ulp)
    assert.equal(parseDoubleStr("0x1.fffffffffffff8p1023"), null); // rounds up past the max: overflow
    assert.equal(parseDoubleStr("0x1.fffffffffffffp1023"), Number.MAX_VALUE);
    assert.equal(parseDoubleStr("0x10000000000000001"), 2 ** 64);
  });
});

describe("formatDouble (Redis 7.0 %.17g replies)", () => {
  it("formats special values", () => {
    assert.equal(formatDouble(Infinity), "inf");
    assert.equal(formatDouble(-Infinity), "-inf");
    assert.equal(formatDouble(-0), "-0"); // skiplist-encoded zsets; listpack ones reply "0"
    assert.equal(formatDouble(0), "0");
  });
  // [ZADD input, ZSCORE reply] from a skiplist-encoded zset.
  const cases: [string, string][] = [
    ["1000000000000000.25", "1000000000000000.2"],
    ["1000000000000000.75", "1000000000000000.8"],
    ["-1000000000000000.25", "-1000000000000000.2"],
    ["123456789012345.625", "123456789012345.62"],
    ["5e-324", "4.9406564584124654e-324"],
    ["1.7976931348623157e308", "1.7976931348623157e+308"],
    ["2.2250738585072014e-308", "2.2250738585072014e-308"],
    ["0.1", "0.10000000000000001"],
    ["1.1", "1.1000000000000001"],
    ["1e21", "1e+21"],
    ["1e-5", "1.0000000000000001e-05"],
    ["0.0001", "0.0001"],
    ["-1.5e-7", "-1.4999999999999999e-07"],
    ["1e-310", "9.9999999999999694e-311"],
    ["123456789.123456789", "123456789.12345679"],
    ["9007199254740993", "9007199254740992"],
    ["42924946497437700", "42924946497437696"],
    ["1e16", "10000000000000000"],
    ["1e17", "1e+17"],
    ["99999999999999999", "1e+17"],
    ["123456789012345678", "1.2345678901234568e+17"],
    ["1e20", "1e+20"],
    ["1e308", "1e+308"],
    ["3", "3"],
    ["4.0512395048420596e+109", "4.0512395048420596e+109"],
    ["6.368960255095686e-248", "6.3689602550956862e-248"],
    ["-3.66659639005494e-223", "-3.6665963900549403e-223"],
    ["8.189089673058315e+69", "8.1890896730583151e+69"],
    ["2.6752601006400396e-86", "2.6752601006400396e-86"],
    ["-4.686189985874017e-261", "-4.6861899858740167e-261"],
    ["1.5954896890566507e+38", "1.5954896890566507e+38"],
    ["-9.118828935457378e-113", "-9.1188289354573777e-113"],
    ["1.1358297524827373e+245", "1.1358297524827373e+245"],
    ["-6.332670420186336e+195", "-6.3326704201863363e+195"],
    ["7.833942203482356e-84", "7.8339422034823557e-84"],
    ["4.743898005037464e-51", "4.7438980050374642e-51"],
    ["-3.1635910261499194e-222", "-3.1635910261499194e-222"],
    ["1.0687772484563315e-214", "1.0687772484563315e-214"],
    ["4.266229009610708e-241", "4.2662290096107081e-241"],
    ["-2.98557987794551e+106", "-2.9855798779455102e+106"],
    ["9.583335827518146e-171", "9.5833358275181464e-171"],
    ["-3.766787052208134e-174", "-3.7667870522081339e-174"],
    ["1.782908189758164e-303", "1.7829081897581639e-303"],
    ["6.248638873740533e+278", "6.2486388737405331e+278"],
    ["-5.115387272238377e-84", "-5.1153872722383768e-84"],
    ["4.204444400270618e+93", "4.204444400270618e+93"],
    ["-1.1743166643441296e-139", "-1.1743166643441296e-139"],
    ["7.295329500432751e+266", "7.2953295004327512e+266"],
    ["-7.900335675067806e-96", "-7.9003356750678058e-96"],
    ["2.906422879144636e-134", "2.9064228791446361e-134"],
    ["3.0062908898204393e+75", "3.0062908898204393e+75"],
    ["-1.3001826521706225e+222", "-1.3001826521706225e+222"],
    ["-2.6994937911170985e-73", "-2.6994937911170985e-73"],
    ["-7.111392581146322e+305", "-7.111392581146322e+305"],
    ["166.481", "166.48099999999999"],
    ["621.0419", "621.04190000000006"],
    ["983.04", "983.03999999999996"],
    ["424.38", "424.38"],
    ["255.37300", "255.37299999999999"],
    ["254.2477", "254.24770000000001"],
    ["270.853", "270.85300000000001"],
    ["165", "165"],
    ["708.440", "708.44000000000005"],
    ["128.62", "128.62"],
    ["762.7", "762.70000000000005"],
    ["516", "516"],
    ["966.1991", "966.19910000000004"],
    ["567.64793", "567.64792999999997"],
    ["670.0687", "670.06870000000004"],
    ["762.1441", "762.14409999999998"],
    ["909", "909"],
    ["528", "528"],
    ["586.74040", "586.74040000000002"],
    ["316.99", "316.99000000000001"],
  ];
  it("matches the server digit for digit", () => {
    for (const [input, want] of cases) assert.equal(formatDouble(parseDoubleStr(input)!), want, input);
  });
});

describe("score range items (zslParseRange)", () => {
  // From ZRANGEBYSCORE/ZCOUNT on the server: [input, value, exclusive] or null for
  // "ERR min or max is not a float".
  const cases: [string, number, boolean][] = [
    ["(", 0, true],
    ["", 0, false],
    [" 1", 1, false],
    ["(1", 1, true],
    ["( 1", 1, true],
    ["1e400", Infinity, false],
    ["(inf", Infinity, true],
    ["-inf", -Infinity, false],
    ["+inf", Infinity, false],
    ["0x1", 1, false],
    ["1e-400", 0, false],
    ["(1.5", 1.5, true],
    ["2\u0000x", 2, false], // C stops at the NUL
  ];
  const invalid = ["nan", "(nan", "1 ", "((1", "[1", " ", "x", "1x"];
  it("reads bounds with strtod's looseness", () => {
    for (const [s, value, exclusive] of cases) {
      assert.deepEqual(parseScoreBoundStr(s), { value, exclusive }, JSON.stringify(s));
      assert.deepEqual(parseScoreBound(bytes(s), 0, s.length), { value, exclusive }, JSON.stringify(s));
    }
    for (const s of invalid) assert.equal(parseScoreBoundStr(s), null, JSON.stringify(s));
  });
  it("parses both ends", () => {
    assert.deepEqual(parseScoreRangeStr("(1", "+inf"), { min: 1, minEx: true, max: Infinity, maxEx: false });
    assert.equal(parseScoreRangeStr("1", "nan"), null);
    assert.equal(parseScoreRangeStr("x", "1"), null);
  });
});

describe("lex range items (zslParseLexRangeItem)", () => {
  it("reads -, +, [ and ( and nothing else", () => {
    assert.deepEqual(parseLexBoundStr("-"), { kind: "-" });
    assert.deepEqual(parseLexBoundStr("+"), { kind: "+" });
    assert.deepEqual(parseLexBoundStr("-\u0000x"), { kind: "-" }); // confirmed: C sees "-"
    assert.deepEqual(parseLexBoundStr("["), { kind: "[", value: "" });
    assert.deepEqual(parseLexBoundStr("("), { kind: "(", value: "" });
    assert.deepEqual(parseLexBoundStr("[b"), { kind: "[", value: "b" });
    assert.deepEqual(parseLexBoundStr("(b\u0000"), { kind: "(", value: "b\u0000" });
    assert.deepEqual(parseLexBoundStr("[-"), { kind: "[", value: "-" });
    for (const s of ["a", "--", "++", "", "+a"]) assert.equal(parseLexBoundStr(s), null, s);
    assert.deepEqual(parseLexBound(bytes("x(ab"), 1, 4), { kind: "(", value: "ab" });
  });
});

describe("INCRBYFLOAT in long double", () => {
  // [stored value, increment, reply] from SET k <a>; INCRBYFLOAT k <b>.
  const cases: [string, string, string][] = [
    ["7.5505905e-17", "321.99155133309903e10", "3219915513330.99029994010925293"],
    ["29.1319191515115999915", "2.5910500e-17", "29.13191915151160002"],
    ["0.5", "-05.9533530090009", "-5.4533530090009"],
    ["2.3035590915511399", "-9.93301091109991e-17", "2.3035590915511398"],
    ["-70.3913010155e10", "553.903193353e-18", "-703913010155"],
    ["9.0931190e-18", "2.10", "2.10000000000000001"],
    ["229.359", "73.010113915e-5", "229.35973010113914999"],
    ["71.1305110900e-5", "329.3913051399915931035e-18", "0.00071130511090033"],
    ["0.5099391955e-18", "73.159901590011", "73.159901590011"],
    ["7.903513e-18", "935.10531133155193e-5", "0.00935105311331553"],
    ["110.35939110", "533.5101593510939595", "643.86955045109395951"],
    ["-035.0309001505353e-5", "-21.95505159093135e-5", "-0.00056985951741467"],
    ["-53.51991051130953e-5", "-13.91990935593e-18", "-0.00053519910511311"],
    ["95.09095505905109353", "055.0509", "150.14185505905109352"],
    ["13.909e-17", "-135.531111e-17", "-0.00000000000000122"],
    ["-955.99", "3.0199030355", "-952.97009696449999999"],
    ["510.10e-5", "7.9999355959931005e10", "79999355959.93610600382089615"],
    ["972.3", "-11.5039090e10", "-115039089027.70000000298023224"],
    ["19.0990553050930010130e10", "7.153013311e-18", "190990553050.930010125041008"],
    ["299.53015509053399e-17", "037.1590991009959e10", "371590991009.95899999141693115"],
    ["272.550e10", "-197.100539e-17", "2725500000000"],
    ["037.1911e10", "3.939550013", "371911000003.9395500123500824"],
    ["5.3", "-009.509901993e10", "-95099019924.70000000298023224"],
    ["9.511959930391e-18", "1.395999310", "1.39599931000000001"],
    ["-5.911051000e-17", "-71.51539", "-71.51539000000000006"],
    ["7.939011103", "90.0009099100350", "97.939921013035"],
    ["519.3390", "-3.015905515", "516.32309448500000004"],
    ["-5.0039595e-5", "31.1090591333531039e10", "311090591333.53098896145820618"],
    ["79.535919501531031e-17", "935.3515995113513933535e10", "9353515995113.51393318176269531"],
    ["-903.59905115955951010e-17", "-75.50193150990559e-5", "-0.00075501931510809"],
    ["-10.15535515391335590e-17", "02.0301059553531015e-18", "-0.0000000000000001"],
    ["0.1151101315003550", "-27.091009319", "-26.975899187499645"],
    ["-713.13930050099", "55.15355513", "-657.98574537099000004"],
    ["2.10511955539339e-18", "73.3351193930e-5", "0.00073335119393"],
    ["51.13010", "-02.1933100535301009530", "48.93678994646989905"],
    ["7.35", "00.33550091519599319e-18", "7.35"],
    ["30.00", "17.11350031953", "47.11350031953"],
    ["-759.5109939910055900e10", "5.315e-5", "-7595109939910.05584716796875"],
    ["-921.91030", "-9.311191001", "-931.22149100100000002"],
    ["-319.515595913", "-900.999135053e-17", "-319.51559591300000901"],
    ["0.1", "0.2", "0.3"],
    ["10.50", "0.1", "10.6"],
    ["5.0e3", "2.0e2", "5200"],
    ["3", "1.1", "4.1"],
    ["1", "0.000000000000000005", "1"],
    ["1.000000000000000005", "0.00000000000000001", "1.00000000000000001"],
    ["2.5e-17", "0", "0.00000000000000002"],
    ["1.5e-17", "0", "0.00000000000000002"],
    ["0", "0x1p-16445", "0"],
    [
      "1e300",
      "1e300",
      "2000000000000000000017994648159118387741047888546581495876520164642531293192361871511698304167500994380700745017228549671807185112369345967826192521041497292574654271283687306588168510215212033579453305864740061102765895241989080589545563779241212358535223254194821301134374772211380178849830208012288",
    ],
    ["-1e4932", "1e4932", "0"],
    ["1", "1e20", "100000000000000000000"],
    ["0.1", "-0.1", "0"],
    ["-0.5", "0.2", "-0.3"],
  ];
  it("matches the server digit for digit", () => {
    for (const [a, b, want] of cases) {
      const r = incrByFloat(a, b);
      if (want.startsWith("ERR")) assert.deepEqual(r, { ok: false, error: want }, `${a} + ${b}`);
      else assert.deepEqual(r, { ok: true, value: want }, `${a} + ${b}`);
    }
  });
  it("treats a missing key as 0 and reports Redis's errors", () => {
    assert.deepEqual(incrByFloat(null, "1.5"), { ok: true, value: "1.5" });
    assert.deepEqual(incrByFloat("abc", "1"), { ok: false, error: ERR_NOT_FLOAT });
    assert.deepEqual(incrByFloat("1", " 1"), { ok: false, error: ERR_NOT_FLOAT });
    assert.deepEqual(incrByFloat("1\u0000abc", "1"), { ok: false, error: ERR_NOT_FLOAT });
    assert.deepEqual(incrByFloat("1", "inf"), { ok: false, error: ERR_INCR_NAN_INF });
    assert.deepEqual(incrByFloat("1e5000", "1"), { ok: false, error: ERR_NOT_FLOAT }); // overflow
    assert.deepEqual(incrByFloat("1e-5000", "1"), { ok: false, error: ERR_NOT_FLOAT }); // underflow
    assert.deepEqual(incrByFloat("0", "0x1p-16446"), { ok: false, error: ERR_NOT_FLOAT }); // ties to 0
    assert.deepEqual(incrByFloat("1", "1e4933"), { ok: false, error: ERR_NOT_FLOAT });
    assert.deepEqual(incrByFloat("1e4932", "1e4932"), { ok: false, error: ERR_INCR_NAN_INF });
    assert.deepEqual(incrByFloat("1", "-1e-20"), { ok: true, value: "1" });
    assert.deepEqual(incrByFloat("-0", "-0"), { ok: true, value: "0" });
    assert.deepEqual(incrByFloat("0", "-0"), { ok: true, value: "0" });
    assert.equal(parseLongDouble("x".repeat(10)), null);
    // string2ld refuses 5120 bytes or more: "000...1" of 5119 bytes is 1, of 5120 invalid.
    assert.deepEqual(incrByFloat(`${"0".repeat(5118)}1`, "1"), { ok: true, value: "2" });
    assert.deepEqual(incrByFloat(`${"0".repeat(5119)}1`, "1"), { ok: false, error: ERR_NOT_FLOAT });
  });
  it("formats huge values in full, as %.17Lf does", () => {
    const r = incrByFloat("0", "1e400");
    assert.equal(r.ok, true);
    if (r.ok) {
      assert.equal(r.value.length, 401);
      assert.ok(r.value.startsWith("10000000000000000000281880683947586514586453433629"));
      assert.ok(r.value.endsWith("734806343732497430221946880"));
    }
    assert.equal(formatLongDouble(parseLongDouble("-inf")!), "-inf");
  });
  it("checks HINCRBYFLOAT in its own order", () => {
    assert.deepEqual(hincrByFloat("abc", "x"), { ok: false, error: ERR_NOT_FLOAT });
    assert.deepEqual(hincrByFloat("abc", "inf"), { ok: false, error: ERR_VALUE_NAN_INF });
    assert.deepEqual(hincrByFloat("abc", "1"), { ok: false, error: ERR_HASH_NOT_FLOAT });
    assert.deepEqual(hincrByFloat("1", "0.1"), { ok: true, value: "1.1" });
    assert.deepEqual(hincrByFloat("1.1", "0.2"), { ok: true, value: "1.3" });
    assert.deepEqual(hincrByFloat(null, "2"), { ok: true, value: "2" });
    assert.deepEqual(hincrByFloat("1e4932", "1e4932"), { ok: false, error: ERR_INCR_NAN_INF });
  });
});

describe("resolveRange (LRANGE/ZRANGE start stop)", () => {
  it("follows Redis's clamping", () => {
    assert.deepEqual(resolveRange(0, -1, 5), [0, 4]);
    assert.deepEqual(resolveRange(-3, -1, 5), [2, 4]);
    assert.deepEqual(resolveRange(-100, 2, 5), [0, 2]);
    assert.deepEqual(resolveRange(1, 100, 5), [1, 4]);
    assert.equal(resolveRange(3, 1, 5), null);
    assert.equal(resolveRange(5, 10, 5), null);
    assert.equal(resolveRange(0, -1, 0), null);
    assert.equal(resolveRange(-1, -100, 5), null);
    assert.deepEqual(resolveRange(0, 2 ** 63, 5), [0, 4]);
  });
});
