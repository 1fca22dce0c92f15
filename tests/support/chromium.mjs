// Headless Chromium for the browser tests (Debian's /usr/bin/chromium driven by playwright-core):
// one launch recipe, and a page that records what a test must not see: console errors (the
// browser's own /favicon.ico 404 aside), uncaught page errors and CSP violations.
import { existsSync } from "node:fs";

export const CHROMIUM = "/usr/bin/chromium";
/** For describe(…, { skip }): false when Chromium is there, else why the tests are skipped. */
export const chromiumMissing = existsSync(CHROMIUM) ? false : `${CHROMIUM} is missing (apt-get install chromium)`;

/**
 * Resolves { browser, page, problems }; close the browser when done. `phone`: a touch screen
 * with a phone's layout rules (isMobile: the meta viewport applies, and a page wider than the
 * screen grows the layout viewport past the visual one).
 */
export async function openPage({ viewport = { width: 900, height: 720 }, phone = false } = {}) {
  const { chromium } = await import("playwright-core");
  const browser = await chromium.launch({
    executablePath: CHROMIUM,
    headless: true,
    args: ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update",
      "--no-first-run", "--disable-sync", "--disable-quic"],
  });
  const page = await browser.newPage(phone ? { viewport, isMobile: true, hasTouch: true, deviceScaleFactor: 3 } : { viewport });
  const problems = [];
  page.on("console", (message) => {
    if (message.type() === "error" && !message.location().url.endsWith("/favicon.ico")) problems.push(`console: ${message.text()}`);
  });
  page.on("pageerror", (error) => problems.push(`page error: ${error.message}`));
  await page.addInitScript(() => {
    document.addEventListener("securitypolicyviolation", (e) => {
      console.error(`CSP violation: ${e.violatedDirective} ${e.blockedURI}`);
    });
  });
  return { browser, page, problems };
}
