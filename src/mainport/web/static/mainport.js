// Shared page behaviour, loaded as a file: the Content-Security-Policy allows no inline script.
"use strict";
(function () {
  const meta = document.querySelector('meta[name="csrf-token"]');
  // fetch() writes send this as the X-CSRF-Token header.
  window.MAINPORT_CSRF = meta ? meta.getAttribute("content") : "";
  document.addEventListener("submit", (ev) => {
    const form = ev.target;
    if (!(form instanceof HTMLFormElement)) return;
    // Forms handled by a page's script only (e.g. the monitoring filters).
    if (form.hasAttribute("data-nosubmit")) { ev.preventDefault(); return; }
    const question = form.getAttribute("data-confirm");
    if (question && !window.confirm(question)) ev.preventDefault();
  });
  // Times come from the server in UTC (<time datetime="...">); show them in the user's own time zone.
  const zone = Intl.DateTimeFormat().resolvedOptions().timeZone;
  const fmt = new Intl.DateTimeFormat("en-CA", {
    year: "numeric", month: "2-digit", day: "2-digit", hour: "2-digit", minute: "2-digit",
    hour12: false, timeZone: zone, timeZoneName: "short",
  });
  document.querySelectorAll("time[datetime]").forEach((el) => {
    const t = new Date(el.getAttribute("datetime"));
    if (Number.isNaN(t.getTime())) return;
    el.setAttribute("title", el.textContent || "");
    el.textContent = fmt.format(t).replace(",", "");
    el.setAttribute("data-zone", zone);
  });
  // Uploads with a progress bar: the form is sent by XHR (same fields, same CSRF token); on the answer the
  // browser goes to the page it was redirected to (the reconciliation), or shows the error page it got.
  document.querySelectorAll("form[data-upload]").forEach((form) => {
    form.addEventListener("submit", (ev) => {
      ev.preventDefault();
      const bar = form.querySelector("progress");
      const status = form.querySelector("[data-upload-status]");
      const xhr = new XMLHttpRequest();
      xhr.open("POST", form.action);
      xhr.setRequestHeader("Accept", "text/html");
      xhr.upload.addEventListener("progress", (e) => {
        if (!e.lengthComputable || !bar) return;
        bar.hidden = false;
        bar.value = Math.round((100 * e.loaded) / e.total);
        if (status) status.textContent = e.loaded < e.total ? "uploading " + bar.value + "%" : "ingesting…";
      });
      xhr.addEventListener("load", () => {
        if (xhr.status < 400 && xhr.responseURL) { window.location.assign(xhr.responseURL); return; }
        const doc = new DOMParser().parseFromString(xhr.responseText, "text/html");
        const msg = doc.querySelector("[data-testid=error-page] [role=alert]") || doc.querySelector("main") || doc.body;
        if (status) { status.textContent = (msg ? msg.textContent : "").trim() || ("failed: " + xhr.status); status.className = "error"; status.setAttribute("data-testid", "upload-error"); }
      });
      xhr.addEventListener("error", () => { if (status) status.textContent = "upload failed: connection lost"; });
      xhr.send(new FormData(form));
    });
  });
})();
