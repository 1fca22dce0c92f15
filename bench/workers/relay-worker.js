// workerd bench worker for the LLM relay: GET /relay?target=<t>&n=<n>&now_ms=…&stream_id=…[&check=1]
// runs n relays of the recorded upstream stream in one request, in-process (workers/relay.js):
//   target core   the stream function's reactor (CompiledWasm, as on Cloudflare) driven directly
//   target js     the plain JS relay
//   target floor  the host floor (FloorRelay on relay-floor.wasm, with the plan in the fixture)
//   target none   nothing: the per-request floor
// The pieces arrive as one data module plus their lengths (bench/relay-workerd.mjs writes both).
// With check=1 the first relay's token text is compared with the expected text.
// workerd's clock does not advance during synchronous work, so the caller measures CPU.
import stream from "../../build/wasi/functions/stream.wasm";
import config from "../../build/salient.json";
import pieceBytes from "../../build/bench/relay/pieces.bin";
import fixture from "../../build/bench/relay/fixture.json";
import floorModule from "../../build/bench/relay-floor.wasm";
import { configureBytes, CoreRelay, FloorRelay, jsRelayRun, streamHead, tokenText, unpackPieces } from "./relay.js";

const pieces = unpackPieces(pieceBytes, fixture.lengths);
let core = null, floor = null;

export default {
  async fetch(request) {
    const url = new URL(request.url);
    const target = url.searchParams.get("target") ?? "none";
    const n = Number(url.searchParams.get("n") ?? 1);
    const check = url.searchParams.has("check");
    const nowMs = Number(url.searchParams.get("now_ms"));
    core ??= new CoreRelay(stream, configureBytes(config, fixture.env));
    const head = streamHead(fixture.agent, url.searchParams.get("stream_id") ?? "", nowMs);
    let ok = null, relayed = 0;
    for (let i = 0; i < n; i++) {
      let writes = null;
      if (target === "core") writes = core.run(head, pieces, nowMs).writes;
      else if (target === "js") writes = jsRelayRun(pieces).writes;
      else if (target === "floor") writes = (floor ??= new FloorRelay(floorModule, fixture.plan)).run(pieces).writes;
      if (!writes) continue;
      relayed += writes.length;
      if (check && i === 0) ok = tokenText(writes) === fixture.expected;
    }
    return Response.json({ target, n, relayed, ok });
  },
};
