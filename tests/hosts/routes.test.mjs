import assert from "node:assert/strict";
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

test("routes: everything under /otp/ goes to otp", () => {
  assert.equal(moduleFor("POST", "/otp/request"), "otp");
  assert.equal(moduleFor("POST", "/otp/verify"), "otp");
  assert.equal(moduleFor("GET", "/otp/anything"), "otp");
  assert.equal(moduleFor("POST", "/otpx"), "chat");
});

test("routes: the rest (pages, chat POST, unknown paths) goes to chat", () => {
  for (const [method, path] of [["GET", "/a/sales/"], ["POST", "/a/sales/chat"], ["GET", "/nope"], ["GET", "/"]]) {
    assert.equal(moduleFor(method, path), "chat", `${method} ${path}`);
  }
});
