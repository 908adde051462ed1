"""Shared helpers for the casework tests: the intake payload and shortcuts that walk a case forward."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.test import TestCase

from accounts.models import User
from casework.models import Case, CaseStatus, PublicNotice
from tests.support import api_client, household_payload

INTAKE = "/api/v1/intake/"


def intake_payload(*, signed: bool = True, types: list[str] | None = None, **overrides: Any) -> dict[str, Any]:
    data = household_payload(**overrides)
    for m in data["members"]:
        m["authorisation_signed"] = signed
    data["application"] = {
        "channel": "window",
        "assistance_types": types or ["dibao"],
        "help_text": "丈夫工资低，妻子无业，申请低保。",
    }
    return data


def run_on_commit() -> Any:
    """Run ``transaction.on_commit`` callbacks (the Celery check) inside the test transaction."""
    return TestCase.captureOnCommitCallbacks(execute=True)


def accept(clerk: User, **kwargs: Any) -> dict[str, Any]:
    with run_on_commit():
        response = api_client(clerk).post(INTAKE, intake_payload(**kwargs), format="json")
    assert response.status_code == 201, response.content
    return response.json()


def case_url(case_id: int, action: str = "") -> str:
    return f"/api/v1/cases/{case_id}/" + (f"{action}/" if action else "")


def post(user: User, case_id: int, action: str, data: dict[str, Any] | None = None) -> Any:
    with run_on_commit():
        return api_client(user).post(case_url(case_id, action), data or {}, format="json")


def investigate(reviewer: User, other: User, case_id: int, adopt: list[str] | None = None) -> Any:
    return post(
        reviewer,
        case_id,
        "investigation",
        {
            "visited_on": dt.date.today().isoformat(),
            "investigators": [reviewer.pk, other.pk],
            "findings": "入户查看，家中陈设简单，丈夫在物业公司做保洁，妻子在家照顾老人。",
            "adopt": adopt or [],
        },
    )


def end_notice(case_id: int) -> None:
    """Seven days pass: move the running notice into the past (test-only shortcut)."""
    today = dt.date.today()
    PublicNotice.objects.filter(case_id=case_id, closed_at__isnull=True).update(
        starts_on=today - dt.timedelta(days=8), ends_on=today - dt.timedelta(days=2)
    )


def walk_to_review(clerk: User, reviewer: User, reviewer2: User, **kwargs: Any) -> int:
    body = accept(clerk, **kwargs)
    case_id = body["case"]["id"]
    assert Case.objects.get(pk=case_id).status == CaseStatus.INVESTIGATION
    assert investigate(reviewer, reviewer2, case_id).status_code == 200
    assert post(reviewer, case_id, "opinion").status_code == 200
    assert post(reviewer, case_id, "notice").status_code == 200
    end_notice(case_id)
    assert post(reviewer, case_id, "close-notice").status_code == 200
    return int(case_id)
