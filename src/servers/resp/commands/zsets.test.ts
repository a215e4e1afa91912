// Tests of the sorted-set commands: behaviour against a Shale server (encodings, blocking pops with
// several clients, memory accounting), and a differential section that sends the same command
// sequences to Shale and to a real redis-server 7.0 and compares the raw replies byte for byte, in
// RESP2 and RESP3; blocking scenarios with several clients run on both servers and are compared.
// Sorted-set replies are ordered, so comparisons are exact, except: ZSCAN of a set past the
// listpack limits (Redis walks its hash table, in an order of its own: compared as the set of
// members seen by a full iteration) and ZRANDMEMBER picks from sets of more than one member
// (random: compared by shape).

import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import {
  compareScenario,
  pause,
  raw,
  runSequence,
  type Scenario,
  type Step,
  useServers,
  withPair,
} from "../diff-testing.js";
import { type RespTestClient as Conn, RespTestClient, startShale } from "../testing.js";

/** ZADD arguments for n members m0..m(n-1) with scores i * step. */
function zaddArgs(key: string, n: number, step = 1, prefix = "m"): string[] {
  const out = ["ZADD", key];
  for (let i = 0; i < n; i++) out.push(String(i * step), `${prefix}${i}`);
  return out;
}

const SEQUENCES: Record<string, Step[]> = {
  "zadd options": [
    "ZADD $z 1 a 2 b 3 c",
    "ZADD $z 1 a",
    "ZADD $z 5 a",
    "ZADD $z CH 6 a 7 d",
    "ZRANGE $z 0 -1 WITHSCORES",
    "ZCARD $z",
    "ZADD $z NX 10 a 11 e",
    "ZADD $z XX 12 a 13 f",
    "ZADD $z XX CH 12 a 14 b",
    "ZADD $z GT 1 a 20 b",
    "ZADD $z GT CH 1 a 21 b",
    "ZADD $z LT 100 c 0 c",
    "ZADD $z LT CH 50 c -1 c",
    "ZADD $z XX GT 30 a",
    "ZADD $z XX LT 31 a",
    "ZADD $z GT 5 new",
    "ZADD $z LT CH 5 new2",
    "ZADD $z ch xx gt 40 a",
    "ZRANGE $z 0 -1 WITHSCORES",
    "ZADD $z NX XX 1 a",
    "ZADD $z GT LT 1 a",
    "ZADD $z NX GT 1 a",
    "ZADD $z NX LT 1 a",
    "ZADD $z NX XX GT 1 a",
    "ZADD $z INCR 1 a 2 b",
    "ZADD $z NX XX INCR 1 a 2 b",
    "ZADD $z INCR 1 a",
    "ZADD $z INCR NX 1 a",
    "ZADD $z INCR NX 1 zz",
    "ZADD $z INCR XX 1 nope",
    "ZADD $z INCR GT -100 a",
    "ZADD $z INCR LT -1 a",
    "ZADD $z INCR GT 1 a",
    "ZADD $z INCR CH 1 a",
    "ZADD $z 1",
    "ZADD $z 1 a 2",
    "ZADD $z x a",
    "ZADD $z nan a",
    "ZADD $z 1 a x b",
    "ZADD $z 1 a nan b",
    "ZADD $z NX",
    "ZADD $z CH 1",
    "ZADD $z",
    "ZADD $z ch ch 1 a",
    "ZADD $z FOO 1 a",
    "ZADD $z 1 a FOO",
    "ZRANGE $z 0 -1 WITHSCORES",
    "ZADD $new XX 1 a",
    "EXISTS $new",
    "ZADD $new XX INCR 1 a",
    "ZADD $new XX CH 1 a",
    "EXISTS $new",
    "ZADD $new GT 1 a",
    "ZADD $new2 LT INCR 3 a",
    "ZRANGE $new2 0 -1 WITHSCORES",
    "zadd $new3 nx 1 a",
  ],
  "zadd and zincrby scores": [
    "ZADD $z inf a",
    "ZADD $z -inf b",
    "ZADD $z +inf c",
    "ZADD $z 1e400 d",
    "ZADD $z 1e-400 d",
    "ZADD $z 0x10 h",
    "ZADD $z 1.5e3 i",
    ["ZADD", "$z", " 1", "j"],
    ["ZADD", "$z", "1 ", "j"],
    "ZADD $z .5 k",
    "ZADD $z 5. l",
    "ZADD $z -0 m",
    "ZADD $z 00012 n",
    "ZADD $z INFINITY o",
    "ZADD $z -Inf p",
    "ZADD $z '' q",
    "ZADD $z 1e q",
    "ZSCORE $z m",
    "ZRANGE $z 0 -1 WITHSCORES",
    "ZADD $z INCR -inf a",
    "ZINCRBY $z -inf a",
    "ZINCRBY $z inf b",
    "ZINCRBY $z 1 a",
    "ZSCORE $z a",
    "ZINCRBY $z 1.5 new",
    "ZINCRBY $z 1.5 new",
    "ZINCRBY $z 0.1 new",
    "ZINCRBY $z x new",
    "ZINCRBY $z nan new",
    "ZINCRBY $z 1 new 2",
    "ZINCRBY $z nx new",
    "ZINCRBY $z incr new",
    "ZINCRBY $z 1",
    "ZINCRBY $fresh 5 a",
    "ZINCRBY $fresh -5 a",
    "ZRANGE $fresh 0 -1 WITHSCORES",
    "ZADD $d 0.1 a 1e17 b 1.5e-7 c 3.0000000000000004 d 123456789012345678 e -2.5 f 4503599627370497 g 1e-320 h",
    "ZADD $d 9007199254740993 i 0.30000000000000004 j 1e300 k -1.7976931348623157e308 l 5e-324 m",
    "ZRANGE $d 0 -1 WITHSCORES",
    "ZSCORE $d a",
    "ZSCORE $d c",
    "ZMSCORE $d a b zz c",
    "ZINCRBY $d 0.2 a",
    "ZADD $d INCR 0.1 j",
  ],
  "negative zero": [
    "ZADD $lp 0 a",
    "ZINCRBY $lp -0 a",
    "ZSCORE $lp a",
    "ZINCRBY $n1 -0 a",
    "ZSCORE $n1 a",
    "ZADD $n2 -0 x",
    "ZSCORE $n2 x",
    "ZADD $n2 INCR -0 x",
    "ZADD $n2 -0 y 1 z",
    "ZADD $n2 -0 z",
    "ZRANGE $n2 0 -1 WITHSCORES",
    "ZSCAN $n2 0",
    zaddArgs("$big", 130),
    "ZADD $big -0 neg",
    "ZSCORE $big neg",
    "ZINCRBY $big -0 neg",
    "ZADD $big -0 m0",
    "ZSCORE $big m0",
    "ZADD $big -0 m1",
    "ZSCORE $big m1",
    "ZRANGE $big 0 3 WITHSCORES",
  ],
  "wrong type": [
    "SET $s v",
    "ZADD $s 1 a",
    "ZADD $s XX 1 a",
    "ZADD $s x a",
    "ZADD $s NX XX 1 a",
    "ZINCRBY $s 1 a",
    "ZREM $s a",
    "ZSCORE $s a",
    "ZMSCORE $s a b",
    "ZCARD $s",
    "ZCOUNT $s 0 1",
    "ZCOUNT $s x 1",
    "ZLEXCOUNT $s - +",
    "ZLEXCOUNT $s x +",
    "ZRANK $s a",
    "ZREVRANK $s a",
    "ZRANGE $s 0 -1",
    "ZRANGE $s x 1",
    "ZRANGE $s 0 1 FOO",
    "ZRANGEBYSCORE $s 0 1",
    "ZREVRANGE $s 0 1",
    "ZREVRANGEBYSCORE $s 1 0",
    "ZRANGEBYLEX $s - +",
    "ZREVRANGEBYLEX $s + -",
    "ZRANGESTORE $d $s 0 -1",
    "ZREMRANGEBYRANK $s 0 1",
    "ZREMRANGEBYRANK $s x 1",
    "ZREMRANGEBYSCORE $s 0 1",
    "ZREMRANGEBYLEX $s - +",
    "ZPOPMIN $s",
    "ZPOPMAX $s 2",
    "ZPOPMIN $s 0",
    "ZPOPMIN $s -1",
    "ZMPOP 1 $s MIN",
    "ZMPOP 2 $none $s MAX",
    "BZPOPMIN $s 0",
    "BZPOPMAX $none $s 0",
    "BZMPOP 0 1 $s MIN",
    "ZSCAN $s 0",
    "ZSCAN $s x",
    "ZRANDMEMBER $s",
    "ZRANDMEMBER $s 2",
    "ZRANDMEMBER $s x",
    "ZRANDMEMBER $s 2 WITHSCORES",
    "RPUSH $l a",
    "ZADD $l 1 a",
    "ZRANGESTORE $s $none 0 -1",
    "EXISTS $s",
  ],
  "reads: zscore, zmscore, zcard, zcount, zlexcount, zrank": [
    "ZADD $z 1 a 2 b 3 c 4 d 5 e",
    "ZSCORE $z c",
    "ZSCORE $z zz",
    "ZSCORE $none a",
    "ZSCORE $z",
    "ZMSCORE $z a zz e",
    "ZMSCORE $none a b",
    "ZMSCORE $z",
    "ZCARD $z",
    "ZCARD $none",
    "ZCOUNT $z 2 4",
    "ZCOUNT $z (2 4",
    "ZCOUNT $z (2 (4",
    "ZCOUNT $z -inf +inf",
    "ZCOUNT $z 4 2",
    "ZCOUNT $z x 2",
    "ZCOUNT $z 1 (x",
    "ZCOUNT $z ( (",
    "ZCOUNT $z '' ''",
    ["ZCOUNT", "$z", " 2", "4"],
    "ZCOUNT $z nan 4",
    "ZCOUNT $z 1e400 -1e400",
    "ZCOUNT $none x 1",
    "ZCOUNT $none 0 1",
    "ZADD $lx 0 a 0 b 0 c 0 d 0 e",
    "ZLEXCOUNT $lx - +",
    "ZLEXCOUNT $lx [b [d",
    "ZLEXCOUNT $lx (b (d",
    "ZLEXCOUNT $lx [d [b",
    "ZLEXCOUNT $lx + -",
    "ZLEXCOUNT $lx b d",
    "ZLEXCOUNT $lx [b d",
    "ZLEXCOUNT $lx '' +",
    "ZLEXCOUNT $lx -a +",
    "ZLEXCOUNT $lx [ (",
    "ZLEXCOUNT $none [a [b",
    "ZLEXCOUNT $none a b",
    "ZRANK $z a",
    "ZRANK $z e",
    "ZRANK $z zz",
    "ZRANK $none a",
    "ZREVRANK $z a",
    "ZREVRANK $z e",
    "ZREVRANK $z zz",
    "ZRANK $z a WITHSCORE",
    "ZREM $z a zz c",
    "ZREM $z zz",
    "ZREM $none a",
    "ZREM $z",
    "ZREM $z b d e",
    "EXISTS $z",
  ],
  "zrange by rank": [
    "ZADD $z 1 a 2 b 3 c 4 d 5 e 5 f 5 g",
    "ZRANGE $z 0 -1",
    "ZRANGE $z 0 -1 WITHSCORES",
    "ZRANGE $z -3 -1 withscores",
    "ZRANGE $z 2 1",
    "ZRANGE $z 0 100",
    "ZRANGE $z -100 1",
    "ZRANGE $z 7 10",
    "ZRANGE $z 0 -1 REV",
    "ZRANGE $z 0 1 REV WITHSCORES",
    "ZRANGE $z 1 -2 REV WITHSCORES",
    "ZRANGE $z 0 -1 REV REV",
    "ZRANGE $z 0 -1 WITHSCORES WITHSCORES",
    "ZRANGE $z x 1",
    "ZRANGE $z 1 x",
    "ZRANGE $z 0 1 LIMIT 0 1",
    "ZRANGE $z 0 1 LIMIT 0 -1",
    "ZRANGE $z 0 1 LIMIT x 1",
    "ZRANGE $z 0 1 LIMIT 0",
    "ZRANGE $z 0 1 FOO",
    "ZRANGE $z 0 1 LIMIT 0 1 WITHSCORES",
    "ZRANGE $z 9223372036854775807 -9223372036854775808",
    "ZRANGE $z -9223372036854775808 9223372036854775807",
    "ZRANGE $z 0",
    "ZREVRANGE $z 0 2",
    "ZREVRANGE $z 0 2 WITHSCORES",
    "ZREVRANGE $z -2 -1 WITHSCORES",
    "ZREVRANGE $z 0 2 REV",
    "ZREVRANGE $z 0 2 LIMIT 0 1",
    "ZREVRANGE $z 0 2 BYSCORE",
    "ZREVRANGE $z x 2",
    "ZRANGE $none 0 -1",
    "ZRANGE $none x 1",
    "ZRANGE $none 0 1 LIMIT 0 1",
  ],
  "zrange by score": [
    "ZADD $z 1 a 2 b 3 c 4 d 5 e 5 f 5 g -inf ninf inf pinf",
    "ZRANGE $z 2 4 BYSCORE",
    "ZRANGE $z (2 4 BYSCORE WITHSCORES",
    "ZRANGE $z -inf +inf BYSCORE",
    "ZRANGE $z -inf +inf BYSCORE WITHSCORES",
    "ZRANGE $z (-inf (+inf BYSCORE",
    "ZRANGE $z 5 5 BYSCORE",
    "ZRANGE $z (5 5 BYSCORE",
    "ZRANGE $z 4 2 BYSCORE",
    "ZRANGE $z 4 2 BYSCORE REV",
    "ZRANGE $z +inf -inf BYSCORE REV WITHSCORES",
    "ZRANGE $z -inf +inf BYSCORE LIMIT 1 3",
    "ZRANGE $z -inf +inf BYSCORE LIMIT 1 -1",
    "ZRANGE $z -inf +inf BYSCORE LIMIT -1 3",
    "ZRANGE $z -inf +inf BYSCORE LIMIT 100 3",
    "ZRANGE $z -inf +inf BYSCORE LIMIT 0 0",
    "ZRANGE $z 5 5 BYSCORE LIMIT 1 1",
    "ZRANGE $z +inf -inf BYSCORE REV LIMIT 2 2 WITHSCORES",
    "ZRANGE $z (5 (1 BYSCORE REV LIMIT 1 10",
    "ZRANGE $z 1 2 BYSCORE LIMIT 0 1 LIMIT 1 1",
    "ZRANGE $z x 1 BYSCORE",
    "ZRANGE $z 1 (x BYSCORE",
    "ZRANGE $z nan 1 BYSCORE",
    "ZRANGE $z ( 1 BYSCORE",
    "ZRANGE $z '' 1 BYSCORE",
    "ZRANGE $z 1 2 BYSCORE BYSCORE",
    "ZRANGE $z 1 2 BYSCORE BYLEX",
    "ZRANGE $z 1 2 BYSCORE LIMIT x 1",
    "ZRANGE $z 1 2 BYSCORE LIMIT 1 x",
    "ZRANGE $z x 2 BYSCORE LIMIT x 1",
    "ZRANGEBYSCORE $z 2 4",
    "ZRANGEBYSCORE $z 2 4 WITHSCORES LIMIT 1 1",
    "ZRANGEBYSCORE $z 2 4 LIMIT 1 1 WITHSCORES",
    "ZRANGEBYSCORE $z 2 4 BYSCORE",
    "ZRANGEBYSCORE $z 2 4 REV",
    "ZRANGEBYSCORE $z 2 4 LIMIT 1",
    "ZRANGEBYSCORE $z 4 2",
    "ZREVRANGEBYSCORE $z 4 2",
    "ZREVRANGEBYSCORE $z 2 4",
    "ZREVRANGEBYSCORE $z +inf -inf WITHSCORES LIMIT 0 3",
    "ZREVRANGEBYSCORE $z (5 -inf LIMIT 1 2",
    "ZREVRANGEBYSCORE $z x 1",
    "ZRANGEBYSCORE $none x 1",
    "ZRANGEBYSCORE $none 0 1",
    "ZRANGEBYSCORE $z 0",
  ],
  "zrange by lex": [
    "ZADD $lx 0 a 0 b 0 c 0 d 0 e 0 f 0 g 0 ab 0 '' 0 zz",
    "ZRANGE $lx - + BYLEX",
    "ZRANGE $lx [a (c BYLEX",
    "ZRANGE $lx (a [c BYLEX",
    "ZRANGE $lx [ [b BYLEX",
    "ZRANGE $lx ( [b BYLEX",
    "ZRANGE $lx + - BYLEX REV",
    "ZRANGE $lx [e (b BYLEX REV",
    "ZRANGE $lx - + BYLEX LIMIT 2 2",
    "ZRANGE $lx + - BYLEX REV LIMIT 1 3",
    "ZRANGE $lx - + BYLEX LIMIT -1 2",
    "ZRANGE $lx - + BYLEX WITHSCORES",
    "ZRANGE $lx a c BYLEX",
    "ZRANGE $lx [a '' BYLEX",
    "ZRANGE $lx -x + BYLEX",
    "ZRANGE $lx - +x BYLEX",
    "ZRANGE $lx + - BYLEX",
    "ZRANGE $lx [z [a BYLEX",
    "ZRANGEBYLEX $lx - +",
    "ZRANGEBYLEX $lx - + LIMIT 0 2",
    "ZRANGEBYLEX $lx - + WITHSCORES",
    "ZRANGEBYLEX $lx - + BYLEX",
    "ZRANGEBYLEX $lx [b",
    "ZREVRANGEBYLEX $lx + -",
    "ZREVRANGEBYLEX $lx (e [b",
    "ZREVRANGEBYLEX $lx - +",
    "ZREVRANGEBYLEX $lx + - LIMIT 2 3",
    "ZRANGEBYLEX $none - +",
    "ZRANGEBYLEX $none x +",
  ],
  zrangestore: [
    "ZADD $z 1 a 2 b 3 c 4 d 5 e",
    "ZRANGESTORE $dst $z 0 -1",
    "ZRANGE $dst 0 -1 WITHSCORES",
    "ZRANGESTORE $dst $z 2 4 BYSCORE LIMIT 1 1",
    "ZRANGE $dst 0 -1 WITHSCORES",
    "ZRANGESTORE $dst $z 0 1 REV",
    "ZRANGE $dst 0 -1 WITHSCORES",
    "ZRANGESTORE $dst $z (10 20 BYSCORE",
    "EXISTS $dst",
    "ZRANGESTORE $dst $z 0 -1",
    "ZRANGESTORE $dst $none 0 -1",
    "EXISTS $dst",
    "ZRANGESTORE $dst $z 0 -1 WITHSCORES",
    "ZRANGESTORE $dst $z [b [d BYLEX",
    "ZRANGESTORE $dst $z + - BYLEX REV LIMIT 0 2",
    "ZRANGE $dst 0 -1",
    "ZRANGESTORE $dst $z 0 1 LIMIT 0 1",
    "ZRANGESTORE $dst $z x 1",
    "SET $s x",
    "ZRANGESTORE $s $z 0 0",
    "TYPE $s",
    "ZRANGE $s 0 -1 WITHSCORES",
    "ZRANGESTORE $dst $s 0 0",
    "EXPIRE $dst 1000",
    "ZRANGESTORE $dst $z 0 0",
    "TTL $dst",
    "ZRANGESTORE $z $z 1 2",
    "ZRANGE $z 0 -1 WITHSCORES",
    "ZRANGESTORE $dst $z 0",
    "ZRANGESTORE $dst",
  ],
  "zremrangeby rank, score, lex": [
    "ZADD $z 1 a 2 b 3 c 4 d 5 e 6 f",
    "ZREMRANGEBYRANK $z 0 0",
    "ZREMRANGEBYRANK $z -1 -1",
    "ZREMRANGEBYRANK $z 5 10",
    "ZREMRANGEBYRANK $z 2 1",
    "ZREMRANGEBYRANK $z x 1",
    "ZREMRANGEBYRANK $z 1 x",
    "ZRANGE $z 0 -1 WITHSCORES",
    "ZREMRANGEBYSCORE $z 3 (5",
    "ZREMRANGEBYSCORE $z (100 200",
    "ZREMRANGEBYSCORE $z x 1",
    "ZREMRANGEBYSCORE $z 1 (x",
    "ZRANGE $z 0 -1 WITHSCORES",
    "ZREMRANGEBYRANK $z 0 -1",
    "EXISTS $z",
    "ZREMRANGEBYRANK $none 0 -1",
    "ZREMRANGEBYRANK $none x 1",
    "ZREMRANGEBYSCORE $none -inf +inf",
    "ZREMRANGEBYSCORE $none x 1",
    "ZADD $lx 0 a 0 b 0 c 0 d 0 e",
    "ZREMRANGEBYLEX $lx [b (d",
    "ZREMRANGEBYLEX $lx (z +",
    "ZREMRANGEBYLEX $lx x +",
    "ZREMRANGEBYLEX $lx - x",
    "ZRANGE $lx 0 -1",
    "ZREMRANGEBYLEX $lx - +",
    "EXISTS $lx",
    "ZREMRANGEBYLEX $none - +",
    "ZREMRANGEBYLEX $none x +",
    "ZREMRANGEBYRANK $z 0",
  ],
  "zpopmin, zpopmax, zmpop": [
    "ZADD $z 1 a 2 b 3 c 4 d 5 e 6 f",
    "ZPOPMIN $z",
    "ZPOPMAX $z",
    "ZPOPMIN $z 2",
    "ZPOPMAX $z 1",
    "ZPOPMAX $z 0",
    "ZPOPMIN $z -1",
    "ZPOPMIN $z x",
    "ZPOPMIN $z 1 2",
    "ZPOPMAX $z 1 2 3",
    "ZPOPMIN $none",
    "ZPOPMIN $none 2",
    "ZPOPMIN $none 0",
    "ZPOPMIN $none -1",
    "ZPOPMAX $z 100",
    "EXISTS $z",
    "ZADD $z 1 a 2 b 3 c 4 d 5 e 6 f",
    "ZMPOP 1 $z MIN",
    "ZMPOP 2 $none $z MAX COUNT 2",
    "ZMPOP 1 $none MIN",
    "ZMPOP 0 $z MIN",
    "ZMPOP -1 $z MIN",
    "ZMPOP 3 $z MIN",
    "ZMPOP 1 $z FOO",
    "ZMPOP 1 $z MIN COUNT 0",
    "ZMPOP 1 $z MIN COUNT x",
    "ZMPOP 1 $z MIN COUNT 1 COUNT 2",
    "ZMPOP 1 $z max count 100",
    "EXISTS $z",
    "ZMPOP 1",
    "ZADD $z inf a -inf b",
    "ZPOPMIN $z",
    "ZPOPMAX $z 5",
  ],
  "blocking pops that need not block": [
    "ZADD $z 1 a 2 b 3 c 4 d",
    "BZPOPMIN $none $z 0",
    "BZPOPMAX $z 0.5",
    "BZPOPMIN $z x",
    "BZPOPMIN $z -1",
    "BZPOPMIN $z inf",
    "BZPOPMIN $z",
    "BZMPOP 0 1 $z MIN",
    "BZMPOP 0 2 $none $z MAX COUNT 10",
    "EXISTS $z",
    "BZMPOP x 1 $z MIN",
    "BZMPOP 0 0 $z MIN",
    "BZMPOP -1 1 $z MIN",
    "BZMPOP 0 1 $z FOO",
    "BZMPOP 0 1 $z MIN COUNT 0",
  ],
  "blocking pops that time out, and inside MULTI": [
    "BZPOPMIN $none 0.05",
    "BZPOPMAX $none $none2 0.01",
    "BZMPOP 0.01 1 $none MIN",
    "BZMPOP 0.01 2 $none $none2 MAX COUNT 2",
    "MULTI",
    "BZPOPMIN $none 0",
    "BZPOPMAX $none 0",
    "BZMPOP 0 1 $none MAX",
    "ZADD $z 1 a 2 b",
    "BZPOPMAX $z 0",
    "BZMPOP 0 1 $z MIN COUNT 5",
    "EXEC",
  ],
  zrandmember: [
    "ZRANDMEMBER $none",
    "ZRANDMEMBER $none 5",
    "ZRANDMEMBER $none -5 WITHSCORES",
    "ZRANDMEMBER $none x",
    "ZADD $one 1.5 only",
    "ZRANDMEMBER $one",
    "ZRANDMEMBER $one 1",
    "ZRANDMEMBER $one 3 WITHSCORES",
    "ZRANDMEMBER $one -3",
    "ZRANDMEMBER $one -3 WITHSCORES",
    "ZRANDMEMBER $one -1 WITHSCORES",
    "ZADD $z 1 a 2 b 3 c 4 d 5 e",
    "ZRANDMEMBER $z 0",
    "ZRANDMEMBER $z 0 WITHSCORES",
    "ZRANDMEMBER $z 5",
    "ZRANDMEMBER $z 100 WITHSCORES",
    "?ZRANDMEMBER $z",
    "?ZRANDMEMBER $z 1 WITHSCORES",
    "?ZRANDMEMBER $z 3",
    "?ZRANDMEMBER $z 3 WITHSCORES",
    "?ZRANDMEMBER $z -8",
    "?ZRANDMEMBER $z -8 WITHSCORES",
    "ZRANDMEMBER $z x",
    "ZRANDMEMBER $z 1.5",
    "ZRANDMEMBER $z 1 FOO",
    "ZRANDMEMBER $z 1 WITHSCORES x",
    "ZRANDMEMBER $z -9223372036854775808",
    "ZRANDMEMBER $z 9223372036854775808",
    "ZRANDMEMBER $z 4611686018427387904 WITHSCORES",
    "ZRANDMEMBER $z -4611686018427387904 WITHSCORES",
    "ZRANDMEMBER $z 4611686018427387903 WITHSCORES",
    "ZRANDMEMBER $none 4611686018427387904 WITHSCORES",
    "ZRANDMEMBER $none 1 FOO",
  ],
  "zscan of a small set": [
    "ZADD $z 1 a 2.5 b -0 c inf d -inf e 0.1 ab 1e17 ac",
    "ZSCAN $z 0",
    "ZSCAN $z 0 COUNT 1",
    "ZSCAN $z 0 MATCH a*",
    "ZSCAN $z 0 MATCH *",
    "ZSCAN $z 0 match ?",
    "ZSCAN $z 0 MATCH zz*",
    "ZSCAN $z 0 MATCH a* COUNT 2 MATCH b*",
    "ZSCAN $z 123",
    "ZSCAN $z x",
    "ZSCAN $z -1",
    "ZSCAN $z ''",
    "ZSCAN $z +5",
    "ZSCAN $z 5x",
    ["ZSCAN", "$z", " 1"],
    "ZSCAN $z 18446744073709551615",
    "ZSCAN $z 18446744073709551616",
    "ZSCAN $z 0 COUNT 0",
    "ZSCAN $z 0 COUNT -1",
    "ZSCAN $z 0 COUNT x",
    "ZSCAN $z 0 TYPE zset",
    "ZSCAN $z 0 MATCH",
    "ZSCAN $z 0 NOVALUES",
    "ZSCAN $none 0",
    "ZSCAN $none 0 FOO",
    "ZSCAN $none x",
    "ZSCAN $z",
    "ZADD $empty 1 ''",
    "ZSCAN $empty 0 MATCH *",
    "ZSCAN $empty 0 MATCH ?*",
  ],
  "a large sorted set": [
    zaddArgs("$big", 300, 0.5),
    "ZCARD $big",
    "ZRANGE $big 0 -1 WITHSCORES",
    "ZRANGE $big 100 110 REV WITHSCORES",
    "ZRANGE $big 10 20 BYSCORE LIMIT 3 5 WITHSCORES",
    "ZRANGE $big 100 20 BYSCORE REV LIMIT 3 5",
    "ZRANK $big m150",
    "ZREVRANK $big m150",
    "ZCOUNT $big 10 (50",
    "ZSCORE $big m299",
    "ZINCRBY $big -1000 m299",
    "ZRANGE $big 0 2 WITHSCORES",
    "ZREM $big m0 m1 m2",
    "ZREMRANGEBYRANK $big 10 19",
    "ZREMRANGEBYSCORE $big 50 (60",
    "ZPOPMIN $big 3",
    "ZPOPMAX $big 3",
    "ZRANGE $big 0 -1",
    "ZRANDMEMBER $big 1000",
    "?ZRANDMEMBER $big 5 WITHSCORES",
    "ZRANGESTORE $copy $big 0 -1",
    "ZRANGE $copy 0 -1 WITHSCORES",
    "ZADD $long 1 short",
    ["ZADD", "$long", "2", "x".repeat(65)],
    "ZRANGE $long 0 -1 WITHSCORES",
    "ZADD $lx 0 a",
    ["ZADD", "$lx", "0", `b${"y".repeat(64)}`],
    "ZRANGE $lx - + BYLEX",
  ],
};

