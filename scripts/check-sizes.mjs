#!/usr/bin/env node
// Checks what each platform is sent against that platform's published size limit, prints a
// table (size, limit, share of the limit) and exits 1 naming the bundle that is over, its
// size, the limit and what to do. ./scripts/build runs it last; the deploy workflow
// (.github/workflows/deploy.yml) runs it before uploading anything.
//
//   node scripts/check-sizes.mjs [--build DIR] [--platform cloudflare|netlify|vercel]
//   SALIENT_WORKERS_PLAN=paid    check the Cloudflare worker against Workers Paid (10 MB)
//
// What is measured, from the same files the platforms are given (read from wrangler.toml,
// netlify.toml and vercel.json where they say it):
//   - Cloudflare: the worker as wrangler uploads it: hosts/cloudflare/worker.js bundled by
//     esbuild (wrangler bundles with esbuild too) with the compiled config, the four function
//     modules and build/knowledge.bin beside it; gzip, each file on its own, added up. Also the
//     largest static asset in build/public ([assets]).
//   - Netlify: the Edge Function (hosts/netlify/edge-functions/salient.js bundled, plus
//     build/netlify/assets.js, which holds the modules and the index as base64), gzip; the
//     Scheduled Function (hosts/netlify/functions/sweep.mjs bundled, plus `included_files`),
//     unzipped and gzip.
//   - Vercel: each function of vercel.json (api/*.js bundled, plus its `includeFiles`), unzipped.
// Sizes are estimates within a few per cent: each platform packs in its own way. A bundle near
// its limit (over 80 %) is pointed out, not failed.
//
// Exit status: 0 all within their limits, 1 one or more over, 2 the build is missing a file.

import { existsSync, readdirSync, readFileSync, statSync } from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { gzipSync } from "node:zlib";

const REPO = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "..");
const MB = 1_000_000; // the pages say "MB"; decimal megabytes are the stricter reading

// The published limits, one row each. Checked on 2026-12-07 in stored copies of these pages:
//   cloudflare: developers.cloudflare.com/workers/platform/limits/#worker-size ("Worker size":
//     3 MB Workers Free, 10 MB Workers Paid, after compression; the static-asset file size,
//     25 MiB). A draft of the Cloudflare docs (cloudflare-docs pull request 31002, May 2026)
//     replaces both with one 64 MiB uncompressed limit; until that is published, the 3 MB stands.
//   netlify-edge: docs.netlify.com/build/edge-functions/limits ("Code size limit: 20 MB after
//     compression").
//   netlify-function: docs.netlify.com/frameworks/next-js/runtime-v4/troubleshooting ("each
//     unzipped function bundle is limited to 250 MB"); 50 MB zipped is the limit Netlify's
//     deploy reports ("The function … is larger than the 50MB limit"; AWS Lambda's zipped size).
//   vercel-function: vercel.com/docs/functions/limitations ("the maximum uncompressed size is
//     250 MB"; also vercel.com/kb/guide/troubleshooting-function-250mb-limit).
export const LIMITS = {
  "cloudflare-free": { bytes: 3 * MB, measure: "gzip", label: "Workers Free: 3 MB gzip" },
  "cloudflare-paid": { bytes: 10 * MB, measure: "gzip", label: "Workers Paid: 10 MB gzip" },
  "cloudflare-asset": { bytes: 25 * 1024 * 1024, measure: "raw", label: "25 MiB per static file" },
  "netlify-edge": { bytes: 20 * MB, measure: "gzip", label: "20 MB compressed" },
  "netlify-function-unzipped": { bytes: 250 * MB, measure: "raw", label: "250 MB unzipped" },
  "netlify-function-zipped": { bytes: 50 * MB, measure: "gzip", label: "50 MB zipped" },
  "vercel-function": { bytes: 250 * MB, measure: "raw", label: "250 MB unzipped" },
};

const FIX = {
  cloudflare:
    "make the function modules smaller (docs/BENCHMARKS.md shows where the bytes go), keep knowledge/ small or move " +
    "retrieval to Pinecone (vector.pinecone.index_name: the local index then need not ship), or use Workers Paid " +
    "(SALIENT_WORKERS_PLAN=paid checks against its 10 MB)",
  "cloudflare-asset": "keep files in build/public under 25 MiB each (split or host large media elsewhere)",
  netlify: "make the function modules or knowledge/ smaller (the edge bundle holds both as base64), or move retrieval to Pinecone",
  "netlify-function": "ship fewer files with the scheduled function (`included_files` in netlify.toml)",
  vercel: "ship fewer files with the function (`includeFiles` in vercel.json: the sweep needs summary.wasm only)",
};

