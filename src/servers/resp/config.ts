// The server's settings, by their Redis names: parsed from the command line, read by CONFIG GET,
// changed by CONFIG SET. Settings that change behaviour (maxmemory, policy, requirepass, timeout,
// appendonly, appendfsync ...) are applied through `onChange`; notify-keyspace-events is kept as
// flag bits too (notifyFlags); encoding tunables are kept and reported so tools that set them keep
// working.

import type { EVICTION_POLICIES, EvictionPolicy } from "../../cache/store.js";
import { activeNotifyFlags, ERR_NOTIFY_CLASS, formatNotifyFlags, parseNotifyFlags } from "./notify.js";

/** Parses a Redis memory value: "100", "10k" (1000), "10kb" (1024), "5mb", "1gb". Null when invalid. */
export function parseMemory(s: string): number | null {
  const m = /^(\d+)(k|kb|m|mb|g|gb|b)?$/i.exec(s.trim());
  if (m === null) return null;
  const n = Number(m[1]);
  const unit = (m[2] ?? "").toLowerCase();
  const mult: Record<string, number> = {
    "": 1,
    b: 1,
    k: 1000,
    kb: 1024,
    m: 1000 ** 2,
    mb: 1024 ** 2,
    g: 1000 ** 3,
    gb: 1024 ** 3,
  };
  return n * mult[unit];
}

type Kind = "string" | "int" | "memory" | "bool" | "enum" | "notify";

interface Param {
  name: string;
  kind: Kind;
  value: string;
  /** Allowed values of an enum. */
  values?: readonly string[];
  /** Only settable at startup. */
  immutable?: boolean;
  min?: number;
}

const DEFAULTS: Param[] = [
  { name: "port", kind: "int", value: "6379", immutable: true, min: 0 },
  { name: "bind", kind: "string", value: "127.0.0.1", immutable: true },
  { name: "databases", kind: "int", value: "16", immutable: true, min: 1 },
  { name: "requirepass", kind: "string", value: "" },
  { name: "maxmemory", kind: "memory", value: "0" },
  // Listed in Redis's order, which its error text shows.
  {
    name: "maxmemory-policy",
    kind: "enum",
    value: "noeviction",
    values: [
      "volatile-lru",
      "volatile-lfu",
      "volatile-random",
      "volatile-ttl",
      "allkeys-lru",
      "allkeys-lfu",
      "allkeys-random",
      "noeviction",
    ] satisfies readonly (typeof EVICTION_POLICIES)[number][],
  },
  { name: "maxmemory-samples", kind: "int", value: "5", min: 1 },
  { name: "lfu-log-factor", kind: "int", value: "10", min: 0 },
  { name: "lfu-decay-time", kind: "int", value: "1", min: 0 },
  { name: "timeout", kind: "int", value: "0", min: 0 },
  { name: "appendonly", kind: "bool", value: "no" },
  { name: "appendfsync", kind: "enum", value: "everysec", values: ["everysec", "always", "no"] },
  { name: "appendfilename", kind: "string", value: "appendonly.aof", immutable: true },
  { name: "dir", kind: "string", value: "./shale-data/cache" },
  { name: "dbfilename", kind: "string", value: "dump.shale" },
  { name: "save", kind: "string", value: "" },
  // Persistence: a snapshot is taken when the log has grown this much since the last one.
  { name: "auto-aof-rewrite-percentage", kind: "int", value: "100", min: 0 },
  { name: "auto-aof-rewrite-min-size", kind: "memory", value: String(64 * 1024 * 1024) },
  { name: "notify-keyspace-events", kind: "notify", value: "" },
  { name: "proto-max-bulk-len", kind: "memory", value: String(512 * 1024 * 1024) },
  { name: "client-query-buffer-limit", kind: "memory", value: String(1024 * 1024 * 1024) },
  { name: "maxclients", kind: "int", value: "10000", min: 1 },
  { name: "hz", kind: "int", value: "10", min: 1 },
  { name: "activerehashing", kind: "bool", value: "yes" },
  { name: "lazyfree-lazy-eviction", kind: "bool", value: "no" },
  { name: "lazyfree-lazy-expire", kind: "bool", value: "no" },
  { name: "lazyfree-lazy-server-del", kind: "bool", value: "no" },
  { name: "lazyfree-lazy-user-del", kind: "bool", value: "no" },
  { name: "lazyfree-lazy-user-flush", kind: "bool", value: "no" },
  { name: "hash-max-listpack-entries", kind: "int", value: "512", min: 0 },
  { name: "hash-max-listpack-value", kind: "int", value: "64", min: 0 },
  { name: "list-max-listpack-size", kind: "int", value: "-2" },
  { name: "list-compress-depth", kind: "int", value: "0", min: 0 },
  { name: "set-max-intset-entries", kind: "int", value: "512", min: 0 },
  { name: "zset-max-listpack-entries", kind: "int", value: "128", min: 0 },
  { name: "zset-max-listpack-value", kind: "int", value: "64", min: 0 },
  { name: "slowlog-log-slower-than", kind: "int", value: "10000" },
  { name: "slowlog-max-len", kind: "int", value: "128", min: 0 },
  { name: "loglevel", kind: "enum", value: "notice", values: ["debug", "verbose", "notice", "warning"] },
  { name: "daemonize", kind: "bool", value: "no", immutable: true },
  { name: "protected-mode", kind: "bool", value: "yes" },
  { name: "tcp-keepalive", kind: "int", value: "300", min: 0 },
];

