// Log redaction: the one implementation every host's log lines go through (createSalient wraps
// whatever `log` a host passes; the dev server's JSONL writer and the hosts' own console lines
// call it too). A log line is for operators: whatever field a visitor's or a team member's words
// reach (an upstream's error message echoing an address, a trap's text, a name typed with a phone
// number in it), these never leave the process:
//
//   secrets    the exact values of the env's secrets (names with SECRET, KEY, TOKEN, PASSWORD),
//              `Bearer <token>`, `Basic <credentials>`, `api:<key>` → "[secret]"
//   emails     a@b.c, also reply+<id>@domain (a handoff's reply address is a capability) and
//              the %40 form of a URL → "[email]" (not Mailgun's Message-Ids: see MESSAGE_ID)
//   numbers    a run of digits, grouped or not, standing on its own (see DIGITS):
//                13–19 digits, no "+" or parentheses                     → "[card]"
//                "+" and 7–15 digits; 7–15 digits in groups; 10–12 ungrouped → "[phone]"
//                6 digits, ungrouped or 3+3 (a one-time code, shared/flows/otp) → "[code]"
//                over 19 digits, or over 15 in groups (numbers side by side)   → "[number]"
//
// Left alone, so the lines stay useful: keys, numbers and booleans (only string values are
// rewritten), UUIDs and hex ids (a digit run touching a letter, or a letter-led "-"/"." run, is
// part of a token), ISO dates and times, dotted IPv4 addresses, host:port, "HTTP 503", versions,
// rotated file names, and ungrouped runs of 7–9 digits (byte counts, durations; a national phone
// number written without separators and without "+" is the one miss).
//
// Every pattern is compiled once, has a bounded quantifier or a fixed anchor at each step and
// starts only at the beginning of a run (lookbehind), so a string costs linear time however long
// or hostile it is.

const SECRET_NAME = /SECRET|KEY|TOKEN|PASSWORD/i;
// Shorter values would turn up inside ordinary words and numbers; real secrets are longer.
const MIN_SECRET_LENGTH = 8;
const MAX_DEPTH = 16;

