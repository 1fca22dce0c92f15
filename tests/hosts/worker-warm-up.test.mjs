// hosts/cloudflare/worker.js compiles each module's instantiate-and-configure code at startup in a
// throwaway instance (warmUp, for the Free plan's 10 ms per request; docs/BENCHMARKS.md (i)).
// Under real workerd, where a worker's top level may not draw random values, as on Cloudflare:
// the warm-up runs without failing, and the first request to each module is answered after it.
import assert from "node:assert/strict";
import { test } from "node:test";
import { startWorkerd } from "../support/workerd.mjs";

test("worker.js: the startup warm-up succeeds under workerd and each module then answers", async () => {
  const worker = await startWorkerd({
    env: { SALIENT_STREAM_SECRET: "warm-up-test-secret-0123456789abcdefghij", SUPABASE_URL: "http://127.0.0.1:9" },
    readyPath: null, // no request before the ones below
  });
  try {
    for (const [path, status] of [["/a/sales/", 200], ["/a/sales/privacy", 200], ["/a/sales/transcript/x", 404]]) {
      const response = await fetch(worker.url + path);
      await response.arrayBuffer();
      assert.equal(response.status, status, path);
    }
    assert.doesNotMatch(worker.output(), /warm_up_failed|configure_failed|instantiate_failed|Disallowed operation/);
  } finally {
    await worker.stop();
  }
});
