// Paths, the build inputs every section shares, and the section-script protocol: a section runs
// as its own Node process (so one section's JIT and GC state never leaks into another's), logs
// progress on stderr and prints its result as one JSON line on stdout.

import { existsSync, mkdirSync, readFileSync } from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";

export const REPO = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "../..");
export const BUILD = path.join(REPO, "build");
export const OUT = path.join(BUILD, "bench"); // peers, named relinks, generated workerd configs
export const FUNCTIONS = ["chat", "stream", "otp", "summary"];
export const wasmPath = (fn, kind = "") => path.join(BUILD, "wasi", "functions", `${fn}${kind}.wasm`);
export const WORKERD = path.join(REPO, "node_modules", ".bin", "workerd");

/** What a deployment gives the core: a stream secret and the state store URL (ABI: configure). */
export const BENCH_SECRET = "bench-stream-secret-0123456789abcdefghijklmnop";
export const realisticEnv = (stateUrl = "http://127.0.0.1:54321") => ({
  SALIENT_STREAM_SECRET: BENCH_SECRET,
  SUPABASE_URL: stateUrl,
});

/** The chat message every turn sends: matches the offline "pricing" answer (≈ 50 tokens). */
export const MESSAGE = "How much does a garden design cost?";

export function loadConfig() {
  const file = path.join(BUILD, "salient.json");
  if (!existsSync(file)) throw new Error("build/salient.json is missing: run ./scripts/build first");
  return JSON.parse(readFileSync(file, "utf8"));
}

export function ensureOut(...sub) {
  const dir = path.join(OUT, ...sub);
  mkdirSync(dir, { recursive: true });
  return dir;
}

export const args = process.argv.slice(2);
export const QUICK = args.includes("--quick");
export const log = (...parts) => process.stderr.write(parts.join(" ") + "\n");

/** Section entry point: runs `fn`, prints its result as JSON on stdout. */
export async function section(fn) {
  try {
    const result = await fn();
    process.stdout.write(JSON.stringify(result) + "\n");
  } catch (err) {
    process.stderr.write(String(err?.stack ?? err) + "\n");
    process.exitCode = 1;
  }
}
