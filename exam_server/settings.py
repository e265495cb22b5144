"""The exam server's settings, read from environment variables.

=========================  =============================================
variable                   meaning (default)
=========================  =============================================
``EXAM_DATA_DIR``          folder for the database, recordings, prompt
                           audio, keys and logs (``./var``)
``EXAM_DATABASE_URL``      SQLAlchemy URL; ``DATABASE_URL`` is read too
                           (SQLite file ``exam.db`` in the data folder)
``EXAM_HOST``              address the server listens on (``127.0.0.1``)
``EXAM_PORT``              port (``8000``)
``EXAM_SCORING_WORKERS``   processes of the local scoring pool (``1``)
``EXAM_REDIS_URL``         Redis URL; when set, scoring jobs go to
                           Dramatiq workers instead of the local pool
``EXAM_ADMIN_TOKEN``       the exam office's token; when unset one is
                           made once and kept in ``admin_token`` in the
                           data folder
``EXAM_PE_TABLES_DIR``     folder holding ``fitness_2014/`` and
                           ``pe_exam/`` laid out like ``standards/data``,
                           to score PE results with other tables (the
                           packaged ones)
=========================  =============================================
"""

from __future__ import annotations

import os
import secrets
from dataclasses import dataclass
from pathlib import Path

from standards.errors import PlatformError


class SettingsError(PlatformError):
    """A setting has a value the server cannot use."""


@dataclass(frozen=True)
class Settings:
    data_dir: Path
    database_url: str
    host: str = "127.0.0.1"
    port: int = 8000
    scoring_workers: int = 1
    redis_url: str | None = None
    admin_token: str | None = None
    pe_tables_dir: Path | None = None

    @property
    def responses_dir(self) -> Path:
        """Recorded answers, one file per distinct SHA-256."""
        return self.data_dir / "responses"

    @property
    def prompts_dir(self) -> Path:
        """Prompt audio of the papers."""
        return self.data_dir / "prompts"

    def ensure_dirs(self) -> None:
        for folder in (self.data_dir, self.responses_dir, self.prompts_dir):
            folder.mkdir(parents=True, exist_ok=True)

    def resolved_admin_token(self) -> str:
        """Return the admin token, making and keeping one on first use."""
        if self.admin_token:
            return self.admin_token
        path = self.data_dir / "admin_token"
        if path.exists():
            return path.read_text(encoding="ascii").strip()
        self.data_dir.mkdir(parents=True, exist_ok=True)
        token = secrets.token_urlsafe(24)
        path.write_text(token + "\n", encoding="ascii")
        path.chmod(0o600)
        return token


def load_settings(environ: dict[str, str] | None = None) -> Settings:
    """Build :class:`Settings` from ``environ`` (the process environment)."""
    env = os.environ if environ is None else environ
    data_dir = Path(env.get("EXAM_DATA_DIR", "var")).resolve()
    default_url = f"sqlite:///{data_dir / 'exam.db'}"
    database_url = (
        env.get("EXAM_DATABASE_URL") or env.get("DATABASE_URL") or default_url
    )
    return Settings(
        data_dir=data_dir,
        database_url=database_url,
        host=env.get("EXAM_HOST", "127.0.0.1"),
        port=_int_setting(env, "EXAM_PORT", 8000, low=1, high=65535),
        scoring_workers=_int_setting(env, "EXAM_SCORING_WORKERS", 1, low=1, high=64),
        redis_url=env.get("EXAM_REDIS_URL") or None,
        admin_token=env.get("EXAM_ADMIN_TOKEN") or None,
        pe_tables_dir=_path_setting(env, "EXAM_PE_TABLES_DIR"),
    )


def _path_setting(env: os._Environ[str] | dict[str, str], name: str) -> Path | None:
    raw = env.get(name)
    if not raw:
        return None
    path = Path(raw).resolve()
    if not path.is_dir():
        raise SettingsError(
            f"{name} must name an existing folder, got {raw!r}; create it or unset "
            f"{name} to use the packaged tables"
        )
    return path


def _int_setting(
    env: os._Environ[str] | dict[str, str],
    name: str,
    default: int,
    *,
    low: int,
    high: int,
) -> int:
    raw = env.get(name)
    if raw is None or raw == "":
        return default
    try:
        value = int(raw)
    except ValueError as exc:
        raise SettingsError(f"{name} must be a whole number, got {raw!r}") from exc
    if not low <= value <= high:
        raise SettingsError(f"{name} must be between {low} and {high}, got {value}")
    return value
