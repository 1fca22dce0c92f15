// workerd entry for the per-turn peer (see peer.js): MODE = "static" | "io".
import fixtures from "../../build/bench/workerd/fixtures.json";
import { peerHandler } from "./peer.js";

let handle = null;

export default {
  async fetch(request, env) {
    handle ??= peerHandler({ mode: env.MODE, fixtures, stateUrl: env.SUPABASE_URL, fetch: (u, i) => fetch(u, i) });
    return handle(request);
  },
};
