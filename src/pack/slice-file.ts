// A window onto part of a larger file, read through the file's own handle: how a pack's segment
// sections are opened in place, each as if it were a segment file of its own.

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
