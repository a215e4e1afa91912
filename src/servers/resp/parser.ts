// RESP request parsing for the cache face: turns the bytes a client sends into argument ranges, incrementally
// and without copying when it can. It follows Redis 7.0's processMultibulkBuffer and processInlineBuffer
// (networking.c) and sdssplitargs (sds.c) closely, error texts included, because clients and test suites
// match them byte for byte.
//
// Buffering: while nothing is left over from earlier reads, a fed chunk is parsed in place. When a command is cut
// by a chunk boundary, its bytes move into a growable buffer owned by the parser (doubling growth, compaction
// that copies no more than was consumed, pre-sized for a big bulk once its length is known), so a 100 MB
// bulk arriving in 64 KiB chunks costs O(n). Consumed bytes are dropped, so memory follows the largest single
// command, not the length of a pipeline.
//
// Known differences from Redis, all on input no client sends:
// - Redis searches for line ends with strchr, which stops at a NUL byte, so a NUL before the end of a header or
//   inline line makes it wait for more input until the 64 KiB limit. Here the line is found anyway: a NUL in a
//   `*`/`$` header is an invalid length, and an inline line ends its arguments at the NUL (what sdssplitargs
//   does with the line it is given).

export class ProtocolError extends Error {
  override name = "ProtocolError";
}

export interface ParserLimits {
  /** proto-max-bulk-len: the largest bulk argument accepted. Default 512 MiB. */
  maxBulkLen: number;
  /** The largest multibulk count accepted. Default 1024*1024 (Redis 7.0 itself allows up to INT_MAX). */
  maxMultibulk: number;
  /** How long a line (inline command, `*` or `$` header) may grow without its end. Default 64 KiB, Redis's
   * PROTO_INLINE_MAX_SIZE. */
  maxInline: number;
}

const DEFAULT_LIMITS: ParserLimits = {
  maxBulkLen: 512 * 1024 * 1024,
  maxMultibulk: 1024 * 1024,
  maxInline: 64 * 1024,
};

const CR = 13;
const LF = 10;
const STAR = 42;
const DOLLAR = 36;
const ZERO = 48;
const NINE = 57;
const MINUS = 45;
const DQUOTE = 34;
const SQUOTE = 39;
const BACKSLASH = 92;
const INT_MAX = 2147483647;

/** Smallest owned buffer. */
const MIN_OWN = 16 * 1024;
/** An owned buffer larger than this is dropped once it holds nothing, so one big command does not pin memory. */
const KEEP_OWN_MAX = 1024 * 1024;
/** Bulks at least this long pre-size the owned buffer when their length is known (Redis's PROTO_MBULK_BIG_ARG). */
const BIG_ARG = 32 * 1024;
/** Room left after a pre-sized bulk for the next command's bytes arriving in the same chunk. */
const BIG_ARG_SLACK = 64 * 1024;
/** Below this many bytes a JS loop finds a line end faster than the native indexOf. */
const SHORT_SCAN = 24;

const EMPTY = Buffer.alloc(0);

// C isspace() in the C locale: \t \n \v \f \r and space.
const IS_SPACE = new Uint8Array(256);
for (const c of [9, 10, 11, 12, 13, 32]) IS_SPACE[c] = 1;

function hexValue(c: number): number {
  if (c >= 48 && c <= 57) return c - 48;
  if (c >= 97 && c <= 102) return c - 87;
  if (c >= 65 && c <= 70) return c - 55;
  return -1;
}

/**
 * Redis's string2ll over buf[s, e): optional '-', no '+', no leading zeros, no spaces, at most 20 characters,
 * within the signed 64-bit range. Returns NaN when Redis would reject it. Values beyond 2^53 are approximate,
 * which is harmless: every caller compares them with limits far below that.
 */