// ---- blocking scenarios, run on Shale and on Redis ----

const SCENARIOS: Record<string, { clients: number; run: Scenario }> = {
  "ZADD serves a client blocked in BZPOPMIN": {
    clients: 2,
    run: async ([a, b], k) => {
      const r = raw(a.send("BZPOPMIN", `${k}:other`, k, "0"));
      await pause(30);
      const add = await raw(b.send("ZADD", k, "2", "two", "1.5", "one"));
      return [add, await r, await raw(b.send("ZRANGE", k, "0", "-1", "WITHSCORES"))];
    },
  },
  "blocked BZPOPMAX clients are served in order": {
    clients: 4,
    run: async ([a, b, c, d], k) => {
      const r1 = raw(a.send("BZPOPMAX", k, "0"));
      await pause(20);
      const r2 = raw(b.send("BZPOPMIN", k, "0"));
      await pause(20);
      const r3 = raw(c.send("BZPOPMAX", k, "0.3"));
      await pause(20);
      const add = await raw(d.send("ZADD", k, "1", "a", "2", "b"));
      return [add, await r1, await r2, await r3, await raw(d.send("EXISTS", k))];
    },
  },
  "BZMPOP served with a count": {
    clients: 2,
    run: async ([a, b], k) => {
      const r = raw(a.send("BZMPOP", "0", "1", k, "MIN", "COUNT", "2"));
      await pause(30);
      const add = await raw(b.send("ZADD", k, "3", "c", "1", "a", "2", "b"));
      return [add, await r, await raw(b.send("ZRANGE", k, "0", "-1"))];
    },
  },
  "ZRANGESTORE and ZINCRBY wake blocked clients": {
    clients: 3,
    run: async ([a, b, c], k) => {
      await c.send("ZADD", `${k}:src`, "1", "x", "2", "y");
      const r1 = raw(a.send("BZPOPMAX", `${k}:dst`, "0"));
      const r2 = raw(b.send("BZPOPMIN", `${k}:inc`, "0"));
      await pause(30);
      const store = await raw(c.send("ZRANGESTORE", `${k}:dst`, `${k}:src`, "0", "-1"));
      const incr = await raw(c.send("ZINCRBY", `${k}:inc`, "2.5", "m"));
      return [store, incr, await r1, await r2];
    },
  },
  "BZPOPMIN times out with a null array": {
    clients: 2,
    run: async ([a, b], k) => {
      const rs = await Promise.all([raw(a.send("BZPOPMIN", k, "0.15")), raw(b.send("BZMPOP", "0.15", "1", k, "MAX"))]);
      return [...rs, await raw(a.send("PING"))];
    },
  },
};

