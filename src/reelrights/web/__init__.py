"""The web UI: server-rendered pages (Jinja2) for a rights desk, beside the REST API."""
