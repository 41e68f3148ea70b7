"""The database schema, as SQLAlchemy Core tables shared by SQLite and PostgreSQL.

Entities are stored once per distinct content (``entity_blobs``, keyed by the hash of their
JSON); a list version is a set of (entity id, content hash) pairs. Two versions of a list
that differ in a hundred entities therefore cost a hundred new blobs, and a diff is a
comparison of hashes.
"""

from __future__ import annotations

from sqlalchemy import (
    JSON,
    Column,
    DateTime,
    ForeignKey,
    Index,
    Integer,
    LargeBinary,
    MetaData,
    String,
    Table,
    Text,
)

metadata = MetaData()

list_versions = Table(
    "list_versions",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("source", String(100), nullable=False),
    Column("format", String(50), nullable=False),
    Column("publisher_date", String(10)),
    Column("fetched_at", DateTime(timezone=True), nullable=False),
    Column("content_hash", String(64), nullable=False),
    Column("entity_count", Integer, nullable=False),
    Column("counts", JSON, nullable=False),
    Column("origin", Text, nullable=False),
    Column("report", JSON, nullable=False),
    # active: the version screening uses; superseded: was active before; inactive: loaded but
    # never activated because an active version was newer.
    Column("status", String(20), nullable=False),
    Index("ix_list_versions_source", "source", "id"),
)

entity_blobs = Table(
    "entity_blobs",
    metadata,
    Column("hash", String(64), primary_key=True),
    Column("data", LargeBinary, nullable=False),
)

version_entities = Table(
    "version_entities",
    metadata,
    Column(
        "version_id",
        Integer,
        ForeignKey("list_versions.id", ondelete="CASCADE"),
        primary_key=True,
    ),
    Column("entity_id", String(255), primary_key=True),
    Column("schema", String(20), nullable=False),
    Column("caption", Text, nullable=False),
    Column("hash", String(64), ForeignKey("entity_blobs.hash"), nullable=False),
    Index("ix_version_entities_entity", "entity_id"),
)

active_versions = Table(
    "active_versions",
    metadata,
    Column("source", String(100), primary_key=True),
    Column("version_id", Integer, ForeignKey("list_versions.id"), nullable=False),
    Column("activated_at", DateTime(timezone=True), nullable=False),
)

fetch_cache = Table(
    "fetch_cache",
    metadata,
    Column("url", Text, primary_key=True),
    Column("etag", Text),
    Column("last_modified", Text),
    Column("sha256", String(64), nullable=False),
    Column("size", Integer, nullable=False),
    Column("fetched_at", DateTime(timezone=True), nullable=False),
)
