// The managers' dashboard: charts drawn with the vendored Chart.js from the summary's JSON.
// The server renders the figures for the range in the address; this script draws the charts,
// and when the range or the channel changes it fetches the summary again and redraws (figures
// formatted as the server formats them). Texts are set with textContent, never as HTML; their
// words come from the catalogue, in the page's console-words meta (console/words.py).
(() => {
  "use strict";

  if (document.body.dataset.page !== "dashboard" || typeof Chart === "undefined") return;

  const form = document.getElementById("dash-filters");
  const status = document.getElementById("dash-status");
  const box = document.getElementById("dashboard");
  const zone = form.dataset.zone;
  const charts = {};

  const BRAND = "#b42318";
  const PALETTE = ["#b42318", "#1d4ed8", "#166534", "#9a3412", "#6d28d9", "#0e7490", "#a16207", "#57606a"];
  const WORDS = JSON.parse(document.querySelector('meta[name="console-words"]').content);
  const TEXT = WORDS.dashboard.text;

  Chart.defaults.font.family = getComputedStyle(document.body).fontFamily;
  Chart.defaults.color = "#57606a";
  Chart.defaults.animation = false;
  Chart.defaults.maintainAspectRatio = false;

  // The same formats as the server (console/dashboard.py, agent/i18n.money).
  function money(text) {
    const value = Number(text);
    const cents = Math.round(Math.abs(value) * 100);
    const digits = String(Math.floor(cents / 100)).replace(/\B(?=(\d{3})+(?!\d))/g, ".");
    const rest = cents % 100 ? "," + String(cents % 100).padStart(2, "0") : "";
    const shown = (value < 0 ? "-" : "") + "$" + digits + rest;
    return box.dataset.currency === "COP" ? shown : shown + " " + box.dataset.currency;
  }
  const comma = (text) => text.replace(".", ",");
  const percent = (share) => (share === null ? "—" : comma((share * 100).toFixed(1)) + " %");
  function seconds(value) {
    if (value === null) return "—";
    if (value < 60) return comma(value.toFixed(1)) + " s";
    const total = Math.round(value);
    return Math.floor(total / 60) + " min " + (total % 60) + " s";
  }
  function milliseconds(value) {
    if (value === null) return "—";
    return value < 1000 ? comma(value.toFixed(1)) + " ms" : comma((value / 1000).toFixed(1)) + " s";
  }
  const usd = (text) => "US$" + comma(Number(text).toFixed(4));
  const channelName = (name) => WORDS.channels[name] || name;
  const shortDay = (iso) => iso.slice(8, 10) + "/" + iso.slice(5, 7);
  const cut = (text, n) => (text.length > n ? text.slice(0, n - 1) + "…" : text);

  function count(n, one, many) {
    return n + " " + (n === 1 ? one : many);
  }

  function set(id, text) {
    const el = document.getElementById(id);
    if (el) el.textContent = text;
  }

  function figures(s) {
    const orders = s.sales.orders;
    const conversations = s.funnel.conversations;
    set("fig-revenue", money(s.sales.revenue));
    set("sub-revenue", count(orders, TEXT.order_one, TEXT.order_many));
    set("fig-average", orders ? money(String(Math.round(Number(s.sales.revenue) / orders))) : "—");
    set("fig-conversations", String(conversations));
    set("sub-conversations", count(s.funnel.closed, TEXT.bought_one, TEXT.bought_many) + " (" + percent(conversations ? s.funnel.closed / conversations : null) + ")");
    set("fig-handoff", percent(s.handoffs.rate));
    set("sub-handoff", s.handoffs.handed + TEXT.handed_of + s.handoffs.conversations);
    set("fig-wait", seconds(s.handoffs.wait_seconds.p50));
    set("sub-wait", TEXT.median_p95 + seconds(s.handoffs.wait_seconds.p95));
    set("fig-reply", milliseconds(s.reply_ms.p50));
    set("sub-reply", TEXT.median_p95 + milliseconds(s.reply_ms.p95));
    set("fig-llm", String(s.llm.calls));
    set("sub-llm", s.llm.prompt_tokens + s.llm.completion_tokens + TEXT.tokens);
    set("fig-cost", usd(s.llm.cost_usd));
    const days = s.sales.by_day.length;
    const label = (iso) => iso.slice(8, 10) + "/" + iso.slice(5, 7) + "/" + iso.slice(0, 4);
    set("dash-range", label(s.from) + " – " + label(s.to) + " (" + count(days, TEXT.day_one, TEXT.day_many) + ")" + (s.channel ? " · " + channelName(s.channel) : ""));
  }

  function draw(name, config) {
    const canvas = document.getElementById("chart-" + name);
    if (charts[name]) {
      charts[name].data = config.data;
      charts[name].update();
      return;
    }
    charts[name] = new Chart(canvas, config);
  }

  // Axes in short figures ($1,5 M, $250 mil): full amounts are in the tooltips and the cards.
  function short(value) {
    const abs = Math.abs(value);
    if (abs >= 1e6) return "$" + comma(String(Math.round(value / 1e5) / 10)) + TEXT.million;
    if (abs >= 1e3) return "$" + Math.round(value / 1e3) + TEXT.thousand;
    return "$" + value;
  }
  const moneyAxis = { ticks: { callback: (v) => short(v) }, beginAtZero: true };

  // Over three months a bar a day is too thin to read: the chart shows months instead.
  function periods(days) {
    if (days.length <= 92) {
      return { title: TEXT.sales_by_day, rows: days.map((d) => ({ label: shortDay(d.day), orders: d.orders, revenue: Number(d.revenue) })) };
    }
    const months = new Map();
    for (const d of days) {
      const key = d.day.slice(0, 7);
      const row = months.get(key) || { label: WORDS.months[Number(key.slice(5, 7)) - 1] + " " + key.slice(2, 4), orders: 0, revenue: 0 };
      row.orders += d.orders;
      row.revenue += Number(d.revenue);
      months.set(key, row);
    }
    return { title: TEXT.sales_by_month, rows: [...months.values()] };
  }
  const tooltipMoney = { callbacks: { label: (c) => c.dataset.label + ": " + money(String(c.raw)) } };

  function render(s) {
    figures(s);
    const { title, rows } = periods(s.sales.by_day);
    set("title-days", title);
    draw("days", {
      data: {
        labels: rows.map((r) => r.label),
        datasets: [
          { type: "bar", label: TEXT.revenue, data: rows.map((r) => r.revenue), backgroundColor: BRAND, yAxisID: "y", order: 2 },
          { type: "line", label: TEXT.orders, data: rows.map((r) => r.orders), borderColor: "#1d4ed8", backgroundColor: "#1d4ed8", yAxisID: "orders", order: 1, tension: 0, pointRadius: 2 },
        ],
      },
      options: {
        interaction: { mode: "index", intersect: false },
        scales: {
          y: moneyAxis,
          orders: { position: "right", beginAtZero: true, ticks: { precision: 0 }, grid: { drawOnChartArea: false } },
          x: { ticks: { maxRotation: 0, autoSkip: true, maxTicksLimit: 16 } },
        },
        plugins: { tooltip: { callbacks: { label: (c) => (c.dataset.yAxisID === "y" ? TEXT.revenue + ": " + money(String(c.raw)) : TEXT.orders + ": " + c.raw) } } },
      },
    });
    const channels = s.sales.by_channel;
    draw("channels", {
      type: "doughnut",
      data: {
        labels: channels.map((c) => channelName(c.channel) + " (" + c.orders + ")"),
        datasets: [{ label: TEXT.revenue, data: channels.map((c) => Number(c.revenue)), backgroundColor: PALETTE }],
      },
      options: { plugins: { legend: { position: "right" }, tooltip: tooltipMoney } },
    });
    const f = s.funnel;
    draw("funnel", {
      type: "bar",
      data: {
        labels: WORDS.dashboard.funnel,
        datasets: [{ label: WORDS.dashboard.funnel[0], data: [f.conversations, f.carts, f.data_collected, f.closed], backgroundColor: ["#57606a", "#1d4ed8", "#9a3412", "#166534"] }],
      },
      options: { indexAxis: "y", scales: { x: { beginAtZero: true, ticks: { precision: 0 } } }, plugins: { legend: { display: false } } },
    });
    const l = s.lead_funnel;
    draw("leads", {
      type: "bar",
      data: {
        labels: WORDS.dashboard.lead_funnel,
        datasets: [{ label: WORDS.dashboard.lead_funnel[0], data: [l.conversations, l.leads, l.quotes, l.orders], backgroundColor: ["#57606a", "#7c3aed", "#9a3412", "#166534"] }],
      },
      options: { indexAxis: "y", scales: { x: { beginAtZero: true, ticks: { precision: 0 } } }, plugins: { legend: { display: false } } },
    });
    const products = s.top_products;
    draw("products", {
      type: "bar",
      data: {
        labels: products.map((p) => cut(p.name, 40)),
        datasets: [{ label: TEXT.revenue, data: products.map((p) => Number(p.revenue)), backgroundColor: BRAND, maxBarThickness: 26 }],
      },
      options: {
        indexAxis: "y",
        scales: { x: { ...moneyAxis, ticks: { ...moneyAxis.ticks, maxRotation: 0, autoSkipPadding: 16 } } },
        plugins: {
          legend: { display: false },
          tooltip: { callbacks: { label: (c) => money(String(c.raw)) + " · " + products[c.dataIndex].units + TEXT.units } },
        },
      },
    });
    const intents = s.intents;
    draw("intents", {
      type: "doughnut",
      data: {
        labels: intents.map((i) => (WORDS.dashboard.intents[i.intent] || i.intent) + " (" + i.messages + ")"),
        datasets: [{ label: TEXT.messages, data: intents.map((i) => i.messages), backgroundColor: PALETTE }],
      },
      options: { plugins: { legend: { position: "right" } } },
    });
  }

  function query() {
    const params = new URLSearchParams();
    for (const [key, value] of new FormData(form)) if (value) params.set(key, value);
    return params.toString();
  }

  async function load() {
    const q = query();
    status.textContent = TEXT.updating;
    status.classList.remove("bad");
    let res;
    try {
      res = await fetch("/console/dashboard/summary?" + q, { headers: { Accept: "application/json" } });
    } catch (err) {
      status.textContent = TEXT.offline;
      status.classList.add("bad");
      return;
    }
    if (res.status === 401) {
      location.href = "/console/login?next=" + encodeURIComponent(location.pathname + "?" + q);
      return;
    }
    const body = await res.json();
    if (!res.ok) {
      status.textContent = body.detail || TEXT.unreadable;
      status.classList.add("bad");
      return;
    }
    history.replaceState(null, "", "/console/dashboard?" + q);
    render(body);
    status.textContent = "";
    box.dataset.loaded = q;
  }

  function today() {
    // The shop's day (en-CA writes dates as YYYY-MM-DD), not the browser's.
    return new Intl.DateTimeFormat("en-CA", { timeZone: zone }).format(new Date());
  }

  form.addEventListener("submit", (event) => {
    event.preventDefault();
    load();
  });
  form.querySelector("#channel").addEventListener("change", load);
  form.querySelectorAll("button[data-days]").forEach((button) => {
    button.addEventListener("click", () => {
      const last = today();
      const first = new Date(last + "T12:00:00Z");
      first.setUTCDate(first.getUTCDate() - (Number(button.dataset.days) - 1));
      form.elements.from.value = first.toISOString().slice(0, 10);
      form.elements.to.value = last;
      load();
    });
  });

  load();
})();
