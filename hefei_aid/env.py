"""Read configuration from the environment through one helper that fails loudly.

A malformed value (``DEBUG=maybe``, a ``DATABASE_URL`` that is not a URL, a
``FIELD_ENCRYPTION_KEY`` that is not base64 of 32 bytes) stops the process at
start-up with a message naming the variable, instead of running with a guess.
``*_FILE`` variants are honoured for secrets (Docker/Kubernetes secrets).
"""

from __future__ import annotations

import base64
import binascii
import os
from typing import Any
from urllib.parse import urlparse

import environ


class ImproperlyConfiguredEnv(Exception):
    pass


_TRUE = {"1", "true", "yes", "on"}
_FALSE = {"0", "false", "no", "off", ""}


def _raw(name: str) -> str | None:
    file_var = os.environ.get(f"{name}_FILE")
    if file_var:
        try:
            with open(file_var, encoding="utf-8") as fh:
                return fh.read().strip()
        except OSError as exc:
            raise ImproperlyConfiguredEnv(f"{name}_FILE={file_var!r} cannot be read: {exc}") from exc
    return os.environ.get(name)


def env_str(name: str, default: str | None = None) -> str:
    value = _raw(name)
    if value is None:
        if default is None:
            raise ImproperlyConfiguredEnv(f"environment variable {name} is required")
        return default
    return value


def env_bool(name: str, default: bool) -> bool:
    value = _raw(name)
    if value is None:
        return default
    lowered = value.strip().lower()
    if lowered in _TRUE:
        return True
    if lowered in _FALSE:
        return False
    raise ImproperlyConfiguredEnv(f"{name}={value!r} is not a boolean (use 1/0, true/false, yes/no, on/off)")


def env_int(name: str, default: int) -> int:
    value = _raw(name)
    if value is None or value == "":
        return default
    try:
        return int(value)
    except ValueError as exc:
        raise ImproperlyConfiguredEnv(f"{name}={value!r} is not an integer") from exc


def env_list(name: str, default: list[str]) -> list[str]:
    value = _raw(name)
    if value is None:
        return default
    items = [item.strip() for item in value.split(",")]
    if any(not item for item in items):
        raise ImproperlyConfiguredEnv(f"{name}={value!r} has an empty item")
    return items


def env_database(name: str, default: str | None) -> dict[str, Any]:
    value = _raw(name) or default
    if not value:
        raise ImproperlyConfiguredEnv(f"environment variable {name} is required")
    parsed = urlparse(value)
    if parsed.scheme not in {"postgres", "postgresql", "pgsql"}:
        raise ImproperlyConfiguredEnv(f"{name} must be a postgres:// URL, got scheme {parsed.scheme!r}")
    try:
        config: dict[str, Any] = environ.Env.db_url_config(value)
    except Exception as exc:  # django-environ raises several types for a bad URL
        raise ImproperlyConfiguredEnv(f"{name} is not a valid database URL: {exc}") from exc
    if not config.get("NAME"):
        raise ImproperlyConfiguredEnv(f"{name} must name a database")
    return config


def env_redis_url(name: str) -> str | None:
    value = _raw(name)
    if not value:
        return None
    parsed = urlparse(value)
    if parsed.scheme not in {"redis", "rediss", "unix"} or (parsed.scheme != "unix" and not parsed.hostname):
        raise ImproperlyConfiguredEnv(f"{name}={value!r} is not a redis:// URL")
    return value


def env_keys(name: str, default: str | None) -> list[bytes]:
    """Comma-separated base64 AES-256 keys; the first encrypts, all decrypt (rotation)."""
    value = _raw(name) or default
    if not value:
        raise ImproperlyConfiguredEnv(f"environment variable {name} is required")
    keys: list[bytes] = []
    for part in value.split(","):
        try:
            key = base64.b64decode(part.strip(), validate=True)
        except (binascii.Error, ValueError) as exc:
            raise ImproperlyConfiguredEnv(f"{name} holds a key that is not base64") from exc
        if len(key) != 32:
            raise ImproperlyConfiguredEnv(f"{name} keys must be 32 bytes (AES-256), got {len(key)}")
        keys.append(key)
    return keys
