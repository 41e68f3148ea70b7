"""The ``ownership_links`` table, on the store's shared ``metadata``.

Kept apart from ``ownership.store`` so that ``embargo.store`` can import it (to have
``metadata.create_all`` create the table) without importing the rest of the ownership code.
"""

from __future__ import annotations

from sqlalchemy import (
    Boolean,
    Column,
    DateTime,
    Float,
    Index,
    Integer,
    String,
    Table,
    Text,
    UniqueConstraint,
)

from embargo.store.tables import metadata

# One row per (owner, owned, source): a source states one stake per pair, and importing a newer
# file from the same source updates it. Different sources may state the same pair differently;
# the computation reconciles them (the highest stake counts) and reports the difference.
ownership_links = Table(
    "ownership_links",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    # An Embargo entity id, an FtM id, or "name:<normalised name>" for a party named only.
    Column("owner", String(255), nullable=False),
    Column("owner_name", Text, nullable=False),
    Column("owned", String(255), nullable=False),
    Column("owned_name", Text, nullable=False),
    Column("percentage", Float),  # 0-100; NULL: the stake's size is not known
    Column("control", Boolean, nullable=False, default=False),
    Column("source", String(200), nullable=False),
    Column("note", Text),
    Column("origin", Text, nullable=False),  # the file it was imported from
    Column("imported_at", DateTime(timezone=True), nullable=False),
    UniqueConstraint("owner", "owned", "source", name="uq_ownership_links_owner_owned_source"),
    Index("ix_ownership_links_owned", "owned"),
    Index("ix_ownership_links_source", "source"),
)

__all__ = ["ownership_links"]
