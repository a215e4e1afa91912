#!/usr/bin/env node
// The `shale` command's entry point. It sizes the libuv thread pool before anything uses it
// (strict writes fdatasync several WAL shards at once, and each fsync holds a pool thread), then
// hands over to the command dispatcher. Under `node --import tsx` the loader has already started
// the pool, so the npm scripts set UV_THREADPOOL_SIZE in the environment as well.

process.env.UV_THREADPOOL_SIZE ??= "16";
await import("./commands.js");
