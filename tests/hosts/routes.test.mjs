import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { test } from "node:test";
import { moduleFor } from "../../hosts/routes.js";

test("routes: the event stream is GET only", () => {
  assert.equal(moduleFor("GET", "/a/sales/events/stream"), "stream");
  assert.equal(moduleFor("GET", "/a/other-agent/events/stream"), "stream");
  assert.equal(moduleFor("POST", "/a/sales/events/stream"), "chat");
  assert.equal(moduleFor("GET", "/a/sales/events/stream/x"), "chat");
  assert.equal(moduleFor("GET", "/a//events/stream"), "chat");
});

test("routes: summary is POST only", () => {
  assert.equal(moduleFor("POST", "/a/sales/summary"), "summary");
  assert.equal(moduleFor("GET", "/a/sales/summary"), "chat");
});

test("routes: the transcript page (GET, one token segment) goes to summary", () => {
  assert.equal(moduleFor("GET", "/a/sales/transcript/abc.123_x-y"), "summary");
  assert.equal(moduleFor("GET", "/a/other-agent/transcript/t"), "summary");
  assert.equal(moduleFor("POST", "/a/sales/transcript/t"), "chat");
  assert.equal(moduleFor("HEAD", "/a/sales/transcript/t"), "chat");
  assert.equal(moduleFor("GET", "/a/sales/transcript/"), "chat");
  assert.equal(moduleFor("GET", "/a/sales/transcript/t/x"), "chat");
  assert.equal(moduleFor("GET", "/a//transcript/t"), "chat");
});

test("routes: no public path reaches the sweep (only the driver's sweep() does)", () => {
  for (const method of ["GET", "POST", "PUT"]) {
    for (const path of ["/internal/sweep", "/a/sales/internal/sweep", "/a/sales/sweep", "/a/sales/summary/sweep"]) {
      assert.equal(moduleFor(method, path), "chat", `${method} ${path}`);
    }
  }
});

test("routes: everything under /otp/ goes to otp", () => {
  assert.equal(moduleFor("POST", "/otp/request"), "otp");
  assert.equal(moduleFor("POST", "/otp/verify"), "otp");
  assert.equal(moduleFor("GET", "/otp/anything"), "otp");
  assert.equal(moduleFor("POST", "/otpx"), "chat");
});

test("routes: an agent's privacy page goes to otp (any method: HEAD too; otp answers 405 to others)", () => {
  assert.equal(moduleFor("GET", "/a/sales/privacy"), "otp");
  assert.equal(moduleFor("GET", "/a/other-agent/privacy"), "otp");
  assert.equal(moduleFor("POST", "/a/sales/privacy"), "otp");
  assert.equal(moduleFor("HEAD", "/a/sales/privacy"), "otp");
  assert.equal(moduleFor("GET", "/a/sales/privacy/x"), "chat");
  assert.equal(moduleFor("GET", "/a//privacy"), "chat");
});

test("routes: a handoff request (POST) goes to summary; the team's replies to the visitor stay chat's", () => {
  assert.equal(moduleFor("POST", "/a/sales/handoff"), "summary");
  assert.equal(moduleFor("POST", "/a/other-agent/handoff"), "summary");
  for (const method of ["GET", "HEAD", "OPTIONS", "PUT"]) assert.equal(moduleFor(method, "/a/sales/handoff"), "chat", method);
  assert.equal(moduleFor("POST", "/a/sales/handoff/x"), "chat");
  assert.equal(moduleFor("POST", "/a//handoff"), "chat");
  assert.equal(moduleFor("POST", "/a/sales/updates"), "chat");
  assert.equal(moduleFor("GET", "/a/sales/updates"), "chat");
});

test("routes: Mailgun's inbound post (/mail/inbound, POST only) goes to summary, nothing else under /mail/", () => {
  assert.equal(moduleFor("POST", "/mail/inbound"), "summary");
  for (const method of ["GET", "HEAD", "PUT"]) assert.equal(moduleFor(method, "/mail/inbound"), "chat", method);
  for (const path of ["/mail/inbound/", "/mail/inbound/x", "/mail/inboundx", "/mail/", "/a/sales/mail/inbound", "/mail//inbound"]) {
    assert.equal(moduleFor("POST", path), "chat", path);
  }
});

test("routes: /otp/*, /a/* and /mail/inbound reach the function on every platform (Netlify, Vercel; Workers run it for every path)", async () => {
  const { config } = await import("../../hosts/netlify/edge-functions/salient.js");
  assert.deepEqual([...config.path].sort(), ["/a/*", "/admin", "/admin/*", "/mail/inbound", "/metrics", "/otp/*"]);
  const { rewrites } = JSON.parse(readFileSync(new URL("../../vercel.json", import.meta.url), "utf8"));
  const sources = rewrites.filter((r) => r.destination === "/api/salient").map((r) => r.source).sort();
  assert.deepEqual(sources, ["/a/:salient_a*", "/admin/:salient_admin*", "/mail/:salient_mail*", "/metrics/:salient_metrics*", "/otp/:salient_otp*"]);
  // Each of the functions' paths is claimed by both platforms' patterns
  // (Netlify: * is the rest of the path; Vercel: :param* zero or more segments).
  const claims = (pattern, path) => path === pattern.replace(/\/:\w+\*$/, "") || new RegExp("^" + pattern.replace(/:\w+\*$/, "*").replace(/[.+?^${}()|[\]\\]/g, "\\$&").replace(/\*/g, ".*") + "$").test(path);
  for (const [method, path, module] of [["POST", "/mail/inbound", "summary"], ["POST", "/a/sales/handoff", "summary"],
    ["POST", "/a/sales/updates", "chat"], ["POST", "/otp/verify", "otp"], ["GET", "/a/sales/transcript/t", "summary"],
    ["GET", "/admin/", "otp"], ["POST", "/admin/leads/x", "otp"], ["GET", "/metrics", "otp"]]) {
    assert.equal(moduleFor(method, path), module, `${method} ${path}`);
    assert.ok(config.path.some((p) => claims(p, path)), `Netlify claims ${path}`);
    assert.ok(sources.some((s) => claims(s, path)), `Vercel rewrites ${path}`);
  }
});

test("routes: the operator's view and the metrics go to otp; nothing beside them", () => {
  for (const method of ["GET", "POST", "HEAD"]) {
    for (const path of ["/admin", "/admin/", "/admin/leads", "/admin/conversations/x", "/metrics"]) assert.equal(moduleFor(method, path), "otp", `${method} ${path}`);
  }
  for (const path of ["/adminx", "/metrics/", "/metricsx", "/a/sales/admin", "/a/sales/metrics"]) assert.equal(moduleFor("GET", path), "chat", path);
});

test("routes: the rest (pages, chat POST, unknown paths) goes to chat", () => {
  for (const [method, path] of [["GET", "/a/sales/"], ["POST", "/a/sales/chat"], ["GET", "/nope"], ["GET", "/"]]) {
    assert.equal(moduleFor(method, path), "chat", `${method} ${path}`);
  }
});
