"""Reload the data-migration reference tables after a transactional test flushed them.

``transaction=True`` tests (the concurrency tests, the browser test) end with a flush that also
empties the tables data migrations filled: regions, policy parameters, the working calendar.
Django's ``serialized_rollback`` restores them but re-saves ~10,000 rows per test (tens of
seconds); re-running the three data migrations' loaders takes a fraction of a second.
"""

from __future__ import annotations

import importlib

from django.apps import apps
from django.conf import settings

# For ``@pytest.mark.django_db(transaction=True, available_apps=ALL_APPS)``: the teardown flush then
# skips the post_migrate signal, so content types are not re-created with new keys under the feet
# of a later ``serialized_rollback`` test (which reloads the original ones).
ALL_APPS = list(settings.INSTALLED_APPS)

LOADERS = [
    ("accounts.models", "Region", "accounts.migrations.0002_load_regions"),
    ("eligibility.models", "PolicyParameter", "eligibility.migrations.0002_default_parameters"),
    ("casework.models", "WorkingCalendar", "casework.migrations.0002_seed_working_calendar"),
]


def ensure_reference_data() -> None:
    for models_module, model_name, migration in LOADERS:
        model = getattr(importlib.import_module(models_module), model_name)
        if model.objects.exists():
            continue
        operations = importlib.import_module(migration).Migration.operations
        for operation in operations:
            operation.code(apps, None)
