"""One settings object, read from ``EMBARGO_*`` environment variables.

| variable                       | default                                      |
|--------------------------------|----------------------------------------------|
| EMBARGO_DATABASE_URL           | sqlite:///<user data dir>/embargo.db         |
| EMBARGO_DATA_DIR               | the platform's user data dir for "embargo"   |
| EMBARGO_MAX_DOWNLOAD_MB        | 512 (size cap for one downloaded/loaded file)|
| EMBARGO_FETCH_TIMEOUT          | 60 (seconds per request)                     |
| EMBARGO_FETCH_RETRIES          | 3                                            |
| EMBARGO_STALE_DAYS             | 7 (a list older than this is flagged stale)  |
| EMBARGO_MIRROR_URL             | unset: fetch from the publishers; set: fetch |
|                                | <mirror>/<source>/<file name> instead        |
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field, replace
from pathlib import Path

from platformdirs import user_data_dir

from embargo.errors import ConfigError


def _env_int(name: str, default: int) -> int:
    raw = os.environ.get(name)
    if raw is None or raw.strip() == "":
        return default
    try:
        value = int(raw)
    except ValueError:
        raise ConfigError(f"{name} must be a whole number, got {raw!r}") from None
    if value <= 0:
        raise ConfigError(f"{name} must be positive, got {value}")
    return value


@dataclass(frozen=True)
class Settings:
    data_dir: Path = field(default_factory=lambda: Path(user_data_dir("embargo", appauthor=False)))
    database_url: str | None = None
    max_download_bytes: int = 512 * 1024 * 1024
    fetch_timeout: float = 60.0
    fetch_retries: int = 3
    stale_days: int = 7
    mirror_url: str | None = None

    @property
    def db_url(self) -> str:
        if self.database_url:
            return self.database_url
        return f"sqlite:///{self.data_dir / 'embargo.db'}"

    @classmethod
    def from_env(cls, **overrides: object) -> Settings:
        data_dir = os.environ.get("EMBARGO_DATA_DIR")
        settings = cls(
            data_dir=Path(data_dir)
            if data_dir
            else Path(user_data_dir("embargo", appauthor=False)),
            database_url=os.environ.get("EMBARGO_DATABASE_URL") or None,
            max_download_bytes=_env_int("EMBARGO_MAX_DOWNLOAD_MB", 512) * 1024 * 1024,
            fetch_timeout=float(_env_int("EMBARGO_FETCH_TIMEOUT", 60)),
            fetch_retries=_env_int("EMBARGO_FETCH_RETRIES", 3),
            stale_days=_env_int("EMBARGO_STALE_DAYS", 7),
            mirror_url=os.environ.get("EMBARGO_MIRROR_URL") or None,
        )
        clean = {k: v for k, v in overrides.items() if v is not None}
        return replace(settings, **clean) if clean else settings  # type: ignore[arg-type]
