"""Fixed personas (STYLE §9): clerk/reviewers/approver of street A, clerk of street B who must be
refused, county supervisors of 蜀山区 and 肥西县, a city administrator. Regions come from the
data migration (real NBS codes)."""

from __future__ import annotations

import os
from decimal import Decimal
from typing import Any

import pytest

from accounts.models import Region, Role, User
from tests.support import COMMUNITY_A, STREET_A, STREET_B, household_payload


@pytest.fixture(scope="session")
def django_db_modify_db_settings(django_db_modify_db_settings_parallel_suffix: None) -> None:
    """A test database per pytest process: several test runs may share one PostgreSQL server
    (developers, CI retries) without dropping each other's ``test_hefei_aid``."""
    from pytest_django.fixtures import _set_suffix_to_test_databases

    _set_suffix_to_test_databases(suffix=f"p{os.getpid()}")


@pytest.fixture(scope="session", autouse=True)
def _own_redis_database(worker_id: str) -> Any:
    """With Redis (``REDIS_URL``, as in CI), each xdist worker caches in its own Redis database:
    a test's ``cache.clear()`` flushes the whole database, and must not reset the rate-limit
    counters of a test running meanwhile in the other worker."""
    import copy

    from django.conf import settings
    from django.test.utils import override_settings

    base = os.environ.get("REDIS_URL", "")
    if not base or not worker_id.startswith("gw"):
        yield
        return
    url = f"{base.rsplit('/', 1)[0]}/{13 - int(worker_id.removeprefix('gw')) % 12}"  # db 14: the Celery tests' broker
    caches = copy.deepcopy(settings.CACHES)
    for alias in caches:
        if "redis" in caches[alias].get("BACKEND", "").lower():
            caches[alias]["LOCATION"] = url
    with override_settings(CACHES=caches):
        yield


@pytest.fixture(autouse=True)
def _default_language() -> None:
    """Every test starts in the default language: a test-client request in English leaves English
    active in the thread (LocaleMiddleware activates a language and nothing deactivates it), and a
    later test calling code directly would otherwise see English messages."""
    from django.conf import settings
    from django.utils import translation

    translation.activate(settings.LANGUAGE_CODE)


@pytest.fixture(autouse=True)
def _fast_password_hasher(settings: Any) -> None:
    """PBKDF2 costs ~0.3 s a user; tests create many users and never attack the hashes."""
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


@pytest.fixture(autouse=True)
def _reference_data(request: pytest.FixtureRequest) -> Any:
    """Transactional tests start after a flush: put the migrations' reference data back first
    (regions, policy parameters, calendar…; a table that already has rows is left alone)."""
    marker = request.node.get_closest_marker("django_db")
    if marker is not None and marker.kwargs.get("transaction"):
        request.getfixturevalue("transactional_db")
        from tests.casework.reference_data import ensure_reference_data

        ensure_reference_data()
    yield


@pytest.fixture(autouse=True)
def _database_sessions(settings: Any) -> None:
    """Sessions in the table whatever ``REDIS_URL`` says (CI sets it; a laptop does not), so query
    budgets and session tests mean the same everywhere. tests/security/test_session_cache.py tests
    the Redis copy (``cached_db``) and the user row kept with it on their own."""
    settings.SESSION_ENGINE = "django.contrib.sessions.backends.db"
    settings.AUTH_USER_CACHE = None  # nor the user row beside them (the same test file tests it)


@pytest.fixture(autouse=True)
def _celery_eager(request: pytest.FixtureRequest) -> Any:
    """Unit tests run Celery tasks in-process; tests marked celery_worker use the real broker."""
    from hefei_aid.celery import app

    if request.node.get_closest_marker("celery_worker"):
        yield
        return
    old = app.conf.task_always_eager, app.conf.task_eager_propagates
    app.conf.task_always_eager = True
    app.conf.task_eager_propagates = True
    yield
    app.conf.task_always_eager, app.conf.task_eager_propagates = old


def _user(username: str, role: str, region: str, **extra: Any) -> User:
    user = User.objects.create_user(
        username=username, password="pw-Test-12345", role=role, region_id=region, full_name=username, **extra
    )
    return user


@pytest.fixture
def clerk_a(db: Any) -> User:
    return _user("clerk_a", Role.CLERK, STREET_A)


@pytest.fixture
def reviewer_a(db: Any) -> User:
    return _user("reviewer_a", Role.REVIEWER, STREET_A)


@pytest.fixture
def reviewer_a2(db: Any) -> User:
    return _user("reviewer_a2", Role.REVIEWER, STREET_A)


@pytest.fixture
def approver_a(db: Any) -> User:
    return _user("approver_a", Role.APPROVER, STREET_A, can_reveal_ids=True)


@pytest.fixture
def clerk_b(db: Any) -> User:
    return _user("clerk_b", Role.CLERK, STREET_B)


@pytest.fixture
def supervisor_shushan(db: Any) -> User:
    return _user("supervisor_shushan", Role.SUPERVISOR, "340104", can_reveal_ids=True)


@pytest.fixture
def supervisor_feixi(db: Any) -> User:
    return _user("supervisor_feixi", Role.SUPERVISOR, "340123")


@pytest.fixture
def city_admin(db: Any) -> User:
    return _user("city_admin", Role.ADMIN, "3401", is_staff=True)


@pytest.fixture
def household_a(clerk_a: User) -> Any:
    from applications.services import household_create

    data = household_payload()
    data["street"] = Region.objects.get(code=STREET_A)
    data["community"] = Region.objects.get(code=COMMUNITY_A)
    for m in data["members"]:
        for i in m.get("incomes", []):
            i["monthly"] = Decimal(i["monthly"])
    return household_create(actor=clerk_a, data=data)
