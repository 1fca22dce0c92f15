// The dev server under a salient.yaml whose chat.input and ui keys differ from the demo's in
// every way the page and the widget act on: Enter sends (so Enter never adds a line), a 1000 ms
// debounce, and no event stream (each answer comes whole, as one JSON document). PGlite in memory.

import { readFileSync } from "node:fs";
import path from "node:path";
import { startServer } from "../../hosts/node-dev/server.js";
import { REPO } from "./workerd.mjs";

export const OTHER_KEYS = { submit_shortcut: "enter", enter_inserts_newline: false, debounce_ms: 1000, sse_enabled: false };

/** Resolves to the started server ({ url, close }), configured from build/salient.json. */
export function startServerWithOtherKeys() {
  const config = JSON.parse(readFileSync(path.join(REPO, "build", "salient.json"), "utf8"));
  const { sse_enabled: sse, ...input } = OTHER_KEYS;
  Object.assign(config.chat.input, input);
  config.ui.sse_enabled = sse;
  return startServer({ port: 0, env: { SALIENT_STATE: "memory" }, log: () => {}, config });
}
