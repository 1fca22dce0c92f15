// Builds the peer modules into build/bench/ with the toolchain and link options of the function
// modules (functions/CMakeLists.txt: --strip-all, a 256 KB stack; clang runs wasm-opt -Os/-Oz
// after linking when wasm-opt is on PATH, as it is for ./scripts/build).

import { execFileSync } from "node:child_process";
import path from "node:path";
import { ensureOut, REPO } from "./common.mjs";

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
