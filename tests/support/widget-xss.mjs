// The widget core's XSS corpus (tests/fixtures/xss/vectors.txt, written for the core's own tests),
// read for the browser test. The format is documented at the top of that file: a header, then
// records separated by lines that are exactly `%%` (the newline before each `%%` and the file's
// final newline are not part of a record).
import { existsSync, readFileSync } from "node:fs";
import path from "node:path";
import { REPO } from "./workerd.mjs";

export const XSS_VECTORS = path.join(REPO, "tests", "fixtures", "xss", "vectors.txt");

/** The records, or null when the file is missing. */
export function readXssVectors(file = XSS_VECTORS) {
  if (!existsSync(file)) return null;
  let text = readFileSync(file, "utf8");
  if (text.endsWith("\n")) text = text.slice(0, -1);
  const parts = text.split(/\n%%(?:\n|$)/);
  // parts[0] ends at the first `%%` line: the header (a file starting with `%%` has none).
  if (text.startsWith("%%\n")) parts[0] = parts[0].slice(3);
  else parts.shift();
  return parts;
}
