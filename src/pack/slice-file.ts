// How a pack's segment sections are opened as files of their own: a window onto part of the pack,
// read through its handle (a section stored as it is), or bytes in memory (a deflated section,
// inflated when the pack opens).

import type { ReadableFile } from "../fs/types.js";

export class SliceFile implements ReadableFile {
  constructor(
    private readonly file: ReadableFile,
    /** Where the slice starts in `file`. */
    private readonly base: number,
    readonly size: number,
    /** The name errors give (the pack and the section). */
    readonly path: string,
  ) {}

  read(buf: Uint8Array, offset: number, length: number, position: number): number {
    if (position >= this.size || length <= 0) return 0;
    const n = Math.min(length, this.size - position);
    return this.file.read(buf, offset, n, this.base + position);
  }

  /** The shared file stays open: its owner (the pack) closes it. */
  close(): void {}
}

/** A segment's bytes held in memory, read as a file. */
export class BytesFile implements ReadableFile {
  readonly size: number;
  constructor(
    private readonly bytes: Uint8Array,
    readonly path: string,
  ) {
    this.size = bytes.length;
  }

  read(buf: Uint8Array, offset: number, length: number, position: number): number {
    if (position >= this.size || length <= 0) return 0;
    const n = Math.min(length, this.size - position);
    buf.set(this.bytes.subarray(position, position + n), offset);
    return n;
  }

  close(): void {}
}
