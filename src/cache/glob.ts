// Glob matching exactly as Redis's stringmatchlen (util.c, 7.0.15 with the backported nesting
// limit), used by KEYS, SCAN/HSCAN/SSCAN/ZSCAN MATCH, PSUBSCRIBE and CONFIG GET: '*', '?', '[abc]',
// '[^a]', '[a-z]' (ends may come in either order), '\' escapes, and its quirks kept on purpose:
// an unterminated '[' matches against the class read so far ("[^" matches any one byte), "[a-]"
// is the range a..']', range ends compare as signed C chars (bytes >= 0x80 are negative), more
// than 1000 nested '*' give no match, and "*" does not match the empty string (KEYS and SCAN
// skip matching when the pattern is exactly "*"; see isMatchAll).
//
// The pattern is bytes; reading past its end yields 0, as C reads the sds NUL terminator. The
// subject is bytes (keys in the slab) or a latin1 string (fields and members); the matcher is
// written once per subject form so the inner loop stays monomorphic.

const STAR = 0x2a;
const QUESTION = 0x3f;
const OPEN = 0x5b;
const CLOSE = 0x5d;
const CARET = 0x5e;
const DASH = 0x2d;
const BACKSLASH = 0x5c;
const MAX_NESTING = 1000;

function toLower(c: number): number {
  return c >= 0x41 && c <= 0x5a ? c + 32 : c;
}
function signed(c: number): number {
  return c > 127 ? c - 256 : c;
}

let skipLonger = false;

/** Whether a pattern is exactly "*" (Redis then skips matching, so even "" is included). */
export function isMatchAll(pattern: Uint8Array | string): boolean {
  return pattern.length === 1 && (typeof pattern === "string" ? pattern.charCodeAt(0) : pattern[0]) === STAR;
}

/** stringmatchlen(pat[pStart, pEnd), s[sStart, sEnd), nocase) over bytes. */
export function globMatchBytes(
  pat: Uint8Array,
  pStart: number,
  pEnd: number,
  s: Uint8Array,
  sStart: number,
  sEnd: number,
  nocase = false,
): boolean {
  if (pEnd - pStart === 1 && pat[pStart] === STAR) return sEnd > sStart;
  skipLonger = false;
  return matchBytes(pat, pStart, pEnd, s, sStart, sEnd, nocase, 0);
}

/** stringmatchlen with a byte pattern and a latin1 string subject. */
export function globMatchString(pat: Uint8Array, pStart: number, pEnd: number, s: string, nocase = false): boolean {
  if (pEnd - pStart === 1 && pat[pStart] === STAR) return s.length > 0;
  skipLonger = false;
  return matchString(pat, pStart, pEnd, s, 0, s.length, nocase, 0);
}

/**
 * stringmatchlen for whole patterns and subjects given as bytes or latin1 strings. A string
 * pattern is converted on every call: loops over many subjects should convert it once and call
 * globMatchBytes / globMatchString.
 */
export function globMatch(pattern: Uint8Array | string, subject: Uint8Array | string, nocase = false): boolean {
  const p = typeof pattern === "string" ? Buffer.from(pattern, "latin1") : pattern;
  if (typeof subject === "string") return globMatchString(p, 0, p.length, subject, nocase);
  return globMatchBytes(p, 0, p.length, subject, 0, subject.length, nocase);
}

