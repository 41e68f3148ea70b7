"""The analyst web UI: server-rendered pages under ``/ui`` over the data the API returns.

``embargo serve`` includes it; open ``http://127.0.0.1:8000/ui``. The app adds ``router`` with
the API's routers and calls ``install(app)``, which serves ``/static`` (stylesheet, script,
icon: nothing is loaded from elsewhere) and turns the pages' sign-in redirects and refusals
into responses.
"""

from __future__ import annotations

# The API package first: its app includes this package's router, and the routes import the
# API's helpers. Importing it here first makes either import order work.
import embargo.api  # noqa: F401
from embargo.web.routes import STATIC_DIR, TEMPLATES_DIR, install, router

__all__ = ["STATIC_DIR", "TEMPLATES_DIR", "install", "router"]
