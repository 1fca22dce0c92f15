// workerd bench worker for instantiate times: GET /instantiate?target=<t>&n=<n> runs n
// instantiations in one request and answers how long they took by the worker's own clock.
//   target chat|stream|otp|summary  createSalient({ modules: { <fn> } }) from hosts/driver.js:
//                                   instance + _initialize + salient_configure, as shipped
//   target all                      createSalient with all four (what worker.js does on its first request)
//   target peer-c|peer-cpp          new WebAssembly.Instance + _initialize of the peer reactor
//   target none                     nothing: the per-request floor
// The modules arrive precompiled (CompiledWasm), as on Cloudflare.
import chat from "../../build/wasi/functions/chat.wasm";
import stream from "../../build/wasi/functions/stream.wasm";
import otp from "../../build/wasi/functions/otp.wasm";
import summary from "../../build/wasi/functions/summary.wasm";
import peerC from "../../build/bench/peer-c.wasm";
import peerCpp from "../../build/bench/peer-cpp.wasm";
import config from "../../build/salient.json";
import { createSalient } from "../../hosts/driver.js";

const modules = { chat, stream, otp, summary };
const peers = { "peer-c": peerC, "peer-cpp": peerCpp };
const silent = () => {};

function peerInstance(module) {
  const wasi = {};
  for (const { module: from, name, kind } of WebAssembly.Module.imports(module)) {
    if (from === "wasi_snapshot_preview1" && kind === "function") wasi[name] = () => 52;
  }
  const instance = new WebAssembly.Instance(module, { wasi_snapshot_preview1: wasi });
  instance.exports._initialize();
  return instance;
}

export default {
  async fetch(request, env) {
    const url = new URL(request.url);
    const target = url.searchParams.get("target") ?? "none";
    const n = Number(url.searchParams.get("n") ?? 1);
    const t0 = performance.now();
    let kept = 0;
    for (let i = 0; i < n; i++) {
      if (target === "all") kept += !!createSalient({ modules, config, env, log: silent });
      else if (modules[target]) kept += !!createSalient({ modules: { [target]: modules[target] }, config, env, log: silent });
      else if (peers[target]) kept += !!peerInstance(peers[target]);
    }
    const ms = performance.now() - t0;
    return Response.json({ target, n, kept, ms });
  },
};
