// The serverless Node hosts' start: the driver over the build's files on disk (build/ beside
// hosts/, as the platform ships them: Vercel's `includeFiles`, Netlify's `included_files`).
// Used by the Vercel function and cron route (hosts/vercel/) and the Netlify scheduled function
// (hosts/netlify/functions/). The dev server compiles every module at start instead
// (hosts/node-dev/server.js), so that a broken build fails before it listens.

import { existsSync, readFileSync } from "node:fs";
import { createSalient } from "./driver.js";

const BUILD = new URL("../build/", import.meta.url);
export const FUNCTIONS = ["chat", "stream", "otp", "summary"];

/**
 * createSalient over <build>/wasi/functions/<fn>.wasm for each of `functions`,
 * <build>/salient.json and <build>/knowledge.bin (when there is one). Each module is compiled
 * and instantiated when a request first needs it: a cold instance pays for the module it
 * serves only, and one that fails answers its request 500 with a host.instantiate_failed line.
 * The config is read now: a missing or invalid one throws here.
 */
export function salientFromBuild({ functions = FUNCTIONS, env = process.env, build = BUILD, log = undefined } = {}) {
  const knowledge = new URL("knowledge.bin", build);
  return createSalient({
    modules: Object.fromEntries(functions.map((fn) => [fn, () => new WebAssembly.Module(readFileSync(new URL(`wasi/functions/${fn}.wasm`, build)))])),
    config: JSON.parse(readFileSync(new URL("salient.json", build), "utf8")),
    env,
    knowledge: existsSync(knowledge) ? new Uint8Array(readFileSync(knowledge)) : null,
    eager: false,
    ...(log && { log }),
  });
}
