"""Routes: one module per area of pages, and the JSON API."""
