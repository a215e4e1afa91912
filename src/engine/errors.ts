// Typed errors of the engine's public API. Each message says what went wrong and what to do.

export { CorruptionError } from "../format/errors.js";

/** The store was used after `close()`, or closed under an open iterator. */
export class StoreClosedError extends Error {
  constructor(message = "the store is closed: open it again to use it") {
    super(message);
    this.name = "StoreClosedError";
  }
}

/** Another process (or another open in this one) holds the store's directory. */
export class StoreLockedError extends Error {
  constructor(dir: string, detail: string) {
    super(`the store at ${dir} is already open (${detail}); close the other user first`);
    this.name = "StoreLockedError";
  }
}

/**
 * A write could not be made durable (an I/O error such as ENOSPC or EIO). The store stops
 * accepting writes, since later writes could not be ordered after the failed one; reads keep
 * working. Everything acknowledged before is safe: close and reopen the store once the cause
 * (a full disk, say) is fixed. The failed write itself may or may not be present after reopening.
 */
export class StoreWriteError extends Error {
  constructor(message: string, cause: unknown) {
    super(message, { cause });
    this.name = "StoreWriteError";
  }
}

/** An argument was not acceptable (a key of the wrong type, say). Nothing was written. */
export class InvalidArgumentError extends TypeError {
  constructor(message: string) {
    super(message);
    this.name = "InvalidArgumentError";
  }
}
