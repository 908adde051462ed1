"""The status machine is data: every transition outside the table is refused with a clear message,
every allowed one is recorded (history + audit), and repeating a change is a no-op."""

from __future__ import annotations

import pytest

from accounts.errors import BusinessError
from accounts.models import AuditLog, Role, User
from casework.models import TRANSITIONS, Case, CaseStatus, CaseTransition, next_steps, statuses_waiting_for
from casework.services.transitions import case_transition
from tests.casework.helpers import accept, post

FORBIDDEN = [
    (src, dst)
    for src in CaseStatus.values
    for dst in CaseStatus.values
    if dst != src and dst not in TRANSITIONS.get(src, {})
]


@pytest.fixture
def case(clerk_a: User) -> Case:
    return Case.objects.get(pk=accept(clerk_a, signed=False)["case"]["id"])


def _set_status(case: Case, status: str) -> None:
    Case.objects.filter(pk=case.pk).update(status=status)


@pytest.mark.django_db
@pytest.mark.parametrize(("src", "dst"), FORBIDDEN)
def test_forbidden_transition_is_refused_in_chinese(case: Case, approver_a: User, src: str, dst: str) -> None:
    _set_status(case, src)
    with pytest.raises(BusinessError) as info:
        case_transition(case=case.pk, to=dst, actor=approver_a, reason="测试")
    assert info.value.code == "forbidden_transition"
    assert "不能" in info.value.message and str(CaseStatus(dst).label) in info.value.message
    assert Case.objects.get(pk=case.pk).status == src


@pytest.mark.django_db
def test_closed_case_says_it_is_closed(case: Case, reviewer_a: User) -> None:
    _set_status(case, CaseStatus.APPROVED)
    with pytest.raises(BusinessError) as info:
        case_transition(case=case.pk, to=CaseStatus.INVESTIGATION, actor=reviewer_a)
    assert "已办结" in info.value.message


@pytest.mark.django_db
def test_role_that_may_not_take_a_step_is_refused(case: Case, clerk_a: User, reviewer_a: User) -> None:
    _set_status(case, CaseStatus.REVIEW)
    with pytest.raises(BusinessError) as info:
        case_transition(case=case.pk, to=CaseStatus.APPROVED, actor=reviewer_a)
    assert info.value.code == "role_forbidden" and info.value.status == 403
    assert "街道审核" in info.value.message


@pytest.mark.django_db
def test_system_may_only_take_system_steps(case: Case) -> None:
    _set_status(case, CaseStatus.REVIEW)
    with pytest.raises(BusinessError) as info:
        case_transition(case=case.pk, to=CaseStatus.APPROVED, actor=None)
    assert info.value.code == "needs_person"


@pytest.mark.django_db
def test_allowed_transition_writes_history_and_audit_and_repeat_is_a_no_op(case: Case, clerk_a: User) -> None:
    before_history = CaseTransition.objects.filter(case=case).count()
    case_transition(case=case.pk, to=CaseStatus.WITHDRAWN, actor=clerk_a, reason="申请人撤回")
    row = CaseTransition.objects.filter(case=case).last()
    assert row is not None
    assert (row.from_status, row.to_status, row.actor, row.reason) == (
        CaseStatus.ACCEPTED,
        CaseStatus.WITHDRAWN,
        clerk_a,
        "申请人撤回",
    )
    audit = AuditLog.objects.get(action="case.withdraw", object_id=str(case.pk))
    assert audit.before == {"status": "accepted"} and audit.after == {"status": "withdrawn"}
    assert audit.actor == clerk_a and audit.reason == "申请人撤回" and audit.region_code == case.street_id
    case_transition(case=case.pk, to=CaseStatus.WITHDRAWN, actor=clerk_a, reason="again")
    assert CaseTransition.objects.filter(case=case).count() == before_history + 1


@pytest.mark.django_db
def test_api_answers_a_forbidden_step_with_409_and_the_current_status(case: Case, approver_a: User) -> None:
    response = post(approver_a, case.pk, "confirm")
    assert response.status_code == 409
    body = response.json()
    assert body["code"] == "forbidden_transition" and body["current_status"] == "accepted"
    assert "不能变更为" in body["detail"]


@pytest.mark.django_db
def test_buttons_come_from_the_table(case: Case, clerk_a: User, reviewer_a: User, approver_a: User) -> None:
    assert [s.action for _to, s in next_steps(CaseStatus.REVIEW, Role.APPROVER)] == ["confirm", "refuse", "send_back"]
    assert [s.action for _to, s in next_steps(CaseStatus.REVIEW, Role.CLERK)] == ["withdraw"]
    assert CaseStatus.REVIEW in statuses_waiting_for(Role.APPROVER)
    detail = post(clerk_a, case.pk, "")  # GET would do; a POST on the detail URL is not allowed
    assert detail.status_code == 405
    from tests.support import api_client

    steps = api_client(clerk_a).get(f"/api/v1/cases/{case.pk}/").json()["next_steps"]
    assert {s["action"] for s in steps} == {"start_check", "withdraw"}
