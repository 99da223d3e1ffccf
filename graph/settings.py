"""Where the graph lives: one configuration for a local server, Docker, or an existing one.

Read from the environment, then from a git-ignored ``.env`` in the working directory
(the environment wins). When ``NEO4J_URI`` is unset, flowatlas manages a local Neo4j under
``FLOWATLAS_HOME`` (default ``.flowatlas``) and reads its generated password from there.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

from dotenv import dotenv_values

DEFAULT_HOME = ".flowatlas"
DEFAULT_BOLT_PORT = 7687
DEFAULT_HEAP = "2g"
DEFAULT_PAGECACHE = "1g"


@dataclass(frozen=True)
class LocalServerSettings:
    """How flowatlas runs its own Neo4j when no ``NEO4J_URI`` is given."""

    home: Path
    bolt_port: int
    heap: str
    pagecache: str

    @property
    def uri(self) -> str:
        return f"bolt://127.0.0.1:{self.bolt_port}"

    @property
    def password_file(self) -> Path:
        return self.home / "neo4j" / "password"


@dataclass(frozen=True)
class Settings:
    uri: str
    user: str
    password: str | None
    database: str | None
    local: LocalServerSettings | None  # None when the server is someone else's

    @property
    def is_local(self) -> bool:
        return self.local is not None


def load_settings(env: dict[str, str] | None = None, dotenv_path: Path | None = None) -> Settings:
    """Resolve the settings; ``env`` defaults to ``os.environ`` merged over ``.env``."""
    values = _merged_environment(env, dotenv_path)
    local = _local_settings(values)
    uri = values.get("NEO4J_URI") or None
    if uri:
        return Settings(
            uri=uri,
            user=values.get("NEO4J_USER", "neo4j"),
            password=values.get("NEO4J_PASSWORD"),
            database=values.get("NEO4J_DATABASE") or None,
            local=None,
        )
    # The local server's password is the one it was initialised with, never the environment's.
    return Settings(
        uri=local.uri,
        user="neo4j",
        password=_read_password(local.password_file),
        database=values.get("NEO4J_DATABASE") or None,
        local=local,
    )


def _merged_environment(env: dict[str, str] | None, dotenv_path: Path | None) -> dict[str, str]:
    if env is not None:
        return dict(env)
    path = dotenv_path or Path.cwd() / ".env"
    from_file = (
        {k: v for k, v in dotenv_values(path).items() if v is not None} if path.is_file() else {}
    )
    return {**from_file, **os.environ}


def _local_settings(values: dict[str, str]) -> LocalServerSettings:
    port_text = values.get("FLOWATLAS_NEO4J_PORT", str(DEFAULT_BOLT_PORT))
    try:
        port = int(port_text)
    except ValueError:
        raise ValueError(f"FLOWATLAS_NEO4J_PORT must be a port number, not {port_text!r}") from None
    return LocalServerSettings(
        home=Path(values.get("FLOWATLAS_HOME", DEFAULT_HOME)).absolute(),
        bolt_port=port,
        heap=values.get("FLOWATLAS_NEO4J_HEAP", DEFAULT_HEAP),
        pagecache=values.get("FLOWATLAS_NEO4J_PAGECACHE", DEFAULT_PAGECACHE),
    )


def _read_password(path: Path) -> str | None:
    try:
        return path.read_text(encoding="utf-8").strip() or None
    except FileNotFoundError:
        return None
