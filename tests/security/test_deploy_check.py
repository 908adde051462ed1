"""Issue 8: ``manage.py check --deploy`` with production settings reports nothing.

Production settings are what hefei_aid/settings.py computes with DEBUG=0 and the variables
production must supply (hefei_aid/env.py): SECRET_KEY, FIELD_ENCRYPTION_KEY, ALLOWED_HOSTS,
DATABASE_URL. They are decided when the settings module is imported, so the check runs in a fresh
process with that environment (as the deployment does) rather than with override_settings.
"""

from __future__ import annotations

import base64
import os
import secrets
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]


def production_env(**overrides: str) -> dict[str, str]:
    env = {key: value for key, value in os.environ.items() if not key.startswith(("DJANGO_", "PYTEST"))}
    env.update(
        {
            "DEBUG": "0",
            "SECRET_KEY": secrets.token_urlsafe(64),
            "FIELD_ENCRYPTION_KEY": base64.b64encode(secrets.token_bytes(32)).decode(),
            "ALLOWED_HOSTS": "jiuzhu.hefei.gov.cn",
            "DATABASE_URL": os.environ.get("DATABASE_URL", "postgres://postgres@127.0.0.1:5432/hefei_aid_dev"),
            "DJANGO_SETTINGS_MODULE": "hefei_aid.settings",
        }
    )
    env.pop("SECURE_SSL_REDIRECT", None)
    env.update(overrides)
    return env


def run_manage(env: dict[str, str], *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "manage.py", *args],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )


def test_check_deploy_reports_no_warning_with_production_settings() -> None:
    result = run_manage(production_env(), "check", "--deploy", "--fail-level", "WARNING")
    output = result.stdout + result.stderr
    assert result.returncode == 0, output
    assert "System check identified no issues (0 silenced)." in result.stdout, output


def test_the_check_does_fail_when_a_production_setting_is_weakened() -> None:
    """Guards the test above: the same command does report a weakened setting."""
    result = run_manage(production_env(SECURE_SSL_REDIRECT="0"), "check", "--deploy", "--fail-level", "WARNING")
    output = result.stdout + result.stderr
    assert result.returncode != 0 and "security.W008" in output, output


def test_production_settings_values() -> None:
    script = (
        "import django; django.setup(); from django.conf import settings as s; "
        "print(s.DEBUG, s.SECURE_HSTS_SECONDS, s.SECURE_HSTS_INCLUDE_SUBDOMAINS, s.SECURE_HSTS_PRELOAD, "
        "s.SECURE_SSL_REDIRECT, s.SESSION_COOKIE_SECURE, s.CSRF_COOKIE_SECURE, s.SECURE_REFERRER_POLICY, "
        "s.AXES_FAILURE_LIMIT, int(s.AXES_COOLOFF_TIME.total_seconds()), s.SESSION_IDLE_TIMEOUT, "
        "s.SESSION_ABSOLUTE_TIMEOUT)"
    )
    result = subprocess.run(
        [sys.executable, "-c", script], cwd=ROOT, env=production_env(), capture_output=True, text=True, check=False
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.split() == [
        "False",
        "31536000",
        "True",
        "True",
        "True",
        "True",
        "True",
        "same-origin",
        "5",
        "1800",
        "1800",
        "43200",
    ]


@pytest.mark.parametrize("missing", ["SECRET_KEY", "FIELD_ENCRYPTION_KEY"])
def test_production_refuses_to_start_without_its_secrets(missing: str) -> None:
    env = production_env()
    env.pop(missing)
    result = run_manage(env, "check", "--deploy")
    assert result.returncode != 0 and f"environment variable {missing} is required" in result.stderr
