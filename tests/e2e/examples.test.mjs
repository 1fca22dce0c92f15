// The embed examples (examples/astro, examples/hugo) in headless Chromium: each site is built with
// its real tool (examples/build-examples.sh: Astro 5 from npm, Debian's hugo), served unchanged by
// a tiny static server on the origin salient.yaml's app.allowed_origins names for it, and the
// site owner's snippet in it loads the widget cross-origin from the Node dev server (offline
// responder, memory state) and gets an answer. The same site on an origin not in the allowlist
// gets the widget's error state instead. The plain example is the dev server's own home page
// (tests/e2e/widget.test.mjs).
//
// The sites are built on every run (~10 s for Astro, well under 1 s for Hugo; plus `npm ci` in
// examples/astro the first time), into a temporary folder and pointed at this run's dev server:
// its port is chosen at random, and the snippet must name it as it is, with nothing rewritten.
// Skipped (saying so) only when Chromium is missing; a missing hugo or npm fails the build step.
// Screenshots: build/test-results/examples/.
//
//   node --test tests/e2e/examples.test.mjs        (after ./scripts/build)

import assert from "node:assert/strict";
import { execFile } from "node:child_process";
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync } from "node:fs";
import { readFile, stat } from "node:fs/promises";
import http from "node:http";
import os from "node:os";
import path from "node:path";
import { after, before, describe, test } from "node:test";
import { startServer } from "../../hosts/node-dev/server.js";
import { chromiumMissing as skip, openPage } from "../support/chromium.mjs";
import { REPO } from "../support/workerd.mjs";

// The widget's DOM, as drawn by widget/loader.js and widget/pane.js (Playwright's CSS locators
// pierce the widget's open shadow root). Kept in one place: change here if the widget changes.
const WIDGET = {
  launcher: "salient-widget button.launcher",
  textarea: "salient-widget .pane textarea",
  send: "salient-widget .pane button.send",
  greeting: "salient-widget .msg.assistant.greeting",
  user: "salient-widget .msg.user",
  /** Answers (not the greeting); `.streaming` while tokens still arrive. */
  answer: "salient-widget .msg.assistant:not(.greeting)",
  answerDone: "salient-widget .msg.assistant:not(.greeting):not(.streaming) .text",
  error: "salient-widget .msg.error",
};

// The example sites: the port each is served on (the origin salient.yaml allows for it) and what
// their snippets set (examples/astro/src/pages/index.astro, examples/hugo/hugo.toml).
const SITES = [
  { name: "astro", port: 4321, title: "Ask Kestrel", greeting: "Hi! Ask us about classes, studio time or commissions.", heading: "Kestrel Pottery Studio" },
  { name: "hugo", port: 1313, title: "Ask Fernhill", greeting: "Hi! Ask us about repairs, servicing or a bike fit.", heading: "Fernhill Bike Repair" },
];

const SHOTS = path.join(REPO, "build", "test-results", "examples");
const CONFIG = path.join(REPO, "build", "salient.json");
const BUILD_SCRIPT = path.join(REPO, "examples", "build-examples.sh");

const TYPES = { ".html": "text/html; charset=utf-8", ".css": "text/css; charset=utf-8", ".js": "text/javascript; charset=utf-8",
  ".svg": "image/svg+xml", ".png": "image/png", ".ico": "image/x-icon", ".txt": "text/plain; charset=utf-8", ".xml": "application/xml" };

/**
 * A static file server for `dir` on the loopback addresses: `port` if free, else any free port.
 * Both 127.0.0.1 and ::1 (when the machine has IPv6): "localhost" may be either for Chromium, so
 * a port another server holds on ::1 (`astro dev` listens there) counts as taken.
 */