function parseLL(buf: Buffer, s: number, e: number): number {
  const len = e - s;
  if (len === 0 || len >= 21) return Number.NaN;
  if (len === 1 && buf[s] === ZERO) return 0;
  let i = s;
  let neg = false;
  if (buf[i] === MINUS) {
    neg = true;
    i++;
    if (i === e) return Number.NaN;
  }
  const first = buf[i]!;
  if (first <= ZERO || first > NINE) return Number.NaN;
  let v = first - ZERO;
  for (i++; i < e; i++) {
    const d = buf[i]! - ZERO;
    if (d < 0 || d > 9) return Number.NaN;
    v = v * 10 + d;
  }
  if (e - s - (neg ? 1 : 0) >= 19) {
    // Only 19- and 20-digit numbers can overflow a long long; check those exactly.
    const big = BigInt(buf.toString("latin1", neg ? s + 1 : s, e));
    if (big > (neg ? 9223372036854775808n : 9223372036854775807n)) return Number.NaN;
  }
  return neg ? -v : v;
}

export class RespParser {
  /** After next() > 0: argument i is argBuf[starts[i], ends[i]). Valid until the next call to next() or feed(). */
  argBuf: Buffer = EMPTY;
  starts: Int32Array = new Int32Array(16);
  ends: Int32Array = new Int32Array(16);
  /** The argument count of the command next() returned last (0 after it returned 0). */
  argc = 0;
  /** True when the command next() returned last was an inline one (no RESP framing). */
  inline = false;
  /**
   * Set by the caller while the connection must still authenticate: Redis then refuses multibulk counts above
   * 10 and bulks above 16384 bytes ("unauthenticated multibulk length" / "unauthenticated bulk length").
   */
  unauthenticated = false;

  private readonly maxBulkLen: number;
  private readonly maxMultibulk: number;
  private readonly maxInline: number;

  /** The bytes being parsed: a fed chunk (parsed in place) or `own`. Valid data is buf[cmdStart, end). */
  private buf: Buffer = EMPTY;
  private own: Buffer | null = null;
  private end = 0;
  /** Where the command being parsed starts; everything before it is consumed. */
  private cmdStart = 0;
  /** Parse position. */
  private pos = 0;
  /** Where the search for the current line's end resumes, so a line trickling in is not scanned again. */
  private scan = 0;
  /** Arguments still to read in the current multibulk; 0 between commands. */
  private mbLeft = 0;
  /** Length of the bulk whose header has been read, or -1. */
  private bulkLen = -1;
  /** Arguments of the current multibulk read so far. */
  private nargs = 0;
  /** Where unescaped inline arguments go. */
  private scratch: Buffer = EMPTY;

  constructor(limits?: Partial<ParserLimits>) {
    this.maxBulkLen = limits?.maxBulkLen ?? DEFAULT_LIMITS.maxBulkLen;
    this.maxMultibulk = limits?.maxMultibulk ?? DEFAULT_LIMITS.maxMultibulk;
    this.maxInline = limits?.maxInline ?? DEFAULT_LIMITS.maxInline;
  }

  /** Bytes received but not yet consumed (including a partly received command). */
  get pending(): number {
    return this.end - this.cmdStart;
  }

  /**
   * Append the first `n` bytes of a chunk read from the socket. The parser may parse the chunk in place: its bytes
   * must stay unchanged until next() has returned 0 or detach() was called (by then anything still needed has been
   * copied).
   */
  feed(chunk: Buffer, n = chunk.length): void {
    if (n === 0) return;
    if (this.cmdStart === this.end) {
      // Nothing pending: parse the chunk where it is.
      if (this.own !== null && this.own.length > KEEP_OWN_MAX) this.own = null;
      this.buf = chunk;
      this.cmdStart = this.pos = this.scan = 0;
      this.end = n;
      return;
    }
    const pending = this.end - this.cmdStart;
    if (this.buf !== this.own) {
      this.relocate(this.allocOwn(pending + n));
    } else if (this.end + n > this.buf.length) {
      const need = pending + n;
      // Compact in place only when that copies no more than was consumed, which keeps appends O(1) amortized.
      if (need <= this.buf.length && this.cmdStart >= pending) this.relocate(this.buf);
      else this.relocate(this.allocOwn(Math.max(need, this.buf.length * 2)));
    }
    chunk.copy(this.buf, this.end, 0, n);
    this.end += n;
  }

