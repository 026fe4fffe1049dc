"""Typed settings every service shares, read from PARTIA_* environment variables (or a .env file):
where the database is, the master key that wraps every person's data key, the API tokens.

A service subclasses `ServiceSettings` with its own fields (`RegistrySettings`)."""

from __future__ import annotations

import base64
import os
import uuid
from pathlib import Path
from typing import Literal
from urllib.parse import parse_qs, unquote, urlsplit

from pydantic import Field, SecretStr
from pydantic_settings import (
    BaseSettings,
    PydanticBaseSettingsSource,
    SecretsSettingsSource,
    SettingsConfigDict,
)

from partia_kit.http.settings import HttpSettings
from partia_kit.masterkeys import MasterKeys


class ServiceSettings(HttpSettings):
    model_config = SettingsConfigDict(env_prefix="PARTIA_", env_file=".env", extra="ignore")

    @classmethod
    def settings_customise_sources(
        cls,
        settings_cls: type[BaseSettings],
        init_settings: PydanticBaseSettingsSource,
        env_settings: PydanticBaseSettingsSource,
        dotenv_settings: PydanticBaseSettingsSource,
        file_secret_settings: PydanticBaseSettingsSource,
    ) -> tuple[PydanticBaseSettingsSource, ...]:
        """Any setting may also come from a file named like its variable in lower case
        (`partia_master_key`, `partia_api_tokens`, `partia_database_url`) in the directory
        PARTIA_SECRETS_DIR names: Docker and Kubernetes mount secrets as such files, which keeps
        them out of the environment (decision 107). A variable that is set wins over a file."""
        directory = os.environ.get("PARTIA_SECRETS_DIR")
        if not directory:
            return init_settings, env_settings, dotenv_settings, file_secret_settings
        if not Path(directory).is_dir():
            raise ValueError(f"PARTIA_SECRETS_DIR {directory} is not a directory")
        files = SecretsSettingsSource(settings_cls, secrets_dir=directory)
        return init_settings, env_settings, dotenv_settings, files

    database_url: str | None = Field(
        default=None,
        description="postgresql://user:password@host:port/dbname; unset = embedded PostgreSQL",
    )
    database_schema: str = "public"
    data_dir: Path = Field(default=Path(".partia"), description="the embedded database")
    key_dir: Path | None = Field(
        default=None,
        description="where the development master key is kept when PARTIA_MASTER_KEY is unset; "
        "never inside data_dir (default: $XDG_CONFIG_HOME/partia/keys, or ~/.config/partia/keys)",
    )
    api_tokens: SecretStr = Field(
        default=SecretStr(""),
        description="development only (refused in production, decision 143): comma-separated"
        " user=token pairs, each token holding every role for the whole party",
    )
    environment: Literal["development", "production"] = Field(
        default="development",
        description="production refuses static API tokens at start-up (decision 143)",
    )
    auth_issuer: str | None = Field(
        default=None,
        description="the identity provider whose bearer tokens (JWT) are accepted: their `iss`",
    )
    auth_audience: str = Field(default="partia", description="the `aud` tokens must carry")
    auth_jwks_url: str | None = Field(
        default=None, description="where the issuer publishes its signing keys (JWKS)"
    )
    auth_jwks_file: Path | None = Field(
        default=None, description="the issuer's JWKS as a file, instead of a URL"
    )
    auth_leeway: float = Field(
        default=30.0, ge=0, le=300, description="seconds of clock skew allowed on exp and nbf"
    )
    master_key: SecretStr | None = Field(
        default=None, description="base64 of 32 random bytes; wraps every person's data key"
    )
    previous_master_keys: SecretStr = Field(
        default=SecretStr(""),
        description="comma-separated base64 master keys that wrapped keys may still be wrapped by"
        " while a rotation is under way (decision 160); empty once `rotate-master-key` is done",
    )
    pool_size: int = 10
    ready_max_projection_lag: int = Field(
        default=10_000,
        ge=0,
        description="`/ready` answers 503 while a read model is more events behind the log",
    )
    ready_max_relay_lag: int = Field(
        default=100_000,
        ge=0,
        description="`/ready` answers 503 while more events than this are not yet on Kafka"
        " (large: a broker outage must not take the API out of service, decision 111)",
    )
    metrics_host: str = "127.0.0.1"
    metrics_port: int | None = Field(
        default=None,
        description="processes without an HTTP API (`project`, `relay`) serve /health, /ready"
        " and /metrics on this port",
    )

    def tokens(self) -> dict[str, str]:
        """token -> user name"""
        pairs = [p.strip() for p in self.api_tokens.get_secret_value().split(",") if p.strip()]
        result: dict[str, str] = {}
        for pair in pairs:
            user, _, token = pair.partition("=")
            if not user or not token:
                raise ValueError("PARTIA_API_TOKENS must be comma-separated user=token pairs")
            result[token] = user
        return result

    def master_key_bytes(self) -> bytes:
        """The configured master key; with the embedded database, a development key kept outside
        the data directory (decision 022), so a copy of that directory opens nothing."""
        if self.master_key is not None:
            return _decode_key(self.master_key.get_secret_value())
        if self.database_url is not None:
            raise ValueError(
                "set PARTIA_MASTER_KEY (base64 of 32 bytes) when using an external database"
            )
        return _decode_key(development_key_file(self.data_dir, self.key_dir).read_text().strip())

    def master_keys(self) -> MasterKeys:
        """The current master key and the previous ones still accepted (a rotation)."""
        previous = self.previous_master_keys.get_secret_value().split(",")
        return MasterKeys(
            self.master_key_bytes(), [_decode_key(k.strip()) for k in previous if k.strip()]
        )


