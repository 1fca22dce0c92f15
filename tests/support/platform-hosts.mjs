// The three platforms' hosts the end-to-end tests run beside a store: workerd (Cloudflare), Deno
// running the Netlify Edge Function, Node running the Vercel function; a runtime missing on this
// machine skips its host (the build's own files are assumed present).
//
//   for (const { name, start, skip } of PLATFORM_HOSTS) describe(name, { skip }, () => { … start … });

import { spawnSync } from "node:child_process";
import { existsSync } from "node:fs";
import path from "node:path";
import { DENO, startNetlifyEdge } from "./netlify-edge.mjs";
import { startVercel } from "./vercel.mjs";
import { REPO, startWorkerd } from "./workerd.mjs";

const WORKERD = path.join(REPO, "node_modules", ".bin", "workerd");
const denoMissing = DENO === "deno" ? spawnSync("deno", ["--version"]).error !== undefined : !existsSync(DENO);

export const PLATFORM_HOSTS = [
  { name: "Cloudflare (workerd)", start: startWorkerd, skip: !existsSync(WORKERD) && "workerd is not installed (npm ci)" },
  { name: "Netlify Edge (Deno)", start: startNetlifyEdge, skip: denoMissing && "Deno is not installed (npm ci, or deno on PATH)" },
  { name: "Vercel (Node)", start: startVercel, skip: false },
];