function matchBytes(
  pat: Uint8Array,
  p: number,
  pEnd: number,
  s: Uint8Array,
  i: number,
  sEnd: number,
  nocase: boolean,
  nesting: number,
): boolean {
  if (nesting > MAX_NESTING) return false;
  while (p < pEnd && i < sEnd) {
    const pc = pat[p];
    switch (pc) {
      case STAR: {
        while (p < pEnd && (p + 1 < pEnd ? pat[p + 1] : 0) === STAR) p++;
        if (pEnd - p === 1) return true;
        while (i < sEnd) {
          if (matchBytes(pat, p + 1, pEnd, s, i, sEnd, nocase, nesting + 1)) return true;
          if (skipLonger) return false;
          i++;
        }
        skipLonger = true;
        return false;
      }
      case QUESTION:
        i++;
        break;
      case OPEN: {
        p++;
        const not = (p < pEnd ? pat[p] : 0) === CARET;
        if (not) p++;
        let match = false;
        const c = s[i];
        for (;;) {
          const cur = p < pEnd ? pat[p] : 0;
          if (cur === BACKSLASH && pEnd - p >= 2) {
            p++;
            if (pat[p] === c) match = true;
          } else if (cur === CLOSE) {
            break;
          } else if (p >= pEnd) {
            p--;
            break;
          } else if (pEnd - p >= 3 && pat[p + 1] === DASH) {
            let start = signed(cur);
            let end = signed(pat[p + 2]);
            let cc = signed(c);
            if (start > end) {
              const t = start;
              start = end;
              end = t;
            }
            if (nocase) {
              start = toLower(start);
              end = toLower(end);
              cc = toLower(cc);
            }
            p += 2;
            if (cc >= start && cc <= end) match = true;
          } else if (nocase ? toLower(cur) === toLower(c) : cur === c) {
            match = true;
          }
          p++;
        }
        if (not) match = !match;
        if (!match) return false;
        i++;
        break;
      }
      case BACKSLASH: {
        if (pEnd - p >= 2) p++;
        const q = pat[p];
        if (nocase ? toLower(q) !== toLower(s[i]) : q !== s[i]) return false;
        i++;
        break;
      }
      default:
        if (nocase ? toLower(pc) !== toLower(s[i]) : pc !== s[i]) return false;
        i++;
        break;
    }
    p++;
    if (i === sEnd) {
      while (p < pEnd && pat[p] === STAR) p++;
      break;
    }
  }
  return p === pEnd && i === sEnd;
}

function matchString(
  pat: Uint8Array,
  p: number,
  pEnd: number,
  s: string,
  i: number,
  sEnd: number,
  nocase: boolean,
  nesting: number,
): boolean {
  if (nesting > MAX_NESTING) return false;
  while (p < pEnd && i < sEnd) {
    const pc = pat[p];
    switch (pc) {
      case STAR: {
        while (p < pEnd && (p + 1 < pEnd ? pat[p + 1] : 0) === STAR) p++;
        if (pEnd - p === 1) return true;
        while (i < sEnd) {
          if (matchString(pat, p + 1, pEnd, s, i, sEnd, nocase, nesting + 1)) return true;
          if (skipLonger) return false;
          i++;
        }
        skipLonger = true;
        return false;
      }
      case QUESTION:
        i++;
        break;
      case OPEN: {
        p++;
        const not = (p < pEnd ? pat[p] : 0) === CARET;
        if (not) p++;
        let match = false;
        const c = s.charCodeAt(i);
        for (;;) {
          const cur = p < pEnd ? pat[p] : 0;
          if (cur === BACKSLASH && pEnd - p >= 2) {
            p++;
            if (pat[p] === c) match = true;
          } else if (cur === CLOSE) {
            break;
          } else if (p >= pEnd) {
            p--;
            break;
          } else if (pEnd - p >= 3 && pat[p + 1] === DASH) {
            let start = signed(cur);
            let end = signed(pat[p + 2]);
            let cc = signed(c);
            if (start > end) {
              const t = start;
              start = end;
              end = t;
            }
            if (nocase) {
              start = toLower(start);
              end = toLower(end);
              cc = toLower(cc);
            }
            p += 2;
            if (cc >= start && cc <= end) match = true;
          } else if (nocase ? toLower(cur) === toLower(c) : cur === c) {
            match = true;
          }
          p++;
        }
        if (not) match = !match;
        if (!match) return false;
        i++;
        break;
      }
      case BACKSLASH: {
        if (pEnd - p >= 2) p++;
        const q = pat[p];
        const c = s.charCodeAt(i);
        if (nocase ? toLower(q) !== toLower(c) : q !== c) return false;
        i++;
        break;
      }
      default: {
        const c = s.charCodeAt(i);
        if (nocase ? toLower(pc) !== toLower(c) : pc !== c) return false;
        i++;
        break;
      }
    }
    p++;
    if (i === sEnd) {
      while (p < pEnd && pat[p] === STAR) p++;
      break;
    }
  }
  return p === pEnd && i === sEnd;
}
