"""The web UI (and, later, the OpenAI-compatible API): a thin layer over the pipeline.

Server-rendered pages (Jinja2) with a small script of our own for streaming
answers and upload progress; no CDN, no external font or script, so a strict
Content-Security-Policy (``default-src 'self'``) holds and the UI works with the
network closed except loopback.
"""

from appliance.web.app import create_app

__all__ = ["create_app"]
