// A throwaway PostgreSQL 15 server for tests:
// initdb into a fresh temp folder, pg_ctl start with a Unix socket in that folder and no TCP
// (listen_addresses=''), pg_ctl stop and delete the folder after. initdb refuses to run as root,
// so as root both run as the `postgres` user, on a folder that user owns.

import { execFile, spawnSync } from "node:child_process";
import { existsSync } from "node:fs";
import { chown, mkdtemp, rm } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { promisify } from "node:util";

const run = promisify(execFile);

export const PG_BIN = process.env.SALIENT_PG_BIN ?? "/usr/lib/postgresql/15/bin";

/** Why the real-PostgreSQL tests cannot run here, or null when they can. */
export function postgresUnavailable() {
  if (!existsSync(path.join(PG_BIN, "initdb"))) {
    return `${PG_BIN}/initdb not found: install Debian's postgresql package (./scripts/bootstrap does)`;
  }
  if (process.getuid?.() === 0 && spawnSync("id", ["-u", "postgres"]).status !== 0) {
    return "running as root and there is no postgres user to run initdb as";
  }
  return null;
}

/**
 * Starts a server; resolves to { host, port, user, database, dir, startMs, stop() }, where host
 * is the socket folder (node-postgres: `{ host, port, user, database }`).
 */
export async function startPostgres({ user = "salient", port = 5432 } = {}) {
  const started = performance.now();
  const asRoot = process.getuid?.() === 0;
  const dir = await mkdtemp(path.join(os.tmpdir(), "salient-pg-"));
  const data = path.join(dir, "data");
  const log = path.join(dir, "server.log");
  if (asRoot) {
    const uid = Number(spawnSync("id", ["-u", "postgres"], { encoding: "utf8" }).stdout);
    const gid = Number(spawnSync("id", ["-g", "postgres"], { encoding: "utf8" }).stdout);
    await chown(dir, uid, gid);
  }
  const pgRun = (tool, args) => asRoot
    ? run("runuser", ["-u", "postgres", "--", path.join(PG_BIN, tool), ...args])
    : run(path.join(PG_BIN, tool), args);

  let running = false;
  const stopSync = () => {
    if (!running) return;
    running = false;
    const args = ["-D", data, "-m", "immediate", "stop"];
    if (asRoot) spawnSync("runuser", ["-u", "postgres", "--", path.join(PG_BIN, "pg_ctl"), ...args]);
    else spawnSync(path.join(PG_BIN, "pg_ctl"), args);
  };
  process.once("exit", stopSync); // a crashed test run must not leave a server behind

  try {
    await pgRun("initdb", ["-D", data, "-A", "trust", "-U", user, "--no-sync", "-E", "UTF8", "--locale=C"]);
    await pgRun("pg_ctl", ["-D", data, "-l", log, "-w", "-t", "30", "-o",
      `-k ${dir} -p ${port} -c listen_addresses='' -c fsync=off`, "start"]);
    running = true;
  } catch (err) {
    await rm(dir, { recursive: true, force: true });
    throw new Error(`could not start PostgreSQL: ${err.stderr || err.message}`);
  }

  return {
    host: dir, port, user, database: "postgres", dir,
    startMs: Math.round(performance.now() - started),
    async stop() {
      if (running) {
        running = false;
        process.removeListener("exit", stopSync);
        await pgRun("pg_ctl", ["-D", data, "-m", "fast", "-w", "stop"]).catch(() => {});
      }
      await rm(dir, { recursive: true, force: true });
    },
  };
}
