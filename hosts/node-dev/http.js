// Node's http.IncomingMessage / ServerResponse ↔ Web Request / Response, so everything behind
// the Node server (the driver, the state store) is written against Web standards only.

/**
 * The client's address for the driver's `clientIp`: the socket's own peer, never a header (this
 * server has no proxy in front of it), an IPv4-mapped IPv6 address written as IPv4; "" unknown.
 */
export function clientAddress(socket) {
  const address = socket?.remoteAddress ?? "";
  return /^::ffff:\d{1,3}(\.\d{1,3}){3}$/i.test(address) ? address.slice(7) : address;
}

/** A Web Request for an incoming Node request; the body streams (it is read only if wanted). */
export function toRequest(req, origin) {
  const headers = new Headers();
  for (let i = 0; i < req.rawHeaders.length; i += 2) {
    const name = req.rawHeaders[i];
    if (!name.startsWith(":")) headers.append(name, req.rawHeaders[i + 1]);
  }
  const hasBody = req.method !== "GET" && req.method !== "HEAD";
  return new Request(new URL(req.url, origin), {
    method: req.method,
    headers,
    body: hasBody ? bodyStream(req) : undefined,
    duplex: hasBody ? "half" : undefined,
  });
}

/**
 * The request body as a Web stream, read with backpressure. Cancelling it (the driver does, past
 * max_body_bytes) only stops reading: the connection must survive to carry the 413, which
 * sendResponse then marks `connection: close`, since the rest of the body is never read.
 * (Readable.toWeb would destroy the socket instead.)
 */
function bodyStream(req) {
  let open = true;
  return new ReadableStream(
    {
      start(controller) {
        req.on("data", (chunk) => {
          if (!open) return;
          controller.enqueue(new Uint8Array(chunk.buffer, chunk.byteOffset, chunk.length));
          if (controller.desiredSize <= 0) req.pause();
        });
        req.once("end", () => open && ((open = false), controller.close()));
        req.once("error", (err) => open && ((open = false), controller.error(err)));
      },
      pull() {
        req.resume();
      },
      cancel() {
        open = false;
        req.pause();
      },
    },
    { highWaterMark: 65536, size: (chunk) => chunk.length },
  );
}

/**
 * Writes a Web Response to a Node response, honouring backpressure (waits for "drain"). If the
 * client goes away first, the Response body is cancelled: that is how the driver learns it.
 */
export async function sendResponse(response, req, res) {
  const headers = {};
  for (const [name, value] of response.headers) if (name !== "set-cookie") headers[name] = value;
  const cookies = response.headers.getSetCookie();
  if (cookies.length) headers["set-cookie"] = cookies;
  if (!req.complete) headers.connection = "close"; // an unread body: this connection cannot be reused
  res.writeHead(response.status, response.statusText || undefined, headers);
  if (!response.body || req.method === "HEAD") {
    response.body?.cancel().catch(() => {});
    res.end();
    return;
  }
  res.flushHeaders(); // event streams: the client sees the head before the first event

  const reader = response.body.getReader();
  let wake = null; // resolves a wait for "drain" or "close"
  const onDrain = () => wake?.();
  const onClose = () => {
    wake?.();
    if (!res.writableFinished) reader.cancel().catch(() => {});
  };
  res.on("drain", onDrain).on("close", onClose);
  try {
    for (;;) {
      const { done, value } = await reader.read();
      if (done) break;
      if (res.destroyed) { // gone before "close" was being watched
        reader.cancel().catch(() => {});
        return;
      }
      if (!res.write(value)) {
        await new Promise((resolve) => (wake = resolve));
        wake = null;
      }
    }
    if (!res.destroyed) res.end();
  } catch (err) {
    res.destroy(err); // the body errored (e.g. a trap in a non-SSE response): cut the connection
  } finally {
    res.off("drain", onDrain);
  }
}
