// The Informes page: ask for a report without leaving the page, then follow each unfinished
// job (its JSON, every 1.5 s) until it is done, with a "Descargar" link, or failed. Rows come
// from the server, which escapes every text; updates set plain text only.
(() => {
  "use strict";

  if (document.body.dataset.page !== "exports") return;

  const form = document.getElementById("export-form");
  const table = document.querySelector("#export-jobs tbody");
  const notice = document.getElementById("export-notice");
  const csrf = document.querySelector('meta[name="csrf-token"]').content;
  const liveState = document.getElementById("live-state");
  if (liveState) liveState.textContent = ""; // this page has no live feed to connect to
  // The words this script writes, from the catalogue (console/words.py), in the page's console-words meta.
  const TEXT = JSON.parse(document.querySelector('meta[name="console-words"]').content).exports;
  const POLL_MS = 1500;

  function toLogin() {
    location.href = "/console/login?next=" + encodeURIComponent(location.pathname);
  }

  function size(bytes) {
    if (bytes === null || bytes === undefined) return "";
    let value = bytes;
    let unit = "B";
    for (const bigger of ["kB", "MB", "GB"]) {
      if (value < 1000) break;
      value /= 1000;
      unit = bigger;
    }
    const text = unit === "B" ? String(value) : value.toFixed(1).replace(".", ",");
    return text + " " + unit;
  }

  function show(row, job) {
    row.dataset.status = job.status;
    let status = TEXT.statuses[job.status] || job.status;
    if (job.status === "failed" && job.error) status += ": " + job.error;
    row.querySelector(".status").textContent = status;
    row.querySelector(".rows").textContent = job.rows === null ? "" : String(job.rows);
    row.querySelector(".bytes").textContent = size(job.bytes);
    const cell = row.querySelector(".link");
    if (job.download_url && !cell.querySelector("a")) {
      const link = document.createElement("a");
      link.href = job.download_url;
      link.setAttribute("download", "");
      link.textContent = TEXT.download;
      cell.replaceChildren(link);
      const rows = job.rows ?? 0;
      notice.textContent = TEXT.ready + rows + (rows === 1 ? TEXT.row_one : TEXT.row_many);
    }
  }

  async function poll() {
    const waiting = table.querySelectorAll('tr[data-status="pending"], tr[data-status="running"]');
    for (const row of waiting) {
      const res = await fetch("/console/exports/jobs/" + encodeURIComponent(row.dataset.job), {
        headers: { Accept: "application/json" },
        credentials: "same-origin",
      });
      if (res.status === 401) return toLogin();
      if (res.ok) show(row, await res.json());
    }
  }

  async function loop() {
    try {
      await poll();
    } catch (err) {
      notice.textContent = TEXT.retrying;
    }
    setTimeout(loop, POLL_MS);
  }

  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    const data = new FormData(form, event.submitter);
    notice.textContent = TEXT.requesting;
    let res;
    try {
      res = await fetch(form.action, {
        method: "POST",
        body: data,
        headers: { Accept: "application/json", "X-CSRF-Token": csrf },
        credentials: "same-origin",
      });
    } catch (err) {
      notice.textContent = TEXT.unreachable;
      return;
    }
    if (res.status === 401) return toLogin();
    const body = await res.json().catch(() => ({}));
    if (!res.ok) {
      notice.textContent = body.detail || "No se pudo pedir el informe (" + res.status + ").";
      return;
    }
    const empty = table.querySelector("tr.empty");
    if (empty) empty.remove();
    table.insertAdjacentHTML("afterbegin", body.row);
    show(table.firstElementChild, body);
    notice.textContent = TEXT.requested;
  });

  loop();
})();
