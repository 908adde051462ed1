"""accounts.counts.count_together: several counts, one statement, the same numbers as count()."""

from __future__ import annotations

import pytest
from django.db import connection
from django.db.models import Count
from django.test.utils import CaptureQueriesContext

from accounts.counts import count_together
from accounts.models import Region, User

pytestmark = pytest.mark.django_db


def test_the_same_numbers_as_count_in_one_statement(clerk_a: User, reviewer_a: User) -> None:
    querysets = [
        Region.objects.filter(level="street"),
        Region.objects.filter(code__startswith="340104").exclude(level="street"),
        User.objects.filter(region__code__startswith="340104"),
        User.objects.filter(username="nobody"),
        Region.objects.filter(parent__level="county").values_list("parent_id", flat=True).distinct(),
        User.objects.filter(role="clerk").order_by("-username"),
        User.objects.values("role").annotate(n=Count("id")),  # one row per role
        User.objects.none(),
        Region.objects.filter(code__in=[]),
    ]
    expected = [qs.count() for qs in querysets]
    assert expected[0] > 0 and expected[2] >= 2 and expected[3] == 0 and expected[5] >= 1 and expected[6] >= 2
    assert expected[7:] == [0, 0]
    assert expected[4] < expected[0]  # distinct over the county, not over the street
    with CaptureQueriesContext(connection) as ctx:
        assert count_together(*querysets) == expected
    assert len(ctx.captured_queries) == 1
    assert count_together() == []


def test_querysets_of_several_databases_are_refused() -> None:
    with pytest.raises(ValueError, match="several databases"):
        count_together(Region.objects.all(), User.objects.using("elsewhere"))
