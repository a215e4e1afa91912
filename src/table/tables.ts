// The tables of one store (or one pack) and their catalog. Each table is defined once: its schema
// is stored under the metadata prefix (keys.ts) with a table id that gives its rows a key prefix of
// their own, so several tables share one store. Opening the store again finds them; defining an
// existing table again must give the same schema.

import { InvalidArgumentError } from "../engine/errors.js";
import type { Snapshot, Store } from "../engine/store.js";
import { catalogPrefix, componentRangeEnd, metaKey } from "./keys.js";
import type { KvReader } from "./reader.js";
import { canonicalSchema, resolveSchema, type TableSchema } from "./schema.js";
import { Table } from "./table.js";

/** A catalog entry: what a pack's manifest lists for each table. */
export interface TableInfo {
  name: string;
  id: number;
  schema: TableSchema;
  rows: number;
}

interface CatalogValue {
  id: number;
  schema: TableSchema;
}

const utf8 = new TextEncoder();
const decoder = new TextDecoder();

/** The stored catalog entries, in name order. */
export function readCatalog(reader: KvReader): CatalogValue[] {
  const prefix = catalogPrefix();
  const out: CatalogValue[] = [];
  const it = reader.iterator({ gte: prefix, lt: componentRangeEnd(prefix) });
  try {
    for (const [, v] of it) out.push(JSON.parse(decoder.decode(v)) as CatalogValue);
  } finally {
    it.close();
  }
  return out;
}

export class Tables {
  private readonly byName = new Map<string, Table>();
  private defining: Promise<unknown> = Promise.resolve();

  private constructor(
    private readonly reader: KvReader,
    private readonly store: Store | null,
  ) {
    for (const entry of readCatalog(reader)) {
      this.byName.set(entry.schema.name, new Table(entry.id, resolveSchema(entry.schema), reader, store));
    }
  }

  /** The tables of a live store, for reading and writing. */
  static open(store: Store): Tables {
    return new Tables(store, store);
  }

  /** The tables of a read-only source (an opened pack). */
  static openReadOnly(reader: KvReader): Tables {
    return new Tables(reader, null);
  }

  /**
   * Creates a table, or returns the existing one when the stored schema is the same. A different
   * schema for an existing name is an InvalidArgumentError (schema changes need a migration).
   */
  define(schema: TableSchema): Promise<Table> {
    const run = this.defining.then(() => this.defineNow(schema));
    this.defining = run.catch(() => undefined);
    return run;
  }

  private async defineNow(schema: TableSchema): Promise<Table> {
    const wanted = canonicalSchema(schema);
    const existing = this.byName.get(schema.name);
    if (existing) {
      if (canonicalSchema(existing.schema.schema) !== wanted) {
        throw new InvalidArgumentError(
          `table ${JSON.stringify(schema.name)} exists with a different schema: stored ${canonicalSchema(existing.schema.schema)}, given ${wanted}`,
        );
      }
      return existing;
    }
    if (!this.store) throw new InvalidArgumentError(`cannot define table ${JSON.stringify(schema.name)}: read-only`);
    const stored = JSON.parse(wanted) as TableSchema;
    let id = 1;
    for (const t of this.byName.values()) id = Math.max(id, t.id + 1);
    const value: CatalogValue = { id, schema: stored };
    await this.store.put(metaKey("catalog", schema.name), utf8.encode(JSON.stringify(value)));
    const table = new Table(id, resolveSchema(stored), this.reader, this.store);
    this.byName.set(schema.name, table);
    return table;
  }

  /** The table with this name; an InvalidArgumentError if there is none. */
  table(name: string): Table {
    const t = this.byName.get(name);
    if (!t) {
      const known = [...this.byName.keys()].join(", ") || "none";
      throw new InvalidArgumentError(`no table ${JSON.stringify(name)} (tables: ${known})`);
    }
    return t;
  }

  has(name: string): boolean {
    return this.byName.has(name);
  }

  /** Every table with its schema and row count, in name order. */
  list(): TableInfo[] {
    return [...this.byName.values()]
      .map((t) => ({ name: t.name, id: t.id, schema: t.schema.schema, rows: t.rows }))
      .sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
  }

  /** A consistent view for reads across tables (pass it as `snapshot`); release it when done. */
  snapshot(): Snapshot {
    return this.reader.snapshot();
  }
}
