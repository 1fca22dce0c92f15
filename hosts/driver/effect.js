// One EFFECT of a run (run.js): the outbound fetch the core asked for, with its deadlines, its
// response fed back into the core — whole, or piece by piece as it arrives for a `stream`
// effect, paused while the client's body queue is full — and its failure (timeout, connect,
// network) fed back as a value. The per-piece loop here is the relay's hot path: it adds no
// closure, timer or allocation per piece.

import { errorText } from "./http.js";

const DEFAULT_EFFECT_TIMEOUT_MS = 10000;

const encoder = new TextEncoder();
const noop = () => {};

/** Runs an effect to its end for `run`; never rejects. `abort` is its entry in run.effects. */
export async function runEffect(run, { id, method = "GET", url, headers, body, timeout_ms, stream = false, delay_ms = 0 }, abort) {
  const wanted = () => run.effects.get(id) === abort && !run.finished;
  const timeout = timeout_ms ?? DEFAULT_EFFECT_TIMEOUT_MS;
  let timedOut = false;
  let timer = null;
  let deadline = Infinity; // Infinity: disarmed (waiting on our client, not on the upstream)
  // Whole effects: one deadline for the complete response. Streaming ones: a deadline for
  // the head, then for each next piece (an upstream that stalls mid-answer times out). A
  // piece moves the deadline, not the timer: re-creating a timer per relayed piece was a fifth
  // of the relay's CPU end to end (docs/BENCHMARKS.md (d)). The timer, when it fires early,
  // sleeps again until the deadline.
  const expire = () => {
    timer = null;
    if (deadline === Infinity) return;
    const left = deadline - Date.now();
    if (left > 0) {
      timer = setTimeout(expire, left);
      return;
    }
    timedOut = true;
    abort.abort();
    run.wake(); // a reader paused for backpressure must see the abort
  };
  const arm = () => {
    deadline = Date.now() + timeout;
    timer ??= setTimeout(expire, timeout);
  };
  const disarm = () => void (deadline = Infinity);
  let connected = false;
  let reader = null;
  try {
    if (delay_ms > 0) {
      // Retry backoff asked for by the core (it has no timers); the client leaving ends it.
      await new Promise((resolve) => {
        const t = setTimeout(resolve, delay_ms);
        abort.signal.addEventListener("abort", () => { clearTimeout(t); resolve(); }, { once: true });
      });
      if (!wanted()) return;
    }
    arm();
    const res = await run.host.fetch(url, { method, headers, body, signal: abort.signal });
    connected = true;
    if (res.status >= 400) run.host.metrics?.upstreamError(url, res.status); // driver/metrics.js
    const head = encoder.encode(JSON.stringify({ status: res.status, headers: [...res.headers], at_ms: Date.now() }));
    if (!stream) {
      // A document the core reads whole (state store answers): one read, one chunk. Reading
      // chunk by chunk costs a promise hop per chunk for nothing (docs/BENCHMARKS.md).
      const whole = new Uint8Array(await res.arrayBuffer());
      if (!wanted()) return;
      run.feed(run.x.salient_effect_head, id, head);
      if (whole.length > 0 && wanted()) run.feedChunk(id, whole);
      if (!wanted()) return;
      run.effects.delete(id);
      run.feedEnd(id);
      return;
    }
    reader = res.body?.getReader() ?? null;
    if (!wanted()) return;
    arm();
    run.feed(run.x.salient_effect_head, id, head);
    while (reader && wanted()) {
      if (run.body && run.body.desiredSize <= 0 && !run.clientGone) {
        disarm(); // waiting on our client, not on the upstream
        await new Promise((wake) => run.waiters.push(wake));
        if (!wanted()) break;
        arm();
      }
      const { done, value } = await reader.read();
      if (done) {
        reader = null;
        break;
      }
      arm();
      if (wanted()) run.feedChunk(id, value);
    }
    if (!wanted()) return;
    run.effects.delete(id);
    run.feedEnd(id);
  } catch (err) {
    if (!wanted()) return;
    run.effects.delete(id);
    const failure = timedOut
      ? { kind: "timeout", message: stream && connected ? `no data for ${timeout} ms` : `no response within ${timeout} ms` }
      : { kind: !connected && isConnectError(err) ? "connect" : "network", message: errorText(err) };
    run.host.metrics?.upstreamError(url, failure.kind);
    run.feed(run.x.salient_effect_fail, id, encoder.encode(JSON.stringify(failure)));
  } finally {
    clearTimeout(timer);
    reader?.cancel().catch(noop); // only when we stopped early: frees the upstream connection
  }
}

function isConnectError(err) {
  const code = err?.cause?.code ?? err?.code ?? "";
  return /^(ECONNREFUSED|ENOTFOUND|EAI_AGAIN|EHOSTUNREACH|ENETUNREACH|UND_ERR_CONNECT_TIMEOUT)$/.test(code);
}
