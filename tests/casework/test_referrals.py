"""Referrals (转介): the life cycle as data, answer deadlines in working days, overdue; conferences."""

from __future__ import annotations

import datetime as dt

import pytest

from accounts.models import AuditLog, User
from casework.models import Case
from casework.models.referrals import REFERRAL_TRANSITIONS, CaseConference, Referral, ReferralEvent, ReferralStatus
from casework.services.referrals import referral_act, referral_create
from tests.casework.plans_support import client_for, open_case, social_worker
from tests.support import api_client

pytestmark = pytest.mark.django_db
D = dt.date


def _referral(case: Case, actor: User) -> Referral:
    return referral_create(
        actor=actor, case=case, target_kind="department", target="区住房和城乡建设局", need="申请公租房实物配租"
    )


def _drafted_on(referral: Referral, day: D) -> None:
    """Test-only shortcut: the referral was drafted on ``day``."""
    Referral.objects.filter(pk=referral.pk).update(created_at=dt.datetime.combine(day, dt.time(9), tzinfo=dt.UTC))


def test_life_cycle_drafted_sent_acknowledged_answered_closed(clerk_a: User, reviewer_a: User) -> None:
    case = open_case(clerk_a)
    api = api_client(reviewer_a)
    response = api.post(
        "/api/v1/referrals/",
        {
            "case": case.pk,
            "target_kind": "department",
            "target": "区医疗保障局",
            "need": "住院自付费用高，申请医疗救助",
        },
        format="json",
    )
    assert response.status_code == 201, response.content
    rid = response.json()["id"]
    assert response.json()["status"] == "drafted"
    for step in ("send", "acknowledge"):
        response = api.post(f"/api/v1/referrals/{rid}/{step}/", {}, format="json")
        assert response.status_code == 200, response.content
    body = api.post(
        f"/api/v1/referrals/{rid}/answer/",
        {"result": "declined", "answer": "不符合医疗救助条件：已由大病保险全额报销。"},
        format="json",
    ).json()
    assert body["status"] == "answered" and body["result"] == "declined" and body["answered_on"]
    body = api.post(f"/api/v1/referrals/{rid}/close/", {"note": "已告知申请人"}, format="json").json()
    assert body["status"] == "closed" and body["closed_on"]
    assert [e["to_status"] for e in body["events"]] == ["drafted", "sent", "acknowledged", "answered", "closed"]
    actions = list(
        AuditLog.objects.filter(object_id=str(rid), object_type="casework.referral").values_list("action", flat=True)
    )
    assert sorted(actions) == sorted(
        ["referral.create", "referral.send", "referral.acknowledge", "referral.answer", "referral.close"]
    )
    answer_row = AuditLog.objects.get(action="referral.answer", object_id=str(rid))
    assert answer_row.before == {"status": "acknowledged"} and answer_row.after["result"] == "declined"


def test_the_table_allows_answering_without_acknowledging_but_nothing_else_skips() -> None:
    assert set(REFERRAL_TRANSITIONS[ReferralStatus.SENT]) == {ReferralStatus.ACKNOWLEDGED, ReferralStatus.ANSWERED}
    assert ReferralStatus.CLOSED not in REFERRAL_TRANSITIONS[ReferralStatus.SENT]
    assert ReferralStatus.CLOSED not in REFERRAL_TRANSITIONS  # closed is final


def test_forbidden_step_is_409_with_current_status_and_repeat_is_a_no_op(clerk_a: User, reviewer_a: User) -> None:
    case = open_case(clerk_a)
    referral = _referral(case, reviewer_a)
    api = api_client(reviewer_a)
    response = api.post(f"/api/v1/referrals/{referral.pk}/close/", {}, format="json")
    assert response.status_code == 409
    assert response.json()["current_status"] == "drafted" and "草拟" in response.json()["detail"]
    referral_act(actor=reviewer_a, referral=referral, action="send")
    referral_act(actor=reviewer_a, referral=referral, action="send")
    assert ReferralEvent.objects.filter(referral=referral, action="send").count() == 1


def test_answer_needs_a_result_and_the_departments_words_and_writes_nothing_otherwise(
    clerk_a: User, reviewer_a: User
) -> None:
    case = open_case(clerk_a)
    referral = _referral(case, reviewer_a)
    referral_act(actor=reviewer_a, referral=referral, action="send")
    api = api_client(reviewer_a)
    response = api.post(f"/api/v1/referrals/{referral.pk}/answer/", {"answer": ""}, format="json")
    assert response.status_code == 400 and set(response.json()) == {"result", "answer"}
    page = client_for(reviewer_a).post(
        f"/referrals/{referral.pk}/answer/", {f"r{referral.pk}-answer-on": "", f"r{referral.pk}-answer-answer": ""}
    )
    assert page.status_code == 400 and "该字段是必填项" in page.content.decode()
    referral.refresh_from_db()
    assert referral.status == ReferralStatus.SENT and not referral.events.filter(action="answer").exists()


def test_answer_deadline_counts_working_days_across_national_day(clerk_a: User, reviewer_a: User) -> None:
    case = open_case(clerk_a)
    referral = _referral(case, reviewer_a)
    _drafted_on(referral, D(2025, 9, 25))
    sent = referral_act(actor=reviewer_a, referral=referral, action="send", on=D(2025, 9, 26))
    # Sun 09-28 (make-up), 09-29, 09-30, then after the holiday 10-09, 10-10, Sat 10-11 (make-up), 10-13…10-16.
    assert sent.due_on == D(2025, 10, 16) and not sent.due_provisional
    with pytest.raises(Exception) as too_early:
        referral_act(actor=reviewer_a, referral=referral, action="acknowledge", on=D(2025, 9, 20))
    assert "不能早于转介发送日期" in str(too_early.value)


