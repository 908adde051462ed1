"""Joint review: separation of duties, the concurrent-approval case, adjustments and send-backs."""

from __future__ import annotations

import threading
from decimal import Decimal

import pytest
from django.db import connection

from accounts.models import Role, User
from casework.models import Case, CaseStatus, Decision, Opinion
from casework.services.review import case_confirm
from tests.casework.helpers import accept, investigate, post, walk_to_review
from tests.casework.reference_data import ALL_APPS
from tests.support import STREET_A, api_client


@pytest.mark.django_db
def test_clerk_who_accepted_cannot_approve_even_after_becoming_an_approver(
    clerk_a: User, reviewer_a: User, reviewer_a2: User
) -> None:
    case_id = walk_to_review(clerk_a, reviewer_a, reviewer_a2)
    clerk_a.role = Role.APPROVER
    clerk_a.save()
    response = post(clerk_a, case_id, "confirm")
    assert response.status_code == 403
    assert response.json()["code"] == "separation_of_duties"
    assert not Decision.objects.filter(case_id=case_id).exists()


@pytest.mark.django_db
def test_investigator_cannot_approve(clerk_a: User, reviewer_a: User, approver_a: User) -> None:
    case_id = accept(clerk_a)["case"]["id"]
    assert investigate(reviewer_a, approver_a, case_id).status_code == 200  # the approver went on the visit
    post(reviewer_a, case_id, "opinion")
    post(reviewer_a, case_id, "notice")
    from tests.casework.helpers import end_notice

    end_notice(case_id)
    post(reviewer_a, case_id, "close-notice")
    for action in ("confirm", "refuse", "send-back"):
        response = post(approver_a, case_id, action, {"reasons": "不符合条件的理由", "reason": "退回的理由"})
        assert response.status_code == 403, action
        assert "职责分离" in response.json()["detail"]


@pytest.mark.django_db
def test_investigation_needs_two_staff_of_the_street(clerk_a: User, reviewer_a: User, clerk_b: User) -> None:
    case_id = accept(clerk_a)["case"]["id"]
    response = post(
        reviewer_a,
        case_id,
        "investigation",
        {"visited_on": "2020-01-01", "investigators": [reviewer_a.pk, clerk_b.pk], "findings": "短"},
    )
    assert response.status_code == 400
    body = response.json()
    assert set(body) >= {"investigators", "visited_on", "findings"}


@pytest.mark.django_db(transaction=True, available_apps=ALL_APPS)
def test_two_approvers_confirming_at_once_produce_exactly_one_decision(
    clerk_a: User, reviewer_a: User, reviewer_a2: User, approver_a: User
) -> None:
    case_id = walk_to_review(clerk_a, reviewer_a, reviewer_a2)
    second = User.objects.create_user(
        username="approver_a_deputy", password="pw-Test-12345", role=Role.APPROVER, region_id=STREET_A
    )
    barrier = threading.Barrier(2)
    results: list[str] = []

    def confirm(user: User) -> None:
        try:
            barrier.wait(timeout=10)
            case_confirm(actor=user, case=Case.objects.get(pk=case_id))
            results.append("ok")
        except Exception as exc:  # the loser sees the decision made under the lock
            results.append(getattr(exc, "code", type(exc).__name__))
        finally:
            connection.close()  # each thread has its own database connection

    threads = [threading.Thread(target=confirm, args=(u,)) for u in (approver_a, second)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=30)
    assert sorted(results) == ["already_decided", "ok"]
    assert Decision.objects.filter(case_id=case_id).count() == 1
    assert Case.objects.get(pk=case_id).status == CaseStatus.APPROVED


@pytest.mark.django_db
def test_reviewer_adjustment_needs_a_written_reason(clerk_a: User, reviewer_a: User, reviewer_a2: User) -> None:
    case_id = accept(clerk_a)["case"]["id"]
    investigate(reviewer_a, reviewer_a2, case_id)
    response = post(reviewer_a, case_id, "opinion", {"monthly_amount": "1000.00"})
    assert response.status_code == 400 and "adjustment_reason" in response.json()
    response = post(
        reviewer_a, case_id, "opinion", {"monthly_amount": "1000.00", "adjustment_reason": "入户核实医疗支出较大"}
    )
    assert response.status_code == 200
    opinion = Opinion.objects.get(case_id=case_id)
    assert opinion.adjusted and opinion.engine_monthly_amount == Decimal("925.20")
    assert opinion.monthly_amount == Decimal("1000.00")


@pytest.mark.django_db
def test_objection_sends_case_back_to_reinvestigation(
    clerk_a: User, reviewer_a: User, reviewer_a2: User, approver_a: User
) -> None:
    case_id = accept(clerk_a)["case"]["id"]
    investigate(reviewer_a, reviewer_a2, case_id)
    post(reviewer_a, case_id, "opinion")
    post(reviewer_a, case_id, "notice")
    response = post(clerk_a, case_id, "objection", {"content": "邻居反映其家中有一辆轿车", "objector": "匿名"})
    assert response.status_code == 200, response.content
    body = response.json()
    assert body["status"] == CaseStatus.INVESTIGATION
    assert body["notices"][-1]["withdrawn_for_objection"] is True
    assert body["objections"][0]["content"] == "邻居反映其家中有一辆轿车"
    assert body["confirm_due"] is None
    # Re-investigation, a new opinion and a new notice follow.
    assert investigate(reviewer_a, reviewer_a2, case_id).status_code == 200
    assert post(reviewer_a, case_id, "opinion").status_code == 200
    assert post(reviewer_a, case_id, "notice").status_code == 200
    assert len(api_client(reviewer_a).get(f"/api/v1/cases/{case_id}/").json()["notices"]) == 2


@pytest.mark.django_db
def test_notice_close_job_moves_ended_notices_to_review(clerk_a: User, reviewer_a: User, reviewer_a2: User) -> None:
    from casework.tasks import close_ended_notices
    from tests.casework.helpers import end_notice

    case_id = accept(clerk_a)["case"]["id"]
    investigate(reviewer_a, reviewer_a2, case_id)
    post(reviewer_a, case_id, "opinion")
    post(reviewer_a, case_id, "notice")
    assert close_ended_notices.delay().get() == 0
    end_notice(case_id)
    assert close_ended_notices.delay().get() == 1
    assert Case.objects.get(pk=case_id).status == CaseStatus.REVIEW
    assert close_ended_notices.delay().get() == 0  # idempotent


@pytest.mark.django_db
def test_send_back_and_withdraw(clerk_a: User, reviewer_a: User, reviewer_a2: User, approver_a: User) -> None:
    case_id = walk_to_review(clerk_a, reviewer_a, reviewer_a2)
    response = post(approver_a, case_id, "send-back", {"reason": "收入核实不充分"})
    assert response.status_code == 200 and response.json()["status"] == CaseStatus.INVESTIGATION
    response = post(clerk_a, case_id, "withdraw", {"reason": "申请人撤回"})
    assert response.status_code == 200 and response.json()["status"] == CaseStatus.WITHDRAWN
    assert post(reviewer_a, case_id, "opinion").status_code == 409
