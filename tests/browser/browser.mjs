// Shared by the browser tests: Debian's chromium driven by puppeteer-core, and a watch on
// everything a person would see as broken (console errors, page errors, failed requests).
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import puppeteer from "puppeteer-core";

export const CHROMIUM = process.env.CHROMIUM || "/usr/bin/chromium";

/** A headless chromium with a fresh profile; `close()` removes the profile too. */
export async function launch() {
  const profile = mkdtempSync(join(tmpdir(), "qa-chromium-"));
  const browser = await puppeteer.launch({
    executablePath: CHROMIUM,
    headless: true,
    args: [
      "--headless",
      "--no-sandbox",
      "--disable-gpu",
      "--disable-quic",
      "--no-first-run",
      "--disable-background-networking",
      "--disable-component-update",
      "--disable-sync",
      `--user-data-dir=${profile}`,
    ],
  });
  const close = browser.close.bind(browser);
  browser.close = async () => {
    await close();
    rmSync(profile, { recursive: true, force: true });
  };
  return browser;
}

/** Collects problems on `page`: console errors and warnings, uncaught errors, failed or
 * 4xx/5xx requests. `allow(text)` may excuse one that a test provokes on purpose. */
export function watch(page, allow = () => false) {
  const problems = [];
  const add = (text) => { if (!allow(text)) problems.push(text); };
  page.on("console", (m) => {
    if (m.type() === "error" || m.type() === "warn") add(`console.${m.type()}: ${m.text()} ${JSON.stringify(m.location())}`);
  });
  page.on("pageerror", (e) => add(`pageerror: ${e.message}`));
  page.on("requestfailed", (r) => {
    // Chrome reports a fetch whose body the page read as a stream (our SSE answers) as
    // ERR_ABORTED once in a while after it completed, with no console message; the tests
    // check that every event of such a stream reached the page.
    const answered = r.response()?.status() === 200 && r.response().headers()["content-type"]?.startsWith("text/event-stream");
    if (!(answered && r.failure()?.errorText === "net::ERR_ABORTED")) add(`requestfailed: ${r.method()} ${r.url()} ${r.failure()?.errorText}`);
  });
  page.on("response", (r) => { if (r.status() >= 400) add(`HTTP ${r.status()}: ${r.url()}`); });
  return problems;
}
