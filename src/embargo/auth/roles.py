"""The one table of who may call what: (method, path template) → the lowest role allowed.

The enforcement looks every request up here; a route that is not in the table is refused,
so a new route is unreachable until it is given a role. ``None`` marks the few public
routes: the health checks (for load balancers) and the API's own documentation, which
describes the same open-source API on every Embargo installation and holds no data.

Routes under ``/ui`` and ``/static`` (and ``GET /``) belong to the web UI, which checks its
users itself (it sends a browser to its login page instead of answering 401); they are not
in this table.
"""

from __future__ import annotations

from embargo.auth.model import Role

viewer, analyst, reviewer, admin = Role.viewer, Role.analyst, Role.reviewer, Role.admin

ROUTE_ROLES: dict[tuple[str, str], Role | None] = {
    # Public: liveness and readiness, the API documentation.
    ("GET", "/healthz"): None,
    ("GET", "/readyz"): None,
    ("GET", "/openapi.json"): None,
    ("GET", "/docs"): None,
    ("GET", "/docs/oauth2-redirect"): None,
    ("GET", "/redoc"): None,
    # Screening and list data: reads (each screening is audited, but changes nothing).
    ("POST", "/match/{dataset}"): viewer,
    ("GET", "/search/{dataset}"): viewer,
    ("GET", "/entities/{entity_id}"): viewer,
    ("POST", "/screen/text"): viewer,
    ("GET", "/catalog"): viewer,
    ("GET", "/algorithms"): viewer,
    # The compliance workflow.
    ("GET", "/customers"): viewer,
    ("GET", "/customers/{ref}"): viewer,
    ("POST", "/customers/import"): analyst,
    ("PUT", "/customers/{ref}"): analyst,
    ("POST", "/customers/{ref}/screen"): analyst,
    ("GET", "/alerts"): viewer,
    ("GET", "/alerts/{alert_id}"): viewer,
    ("POST", "/alerts/{alert_id}/assign"): analyst,
    ("POST", "/alerts/{alert_id}/decide"): analyst,
    ("POST", "/alerts/{alert_id}/confirm"): reviewer,
    ("POST", "/alerts/{alert_id}/reject"): reviewer,
    ("GET", "/whitelist"): viewer,
    ("POST", "/whitelist/{entry_id}/remove"): reviewer,
    # Who am I; administration.
    ("GET", "/auth/me"): viewer,
    ("POST", "/admin/refresh"): admin,
    ("GET", "/admin/users"): admin,
    ("POST", "/admin/users"): admin,
    ("PATCH", "/admin/users/{name}"): admin,
    ("GET", "/admin/keys"): admin,
    ("POST", "/admin/users/{name}/keys"): admin,
    ("POST", "/admin/keys/{key}/revoke"): admin,
}

# Paths the web UI guards itself (see the module doc).
UI_PREFIXES = ("/ui", "/static")


def is_ui_path(method: str, path: str) -> bool:
    if path == "/" and method in ("GET", "HEAD"):
        return True
    return any(path == p or path.startswith(p + "/") for p in UI_PREFIXES)


def required_role(method: str, template: str) -> tuple[bool, Role | None]:
    """(declared, role): whether the route is in the table, and its lowest role (None:
    public). HEAD is looked up as GET, as the framework answers it with the GET route."""
    key = ("GET" if method == "HEAD" else method, template)
    if key not in ROUTE_ROLES:
        return False, None
    return True, ROUTE_ROLES[key]
