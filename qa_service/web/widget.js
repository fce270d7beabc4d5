/* qa_service chat widget. Embed in any page:
 *   <script src="http://127.0.0.1:8000/widget.js" defer></script>
 * Options (attributes of the script tag): data-api (service URL, default: where the script
 * came from), data-target (CSS selector of a container to render into instead of a
 * floating button), data-title, data-lang ("de" or "en"; default: the page's lang),
 * data-key (a read key bound to this page's origin, created with
 * `qa-service keys create --name site --scope read --origin https://your.site`).
 *
 * Everything renders inside a shadow root, so the host page's styles do not reach the
 * widget and the widget's styles do not reach the page. No inline scripts or handlers:
 * it runs under a Content-Security-Policy of script-src 'self'.
 * It talks to POST /v1/chat with "stream": true (Server-Sent Events: start, sentence...,
 * done, [DONE]) and shows every citation with its exact span, highlighted in the article
 * text fetched from GET /v1/documents/{id}: the chosen sentence strongly, the context
 * around it lightly.
 */
(function () {
  "use strict";
  const script = document.currentScript;
  const api = (script.dataset.api || new URL(script.src).origin).replace(/\/$/, "");
  const lang = (script.dataset.lang || document.documentElement.lang || "de").toLowerCase().startsWith("en") ? "en" : "de";

  const TEXT = {
    de: {
      title: "Fragen zu den Artikeln",
      open: "Fragen zu den Artikeln",
      label: "Ihre Frage",
      placeholder: "Frage stellen …",
      send: "Senden",
      close: "Schließen",
      closeChat: "Chat schließen",
      thinking: "Suche in den Artikeln …",
      inIndex: (d, s) => `Im Index: ${d} Artikel mit ${s.toLocaleString("de-DE")} Sätzen.`,
      newest: "Neueste Artikel",
      more: (n) => `und ${n} weitere`,
      emptyIndex: "Der Index ist noch leer: Artikel über POST /v1/documents oder qa-service ingest hinzufügen.",
      tryThese: "Zum Beispiel:",
      intro: "Antworten bestehen aus Sätzen der Artikel, jeder mit seiner Quelle.",
      sources: "Quellen",
      source: (n) => `Quelle ${n} öffnen`,
      error: "Fehler",
      legend: "Markiert: der zitierte Satz; heller: sein Kontext.",
      chars: "Zeichen",
      errors: {
        EmptyQuestion: "Die Frage enthält keine Wörter. Bitte eine Frage mit Wörtern stellen.",
        QuestionTooLong: "Die Frage ist zu lang (höchstens 2.000 Zeichen).",
        ConversationNotFound: "Dieses Gespräch gibt es nicht mehr. Die nächste Frage beginnt ein neues.",
        DocumentNotFound: "Dieser Artikel ist nicht mehr im Index.",
        unavailable: "Der Dienst ist gerade nicht bereit. Bitte gleich noch einmal versuchen.",
        invalid: "Die Anfrage wurde abgelehnt",
        network: "Der Dienst ist nicht erreichbar. Läuft er noch?",
        keyRequired:
          "Dieser Dienst verlangt einen API-Schlüssel. Das Widget braucht einen Lese-Schlüssel: " +
          'auf einer eigenen Seite einbetten mit <script src=".../widget.js" data-key="SCHLÜSSEL">, ' +
          "Schlüssel erstellt mit qa-service keys create --scope read --origin https://ihre.seite " +
          "(siehe README, Abschnitt Sicherheit).",
        other: "Unerwarteter Fehler",
      },
    },
    en: {
      title: "Ask the articles",
      open: "Ask the articles",
      label: "Your question",
      placeholder: "Ask a question …",
      send: "Send",
      close: "Close",
      closeChat: "Close chat",
      thinking: "Searching the articles …",
      inIndex: (d, s) => `In the index: ${d} ${d === 1 ? "article" : "articles"} with ${s.toLocaleString("en")} sentences.`,
      newest: "Newest articles",
      more: (n) => `and ${n} more`,
      emptyIndex: "The index is empty: add articles with POST /v1/documents or qa-service ingest.",
      tryThese: "For example:",
      intro: "Answers are made of the articles' sentences, each with its source.",
      sources: "Sources",
      source: (n) => `Open source ${n}`,
      error: "Error",
      legend: "Highlighted: the cited sentence; lighter: its context.",
      chars: "characters",
      errors: {
        EmptyQuestion: "The question has no words. Please ask with words.",
        QuestionTooLong: "The question is too long (2,000 characters at most).",
        ConversationNotFound: "This conversation no longer exists. The next question starts a new one.",
        DocumentNotFound: "This article is no longer in the index.",
        unavailable: "The service is not ready right now. Please try again in a moment.",
        invalid: "The request was refused",
        network: "The service cannot be reached. Is it still running?",
        keyRequired:
          "This service requires an API key. The widget needs a read key: embed it in your own " +
          'page with <script src=".../widget.js" data-key="KEY">, the key created with ' +
          "qa-service keys create --scope read --origin https://your.site (see README, Security).",
        other: "Unexpected error",
      },
    },
  }[lang];
  const title = script.dataset.title || TEXT.title;
  const auth = script.dataset.key ? { authorization: `Bearer ${script.dataset.key}` } : {};

  const CSS = `
  :host{all:initial;display:block}
  :host([data-mode=page]){height:100%}
  /* Set again on each top container: a host rule on the host element itself ("*{...}", even
     !important) wins over :host and would be inherited from there. */
  .box,.launcher,.dialog{font-family:system-ui,-apple-system,"Segoe UI",Roboto,"Noto Sans",sans-serif;font-size:16px;font-weight:400;font-style:normal;line-height:1.5;color:#1b1f24;text-align:left;letter-spacing:normal;word-spacing:normal;text-transform:none;visibility:visible}
  *,*::before,*::after{box-sizing:border-box}
  button,input{font:inherit;color:inherit}
  button{cursor:pointer}
  :focus-visible{outline:3px solid #3b82f6;outline-offset:2px}
  .box{display:flex;flex-direction:column;height:100%;min-height:0;background:#fff;border:1px solid #d5dbe3;border-radius:12px;overflow:hidden}
  .float{position:fixed;right:16px;bottom:84px;width:min(400px,calc(100vw - 32px));height:min(600px,calc(100vh - 110px));box-shadow:0 8px 30px #0003;z-index:2147483000}
  .head{display:flex;align-items:center;gap:8px;background:#1f3a5f;color:#fff;padding:10px 14px;font-weight:600;margin:0;font-size:1.05em}
  .head h1,.head h2{font:inherit;margin:0;flex:1;min-width:0}
  .log{flex:1;min-height:0;overflow-y:auto;padding:14px;display:flex;flex-direction:column;gap:12px}
  .welcome{color:#3d4652;font-size:.95em}
  .welcome p{margin:0 0 8px}
  .welcome ul{margin:0 0 10px;padding-left:1.2em}
  .welcome li{margin:2px 0}
  .meta{color:#5b6673;font-size:.88em}
  .examples{display:flex;flex-direction:column;gap:8px;align-items:flex-start}
  .example{border:1px solid #b9c7da;background:#f3f7fc;border-radius:18px;padding:8px 14px;text-align:left;min-height:44px;max-width:100%;overflow-wrap:anywhere}
  .example:hover{background:#e4edf8}
  .msg{padding:9px 12px;border-radius:10px;max-width:94%;overflow-wrap:anywhere}
  .user{align-self:flex-end;background:#e3ecf7;white-space:pre-wrap}
  .bot{align-self:flex-start;background:#f4f5f7}
  .bot.abstain{color:#4f5964;font-style:italic}
  .bot.pending{color:#5b6673}
  .error{align-self:stretch;max-width:100%;background:#fdecec;border:1px solid #e0a3a3;color:#8a1c1c}
  .error strong{margin-right:4px}
  .marker{border:0;background:#1f3a5f;color:#fff;border-radius:5px;padding:1px 7px;margin:0 2px;font-size:.8em;vertical-align:1px;min-width:26px;min-height:24px}
  .cites{margin-top:8px;padding-top:6px;border-top:1px solid #dde2e8;font-size:.9em;color:#3d4652}
  .cites h3{font:inherit;font-weight:600;margin:0 0 2px}
  .cites ol{list-style:none;margin:0;padding:0}
  .cite{display:block;width:100%;text-align:left;border:0;background:none;padding:6px 0;min-height:44px}
  .cite:hover .q{text-decoration:underline}
  .cite .n{font-weight:600;margin-right:4px}
  .cite .src{display:block;color:#5b6673;font-size:.92em}
  .form{display:flex;gap:0;border-top:1px solid #d5dbe3;background:#fff}
  .form input{flex:1;min-width:0;border:0;padding:12px 14px;font-size:16px;background:transparent}
  .form input:focus-visible{outline-offset:-3px}
  .form button{border:0;background:#1f3a5f;color:#fff;padding:0 18px;min-height:48px;font-weight:600}
  .form button:disabled{opacity:.6;cursor:progress}
  .sr{position:absolute;width:1px;height:1px;overflow:hidden;clip:rect(0 0 0 0);white-space:nowrap}
  .launcher{position:fixed;right:16px;bottom:16px;z-index:2147483000;border:0;border-radius:26px;background:#1f3a5f;color:#fff;padding:12px 18px;min-height:48px;box-shadow:0 4px 14px #0004;font-weight:600}
  .backdrop{position:fixed;inset:0;background:#0f172acc;z-index:2147483001}
  .dialog{position:fixed;z-index:2147483002;inset:4vh max(12px,calc((100vw - 820px)/2));display:flex;flex-direction:column;background:#fff;border-radius:12px;box-shadow:0 10px 40px #0006;overflow:hidden}
  .dialog .head{align-items:flex-start}
  .dialog .sub{display:block;font-weight:400;font-size:.85em;opacity:.9;overflow-wrap:anywhere}
  .x{flex:none;border:0;background:#ffffff22;color:#fff;border-radius:8px;width:44px;height:44px;font-size:24px;line-height:1}
  .x:hover{background:#ffffff44}
  .legend{margin:0;padding:8px 16px;font-size:.85em;color:#4f5964;border-bottom:1px solid #e5e8ec}
  .legend .chosen{padding:0 3px}
  .article{flex:1;min-height:0;overflow:auto;white-space:pre-wrap;overflow-wrap:anywhere;padding:14px 18px;margin:0;font:inherit}
  .quote{background:#fdf3c4;color:inherit;border-radius:3px;padding:1px 0}
  .chosen{background:#f9c846;box-shadow:0 2px 0 #b7791f;border-radius:3px;font-weight:600}
  @media (max-width:480px){.dialog{inset:0;border-radius:0}.log{padding:10px}.msg{max-width:100%}:host([data-mode=page]) .box{border:0;border-radius:0}}`;

  const el = (tag, cls, text) => {
    const node = document.createElement(tag);
    if (cls) node.className = cls;
    if (text !== undefined) node.textContent = text;
    return node;
  };

  const host = el("div");
  host.className = "qa-service-widget";
  const root = host.attachShadow({ mode: "open" });
  if ("adoptedStyleSheets" in root && typeof CSSStyleSheet === "function" && "replaceSync" in CSSStyleSheet.prototype) {
    const sheet = new CSSStyleSheet();
    sheet.replaceSync(CSS);
    root.adoptedStyleSheets = [sheet];
  } else {
    root.append(el("style", "", CSS));
  }

  const target = script.dataset.target && document.querySelector(script.dataset.target);
  const box = el(target ? "section" : "div", "box");
  box.setAttribute("aria-label", title);
  const head = el("div", "head");
  head.append(el(target ? "h1" : "h2", "", title));
  const log = el("div", "log");
  log.setAttribute("role", "log");
  log.setAttribute("aria-live", "polite");
  log.setAttribute("aria-relevant", "additions");
  const form = el("form", "form");
  const inputId = "qa-input";
  const label = el("label", "sr", TEXT.label);
  label.htmlFor = inputId;
  const input = el("input");
  input.id = inputId;
  input.type = "text";
  input.name = "message";
  input.placeholder = TEXT.placeholder;
  // No maxLength: it counts UTF-16 units (two per emoji), the service counts code points
  // after NFC (questions.py), so an emoji-rich question the service takes was cut short.
  input.autocomplete = "off";
  input.enterKeyHint = "send";
  const send = el("button", "", TEXT.send);
  send.type = "submit";
  form.append(label, input, send);
  box.append(head, log, form);
  root.append(box);

  if (target) {
    host.dataset.mode = "page";
    target.append(host);
  } else {
    box.classList.add("float");
    box.hidden = true;
    const shut = el("button", "x", "×");
    shut.type = "button";
    shut.setAttribute("aria-label", TEXT.closeChat);
    head.append(shut);
    const launcher = el("button", "launcher", "💬 " + TEXT.open);
    launcher.type = "button";
    launcher.setAttribute("aria-expanded", "false");
    const toggle = (show) => {
      box.hidden = !show;
      launcher.setAttribute("aria-expanded", String(show));
      (show ? input : launcher).focus();
    };
    launcher.addEventListener("click", () => toggle(box.hidden));
    shut.addEventListener("click", () => toggle(false));
    root.append(launcher);
    document.body.append(host);
  }

  // <split-span> Offsets count Unicode code points (as Python indexes strings); JavaScript
  // strings count UTF-16 units, which differ after any emoji or other astral character.
  function splitSpan(text, start, end) {
    const points = Array.from(text);
    return [points.slice(0, start), points.slice(start, end), points.slice(end)].map((p) => p.join(""));
  }
  // </split-span>

  /** A quote for the citation list: whitespace folded, cut at a word boundary. */
  function shorten(quote, limit = 140) {
    const points = Array.from(quote.replace(/\s+/g, " ").trim());
    if (points.length <= limit) return points.join("");
    const cut = points.slice(0, limit).join("");
    const space = cut.lastIndexOf(" ");
    return (space > limit / 2 ? cut.slice(0, space) : cut).replace(/[\s,;:.–-]+$/, "") + " …";
  }

  function formatDate(value) {
    if (!value) return "";
    const m = /^(\d{4})-(\d{2})(?:-(\d{2}))?/.exec(value);
    if (!m) return value;
    const date = new Date(Date.UTC(+m[1], +m[2] - 1, m[3] ? +m[3] : 1));
    const opts = m[3] ? { day: "numeric", month: "long", year: "numeric" } : { month: "long", year: "numeric" };
    return date.toLocaleDateString(lang === "de" ? "de-DE" : "en-GB", { ...opts, timeZone: "UTC" });
  }

  /** A URL as it is; a file path (articles ingested from disk) by its file name. */
  function sourceName(source) {
    if (!source || /^https?:\/\//.test(source)) return source || "";
    return source.split(/[\\/]/).pop();
  }

  const scrollDown = () => { log.scrollTop = log.scrollHeight; };

  // ---- the empty state: what is in the index, and questions to try ----------------------
  const welcome = el("div", "welcome");
  log.append(welcome);

  async function getJson(path) {
    const response = await fetch(api + path, { headers: auth });
    if (!response.ok) {
      const err = new Error(`${path}: HTTP ${response.status}`);
      err.status = response.status; // an answer, not a network failure
      err.body = await response.json().catch(() => null);
      throw err;
    }
    return response.json();
  }

  async function showWelcome() {
    welcome.append(el("p", "", TEXT.intro));
    try {
      const shown = 5;
      const [health, docs] = await Promise.all([
        getJson("/health"),
        getJson(`/v1/documents?order=newest&limit=${shown}`),
      ]);
      if (Number.isInteger(health.max_question_chars)) maxChars = health.max_question_chars;
      if (!health.documents) {
        welcome.append(el("p", "", TEXT.emptyIndex));
        return;
      }
      welcome.append(el("p", "", TEXT.inIndex(health.documents, health.sentences)));
      welcome.append(el("p", "meta", TEXT.newest + ":"));
      const list = el("ul");
      for (const d of docs.items) {
        const li = el("li", "", d.title || d.id);
        const date = formatDate(d.published_at);
        if (date) li.append(el("span", "meta", ` · ${date}`));
        list.append(li);
      }
      if (docs.total > docs.items.length) list.append(el("li", "meta", TEXT.more(docs.total - docs.items.length)));
      welcome.append(list);
      const examples = await getJson("/v1/examples?limit=3");
      if (examples.questions.length) {
        welcome.append(el("p", "", TEXT.tryThese));
        const group = el("div", "examples");
        for (const q of examples.questions) {
          const b = el("button", "example", q.question);
          b.type = "button";
          b.addEventListener("click", () => ask(q.question));
          group.append(b);
        }
        welcome.append(group);
      }
    } catch (err) {
      if (err.status) showError(err.status, err.body);
      else showError(null, null, err);
    }
  }

  // ---- errors, in the page's language ----------------------------------------------------
  function errorText(status, body) {
    const type = body && body.type;
    if (type && TEXT.errors[type]) return TEXT.errors[type];
    if (status === 401) return TEXT.errors.keyRequired; // keys exist and this widget has none (or a bad one)
    if (status === 503 || /Unavailable$/.test(type || "")) return TEXT.errors.unavailable;
    let detail = body && body.detail;
    if (Array.isArray(detail)) detail = detail.map((d) => d.msg).join("; ");
    const head = status && status < 500 ? TEXT.errors.invalid : TEXT.errors.other;
    return detail ? `${head}: ${detail}` : `${head} (HTTP ${status})`;
  }

  function showError(status, body, err) {
    const box = el("div", "msg error");
    box.setAttribute("role", "alert");
    box.append(el("strong", "", TEXT.error + ":"), err ? TEXT.errors.network : errorText(status, body));
    log.append(box);
    scrollDown();
    return box;
  }

  // ---- the article overlay ---------------------------------------------------------------
  let overlay = null;

  function closeOverlay() {
    if (!overlay) return;
    const { parts, opener } = overlay;
    parts.forEach((p) => p.remove());
    document.removeEventListener("keydown", overlay.onKey, true);
    overlay = null;
    if (opener && opener.isConnected) opener.focus();
  }

  async function showCitation(c, opener) {
    closeOverlay();
    let response;
    try {
      response = await fetch(`${api}/v1/documents/${encodeURIComponent(c.document_id)}`, { headers: auth });
    } catch (err) {
      showError(null, null, err);
      return;
    }
    if (!response.ok) {
      showError(response.status, await response.json().catch(() => null));
      return;
    }
    const doc = await response.json();
    const backdrop = el("div", "backdrop");
    const dialog = el("div", "dialog");
    dialog.setAttribute("role", "dialog");
    dialog.setAttribute("aria-modal", "true");
    dialog.setAttribute("aria-labelledby", "qa-doc-title");
    const bar = el("div", "head");
    const heading = el("h2");
    heading.id = "qa-doc-title";
    heading.append(el("span", "", `[${c.id}] ${doc.title || doc.id}`));
    const sub = [formatDate(doc.published_at), sourceName(doc.source)].filter(Boolean).join(" · ");
    if (sub) heading.append(el("span", "sub", sub));
    const x = el("button", "x", "×");
    x.type = "button";
    x.setAttribute("aria-label", TEXT.close);
    bar.append(heading, x);
    const legend = el("p", "legend");
    const sample = el("mark", "chosen", "■");
    sample.setAttribute("aria-hidden", "true");
    legend.append(sample, " ", TEXT.legend);
    const article = el("div", "article");
    article.tabIndex = 0; // scrollable with the keyboard
    article.setAttribute("aria-label", doc.title || doc.id);
    const chosenStart = c.chosen_start ?? c.start;
    const chosenEnd = c.chosen_end ?? c.end;
    const [before, cited, after] = splitSpan(doc.text, c.start, c.end);
    const [lead, chosen, tail] = splitSpan(cited, chosenStart - c.start, chosenEnd - c.start);
    const quote = el("mark", "quote");
    const strong = el("mark", "chosen", chosen);
    quote.append(lead, strong, tail);
    article.append(before, quote, after);
    dialog.append(bar, legend, article);

    const onKey = (e) => {
      if (e.key === "Escape") {
        e.preventDefault();
        closeOverlay();
      } else if (e.key === "Tab") {
        // Keep focus inside the dialog: it has two stops, the close button and the text.
        const stops = [x, article];
        const at = stops.indexOf(root.activeElement);
        e.preventDefault();
        stops[(at + (e.shiftKey ? stops.length - 1 : 1)) % stops.length].focus();
      }
    };
    backdrop.addEventListener("click", closeOverlay);
    x.addEventListener("click", closeOverlay);
    document.addEventListener("keydown", onKey, true);
    overlay = { parts: [backdrop, dialog], opener, onKey };
    root.append(backdrop, dialog);
    x.focus();
    strong.scrollIntoView({ block: "center" });
  }

  // ---- answers ---------------------------------------------------------------------------
  function appendMarked(parent, text, byId) {
    for (const part of text.split(/(\[\d+\])/)) {
      const m = /^\[(\d+)\]$/.exec(part);
      const c = m && byId[m[1]];
      if (c) {
        const b = el("button", "marker", m[1]);
        b.type = "button";
        b.setAttribute("aria-label", TEXT.source(m[1]));
        b.title = shorten(c.quote);
        b.addEventListener("click", () => showCitation(c, b));
        parent.append(b);
      } else if (part) {
        parent.append(part);
      }
    }
  }

  function finishAnswer(msg, body) {
    msg.classList.remove("pending");
    msg.classList.toggle("abstain", body.abstained);
    const byId = Object.fromEntries(body.citations.map((c) => [c.id, c]));
    msg.replaceChildren();
    appendMarked(msg, body.answer, byId);
    if (body.citations.length) {
      const cites = el("div", "cites");
      cites.append(el("h3", "", TEXT.sources));
      const list = el("ol");
      for (const c of body.citations) {
        const b = el("button", "cite");
        b.type = "button";
        b.append(el("span", "n", `[${c.id}]`), el("span", "q", `„${shorten(c.quote)}“`));
        b.append(el("span", "src", c.title || c.document_id));
        b.title = c.quote.replace(/\s+/g, " ");
        b.addEventListener("click", () => showCitation(c, b));
        const li = el("li");
        li.append(b);
        list.append(li);
      }
      cites.append(list);
      msg.append(cites);
    }
    msg.setAttribute("aria-busy", "false");
  }

  /** Server-Sent Events from a fetch body: yields each event's parsed data. */
  async function* events(response) {
    let buffer = "";
    for await (const text of response.body.pipeThrough(new TextDecoderStream())) {
      const blocks = (buffer + text).split(/\r?\n\r?\n/);
      buffer = blocks.pop();
      for (const block of blocks) {
        const data = block.split(/\r?\n/).filter((l) => l.startsWith("data:")).map((l) => l.slice(5).replace(/^ /, "")).join("\n");
        if (data && data !== "[DONE]") yield JSON.parse(data); // read on to the end of the body
      }
    }
  }

  let conversationId = null;
  let busy = false;

  async function ask(message) {
    if (busy || !message) return;
    busy = true;
    send.disabled = true;
    welcome.remove();
    log.append(el("div", "msg user", message));
    const msg = el("div", "msg bot pending", TEXT.thinking);
    msg.setAttribute("aria-busy", "true");
    log.append(msg);
    scrollDown();
    try {
      const response = await fetch(`${api}/v1/chat`, {
        method: "POST",
        headers: { "content-type": "application/json", accept: "text/event-stream", ...auth },
        body: JSON.stringify({ message, stream: true, ...(conversationId ? { conversation_id: conversationId } : {}) }),
      });
      if (!response.ok) {
        const body = await response.json().catch(() => null);
        msg.remove();
        if (body && body.type === "ConversationNotFound") conversationId = null;
        showError(response.status, body);
        return;
      }
      let started = false;
      for await (const event of events(response)) {
        if (event.type === "start") {
          conversationId = event.conversation_id;
          host.dataset.conversation = conversationId; // for the host page (and tests)
        } else if (event.type === "sentence") {
          if (!started) msg.replaceChildren();
          started = true;
          msg.classList.remove("pending");
          msg.append((msg.childNodes.length ? " " : "") + event.text);
        } else if (event.type === "done") {
          finishAnswer(msg, event.response);
        } else if (event.type === "error") {
          msg.remove();
          showError(500, { detail: event.detail, type: event.error_type }); // after the start
        }
      }
    } catch (err) {
      msg.remove();
      showError(null, null, err);
    } finally {
      busy = false;
      send.disabled = false;
      scrollDown();
    }
  }

  // <question-limit> The longest question, counted as the service counts it: code points of
  // the NFC form (Array.from counts code points; .length would count UTF-16 units). Past it
  // the input keeps the first maxChars, as maxLength would, so what is sent is never refused
  // for its length. /health tells the service's own limit (QA_MAX_QUESTION_CHARS).
  let maxChars = 2000;
  const fitLimit = () => {
    const points = Array.from(input.value.normalize("NFC"));
    if (points.length > maxChars) input.value = points.slice(0, maxChars).join("");
  };
  input.addEventListener("input", (event) => { if (!event.isComposing) fitLimit(); });
  input.addEventListener("compositionend", fitLimit);
  // </question-limit>

  form.addEventListener("submit", (event) => {
    event.preventDefault();
    fitLimit();
    const message = input.value.trim();
    if (!message || busy) return;
    input.value = "";
    ask(message);
  });

  showWelcome();
})();
