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
})();
