// Chat widgets in headless Chromium: bytes transferred on page load and on the first open, and the
// time from the click on the launcher to a usable input (focused and enabled). Each run is a fresh
// browser context (empty cache: a first visit). Budgets: page load ≤ 5 KB gzip,
// first open ≤ 50 KB gzip.
//
//   node bench/widget-bytes.mjs [--runs=N]        (after ./scripts/build; N defaults to 7)
//
// Bytes are what Chromium reports per response (Playwright's request.sizes(): the encoded body,
// gzip here, since the dev server gzips static files; and the headers), summed over the subject's
// own assets only (its `isAsset`), so the host page's HTML and images do not count. Page load =
// from navigation to network idle; first open = from the click to network idle again.
//
// Subjects: each has a page URL (served by `start`), a predicate for its assets, and an
// in-page `measureOpen` (serialized into the page: self-contained) that clicks the launcher and
// resolves with the milliseconds until the input is usable: ours, focused and enabled; the peers
// (bench/lib/widget-peers.mjs: flowise-embed, @n8n/chat, on the same host page), visible and
// enabled (neither focuses it). Ratios are peer ÷ ours, measured in the same run.

import { mkdirSync, writeFileSync } from "node:fs";
import path from "node:path";
import { startServer } from "../hosts/node-dev/server.js";
import { CHROMIUM } from "../tests/support/chromium.mjs";
import { BUILD } from "./lib/common.mjs";
import { kb, ms, rounded, summary, table } from "./lib/stats.mjs";
import { PEERS } from "./lib/widget-peers.mjs";

const RUNS = Number(process.argv.find((a) => a.startsWith("--runs="))?.slice(7) ?? 7);
const BUDGET = { loadGzip: 5 * 1024, openGzip: 50 * 1024 };

const SUBJECTS = [
  {
    name: "salient",
    /** Serves the demo home page (it embeds the widget with the site owner's snippet). */
    async start() {
      const server = await startServer({ port: 0, env: { SALIENT_STATE: "memory" }, log: () => {} });
      return { url: `${server.url}/`, stop: () => server.close() };
    },
    isAsset: (url) => new URL(url).pathname.startsWith("/widget/"),
    launcher: "salient-widget .launcher",
    measureOpen: () => new Promise((resolve) => {
      const root = document.querySelector("salient-widget").shadowRoot;
      const start = performance.now();
      root.querySelector(".launcher").click();
      const check = () => {
        const input = root.querySelector("textarea");
        if (input && root.activeElement === input && !input.disabled) resolve(performance.now() - start);
        else setTimeout(check, 0);
      };
      check();
    }),
  },
  ...PEERS,
];

async function measure(browser, subject, url) {
  const context = await browser.newContext({ viewport: { width: 1280, height: 800 } });
  const page = await context.newPage();
  const phases = { load: [], open: [] };
  let phase = "load";
  page.on("requestfinished", async (request) => {
    const into = phases[phase];
    if (!subject.isAsset(request.url())) return;
    const entry = { url: request.url(), body: 0, headers: 0 };
    into.push(entry);
    const sizes = await request.sizes().catch(() => null);
    if (sizes) Object.assign(entry, { body: sizes.responseBodySize, headers: sizes.responseHeadersSize });
  });
  try {
    await page.goto(url);
    await page.locator(subject.launcher).waitFor();
    await page.waitForLoadState("networkidle");
    phase = "open";
    const openMs = await page.evaluate(subject.measureOpen);
    await page.waitForLoadState("networkidle");
    await page.waitForTimeout(300); // late responses' sizes
    const total = (list, key) => list.reduce((sum, r) => sum + r[key], 0);
    return {
      openMs,
      load: { requests: phases.load.length, body: total(phases.load, "body"), wire: total(phases.load, "body") + total(phases.load, "headers") },
      open: { requests: phases.open.length, body: total(phases.open, "body"), wire: total(phases.open, "body") + total(phases.open, "headers") },
      files: Object.fromEntries(phases.load.concat(phases.open).map((r) => [new URL(r.url).pathname, r.body])),
    };
  } finally {
    await context.close();
  }
}

const { chromium } = await import("playwright-core");
const browser = await chromium.launch({
  executablePath: CHROMIUM,
  headless: true,
  args: ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update", "--no-first-run"],
});
const results = {};
try {
  for (const subject of SUBJECTS) {
    const served = await subject.start();
    try {
      const runs = [];
      for (let i = 0; i < RUNS; i++) runs.push(await measure(browser, subject, served.url));
      results[subject.name] = {
        version: subject.version,
        url: served.url,
        runs: RUNS,
        loadGzip: runs[0].load.body,
        loadRequests: runs[0].load.requests,
        openGzip: runs[0].open.body,
        openRequests: runs[0].open.requests,
        openWire: runs[0].open.wire,
        files: runs[0].files,
        clickToInteractiveMs: summary(runs.map((r) => r.openMs)),
      };
    } finally {
      await served.stop();
    }
  }
} finally {
  await browser.close();
}

const ours = results.salient;
const times = (x, y) => (y > 0 ? `${(x / y).toFixed(1)}×` : "–");
const rows = [["subject", "page load KB (gzip)", "÷ ours", "first open KB (gzip)", "load + open KB", "÷ ours", "requests load/open", "click→input p50 ms", "p95 ms"]];
for (const [name, r] of Object.entries(results)) {
  const peer = r !== ours;
  const both = (x) => x.loadGzip + x.openGzip;
  rows.push([name + (r.version ? ` ${r.version}` : ""), kb(r.loadGzip), peer ? times(r.loadGzip, ours.loadGzip) : "", kb(r.openGzip),
    kb(both(r)), peer ? times(both(r), both(ours)) : "", `${r.loadRequests}/${r.openRequests}`,
    ms(r.clickToInteractiveMs.p50, 1), ms(r.clickToInteractiveMs.p95, 1)]);
}
console.log(table(rows));
console.log(`budgets: page load ${kb(ours.loadGzip)} / ${kb(BUDGET.loadGzip)} KB, first open ${kb(ours.openGzip)} / ${kb(BUDGET.openGzip)} KB ` +
  `(${RUNS} runs, fresh context each)`);
console.log("files (gzip bytes):", JSON.stringify(ours.files));
const out = path.join(BUILD, "bench");
mkdirSync(out, { recursive: true });
writeFileSync(path.join(out, "widget-bytes.json"), JSON.stringify(rounded({ date: new Date().toISOString(), budget: BUDGET, results }), null, 2) + "\n");
console.log(`details: ${path.relative(process.cwd(), path.join(out, "widget-bytes.json"))}`);
