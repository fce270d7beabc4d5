// Real headless Chromium (Debian's /usr/bin/chromium) through puppeteer-core.
//   node tests/browser/security.mjs SCENARIO '{"...": ...}'
// Prints one JSON object of observations; the Python tests (tests/browser/test_security.py)
// decide what they must be. Scenarios:
//   ask-and-open  open PAGE, ask QUESTION, open the first citation; report what the page
//                 shows, whether any planted script ran, CSP violations; SHOT: a screenshot
//   visit         open PAGE (an attacker's page on another origin) and wait until it reports
//                 window.__done; report window.__results
//   widget        open PAGE (a site embedding the widget), ask QUESTION, report the answer
import { launch } from "./browser.mjs";

const [scenario, json] = process.argv.slice(2);
const args = JSON.parse(json);
const browser = await launch();
const out = { console: [], dialogs: [], pageErrors: [] };
try {
  const page = await browser.newPage();
  page.on("console", (m) => out.console.push(m.text()));
  page.on("pageerror", (e) => out.pageErrors.push(String(e)));
  page.on("dialog", async (d) => { out.dialogs.push(d.message()); await d.dismiss(); });
  await page.setViewport({ width: 1100, height: 800 });
  const response = await page.goto(args.page, { waitUntil: "networkidle0" });
  out.csp = response.headers()["content-security-policy"] || null;

  if (scenario === "ask-and-open" || scenario === "widget") {
    await page.waitForSelector(".qa-form input");
    await page.type(".qa-form input", args.question);
    await page.keyboard.press("Enter");
    await page.waitForFunction(
      () => [...document.querySelectorAll(".qa-bot")].some((m) => m.textContent !== "…"),
      { timeout: 60000 },
    );
    const bots = await page.$$eval(".qa-bot", (ms) => ms.map((m) => m.textContent));
    out.answer = bots[bots.length - 1];
    out.citations = await page.$$eval(".qa-cite", (bs) => bs.map((b) => b.title));
  }
  if (scenario === "ask-and-open" && out.citations.length) {
    await page.click(".qa-cite");
    await page.waitForSelector(".qa-doc mark", { timeout: 30000 });
    out.marked = await page.$eval(".qa-doc mark", (m) => m.textContent);
    out.docText = await page.$eval(".qa-doc pre", (p) => p.textContent);
    await new Promise((r) => setTimeout(r, 500)); // an onerror would have fired by now
    if (args.shot) await page.screenshot({ path: args.shot });
  }
  if (scenario === "visit") {
    await page.waitForFunction(() => window.__done === true, { timeout: 30000 });
    out.results = await page.evaluate(() => window.__results);
  }
  out.injected = await page.evaluate(() => ({
    ran: window.__pwned || null,
    scripts: document.querySelectorAll(".qa-box script, .qa-doc script").length,
    images: document.querySelectorAll(".qa-box img, .qa-doc img").length,
  }));
} finally {
  await browser.close();
}
console.log(JSON.stringify(out));
