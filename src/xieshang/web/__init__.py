"""The web face: FastAPI + Jinja2 + HTMX, served on loopback from the same store as the CLI.

- :mod:`xieshang.web.app` — :func:`~xieshang.web.app.create_app`, the error boundary, the
  per-request language and the origin check.
- :mod:`xieshang.web.context` — templates, the language of a request, the open store.
- :mod:`xieshang.web.forms` — form/JSON text → the services' inputs, and a
  :class:`~xieshang.errors.UserError` → the form field it is about (inline errors).
- :mod:`xieshang.web.charts` — charts as server-side SVG (no JavaScript, no CDN).
- :mod:`xieshang.web.guide` — the guided start, in the article's order.
- :mod:`xieshang.web.routes` — one module per area (pages) and :mod:`~xieshang.web.routes.api`.

Like the CLI, the web face holds no business logic: every page and API route calls the
functions of :mod:`xieshang.services` and only lays out what they return.
"""
