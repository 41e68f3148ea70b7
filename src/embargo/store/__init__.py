"""Persistence: list versions and entities (SQLite by default, PostgreSQL by URL), the
hash-chained audit log, and the workflow, ownership and authentication tables that share its
metadata."""

# Tables defined next to the code that owns them register on the shared metadata when
# imported; importing them here lets ``Store.open`` create every table.
from embargo.auth import tables as _auth_tables  # noqa: F401
from embargo.ownership import tables as _ownership_tables  # noqa: F401
from embargo.store import audit
from embargo.store.store import ListVersion, SaveResult, Store, VersionDiff
from embargo.workflow import tables as _workflow_tables  # noqa: F401

__all__ = ["ListVersion", "SaveResult", "Store", "VersionDiff", "audit"]