def development_key_file(data_dir: Path, key_dir: Path | None = None) -> Path:
    """The development master key of the installation in `data_dir`, created on first use in the
    user's configuration directory under the installation's id (kept in the data directory: not a
    secret), so the data directory may be moved and copied without it. A key an older version
    kept in the data directory is moved out."""
    keys = (key_dir or _default_key_dir()).resolve()
    if keys.is_relative_to(data_dir.resolve()):
        raise ValueError(f"PARTIA_KEY_DIR {keys} is inside the data directory: keep the key apart")
    data_dir.mkdir(parents=True, exist_ok=True)
    path = keys / f"{_installation_id(data_dir)}.key"
    old = data_dir / "master.key"
    if old.exists():
        if not path.exists():
            _write_new(path, old.read_text().strip())
        elif path.read_text().strip() != old.read_text().strip():
            raise ValueError(f"two different master keys: {old} and {path}; keep the right one")
        old.unlink()  # copies of the data directory made from now on hold no key
    if not path.exists():
        _write_new(path, base64.b64encode(os.urandom(32)).decode())
    return path


def _default_key_dir() -> Path:
    config = os.environ.get("XDG_CONFIG_HOME") or str(Path.home() / ".config")
    return Path(config) / "partia" / "keys"


def _installation_id(data_dir: Path) -> str:
    path = data_dir / "installation-id"
    if not path.exists():
        _write_new(path, uuid.uuid4().hex)
    return path.read_text().strip()


def _write_new(path: Path, text: str) -> None:
    """Create a file readable by its owner only, whole or not at all; never overwrite one (if
    another process made it first, theirs is used)."""
    path.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
    draft = path.with_name(f".{path.name}.{uuid.uuid4().hex}")
    fd = os.open(draft, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    try:
        with os.fdopen(fd, "w") as f:
            f.write(text)
        os.link(draft, path)  # atomic, and fails if the file exists
    except FileExistsError:
        pass
    finally:
        draft.unlink()


def _decode_key(text: str) -> bytes:
    key = base64.b64decode(text)
    if len(key) != 32:
        raise ValueError("the master key must be base64 of exactly 32 bytes")
    return key


def eventsourcing_env(database_url: str, schema: str, pool_size: int) -> dict[str, str]:
    """The `eventsourcing` library's POSTGRES_* settings for a postgresql:// URL (a unix-socket
    directory may be given as ?host=/path, as libpq allows)."""
    url = urlsplit(database_url)
    query = parse_qs(url.query)
    host = query.get("host", [url.hostname or "localhost"])[0]
    return {
        "POSTGRES_DBNAME": (url.path or "/postgres").lstrip("/") or "postgres",
        "POSTGRES_HOST": host,
        "POSTGRES_PORT": str(url.port or query.get("port", ["5432"])[0]),
        "POSTGRES_USER": unquote(url.username or "postgres"),
        "POSTGRES_PASSWORD": unquote(url.password or ""),
        "POSTGRES_SCHEMA": schema,
        "POSTGRES_POOL_SIZE": str(pool_size),
        "POSTGRES_MAX_OVERFLOW": str(pool_size),
        "POSTGRES_CONNECT_TIMEOUT": "10",
        "POSTGRES_IDLE_IN_TRANSACTION_SESSION_TIMEOUT": "10",
    }