async function serveFolder(dir, port) {
  const handler = async (req, res) => {
    try {
      let file = path.join(dir, decodeURIComponent(new URL(req.url, "http://x").pathname));
      if (!file.startsWith(dir)) throw new Error("outside");
      if ((await stat(file)).isDirectory()) file = path.join(file, "index.html");
      const body = await readFile(file);
      res.writeHead(200, { "content-type": TYPES[path.extname(file)] ?? "application/octet-stream", "cache-control": "no-store" });
      res.end(body);
    } catch {
      res.writeHead(404, { "content-type": "text/plain" });
      res.end("not found\n");
    }
  };
  const listen = (p, address) => new Promise((resolve, reject) => {
    const server = http.createServer(handler);
    server.once("error", reject).listen(p, address, () => {
      server.off("error", reject);
      resolve(server);
    });
  });
  const close = (server) => new Promise((resolve) => server.close(resolve));
  const bind = async (p) => {
    const v4 = await listen(p, "127.0.0.1");
    try {
      return [v4, await listen(v4.address().port, "::1")];
    } catch (err) {
      if (err.code === "EADDRNOTAVAIL" || err.code === "EAFNOSUPPORT") return [v4]; // no IPv6 here
      await close(v4);
      throw err;
    }
  };
  let servers;
  try {
    servers = await bind(port);
  } catch (err) {
    if (err.code !== "EADDRINUSE") throw err;
    servers = await bind(0);
  }
  return { port: servers[0].address().port, close: () => Promise.all(servers.map(close)) };
}

/** Runs examples/build-examples.sh; resolves its output lines, rejects with its log tail. */
function buildExamples(env) {
  return new Promise((resolve, reject) => {
    execFile(BUILD_SCRIPT, [], { cwd: REPO, env: { ...process.env, ...env }, maxBuffer: 4 << 20 }, (error, stdout, stderr) => {
      if (error) reject(new Error(`examples/build-examples.sh failed (exit ${error.code}):\n${stderr}${stdout}`));
      else resolve(stdout.trim().split("\n"));
    });
  });
}

