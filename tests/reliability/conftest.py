from __future__ import annotations

from typing import Any

import pytest


@pytest.fixture(autouse=True)
def _reference_data(request: pytest.FixtureRequest) -> Any:
    """Transactional tests start after a flush: put the migrations' reference data back first."""
    marker = request.node.get_closest_marker("django_db")
    if marker is not None and marker.kwargs.get("transaction"):
        request.getfixturevalue("transactional_db")
        from tests.casework.reference_data import ensure_reference_data

        ensure_reference_data()
    yield
