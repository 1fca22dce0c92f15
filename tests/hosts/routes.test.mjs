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

test("routes: /otp/* and /a/* reach the function on every platform (Netlify, Vercel; Workers run it for every path)", async () => {
  const { config } = await import("../../hosts/netlify/edge-functions/salient.js");
  assert.deepEqual([...config.path].sort(), ["/a/*", "/otp/*"]);
  const { rewrites } = JSON.parse(readFileSync(new URL("../../vercel.json", import.meta.url), "utf8"));
  const sources = rewrites.filter((r) => r.destination === "/api/salient").map((r) => r.source).sort();
  assert.deepEqual(sources, ["/a/:salient_a*", "/otp/:salient_otp*"]);
});

test("routes: the rest (pages, chat POST, unknown paths) goes to chat", () => {
  for (const [method, path] of [["GET", "/a/sales/"], ["POST", "/a/sales/chat"], ["GET", "/nope"], ["GET", "/"]]) {
    assert.equal(moduleFor(method, path), "chat", `${method} ${path}`);
  }
});