describe("the embed examples (Astro, Hugo) in Chromium", { skip }, () => {
  let server, out, allowed;
  const served = {}; // site name → { port, close }

  before(async () => {
    mkdirSync(SHOTS, { recursive: true });
    const missing = [CONFIG, path.join(REPO, "build", "public", "widget", "salient.js")].filter((f) => !existsSync(f));
    assert.deepEqual(missing, [], "run ./scripts/build first");
    const config = JSON.parse(readFileSync(CONFIG, "utf8"));
    for (const site of SITES) {
      assert.ok(config.app.allowed_origins.includes(`http://localhost:${site.port}`),
        `salient.yaml's app.allowed_origins lists http://localhost:${site.port} (the ${site.name} example)`);
    }

    // The dev host first: the sites are built against its URL.
    out = mkdtempSync(path.join(os.tmpdir(), "salient-examples-"));
    for (const site of SITES) served[site.name] = await serveFolder(path.join(out, site.name), site.port);
    // A preferred port that was taken: the allowlist names the port the site did get instead.
    const origins = SITES.map((site) => `http://localhost:${served[site.name].port}`);
    const moved = SITES.filter((site) => served[site.name].port !== site.port);
    if (moved.length) {
      console.log(`examples: port(s) ${moved.map((s) => s.port).join(", ")} taken; allowing ${origins.join(", ")} instead`);
      config.app.allowed_origins = origins;
    }
    allowed = config.app.allowed_origins;
    server = await startServer({ port: 0, env: { SALIENT_STATE: "memory" }, config, log: () => {} });
    for (const line of await buildExamples({ SALIENT_HOST: server.url, SALIENT_EXAMPLES_OUT: out })) console.log(line);
  });

  after(async () => {
    for (const site of Object.values(served)) await site.close();
    await server?.close();
    if (out) rmSync(out, { recursive: true, force: true });
  });

  const origin = (site) => `http://localhost:${served[site.name].port}`;

  test("the widget's files may be loaded by another site (Access-Control-Allow-Origin on /widget/)", async () => {
    for (const file of ["salient.js", "pane.js"]) {
      const res = await fetch(`${server.url}/widget/${file}`, { headers: { origin: origin(SITES[0]) } });
      await res.arrayBuffer();
      assert.equal(res.status, 200, file);
      assert.ok(["*", origin(SITES[0])].includes(res.headers.get("access-control-allow-origin")),
        `/widget/${file} needs Access-Control-Allow-Origin for cross-origin pages (got ${res.headers.get("access-control-allow-origin")})`);
    }
  });

  test("each built page carries the snippet exactly once, as a plain external async script", () => {
    const src = `${server.url}/widget/salient.js`;
    for (const site of SITES) {
      const html = readFileSync(path.join(out, site.name, "index.html"), "utf8");
      const tags = html.match(/<script\b[^>]*>/g).filter((tag) => tag.includes("salient.js"));
      assert.equal(tags.length, 1, `${site.name}: ${tags.join(" ")}`);
      const tag = tags[0];
      assert.ok(tag.startsWith(`<script src="${src}" data-agent="sales" `), `${site.name}: ${tag}`);
      assert.match(tag, / async>$/, `${site.name}: ${tag}`);
      assert.doesNotMatch(tag, /type=|defer|is:inline/, `${site.name}: ${tag}`);
      assert.ok(tag.includes(`data-title="${site.title}"`), `${site.name}: ${tag}`);
      assert.ok(tag.includes(`data-greeting="${site.greeting}"`), `${site.name}: ${tag}`);
      assert.match(html, new RegExp(`<h1[^>]*>${site.heading}</h1>`), `${site.name}: the page itself is there`);
    }
  });

  test("the Hugo shortcode page has one snippet, with its own title and greeting (the base layout's is left out)", () => {
    const html = readFileSync(path.join(out, "hugo", "booking", "index.html"), "utf8");
    const tags = html.match(/<script\b[^>]*>/g).filter((tag) => tag.includes("salient.js"));
    assert.equal(tags.length, 1, tags.join(" "));
    assert.ok(tags[0].includes('data-title="Book a service"'), tags[0]);
    assert.ok(tags[0].includes('data-greeting="Which bike, and when would suit you?"'), tags[0]);
    assert.ok(html.indexOf(tags[0]) < html.indexOf("</main>"), "the shortcode puts it in the page's content");
  });

  for (const site of SITES) {
    test(`${site.name}: the snippet draws the launcher; "hello" gets an answer in the pane`, async () => {
      const { browser, page, problems } = await openPage();
      try {
        await page.goto(`${origin(site)}/`);
        const scripts = await page.locator('script[src$="/widget/salient.js"]').evaluateAll((els) =>
          els.map((s) => ({ src: s.src, agent: s.dataset.agent, async: s.async, type: s.type })));
        assert.deepEqual(scripts, [{ src: `${server.url}/widget/salient.js`, agent: "sales", async: true, type: "" }]);

        const launcher = page.locator(WIDGET.launcher);
        await launcher.waitFor();
        assert.equal(await launcher.getAttribute("aria-label"), site.title, "data-title reached the widget");
        await launcher.click();
        await page.locator(WIDGET.textarea).waitFor({ state: "visible" });
        assert.equal((await page.locator(WIDGET.greeting).textContent()).trim(), site.greeting);

        await page.locator(WIDGET.textarea).fill("hello");
        await page.locator(WIDGET.send).click();
        const answer = page.locator(WIDGET.answerDone).filter({ hasText: /\S/ }).last();
        await answer.waitFor({ timeout: 20000 });
        assert.ok((await answer.textContent()).trim().length > 20, await answer.textContent());
        assert.equal((await page.locator(WIDGET.user).last().textContent()).trim(), "hello");
        assert.equal(await page.locator(WIDGET.error).count(), 0);
        await page.screenshot({ path: path.join(SHOTS, `${site.name}.png`) });
        assert.deepEqual(problems, [], "no console errors, page errors or CSP violations");
      } finally {
        await browser.close();
      }
    });
  }

  test("the same site on an origin not in the allowlist: the send fails with the widget's error, no answer", async () => {
    const site = SITES[0];
    const outsider = `http://127.0.0.1:${served[site.name].port}`; // same files, another origin
    assert.ok(!allowed.includes(outsider), `${outsider} is not in ${allowed.join(", ")}`);
    const { browser, page } = await openPage();
    try {
      await page.goto(`${outsider}/`);
      await page.locator(WIDGET.launcher).click();
      await page.locator(WIDGET.textarea).waitFor({ state: "visible" });
      await page.locator(WIDGET.textarea).fill("hello");
      await page.locator(WIDGET.send).click();
      const error = page.locator(WIDGET.error);
      await error.waitFor({ timeout: 20000 });
      assert.ok((await error.textContent()).trim().length > 0);
      assert.equal(await error.getAttribute("role"), "alert");
      await page.waitForTimeout(500); // nothing arrives later either
      assert.equal(await page.locator(WIDGET.answer).count(), 0, "no answer");
      assert.equal(await page.locator(WIDGET.textarea).inputValue(), "hello", "the text is kept for a retry");
      await page.screenshot({ path: path.join(SHOTS, `${site.name}-not-allowed.png`) });
    } finally {
      await browser.close();
    }
  });
});
