// Errors the table layer throws besides the engine's (InvalidArgumentError for bad input).

/** A write would give two rows the same primary key, or the same values in a unique index. Nothing was written. */
export class DuplicateKeyError extends Error {
  constructor(
    readonly table: string,
    readonly index: string,
    readonly values: readonly unknown[],
  ) {
    const shown = values.map((v) => (typeof v === "bigint" ? `${v}n` : JSON.stringify(v))).join(", ");
    super(
      index === "primary"
        ? `table ${JSON.stringify(table)} already has a row with primary key (${shown})`
        : `table ${JSON.stringify(table)}: unique index ${JSON.stringify(index)} already has (${shown})`,
    );
    this.name = "DuplicateKeyError";
  }
}

/** A write on a table opened read-only (from a pack). */
export class ReadOnlyError extends Error {
  constructor(table: string) {
    super(`table ${JSON.stringify(table)} is read-only (opened from a pack); unpack it to write`);
    this.name = "ReadOnlyError";
  }
}
