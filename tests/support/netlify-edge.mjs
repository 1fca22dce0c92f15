// Starts the Netlify Edge Function (hosts/netlify/edge-functions/salient.js) under real Deno
// (2.9.6, see DENO below) through tests/support/netlify-edge-server.js, on a loopback port.
// `env` becomes the site's environment variables (Netlify.env). Resolves once it listens.

import { existsSync } from "node:fs";
import { mkdtemp, rm } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { writeNetlifyAssets } from "../../hosts/netlify/assets.mjs";
import { configuredCopy, startListening } from "./host-process.mjs";
import { DRIVER_SOURCES, REPO } from "./workerd.mjs";

// Deno's Linux x64 binary from the npm registry: the platform package itself (an optional
// dependency in package.json), because the registry this project installs from lacks the `deno`
// package's other platforms and `npm ci` then refuses its lock. Elsewhere: a `deno` on PATH.
export const DENO = existsSync(path.join(REPO, "node_modules", "@deno", "linux-x64-glibc", "deno"))
  ? path.join(REPO, "node_modules", "@deno", "linux-x64-glibc", "deno")
  : "deno";

// What the edge function's bundle holds, relative to the repository: a copy of these runs with
// another compiled config (salientConfig), beside its own build/netlify/assets.js.
const EDGE_SOURCES = [...DRIVER_SOURCES, "hosts/routes.js", "hosts/netlify/edge-functions/salient.js", "tests/support/netlify-edge-server.js"];

export async function startNetlifyEdge({ env = {}, salientConfig = null, timeoutMs = 30000 } = {}) {
  const dir = salientConfig ? await mkdtemp(path.join(os.tmpdir(), "salient-netlify-")) : null;
  let root = REPO;
  if (salientConfig) {
    root = await configuredCopy(dir, EDGE_SOURCES, salientConfig);
    writeNetlifyAssets(path.join(root, "build"));
  }
  return startListening({
    name: "deno (netlify edge)",
    command: DENO,
    args: [
      "run", "--no-lock", "--no-prompt",
      "--allow-net=127.0.0.1", // its own socket, the state store and the fake upstreams
      "--allow-env",
      path.join(root, "tests", "support", "netlify-edge-server.js"),
    ],
    env: { DENO_DIR: path.join(REPO, "build", "deno"), ...env },
    timeoutMs,
    cleanup: async () => dir && (await rm(dir, { recursive: true, force: true })),
  });
}
