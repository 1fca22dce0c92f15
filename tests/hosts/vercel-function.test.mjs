// hosts/vercel/function.js: the URL the driver sees is the visitor's. Vercel appends what a
// rewrite matched to the query (vercel.json: /a/:salient_a*, /otp/:salient_otp*); those
// parameters are taken off again, and the path is restored should a rewrite ever hand the
// function its own path instead. The end-to-end cases run in tests/e2e (host "vercel").

import assert from "node:assert/strict";
import { test } from "node:test";
import { visitorRequest } from "../../hosts/vercel/function.js";

test("the rewrite's parameter is removed; the visitor's own query stays as it was", () => {
  const r = visitorRequest(new Request("https://site.test/a/sales/events/stream?stream_id=abc.1.x-y_z&format=json&salient_a=sales%2Fevents%2Fstream"));
  assert.equal(r.url, "https://site.test/a/sales/events/stream?stream_id=abc.1.x-y_z&format=json");
});

test("Mailgun's inbound post: the /mail/ rewrite's parameter is removed, the path kept", () => {
  assert.equal(visitorRequest(new Request("https://site.test/mail/inbound?salient_mail=inbound")).url, "https://site.test/mail/inbound");
});

test("a request without rewrite parameters is passed on as it is", () => {
  const request = new Request("https://site.test/a/sales/?salient=1");
  assert.equal(visitorRequest(request), request);
});

test("a function path is mapped back to the visitor's path", () => {
  assert.equal(visitorRequest(new Request("https://site.test/api/salient?salient_otp=verify")).url, "https://site.test/otp/verify");
  assert.equal(visitorRequest(new Request("https://site.test/api/salient?salient_a=sales%2Fchat&x=1")).url, "https://site.test/a/sales/chat?x=1");
  assert.equal(visitorRequest(new Request("https://site.test/api/salient?salient_mail=inbound")).url, "https://site.test/mail/inbound");
});

test("a POST keeps its method, headers and body", async () => {
  const r = visitorRequest(new Request("https://site.test/a/sales/chat?salient_a=sales%2Fchat", {
    method: "POST", headers: { "content-type": "application/json" }, body: JSON.stringify({ message: "hi" }),
  }));
  assert.equal(r.url, "https://site.test/a/sales/chat");
  assert.equal(r.method, "POST");
  assert.equal(r.headers.get("content-type"), "application/json");
  assert.deepEqual(await r.json(), { message: "hi" });
});