  /**
   * Copies input not yet parsed out of the last fed chunk into the parser's own buffer, so the
   * caller may reuse that chunk's memory (a read buffer shared by all connections).
   */
  detach(): void {
    if (this.buf === this.own) return;
    if (this.cmdStart < this.end) this.relocate(this.allocOwn(this.end - this.cmdStart));
    else {
      this.buf = EMPTY;
      this.cmdStart = this.pos = this.scan = this.end = 0;
    }
  }

  /**
   * Parse the next complete command. Returns its argument count (>= 1), or 0 when more input is needed. Throws
   * ProtocolError on malformed input (the caller replies with the message and closes the connection). Empty
   * inline lines and `*0` / `*-1` multibulks are skipped, as Redis does.
   */
  next(): number {
    for (;;) {
      if (this.mbLeft === 0) {
        const pos = this.pos;
        if (pos >= this.end) return this.needMore();
        if (this.buf[pos] === STAR) {
          if (!this.readMultibulkHeader(pos)) return this.needMore();
          continue;
        }
        const argc = this.readInline(pos);
        if (argc < 0) return this.needMore();
        if (argc === 0) continue;
        this.argc = argc;
        this.inline = true;
        return argc;
      }
      if (!this.readBulks()) return this.needMore();
      this.cmdStart = this.pos;
      this.argBuf = this.buf;
      this.argc = this.nargs;
      this.inline = false;
      return this.nargs;
    }
  }

  /** Reads a `*<count>` line at pos. Returns false when the line is not complete yet. */
  private readMultibulkHeader(pos: number): boolean {
    const buf = this.buf;
    const end = this.end;
    let n = -1;
    let r = -1;
    // Fast path: a canonical positive count followed by CR and one more byte.
    let i = pos + 1;
    let c = buf[i]!;
    if (i < end && c > ZERO && c <= NINE) {
      let v = c - ZERO;
      for (i++; i < end && i < pos + 12; i++) {
        c = buf[i]!;
        if (c < ZERO || c > NINE) break;
        v = v * 10 + (c - ZERO);
      }
      if (i + 1 < end && buf[i] === CR) {
        n = v;
        r = i;
      }
    }
    if (r < 0) {
      r = this.findByte(CR, pos);
      if (r < 0) {
        if (end - pos > this.maxInline) throw new ProtocolError("ERR Protocol error: too big mbulk count string");
        return false;
      }
      // Redis wants one byte after the CR and does not look at it.
      if (r + 2 > end) return false;
      n = parseLL(buf, pos + 1, r);
    }
    if (!(n <= INT_MAX) || n > this.maxMultibulk) {
      throw new ProtocolError("ERR Protocol error: invalid multibulk length");
    }
    if (n > 10 && this.unauthenticated) {
      throw new ProtocolError("ERR Protocol error: unauthenticated multibulk length");
    }
    this.pos = this.scan = r + 2;
    if (n <= 0) {
      this.cmdStart = this.pos;
    } else {
      this.mbLeft = n;
      this.nargs = 0;
      this.bulkLen = -1;
    }
    return true;
  }

  /** Reads the bulks of the current multibulk. Returns false when more input is needed. */
  private readBulks(): boolean {
    const buf = this.buf;
    const end = this.end;
    while (this.mbLeft > 0) {
      let pos = this.pos;
      if (this.bulkLen < 0) {
        let n = -1;
        let r = -1;
        // Fast path: `$` and a canonical length followed by CR and one more byte.
        if (buf[pos] === DOLLAR) {
          let i = pos + 1;
          let c = buf[i]!;
          if (i < end && c >= ZERO && c <= NINE) {
            let v = c - ZERO;
            if (c === ZERO) {
              i++;
            } else {
              for (i++; i < end && i < pos + 12; i++) {
                c = buf[i]!;
                if (c < ZERO || c > NINE) break;
                v = v * 10 + (c - ZERO);
              }
            }
            if (i + 1 < end && buf[i] === CR) {
              n = v;
              r = i;
            }
          }
        }
        if (r < 0) {
          r = this.findByte(CR, pos);
          if (r < 0) {
            if (end - pos > this.maxInline) throw new ProtocolError("ERR Protocol error: too big bulk count string");
            return false;
          }
          if (r + 2 > end) return false;
          const c = buf[pos]!;
          if (c !== DOLLAR) {
            throw new ProtocolError(`ERR Protocol error: expected '$', got '${String.fromCharCode(c)}'`);
          }
          n = parseLL(buf, pos + 1, r);
        }
        if (!(n >= 0) || n > this.maxBulkLen) throw new ProtocolError("ERR Protocol error: invalid bulk length");
        if (n > 16384 && this.unauthenticated) {
          throw new ProtocolError("ERR Protocol error: unauthenticated bulk length");
        }
        pos = this.pos = this.scan = r + 2;
        if (pos - this.cmdStart + n + 2 > INT_MAX) {
          // Offsets are int32. Redis would have closed the connection at client-query-buffer-limit (1 GiB) long
          // before; there is no Redis text for this.
          throw new ProtocolError("ERR Protocol error: command too large");
        }
        this.bulkLen = n;
      }
      const len = this.bulkLen;
      // Like Redis, the two bytes after the data are taken to be CRLF without looking at them.
      if (end - pos < len + 2) return false;
      const k = this.nargs;
      if (k === this.starts.length) this.growArgs();
      this.starts[k] = pos;
      this.ends[k] = pos + len;
      this.nargs = k + 1;
      this.pos = this.scan = pos + len + 2;
      this.bulkLen = -1;
      this.mbLeft--;
    }
    return true;
  }

