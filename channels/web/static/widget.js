/*
 * salesagent chat widget. Embed with one tag:
 *   <script src="https://chat.example.com/widget.js"
 *           data-chat-url="https://chat.example.com" data-title="Mi tienda"></script>
 * Optional: data-lang="es|en" (default: the page's language), data-tone="amigable".
 * No dependencies. Customer and agent text is only ever set as text, never as HTML.
 */
(function () {
  "use strict";

  var script = document.currentScript;
  if (!script || window.__salesagentWidget) return;
  window.__salesagentWidget = true;

  var scriptUrl = new URL(script.src, location.href);
  var base = (script.getAttribute("data-chat-url") || scriptUrl.origin).replace(/\/+$/, "");
  var pageLang = (script.getAttribute("data-lang") || document.documentElement.lang || "es");
  var lang = pageLang.slice(0, 2).toLowerCase() === "en" ? "en" : "es";
  var tone = script.getAttribute("data-tone") || null;
  // The words come from the catalogue (agent/words): the server writes them in place of this
  // empty table when it serves the script (channels/web/pages.py).
  var WORDS = { es: {}, en: {} };
  var TEXT = WORDS[lang];
  var title = script.getAttribute("data-title") || TEXT.title;
  var storageKey = "salesagent:" + base + ":chat";

  var CSS = [
    ":host { all: initial; }",
    "* { box-sizing: border-box; }",
    ".root { --bg: #ffffff; --fg: #1d2430; --muted: #5b6575; --line: #e3e6eb;",
    "  --agent: #f0f2f5; --me: #c62828; --me-fg: #ffffff; --accent: #c62828; --on-accent: #ffffff;",
    "  --error: #b3261e;",
    "  font: 15px/1.45 system-ui, -apple-system, 'Segoe UI', Roboto, sans-serif; color: var(--fg); }",
    "@media (prefers-color-scheme: dark) { .root { --bg: #1d2229; --fg: #e8ebf0; --muted: #a3acb9;",
    "  --line: #2f3742; --agent: #2a313b; --me: #ef5350; --me-fg: #14171c; --accent: #ef5350;",
    "  --on-accent: #14171c; --error: #ff8a80; } }",
    ".launcher { position: fixed; right: 20px; bottom: 20px; z-index: 2147483000; width: 60px;",
    "  height: 60px; border-radius: 50%; border: 0; background: var(--accent); color: var(--on-accent);",
    "  cursor: pointer; box-shadow: 0 6px 20px rgba(0,0,0,.25); display: grid; place-items: center; }",
    ".launcher svg { width: 28px; height: 28px; fill: currentColor; }",
    ".launcher svg[hidden] { display: none; }",
    ".launcher:focus-visible, button:focus-visible, textarea:focus-visible {",
    "  outline: 3px solid #1a73e8; outline-offset: 2px; }",
    ".badge { position: absolute; top: -2px; right: -2px; min-width: 20px; height: 20px;",
    "  border-radius: 10px; background: #1a73e8; color: #fff; font-size: 12px; line-height: 20px;",
    "  padding: 0 6px; }",
    ".panel { position: fixed; right: 20px; bottom: 92px; z-index: 2147483001; width: 370px;",
    "  height: min(600px, calc(100vh - 120px)); display: flex; flex-direction: column;",
    "  background: var(--bg); color: var(--fg); border: 1px solid var(--line); border-radius: 16px;",
    "  box-shadow: 0 12px 40px rgba(0,0,0,.3); overflow: hidden; }",
    ".panel[hidden] { display: none; }",
    "@media (max-width: 480px) { .panel { inset: 0; width: auto; height: auto; border-radius: 0;",
    "  border: 0; } }",
    "header { display: flex; align-items: center; gap: 8px; padding: 12px 14px;",
    "  background: var(--accent); color: var(--on-accent); }",
    "header .titles { flex: 1; min-width: 0; }",
    "h2 { font-size: 16px; line-height: 1.25; margin: 0; overflow-wrap: anywhere; }",
    ".status { margin: 0; font-size: 12px; opacity: .9; }",
    ".close { border: 0; background: transparent; color: inherit; font-size: 26px; line-height: 1;",
    "  width: 40px; height: 40px; border-radius: 8px; cursor: pointer; }",
    ".log { flex: 1; overflow-y: auto; list-style: none; margin: 0; padding: 12px;",
    "  display: flex; flex-direction: column; gap: 8px; }",
    ".msg { max-width: 85%; padding: 8px 12px; border-radius: 14px; white-space: pre-wrap;",
    "  overflow-wrap: anywhere; }",
    ".msg.agent { align-self: flex-start; background: var(--agent); border-bottom-left-radius: 4px; }",
    ".msg.customer { align-self: flex-end; background: var(--me); color: var(--me-fg);",
    "  border-bottom-right-radius: 4px; }",
    ".msg.pending { opacity: .6; }",
    ".msg.staff { border-left: 3px solid var(--accent); }",
    ".msg .sender { display: block; font-size: 12px; font-weight: 600; color: var(--muted); }",
    ".note { align-self: center; color: var(--muted); font-size: 13px; text-align: center; }",
    ".note.error { color: var(--error); }",
    ".older { align-self: center; border: 1px solid var(--line); background: transparent;",
    "  color: var(--fg); border-radius: 14px; padding: 4px 12px; cursor: pointer; font: inherit;",
    "  font-size: 13px; }",
    ".sr { position: absolute; width: 1px; height: 1px; overflow: hidden; clip: rect(0 0 0 0);",
    "  white-space: nowrap; }",
    ".typing { padding: 0 16px 8px; display: flex; gap: 4px; align-items: center; }",
    ".typing[hidden] { display: none; }",
    ".typing i { width: 7px; height: 7px; border-radius: 50%; background: var(--muted);",
    "  animation: blink 1.2s infinite ease-in-out; }",
    ".typing i:nth-child(2) { animation-delay: .2s; } .typing i:nth-child(3) { animation-delay: .4s; }",
    "@keyframes blink { 0%, 80%, 100% { opacity: .25; } 40% { opacity: 1; } }",
    "@media (prefers-reduced-motion: reduce) { .typing i { animation: none; } }",
    "form { display: flex; gap: 8px; padding: 10px; border-top: 1px solid var(--line); }",
    "textarea { flex: 1; resize: none; font: inherit; font-size: 16px; color: var(--fg);",
    "  background: var(--bg); border: 1px solid var(--line); border-radius: 12px;",
    "  padding: 8px 10px; max-height: 120px; }",
    ".send { border: 0; border-radius: 12px; background: var(--accent); color: var(--on-accent);",
    "  width: 44px;",
    "  cursor: pointer; display: grid; place-items: center; }",
    ".send svg { width: 20px; height: 20px; fill: currentColor; }"
  ].join("\n");

  var CHAT_ICON = "M4 4h16a2 2 0 0 1 2 2v10a2 2 0 0 1-2 2H8l-4 4V6a2 2 0 0 1 2-2z";
  var CLOSE_ICON = "M6.4 5 12 10.6 17.6 5 19 6.4 13.4 12 19 17.6 17.6 19 12 13.4 6.4 19 5 17.6 10.6 12 5 6.4z";
  var SEND_ICON = "M3 20l18-8L3 4v6l12 2-12 2z";

  function el(tag, attrs, children) {
    var node = document.createElement(tag);
    Object.keys(attrs || {}).forEach(function (key) {
      if (key === "text") node.textContent = attrs[key];
      else if (key === "hidden") node.hidden = attrs[key];
      else node.setAttribute(key, attrs[key]);
    });
    (children || []).forEach(function (child) { node.appendChild(child); });
    return node;
  }

  function icon(path, name) {
    var ns = "http://www.w3.org/2000/svg";
    var svg = document.createElementNS(ns, "svg");
    svg.setAttribute("viewBox", "0 0 24 24");
    if (name) svg.setAttribute("data-icon", name);
    svg.setAttribute("aria-hidden", "true");
    var shape = document.createElementNS(ns, "path");
    shape.setAttribute("d", path);
    svg.appendChild(shape);
    return svg;
  }

  /* WhatsApp-style *bold*, built from text nodes: nothing in `text` is read as HTML. */
  function render(node, text) {
    node.textContent = "";
    var bold = /\*([^*\n]+)\*/g;
    var last = 0;
    var match;
    while ((match = bold.exec(text)) !== null) {
      if (match.index > last) node.appendChild(document.createTextNode(text.slice(last, match.index)));
      node.appendChild(el("strong", { text: match[1] }));
      last = bold.lastIndex;
    }
    if (last < text.length) node.appendChild(document.createTextNode(text.slice(last)));
  }

  function newId() {
    if (window.crypto && crypto.randomUUID) return crypto.randomUUID();
    var bytes = new Uint8Array(16);
    crypto.getRandomValues(bytes);
    return Array.prototype.map.call(bytes, function (b) {
      return ("0" + b.toString(16)).slice(-2);
    }).join("");
  }

  function storedChatId() {
    try { return localStorage.getItem(storageKey); } catch (err) { return null; }
  }

  function storeChatId(id) {
    try { localStorage.setItem(storageKey, id); } catch (err) { /* private mode: this page only */ }
  }

  /* ---- the DOM, in a shadow root so the shop's styles and ours never mix ---- */
  var host = el("div", { id: "salesagent-widget" });
  var shadow = host.attachShadow({ mode: "open" });
  var badge = el("span", { class: "badge", hidden: true, "aria-hidden": "true" });
  var chatIcon = icon(CHAT_ICON, "chat");
  var closeIcon = icon(CLOSE_ICON, "close");
  closeIcon.setAttribute("hidden", "");
  var launcher = el("button", {
    class: "launcher", type: "button", "aria-label": TEXT.open, "aria-expanded": "false",
    "aria-controls": "sa-panel", "aria-haspopup": "dialog"
  }, [chatIcon, closeIcon, badge]);
  var status = el("p", { class: "status", role: "status", text: TEXT.connecting });
  var closeButton = el("button", { class: "close", type: "button", "aria-label": TEXT.close, text: "×" });
  var log = el("ol", { class: "log", role: "log", "aria-live": "polite", "aria-label": TEXT.log });
  var typing = el("div", { class: "typing", hidden: true }, [
    el("i"), el("i"), el("i"), el("span", { class: "sr", text: TEXT.typing })
  ]);
  var input = el("textarea", {
    id: "sa-input", rows: "1", placeholder: TEXT.placeholder, maxlength: "4000",
    "aria-label": TEXT.label, enterkeyhint: "send"
  });
  var form = el("form", {}, [
    input, el("button", { class: "send", type: "submit", "aria-label": TEXT.send }, [icon(SEND_ICON)])
  ]);
  var panel = el("section", {
    class: "panel", id: "sa-panel", role: "dialog", "aria-labelledby": "sa-title", hidden: true
  }, [
    el("header", {}, [
      el("div", { class: "titles" }, [el("h2", { id: "sa-title", text: title }), status]),
      closeButton
    ]),
    log, typing, form
  ]);
  var root = el("div", { class: "root" }, [launcher, panel]);
  shadow.appendChild(el("style", { text: CSS }));
  shadow.appendChild(root);

  /* ---- state ---- */
  var chatId = storedChatId();
  var socket = null;
  var connected = false;
  var refused = false;
  var attempts = 0;
  var retryTimer = null;
  var watchdog = null;
  var heartbeat = 25;
  var unread = 0;
  var shown = {};        /* ids already on screen: "m<db id>" from history, message ids we sent */
  var unsent = [];       /* our messages without their `response_end`: sent again on reconnecting */
  var ended = {};        /* message ids whose reply is shown: a turn run again is not shown twice */
  var streams = {};      /* message id → the agent bubble being written */
  var historyBefore = null;
  var olderButton = null;
  var started = false;

  function scrollDown() { log.scrollTop = log.scrollHeight; }

  /* `sender`: the name of the shop's staff member who wrote an agent reply (none for the bot). */
  function bubble(role, text, options) {
    var sender = options && options.sender;
    var item = el("li", { class: "msg " + role + (sender ? " staff" : "") });
    if (sender) {
      item.appendChild(el("span", { class: "sender", text: sender }));
      item.appendChild(el("span", { class: "sr", text: ": " }));
    } else {
      item.appendChild(el("span", { class: "sr", text: (role === "customer" ? TEXT.you : TEXT.agent) + ": " }));
    }
    var body = el("span", { class: "text" });
    render(body, text);
    item.appendChild(body);
    log.appendChild(item);
    if (role === "agent" && panel.hidden && !(options && options.quiet)) {
      unread += 1;
      badge.textContent = String(unread);
      badge.hidden = false;
      launcher.setAttribute("aria-label", TEXT.open + TEXT.unread);
    }
    scrollDown();
    return item;
  }

  function note(text, isError) {
    var item = el("li", { class: "note" + (isError ? " error" : ""), text: text });
    if (isError) item.setAttribute("role", "alert");
    log.appendChild(item);
    scrollDown();
  }

  function setText(item, text) { render(item.querySelector(".text"), text); }

  function setStatus(text) { status.textContent = text; }

  /* ---- history ---- */
  function loadHistory(before) {
    if (!chatId) return Promise.resolve();
    var url = base + "/chat/history/" + encodeURIComponent(chatId) + "?limit=50" +
      (before ? "&before=" + before : "");
    return fetch(url, { credentials: "omit" }).then(function (response) {
      if (!response.ok) return null;
      return response.json();
    }).then(function (page) {
      if (!page) return;
      var anchor = before ? olderButton && olderButton.nextSibling : null;
      page.messages.forEach(function (message) {
        if (shown["m" + message.id]) return;
        shown["m" + message.id] = true;
        var item = bubble(message.role, message.text, { quiet: true, sender: message.sender });
        if (anchor) log.insertBefore(item, anchor);
      });
      historyBefore = page.has_more ? page.before : null;
      showOlderButton();
      if (!before) scrollDown();
    }).catch(function () { /* history is a convenience: the chat works without it */ });
  }

  function showOlderButton() {
    if (olderButton) { olderButton.remove(); olderButton = null; }
    if (!historyBefore) return;
    olderButton = el("button", { class: "older", type: "button", text: TEXT.older });
    olderButton.addEventListener("click", function () { loadHistory(historyBefore); });
    log.insertBefore(olderButton, log.firstChild);
  }

  /* ---- the socket ---- */
  function socketUrl() {
    var url = new URL(base + "/ws/chat/" + encodeURIComponent(chatId));
    url.protocol = url.protocol === "https:" ? "wss:" : "ws:";
    return url.toString();
  }

  function connect() {
    if (refused || (socket && socket.readyState <= 1)) return;
    clearTimeout(retryTimer);
    setStatus(TEXT.connecting);
    socket = new WebSocket(socketUrl());
    socket.onmessage = function (frame) {
      armWatchdog();
      var event;
      try { event = JSON.parse(frame.data); } catch (err) { return; }
      handle(event);
    };
    socket.onclose = function (closing) {
      connected = false;
      clearTimeout(watchdog);
      typing.hidden = true;
      if (closing.code === 1008) {
        refused = true;
        setStatus(TEXT.refused);
        note(TEXT.refused, true);
        return;
      }
      var delay = Math.min(30000, 1000 * Math.pow(2, attempts)) * (0.5 + Math.random() / 2);
      attempts += 1;
      setStatus(TEXT.offline);
      retryTimer = setTimeout(connect, delay);
    };
  }

  function armWatchdog() {
    clearTimeout(watchdog);
    /* Silence for 2.5 heartbeats means a dead connection that never said goodbye. */
    watchdog = setTimeout(function () { if (socket) socket.close(); }, heartbeat * 2500);
  }

  function send(frame) {
    if (!connected) return false;
    socket.send(JSON.stringify(frame));
    return true;
  }

  function handle(event) {
    var id = event.message_id;
    switch (event.type) {
      case "connection_status":
        connected = true;
        attempts = 0;
        heartbeat = event.heartbeat_seconds || heartbeat;
        setStatus(TEXT.online);
        unsent.forEach(function (message) { send(message.frame); });
        break;
      case "processing":
        unsent.forEach(function (message) {
          if (message.frame.message_id !== id) return;
          message.item.classList.remove("pending");
          message.item.removeAttribute("aria-description");
        });
        if (!shown[id]) { shown[id] = true; bubble("customer", event.message); }
        break;
      case "typing":
        if (ended[id]) break;
        typing.hidden = false;
        scrollDown();
        break;
      case "response_start":
        break;
      case "response_chunk":
        if (ended[id]) break;
        typing.hidden = true;
        if (!streams[id]) {
          streams[id] = { item: bubble("agent", ""), text: "" };
          log.setAttribute("aria-busy", "true");
        }
        streams[id].text += event.content;
        setText(streams[id].item, streams[id].text);
        scrollDown();
        break;
      case "response_end":
        typing.hidden = true;
        unsent = unsent.filter(function (message) { return message.frame.message_id !== id; });
        if (ended[id]) break;
        ended[id] = true;
        log.removeAttribute("aria-busy");
        if (streams[id]) setText(streams[id].item, event.reply || streams[id].text);
        else if (event.reply) bubble("agent", event.reply);
        else if (event.owner && event.owner !== "bot") note(TEXT.human);
        delete streams[id];
        break;
      case "message":
        if (id && shown["m" + id]) break;
        if (id) shown["m" + id] = true;
        bubble("agent", event.content, { sender: event.sender });
        break;
      case "error":
        note(event.message, true);
        break;
      case "ping":
        send({ type: "pong" });
        break;
      default:
        break;
    }
  }

  function submit() {
    var text = input.value.trim();
    if (!text) return;
    input.value = "";
    autosize();
    if (!chatId) {
      chatId = newId();
      storeChatId(chatId);
    }
    var frame = { type: "message", message: text, message_id: newId() };
    if (tone) frame.tone = tone;
    shown[frame.message_id] = true;
    var item = bubble("customer", text);
    item.classList.add("pending");
    item.setAttribute("aria-description", TEXT.pending);
    unsent.push({ frame: frame, item: item });
    if (!send(frame)) connect();
  }

  /* ---- opening, closing, keyboard ---- */
  function open() {
    panel.hidden = false;
    launcher.setAttribute("aria-expanded", "true");
    launcher.setAttribute("aria-label", TEXT.close);
    chatIcon.setAttribute("hidden", "");
    closeIcon.removeAttribute("hidden");
    unread = 0;
    badge.hidden = true;
    if (!started) {
      started = true;
      if (!chatId) note(TEXT.welcome);
    }
    if (chatId) connect();
    input.focus();
    scrollDown();
  }

  function close() {
    panel.hidden = true;
    launcher.setAttribute("aria-expanded", "false");
    launcher.setAttribute("aria-label", TEXT.open);
    closeIcon.setAttribute("hidden", "");
    chatIcon.removeAttribute("hidden");
    launcher.focus();
  }

  function autosize() {
    input.style.height = "auto";
    input.style.height = Math.min(input.scrollHeight, 120) + "px";
  }

  launcher.addEventListener("click", function () { if (panel.hidden) open(); else close(); });
  closeButton.addEventListener("click", close);
  panel.addEventListener("keydown", function (event) {
    if (event.key === "Escape") { event.preventDefault(); close(); }
  });
  input.addEventListener("keydown", function (event) {
    if (event.key === "Enter" && !event.shiftKey && !event.isComposing) {
      event.preventDefault();
      submit();
    }
  });
  input.addEventListener("input", autosize);
  form.addEventListener("submit", function (event) { event.preventDefault(); submit(); });
  window.addEventListener("online", function () { if (chatId && !connected) connect(); });

  function start() {
    document.body.appendChild(host);
    /* A returning customer: show the conversation, then listen for new replies. */
    if (chatId) loadHistory().then(connect);
  }

  if (document.body) start();
  else document.addEventListener("DOMContentLoaded", start);
})();
