"""The store: list versions and their entities, on SQLite (default) or PostgreSQL.

Everything that touches SQL lives here and in ``tables.py``; the two dialects differ only in
engine set-up and in the ``insert ... on conflict do nothing`` helper.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from sqlalchemy import Engine, create_engine, event, func, select, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.engine import Connection
from sqlalchemy.exc import SQLAlchemyError

from embargo.errors import NotFoundError, StoreError
from embargo.model import Entity, entity_from_json, entity_to_json
from embargo.store import audit as auditlog
from embargo.store.tables import (
    active_versions,
    entity_blobs,
    fetch_cache,
    list_versions,
    metadata,
    version_entities,
)


def utcnow() -> datetime:
    return datetime.now(UTC)


@dataclass(frozen=True)
class ListVersion:
    id: int
    source: str
    format: str
    publisher_date: str | None
    fetched_at: datetime
    content_hash: str
    entity_count: int
    counts: dict[str, int]
    origin: str
    report: dict[str, Any]
    status: str

    def to_dict(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "source": self.source,
            "format": self.format,
            "publisher_date": self.publisher_date,
            "fetched_at": self.fetched_at.isoformat(),
            "content_hash": self.content_hash,
            "entity_count": self.entity_count,
            "counts": self.counts,
            "origin": self.origin,
            "status": self.status,
            "skipped": len(self.report.get("skipped", [])),
            "warnings": len(self.report.get("warnings", [])),
        }


@dataclass(frozen=True)
class SaveResult:
    version: ListVersion
    created: bool  # False: identical content was already stored, nothing changed
    activated: bool
    message: str


@dataclass(frozen=True)
class FetchCacheRow:
    url: str
    etag: str | None
    last_modified: str | None
    sha256: str
    size: int


@dataclass
class EntityChange:
    entity_id: str
    caption: str
    changes: dict[str, tuple[list[Any], list[Any]]] = field(default_factory=dict)


@dataclass
class VersionDiff:
    source: str
    from_version: ListVersion | None
    to_version: ListVersion
    added: list[tuple[str, str]]  # (entity id, caption)
    removed: list[tuple[str, str]]
    changed: list[EntityChange]

    def to_dict(self) -> dict[str, Any]:
        return {
            "source": self.source,
            "from": self.from_version.to_dict() if self.from_version else None,
            "to": self.to_version.to_dict(),
            "added": [{"id": i, "caption": c} for i, c in self.added],
            "removed": [{"id": i, "caption": c} for i, c in self.removed],
            "changed": [
                {
                    "id": ch.entity_id,
                    "caption": ch.caption,
                    "changes": {
                        k: {"removed": before, "added": after}
                        for k, (before, after) in ch.changes.items()
                    },
                }
                for ch in self.changed
            ],
        }


def _row_version(row: Any) -> ListVersion:
    fetched = row.fetched_at
    if fetched.tzinfo is None:  # SQLite drops the zone; everything is stored in UTC
        fetched = fetched.replace(tzinfo=UTC)
    return ListVersion(
        id=row.id,
        source=row.source,
        format=row.format,
        publisher_date=row.publisher_date,
        fetched_at=fetched,
        content_hash=row.content_hash,
        entity_count=row.entity_count,
        counts=dict(row.counts or {}),
        origin=row.origin,
        report=dict(row.report or {}),
        status=row.status,
    )


def entity_hash(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


class Store:
    """List versions and entities in one SQL database."""

    def __init__(self, engine: Engine) -> None:
        self.engine = engine
        self.url = engine.url.render_as_string(hide_password=True)

    @classmethod
    def open(cls, url: str) -> Store:
        """Open (and create where needed) the database at a SQLAlchemy URL."""
        try:
            if url.startswith("sqlite"):
                path = url.split("///", 1)[1] if "///" in url else ""
                if path and path != ":memory:":
                    Path(path).parent.mkdir(parents=True, exist_ok=True)
                engine = create_engine(url, connect_args={"timeout": 60})
                event.listen(engine, "connect", _sqlite_pragmas)
            else:
                engine = create_engine(url, pool_pre_ping=True)
            metadata.create_all(engine)
        except SQLAlchemyError as exc:
            raise StoreError(f"cannot open database {url}: {exc}") from exc
        return cls(engine)

    @property
    def dialect(self) -> str:
        return self.engine.dialect.name

    def close(self) -> None:
        self.engine.dispose()

    # -- audit ---------------------------------------------------------------------------

    def audit(
        self,
        action: str,
        subject_type: str,
        subject_id: str,
        details: dict[str, Any] | None = None,
        *,
        actor: str = "system",
    ) -> auditlog.AuditRecord:
        """Append one audit record in its own transaction."""
        with self.engine.begin() as conn:
            return auditlog.append(
                conn,
                actor=actor,
                action=action,
                subject_type=subject_type,
                subject_id=subject_id,
                details=details,
            )

    def audit_records(self, **filters: Any) -> list[auditlog.AuditRecord]:
        return auditlog.records(self.engine, **filters)

    def verify_audit(self) -> auditlog.VerifyResult:
        return auditlog.verify(self.engine)

    def _insert_ignore(self, table: Any) -> Any:
        if self.dialect == "postgresql":
            return postgresql.insert(table).on_conflict_do_nothing()
        return sqlite.insert(table).on_conflict_do_nothing()

    # -- list versions -------------------------------------------------------------------

    def save_version(
        self,
        *,
        source: str,
        format: str,
        publisher_date: str | None,
        content_hash: str,
        origin: str,
        report: dict[str, Any],
        entities: Sequence[Entity],
        activate: bool | None = None,
        actor: str = "system",
    ) -> SaveResult:
        """Store a parsed list as a new version, atomically.

        Identical content (same hash as a stored version of the source) is a no-op. The new
        version becomes active unless the active one is newer by publisher date (or
        ``activate`` says otherwise); either way history is kept.
        """
        with self.engine.begin() as conn:
            existing = conn.execute(
                select(list_versions)
                .where(list_versions.c.source == source)
                .where(list_versions.c.content_hash == content_hash)
                .order_by(list_versions.c.id.desc())
            ).first()
            if existing is not None:
                version = _row_version(existing)
                auditlog.append(
                    conn,
                    actor=actor,
                    action="list.unchanged",
                    subject_type="list_version",
                    subject_id=str(version.id),
                    details={"source": source, "content_hash": content_hash, "origin": origin},
                )
                return SaveResult(
                    version,
                    False,
                    False,
                    f"{source}: content unchanged (same as version {version.id}, "
                    f"{version.status}); nothing to do",
                )
            current = self._active_row(conn, source)
            should_activate = activate
            if should_activate is None:
                should_activate = not (
                    current is not None
                    and current.publisher_date
                    and publisher_date
                    and publisher_date < current.publisher_date
                )
            counts: dict[str, int] = {}
            for entity in entities:
                counts[entity.schema.value] = counts.get(entity.schema.value, 0) + 1
            now = utcnow()
            inserted = conn.execute(
                list_versions.insert().values(
                    source=source,
                    format=format,
                    publisher_date=publisher_date,
                    fetched_at=now,
                    content_hash=content_hash,
                    entity_count=len(entities),
                    counts=counts,
                    origin=origin,
                    report=report,
                    status="active" if should_activate else "inactive",
                )
            ).inserted_primary_key
            assert inserted is not None
            version_id = int(inserted[0])
            blobs: dict[str, bytes] = {}
            rows: list[dict[str, Any]] = []
            for entity in entities:
                data = entity_to_json(entity)
                digest = entity_hash(data)
                blobs[digest] = data
                rows.append(
                    {
                        "version_id": version_id,
                        "entity_id": entity.id,
                        "schema": entity.schema.value,
                        "caption": entity.caption,
                        "hash": digest,
                    }
                )
            self._insert_blobs(conn, blobs)
            for chunk in _chunks(rows, 5000):
                conn.execute(version_entities.insert(), chunk)
            if should_activate:
                if current is not None:
                    conn.execute(
                        update(list_versions)
                        .where(list_versions.c.id == current.id)
                        .values(status="superseded")
                    )
                    conn.execute(
                        update(active_versions)
                        .where(active_versions.c.source == source)
                        .values(version_id=version_id, activated_at=now)
                    )
                else:
                    conn.execute(
                        active_versions.insert().values(
                            source=source, version_id=version_id, activated_at=now
                        )
                    )
                message = (
                    f"{source}: version {version_id} loaded and active ({len(entities)} entities)"
                )
            else:
                assert current is not None
                message = (
                    f"{source}: version {version_id} stored in history but not activated: "
                    f"its publisher date {publisher_date} is older than the active version "
                    f"{current.id} ({current.publisher_date})"
                )
            row = conn.execute(select(list_versions).where(list_versions.c.id == version_id)).one()
            auditlog.append(
                conn,
                actor=actor,
                action="list.load",
                subject_type="list_version",
                subject_id=str(version_id),
                details={
                    "source": source,
                    "format": format,
                    "publisher_date": publisher_date,
                    "content_hash": content_hash,
                    "entities": len(entities),
                    "skipped": len(report.get("skipped", [])),
                    "activated": bool(should_activate),
                    "origin": origin,
                },
            )
        return SaveResult(_row_version(row), True, bool(should_activate), message)

    def _insert_blobs(self, conn: Connection, blobs: dict[str, bytes]) -> None:
        if not blobs:
            return
        # Only write blobs that are new: most of a list is unchanged between versions.
        known: set[str] = set()
        keys = list(blobs)
        for chunk in _chunks(keys, 900):
            known.update(
                conn.execute(select(entity_blobs.c.hash).where(entity_blobs.c.hash.in_(chunk)))
                .scalars()
                .all()
            )
        new = [{"hash": h, "data": blobs[h]} for h in keys if h not in known]
        stmt = self._insert_ignore(entity_blobs)
        for chunk in _chunks(new, 2000):
            conn.execute(stmt, chunk)

    def _active_row(self, conn: Connection, source: str) -> Any:
        return conn.execute(
            select(list_versions)
            .join(active_versions, active_versions.c.version_id == list_versions.c.id)
            .where(active_versions.c.source == source)
        ).first()

    def active_versions(self) -> list[ListVersion]:
        with self.engine.connect() as conn:
            rows = conn.execute(
                select(list_versions)
                .join(active_versions, active_versions.c.version_id == list_versions.c.id)
                .order_by(list_versions.c.source)
            ).all()
        return [_row_version(r) for r in rows]

    def active_version(self, source: str) -> ListVersion | None:
        with self.engine.connect() as conn:
            row = self._active_row(conn, source)
        return _row_version(row) if row is not None else None

    def versions(self, source: str | None = None) -> list[ListVersion]:
        query = select(list_versions).order_by(list_versions.c.id)
        if source is not None:
            query = query.where(list_versions.c.source == source)
        with self.engine.connect() as conn:
            return [_row_version(r) for r in conn.execute(query).all()]

    def get_version(self, version_id: int) -> ListVersion:
        with self.engine.connect() as conn:
            row = conn.execute(
                select(list_versions).where(list_versions.c.id == version_id)
            ).first()
        if row is None:
            raise NotFoundError(f"no list version {version_id}")
        return _row_version(row)

    def sources(self) -> list[str]:
        with self.engine.connect() as conn:
            return list(
                conn.execute(
                    select(list_versions.c.source).distinct().order_by(list_versions.c.source)
                )
                .scalars()
                .all()
            )

    # -- entities ------------------------------------------------------------------------

    def version_hashes(self, version_id: int) -> dict[str, tuple[str, str]]:
        """Entity id -> (content hash, caption) for one version."""
        with self.engine.connect() as conn:
            rows = conn.execute(
                select(
                    version_entities.c.entity_id,
                    version_entities.c.hash,
                    version_entities.c.caption,
                ).where(version_entities.c.version_id == version_id)
            ).all()
        return {r.entity_id: (r.hash, r.caption) for r in rows}

    def load_blobs(self, hashes: Iterable[str]) -> dict[str, Entity]:
        out: dict[str, Entity] = {}
        with self.engine.connect() as conn:
            for chunk in _chunks(list(set(hashes)), 900):
                for row in conn.execute(
                    select(entity_blobs.c.hash, entity_blobs.c.data).where(
                        entity_blobs.c.hash.in_(chunk)
                    )
                ):
                    out[row.hash] = entity_from_json(row.data)
        return out

    def iter_entities(self, version_id: int) -> Iterator[Entity]:
        with self.engine.connect() as conn:
            result = conn.execution_options(yield_per=2000).execute(
                select(entity_blobs.c.data)
                .join(version_entities, version_entities.c.hash == entity_blobs.c.hash)
                .where(version_entities.c.version_id == version_id)
                .order_by(version_entities.c.entity_id)
            )
            for row in result:
                yield entity_from_json(row.data)

    def iter_active_entities(self, sources: Iterable[str] | None = None) -> Iterator[Entity]:
        wanted = set(sources) if sources is not None else None
        for version in self.active_versions():
            if wanted is None or version.source in wanted:
                yield from self.iter_entities(version.id)

    def get_entity(self, entity_id: str) -> Entity:
        """The entity as in its source's active version, else its most recent stored version."""
        with self.engine.connect() as conn:
            row = conn.execute(
                select(entity_blobs.c.data)
                .join(version_entities, version_entities.c.hash == entity_blobs.c.hash)
                .join(
                    active_versions, active_versions.c.version_id == version_entities.c.version_id
                )
                .where(version_entities.c.entity_id == entity_id)
            ).first()
            if row is None:
                row = conn.execute(
                    select(entity_blobs.c.data)
                    .join(version_entities, version_entities.c.hash == entity_blobs.c.hash)
                    .where(version_entities.c.entity_id == entity_id)
                    .order_by(version_entities.c.version_id.desc())
                ).first()
        if row is None:
            raise NotFoundError(f"no entity with id {entity_id!r}")
        return entity_from_json(row.data)

    def entity_versions(self, entity_id: str) -> list[ListVersion]:
        """Every stored list version the entity appears in, oldest first."""
        with self.engine.connect() as conn:
            rows = conn.execute(
                select(list_versions)
                .join(version_entities, version_entities.c.version_id == list_versions.c.id)
                .where(version_entities.c.entity_id == entity_id)
                .order_by(list_versions.c.id)
            ).all()
        return [_row_version(r) for r in rows]

    def is_active(self, entity_id: str) -> bool:
        with self.engine.connect() as conn:
            return (
                conn.execute(
                    select(func.count())
                    .select_from(version_entities)
                    .join(
                        active_versions,
                        active_versions.c.version_id == version_entities.c.version_id,
                    )
                    .where(version_entities.c.entity_id == entity_id)
                ).scalar_one()
                > 0
            )

    # -- diffs ---------------------------------------------------------------------------

    def diff(
        self, source: str, from_id: int | None = None, to_id: int | None = None
    ) -> VersionDiff:
        """What changed in a source between two versions (default: the active one and the one
        loaded before it)."""
        history = self.versions(source)
        if not history:
            raise NotFoundError(f"no versions of source {source!r} are stored")
        by_id = {v.id: v for v in history}
        for vid in (from_id, to_id):
            if vid is not None and vid not in by_id:
                raise NotFoundError(f"version {vid} is not a version of {source!r}")
        if to_id is None:
            active = self.active_version(source)
            to_version = active if active is not None else history[-1]
        else:
            to_version = by_id[to_id]
        if from_id is None:
            earlier = [v for v in history if v.id < to_version.id]
            from_version = earlier[-1] if earlier else None
        else:
            from_version = by_id[from_id]
        after = self.version_hashes(to_version.id)
        before = self.version_hashes(from_version.id) if from_version else {}
        added = sorted((i, after[i][1]) for i in after.keys() - before.keys())
        removed = sorted((i, before[i][1]) for i in before.keys() - after.keys())
        changed_ids = sorted(i for i in after.keys() & before.keys() if after[i][0] != before[i][0])
        blobs = self.load_blobs(
            [after[i][0] for i in changed_ids] + [before[i][0] for i in changed_ids]
        )
        changed = []
        for i in changed_ids:
            old, new = blobs[before[i][0]], blobs[after[i][0]]
            changed.append(EntityChange(i, new.caption, entity_changes(old, new)))
        return VersionDiff(source, from_version, to_version, added, removed, changed)

    # -- fetch cache ---------------------------------------------------------------------

    def get_fetch_cache(self, url: str) -> FetchCacheRow | None:
        with self.engine.connect() as conn:
            row = conn.execute(select(fetch_cache).where(fetch_cache.c.url == url)).first()
        if row is None:
            return None
        return FetchCacheRow(row.url, row.etag, row.last_modified, row.sha256, row.size)

    def put_fetch_cache(self, entry: FetchCacheRow) -> None:
        with self.engine.begin() as conn:
            conn.execute(fetch_cache.delete().where(fetch_cache.c.url == entry.url))
            conn.execute(
                fetch_cache.insert().values(
                    url=entry.url,
                    etag=entry.etag,
                    last_modified=entry.last_modified,
                    sha256=entry.sha256,
                    size=entry.size,
                    fetched_at=utcnow(),
                )
            )


