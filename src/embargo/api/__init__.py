"""The HTTP API (FastAPI): yente-compatible ``/match``, search, entities, catalog, free text.

from embargo.api import create_app
app = create_app()            # settings from EMBARGO_* variables; or `embargo serve`
"""

from embargo.api.app import ROUTERS, app_factory, create_app

__all__ = ["ROUTERS", "app_factory", "create_app"]
