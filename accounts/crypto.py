"""Field encryption at rest (AES-256-GCM) with key rotation, and blind indexes.

Stored form: ``g1:<key id>:<base64(nonce ‖ ciphertext ‖ tag)>``. The first key
of ``FIELD_ENCRYPTION_KEYS`` encrypts; every listed key decrypts, so a new key
is rolled out by putting it first and running ``manage.py rotate_field_keys``.

Exact lookup (is this resident ID already a member?) uses a blind index:
HMAC-SHA256 under a key derived from the primary key with HKDF, so equal
plaintexts give equal digests but the digest reveals nothing without the key.
The rotation command recomputes the indexes with the new key.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import os
from functools import lru_cache
from typing import Any

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from cryptography.hazmat.primitives.kdf.hkdf import HKDF
from django.conf import settings
from django.db import models

PREFIX = "g1"


class DecryptionError(Exception):
    pass


def _key_id(key: bytes) -> str:
    return hashlib.sha256(b"hefei-aid-key-id" + key).hexdigest()[:8]


@lru_cache(maxsize=8)
def _keyring(keys: tuple[bytes, ...]) -> tuple[str, dict[str, AESGCM]]:
    ring = {_key_id(k): AESGCM(k) for k in keys}
    return _key_id(keys[0]), ring


def _current() -> tuple[str, dict[str, AESGCM]]:
    return _keyring(tuple(settings.FIELD_ENCRYPTION_KEYS))


def encrypt(plaintext: str) -> str:
    key_id, ring = _current()
    nonce = os.urandom(12)
    sealed = ring[key_id].encrypt(nonce, plaintext.encode("utf-8"), PREFIX.encode())
    return f"{PREFIX}:{key_id}:{base64.b64encode(nonce + sealed).decode('ascii')}"


def decrypt(token: str) -> str:
    try:
        prefix, key_id, payload = token.split(":", 2)
    except ValueError as exc:
        raise DecryptionError("not an encrypted value") from exc
    if prefix != PREFIX:
        raise DecryptionError(f"unknown format {prefix!r}")
    _, ring = _current()
    cipher = ring.get(key_id)
    if cipher is None:
        raise DecryptionError(f"no key {key_id} in FIELD_ENCRYPTION_KEY")
    raw = base64.b64decode(payload)
    try:
        return cipher.decrypt(raw[:12], raw[12:], PREFIX.encode()).decode("utf-8")
    except InvalidTag as exc:
        raise DecryptionError("ciphertext was tampered with or the key is wrong") from exc


def needs_rotation(token: str) -> bool:
    key_id, _ = _current()
    return not token.startswith(f"{PREFIX}:{key_id}:")


@lru_cache(maxsize=8)
def _index_key(primary: bytes) -> bytes:
    return HKDF(algorithm=hashes.SHA256(), length=32, salt=None, info=b"hefei-aid blind index").derive(primary)


def blind_index(value: str) -> str:
    key = _index_key(settings.FIELD_ENCRYPTION_KEYS[0])
    return hmac.new(key, value.strip().upper().encode("utf-8"), hashlib.sha256).hexdigest()


def mask_id(value: str | None) -> str:
    """``340104199001011234`` → ``340104********1234`` (first 6 and last 4, DOMAIN §9)."""
    if not value:
        return ""
    if len(value) <= 10:
        return "*" * len(value)
    return value[:6] + "*" * (len(value) - 10) + value[-4:]


def mask_phone(value: str | None) -> str:
    if not value:
        return ""
    return value[:3] + "*" * max(len(value) - 7, 0) + value[-4:] if len(value) > 7 else "*" * len(value)


def mask_account(value: str | None) -> str:
    if not value:
        return ""
    return "*" * max(len(value) - 4, 0) + value[-4:]


class EncryptedTextField(models.TextField):
    """A text column stored encrypted; Python code sees plaintext.

    Not searchable or orderable in SQL by design: pair it with a blind-index column.
    """

    def from_db_value(self, value: Any, expression: Any, connection: Any) -> str | None:
        if value is None or value == "":
            return value
        return decrypt(value)

    def get_prep_value(self, value: Any) -> Any:
        value = super().get_prep_value(value)
        if value is None or value == "":
            return value
        return encrypt(str(value))
