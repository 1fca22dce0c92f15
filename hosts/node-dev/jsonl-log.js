// JSON-lines logs for the dev server (seeds/001 "Logging"): each entry on stdout and appended to
// a file (salient.yaml `logging.path`), below `logging.level` dropped. The core's entries carry
// request id, tenant, session and event; the driver adds one `http.request` entry per request
// with its latency. The host stamps the time (the core reads no clock). Rotation and retention
// (`logging.rotation`, `logging.retention`) are left to the platform's log tooling for now.
import { createWriteStream, mkdirSync } from "node:fs";
import path from "node:path";

const LEVELS = { debug: 0, info: 1, warn: 2, error: 3 };

export function jsonlLogger({ file, level = "INFO", stdout = true }) {
  mkdirSync(path.dirname(file), { recursive: true });
  const out = createWriteStream(file, { flags: "a" });
  const min = LEVELS[String(level).toLowerCase()] ?? LEVELS.info;
  const log = (entry) => {
    if ((LEVELS[entry.level] ?? LEVELS.info) < min) return;
    const line = JSON.stringify({ time: new Date().toISOString(), ...entry });
    if (stdout) console.log(line);
    out.write(line + "\n");
  };
  log.close = () => new Promise((resolve) => out.end(resolve));
  return log;
}