def entity_changes(old: Entity, new: Entity) -> dict[str, tuple[list[Any], list[Any]]]:
    """Field -> (values removed, values added) between two versions of an entity."""
    import msgspec

    a = msgspec.to_builtins(old)
    b = msgspec.to_builtins(new)
    out: dict[str, tuple[list[Any], list[Any]]] = {}
    for key in sorted(set(a) | set(b)):
        va, vb = a.get(key), b.get(key)
        if va == vb:
            continue
        la = va if isinstance(va, list) else ([] if va is None else [va])
        lb = vb if isinstance(vb, list) else ([] if vb is None else [vb])
        if isinstance(va, dict) or isinstance(vb, dict):
            la = [{k: v} for k, v in sorted((va or {}).items()) if (vb or {}).get(k) != v]
            lb = [{k: v} for k, v in sorted((vb or {}).items()) if (va or {}).get(k) != v]
        else:
            la, lb = [x for x in la if x not in lb], [x for x in lb if x not in la]
        out[key] = (la, lb)
    return out


def _chunks(items: Sequence[Any], size: int) -> Iterator[Sequence[Any]]:
    for start in range(0, len(items), size):
        yield items[start : start + size]


def _sqlite_pragmas(dbapi_connection: Any, _record: Any) -> None:
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA synchronous=NORMAL")
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.close()
