// Starts Swagger UI on the docs page (a file, not inline: the Content-Security-Policy allows no inline script).
"use strict";
window.addEventListener("load", () => {
  const el = document.getElementById("swagger-ui");
  if (!el || typeof window.SwaggerUIBundle !== "function") return;
  window.ui = window.SwaggerUIBundle({
    url: el.getAttribute("data-openapi"),
    dom_id: "#swagger-ui",
    deepLinking: true,
    presets: [window.SwaggerUIBundle.presets.apis],
    layout: "BaseLayout",
    // Cookie sessions need the CSRF header on writes ("Try it out"); bearer tokens go in Authorize.
    requestInterceptor: (req) => {
      if (window.MAINPORT_CSRF) req.headers["X-CSRF-Token"] = window.MAINPORT_CSRF;
      return req;
    },
  });
});
