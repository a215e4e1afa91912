// The `shale` command: parses arguments (node:util parseArgs) and runs a subcommand.
//   shale demo [--dir DIR] [--n N]     open a store on embedded defaults and show what it does
//   shale bench <suite> [options]      run a benchmark suite from bench/ (engine, tables)
//   shale stats --dir DIR              print a store's levels, files and counters
//   shale serve cache [--port P] [--<redis setting> value ...]   run the Redis-compatible cache server

import { spawnSync } from "node:child_process";
import { existsSync } from "node:fs";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { parseArgs } from "node:util";
import { runDemo } from "./demo.js";

const USAGE = `usage: shale <command> [options]

commands:
  demo [--dir DIR] [--n N]     open a store (default ./shale-data/engine), write, read, scan and report
  bench <suite> [--quick] [--json] [...]
                               benchmark a suite side by side with its peers (suites: engine, tables, cache)
  stats --dir DIR              print a store's levels, files and counters
  serve cache [--port 6379] [--bind 127.0.0.1] [--maxmemory 100mb] [--maxmemory-policy allkeys-lru]
              [--requirepass PW] [--appendonly yes] [--appendfsync everysec] [--<any redis setting> V]
                               run the Redis-compatible cache server (redis-cli, ioredis, node-redis work unchanged)
  help                         this text
`;

async function main(argv: string[]): Promise<number> {
  const [command, ...rest] = argv;
  switch (command ?? "demo") {
    case "demo": {
      const { values } = parseArgs({
        args: rest,
        options: { dir: { type: "string" }, n: { type: "string" } },
        strict: true,
      });
      const n = values.n === undefined ? 200_000 : Number(values.n);
      if (!Number.isSafeInteger(n) || n <= 0) throw new Error(`--n must be a positive integer, got ${values.n}`);
      await runDemo(values.dir ?? join("shale-data", "engine"), n);
      return 0;
    }
    case "bench": {
      const [suite, ...args] = rest;
      if (!suite) {
        process.stderr.write("shale bench: name a suite, e.g. `shale bench engine --quick`\n");
        return 2;
      }
      const root = resolve(dirname(fileURLToPath(import.meta.url)), "..", "..");
      const script = join(root, "bench", `${suite}.ts`);
      if (!existsSync(script)) {
        process.stderr.write(
          `shale bench: no suite "${suite}" (looked for ${script}); suites: engine, tables, cache\n`,
        );
        return 2;
      }
      const r = spawnSync(process.execPath, ["--import", "tsx", script, ...args], { stdio: "inherit", cwd: root });
      return r.status ?? 1;
    }
    case "serve": {
      const [face, ...args] = rest;
      if (face !== "cache") {
        process.stderr.write(`shale serve: name a face, e.g. \`shale serve cache --port 6379\` (faces: cache)\n`);
        return 2;
      }
      const { serveCache } = await import("./serve-cache.js");
      return serveCache(args);
    }
    case "stats": {
      const { values } = parseArgs({ args: rest, options: { dir: { type: "string" } }, strict: true });
      if (!values.dir) throw new Error("shale stats needs --dir DIR");
      const { open } = await import("../index.js");
      const db = await open(values.dir, { createIfMissing: false });
      try {
        process.stdout.write(`${JSON.stringify(db.stats(), null, 2)}\n`);
      } finally {
        await db.close();
      }
      return 0;
    }
    case "help":
    case "--help":
    case "-h":
      process.stdout.write(USAGE);
      return 0;
    default:
      process.stderr.write(`shale: unknown command "${command}"\n\n${USAGE}`);
      return 2;
  }
}

main(process.argv.slice(2)).then(
  (code) => {
    process.exitCode = code;
  },
  (err: unknown) => {
    process.stderr.write(`shale: ${err instanceof Error ? err.message : String(err)}\n`);
    process.exitCode = 1;
  },
);
