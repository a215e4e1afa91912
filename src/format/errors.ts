// Typed errors of the format layer. A CorruptionError means bytes on disk are not what Shale
// wrote: a checksum failed, a structure is malformed, or a file is shorter than its own header
// says. It is never raised for a torn tail, which recovery truncates silently.

export class CorruptionError extends Error {
  /** The file (or section) where the damage was found. */
  readonly file: string;
  constructor(file: string, message: string) {
    super(`corruption in ${file}: ${message}`);
    this.name = "CorruptionError";
    this.file = file;
  }
}
