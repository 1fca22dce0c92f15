// The load test's peer (bench/lib/load.mjs): a few probe clients that call a fake OpenRouter of
// their own directly, in the same process and at the same token pace as the one the hosts call,
// throughout a host's run. Their time to first token and to the whole answer is what the model
// alone costs on this machine under the same load; the visitors' figures minus these are what
// Salient (host, core, store, network hops) adds.

import { startFakeOpenRouter } from "../../tests/support/fake-openrouter.mjs";

const KEY = "sk-or-load-probe";

/** Starts `count` probes until `deadline` (performance.now()); resolves to {ttft: [], full: []} in ms. */
export async function probeModel({ count = 5, deadline, tokenDelayMs, model }) {
  const fake = await startFakeOpenRouter({ port: 0 });
  const ttft = [];
  const full = [];
  async function probe(i) {
    let turn = 0;
    while (performance.now() < deadline) {
      turn += 1;
      fake.enqueue({ kind: "ok", delayMs: tokenDelayMs });
      const started = performance.now();
      const res = await fetch(`${fake.url}/chat/completions`, {
        method: "POST",
        headers: { "content-type": "application/json", authorization: `Bearer ${KEY}` },
        body: JSON.stringify({ model, stream: true, messages: [{ role: "user",
          content: `Question ${turn}: what does a garden design cost for ${10 + ((i * 7 + turn) % 90)} square metres?` }] }),
      });
      const decoder = new TextDecoder();
      let text = "";
      let first = null;
      for await (const chunk of res.body) {
        text += decoder.decode(chunk, { stream: true });
        if (first === null && /"content":"[^"]/.test(text)) first = performance.now() - started;
      }
      ttft.push(first ?? NaN);
      full.push(performance.now() - started);
      fake.requests.length = 0;
      await new Promise((r) => setTimeout(r, 200 + ((i * 131 + turn * 17) % 1300)));
    }
  }
  try {
    await Promise.all(Array.from({ length: count }, (_, i) => probe(i)));
  } finally {
    await fake.close();
  }
  return { ttft: ttft.filter(Number.isFinite), full };
}