/** Old names Redis 7.0 still accepts for a setting (CONFIG GET reports both). */
const ALIASES: Record<string, string> = {
  "hash-max-ziplist-entries": "hash-max-listpack-entries",
  "hash-max-ziplist-value": "hash-max-listpack-value",
  "list-max-ziplist-size": "list-max-listpack-size",
  "zset-max-ziplist-entries": "zset-max-listpack-entries",
  "zset-max-ziplist-value": "zset-max-listpack-value",
};

function canonical(name: string): string {
  const l = name.toLowerCase();
  return ALIASES[l] ?? l;
}

export class ConfigError extends Error {}

export class CacheConfig {
  private readonly params = new Map<string, Param>();
  /** Called after a setting changes (CONFIG SET or startup). */
  onChange: ((name: string, value: string) => void) | null = null;
  /**
   * notify-keyspace-events as flag bits (notify.ts), 0 while it would publish nothing: the one
   * number a command tests before it fires an event.
   */
  notifyFlags = 0;

  constructor() {
    for (const p of DEFAULTS) this.params.set(p.name, { ...p });
  }

  get(name: string): string | undefined {
    return this.params.get(canonical(name))?.value;
  }

  has(name: string): boolean {
    return this.params.has(canonical(name));
  }

  /** Whether the setting can only be given at startup (CONFIG SET refuses it). */
  isImmutable(name: string): boolean {
    return this.params.get(canonical(name))?.immutable === true;
  }

  /** (name, value) pairs whose name matches `match` (a glob test). */
  entries(match: (name: string) => boolean): [string, string][] {
    const out: [string, string][] = [];
    for (const p of this.params.values()) if (match(p.name)) out.push([p.name, p.value]);
    for (const [alias, name] of Object.entries(ALIASES)) {
      const p = this.params.get(name);
      if (p !== undefined && match(alias)) out.push([alias, p.value]);
    }
    return out;
  }

  /** Validates and stores a value; throws ConfigError with Redis's reason text. */
  set(name: string, value: string, startup = false): void {
    const p = this.params.get(canonical(name));
    if (p === undefined) throw new ConfigError(`Unknown option or number of arguments for CONFIG SET - '${name}'`);
    if (p.immutable && !startup) {
      throw new ConfigError(
        `CONFIG SET failed (possibly related to argument '${p.name}') - can't set immutable config`,
      );
    }
    const bad = (why: string) =>
      new ConfigError(`CONFIG SET failed (possibly related to argument '${p.name}') - ${why}`);
    let v = value;
    switch (p.kind) {
      case "int": {
        if (!/^-?\d+$/.test(v)) throw bad("argument couldn't be parsed into an integer");
        if (p.min !== undefined && Number(v) < p.min)
          throw bad(`argument must be between ${p.min} and 2147483647 inclusive`);
        v = String(Number(v));
        break;
      }
      case "memory": {
        const n = parseMemory(v);
        if (n === null) throw bad("argument must be a memory value");
        v = String(n);
        break;
      }
      case "bool": {
        const l = v.toLowerCase();
        if (l !== "yes" && l !== "no") throw bad("argument must be 'yes' or 'no'");
        v = l;
        break;
      }
      case "enum": {
        const l = v.toLowerCase();
        if (!p.values!.includes(l)) throw bad(`argument(s) must be one of the following: ${p.values!.join(", ")}`);
        v = l;
        break;
      }
      case "notify": {
        const flags = parseNotifyFlags(v);
        if (flags < 0) throw bad(ERR_NOTIFY_CLASS);
        this.notifyFlags = activeNotifyFlags(flags);
        v = formatNotifyFlags(flags);
        break;
      }
      default:
        break;
    }
    p.value = v;
    this.onChange?.(p.name, v);
  }

  get port(): number {
    return Number(this.get("port"));
  }
  get bind(): string {
    return this.get("bind")!;
  }
  get databases(): number {
    return Number(this.get("databases"));
  }
  get requirepass(): string {
    return this.get("requirepass")!;
  }
  get maxmemory(): number {
    return Number(this.get("maxmemory"));
  }
  get policy(): EvictionPolicy {
    return this.get("maxmemory-policy") as EvictionPolicy;
  }
  get timeout(): number {
    return Number(this.get("timeout"));
  }
  get protoMaxBulkLen(): number {
    return Number(this.get("proto-max-bulk-len"));
  }
}
