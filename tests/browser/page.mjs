// The chat page and the widget in a real browser. Run by tests/browser/test_page.py:
//   node page.mjs SCENARIO BASE_URL OUT_DIR [QUESTION]
// Prints one JSON object: what a person would see (texts, highlights, focus, layout) and
// every console error; the pytest side compares it with the API's own answers.
import { writeFileSync } from "node:fs";
import { createServer } from "node:http";
import { join } from "node:path";
import { launch, watch } from "./browser.mjs";

const [scenario, base, outDir, question] = process.argv.slice(2);
const TIMEOUT = 60_000;

// Reads inside the widget's shadow root (the page has one widget).
// Functions, not strings: a page under a strict CSP may not eval.
async function inWidget(page, fn, ...args) {
  const root = await page.evaluateHandle(() => document.querySelector(".qa-service-widget").shadowRoot);
  try {
    return await root.evaluate(fn, ...args);
  } finally {
    await root.dispose();
  }
}

const waitInWidget = (page, selector) =>
  page.waitForFunction(
    (s) => document.querySelector(".qa-service-widget")?.shadowRoot?.querySelector(s),
    { timeout: TIMEOUT },
    selector,
  );

async function shot(page, name) {
  const path = join(outDir, `${name}.png`);
  await page.screenshot({ path });
  return path;
}

/** Layout facts: does the page itself scroll (it should not), what font is used. */
const layout = (page) =>
  page.evaluate(() => {
    const doc = document.scrollingElement;
    const root = document.querySelector(".qa-service-widget").shadowRoot;
    const font = (sel) => { const n = root.querySelector(sel); return n && getComputedStyle(n).fontFamily; };
    return {
      pageScrollsY: doc.scrollHeight > window.innerHeight,
      pageScrollsX: doc.scrollWidth > window.innerWidth,
      width: window.innerWidth,
      fonts: { box: font(".box"), input: font("input"), button: font("button"), article: font(".article") },
    };
  });

/** Records, inside the page, whether answer text was shown before the citations arrived. */
const watchStreaming = (page) =>
  inWidget(page, (root) => {
    window.__stream = { partial: [], done: false };
    new MutationObserver(() => {
      const msg = [...root.querySelectorAll(".msg.bot")].pop();
      if (!msg || msg.classList.contains("pending")) return;
      if (!msg.querySelector(".cites") && msg.getAttribute("aria-busy") === "true") window.__stream.partial.push(msg.textContent);
    }).observe(root, { subtree: true, childList: true, characterData: true });
  });

/** Ask by typing (or tapping an example), wait for the answer, open every citation. */
async function askAndOpen(page, { typed, tap, closeWith }) {
  const chat = page.waitForResponse((r) => r.url().endsWith("/v1/chat") && r.request().method() === "POST", { timeout: TIMEOUT });
  await watchStreaming(page);
  let asked = typed;
  if (tap) {
    const example = await page.$("pierce/.example");
    asked = await example.evaluate((n) => n.textContent);
    await example.tap();
  } else {
    await page.type("pierce/input", typed);
    await page.keyboard.press("Enter");
  }
  const response = await chat;
  await waitInWidget(page, ".msg.bot[aria-busy=false]");
  const conversation = await page.evaluate(() => document.querySelector(".qa-service-widget").dataset.conversation);
  const answer = await inWidget(page, (root) => {
    const msg = [...root.querySelectorAll(".msg.bot")].pop();
    return { text: msg.firstChild ? msg.textContent : "", abstained: msg.classList.contains("abstain"),
             markers: [...msg.querySelectorAll(".marker")].map((b) => b.textContent),
             listed: [...msg.querySelectorAll(".cite")].map((b) => b.textContent) };});
  const citations = [];
  const count = answer.listed.length;
  for (let i = 0; i < count; i++) {
    const buttons = await page.$$("pierce/.cite");
    const button = buttons[buttons.length - count + i];
    await (tap ? button.tap() : button.click());
    await waitInWidget(page, ".quote .chosen");
    const seen = await inWidget(page, (root) => {
      const q = root.querySelector(".dialog .quote"), c = root.querySelector(".quote .chosen");
      const dialog = root.querySelector(".dialog"), article = root.querySelector(".article");
      return { highlighted: q.textContent, chosen: c.textContent,
               quoteBackground: getComputedStyle(q).backgroundColor, chosenBackground: getComputedStyle(c).backgroundColor,
               heading: root.querySelector("#qa-doc-title").textContent, focused: root.activeElement && root.activeElement.className,
               backdrop: !!root.querySelector(".backdrop"), dialogWidth: dialog.getBoundingClientRect().width,
               articleOverflowsX: article.scrollWidth > article.clientWidth, role: dialog.getAttribute("role"),
               fonts: [dialog, article, q].map((n) => getComputedStyle(n).fontFamily),
               boxFont: getComputedStyle(root.querySelector(".box")).fontFamily };});
    if (i === 0) seen.screenshot = await shot(page, `${scenario}-citation`);
    if ((closeWith === "alternate" && i % 2) || closeWith === "backdrop") {
      await page.mouse.click(5, 5); // the backdrop, outside the dialog on every screen size
    } else {
      const x = await page.$("pierce/.dialog .x");
      await (tap ? x.tap() : x.click());
    }
    seen.closed = await inWidget(page, (root) => {return !root.querySelector(".dialog") && !root.querySelector(".backdrop");});
    citations.push(seen);
  }
  return { asked, contentType: response.headers()["content-type"], conversation, answer, citations,
           partial: await page.evaluate(() => window.__stream.partial) };
}

