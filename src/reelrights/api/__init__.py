"""The REST API (FastAPI): routers and schemas over the service; no rules of its own."""
