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
})();
