// `shale serve cache`: runs the Redis-compatible server until SIGINT/SIGTERM or SHUTDOWN.
// Every `--name value` pair is a Redis setting (`--port 6380 --maxmemory 100mb`), as redis-server takes them.

import { CacheServer } from "../servers/resp/server.js";

export function parseSettings(args: string[]): Record<string, string> {
  const config: Record<string, string> = {};
  for (let i = 0; i < args.length; i++) {
    const arg = args[i];
    if (!arg.startsWith("--")) throw new Error(`expected --<setting> <value>, got "${arg}"`);
    const eq = arg.indexOf("=");
    if (eq > 0) {
      config[arg.slice(2, eq)] = arg.slice(eq + 1);
      continue;
    }
    const value = args[i + 1];
    if (value === undefined) throw new Error(`--${arg.slice(2)} needs a value`);
    config[arg.slice(2)] = value;
    i++;
  }
  return config;
}

export async function serveCache(args: string[]): Promise<number> {
  const server = new CacheServer({ config: parseSettings(args), log: (l) => process.stdout.write(`${l}\n`) });
  await server.listen();
  const stop = () => {
    void server.close();
  };
  process.once("SIGINT", stop);
  process.once("SIGTERM", stop);
  await server.closed();
  process.off("SIGINT", stop);
  process.off("SIGTERM", stop);
  return 0;
}
