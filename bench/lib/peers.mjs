// Builds the peer modules into build/bench/ with the toolchain and link options of the function
// modules (functions/CMakeLists.txt: --strip-all, a 256 KB stack; clang runs wasm-opt -Os/-Oz
// after linking when wasm-opt is on PATH, as it is for ./scripts/build).

import { execFileSync } from "node:child_process";
import path from "node:path";
import { BUILD, ensureOut, REPO } from "./common.mjs";

const LINK = ["-mexec-model=reactor", "-Wl,--strip-all", "-Wl,-z,stack-size=262144"];

export const PEERS = {
  "peer-c": {
    source: "bench/peer/reactor.c",
    compiler: "clang-19",
    flags: ["--target=wasm32-wasi", "--sysroot=/usr", "-Oz", ...LINK],
    what: "minimal C reactor (wasi-libc malloc/free/strlen)",
  },
  "peer-cpp": {
    source: "bench/peer/reactor.cpp",
    compiler: "clang++-19",
    flags: ["--target=wasm32-wasi", "--sysroot=/usr", "-std=c++20", "-Oz", "-fno-exceptions", ...LINK],
    what: "minimal C++ reactor (libc++ string/vector/unordered_map/to_string)",
  },
};

/** Builds (always: it takes a second, and the flags may have changed) and returns { name: path }. */
export function buildPeers() {
  const dir = ensureOut();
  const out = {};
  for (const [name, peer] of Object.entries(PEERS)) {
    const source = path.join(REPO, peer.source);
    const target = path.join(dir, `${name}.wasm`);
    execFileSync(peer.compiler, [...peer.flags, source, "-o", target], { stdio: "inherit" });
    out[name] = target;
  }
  return out;
}

/**
 * The relay's host floor (bench/peer/relay-floor.c), built like the peers: its path. Not in
 * PEERS: it is a relay peer, not a size or instantiation one.
 */
export function buildRelayFloor() {
  const target = path.join(ensureOut(), "relay-floor.wasm");
  execFileSync("clang-19", ["--target=wasm32-wasi", "--sysroot=/usr", "-O2", ...LINK, path.join(REPO, "bench/peer/relay-floor.c"), "-o", target], { stdio: "inherit" });
  return target;
}

/** The link command CMake uses for a reactor, from build.ninja (run it in build/wasi). */
export function linkCommand(fn) {
  const out = execFileSync("ninja", ["-C", path.join(BUILD, "wasi"), "-t", "commands", `functions/${fn}.wasm`], {
    encoding: "utf8",
  });
  const line = out.trim().split("\n").at(-1);
  return line.replace(/^: && /, "").replace(/ && :$/, "");
}

/**
 * The stream reactor relinked with bench/peer/relay-split.cpp (the relay loop run inside wasm,
 * for bench/profile-relay-split.mjs), from the objects of the last ./scripts/build: its path.
 * The extra file is compiled as the relay's hot files are (shared/CMakeLists.txt: -O2).
 */
export function buildRelaySplit() {
  const dir = ensureOut("split");
  const object = path.join(dir, "relay-split.o");
  execFileSync("clang++-19", ["--target=wasm32-wasi", "--sysroot=/usr", "-std=c++20", "-O2", "-msimd128", "-fno-exceptions",
    "-DJSON_NOEXCEPTION", "-DNDEBUG", "-I", path.join(REPO, "shared/include"), "-I", path.join(REPO, "shared"),
    "-c", path.join(REPO, "bench/peer/relay-split.cpp"), "-o", object], { stdio: "inherit" });
  const command = linkCommand("stream").split(/\s+/);
  const o = command.indexOf("-o");
  const target = path.join(dir, "stream.split.wasm");
  command.splice(o, 2, object, "-o", target);
  execFileSync(command[0], command.slice(1), { cwd: path.join(BUILD, "wasi"), stdio: ["ignore", "ignore", "inherit"] });
  return target;
}
