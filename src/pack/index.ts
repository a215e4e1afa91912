// Single-file packs: `pack` writes a store (or chosen tables) into one checksummed file, `openPack`
// opens one read-only in place with the query API of a live store, `unpack` makes a store from one.

export { type PackManifest, type PackSegment, SHALE_VERSION } from "./format.js";
export { type OpenPackOptions, openPack, Pack } from "./reader.js";
export { type UnpackOptions, unpack } from "./unpack.js";
export { type PackInfo, type PackOptions, pack } from "./writer.js";