// ---- Shale-only behaviour ----

describe("sorted-set commands (Shale)", () => {
  let shale: Awaited<ReturnType<typeof startShale>>;
  let c: Conn;
  before(async () => {
    shale = await startShale();
    c = await RespTestClient.connect(shale.port);
  });
  after(async () => {
    c.close();
    await shale.close();
  });

  it("adds, scores and ranges", async () => {
    assert.equal(await c.call("ZADD", "z1", "1", "a", "2", "b"), 2);
    assert.equal(await c.call("ZSCORE", "z1", "b"), "2");
    assert.deepEqual(await c.call("ZRANGE", "z1", "0", "-1", "WITHSCORES"), ["a", "1", "b", "2"]);
    await c.call("HELLO", "3");
    assert.deepEqual(await c.call("ZRANGE", "z1", "0", "-1", "WITHSCORES"), [
      ["a", 1],
      ["b", 2],
    ]);
    assert.equal(await c.call("ZSCORE", "z1", "b"), 2);
    await c.call("HELLO", "2");
  });

  it("reports the encoding Redis would use, one-way, and COPY keeps it", async () => {
    await c.call("ZADD", "enc", "1", "a");
    assert.equal(await c.call("OBJECT", "ENCODING", "enc"), "listpack");
    await c.call(...zaddArgs("enc", 129));
    assert.equal(await c.call("OBJECT", "ENCODING", "enc"), "skiplist");
    await c.call("ZREMRANGEBYRANK", "enc", "0", "-3");
    assert.equal(await c.call("ZCARD", "enc"), 2);
    assert.equal(await c.call("OBJECT", "ENCODING", "enc"), "skiplist");
    await c.call("COPY", "enc", "enc2");
    assert.equal(await c.call("OBJECT", "ENCODING", "enc2"), "skiplist");
    // A skiplist is scanned with a cursor; the listpack form returns everything at once.
    const r = (await c.call("ZSCAN", "enc2", "0", "COUNT", "1")) as [string, string[]];
    assert.notEqual(r[0], "0");
    await c.call("ZADD", "enc3", "1", "x".repeat(65));
    assert.equal(await c.call("OBJECT", "ENCODING", "enc3"), "skiplist");
    await c.call("CONFIG", "SET", "zset-max-listpack-entries", "2");
    await c.call("ZADD", "enc4", "1", "a", "2", "b");
    assert.equal(await c.call("OBJECT", "ENCODING", "enc4"), "listpack");
    await c.call("ZADD", "enc4", "3", "c");
    assert.equal(await c.call("OBJECT", "ENCODING", "enc4"), "skiplist");
    await c.call("CONFIG", "SET", "zset-max-listpack-entries", "128");
  });

  it("deletes an emptied key and accounts memory", async () => {
    const store = shale.server.store;
    const before = store.usedMemory();
    await c.call(...zaddArgs("memz", 3000, 1, `member-${"x".repeat(40)}-`));
    const grown = store.usedMemory();
    assert.ok(grown - before > 200_000, `used_memory grew by ${grown - before}`);
    await c.call("ZREMRANGEBYRANK", "memz", "0", "2989");
    assert.ok(store.usedMemory() < grown - 150_000, "removal gives memory back");
    await c.call("ZPOPMIN", "memz", "10");
    assert.equal(await c.call("EXISTS", "memz"), 0);
  });

  it("a full ZSCAN of a large set sees every member once at least, across changes", async () => {
    await c.call(...zaddArgs("scan", 1000));
    const seen = new Set<string>();
    let cursor = "0";
    let calls = 0;
    do {
      const r = (await c.call("ZSCAN", "scan", cursor, "COUNT", "50")) as [string, string[]];
      cursor = r[0];
      for (let i = 0; i < r[1].length; i += 2) seen.add(r[1][i]);
      if (calls === 3) await c.call("ZREM", "scan", "m0", "m999", "m500");
      if (calls === 5) await c.call("ZADD", "scan", "-1", "m10", "5000", "m20");
      calls++;
    } while (cursor !== "0");
    for (let i = 0; i < 1000; i++) if (i !== 0 && i !== 999 && i !== 500) assert.ok(seen.has(`m${i}`), `m${i}`);
  });

  it("a BZPOPMIN client that disconnects is forgotten", async () => {
    const a = await RespTestClient.connect(shale.port);
    a.send("BZPOPMIN", "bz", "0");
    await pause(30);
    assert.equal(shale.server.blockedOn.size, 1);
    a.close();
    await pause(30);
    assert.equal(shale.server.blockedOn.size, 0);
    assert.equal(await c.call("ZADD", "bz", "1", "a"), 1);
    assert.equal(await c.call("ZCARD", "bz"), 1);
  });
});

