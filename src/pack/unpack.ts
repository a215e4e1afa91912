// Unpacking: a pack back into a writable store of its own. The pack's entries go into a new store
// with one bulk ingest (they come out of the pack sorted, as ingest wants them).

import type { StoreOptions } from "../engine/options.js";
import { Store } from "../engine/store.js";
import { NodeFileSystem } from "../fs/node.js";
import { type FileSystem, joinPath } from "../fs/types.js";
import { openPack } from "./reader.js";

export interface UnpackOptions {
  /** The file system of the pack and of the new store (default: the real one). */
  fs?: FileSystem;
  /** Options for the new store (its `fs` is the one above). */
  storeOptions?: StoreOptions;
}

/** Makes a new store in `dir` (which must not hold one) with the contents of the pack `file`. */
export async function unpack(file: string, dir: string, options: UnpackOptions = {}): Promise<void> {
  const fs = options.fs ?? new NodeFileSystem();
  if (fs.exists(joinPath(dir, "CURRENT")))
    throw new Error(`${dir} already holds a store; unpack needs a new directory`);
  const p = openPack(file, { fs });
  try {
    const store = await Store.open(dir, { ...options.storeOptions, fs, errorIfExists: true, createIfMissing: true });
    try {
      const it = p.iterator();
      try {
        await store.ingest(it);
      } finally {
        it.close();
      }
    } finally {
      await store.close();
    }
  } finally {
    p.close();
  }
}