  /**
   * Reads an inline line at pos. Returns its argument count (0 for a blank line, which is skipped), or -1 when
   * the line is not complete yet.
   */
  private readInline(pos: number): number {
    const nl = this.findByte(LF, pos);
    if (nl < 0) {
      if (this.end - pos > this.maxInline) throw new ProtocolError("ERR Protocol error: too big inline request");
      return -1;
    }
    let le = nl;
    if (le > pos && this.buf[le - 1] === CR) le--;
    this.pos = this.scan = this.cmdStart = nl + 1;
    const buf = this.buf;
    for (let i = pos; i < le; i++) {
      const c = buf[i];
      if (c === DQUOTE || c === SQUOTE) return this.splitQuoted(pos, le);
    }
    return this.splitPlain(pos, le);
  }

  /** sdssplitargs for a line without quotes: arguments are ranges of the line itself. */
  private splitPlain(ls: number, le: number): number {
    const buf = this.buf;
    let n = 0;
    let i = ls;
    for (;;) {
      while (i < le && IS_SPACE[buf[i]!] === 1) i++;
      if (i >= le || buf[i] === 0) break;
      const start = i;
      let c = 0;
      while (i < le) {
        c = buf[i]!;
        if (c === 32 || c === 10 || c === 13 || c === 9 || c === 0) break;
        i++;
      }
      if (n === this.starts.length) this.growArgs();
      this.starts[n] = start;
      this.ends[n] = i;
      n++;
      if (i < le && c === 0) break;
    }
    this.argBuf = buf;
    return n;
  }

  /** sdssplitargs for a line with quotes: arguments are unescaped into the scratch buffer. */
  private splitQuoted(ls: number, le: number): number {
    const buf = this.buf;
    if (this.scratch.length < le - ls) this.scratch = Buffer.allocUnsafe(Math.max(256, le - ls));
    const out = this.scratch;
    // The C code reads a NUL-terminated string; at(j) gives 0 past the line's end the same way.
    const at = (j: number): number => (j < le ? buf[j]! : 0);
    let o = 0;
    let n = 0;
    let i = ls;
    for (;;) {
      while (i < le && buf[i] !== 0 && IS_SPACE[buf[i]!] === 1) i++;
      if (at(i) === 0) break;
      const start = o;
      let inq = false;
      let insq = false;
      let done = false;
      while (!done) {
        const c = at(i);
        if (inq) {
          if (c === BACKSLASH && at(i + 1) === 120 && hexValue(at(i + 2)) >= 0 && hexValue(at(i + 3)) >= 0) {
            out[o++] = hexValue(at(i + 2)) * 16 + hexValue(at(i + 3));
            i += 3;
          } else if (c === BACKSLASH && at(i + 1) !== 0) {
            i++;
            const e = at(i);
            out[o++] = e === 110 ? 10 : e === 114 ? 13 : e === 116 ? 9 : e === 98 ? 8 : e === 97 ? 7 : e;
          } else if (c === DQUOTE) {
            const next = at(i + 1);
            if (next !== 0 && IS_SPACE[next] !== 1) throw unbalancedQuotes();
            done = true;
          } else if (c === 0) {
            throw unbalancedQuotes();
          } else {
            out[o++] = c;
          }
        } else if (insq) {
          if (c === BACKSLASH && at(i + 1) === SQUOTE) {
            i++;
            out[o++] = SQUOTE;
          } else if (c === SQUOTE) {
            const next = at(i + 1);
            if (next !== 0 && IS_SPACE[next] !== 1) throw unbalancedQuotes();
            done = true;
          } else if (c === 0) {
            throw unbalancedQuotes();
          } else {
            out[o++] = c;
          }
        } else if (c === 32 || c === 10 || c === 13 || c === 9 || c === 0) {
          done = true;
        } else if (c === DQUOTE) {
          inq = true;
        } else if (c === SQUOTE) {
          insq = true;
        } else {
          out[o++] = c;
        }
        if (at(i) !== 0) i++;
      }
      if (n === this.starts.length) this.growArgs();
      this.starts[n] = start;
      this.ends[n] = o;
      n++;
    }
    this.argBuf = out;
    return n;
  }

