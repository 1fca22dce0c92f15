// The Node dev server in a process of its own for the load test (bench/lib/load.mjs), so that
// the visitors and fakes of the test process do not share its event loop:
//   node bench/lib/load-dev-server.mjs <compiled config.json>   (env: the host's, SUPABASE_URL set)
// Prints {"port": n} once listening; only warn and error log lines are kept (all of them would be
// the load).

import { readFileSync } from "node:fs";
import { startServer } from "../../hosts/node-dev/server.js";

const config = JSON.parse(readFileSync(process.argv[2], "utf8"));
// Warnings and errors only, to stderr: the test's record of what went wrong inside the host.
const log = (entry) => {
  if (entry?.level === "warn" || entry?.level === "error") process.stderr.write(`${JSON.stringify(entry)}\n`);
};
const server = await startServer({ port: 0, config, env: process.env, log });
console.log(JSON.stringify({ port: Number(new URL(server.url).port) }));
const stop = async () => {
  await server.close();
  process.exit(0);
};
process.on("SIGTERM", stop);
process.on("SIGINT", stop);