// A token has a digit or a symbol among its first letters ("Basic information" is English).
const CREDENTIALS = /\b(Bearer|Basic)([ \t]+)(?=[A-Za-z]{0,4096}[0-9._~+/=-])[A-Za-z0-9._~+/=-]{8,4096}|\bapi:[^\s"'<>@,;]{8,4096}/gi;
// No start anchor: in a run longer than 64 (a URL-encoded sentence, a long field), the address is
// the run's last 64 characters before the @, and each start costs at most 64 steps (linear).
const EMAIL = /[\w.+%-]{1,64}(?:@|%40)[A-Za-z0-9-]{1,63}(?:\.[A-Za-z0-9-]{1,63}){1,8}/g;
// Mailgun's (and the dev outbox's) Message-Id, <YYYYMMDDhhmmss.n.hex@domain>: an id operators
// match against Mailgun's logs, shaped like an address but naming no one.
const MESSAGE_ID = /^\d{14}\.\d+\.[0-9A-Za-z]+@/;
// A number standing on its own: optional "+" country code, optional "(area)", then up to 8 groups
// of digits joined by one space, dash or dot. Not inside a word, not right after "x-", "x." or
// "1:" unless "+" leads (a UUID's or hex id's segment, a file name's date, a time's seconds, an
// address's port; "tel:" and "phone:" do lead a number), not followed by a word character or by
// "-x" ".x" ":x" (the next segment of such a token, a time's minutes). A "/" bounds a number
// (a path segment, "/a/4111-1111-1111-1111/privacy", is a visitor's as much as a message is).
const DIGITS = /(?:(?<![\w+])\+\d{1,3}[ \u00a0.-]?|(?<![\w+]|\w[.-]|\d:))(?:\(\d{1,5}\)[ \u00a0.-]?)?\d{1,19}(?:[ \u00a0.-]\d{1,8}){0,7}(?![\w]|[.:-]\w)/g;
const MAYBE_CREDENTIALS = /bearer|basic|api:/i;
const HAS_DIGIT = /\d/;
const IPV4 = /^\d{1,3}(?:\.\d{1,3}){3}$/;
const DATE = /^(?:\d{4}[-./]\d\d?[-./]\d\d?|\d\d?[-./]\d\d?[-./]\d{4}|\d{4}[-./]\d\d)$/;

/** What a run of digits found by DIGITS is, or null to keep it. */
function classify(run) {
  if (IPV4.test(run) || DATE.test(run)) return null;
  const digits = run.replace(/\D/g, "").length;
  const international = run.startsWith("+") || run.includes("(");
  const grouped = international || /[ \u00a0.-]/.test(run);
  if (!international && digits >= 13 && digits <= 19) return "[card]";
  if (digits >= 7 && digits <= 15 && grouped) return "[phone]";
  if (!grouped && digits >= 10 && digits <= 12) return "[phone]";
  if (digits === 6 && (!grouped || /^\d{3}[ \u00a0-]\d{3}$/.test(run))) return "[code]";
  // Numbers written next to each other read as one run (a card and its expiry, two phone
  // numbers): longer than any one of them, it is redacted whole rather than kept.
  if (digits > 19 || (grouped && digits > 15)) return "[number]";
  return null;
}

const escape = (s) => s.replace(/[.*+?^${}()|[\]\\]/g, "\\$&");

/** The env's secret values as one pattern (longest first, so one that contains another wins), or null. */
function secretPattern(env) {
  const values = new Set();
  for (const [name, value] of Object.entries(env ?? {})) {
    if (typeof value === "string" && value.length >= MIN_SECRET_LENGTH && SECRET_NAME.test(name)) values.add(value);
  }
  if (!values.size) return null;
  return new RegExp([...values].sort((a, b) => b.length - a.length).map(escape).join("|"), "g");
}

/** `text` with every secret, address and number above replaced (secrets of `secrets`, a pattern or null). */
export function redactText(text, secrets = null) {
  // Most strings in a line are short words ("info", "POST"): nothing below fits in 4 characters.
  if (text.length < 5) return text;
  let out = secrets ? text.replace(secrets, "[secret]") : text;
  // Each pass only where its anchor occurs (a cheap test first: a request logs a dozen strings).
  if (MAYBE_CREDENTIALS.test(out)) {
    out = out.replace(CREDENTIALS, (m, scheme, space) => (scheme ? `${scheme}${space}[secret]` : "api:[secret]"));
  }
  if (out.includes("@") || out.includes("%40")) out = out.replace(EMAIL, (m) => (MESSAGE_ID.test(m) ? m : "[email]"));
  return HAS_DIGIT.test(out) ? out.replace(DIGITS, (run) => classify(run) ?? run) : out;
}

/**
 * A redactor for `env` (the secrets it names are read now): `(value) => value'`, a copy of a log
 * entry with every string at any depth redacted; keys, numbers, booleans and null kept.
 */
export function redactor(env = {}) {
  const secrets = secretPattern(env);
  const walk = (value, depth) => {
    if (typeof value === "string") return redactText(value, secrets);
    if (value === null || typeof value !== "object") return value;
    if (depth >= MAX_DEPTH) return "[deep]"; // a cycle or a runaway structure: not worth a line
    if (Array.isArray(value)) return value.map((v) => walk(v, depth + 1));
    if (value instanceof Error) return redactText(String(value?.stack ?? value), secrets);
    const out = {};
    for (const [k, v] of Object.entries(value)) out[k] = walk(v, depth + 1);
    return out;
  };
  return (value) => walk(value, 0);
}

/** `log` wrapped: every entry redacted (for `env`'s secrets) before it reaches it; close() kept. */
export function redactingLog(log, env = {}) {
  const redact = redactor(env);
  const wrapped = (entry) => log(redact(entry));
  if (typeof log.close === "function") wrapped.close = () => log.close();
  return wrapped;
}
