"""The case page's charity panel asks two questions in one raw statement (charity.hooks._case_panel_flags):
the same answers as the ORM's ``handoffs_visible_to(...).exists()`` and ``funds_for_case(...).exists()``."""

from __future__ import annotations

from typing import Any

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from accounts.models import User
from charity import selectors
from charity.hooks import _case_panel_flags
from charity.models import REFERRER_ROLES, Fund
from tests.charity.helpers import refer

pytestmark = pytest.mark.django_db


def _orm(user: User, case: Any, may_refer: bool) -> tuple[bool, bool]:
    has_handoffs = selectors.handoffs_visible_to(user).filter(case_id=case.pk).exists()
    return has_handoffs, may_refer and selectors.funds_for_case(user, case).exists()


def test_the_same_answers_as_the_orm_for_every_role_and_case(
    clerk_a: User,
    reviewer_a: User,
    clerk_b: User,
    supervisor_shushan: User,
    supervisor_feixi: User,
    city_admin: User,
    charity_shushan: User,
    charity_feixi: User,
    county_fund: Fund,
    feixi_fund: Fund,
    case_a: Any,
    case_b: Any,
) -> None:
    users = [clerk_a, reviewer_a, clerk_b, supervisor_shushan, supervisor_feixi, city_admin, charity_shushan]
    users.append(charity_feixi)
    answers = {}
    for stage in ("no hand-off", "case_a referred", "funds closed"):
        if stage == "case_a referred":
            refer(clerk_a, case_a, county_fund)
        if stage == "funds closed":
            Fund.objects.update(active=False)
        for user in users:
            for case in (case_a, case_b):
                may_refer = user.role in REFERRER_ROLES
                with CaptureQueriesContext(connection) as ctx:
                    flags = _case_panel_flags(user, case, may_refer)
                assert flags == _orm(user, case, may_refer), (stage, user.username, case.pk)
                assert len(ctx.captured_queries) <= 1
                answers[(stage, user.username, case.pk)] = flags
    # the comparison covered both answers of both questions
    assert {a[0] for a in answers.values()} == {True, False} and {a[1] for a in answers.values()} == {True, False}
    assert answers[("case_a referred", "clerk_a", case_a.pk)][0] is True
    assert answers[("case_a referred", "clerk_b", case_a.pk)][0] is False  # another street's hand-off
    assert answers[("funds closed", "clerk_a", case_a.pk)] == (True, False)
