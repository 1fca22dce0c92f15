// (a) Module sizes: raw, gzip -9 and brotli (q11) of every function module, reactor and command
// builds, against the 300 KB gzip budget and against two peers built with the same toolchain.
// Then, for the reactors, where the code bytes go: each module is relinked from the same object
// files *with* a name section (wasm-ld without --strip-all, then the same wasm-opt -Os with -g),
// and every function body is attributed to ours / nlohmann::json / libc++ / libsodium / wasi-libc
// by its (demangled) name and by the symbol tables of the archives it was linked from.
//
//   node bench/sizes.mjs        (normally via bench/run.mjs)

import { execFileSync } from "node:child_process";
import { existsSync, readFileSync, rmSync, symlinkSync } from "node:fs";
import path from "node:path";
import zlib from "node:zlib";
import { BUILD, ensureOut, FUNCTIONS, log, REPO, section, wasmPath } from "./lib/common.mjs";
import { buildPeers, linkCommand, PEERS } from "./lib/peers.mjs";

const BUDGET_GZIP = 300 * 1024;

function sizes(file) {
  const bytes = readFileSync(file);
  return {
    raw: bytes.length,
    gzip: zlib.gzipSync(bytes, { level: 9 }).length,
    brotli: zlib.brotliCompressSync(bytes, {
      params: {
        [zlib.constants.BROTLI_PARAM_QUALITY]: 11,
        [zlib.constants.BROTLI_PARAM_SIZE_HINT]: bytes.length,
      },
    }).length,
  };
}

/** Section sizes from `wasm-objdump -h`. */
function sectionSizes(file) {
  const out = execFileSync("wasm-objdump", ["-h", file], { encoding: "utf8" });
  const sections = {};
  for (const m of out.matchAll(/^\s*(\w+) start=\S+ end=\S+ \(size=0x([0-9a-f]+)\)(?: count: (\d+))?(?: "([^"]+)")?/gm)) {
    const name = m[1] === "Custom" ? `custom:${m[4]}` : m[1];
    sections[name] = { bytes: parseInt(m[2], 16), count: m[3] ? Number(m[3]) : undefined };
  }
  return sections;
}

function definedSymbols(archive) {
  const out = execFileSync("llvm-nm-19", ["--defined-only", archive], {
    encoding: "utf8", maxBuffer: 64 << 20, stdio: ["ignore", "pipe", "ignore"],
  });
  return new Set(out.split("\n").map((l) => l.trim().split(/\s+/)).filter((f) => f.length === 3).map((f) => f[2]));
}

/** Relinks <fn>.wasm with names; returns the path, and checks its code size against the shipped one. */
function namedRelink(fn, dir) {
  const command = linkCommand(fn).split(/\s+/);
  const o = command.indexOf("-o");
  const linked = path.join(dir, `${fn}.linked.wasm`);
  const named = path.join(dir, `${fn}.named.wasm`);
  command[o + 1] = linked;
  const argv = command.map((a) => (a === "-Wl,--strip-all" ? "-Wl,--strip-debug" : a));
  // Without wasm-opt on PATH clang skips its post-link wasm-opt; we run it ourselves with -g.
  // PATH then holds only the linker clang looks for.
  const bin = ensureOut("named", "bin");
  if (!existsSync(path.join(bin, "wasm-ld-19"))) symlinkSync("/usr/bin/wasm-ld-19", path.join(bin, "wasm-ld-19"));
  execFileSync(argv[0], argv.slice(1), {
    cwd: path.join(BUILD, "wasi"),
    env: { ...process.env, PATH: bin },
    stdio: ["ignore", "ignore", "inherit"],
  });
  execFileSync("wasm-opt", ["-Os", "-g", linked, "-o", named]);
  rmSync(linked);
  return named;
}

const TOKENS = [
  ["salient::", "ours"], ["salient_", "ours"], ["(anonymous namespace)::", "ours"],
  ["nlohmann::", "nlohmann::json"],
  ["std::", "libc++"], ["__cxxabiv1::", "libc++"], ["operator new", "libc++"], ["operator delete", "libc++"],
  ["__cxa_", "libc++"], ["abort_message", "libc++"],
];

function categorize(name, sodium, libc) {
  if (sodium.has(name)) return "libsodium";
  if (libc.has(name) || name === "_initialize" || name.startsWith("__cxx_global") || name.startsWith("__wasm_")) {
    return "wasi-libc";
  }
  let best = null, at = Infinity;
  for (const [token, category] of TOKENS) {
    const i = name.indexOf(token);
    if (i >= 0 && i < at) [best, at] = [category, i];
  }
  return best ?? "other";
}

function attribution(file, sodium, libc) {
  const out = execFileSync("wasm-objdump", ["-x", "-j", "Code", file], { encoding: "utf8", maxBuffer: 64 << 20 });
  const byCategory = {};
  const top = [];
  for (const m of out.matchAll(/^ - func\[\d+\] size=(\d+) <(.*)>$/gm)) {
    const size = Number(m[1]), name = m[2];
    const category = categorize(name, sodium, libc);
    byCategory[category] ??= { bytes: 0, functions: 0 };
    byCategory[category].bytes += size;
    byCategory[category].functions += 1;
    top.push({ size, category, name: name.length > 120 ? name.slice(0, 117) + "…" : name });
  }
  top.sort((a, b) => b.size - a.size);
  return { byCategory, top: top.slice(0, 12) };
}

section(async () => {
  const peers = buildPeers();
  const modules = {};
  for (const fn of FUNCTIONS) {
    for (const kind of ["", ".cmd"]) {
      const file = wasmPath(fn, kind);
      modules[`${fn}${kind}`] = { file: path.relative(REPO, file), ...sizes(file), sections: sectionSizes(file) };
    }
  }
  const peerSizes = {};
  for (const [name, file] of Object.entries(peers)) {
    peerSizes[name] = { file: path.relative(REPO, file), what: PEERS[name].what, ...sizes(file), sections: sectionSizes(file) };
  }

  log("sizes: relinking the reactors with names for the attribution");
  const dir = ensureOut("named");
  const sodium = definedSymbols(path.join(REPO, ".deps", "libsodium-wasm32", "lib", "libsodium.a"));
  const libc = new Set([
    ...definedSymbols("/usr/lib/wasm32-wasi/libc.a"),
    ...definedSymbols("/usr/lib/llvm-19/lib/clang/19/lib/wasi/libclang_rt.builtins-wasm32.a"),
  ]);
  const breakdown = {};
  for (const fn of FUNCTIONS) {
    try {
      const named = namedRelink(fn, dir);
      const shippedCode = modules[fn].sections.Code.bytes;
      const namedCode = sectionSizes(named).Code.bytes;
      breakdown[fn] = { codeBytesShipped: shippedCode, codeBytesNamedRelink: namedCode, ...attribution(named, sodium, libc) };
    } catch (err) {
      breakdown[fn] = { error: String(err?.message ?? err).slice(0, 300) };
    }
  }
  return { budgetGzip: BUDGET_GZIP, modules, peers: peerSizes, breakdown };
});
