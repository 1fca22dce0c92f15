// The warnings and errors this isolate logged, kept for the admin's Warnings page (issue 20).
// createSalient wraps its `log` so that each warn or error line, as the host's log receives it
// (already redacted: driver/redact.js runs first), is also queued here; after a request's run is
// over the driver sends the queue to the otp module on an internal request whose head alone
// carries `log_flush: true` (docs/ABI.md), which stores the lines in the bounded log_events table.
//
// Bounds: at most MAX_QUEUED lines wait (older ones are dropped and counted: the next batch
// starts with one host.log_dropped line saying how many), a batch is at most MAX_BATCH lines and
// MAX_BATCH_BYTES of JSON, a line's fields at most MAX_FIELDS_BYTES. No loops: the lines of a
// flush's own run (its request id) are never queued, nor is the line a failed flush logs, and
// one flush at a time is in flight.

export const MAX_QUEUED = 100;
export const MAX_BATCH = 100;
export const MAX_FIELDS_BYTES = 3500; // ≤ 4 KB as stored (jsonb's text adds a space per key)
export const MAX_BATCH_BYTES = 60000; // under limits.max_body_bytes' default (65536)
const MAX_EVENT = 100;
const MAX_MODULE = 20;
const MAX_STRING = 256; // a string field of a line too large as a whole

const encoder = new TextEncoder();
const bytes = (value) => encoder.encode(JSON.stringify(value)).length;

/** "warn" or "error" for the levels kept, else null. */
function keptLevel(level) {
  if (level === "warn" || level === "warning") return "warn";
  if (level === "error" || level === "fatal") return "error";
  return null;
}

/** A line's other keys, at most MAX_FIELDS_BYTES as JSON: long strings cut, then keys dropped. */
export function trimFields(fields) {
  if (bytes(fields) <= MAX_FIELDS_BYTES) return fields;
  const out = {};
  let size = 2;
  for (const [key, value] of Object.entries(fields)) {
    let v = value;
    if (typeof v === "string" && v.length > MAX_STRING) v = v.slice(0, MAX_STRING) + "…";
    else if (v !== null && typeof v === "object" && bytes(v) > MAX_STRING) v = "[too large]";
    const add = bytes(key) + bytes(v) + 2;
    if (size + add > MAX_FIELDS_BYTES - 24) {
      out.truncated = true;
      break;
    }
    out[key] = v;
    size += add;
  }
  return out;
}

/** The stored shape of a (redacted) log entry, or null when it is not a warning or an error. */
export function storedLine(entry, nowMs) {
  if (!entry || typeof entry !== "object") return null;
  const level = keptLevel(entry.level);
  if (!level) return null;
  const { level: _level, event, module, time: _time, ...rest } = entry;
  return {
    ts_ms: Math.round(nowMs),
    level,
    event: (typeof event === "string" && event ? event : "unknown").slice(0, MAX_EVENT),
    module: (typeof module === "string" && module ? module : "host").slice(0, MAX_MODULE),
    fields: trimFields(rest),
  };
}

/**
 * The queue. `keep(entry)` queues a redacted entry unless it is not kept or comes from one of
 * the request ids in `ignored` (the flushes' own runs); `take()` empties it into one batch.
 */
export function createLogQueue({ now = Date.now, max = MAX_QUEUED } = {}) {
  let lines = [];
  let dropped = 0;
  const ignored = new Set();
  return {
    ignored,
    get size() {
      return lines.length;
    },
    get dropped() {
      return dropped;
    },
    keep(entry) {
      if (entry && ignored.has(entry.request_id)) return;
      const line = storedLine(entry, now());
      if (!line) return;
      lines.push(line);
      if (lines.length > max) {
        dropped += lines.length - max;
        lines = lines.slice(lines.length - max);
      }
    },
    /** Up to MAX_BATCH lines and MAX_BATCH_BYTES (oldest first), led by a count of dropped lines. */
    take() {
      const batch = [];
      let size = 2;
      if (dropped > 0) {
        const line = { ts_ms: Math.round(now()), level: "warn", event: "host.log_dropped", module: "host", fields: { dropped } };
        batch.push(line);
        size += bytes(line) + 1;
        dropped = 0;
      }
      let n = 0;
      while (n < lines.length && batch.length < MAX_BATCH) {
        const add = bytes(lines[n]) + 1;
        if (size + add > MAX_BATCH_BYTES) break;
        batch.push(lines[n]);
        size += add;
        n++;
      }
      lines = lines.slice(n);
      return batch;
    },
  };
}

/** `log` wrapped so that every entry it is given also goes to `queue` (close() kept). */
export function queueingLog(log, queue) {
  const wrapped = (entry) => {
    log(entry);
    queue.keep(entry);
  };
  if (typeof log.close === "function") wrapped.close = () => log.close();
  return wrapped;
}
