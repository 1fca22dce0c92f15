// The fresh processes bench/cold-start.mjs measures, started the way the tests start them, and
// each runtime's empty peer started the same way with a handler that only answers "ok":
//   workerd  hosts/cloudflare/worker.js (SALIENT_MODULES: the four modules as CompiledWasm),
//            peer bench/workers/empty-worker.js;
//   deno     tests/support/netlify-edge-server.js running hosts/netlify/edge-functions/salient.js
//            (the bundle's build/netlify/assets.js), peer the same server over an empty handler;
//   node     tests/support/vercel-server.mjs running api/salient.js (hosts/vercel/function.js),
//            peer the same server over an empty api/salient.js.
// Plus earlier forms of worker.js (lib/cold-worker.mjs), when asked for.
// Each start resolves with { url, pid, stop } once the process accepts connections.

import { copyFileSync, mkdirSync, mkdtempSync, writeFileSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { startListening } from "../../tests/support/host-process.mjs";
import { DENO, startNetlifyEdge } from "../../tests/support/netlify-edge.mjs";
import { startVercel } from "../../tests/support/vercel.mjs";
import { REPO } from "./common.mjs";
import { workerVariant } from "./cold-worker.mjs";
import { startWorkerd, SALIENT_MODULES } from "./workerd.mjs";

const EMPTY_HANDLER = "export default () => new Response(\"ok\");\n" +
  "export const config = { path: [\"/a/*\", \"/otp/*\", \"/mail/inbound\"] };\n";

/** A tree holding a copy of `server` (a path in the repository) and `files` ({ path: text }). */
function tree(server, files) {
  const root = mkdtempSync(path.join(os.tmpdir(), "salient-cold-"));
  mkdirSync(path.join(root, path.dirname(server)), { recursive: true });
  copyFileSync(path.join(REPO, server), path.join(root, server));
  for (const [file, text] of Object.entries(files)) {
    mkdirSync(path.join(root, path.dirname(file)), { recursive: true });
    writeFileSync(path.join(root, file), text);
  }
  return root;
}

let denoPeer = null, nodePeer = null;

export const RUNTIMES = {
  workerd: {
    ours: (env) => startWorkerd("ours", { modules: SALIENT_MODULES, bindings: env }),
    peer: () => startWorkerd("empty", { modules: [["bench/workers/empty-worker.js", "esModule"]] }),
  },
  deno: {
    ours: (env) => startNetlifyEdge({ env }),
    peer: () => {
      // netlify-edge-server.js imports ../../hosts/netlify/edge-functions/salient.js: an empty one here.
      denoPeer ??= tree("tests/support/netlify-edge-server.js", { "hosts/netlify/edge-functions/salient.js": EMPTY_HANDLER });
      return startListening({
        name: "deno (empty)", command: DENO,
        args: ["run", "--no-lock", "--no-prompt", "--allow-net=127.0.0.1", "--allow-env", path.join(denoPeer, "tests/support/netlify-edge-server.js")],
        env: { DENO_DIR: path.join(REPO, "build", "deno") },
      });
    },
  },
  node: {
    ours: (env) => startVercel({ env }),
    peer: () => {
      // vercel-server.mjs imports <root>/api/salient.js and reads <root>/vercel.json.
      nodePeer ??= tree("vercel.json", { "api/salient.js": "export default { fetch: () => new Response(\"ok\") };\n" });
      return startListening({
        name: "node (empty)", command: process.execPath,
        args: [path.join(REPO, "tests/support/vercel-server.mjs"), nodePeer],
      });
    },
  },
};

/** Adds worker.js's variants (lib/cold-worker.mjs) to the workerd runtime, after the real worker. */
export function addWorkerVariants(names) {
  for (const name of names) {
    const modules = workerVariant(name);
    RUNTIMES.workerd[name] = (env) => startWorkerd(name, { modules, bindings: env });
  }
}
