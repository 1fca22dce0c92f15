// Earlier forms of hosts/cloudflare/worker.js for bench/cold-start.mjs (--worker-variants=…), run
// by workerd beside the real one in the same run: the worker's text with one change, written to
// build/bench/cold-worker/<variant>/hosts/cloudflare/worker.js in a tree whose other files are
// links to the repository's (hosts/driver*, hosts/routes.js, build/), so that its relative
// imports resolve as the real worker's do. Module names keep that tree's paths.
//   configure-only: the warm-up instantiates and configures each module but answers no request.
//   eager:      the worker before issue 20: no warm-up at startup, and the first request
//               instantiates and configures all four modules (createSalient's default).
//   no-warm-up: the first request instantiates its own module only (eager: false), but nothing
//               is compiled at startup.
// (Making the driver itself at startup is not possible: configuring seeds libsodium through WASI
// random_get, and a worker's top level may not draw random values; workerd refuses it too.)

import { existsSync, mkdirSync, readFileSync, rmSync, symlinkSync, writeFileSync } from "node:fs";
import path from "node:path";
import { REPO } from "./common.mjs";
import { SALIENT_MODULES } from "./workerd.mjs";

const WARM_UP_CALL = "\n  warmUp(startupEnv);\n";
const WARM_REQUEST = /\n    warmRequest\(x, put, [^\n]*\n/;
const LAZY = ", eager: false })";

export const WORKER_VARIANTS = {
  "configure-only": (text) => {
    if (!WARM_REQUEST.test(text)) throw new Error("cold-worker: worker.js no longer calls warmRequest");
    return text.replace(WARM_REQUEST, "\n");
  },
  "no-warm-up": (text) => replaceOnce(text, WARM_UP_CALL, "\n"),
  eager: (text) => replaceOnce(WORKER_VARIANTS["no-warm-up"](text), LAZY, " })"),
};

function replaceOnce(text, from, to) {
  if (text.split(from).length !== 2) throw new Error(`cold-worker: worker.js does not contain ${JSON.stringify(from)} once`);
  return text.replace(from, to);
}

/** The variant's module list for startWorkerd (its paths under build/, so read from the repository). */
export function workerVariant(name) {
  const base = path.join("build", "bench", "cold-worker", name);
  const dir = path.join(REPO, base);
  rmSync(dir, { recursive: true, force: true });
  mkdirSync(path.join(dir, "hosts", "cloudflare"), { recursive: true });
  const worker = readFileSync(path.join(REPO, "hosts", "cloudflare", "worker.js"), "utf8");
  writeFileSync(path.join(dir, "hosts", "cloudflare", "worker.js"), WORKER_VARIANTS[name](worker));
  for (const link of ["hosts/driver.js", "hosts/driver", "hosts/routes.js", "build"]) {
    if (!existsSync(path.join(dir, link))) symlinkSync(path.join(REPO, link), path.join(dir, link));
  }
  return SALIENT_MODULES.map(([file, kind]) => [path.join(base, file), kind]);
}
