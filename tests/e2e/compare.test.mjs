// The side-by-side page (/a/{agent}/compare) in headless Chromium against the Node dev
// server without an LLM key: the same question answered with retrieval (excerpts from the demo
// knowledge base, with sources and linked [n]) and without (the canned offline answer).
// Needs Debian's chromium at /usr/bin/chromium (skipped, saying so, when it is absent).

import assert from "node:assert/strict";
import { mkdirSync } from "node:fs";
import path from "node:path";
import { after, before, describe, test } from "node:test";
import { startServer } from "../../hosts/node-dev/server.js";
import { chromiumMissing as skip, openPage } from "../support/chromium.mjs";
import { REPO } from "../support/workerd.mjs";

const SCREENSHOT = path.join(REPO, "test-results", "compare.png");

describe("side-by-side page in Chromium", { skip }, () => {
  let server, browser, page, problems;

  before(async () => {
    server = await startServer({ port: 0, env: { SALIENT_STATE: "memory" }, log: () => {} });
    ({ browser, page, problems } = await openPage({ viewport: { width: 1100, height: 800 } }));
  });

  after(async () => {
    await browser?.close();
    await server?.close();
  });

  test("one question, two answers: with sources from the pages, and without", async () => {
    const res = await page.goto(`${server.url}/a/sales/compare`);
    assert.equal(res.status(), 200);
    await page.fill("#question", "how much deposit do you take?");
    await page.click("#ask");
    await page.waitForFunction(() => document.querySelector("main.compare").getAttribute("data-answered") === "1");

    const pane = (id) => page.evaluate((sel) => {
      const p = document.querySelector(sel);
      return {
        label: p.querySelector(".label").textContent,
        text: p.querySelector(".text").textContent,
        error: p.querySelector(".error").hidden ? "" : p.querySelector(".error").textContent,
        sources: [...p.querySelectorAll(".sources li")].map((li) => ({ id: li.id, title: li.querySelector("a,span").textContent })),
        cites: [...p.querySelectorAll(".text a.cite")].map((a) => a.getAttribute("href")),
      };
    }, id);
    const withRag = await pane("#pane-with"), without = await pane("#pane-without");
    assert.equal(withRag.error, "");
    assert.equal(without.error, "");
    assert.match(withRag.label, /excerpts/);
    assert.match(withRag.text, /deposit/i);
    assert.ok(withRag.sources.length >= 1, JSON.stringify(withRag));
    assert.ok(withRag.cites.length >= 1, "the [n] markers are links");
    for (const href of withRag.cites) assert.ok(withRag.sources.some((s) => `#${s.id}` === href), href);
    assert.match(without.label, /Offline answer/);
    assert.doesNotMatch(without.label, /excerpts/);
    assert.deepEqual(without.sources, []);
    assert.ok(without.text.trim().length > 10, without.text);
    mkdirSync(path.dirname(SCREENSHOT), { recursive: true });
    await page.screenshot({ path: SCREENSHOT, fullPage: true });
    assert.deepEqual(problems, []);
  });
});
