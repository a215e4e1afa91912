// Shale's public API: the engine (open, Store), tables and packs, the FileSystem implementations tests and
// tools may pass to it, and the Redis-compatible cache server with its store.

export { type CacheOptions, CacheStore, EVICTION_POLICIES, type EvictionPolicy } from "./cache/store.js";
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
export { CacheServer, type CacheServerOptions } from "./servers/resp/server.js";
export type { BulkLoadResult } from "./table/bulk-load.js";
export { RawJson, type Row } from "./table/codec.js";
export { DuplicateKeyError, ReadOnlyError } from "./table/errors.js";
export type { KvReader } from "./table/reader.js";
export type { FieldSpec, FieldType, IndexField, IndexSpec, TableSchema } from "./table/schema.js";
export { type QueryPage, Table, type TableQuery } from "./table/table.js";
export { type TableInfo, Tables } from "./table/tables.js";
export { type Direction, decodeTuple, encodeTuple, type Tuple, type TupleValue } from "./table/tuple.js";
