"""The whole one-window flow through the API: intake → check → investigation → opinion → notice → decision."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest

from accounts.models import AuditLog, User
from applications.models import Application, ApplicationStatus
from casework.models import Case, CaseStatus, CaseTransition, Decision, EconomicCheckQuery
from tests.casework.helpers import accept, end_notice, investigate, post
from tests.support import api_client


@pytest.mark.django_db
def test_full_flow_from_intake_to_printable_decision(
    clerk_a: User, reviewer_a: User, reviewer_a2: User, approver_a: User
) -> None:
    body = accept(clerk_a)
    app, case = body["application"], body["case"]
    assert app["receipt_no"].startswith("340104001-") and app["status"] == ApplicationStatus.ACCEPTED
    assert case["receipt_no"] == app["receipt_no"]
    case_id = case["id"]
    # The check ran (eager Celery after commit): every department queried for both members, logged.
    detail = api_client(reviewer_a).get(f"/api/v1/cases/{case_id}/").json()
    assert detail["status"] == CaseStatus.INVESTIGATION
    assert detail["checks"][0]["status"] == "done"
    assert EconomicCheckQuery.objects.filter(case_id=case_id).count() == 8 * 2
    assert set(EconomicCheckQuery.objects.values_list("operator__username", flat=True)) == {"clerk_a"}

    assert investigate(reviewer_a, reviewer_a2, case_id).status_code == 200
    response = post(reviewer_a, case_id, "opinion")
    assert response.status_code == 200, response.content
    opinion = response.json()["opinions"][-1]
    assert opinion["tier"] == "dibao"
    assert Decimal(opinion["monthly_amount"]) == Decimal("925.20")  # 924 × 2 − (1200 − 0.3 × 924)
    assert {p["name"] for p in opinion["evaluation"]["parameters_used"]} >= {"dibao_standard"}

    response = post(reviewer_a, case_id, "notice")
    assert response.status_code == 200, response.content
    notice = response.json()["notices"][-1]
    assert notice["masked_name"] == "张*"
    assert (dt.date.fromisoformat(notice["ends_on"]) - dt.date.fromisoformat(notice["starts_on"])).days == 6

    early = post(reviewer_a, case_id, "close-notice")
    assert early.status_code == 400 and "期满后" in early.json()["detail"]
    end_notice(case_id)
    assert post(reviewer_a, case_id, "close-notice").status_code == 200

    response = post(approver_a, case_id, "confirm")
    assert response.status_code == 200, response.content
    decision = response.json()["decision"]
    assert decision["outcome"] == "approved" and decision["tier"] == "dibao"
    today = dt.date.today()
    assert decision["start_month"] == dt.date(today.year + (today.month == 12), today.month % 12 + 1, 1).isoformat()
    assert decision["evaluation"]["parameters_used"]
    stored = Decision.objects.get(case_id=case_id)
    assert stored.monthly_amount == Decimal("925.20")

    steps = list(CaseTransition.objects.filter(case_id=case_id).values_list("action", flat=True))
    assert steps == [
        "accept",
        "start_check",
        "check_complete",
        "record_investigation",
        "issue_opinion",
        "publish_notice",
        "close_notice",
        "confirm",
    ]
    assert AuditLog.objects.filter(action="case.confirm", object_id=str(case_id), actor=approver_a).exists()


@pytest.mark.django_db
def test_refusal_records_reasons(clerk_a: User, reviewer_a: User, reviewer_a2: User, approver_a: User) -> None:
    case_id = accept(clerk_a)["case"]["id"]
    investigate(reviewer_a, reviewer_a2, case_id)
    response = post(
        reviewer_a, case_id, "opinion", {"tier": "none", "monthly_amount": "0", "adjustment_reason": "入户发现隐瞒收入"}
    )
    assert response.status_code == 200, response.content
    assert response.json()["opinions"][-1]["recommendation"] == "refuse"
    # A refusal is not publicly noticed: the approver refuses directly.
    assert post(reviewer_a, case_id, "notice").status_code == 400
    response = post(approver_a, case_id, "refuse", {"reasons": "家庭人均收入高于当地低保标准。"})
    assert response.status_code == 200, response.content
    assert response.json()["status"] == CaseStatus.REFUSED
    assert Decision.objects.get(case_id=case_id).reasons == "家庭人均收入高于当地低保标准。"
    assert Application.objects.get(case__pk=case_id).status == ApplicationStatus.ACCEPTED
    assert Case.objects.get(pk=case_id).closed_on == dt.date.today()
