// Shale's public API: the engine (open, Store), single-file packs (pack, openPack, unpack) and the
// FileSystem implementations tests and tools may pass to them.

export { InvalidArgumentError, StoreClosedError, StoreLockedError, StoreWriteError } from "./engine/errors.js";
export type { Durability, StoreOptions } from "./engine/options.js";
export {
  type BatchOp,
  open,
  type PinnedSegments,
  type ReadOptions,
  type Snapshot,
  Store,
  type StoreStats,
  type WriteOptions,
} from "./engine/store.js";
export type { Entry, IteratorOptions, Key, RangeOptions, StoreIterator } from "./engine/store-iterator.js";
export { CorruptionError } from "./format/errors.js";
export { FaultyFileSystem } from "./fs/faulty.js";
export { MemoryFileSystem } from "./fs/memory.js";
export { NodeFileSystem } from "./fs/node.js";
export type { FileSystem } from "./fs/types.js";
export { FsError } from "./fs/types.js";
export {
  type OpenPackOptions,
  openPack,
  Pack,
  type PackInfo,
  type PackManifest,
  type PackOptions,
  type PackSegment,
  pack,
  type UnpackOptions,
  unpack,
} from "./pack/index.js";
