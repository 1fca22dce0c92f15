// JSON-lines logs for the dev server: each entry on stdout and appended to
// a file (salient.yaml `logging.path`), below `logging.level` dropped. The core's entries carry
// request id, tenant, session and event; the driver adds one `http.request` entry per request
// with its latency. The host stamps the time (the core reads no clock).
//
// Every line is redacted here as well, as the last step before it is written (the driver's
// redaction, hosts/driver/redact.js, the same function): emails, phone numbers, card-like numbers,
// one-time codes and the values of `env`'s secrets in any string never reach stdout or the file,
// whoever logged the entry.
//
// Rotation and retention, as build/salient.json carries them (`logging.rotation`,
// `logging.retention`, parsed by the config compiler):
//   rotation  {"bytes": N}: before a line would take the current file past N bytes, or
//             {"seconds": N}: before a line is written to a file whose first entry is N seconds
//             old, the file is renamed to <name>.<UTC time of the rotation>.<ext>, e.g.
//             app.2026-12-06T23-40-12.jsonl (a second rotation within the same second adds _1,
//             _2, …), and a new one is started. Checked as lines are written: an idle server
//             does not rotate. A line longer than N bytes gets a file of its own.
//   retention {"seconds": N}: rotated files of this log whose time is more than N seconds ago,
//             or {"files": N}: all but the newest N rotated files, are deleted, at start and
//             after every rotation.
// Anything else (the older compiled form, a plain string such as "50 MB") means no rotation, or
// no deletion. Lines are written synchronously, each whole in one call: a line is in its file
// before the next is written, so a rotation between two lines loses or splits none (the dev
// server writes a few lines per request).
import { closeSync, mkdirSync, openSync, readdirSync, readSync, renameSync, statSync, unlinkSync, writeSync } from "node:fs";
import path from "node:path";
import { redactor } from "../driver/redact.js";

const LEVELS = { debug: 0, info: 1, warn: 2, error: 3 };

const positive = (n) => (Number.isFinite(n) && n > 0 ? n : null);

/**
 * `rotation`, `retention`: as build/salient.json's `logging` has them (above). `now`: the clock,
 * in ms, for entries' time, file ages and rotated names (tests pass their own). `env`: whose
 * secrets' values are redacted (the server's environment).
 */
export function jsonlLogger({ file, level = "INFO", stdout = true, rotation = null, retention = null, now = Date.now, env = {} }) {
  const redact = redactor(env);
  mkdirSync(path.dirname(file), { recursive: true });
  const min = LEVELS[String(level).toLowerCase()] ?? LEVELS.info;
  const maxBytes = positive(rotation?.bytes);
  const maxAgeMs = positive(rotation?.seconds) && rotation.seconds * 1000;
  const rotated = rotatedFiles(file);
  const keep = { ms: positive(retention?.seconds) && retention.seconds * 1000, files: positive(retention?.files) };

  let fd = openSync(file, "a");
  let size = statSync(file).size;
  let startedAt = size > 0 ? firstEntryTime(file) : null; // of the current file's first entry
  let rotating = Boolean(maxBytes || maxAgeMs);
  rotated.prune(keep, now());

  /** Renames the current file aside and opens a new one; on failure keeps writing where it was. */
  const rotate = (at) => {
    try {
      closeSync(fd);
      renameSync(file, rotated.nameFor(at));
    } catch (err) {
      console.error(redact(`logs: cannot rotate ${file} (${err.message}); writing on without rotation`));
      rotating = false;
    }
    fd = openSync(file, "a");
    size = statSync(file).size;
    startedAt = size > 0 ? firstEntryTime(file) : null;
    rotated.prune(keep, at);
  };

  const log = (entry) => {
    if ((LEVELS[entry.level] ?? LEVELS.info) < min) return;
    const at = now();
    const line = JSON.stringify({ time: new Date(at).toISOString(), ...redact(entry) });
    if (stdout) console.log(line);
    if (fd === null) return; // closed: stdout only
    const bytes = Buffer.from(line + "\n");
    if (rotating && size > 0
        && ((maxBytes && size + bytes.length > maxBytes) || (maxAgeMs && at - (startedAt ?? at) >= maxAgeMs))) {
      rotate(at);
    }
    for (let done = 0; done < bytes.length;) done += writeSync(fd, bytes, done);
    size += bytes.length;
    startedAt ??= at;
  };
  log.close = async () => {
    if (fd !== null) closeSync(fd);
    fd = null;
  };
  return log;
}

/** The time of a log file's first entry, in ms; its modification time when that cannot be read. */
function firstEntryTime(file) {
  const buffer = Buffer.alloc(64 * 1024);
  const fd = openSync(file, "r");
  try {
    const text = buffer.toString("utf8", 0, readSync(fd, buffer, 0, buffer.length, 0));
    const time = Date.parse(JSON.parse(text.slice(0, text.indexOf("\n"))).time);
    if (Number.isFinite(time)) return time;
  } catch {
    // not one of our lines: fall back to the file's own time below
  } finally {
    closeSync(fd);
  }
  return statSync(file).mtimeMs;
}

/** The rotated files of `file` (app.jsonl → app.<time>[_n].jsonl beside it): naming and pruning. */
function rotatedFiles(file) {
  const dir = path.dirname(file);
  const ext = path.extname(file);
  const stem = path.basename(file, ext);
  const escape = (s) => s.replace(/[.*+?^${}()|[\]\\]/g, "\\$&");
  const pattern = new RegExp(`^${escape(stem)}\\.(\\d{4})-(\\d\\d)-(\\d\\d)T(\\d\\d)-(\\d\\d)-(\\d\\d)(?:_(\\d+))?${escape(ext)}$`);
  const stamp = (ms) => new Date(ms).toISOString().slice(0, 19).replaceAll(":", "-");

  /** Oldest first, by their time and then their _n. */
  const list = () => {
    const found = [];
    for (const name of readdirSync(dir)) {
      const m = pattern.exec(name);
      if (!m) continue;
      const [, y, mo, d, h, mi, s, n] = m.map(Number);
      found.push({ name, time: Date.UTC(y, mo - 1, d, h, mi, s), n: n || 0 });
    }
    return found.sort((a, b) => a.time - b.time || a.n - b.n);
  };

  return {
    nameFor(ms) {
      const taken = new Set(readdirSync(dir));
      let name = `${stem}.${stamp(ms)}${ext}`;
      for (let n = 1; taken.has(name); n++) name = `${stem}.${stamp(ms)}_${n}${ext}`;
      return path.join(dir, name);
    },
    /** Deletes what `keep` ({ms} or {files}; null: nothing) no longer keeps, as of `at`. */
    prune(keep, at) {
      if (!keep.ms && !keep.files) return;
      const all = list();
      const old = keep.files ? all.slice(0, Math.max(0, all.length - keep.files))
        : all.filter((f) => f.time < at - keep.ms);
      for (const { name } of old) {
        try {
          unlinkSync(path.join(dir, name));
        } catch {
          // already gone (another process pruned it): nothing to do
        }
      }
    },
  };
}
