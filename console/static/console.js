// The staff console's script: live updates over a WebSocket, actions without a reload.
// Every page works without it (plain forms and links); with it, the list and the open
// conversation follow the live feed, and actions answer in place. HTML fragments come from
// the server, which escapes every text; the script inserts only those and plain text.
(() => {
  "use strict";

  const body = document.body;
  const page = body.dataset.page;
  const pages = ["list", "conversation", "reports", "dashboard", "leads", "proposals"];
  if (!pages.includes(page)) return;

  const csrf = document.querySelector('meta[name="csrf-token"]').content;
  const announceBox = document.getElementById("announce");
  const liveState = document.getElementById("live-state");
  const conversationId = body.dataset.conversation || null;
  const FRAGMENT = { Accept: "text/x-fragment" };
  // The words this script writes, from the catalogue (console/words.py), in the page's console-words meta.
  const TEXT = JSON.parse(document.querySelector('meta[name="console-words"]').content).console;

  function toLogin() {
    const next = location.pathname + location.search;
    location.href = "/console/login?next=" + encodeURIComponent(next);
  }

  function ago(iso) {
    const seconds = Math.max(0, Math.floor((Date.now() - Date.parse(iso)) / 1000));
    if (seconds < 60) return seconds + " s";
    const minutes = Math.floor(seconds / 60);
    if (minutes < 60) return minutes + " min";
    const hours = Math.floor(minutes / 60);
    if (hours < 48) return hours + " h" + (minutes % 60 ? " " + (minutes % 60) + " min" : "");
    return Math.floor(hours / 24) + " días";
  }

  function tick() {
    document.querySelectorAll("time.since").forEach((el) => {
      el.textContent = ago(el.getAttribute("datetime"));
    });
  }
  setInterval(tick, 15000);

  function say(text) {
    // A polite live region: screen readers hear it, everyone sees it for a while.
    announceBox.textContent = text;
    announceBox.classList.add("shown");
    clearTimeout(say.timer);
    say.timer = setTimeout(() => announceBox.classList.remove("shown"), 8000);
  }

  function notice(text, bad) {
    const box = document.getElementById("notice");
    if (!box) return say(text);
    box.textContent = text || "";
    box.classList.toggle("bad", !!bad);
  }

  // Swapping a fragment keeps the focus where it was (same link or button) and the scroll.
  function swap(box, html) {
    const active = document.activeElement;
    const key = active && box.contains(active) ? focusKey(active) : null;
    box.innerHTML = html;
    if (key) {
      const again = box.querySelector(key);
      if (again) again.focus();
    }
  }

  function focusKey(el) {
    if (el.id) return "#" + CSS.escape(el.id);
    const href = el.getAttribute("href");
    if (href) return 'a[href="' + CSS.escape(href) + '"]';
    const form = el.closest("form[data-action]");
    if (form) return 'form[data-action="' + form.dataset.action + '"] button';
    return null;
  }

  async function refreshList() {
    const box = document.getElementById("conversation-list");
    if (!box) return;
    const query = box.dataset.query;
    const res = await fetch("/console/list" + (query ? "?" + query : ""), {
      headers: FRAGMENT,
      credentials: "same-origin",
    });
    if (res.status === 401) return toLogin();
    if (res.ok) swap(box, await res.text());
  }

  // The leads' table follows the feed, but never under a staff member choosing or typing in it.
  async function refreshLeads() {
    const box = document.getElementById("lead-table");
    if (!box) return;
    const busy = box.contains(document.activeElement) && document.activeElement.matches("input, select");
    const typed = [...box.querySelectorAll('input[name="reason"]')].some((el) => el.value);
    if (busy || typed) return;
    const query = box.dataset.query;
    const res = await fetch("/console/leads/table" + (query ? "?" + query : ""), {
      headers: FRAGMENT,
      credentials: "same-origin",
    });
    if (res.status === 401) return toLogin();
    if (res.ok) swap(box, await res.text());
  }

  // The history follows new messages unless the staff member scrolled up to read.
  let stick = true;
  document.addEventListener(
    "scroll",
    (event) => {
      const el = event.target;
      if (el.classList && el.classList.contains("messages")) {
        stick = el.scrollHeight - el.scrollTop - el.clientHeight < 40;
      }
    },
    true,
  );

  async function refreshLive() {
    const box = document.getElementById("live");
    if (!box) return;
    const res = await fetch("/console/conversations/" + conversationId + "/live", {
      headers: FRAGMENT,
      credentials: "same-origin",
    });
    if (res.status === 401) return toLogin();
    if (!res.ok) return;
    swap(box, await res.text());
    const fresh = box.querySelector(".messages");
    if (fresh && stick) fresh.scrollTop = fresh.scrollHeight;
    phraseSummary();
  }

  async function refreshCount() {
    const badge = document.getElementById("waiting-count");
    if (!badge) return;
    const res = await fetch("/console/counts", { headers: FRAGMENT, credentials: "same-origin" });
    if (!res.ok) return;
    const counts = await res.json();
    badge.textContent = String(counts.waiting_human);
    badge.setAttribute("aria-label", counts.waiting_human + " esperando");
    document.title = document.title.replace(/^\(\d+\) /, "");
    if (counts.waiting_human > 0) document.title = "(" + counts.waiting_human + ") " + document.title;
  }

  async function phraseSummary() {
    const box = document.getElementById("summary");
    if (!box || !box.hasAttribute("data-phrase")) return;
    const res = await fetch("/console/conversations/" + conversationId + "/summary", {
      headers: { Accept: "application/json" },
      credentials: "same-origin",
    });
    if (!res.ok) return;
    const out = await res.json();
    if (out.phrased && document.getElementById("summary") === box) {
      box.textContent = out.summary;
      box.title = TEXT.drafted;
    }
  }

  const REFRESH = { list: refreshList, live: refreshLive, leads: refreshLeads, count: refreshCount };

  // Refreshes are coalesced: a burst of events costs one fetch of each fragment.
  const pending = new Set();
  let flushTimer = null;
  function schedule(what) {
    pending.add(what);
    if (flushTimer) return;
    flushTimer = setTimeout(async () => {
      flushTimer = null;
      const jobs = [...pending];
      pending.clear();
      await Promise.all(
        jobs.map((job) => REFRESH[job]()),
      );
    }, 60);
  }

  function handle(event) {
    if (event.type === "lead") {
      // A lead made or changed anywhere (a turn, the idle-cart round, another staff member).
      if (page === "leads") schedule("leads");
      return;
    }
    if (event.type !== "conversation") return;
    if (event.change === "handoff") {
      const where = TEXT.channels[event.channel] || event.channel;
      say(TEXT.new_waiting + where + " " + event.chat_id +
          (event.reason_label ? " · " + event.reason_label : ""));
    }
    if (event.change === "undelivered") {
      const where = TEXT.channels[event.channel] || event.channel;
      say(TEXT.undelivered + where + " " + event.chat_id);
    }
    if (page === "list") schedule("list");
    if (page === "leads") schedule("leads");
    if (conversationId && String(event.conversation_id) === conversationId) schedule("live");
    schedule("count");
  }

  let delay = 1000;
  let everOpen = false;
  function connect() {
    const scheme = location.protocol === "https:" ? "wss://" : "ws://";
    const socket = new WebSocket(scheme + location.host + "/console/ws");
    socket.onopen = () => {
      if (liveState) liveState.textContent = TEXT.live;
      body.dataset.live = "open";
      delay = 1000;
      if (everOpen) {
        // Events were missed while the socket was down: read everything again.
        schedule(page === "leads" ? "leads" : "list");
        if (conversationId) schedule("live");
        schedule("count");
      }
      everOpen = true;
    };
    socket.onmessage = (message) => {
      try {
        handle(JSON.parse(message.data));
      } catch (err) {
        console.error("console event", err);
      }
    };
    socket.onclose = (closed) => {
      body.dataset.live = "closed";
      if (closed.code === 1008) return toLogin();
      if (liveState) liveState.textContent = TEXT.reconnecting;
      setTimeout(connect, delay + Math.random() * 500);
      delay = Math.min(delay * 2, 30000);
    };
  }
  connect();

  document.addEventListener("submit", async (event) => {
    const form = event.target.closest("form[data-action]");
    if (!form) return;
    event.preventDefault();
    const button = form.querySelector('button[type="submit"]');
    if (button) button.disabled = true;
    try {
      const res = await fetch(form.action, {
        method: "POST",
        body: new URLSearchParams(new FormData(form)),
        headers: { Accept: "application/json", "X-CSRF-Token": csrf },
        credentials: "same-origin",
      });
      if (res.status === 401) return toLogin();
      const out = await res.json().catch(() => ({}));
      if (!res.ok) {
        notice(out.detail || TEXT.not_done, true);
      } else {
        notice(out.notice || "", false);
        if (form.dataset.action === "reply" || form.dataset.action === "note") form.reset();
      }
      await refreshLive();
      schedule("count");
    } catch (err) {
      notice(TEXT.unreachable, true);
    } finally {
      if (button) button.disabled = false;
    }
  });

  // Ctrl+Enter (or ⌘+Enter) sends the reply.
  document.addEventListener("keydown", (event) => {
    if (event.key !== "Enter" || !(event.ctrlKey || event.metaKey)) return;
    const area = event.target.closest("textarea");
    if (area && area.form) area.form.requestSubmit();
  });

  if (conversationId) {
    const thread = document.querySelector(".messages");
    if (thread) thread.scrollTop = thread.scrollHeight;
    phraseSummary();
  }
})();