def test_unanswered_referral_past_its_deadline_is_overdue_everywhere(clerk_a: User, reviewer_a: User) -> None:
    case = open_case(clerk_a)
    late = _referral(case, reviewer_a)
    _drafted_on(late, D(2025, 9, 25))
    referral_act(actor=reviewer_a, referral=late, action="send", on=D(2025, 9, 26))
    fresh = _referral(case, reviewer_a)
    referral_act(actor=reviewer_a, referral=fresh, action="send")
    api = api_client(reviewer_a)
    overdue = api.get("/api/v1/referrals/?overdue=1").json()["results"]
    assert [r["id"] for r in overdue] == [late.pk] and overdue[0]["overdue"] is True
    hub = client_for(reviewer_a).get("/assistance/?tab=overdue").content.decode()
    assert "逾期未答复" in hub and case.receipt_no in hub
    chain = client_for(reviewer_a).get(f"/cases/{case.pk}/referrals/").content.decode()
    assert 'class="ref overdue"' in chain
    # Answered late is no longer overdue.
    referral_act(actor=reviewer_a, referral=late, action="answer", result="accepted", answer="同意配租公租房一套")
    assert api.get("/api/v1/referrals/?overdue=1").json()["results"] == []


def test_withdrawing_a_draft_needs_a_reason_and_a_street_lead(
    clerk_a: User, reviewer_a: User, approver_a: User
) -> None:
    case = open_case(clerk_a)
    worker = social_worker()
    from casework.services.plans import case_assign_social_worker

    case_assign_social_worker(actor=approver_a, case=case, social_worker=worker)
    referral = _referral(case, worker)
    response = api_client(worker).post(f"/api/v1/referrals/{referral.pk}/withdraw/", {"note": "重复"}, format="json")
    assert response.status_code == 403
    response = api_client(reviewer_a).post(f"/api/v1/referrals/{referral.pk}/withdraw/", {"note": ""}, format="json")
    assert response.status_code == 400 and "note" in response.json()
    response = api_client(reviewer_a).post(
        f"/api/v1/referrals/{referral.pk}/withdraw/", {"note": "重复转介"}, format="json"
    )
    assert response.status_code == 200 and response.json()["status"] == "closed"


def test_the_page_shows_the_buttons_the_table_allows(clerk_a: User, reviewer_a: User) -> None:
    case = open_case(clerk_a)
    referral = _referral(case, reviewer_a)
    client = client_for(reviewer_a)
    page = client.get(f"/cases/{case.pk}/referrals/").content.decode()
    assert 'data-action="send"' in page and 'data-action="withdraw"' in page and 'data-action="answer"' not in page
    response = client.post(f"/referrals/{referral.pk}/send/", {f"r{referral.pk}-send-on": dt.date.today().isoformat()})
    assert response.status_code == 302
    page = client.get(f"/cases/{case.pk}/referrals/").content.decode()
    assert 'data-action="acknowledge"' in page and 'data-action="answer"' in page and 'data-action="send"' not in page
    assert "已发送，待签收" in page


def test_case_conference_records_participants_and_measures_and_feeds_a_referral(
    clerk_a: User, reviewer_a: User
) -> None:
    case = open_case(clerk_a)
    client = client_for(reviewer_a)
    bad = client.post(
        f"/cases/{case.pk}/referrals/act/conference/",
        {
            "cf-held_on": dt.date.today().isoformat(),
            "cf-participants": "李强 街道",
            "cf-discussion": "x",
            "cf-measures": "",
        },
    )
    assert bad.status_code == 400 and "至少有两名参会人员" in bad.content.decode()
    assert not CaseConference.objects.exists()
    response = client.post(
        f"/cases/{case.pk}/referrals/act/conference/",
        {
            "cf-held_on": dt.date.today().isoformat(),
            "cf-place": "街道社工站",
            "cf-participants": "李强 街道审核\n周婷 社工\n王主任 社区居委会",
            "cf-discussion": "家庭因病支出大，孩子上学需要资助。",
            "cf-measures": "转介医保局申请医疗救助\n链接教育资助",
        },
    )
    assert response.status_code == 302
    meeting = CaseConference.objects.get()
    assert meeting.participants == ["李强 街道审核", "周婷 社工", "王主任 社区居委会"]
    assert meeting.measures == ["转介医保局申请医疗救助", "链接教育资助"]
    assert AuditLog.objects.filter(action="conference.record", object_id=str(meeting.pk)).exists()
    response = api_client(reviewer_a).post(
        "/api/v1/referrals/",
        {
            "case": case.pk,
            "target_kind": "department",
            "target": "区教育局",
            "need": "学生资助",
            "conference": meeting.pk,
        },
        format="json",
    )
    assert response.status_code == 201 and response.json()["conference"] == meeting.pk
    listed = api_client(reviewer_a).get(f"/api/v1/conferences/?case={case.pk}").json()["results"]
    assert listed[0]["measures"] == ["转介医保局申请医疗救助", "链接教育资助"]