class MissingFile extends Error {}

/** The bytes of a build file, or a MissingFile error naming it. */
function need(file) {
  const shown = path.relative(REPO, file).startsWith("..") ? file : path.relative(REPO, file);
  if (!existsSync(file)) throw new MissingFile(`${shown} is missing: run ./scripts/build`);
  return readFileSync(file);
}

const gz = (bytes) => gzipSync(bytes).length;

/** esbuild's bundle of a host entry, as the platform's bundler makes it; build/ files stay outside. */
async function bundle(entry, platform) {
  const { build } = await import("esbuild");
  const out = await build({
    entryPoints: [path.join(REPO, entry)],
    bundle: true,
    write: false,
    format: "esm",
    platform,
    logLevel: "silent",
    plugins: [{
      name: "build-files-outside",
      setup(b) {
        b.onResolve({ filter: /(^|\/)build\// }, (args) => ({ path: args.path, external: true }));
        // The runtime's own modules (Workers' cloudflare:workers) are provided by the platform.
        b.onResolve({ filter: /^cloudflare:/ }, (args) => ({ path: args.path, external: true }));
      },
    }],
  });
  return out.outputFiles[0].contents;
}

/** Files under `build` that a config's pattern names ("build/…", with {a,b} and * in the last part). */
export function expand(pattern, build) {
  const brace = pattern.match(/\{([^{}]*)\}/);
  if (brace) {
    return brace[1].split(",").flatMap((alt) => expand(pattern.replace(brace[0], alt), build));
  }
  const rel = pattern.replace(/^build\//, "");
  const file = path.join(build, rel);
  if (!rel.includes("*")) return existsSync(file) ? [file] : [];
  const dir = path.dirname(file);
  const re = new RegExp(`^${path.basename(file).replace(/[.+?^$()[\]\\|]/g, "\\$&").replace(/\*/g, "[^/]*")}$`);
  return existsSync(dir) ? readdirSync(dir).filter((f) => re.test(f)).map((f) => path.join(dir, f)).sort() : [];
}

/** { raw, gzip } of a list of byte arrays, each compressed on its own. */
function sizes(parts) {
  return parts.reduce((s, b) => ({ raw: s.raw + b.length, gzip: s.gzip + gz(b) }), { raw: 0, gzip: 0 });
}

async function cloudflare(build) {
  const plan = process.env.SALIENT_WORKERS_PLAN === "paid" ? "cloudflare-paid" : "cloudflare-free";
  const parts = [
    await bundle("hosts/cloudflare/worker.js", "neutral"),
    need(path.join(build, "salient.json")),
    ...["chat", "stream", "otp", "summary"].map((fn) => need(path.join(build, "wasi", "functions", `${fn}.wasm`))),
    ...(existsSync(path.join(build, "knowledge.bin")) ? [readFileSync(path.join(build, "knowledge.bin"))] : []),
  ];
  const rows = [{ name: "Cloudflare worker (script, 4 modules, index)", size: sizes(parts), limit: plan, fix: FIX.cloudflare }];
  // Static assets: the largest file in [assets] directory.
  const publicDir = path.join(build, "public");
  let largest = { file: "(none)", bytes: 0 };
  const walk = (dir) => {
    for (const entry of readdirSync(dir, { withFileTypes: true })) {
      const file = path.join(dir, entry.name);
      if (entry.isDirectory()) walk(file);
      else if (statSync(file).size > largest.bytes) largest = { file, bytes: statSync(file).size };
    }
  };
  if (existsSync(publicDir)) walk(publicDir);
  rows.push({
    name: `Cloudflare largest static file (${path.relative(publicDir, largest.file) || largest.file})`,
    size: { raw: largest.bytes, gzip: largest.bytes },
    limit: "cloudflare-asset",
    fix: FIX["cloudflare-asset"],
  });
  return rows;
}

async function netlify(build) {
  const edge = sizes([await bundle("hosts/netlify/edge-functions/salient.js", "neutral"), need(path.join(build, "netlify", "assets.js"))]);
  const toml = readFileSync(path.join(REPO, "netlify.toml"), "utf8");
  const included = [...(toml.match(/included_files\s*=\s*\[([^\]]*)\]/)?.[1] ?? "").matchAll(/"([^"]+)"/g)].map((m) => m[1]);
  const files = included.flatMap((p) => expand(p, build));
  const sweep = sizes([await bundle("hosts/netlify/functions/sweep.mjs", "node"), ...files.map((f) => readFileSync(f))]);
  return [
    { name: "Netlify edge function (salient.js + assets.js)", size: edge, limit: "netlify-edge", fix: FIX.netlify },
    { name: "Netlify function sweep, unzipped", size: sweep, limit: "netlify-function-unzipped", fix: FIX["netlify-function"] },
    { name: "Netlify function sweep, zipped", size: sweep, limit: "netlify-function-zipped", fix: FIX["netlify-function"] },
  ];
}

async function vercel(build) {
  const config = JSON.parse(readFileSync(path.join(REPO, "vercel.json"), "utf8"));
  const rows = [];
  for (const [entry, settings] of Object.entries(config.functions ?? {})) {
    const files = settings.includeFiles ? expand(settings.includeFiles, build) : [];
    const size = sizes([await bundle(entry, "node"), ...files.map((f) => readFileSync(f))]);
    rows.push({ name: `Vercel function ${entry} (${files.length} files)`, size, limit: "vercel-function", fix: FIX.vercel });
  }
  return rows;
}

const PLATFORMS = { cloudflare, netlify, vercel };

const human = (n) => (n >= MB ? `${(n / MB).toFixed(2)} MB` : `${(n / 1000).toFixed(1)} KB`);

/** Measures every bundle of `platforms` in `build`; returns the rows with their verdicts. */
export async function checkSizes({ build = path.join(REPO, "build"), platforms = Object.keys(PLATFORMS) } = {}) {
  const rows = [];
  for (const p of platforms) rows.push(...(await PLATFORMS[p](build)));
  return rows.map((r) => {
    const limit = LIMITS[r.limit];
    const measured = r.size[limit.measure];
    return { ...r, measured, limitBytes: limit.bytes, limitLabel: limit.label, share: measured / limit.bytes };
  });
}

/** The table, one line per bundle. */
export function table(rows) {
  const cells = rows.map((r) => [r.name, human(r.measured), r.limitLabel, `${(r.share * 100).toFixed(1)} %`,
    r.share > 1 ? "OVER" : r.share > 0.8 ? "near" : "ok"]);
  const head = ["bundle", "size", "limit", "used", ""];
  const widths = head.map((h, i) => Math.max(h.length, ...cells.map((c) => c[i].length)));
  const line = (c) => c.map((v, i) => (i === 1 || i === 3 ? v.padStart(widths[i]) : v.padEnd(widths[i]))).join("  ").trimEnd();
  return [line(head), ...cells.map(line)].join("\n");
}

async function main(argv) {
  let build = path.join(REPO, "build");
  let platforms = Object.keys(PLATFORMS);
  for (let i = 0; i < argv.length; i++) {
    if (argv[i] === "--build") build = path.resolve(argv[++i] ?? "");
    else if (argv[i] === "--platform" && PLATFORMS[argv[i + 1]]) platforms = [argv[++i]];
    else {
      console.error("usage: node scripts/check-sizes.mjs [--build DIR] [--platform cloudflare|netlify|vercel]");
      return 2;
    }
  }
  let rows;
  try {
    rows = await checkSizes({ build, platforms });
  } catch (err) {
    if (!(err instanceof MissingFile)) throw err;
    console.error(`size check: ${err.message}`);
    return 2;
  }
  console.log(table(rows));
  const over = rows.filter((r) => r.share > 1);
  for (const r of over) {
    console.error(`size check: FAILED: ${r.name} is ${human(r.measured)}, over its limit (${r.limitLabel}) ` +
      `by ${human(r.measured - r.limitBytes)}. The platform would refuse this deploy. What to do: ${r.fix}.`);
  }
  return over.length ? 1 : 0;
}

if (process.argv[1] === fileURLToPath(import.meta.url)) process.exitCode = await main(process.argv.slice(2));
