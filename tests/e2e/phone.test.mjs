// The widget on phones, in headless Chromium with a phone's layout rules (isMobile, touch):
// on a host page wider than the screen the browser grows the layout viewport, which
// position: fixed follows, past the visual viewport (what is on screen). The launcher and the
// open pane must keep to the visual viewport there: the pane's close and send buttons on screen.
// And the demo home page (examples/plain/index.html) must not be wider than a phone.
//
//   node --test tests/e2e/phone.test.mjs        (after ./scripts/build)

import assert from "node:assert/strict";
import { mkdirSync } from "node:fs";
import path from "node:path";
import { after, before, describe, test } from "node:test";
import { startServer } from "../../hosts/node-dev/server.js";
import { chromiumMissing as skip, openPage } from "../support/chromium.mjs";
import { REPO } from "../support/workerd.mjs";

const SHOTS = path.join(REPO, "build", "test-results", "phone");
const PHONES = [{ width: 390, height: 844 }, { width: 360, height: 740 }];
const WIDE_PAGE = 425; // px: what the demo page once measured at 390 px

/** A host page with content WIDE_PAGE px wide, embedding the widget with the snippet. */
const widePage = '<!doctype html><html lang="en"><head><meta charset="utf-8">' +
  '<meta name="viewport" content="width=device-width, initial-scale=1"><title>wide</title></head>' +
  `<body style="margin:0"><header style="width:${WIDE_PAGE}px;padding:10px;box-sizing:border-box;background:#e4efdf">` +
  "A header wider than the phone</header><p style=\"height:1500px\">Content</p>" +
  '<script src="/widget/salient.js" data-agent="sales" async></script></body></html>';

/** Rectangles in the layout viewport's coordinates: the visual viewport's and the widget's. */
const rects = (page) => page.evaluate(() => {
  const root = document.querySelector("salient-widget").shadowRoot;
  const box = (selector) => {
    const el = root.querySelector(selector);
    const r = el && el.getBoundingClientRect();
    return r && r.width ? { left: r.left, top: r.top, right: r.right, bottom: r.bottom } : null;
  };
  const v = window.visualViewport;
  return {
    layoutWidth: window.innerWidth,
    visual: { left: v.offsetLeft, top: v.offsetTop, right: v.offsetLeft + v.width, bottom: v.offsetTop + v.height },
    launcher: box(".launcher"),
    pane: box(".pane.open"),
    close: box(".pane .close"),
    send: box(".pane .send"),
    textarea: box(".pane textarea"),
  };
});

function assertInside(inner, outer, what) {
  assert.ok(inner, `${what} is laid out`);
  const fits = inner.left >= outer.left - 0.5 && inner.top >= outer.top - 0.5 &&
    inner.right <= outer.right + 0.5 && inner.bottom <= outer.bottom + 0.5;
  assert.ok(fits, `${what} ${JSON.stringify(inner)} lies inside the visual viewport ${JSON.stringify(outer)}`);
}

describe("the widget on phones", { skip }, () => {
  let server;

  before(async () => {
    mkdirSync(SHOTS, { recursive: true });
    server = await startServer({ port: 0, env: { SALIENT_STATE: "memory" }, log: () => {} });
  });
  after(async () => {
    await server?.close();
  });

  for (const viewport of PHONES) {
    test(`${viewport.width}×${viewport.height}, a host page ${WIDE_PAGE} px wide: launcher, pane, close and send on screen`, async () => {
      const { browser, page, problems } = await openPage({ viewport, phone: true });
      try {
        await page.route(`${server.url}/wide.html`, (route) =>
          route.fulfill({ status: 200, contentType: "text/html; charset=utf-8", body: widePage }));
        await page.goto(`${server.url}/wide.html`);
        const launcher = page.locator("salient-widget button.launcher");
        await launcher.waitFor();
        let seen = await rects(page);
        assert.ok(seen.layoutWidth > viewport.width, `the layout viewport grew past the screen: ${seen.layoutWidth}`);
        assertInside(seen.launcher, seen.visual, "the launcher");

        await launcher.tap();
        const textarea = page.locator("salient-widget .pane textarea");
        await textarea.waitFor({ state: "visible" });
        seen = await rects(page);
        assert.deepEqual(seen.pane, seen.visual, "the open pane covers the visual viewport exactly");
        assertInside(seen.close, seen.visual, "the close button");
        assertInside(seen.send, seen.visual, "the send button");
        await page.screenshot({ path: path.join(SHOTS, `wide-host-${viewport.width}.png`) });

        // Panned and shrunk (zoomed in, the keyboard up): the pane follows the visual viewport.
        // Headless has neither gesture: the viewport's new geometry is played, then its events.
        await page.evaluate(() => {
          const v = window.visualViewport;
          for (const [name, value] of Object.entries({ offsetLeft: 30, offsetTop: 200, width: 300, height: 400 })) {
            Object.defineProperty(v, name, { value, configurable: true });
          }
          v.dispatchEvent(new Event("scroll"));
          v.dispatchEvent(new Event("resize"));
        });
        seen = await rects(page);
        assert.deepEqual(seen.visual, { left: 30, top: 200, right: 330, bottom: 600 });
        assert.deepEqual(seen.pane, seen.visual, "the pane follows the visual viewport");
        assertInside(seen.close, seen.visual, "the close button, zoomed in");
        assertInside(seen.send, seen.visual, "the send button, zoomed in");

        // The close button works by touch, and the launcher comes back where it can be reached.
        await page.locator("salient-widget .pane .close").tap();
        await page.waitForFunction(() => !document.querySelector("salient-widget").shadowRoot.querySelector(".pane.open"));
        seen = await rects(page);
        assertInside(seen.launcher, seen.visual, "the launcher, zoomed in");
        assert.deepEqual(problems, []);
      } finally {
        await browser.close();
      }
    });
  }

  for (const width of [360, 390]) {
    test(`the demo home page fits a ${width} px phone: nothing wider than the screen, the widget on it`, async () => {
      const { browser, page, problems } = await openPage({ viewport: { width, height: 740 }, phone: true });
      try {
        await page.goto(`${server.url}/`);
        await page.locator("salient-widget button.launcher").waitFor();
        const size = await page.evaluate(() => ({ scroll: document.documentElement.scrollWidth, layout: window.innerWidth }));
        assert.ok(size.scroll <= width, `scrollWidth ${size.scroll} ≤ ${width}`);
        assert.equal(size.layout, width, "the layout viewport is the screen's width");
        await page.locator("salient-widget button.launcher").tap();
        await page.locator("salient-widget .pane textarea").waitFor({ state: "visible" });
        const seen = await rects(page);
        assert.deepEqual(seen.pane, { left: 0, top: 0, right: width, bottom: 740 });
        assertInside(seen.close, seen.visual, "the close button");
        assertInside(seen.send, seen.visual, "the send button");
        await page.screenshot({ path: path.join(SHOTS, `demo-${width}.png`) });
        assert.deepEqual(problems, []);
      } finally {
        await browser.close();
      }
    });
  }
});
