// The INFO text: Redis 7.0's sections, field names and layout ("# Section" headers, "name:value"
// lines, CRLF, a blank line between sections), with the fields monitoring tools parse filled from
// the store and the server. Fields Shale has no counterpart for are left out rather than made up;
// `shale_version` and `mem_allocator:shale-slab` say what is answering.
//
// Also the few server-wide numbers INFO reports that nothing else keeps (memory peak, saves).

import { arch, machine, release, totalmem, type } from "node:os";
import { cpuUsage, memoryUsage } from "node:process";
import { SHALE_VERSION } from "../../pack/index.js";
import { REDIS_VERSION } from "./commands/connection.js";
import type { CacheServer } from "./server.js";

/** Per-server numbers kept for INFO and the persistence commands. */
export interface ServerExtras {
  peakMemory: number;
  /** A SAVE or BGSAVE is running. */
  saving: boolean;
  saves: number;
  lastSaveOk: boolean;
  replId: string;
}

const extras = new WeakMap<CacheServer, ServerExtras>();

export function serverExtras(server: CacheServer): ServerExtras {
  let e = extras.get(server);
  if (e === undefined) {
    e = {
      peakMemory: 0,
      saving: false,
      saves: 0,
      lastSaveOk: true,
      replId: Array.from({ length: 40 }, () => "0123456789abcdef"[(Math.random() * 16) | 0]).join(""),
    };
    extras.set(server, e);
  }
  return e;
}

/** Unix seconds of the last save: the persistence layer's, else the server's start (as Redis). */
export function lastSaveTime(server: CacheServer): number {
  const p = server.persistence;
  if (p !== undefined && p.lastSave > 0) return p.lastSave;
  return Math.floor(server.stats.startedAt / 1000);
}

const ALL = [
  "server",
  "clients",
  "memory",
  "persistence",
  "stats",
  "replication",
  "cpu",
  "modules",
  "commandstats",
  "errorstats",
  "latencystats",
  "cluster",
  "keyspace",
] as const;
type Section = (typeof ALL)[number];
const DEFAULT: ReadonlySet<Section> = new Set<Section>([
  "server",
  "clients",
  "memory",
  "persistence",
  "stats",
  "replication",
  "cpu",
  "modules",
  "errorstats",
  "cluster",
  "keyspace",
]);
const TITLES: Record<Section, string> = {
  server: "Server",
  clients: "Clients",
  memory: "Memory",
  persistence: "Persistence",
  stats: "Stats",
  replication: "Replication",
  cpu: "CPU",
  modules: "Modules",
  commandstats: "Commandstats",
  errorstats: "Errorstats",
  latencystats: "Latencystats",
  cluster: "Cluster",
  keyspace: "Keyspace",
};

/** Redis's bytesToHuman: 512B, 1.50K, 2.00M ... */
export function bytesToHuman(n: number): string {
  const units = ["K", "M", "G", "T", "P"];
  if (n < 1024) return `${n}B`;
  let d = n / 1024;
  let i = 0;
  while (d >= 1024 && i < units.length - 1) {
    d /= 1024;
    i++;
  }
  return `${d.toFixed(2)}${units[i]}`;
}

/**
 * The INFO reply text for the requested sections (lower-cased arguments; none means "default").
 * Unknown section names are ignored, as Redis does; an empty selection gives "".
 */
export function infoText(server: CacheServer, args: readonly string[]): string {
  const want = new Set<Section>();
  if (args.length === 0) for (const s of DEFAULT) want.add(s);
  for (const a of args) {
    if (a === "all" || a === "everything") for (const s of ALL) want.add(s);
    else if (a === "default") for (const s of DEFAULT) want.add(s);
    else if ((ALL as readonly string[]).includes(a)) want.add(a as Section);
  }
  let out = "";
  for (const s of ALL) {
    if (!want.has(s)) continue;
    if (out !== "") out += "\r\n";
    out += `# ${TITLES[s]}\r\n`;
    for (const [k, v] of fields(server, s)) out += `${k}:${v}\r\n`;
  }
  return out;
}

