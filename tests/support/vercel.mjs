// Starts the Vercel function (api/salient.js → hosts/vercel/function.js) under Node, in its own
// process, behind tests/support/vercel-server.mjs (vercel.json's rewrites), on a loopback port.
// `env` becomes the project's environment variables. Resolves once it listens.

import { mkdtemp, rm } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { configuredCopy, startListening } from "./host-process.mjs";
import { DRIVER_SOURCES, REPO } from "./workerd.mjs";

// The function's sources, relative to the repository: a copy of these runs with another compiled
// config (salientConfig), beside its own build/.
const FUNCTION_SOURCES = ["api/salient.js", "vercel.json", ...DRIVER_SOURCES, "hosts/routes.js", "hosts/node-build.js", "hosts/vercel/function.js", "hosts/node-dev/http.js", "tests/support/vercel-server.mjs"];

export async function startVercel({ env = {}, salientConfig = null, timeoutMs = 30000 } = {}) {
  const dir = salientConfig ? await mkdtemp(path.join(os.tmpdir(), "salient-vercel-")) : null;
  const root = salientConfig ? await configuredCopy(dir, FUNCTION_SOURCES, salientConfig) : REPO;
  return startListening({
    name: "node (vercel function)",
    command: process.execPath,
    args: [path.join(root, "tests", "support", "vercel-server.mjs"), root],
    env,
    timeoutMs,
    cleanup: async () => dir && (await rm(dir, { recursive: true, force: true })),
  });
}
