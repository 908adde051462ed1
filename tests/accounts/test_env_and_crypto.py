from __future__ import annotations

import base64
import logging

import pytest
from django.core.management import call_command
from django.db import connection

from accounts import crypto
from accounts.logging import MaskResidentIdFilter, mask_ids_in_text
from applications.models import Household, Member
from hefei_aid import env
from tests.support import make_resident_id

KEY_A = base64.b64encode(b"A" * 32).decode()
KEY_B = base64.b64encode(b"B" * 32).decode()


@pytest.mark.parametrize(
    ("name", "value", "call", "message"),
    [
        ("DEBUG", "maybe", lambda: env.env_bool("DEBUG", default=True), "not a boolean"),
        ("DB_CONN_MAX_AGE", "sixty", lambda: env.env_int("DB_CONN_MAX_AGE", 60), "not an integer"),
        ("DATABASE_URL", "mysql://x/y", lambda: env.env_database("DATABASE_URL", None), "postgres://"),
        ("REDIS_URL", "localhost:6379", lambda: env.env_redis_url("REDIS_URL"), "redis://"),
        ("FIELD_ENCRYPTION_KEY", "not base64!", lambda: env.env_keys("FIELD_ENCRYPTION_KEY", None), "base64"),
        (
            "FIELD_ENCRYPTION_KEY",
            base64.b64encode(b"short").decode(),
            lambda: env.env_keys("FIELD_ENCRYPTION_KEY", None),
            "32 bytes",
        ),
        ("ALLOWED_HOSTS", "a,,b", lambda: env.env_list("ALLOWED_HOSTS", []), "empty item"),
    ],
)
def test_env_helper_fails_loudly_on_malformed_values(monkeypatch, name, value, call, message) -> None:  # type: ignore[no-untyped-def]
    monkeypatch.setenv(name, value)
    with pytest.raises(env.ImproperlyConfiguredEnv, match=message):
        call()


def test_env_helper_reads_values_and_file_secrets(monkeypatch, tmp_path) -> None:  # type: ignore[no-untyped-def]
    monkeypatch.setenv("DEBUG", "off")
    assert env.env_bool("DEBUG", default=True) is False
    secret = tmp_path / "key"
    secret.write_text(KEY_A + "\n")
    monkeypatch.setenv("FIELD_ENCRYPTION_KEY_FILE", str(secret))
    assert env.env_keys("FIELD_ENCRYPTION_KEY", None) == [b"A" * 32]
    monkeypatch.setenv("DATABASE_URL", "postgres://u:p@db.example:5433/aid")
    config = env.env_database("DATABASE_URL", None)
    assert (config["HOST"], config["PORT"], config["NAME"]) == ("db.example", 5433, "aid")


def test_ciphertext_is_authenticated(settings) -> None:  # type: ignore[no-untyped-def]
    settings.FIELD_ENCRYPTION_KEYS = [b"A" * 32]
    token = crypto.encrypt("340104198005171234")
    assert "340104198005171234" not in token
    assert crypto.decrypt(token) == "340104198005171234"
    tampered = token[:-4] + ("AAAA" if not token.endswith("AAAA") else "BBBB")
    with pytest.raises(crypto.DecryptionError):
        crypto.decrypt(tampered)


def test_masking_helpers() -> None:
    assert crypto.mask_id("34010419800517123X") == "340104********123X"
    assert crypto.mask_phone("13812345678") == "138****5678"
    assert crypto.mask_account("6228480012345678901") == "***************8901"


def test_log_filter_masks_resident_ids() -> None:
    number = "34010419800517123X"
    assert mask_ids_in_text(f"lookup {number} failed") == "lookup 340104********123X failed"
    record = logging.LogRecord("x", logging.INFO, __file__, 1, "checking %s", (number,), None)
    MaskResidentIdFilter().filter(record)
    assert number not in record.getMessage()


@pytest.mark.django_db
def test_key_rotation_reencrypts_and_keeps_lookup(settings, household_a: Household) -> None:  # type: ignore[no-untyped-def]
    full_id = make_resident_id(seq=123)
    old_primary = settings.FIELD_ENCRYPTION_KEYS[0]
    with connection.cursor() as cur:
        cur.execute("SELECT id_number FROM applications_member ORDER BY id LIMIT 1")
        (before,) = cur.fetchone()
    settings.FIELD_ENCRYPTION_KEYS = [b"N" * 32, old_primary]  # new key first, old still decrypts
    call_command("rotate_field_keys", stdout=open("/dev/null", "w"))
    with connection.cursor() as cur:
        cur.execute("SELECT id_number FROM applications_member ORDER BY id LIMIT 1")
        (after,) = cur.fetchone()
    assert before.split(":")[1] != after.split(":")[1]
    assert not crypto.needs_rotation(after)
    settings.FIELD_ENCRYPTION_KEYS = [b"N" * 32]  # the old key is gone: everything still reads
    member = Member.objects.get(id_index=crypto.blind_index(full_id))
    assert member.id_number == full_id
    assert Household.objects.get(pk=household_a.pk).phone == "13812345678"
