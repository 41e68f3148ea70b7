"""Persistence: list versions and entities (SQLite by default, PostgreSQL by URL), and the
hash-chained audit log."""

from embargo.store import audit
from embargo.store.store import ListVersion, SaveResult, Store, VersionDiff

__all__ = ["ListVersion", "SaveResult", "Store", "VersionDiff", "audit"]
