// The peer for the per-turn CPU figures: answers the two requests of a chat turn with the bytes
// Salient sent for them (captured once per run), without wasm or the driver.
//
//   mode "static": POST /a/<agent>/chat → the HTML partial; GET …/events/stream → the SSE body,
//                  both as fixed strings with Salient's status and headers. The runtime's floor.
//   mode "io":     the same, but first makes the state calls Salient makes (salient_begin_turn on
//                  POST; salient_claim_turn then salient_finish_turn on GET) with the same JSON
//                  shapes, to the same state store. The floor plus the outbound I/O.
//   mode "stream": io, and the SSE body goes out as Salient sends it: the same chunks (one
//                  per WRITE step the driver enqueues, captured from a real run), through a JS ReadableStream that
//                  closes after salient_finish_turn. So ours − stream is what the wasm core and
//                  the driver's own work cost.
//   mode "stream1": stream, but the SSE body as one chunk: how much of "stream" is per chunk.
//
// Web-standard only: the same file runs in Node (in-process) and in workerd.

export function peerHandler({ mode, fixtures, stateUrl, fetch = globalThis.fetch }) {
  const { post, stream, turnId: capturedTurn, finishContent, tenant, agent } = fixtures;
  const encoder = new TextEncoder();
  const chunks = (mode === "stream1" ? [stream.chunks.join("")] : stream.chunks).map((c) => encoder.encode(c));
  const io = mode !== "static";
  const rpc = async (fn, args) => {
    const res = await fetch(`${stateUrl}/rest/v1/rpc/${fn}`, {
      method: "POST",
      headers: [["content-type", "application/json"], ["accept", "application/json"]],
      body: JSON.stringify(args),
    });
    if (res.status !== 200) throw new Error(`${fn}: HTTP ${res.status} ${await res.text()}`);
    return res.json();
  };

  return async function handle(request) {
    const url = new URL(request.url);
    if (request.method === "POST" && url.pathname.endsWith("/chat")) {
      const form = new URLSearchParams(await request.text());
      let body = post.body;
      if (io) {
        const messageId = crypto.randomUUID();
        const turn = await rpc("salient_begin_turn", {
          p_agent: agent,
          p_content: form.get("message"),
          p_idempotency_key: form.get("idempotency_key"),
          p_message_id: messageId,
          p_session_key: form.get("session_key"),
          p_tenant: tenant,
        });
        body = body.replace(capturedTurn, turn.turn_id); // so that the GET can claim this turn
      }
      return new Response(body, { status: post.status, headers: post.headers });
    }
    if (request.method === "GET" && url.pathname.endsWith("/events/stream")) {
      if (!io) return new Response(stream.body, { status: stream.status, headers: stream.headers });
      const turnId = (url.searchParams.get("stream_id") ?? "").split(".")[0];
      const claim = await rpc("salient_claim_turn", { p_tenant: tenant, p_turn_id: turnId });
      if (claim.status !== "claimed") throw new Error(`claim: ${JSON.stringify(claim)}`);
      const finish = () => rpc("salient_finish_turn", {
        p_content: finishContent,
        p_message_id: crypto.randomUUID(),
        p_metadata: { intent: "pricing", mode: "offline" },
        p_tenant: tenant,
        p_turn_id: turnId,
      });
      if (mode === "io") {
        await finish();
        return new Response(stream.body, { status: stream.status, headers: stream.headers });
      }
      let controller;
      const body = new ReadableStream({ start: (c) => void (controller = c) });
      for (const chunk of chunks) controller.enqueue(chunk.slice()); // a copy per chunk, as the driver makes
      finish().then(() => controller.close(), (err) => controller.error(err));
      return new Response(body, { status: stream.status, headers: stream.headers });
    }
    return new Response("not found\n", { status: 404 });
  };
}
