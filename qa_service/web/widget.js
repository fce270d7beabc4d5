/* qa_service chat widget. Embed in any page:
 *   <script src="http://127.0.0.1:8000/widget.js" defer></script>
 * Options (attributes of the script tag): data-api (service URL, default: where the script
 * came from), data-target (CSS selector of a container to render into instead of a
 * floating button), data-title, data-key (a read key bound to this page's origin, created
 * with `qa-service keys create --scope read --origin https://your.site`).
 * It talks to POST /v1/chat and shows every citation with its exact span, highlighted in the
 * article text fetched from GET /v1/documents/{id}.
 */
(function () {
  "use strict";
  const script = document.currentScript;
  const api = (script.dataset.api || new URL(script.src).origin).replace(/\/$/, "");
  const title = script.dataset.title || "Fragen zu den Artikeln";
  const auth = script.dataset.key ? { authorization: `Bearer ${script.dataset.key}` } : {};
  const css = `
  .qa-box{font:15px/1.45 system-ui,sans-serif;color:#1b1b1b;background:#fff;display:flex;flex-direction:column;border:1px solid #ccd;border-radius:10px;overflow:hidden}
  .qa-float{position:fixed;right:20px;bottom:80px;width:380px;height:540px;box-shadow:0 6px 24px #0003;z-index:99999}
  .qa-head{background:#1f3a5f;color:#fff;padding:10px 14px;font-weight:600}
  .qa-log{flex:1;overflow-y:auto;padding:12px;display:flex;flex-direction:column;gap:10px}
  .qa-msg{padding:8px 11px;border-radius:8px;max-width:92%;white-space:pre-wrap}
  .qa-user{align-self:flex-end;background:#e3ecf7}
  .qa-bot{align-self:flex-start;background:#f4f4f4}
  .qa-abstain{color:#6a6a6a;font-style:italic}
  .qa-mark{border:0;background:#1f3a5f;color:#fff;border-radius:4px;padding:0 5px;margin:0 1px;cursor:pointer;font-size:12px}
  .qa-cites{margin-top:6px;font-size:13px;color:#444}
  .qa-cite{display:block;text-align:left;border:0;background:none;padding:3px 0;cursor:pointer;color:inherit;font:inherit}
  .qa-cite:hover{text-decoration:underline}
  .qa-form{display:flex;border-top:1px solid #dde}
  .qa-form input{flex:1;border:0;padding:12px;font:inherit;outline:none}
  .qa-form button{border:0;background:#1f3a5f;color:#fff;padding:0 16px;font:inherit;cursor:pointer}
  .qa-doc{position:fixed;inset:5% 10%;background:#fff;z-index:100000;box-shadow:0 6px 30px #0005;border-radius:10px;display:flex;flex-direction:column}
  .qa-doc pre{flex:1;overflow:auto;white-space:pre-wrap;padding:16px 22px;margin:0;font:15px/1.5 Georgia,serif}
  .qa-doc mark{background:#ffe27a}
  .qa-open{position:fixed;right:20px;bottom:20px;z-index:99999;border:0;border-radius:24px;background:#1f3a5f;color:#fff;padding:12px 18px;font:15px system-ui;cursor:pointer;box-shadow:0 4px 14px #0004}`;
  const style = document.createElement("style");
  style.textContent = css;
  document.head.appendChild(style);

  const el = (tag, cls, text) => {
    const node = document.createElement(tag);
    if (cls) node.className = cls;
    if (text !== undefined) node.textContent = text;
    return node;
  };

  const box = el("div", "qa-box");
  box.append(el("div", "qa-head", title));
  const log = el("div", "qa-log");
  const form = el("form", "qa-form");
  const input = el("input");
  input.placeholder = "Frage stellen / ask a question …";
  input.maxLength = 2000;
  input.setAttribute("aria-label", "Frage");
  form.append(input, el("button", "", "Senden"));
  box.append(log, form);

  const target = script.dataset.target && document.querySelector(script.dataset.target);
  if (target) {
    box.style.height = "100%";
    target.append(box);
  } else {
    box.classList.add("qa-float");
    box.hidden = true;
    const open = el("button", "qa-open", "💬 " + title);
    open.onclick = () => { box.hidden = !box.hidden; if (!box.hidden) input.focus(); };
    document.body.append(box, open);
  }

  let conversationId = null;

  // <split-span> Offsets count Unicode code points (as Python indexes strings); JavaScript
  // strings count UTF-16 units, which differ after any emoji or other astral character.
  function splitSpan(text, start, end) {
    const points = Array.from(text);
    return [points.slice(0, start), points.slice(start, end), points.slice(end)].map((p) => p.join(""));
  }
  // </split-span>

  async function showSpan(c) {
    const response = await fetch(`${api}/v1/documents/${encodeURIComponent(c.document_id)}`, { headers: auth });
    if (!response.ok) return;
    const doc = await response.json();
    const pane = el("div", "qa-doc");
    const head = el("div", "qa-head", `${doc.title || doc.id}  [${c.start}:${c.end}]  (Esc)`);
    const pre = el("pre");
    const [before, cited, after] = splitSpan(doc.text, c.start, c.end);
    const mark = el("mark", "", cited);
    pre.append(before, mark, after);
    pane.append(head, pre);
    const close = () => { pane.remove(); document.removeEventListener("keydown", onKey); };
    const onKey = (e) => { if (e.key === "Escape") close(); };
    head.onclick = close;
    document.addEventListener("keydown", onKey);
    document.body.append(pane);
    mark.scrollIntoView({ block: "center" });
  }

  function renderAnswer(body) {
    const msg = el("div", "qa-msg qa-bot" + (body.abstained ? " qa-abstain" : ""));
    const byId = Object.fromEntries(body.citations.map((c) => [c.id, c]));
    for (const part of body.answer.split(/(\[\d+\])/)) {
      const m = part.match(/^\[(\d+)\]$/);
      if (m && byId[m[1]]) {
        const b = el("button", "qa-mark", m[1]);
        b.title = byId[m[1]].quote;
        b.onclick = () => showSpan(byId[m[1]]);
        msg.append(b);
      } else {
        msg.append(part);
      }
    }
    if (body.citations.length) {
      const list = el("div", "qa-cites");
      for (const c of body.citations) {
        const quote = c.quote.replace(/\s+/g, " ");
        const short = quote.length > 140 ? quote.slice(0, 140) + " …" : quote;
        const b = el("button", "qa-cite", `[${c.id}] „${short}“ — ${c.title || c.document_id} · ${c.start}–${c.end}`);
        b.title = quote;
        b.onclick = () => showSpan(c);
        list.append(b);
      }
      msg.append(list);
    }
    log.append(msg);
  }

  form.onsubmit = async (event) => {
    event.preventDefault();
    const message = input.value.trim();
    if (!message) return;
    input.value = "";
    log.append(el("div", "qa-msg qa-user", message));
    const pending = el("div", "qa-msg qa-bot qa-abstain", "…");
    log.append(pending);
    log.scrollTop = log.scrollHeight;
    try {
      const response = await fetch(`${api}/v1/chat`, {
        method: "POST",
        headers: { "content-type": "application/json", ...auth },
        body: JSON.stringify(conversationId ? { conversation_id: conversationId, message } : { message }),
      });
      const body = await response.json();
      pending.remove();
      if (!response.ok) {
        log.append(el("div", "qa-msg qa-bot qa-abstain", typeof body.detail === "string" ? body.detail : JSON.stringify(body.detail)));
      } else {
        conversationId = body.conversation_id;
        renderAnswer(body);
      }
    } catch (err) {
      pending.textContent = "Service nicht erreichbar: " + err;
    }
    log.scrollTop = log.scrollHeight;
  };
})();
