"""Fixtures of the security tests: the authorisation-matrix world, built once per module.

The world (demo data of four streets in three counties, the personas, one record of each kind in
street A) is created inside an outer transaction that is rolled back when the module ends; every
test runs in a savepoint inside it (pytest-django's ``db``), so writes a test makes are undone and the
next test sees the same world.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from django.db import transaction
from django.test import override_settings

from tests.security.matrix_support import World, build_world


@pytest.fixture(scope="module")
def matrix_world(
    django_db_setup: None, django_db_blocker: Any, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[World]:
    from hefei_aid.celery import app

    media: Path = tmp_path_factory.mktemp("matrix-media")
    eager = app.conf.task_always_eager, app.conf.task_eager_propagates
    app.conf.task_always_eager, app.conf.task_eager_propagates = True, True
    with django_db_blocker.unblock(), override_settings(MEDIA_ROOT=str(media)):
        atomic = transaction.atomic()
        atomic.__enter__()
        try:
            yield build_world()
        finally:
            transaction.set_rollback(True)
            atomic.__exit__(None, None, None)
            app.conf.task_always_eager, app.conf.task_eager_propagates = eager
