// Adapters for the tables benchmark (baton's c1z grants workload, see ../tables.ts): the grant data, the TablesSystem
// interface each system implements, and the systems themselves: better-sqlite3 (the peer) and Shale (not built yet).
// Each system is loaded lazily, so one that cannot load is skipped with a message instead of stopping the other.

import { existsSync, readdirSync, statSync } from "node:fs";
import { join } from "node:path";
import type { TableSchema } from "../../src/index.js";
import { UnsupportedError } from "./systems.js";

export { UnsupportedError };

/** One grant of the c1z benchmark, flattened: everything baton's `v2.Grant` carries in this workload. */
export interface Grant {
  id: string;
  entitlementId: string;
  resourceType: string;
  resourceId: string;
  principalType: string;
  principalId: string;
}

/**
 * A system under test. One instance serves every N and repetition; each call is self-contained (opens and closes
 * whatever it needs), and the runner times each call with the wall clock around it.
 */
export interface TablesSystem {
  readonly name: string;
  /** The durability of the written file, stated in every row, e.g. "strict (WAL, synchronous=FULL)". */
  readonly mode: string;
  /** How it writes and reads, for the report, e.g. "one transaction, prepared insert; pages by rowid". */
  readonly detail: string;
  /**
   * Timed as WritePack: open a new store in `dir` (an empty directory), load all `grants` (in id order) as records
   * keyed by id with an index on (entitlementId, principalType, principalId) and one on (principalType,
   * principalId), write everything out as one file, close. Returns that file and its size in bytes; the file must
   * stay readable after the call and must be the whole result (nothing else in `dir` is needed to read it).
   */
  writePack(grants: readonly Grant[], dir: string): Promise<{ file: string; bytes: number }>;
  /**
   * Timed as ReadPack: open `file` (written by writePack), read every grant through a cursor in pages of `pageSize`,
   * materializing each row as an object with all six fields, close. Returns the number of rows read; the runner
   * checks that it equals N.
   */
  readPack(file: string, pageSize: number): Promise<number>;
}

export type TablesSystemName = "shale" | "better-sqlite3";
export const TABLES_SYSTEM_NAMES: readonly TablesSystemName[] = ["shale", "better-sqlite3"];

/** Loads a system once; returns it, or a reason it was skipped. */
export type TablesSystemLoader = () => Promise<{ system: TablesSystem } | { skip: string }>;

function errorText(e: unknown): string {
  return e instanceof Error ? e.message : String(e);
}

/**
 * The benchmark's grants, exactly as baton's `benchmarkGrants(n)`: id `grant-%08d`, entitlement `entitlement-%04d`
 * (i % 100) on resource app/github, principal user/`user-%08d` (i % 1000). Ids come out in sorted order.
 */
export function makeGrants(n: number): Grant[] {
  const pad = (x: number, width: number) => String(x).padStart(width, "0");
  const entitlements = Array.from({ length: 100 }, (_, e) => `entitlement-${pad(e, 4)}`);
  const principals = Array.from({ length: 1000 }, (_, p) => `user-${pad(p, 8)}`);
  const grants: Grant[] = new Array(n);
  for (let i = 0; i < n; i++) {
    grants[i] = {
      id: `grant-${pad(i, 8)}`,
      entitlementId: entitlements[i % 100],
      resourceType: "app",
      resourceId: "github",
      principalType: "user",
      principalId: principals[i % 1000],
    };
  }
  return grants;
}

// ---------------------------------------------------------------------------------------------------------------------
// Shale:
// - writePack: a new store in `dir` (durability none: the pack is the durable result, as baton's Pebble path commits
//   with NoSync and syncs once at the end; the catalog entry and row count are unsynced writes), the grants
//   bulk-loaded into an empty table (one pass over the grants per run: each index run is sorted on a worker thread
//   while the next pass encodes, and its segment files are written as soon as it is sorted; the records go to the
//   workers in pieces while their pass goes on; every file fdatasync'd, all installed in one atomic step), then
//   `pack` copies the segments into one file (temporary file, fdatasync, rename, directory fsync) and the store is
//   closed.
// - readPack: `openPack` (verifies every section checksum), then `query({ limit: pageSize, after: cursor })` on the
//   primary key until the cursor runs out; each row is a plain object with the six fields.

/** The c1z grants table: keyed by id, indexed by (entitlement, principal) and by principal; the gate uses it too. */
export const GRANT_SCHEMA: TableSchema = {
  name: "grants",
  fields: {
    id: "string",
    entitlementId: "string",
    resourceType: "string",
    resourceId: "string",
    principalType: "string",
    principalId: "string",
  },
  primaryKey: ["id"],
  indexes: {
    byEntitlement: { fields: ["entitlementId", "principalType", "principalId"] },
    byPrincipal: { fields: ["principalType", "principalId"] },
  },
};

export async function shaleSystem(): Promise<TablesSystem> {
  const shale = await import("../../src/index.js");
  return {
    name: "shale",
    mode: "pack fdatasync'd (store writes: none; segments synced)",
    detail: "bulkLoad into an empty table, pack(); openPack, cursor pages on the primary key",
    async writePack(grants, dir) {
      const store = await shale.open(join(dir, "store"), { durability: "none" });
      try {
        const table = await shale.Tables.open(store).define(GRANT_SCHEMA);
        await table.bulkLoad(grants as unknown as Iterable<Record<string, unknown>>);
        const file = join(dir, "grants.pack");
        const info = await shale.pack(store, file);
        return { file, bytes: info.bytes };
      } finally {
        await store.close();
      }
    },
    async readPack(file, pageSize) {
      const p = shale.openPack(file);
      try {
        const table = p.tables.table("grants");
        let n = 0;
        let after: string | undefined;
        do {
          const page = table.query({ limit: pageSize, after });
          n += page.rows.length;
          after = page.cursor;
        } while (after !== undefined);
        return n;
      } finally {
        p.close();
      }
    },
  };
}

