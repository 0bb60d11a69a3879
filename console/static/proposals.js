// The proposals' table (the desk, or a conversation's panel) follows the live feed, and a
// manager's approve or reject answers in place. The table comes from the server, which
// escapes every text; the script inserts only that and plain text.
(() => {
  "use strict";

  const box = document.getElementById("proposals");
  if (!box) return;
  const csrf = document.querySelector('meta[name="csrf-token"]').content;
  const TEXT = JSON.parse(document.querySelector('meta[name="console-words"]').content).console;

  function toLogin() {
    const next = location.pathname + location.search;
    location.href = "/console/login?next=" + encodeURIComponent(next);
  }

  function notice(text, bad) {
    const shown = document.getElementById("notice");
    if (!shown) return;
    shown.textContent = text || "";
    shown.classList.toggle("bad", !!bad);
  }

  async function refresh() {
    const res = await fetch(box.dataset.fragment, {
      headers: { Accept: "text/x-fragment" },
      credentials: "same-origin",
    });
    if (res.status === 401) return toLogin();
    // A form being filled in is not swapped away under the manager's hands.
    const typing = box.contains(document.activeElement) && document.activeElement.tagName === "INPUT";
    if (res.ok && !typing) box.innerHTML = await res.text();
  }

  let timer = null;
  function schedule() {
    if (timer) return;
    timer = setTimeout(() => {
      timer = null;
      refresh();
    }, 60);
  }

  let delay = 1000;
  function connect() {
    const scheme = location.protocol === "https:" ? "wss://" : "ws://";
    const socket = new WebSocket(scheme + location.host + "/console/ws");
    socket.onopen = () => {
      box.dataset.live = "open";
      delay = 1000;
      schedule();
    };
    socket.onmessage = (message) => {
      const event = JSON.parse(message.data);
      if (event.type === "conversation") schedule();
    };
    socket.onclose = (closed) => {
      box.dataset.live = "closed";
      if (closed.code === 1008) return toLogin();
      setTimeout(connect, delay + Math.random() * 500);
      delay = Math.min(delay * 2, 30000);
    };
  }
  connect();

  box.addEventListener("submit", async (event) => {
    const form = event.target.closest("form[data-proposal-action]");
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
      notice(res.ok ? out.notice : out.detail || TEXT.not_done, !res.ok);
      if (document.activeElement) document.activeElement.blur();
      await refresh();
    } catch (err) {
      notice(TEXT.unreachable, true);
    } finally {
      if (button) button.disabled = false;
    }
  });
})();
