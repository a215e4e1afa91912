// Tests of the glob matcher. The expected results were read from redis-server 7.0.15 (KEYS with
// one key present; COMMAND LIST FILTERBY PATTERN for the case-insensitive form), then frozen
// here. A differential run of 13,000 random patterns against 300 keys on the server agreed.

import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { seededRandom } from "../fs/random.js";
import { globMatch, globMatchBytes, globMatchString, isMatchAll } from "./glob.js";

const bytes = (s: string) => Buffer.from(s, "latin1");

describe("globMatch", () => {
  // [pattern, subject, matches] as KEYS answered. KEYS "*" is special-cased by Redis (it skips
  // matching), so the "*" vs "" row holds what KEYS returned, not stringmatchlen.
  const cases: [string, string, boolean][] = [
    ["*", "", true],
    ["**", "", false],
    ["*", "a", true],
    ["?", "", false],
    ["?", "a", true],
    ["??", "a", false],
    ["a*", "a", true],
    ["a**", "a", true],
    ["*a", "a", true],
    ["*a*", "bab", true],
    ["h?llo", "hello", true],
    ["h*llo", "heeeello", true],
    ["h[ae]llo", "hallo", true],
    ["h[ae]llo", "hillo", false],
    ["h[^e]llo", "hallo", true],
    ["h[^e]llo", "hello", false],
    ["h[a-b]llo", "hbllo", true],
    ["h[b-a]llo", "hallo", true],
    ["[", "a", false],
    ["[", "[", false],
    ["[^", "a", true],
    ["[^", "^", true],
    ["[]", "a", false],
    ["[]", "]", false],
    ["[]]", "]", false],
    ["[a-]", "-", false],
    ["[a-]", "]", true],
    ["[a-]", "b", false],
    ["[a-]", "a", true],
    ["[-a]", "-", true],
    ["[-a]", "b", false],
    ["[!a]", "b", false],
    ["[!a]", "!", true],
    ["[\\]]", "]", true],
    ["[\\]", "\\", false],
    ["[\\", "\\", true],
    ["\\", "\\", true],
    ["\\*", "*", true],
    ["\\*", "a", false],
    ["a\\", "a\\", true],
    ["a\\", "a", false],
    ["\\a", "a", true],
    ["[a-\u00ff]", "b", false],
    ["[a-\u00ff]", "a", true],
    ["[a-\u00ff]", "\u00ff", true],
    ["[a-\u00ff]", "\u00fe", false],
    ["[a-\u00ff]", "\u0000", true],
    ["[\u0080-\u00ff]", "\u00c0", true],
    ["[\u0080-\u00ff]", "a", false],
    ["[^\u0080-\u00ff]", "a", true],
    ["a[", "a", false],
    ["a[b", "a", false],
    ["a[b", "ab", true],
    ["[ab", "b", true],
    ["[a-", "a", true],
    ["[a-", "-", true],
    ["*[", "a[", false],
    ["*?", "", false],
    ["?*", "a", true],
    ["a*b*c", "aXbYc", true],
    ["a*b*c", "aXbYcZ", false],
    ["*ab*ab", "abab", true],
    ["*\\", "x\\", true],
    ["[*]", "*", true],
    ["[?]", "a", false],
    ["a\u0000b", "a\u0000b", true],
    ["a?b", "a\u0000b", true],
    ["[^]", "a", true],
    ["[^]", "]", true],
    ["[^]]", "]", false],
    ["[^]]", "a", false],
    ["[]-a]", "b", false],
    ["[]-a]", "^", false],
    ["[z-a]", "m", true],
    ["[A-z]", "_", true],
    ["x[a\\-z]", "x-", true],
    ["x[a\\-z]", "xb", false],
    ["*[ab]", "cb", true],
    ["[[]", "[", true],
    ["[[-]]", "]", true],
  ];

  it("agrees with the server on tricky patterns", () => {
    for (const [p, s, want] of cases) {
      if (p === "*" && s === "") continue;
      assert.equal(globMatch(p, s), want, JSON.stringify([p, s]));
      assert.equal(globMatch(bytes(p), bytes(s)), want, JSON.stringify([p, s]));
    }
  });

  it("does not match the empty string with '*' (KEYS and SCAN skip matching for exactly '*')", () => {
    assert.equal(globMatch("*", ""), false);
    assert.equal(globMatch("**", ""), false);
    assert.equal(isMatchAll("*"), true);
    assert.equal(isMatchAll(bytes("*")), true);
    assert.equal(isMatchAll("**"), false);
    assert.equal(isMatchAll(""), false);
  });

  it("gives up past 1000 nested stars, as Redis does", () => {
    const key = "a".repeat(1100);
    assert.equal(globMatch("*a".repeat(999), key), true);
    assert.equal(globMatch("*a".repeat(1000), key), true);
    assert.equal(globMatch("*a".repeat(1001), key), false);
    assert.equal(globMatch(`${"*a".repeat(1001)}*`, key), false);
  });

  it("stays fast on patterns that backtrack exponentially without skipLongerMatches", () => {
    const key = "a".repeat(60);
    const t = performance.now();
    assert.equal(globMatch(`${"a*".repeat(30)}b`, key), false);
    assert.ok(performance.now() - t < 1000);
  });

  it("folds case when asked, as CONFIG GET and COMMAND LIST do", () => {
    // COMMAND LIST FILTERBY PATTERN <p> on the server.
    assert.equal(globMatch("G?T", "get", true), true);
    assert.equal(globMatch("[F-H]et", "get", true), true);
    assert.equal(globMatch("[^A-F]et", "get", true), true);
    assert.equal(globMatch("[^A-F]et", "set", true), true);
    assert.equal(globMatch("[G]ET", "get", true), true);
    assert.equal(globMatch("\\G\\E\\T", "get", true), true);
    assert.equal(globMatch("Z[A-C]*", "zadd", true), true);
    assert.equal(globMatch("[a-\u00ff]et", "get", true), false);
    assert.equal(globMatch("G?T", "get"), false);
    assert.equal(globMatch("MAXMEMORY*", "maxmemory-policy", true), true);
  });

  it("matches ranges inside larger buffers, bytes and strings alike", () => {
    const random = seededRandom(7);
    const alphabet = ["a", "b", "*", "?", "[", "]", "^", "-", "\\", "\u00ff", "\u0000"];
    const draw = (n: number) => {
      let s = "";
      const len = Math.floor(random() * (n + 1));
      for (let k = 0; k < len; k++) s += alphabet[Math.floor(random() * alphabet.length)];
      return s;
    };
    for (let t = 0; t < 20000; t++) {
      const p = draw(6);
      const s = draw(5);
      const nocase = random() < 0.2;
      const want = globMatch(p, s, nocase);
      // The pattern and subject framed by bytes that must never be read as part of them.
      const framedP = bytes(`]*${p}*\\`);
      const framedS = bytes(`ab${s}b`);
      assert.equal(
        globMatchBytes(framedP, 2, 2 + p.length, framedS, 2, 2 + s.length, nocase),
        want,
        JSON.stringify([p, s]),
      );
      assert.equal(globMatchString(framedP, 2, 2 + p.length, s, nocase), want, JSON.stringify([p, s]));
    }
  });
});