// ---- differential ----

describe("sorted-set commands: differential against redis-server 7.0", () => {
  const servers = useServers();

  for (const proto of [2, 3] as const) {
    for (const [name, steps] of Object.entries(SEQUENCES)) {
      it(`RESP${proto} ${name}`, (t) =>
        withPair(t, servers, proto, (pair) =>
          runSequence(pair, name, steps, `z:${proto}:${name}:`, { shape: "bulk" }),
        ));
    }

    for (const [name, sc] of Object.entries(SCENARIOS)) {
      it(`RESP${proto} ${name}`, (t) => compareScenario(t, servers, proto, `z:${proto}:scenario:${name}`, sc));
    }

    it(`RESP${proto} a skiplist set: full ZSCAN iterations agree`, async (t) => {
      const k = `z:${proto}:bigscan`;
      await withPair(t, servers, proto, async (pair) => {
        await runSequence(pair, "bigscan", [zaddArgs(k, 500, 0.25), ["ZADD", k, "-0", "negzero", "inf", "top"]], "");
        for (const opts of [[], ["COUNT", "7"], ["MATCH", "m1*"], ["MATCH", "*9", "COUNT", "3"], ["COUNT", "1000"]]) {
          const collect = async (conn: Conn): Promise<string[]> => {
            const out = new Set<string>();
            let cursor = "0";
            let calls = 0;
            do {
              const r = (await conn.call("ZSCAN", k, cursor, ...opts)) as [string, string[]];
              cursor = r[0];
              for (let i = 0; i < r[1].length; i += 2) out.add(`${r[1][i]}=${r[1][i + 1]}`);
              assert.ok(++calls < 10000);
            } while (cursor !== "0");
            return [...out].sort();
          };
          const [s, r] = await Promise.all([collect(pair.shale), collect(pair.redis)]);
          assert.deepEqual(s, r, opts.join(" "));
        }
      });
    });
  }
});