async function open(browser, viewport, allow) {
  const page = await browser.newPage();
  const problems = watch(page, allow);
  const listings = []; // the query of each request for the list of articles
  page.on("request", (r) => {
    const url = new URL(r.url());
    if (url.pathname === "/v1/documents") listings.push(url.search);
  });
  await page.setViewport(viewport);
  await page.goto(base + "/", { waitUntil: "networkidle0", timeout: TIMEOUT });
  await waitInWidget(page, ".welcome p");
  return { page, problems, listings };
}

const welcomeFacts = (page) =>
  inWidget(page, (root) => {
    const w = root.querySelector(".welcome");
    return { text: w.textContent, examples: [...w.querySelectorAll(".example")].map((b) => b.textContent),
             items: [...w.querySelectorAll("li")].map((li) => li.textContent),
             live: root.querySelector(".log").getAttribute("aria-live"),
             label: root.querySelector("label").textContent, labelFor: root.querySelector("label").htmlFor,
             inputId: root.querySelector("input").id };});

const scenarios = {
  /** Desktop: the empty state, a typed question streamed in, every citation, an error. */
  async desktop(browser) {
    // The "?" question is refused with 422 on purpose; Chrome logs that response.
    const allow = (t) => /HTTP 422: .*\/v1\/chat$/.test(t) || (t.includes("status of 422") && t.includes("/v1/chat"));
    const { page, problems, listings } = await open(browser, { width: 1280, height: 800 }, allow);
    await page.waitForFunction(() => document.querySelector(".qa-service-widget").shadowRoot.querySelector(".example"), { timeout: TIMEOUT });
    const result = { welcome: await welcomeFacts(page), emptyLayout: await layout(page), emptyShot: await shot(page, "desktop-empty") };
    result.welcome.listings = [...listings];
    result.chat = await askAndOpen(page, { typed: question, closeWith: "alternate" });
    result.answeredShot = await shot(page, "desktop-answer");
    await page.type("pierce/input", "?");
    await page.keyboard.press("Enter");
    await waitInWidget(page, ".error[role=alert]");
    result.error = await inWidget(page, (root) => {
      const e = [...root.querySelectorAll(".error")].pop();
      return { text: e.textContent, color: getComputedStyle(e).color, background: getComputedStyle(e).backgroundColor };});
    result.errorShot = await shot(page, "desktop-error");
    result.layout = await layout(page);
    result.problems = problems;
    return result;
  },

  /** A 360 px phone: tap an example, every citation, nothing wider than the screen. */
  async phone(browser) {
    const { page, problems } = await open(browser, { width: 360, height: 740, isMobile: true, hasTouch: true });
    await page.waitForFunction(() => document.querySelector(".qa-service-widget").shadowRoot.querySelector(".example"), { timeout: TIMEOUT });
    const result = { emptyLayout: await layout(page), emptyShot: await shot(page, "phone-empty") };
    result.chat = await askAndOpen(page, { tap: true, closeWith: "close" });
    result.answeredShot = await shot(page, "phone-answer");
    result.layout = await layout(page);
    result.problems = problems;
    return result;
  },

  /** Keyboard only: Tab to the input, Enter, Tab to a citation, Enter, Esc. */
  async keyboard(browser) {
    const { page, problems } = await open(browser, { width: 1024, height: 768 });
    await page.waitForFunction(() => document.querySelector(".qa-service-widget").shadowRoot.querySelector(".example"), { timeout: TIMEOUT });
    const focused = () => inWidget(page, (root) => {const a = root.activeElement; return a ? (a.id || a.className || a.tagName) : null;});
    let tabs = 0;
    while ((await focused()) !== "qa-input" && tabs < 10) { await page.keyboard.press("Tab"); tabs++; }
    const result = { tabsToInput: tabs, focusedInput: await focused() };
    await page.keyboard.type(question);
    await page.keyboard.press("Enter");
    await waitInWidget(page, ".msg.bot[aria-busy=false] .cite");
    let steps = 0;
    while ((await focused()) !== "cite" && steps < 30) { await page.keyboard.press("Tab"); steps++; }
    result.tabsToCitation = steps;
    await page.keyboard.press("Enter");
    await waitInWidget(page, ".quote .chosen");
    result.focusInDialog = await focused();
    await page.keyboard.press("Tab");
    result.afterTab = await focused();
    await page.keyboard.press("Tab");
    result.afterTwoTabs = await focused();
    await page.keyboard.press("Escape");
    result.closedByEscape = await inWidget(page, (root) => {return !root.querySelector(".dialog");});
    result.focusAfterClose = await focused();
    result.problems = problems;
    return result;
  },

  /** The question's length, counted as the service counts it: code points after NFC. */
  async limit(browser) {
    const { page, problems } = await open(browser, { width: 1024, height: 768 });
    const value = () => inWidget(page, (root) => root.querySelector("input").value);
    const ask = async () => {
      const answered = page.waitForResponse((r) => r.url().endsWith("/v1/chat") && r.request().method() === "POST", { timeout: TIMEOUT });
      const before = await inWidget(page, (root) => root.querySelectorAll(".msg.bot").length);
      await page.keyboard.press("Enter");
      const status = (await answered).status();
      await page.waitForFunction((n) => document.querySelector(".qa-service-widget").shadowRoot.querySelectorAll(".msg.bot[aria-busy=false]").length > n,
        { timeout: TIMEOUT }, before);
      return status;
    };
    // A paste of 2000 code points, ~3,900 UTF-16 units: the service takes all of it.
    const full = question + " " + "🚀".repeat(2000 - Array.from(question).length - 1);
    await page.click("pierce/input");
    await page.keyboard.sendCharacter(full);
    const result = { full, typed: await value() };
    await page.keyboard.sendCharacter("X"); // one past the limit: not taken
    result.pastLimit = await value();
    result.status = await ask();
    // Decomposed accents: 3,837 code points typed, 1,937 as the service counts them.
    const decomposed = question + " " + "e\u0301".repeat(1900);
    await page.click("pierce/input");
    await page.keyboard.sendCharacter(decomposed);
    Object.assign(result, { decomposed, decomposedTyped: await value() });
    result.decomposedStatus = await ask();
    result.conversation = await page.evaluate(() => document.querySelector(".qa-service-widget").dataset.conversation);
    result.shot = await shot(page, "limit");
    result.problems = problems;
    return result;
  },

  /** The widget inside someone else's page: no style crosses the shadow root either way. */
  async widget(browser) {
    const page = await browser.newPage();
    const problems = watch(page);
    await page.setViewport({ width: 1100, height: 760 });
    const html = `<!doctype html><html lang="de"><head><meta charset="utf-8"><title>Host</title>
      <link rel="icon" href="data:,">
      <style>*{font-family:"Courier New",serif !important;color:rgb(200,0,0)}
      button{background:rgb(0,128,0);border-radius:0;padding:30px}.box,.msg,.cite{border:9px solid lime}</style></head>
      <body><h1>Host page</h1><div class="box" id="hostbox">host box</div><button class="launcher" id="hostbutton">host button</button>
      <script src="${base}/widget.js" defer></script></body></html>`;
    // The host page comes from another origin on loopback: the widget calls the API cross-origin.
    const server = createServer((req, res) => res.writeHead(200, { "content-type": "text/html" }).end(html));
    await new Promise((resolve) => server.listen(Number(process.env.HOST_PAGE_PORT || 0), "127.0.0.1", resolve));
    const host = `http://127.0.0.1:${server.address().port}/`;
    try {
      return await hostedWidget(page, problems, host);
    } finally {
      server.close();
    }
  },
};

