"""Persistence: list versions and entities (SQLite by default, PostgreSQL by URL)."""

from embargo.store.store import ListVersion, SaveResult, Store, VersionDiff

__all__ = ["ListVersion", "SaveResult", "Store", "VersionDiff"]
