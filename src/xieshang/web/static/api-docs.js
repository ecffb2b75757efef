/* Starts Swagger UI on /api/docs (an external file: the page's Content-Security-Policy allows no
   inline script). In server mode, "Try it out" writes carry the session's CSRF token, read from
   /api/session; in local mode there is no session and no token is needed. */
(function () {
  "use strict";
  var root = document.getElementById("swagger-ui");
  var csrf = null;
  fetch("/api/session", { credentials: "same-origin" })
    .then(function (r) { return r.ok ? r.json() : null; })
    .then(function (s) { if (s && s.csrf_token) { csrf = s.csrf_token; } })
    .catch(function () { /* local mode: no session */ });
  window.ui = SwaggerUIBundle({
    url: root.getAttribute("data-openapi-url"),
    dom_id: "#swagger-ui",
    deepLinking: true,
    validatorUrl: null,
    presets: [SwaggerUIBundle.presets.apis],
    layout: "BaseLayout",
    requestInterceptor: function (req) {
      if (csrf && req.method && req.method.toUpperCase() !== "GET") {
        req.headers["X-CSRF-Token"] = csrf;
      }
      return req;
    }
  });
})();