function fields(server: CacheServer, section: Section): [string, string | number][] {
  const store = server.store;
  const now = Date.now();
  switch (section) {
    case "server": {
      const uptime = Math.floor((now - server.stats.startedAt) / 1000);
      return [
        ["redis_version", REDIS_VERSION],
        ["shale_version", SHALE_VERSION],
        ["redis_git_sha1", "00000000"],
        ["redis_git_dirty", 0],
        ["redis_mode", "standalone"],
        ["os", `${type()} ${release()} ${machine()}`],
        ["arch_bits", arch().endsWith("64") ? 64 : 32],
        ["multiplexing_api", "libuv"],
        ["process_id", process.pid],
        ["process_supervised", "no"],
        ["run_id", server.runId],
        ["tcp_port", server.port],
        ["server_time_usec", now * 1000],
        ["uptime_in_seconds", uptime],
        ["uptime_in_days", Math.floor(uptime / 86400)],
        ["hz", server.config.get("hz") ?? "10"],
        ["configured_hz", server.config.get("hz") ?? "10"],
        ["lru_clock", store.lruClock()],
        ["executable", process.execPath],
        ["config_file", ""],
        ["io_threads_active", 0],
      ];
    }
    case "clients": {
      let blocked = 0;
      let timeouts = 0;
      for (const c of server.clients.values()) {
        if (c.blocked === null) continue;
        blocked++;
        if (c.blocked.deadline > 0) timeouts++;
      }
      return [
        ["connected_clients", server.clients.size],
        ["cluster_connections", 0],
        ["maxclients", server.config.get("maxclients") ?? "10000"],
        ["blocked_clients", blocked],
        ["tracking_clients", 0],
        ["clients_in_timeout_table", timeouts],
      ];
    }
    case "memory": {
      const used = store.usedMemory();
      const rss = memoryUsage.rss();
      const e = serverExtras(server);
      if (used > e.peakMemory) e.peakMemory = used;
      const total = totalmem();
      return [
        ["used_memory", used],
        ["used_memory_human", bytesToHuman(used)],
        ["used_memory_rss", rss],
        ["used_memory_rss_human", bytesToHuman(rss)],
        ["used_memory_peak", e.peakMemory],
        ["used_memory_peak_human", bytesToHuman(e.peakMemory)],
        ["used_memory_peak_perc", `${((used * 100) / e.peakMemory).toFixed(2)}%`],
        ["total_system_memory", total],
        ["total_system_memory_human", bytesToHuman(total)],
        ["maxmemory", store.maxmemory],
        ["maxmemory_human", bytesToHuman(store.maxmemory)],
        ["maxmemory_policy", store.policy],
        ["mem_fragmentation_ratio", used > 0 ? (rss / used).toFixed(2) : "0.00"],
        ["mem_allocator", "shale-slab"],
        ["lazyfree_pending_objects", 0],
      ];
    }
    case "persistence": {
      const e = serverExtras(server);
      return [
        ["loading", 0],
        ["async_loading", 0],
        [
          "rdb_changes_since_last_save",
          server.persistence?.changesSinceSave ?? Math.max(0, store.dirty - server.dirtyAtLastSave),
        ],
        ["rdb_bgsave_in_progress", e.saving ? 1 : 0],
        ["rdb_last_save_time", lastSaveTime(server)],
        ["rdb_last_bgsave_status", e.lastSaveOk ? "ok" : "err"],
        ["rdb_saves", e.saves],
        ["aof_enabled", server.config.get("appendonly") === "yes" ? 1 : 0],
        ["aof_rewrite_in_progress", 0],
        ["aof_rewrite_scheduled", 0],
        ["aof_last_write_status", "ok"],
      ];
    }
    case "stats": {
      const s = server.stats;
      const st = store.stats;
      let patterns = 0;
      for (const set of server.patterns.values()) patterns += set.size;
      return [
        ["total_connections_received", s.totalConnections],
        ["total_commands_processed", s.totalCommands],
        ["rejected_connections", s.rejectedConnections],
        ["expired_keys", st.expiredKeys],
        ["evicted_keys", st.evictedKeys],
        ["keyspace_hits", st.hits],
        ["keyspace_misses", st.misses],
        ["pubsub_channels", server.channels.size],
        ["pubsub_patterns", patterns],
        ["pubsubshard_channels", 0],
      ];
    }
    case "replication":
      return [
        ["role", "master"],
        ["connected_slaves", 0],
        ["master_failover_state", "no-failover"],
        ["master_replid", serverExtras(server).replId],
        ["master_replid2", "0".repeat(40)],
        ["master_repl_offset", 0],
        ["second_repl_offset", -1],
        ["repl_backlog_active", 0],
        ["repl_backlog_size", 1048576],
        ["repl_backlog_first_byte_offset", 0],
        ["repl_backlog_histlen", 0],
      ];
    case "cpu": {
      const u = cpuUsage();
      const sys = (u.system / 1e6).toFixed(6);
      const user = (u.user / 1e6).toFixed(6);
      return [
        ["used_cpu_sys", sys],
        ["used_cpu_user", user],
        ["used_cpu_sys_children", "0.000000"],
        ["used_cpu_user_children", "0.000000"],
        ["used_cpu_sys_main_thread", sys],
        ["used_cpu_user_main_thread", user],
      ];
    }
    case "cluster":
      return [["cluster_enabled", 0]];
    case "keyspace": {
      const out: [string, string][] = [];
      for (const db of store.dbs) {
        if (db.size === 0) continue;
        out.push([`db${db.id}`, `keys=${db.size},expires=${db.volatileCount},avg_ttl=0`]);
      }
      return out;
    }
    default:
      return [];
  }
}