const loadShale: TablesSystemLoader = async () => {
  try {
    return { system: await shaleSystem() };
  } catch (e) {
    if (e instanceof UnsupportedError) return { skip: e.message };
    return { skip: `loading the Shale tables adapter failed: ${errorText(e)}` };
  }
};

// ---------------------------------------------------------------------------------------------------------------------
// better-sqlite3 (SQLite), the path baton's SQLite c1z engine takes, configured honestly:
// - writePack: a new database file in `dir`, journal_mode=WAL, synchronous=FULL (SQLite's default, set explicitly;
//   in WAL mode the WAL is fsynced at commit and the database file at checkpoint). Table and all three indexes are
//   created first, so they are live during the load (as in baton). One transaction runs one prepared INSERT per grant.
//   Then `wal_checkpoint(TRUNCATE)` copies the WAL into the database file and close() removes the WAL and shm files,
//   so the .db file is the one file; bytes is its size. Other settings are SQLite's defaults (4 KiB pages, 2 MiB
//   page cache).
// - readPack: open the file read-only and page with `WHERE rowid > ? ORDER BY rowid LIMIT pageSize` until a page
//   comes back empty; each row is the object better-sqlite3 returns (all six columns plus rowid).

type SqliteCtor = typeof import("better-sqlite3");

interface SqliteGrantRow {
  rowid: number;
  id: string;
  entitlement_id: string;
  resource_type: string;
  resource_id: string;
  principal_type: string;
  principal_id: string;
}

const SQLITE_SCHEMA = `
  CREATE TABLE grants (
    id TEXT NOT NULL UNIQUE,
    entitlement_id TEXT NOT NULL,
    resource_type TEXT NOT NULL,
    resource_id TEXT NOT NULL,
    principal_type TEXT NOT NULL,
    principal_id TEXT NOT NULL
  );
  CREATE INDEX grants_by_entitlement_principal ON grants (entitlement_id, principal_type, principal_id);
  CREATE INDEX grants_by_principal ON grants (principal_type, principal_id);
`;

class SqliteTables implements TablesSystem {
  readonly name = "better-sqlite3";
  readonly mode = "strict (WAL, synchronous=FULL; checkpoint(TRUNCATE), close)";
  readonly detail = "1 tx, prepared INSERT, 3 live indexes; read pages by rowid";

  constructor(private readonly Database: SqliteCtor) {}

  async writePack(grants: readonly Grant[], dir: string): Promise<{ file: string; bytes: number }> {
    const file = join(dir, "grants.db");
    const db = new this.Database(file);
    try {
      db.pragma("journal_mode = WAL");
      db.pragma("synchronous = FULL");
      if (db.pragma("synchronous", { simple: true }) !== 2) throw new Error("better-sqlite3: synchronous is not FULL");
      db.exec(SQLITE_SCHEMA);
      const insert = db.prepare(
        "INSERT INTO grants (id, entitlement_id, resource_type, resource_id, principal_type, principal_id) " +
          "VALUES (?, ?, ?, ?, ?, ?)",
      );
      const insertAll = db.transaction((all: readonly Grant[]) => {
        for (const g of all) {
          insert.run(g.id, g.entitlementId, g.resourceType, g.resourceId, g.principalType, g.principalId);
        }
      });
      insertAll(grants);
      db.pragma("wal_checkpoint(TRUNCATE)");
    } finally {
      db.close();
    }
    // The pack must be the one file: closing the last connection after a full checkpoint deletes -wal and -shm.
    const leftovers = readdirSync(dir).filter((f) => f !== "grants.db");
    if (leftovers.length > 0 || !existsSync(file)) {
      throw new Error(`better-sqlite3: expected only grants.db in ${dir}, found ${leftovers.join(", ")}`);
    }
    return { file, bytes: statSync(file).size };
  }

  async readPack(file: string, pageSize: number): Promise<number> {
    const db = new this.Database(file, { readonly: true });
    try {
      const page = db.prepare<[number, number], SqliteGrantRow>(
        "SELECT rowid, id, entitlement_id, resource_type, resource_id, principal_type, principal_id " +
          "FROM grants WHERE rowid > ? ORDER BY rowid LIMIT ?",
      );
      let count = 0;
      let after = 0;
      for (;;) {
        const rows = page.all(after, pageSize);
        if (rows.length === 0) break;
        count += rows.length;
        after = rows[rows.length - 1].rowid;
      }
      return count;
    } finally {
      db.close();
    }
  }
}

const loadSqlite: TablesSystemLoader = async () => {
  try {
    const { default: Database } = await import("better-sqlite3");
    // Opening an in-memory database loads the native addon, so a missing build is reported here, not mid-run.
    new Database(":memory:").close();
    return { system: new SqliteTables(Database) };
  } catch (e) {
    return { skip: `cannot load better-sqlite3: ${errorText(e)}` };
  }
};

export const TABLES_SYSTEM_LOADERS: Record<TablesSystemName, TablesSystemLoader> = {
  shale: loadShale,
  "better-sqlite3": loadSqlite,
};
