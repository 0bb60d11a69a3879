// The staff assistant: posts a question or a request (with the session's CSRF token), then
// writes the answer's table (a proposal made, with a link to the desk) and draws its chart
// with the vendored Chart.js; an answer the server wrote into the page (`?q=`, the form without
// the script) gets its chart drawn on load. Every text is set with textContent, never as HTML;
// the page's own words come from its console-words meta.
(() => {
  "use strict";

  if (document.body.dataset.page !== "assistant") return;

  const form = document.getElementById("assistant-form");
  const input = document.getElementById("assistant-question");
  const status = document.getElementById("assistant-status");
  const section = document.getElementById("assistant-answer");
  const table = document.getElementById("assistant-table");
  const figure = document.getElementById("assistant-figure");
  const canvas = document.getElementById("assistant-chart");
  const helpBox = document.getElementById("assistant-help");
  const csrf = document.querySelector('meta[name="csrf-token"]').content;
  const liveState = document.getElementById("live-state");
  if (liveState) liveState.textContent = ""; // this page has no live feed to connect to
  const TEXT = JSON.parse(document.querySelector('meta[name="console-words"]').content).assistant;
  const PALETTE = ["#b42318", "#1d4ed8", "#166534", "#9a3412", "#6d28d9", "#0e7490", "#a16207", "#57606a"];
  const ASK = "/console/assistant/ask";
  let chart = null;

  function cell(tag, text, numeric) {
    const el = document.createElement(tag);
    el.textContent = text;
    if (numeric) el.className = "num";
    return el;
  }

  function list(element, items) {
    element.replaceChildren(...items.map((text) => cell("li", text, false)));
  }

  function drawChart(spec) {
    if (chart) {
      chart.destroy();
      chart = null;
    }
    figure.hidden = !spec || typeof Chart === "undefined";
    if (figure.hidden) return;
    const round = spec.type === "doughnut";
    chart = new Chart(canvas, {
      type: spec.type,
      data: {
        labels: spec.labels,
        datasets: [{ label: spec.label, data: spec.values, backgroundColor: round ? PALETTE : PALETTE[0] }],
      },
      options: {
        animation: false,
        maintainAspectRatio: false,
        indexAxis: spec.type === "bar" && spec.labels.length > 8 ? "y" : "x",
        // The tooltip shows the figure as the table writes it ($3.891.000, 2,5).
        plugins: { legend: { display: round }, tooltip: { callbacks: { label: (c) => spec.texts[c.dataIndex] } } },
      },
    });
  }

  function show(body) {
    const answer = body.answer;
    helpBox.hidden = answer !== null;
    section.hidden = answer === null;
    if (answer === null) {
      document.getElementById("assistant-help-message").textContent = body.help.message;
      list(document.getElementById("assistant-help-examples"), body.help.examples);
      drawChart(null);
      return;
    }
    document.getElementById("assistant-title").textContent = answer.title;
    document.getElementById("assistant-period").textContent = answer.period || "";
    list(document.getElementById("assistant-notes"), answer.notes.concat(body.source === "model" ? [TEXT.by_model] : []));
    // A proposal made links to the desk where a manager approves it; a message has no table.
    const link = document.getElementById("assistant-link");
    link.hidden = !answer.link;
    if (answer.link) {
      link.firstElementChild.href = answer.link.href;
      link.firstElementChild.textContent = answer.link.text;
    }
    table.hidden = !answer.columns.length;
    const head = document.createElement("tr");
    answer.columns.forEach((c) => {
      const th = cell("th", c.label, c.numeric);
      th.scope = "col";
      head.appendChild(th);
    });
    table.tHead.replaceChildren(head);
    const rows = answer.rows.map((row) => {
      const tr = document.createElement("tr");
      row.forEach((text, i) => tr.appendChild(cell("td", text, answer.columns[i].numeric)));
      return tr;
    });
    if (!rows.length) {
      const tr = document.createElement("tr");
      const td = cell("td", answer.empty, false);
      td.colSpan = answer.columns.length;
      tr.className = "empty";
      tr.appendChild(td);
      rows.push(tr);
    }
    table.tBodies[0].replaceChildren(...rows);
    const foot = [];
    if (answer.total) {
      const tr = document.createElement("tr");
      answer.total.forEach((text, i) => tr.appendChild(cell(i ? "td" : "th", text, answer.columns[i].numeric)));
      foot.push(tr);
    }
    table.tFoot.replaceChildren(...foot);
    drawChart(answer.chart);
  }

  async function ask(question) {
    status.textContent = TEXT.asking;
    status.classList.remove("bad");
    const data = new FormData();
    data.set("question", question);
    let res;
    try {
      res = await fetch(ASK, {
        method: "POST",
        body: data,
        headers: { Accept: "application/json", "X-CSRF-Token": csrf },
        credentials: "same-origin",
      });
    } catch (err) {
      status.textContent = TEXT.unreachable;
      status.classList.add("bad");
      return;
    }
    if (res.status === 401) {
      location.href = "/console/login?next=" + encodeURIComponent(location.pathname);
      return;
    }
    const body = await res.json().catch(() => ({}));
    if (!res.ok) {
      status.textContent = body.detail || TEXT.failed;
      status.classList.add("bad");
      return;
    }
    status.textContent = "";
    status.classList.remove("bad");
    show(body);
    section.dataset.query = body.query || "";
    history.replaceState(null, "", "/console/assistant?q=" + encodeURIComponent(question));
  }

  form.addEventListener("submit", (event) => {
    event.preventDefault();
    ask(input.value.trim());
  });
  document.querySelectorAll("#assistant-examples a[data-question]").forEach((link) => {
    link.addEventListener("click", (event) => {
      event.preventDefault();
      input.value = link.dataset.question;
      ask(input.value);
    });
  });

  drawChart(JSON.parse(figure.dataset.chart));
})();
