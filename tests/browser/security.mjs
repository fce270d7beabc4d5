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

// Reads inside the widget's shadow root (functions, not strings: the page's CSP forbids eval).
async function inWidget(page, fn) {
  const root = await page.evaluateHandle(() => document.querySelector(".qa-service-widget").shadowRoot);
  try {
    return await root.evaluate(fn);
  } finally {
    await root.dispose();
  }
}
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
    // The widget renders inside a shadow root: "pierce/" selectors reach into it.
    await page.waitForSelector("pierce/.form input", { timeout: 30000 });
    await page.type("pierce/.form input", args.question);
    await page.keyboard.press("Enter");
    await page.waitForFunction(() => {
      const root = document.querySelector(".qa-service-widget")?.shadowRoot;
      return root && root.querySelector(".msg.bot[aria-busy=false], .msg.error");
    }, { timeout: 60000 });
    const seen = await inWidget(page, (root) => {
      const msgs = [...root.querySelectorAll(".msg.bot, .msg.error")];
      return { answer: msgs.length ? msgs[msgs.length - 1].textContent : "",
               citations: [...root.querySelectorAll(".msg.bot .cite")].map((b) => b.textContent) };
    });
    Object.assign(out, seen);
  }
  if (scenario === "ask-and-open" && out.citations.length) {
    await page.click("pierce/.msg.bot .cite");
    await page.waitForFunction(
      () => document.querySelector(".qa-service-widget")?.shadowRoot?.querySelector(".dialog .quote"),
      { timeout: 30000 },
    );
    Object.assign(out, await inWidget(page, (root) => ({
      marked: root.querySelector(".dialog .quote").textContent,
      docText: root.querySelector(".dialog .article").textContent,
    })));
    await new Promise((r) => setTimeout(r, 500)); // an onerror would have fired by now
    if (args.shot) await page.screenshot({ path: args.shot });
  }
  if (scenario === "visit") {
    await page.waitForFunction(() => window.__done === true, { timeout: 30000 });
    out.results = await page.evaluate(() => window.__results);
  }
  out.injected = await page.evaluate(() => {
    const root = document.querySelector(".qa-service-widget")?.shadowRoot;
    return {
      ran: window.__pwned || null,
      scripts: root ? root.querySelectorAll("script").length : 0,
      images: root ? root.querySelectorAll("img").length : 0,
    };
  });
} finally {
  await browser.close();
}
console.log(JSON.stringify(out));