  /** Index of the first byte b in buf[max(scan, from), end), or -1 (and the scan resumes at end next time). */
  private findByte(b: number, from: number): number {
    const buf = this.buf;
    const end = this.end;
    let i = Math.max(this.scan, from);
    const fast = Math.min(end, i + SHORT_SCAN);
    for (; i < fast; i++) if (buf[i] === b) return i;
    if (i < end) {
      const r = buf.indexOf(b, i);
      if (r >= 0 && r < end) return r;
    }
    this.scan = end;
    return -1;
  }

  /** Called whenever next() is about to return 0: keeps what is pending safe from the caller's next read. */
  private needMore(): number {
    this.argc = 0;
    const pending = this.end - this.cmdStart;
    if (pending === 0) {
      if (this.buf !== this.own) {
        // Drop the reference to the caller's chunk.
        this.buf = EMPTY;
        this.cmdStart = this.pos = this.scan = this.end = 0;
      }
      return 0;
    }
    // Room for the whole of a big bulk whose length is known, so its chunks are appended without regrowth.
    let want = pending;
    if (this.bulkLen >= BIG_ARG) want = this.pos + this.bulkLen + 2 - this.cmdStart + BIG_ARG_SLACK;
    if (this.buf !== this.own) {
      this.relocate(this.allocOwn(Math.max(want, pending * 2)));
    } else if (want > this.buf.length - this.cmdStart) {
      this.relocate(this.allocOwn(want));
    }
    return 0;
  }

  private allocOwn(size: number): Buffer {
    const own = this.own;
    if (own !== null && own !== this.buf && own.length >= size) return own;
    return Buffer.allocUnsafeSlow(Math.max(size, MIN_OWN));
  }

  /** Moves the pending bytes buf[cmdStart, end) to the start of target, which becomes the owned buffer. */
  private relocate(target: Buffer): void {
    const shift = this.cmdStart;
    if (target === this.buf) {
      if (shift > 0) target.copyWithin(0, shift, this.end);
    } else {
      this.buf.copy(target, 0, shift, this.end);
    }
    this.buf = this.own = target;
    this.end -= shift;
    this.pos -= shift;
    this.scan = Math.max(0, this.scan - shift);
    this.cmdStart = 0;
    if (this.mbLeft > 0) {
      const starts = this.starts;
      const ends = this.ends;
      for (let k = 0; k < this.nargs; k++) {
        starts[k] = starts[k]! - shift;
        ends[k] = ends[k]! - shift;
      }
    }
  }

  private growArgs(): void {
    const n = this.starts.length * 2;
    const starts = new Int32Array(n);
    const ends = new Int32Array(n);
    starts.set(this.starts);
    ends.set(this.ends);
    this.starts = starts;
    this.ends = ends;
  }
}

function unbalancedQuotes(): ProtocolError {
  return new ProtocolError("ERR Protocol error: unbalanced quotes in request");
}