/** The host page's own elements, named like the widget's (.box, .launcher). */
const hostStyles = (page) =>
  page.evaluate(() => {
    const s = (id) => { const c = getComputedStyle(document.getElementById(id)); return { border: c.borderTopWidth, radius: c.borderRadius, position: c.position, background: c.backgroundColor, font: c.fontFamily }; };
    return { box: s("hostbox"), button: s("hostbutton") };
  });

async function hostedWidget(page, problems, host) {
  await page.goto(host, { waitUntil: "networkidle0", timeout: TIMEOUT });
  const hostBefore = await hostStyles(page);
  await page.click("pierce/.launcher");
  await waitInWidget(page, ".welcome p");
  const inside = await inWidget(page, (root) => {
    const c = (s) => { const n = root.querySelector(s); const st = getComputedStyle(n); return { font: st.fontFamily, color: st.color, border: st.borderTopWidth, background: st.backgroundColor }; };
    return { box: c(".box"), input: c("input"), send: c(".form button"), head: c(".head") };});
  const result = { hostBefore, inside, shot: await shot(page, "widget-open") };
  result.chat = await askAndOpen(page, { typed: question, closeWith: "backdrop" });
  result.hostAfter = await hostStyles(page);
  result.answeredShot = await shot(page, "widget-answer");
  result.problems = problems;
  return result;
}

const browser = await launch();
try {
  const result = await scenarios[scenario](browser);
  writeFileSync(join(outDir, `${scenario}.json`), JSON.stringify(result, null, 2));
  process.stdout.write(JSON.stringify(result));
} finally {
  await browser.close();
}
