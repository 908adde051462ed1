"""Monitoring alerts (every rule, no duplicates, the street's queue, into an application) and
active-discovery leads (phone form, working-day deadline, follow-up); the demo data fires them."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError
from django.test import Client
from django.utils import timezone

from accounts.errors import BusinessError
from accounts.models import AuditLog, Region, User
from applications.models import Household
from casework.models import DataExchangeRecord
from casework.models.monitoring import (
    Alert,
    AlertRule,
    AlertStatus,
    DiscoveryLead,
    LeadStatus,
    MonitoringRecord,
    RuleCode,
)
from casework.models.reverification import ReverificationRun, RunKind
from casework.services import monitoring as svc
from casework.workdays import working_deadline
from tests.casework.helpers import run_on_commit
from tests.casework.test_enrolment import TODAY, dibao_family, enrol, make_household, person
from tests.support import COMMUNITY_A, STREET_A, api_client


def _head(household: Household) -> object:
    return household.members.get(relation="self")


def _scan() -> svc.ScanResult:
    with run_on_commit():
        return svc.monitoring_scan(today=TODAY)


def _rules_fired() -> set[str]:
    return set(Alert.objects.values_list("rule_id", flat=True))


@pytest.mark.django_db
def test_each_rule_fires_once_on_department_and_household_data(clerk_a: User) -> None:
    sick = dibao_family(clerk_a)
    newly_disabled = dibao_family(clerk_a)
    jobless = dibao_family(clerk_a)
    wage_fell = dibao_family(clerk_a, wage="3000")
    heavy_costs = make_household(
        clerk_a,
        [person("王五", dt.date(1975, 1, 1), incomes=[("wage", "1200")])],
        medical_expense_annual=Decimal("9000"),
        education_expense_annual=Decimal("6000"),
    )
    svc.monitoring_scan(today=TODAY)  # the households as they are now (heavy_costs already fires)
    before = set(Alert.objects.values_list("rule_id", "household_id"))
    assert before == {(RuleCode.RIGID_OVER_INCOME, heavy_costs.pk)}  # 15,000 > 12 × 1,200
    MonitoringRecord.objects.create(
        department="medical_insurance",
        kind="medical_out_of_pocket",
        id_index=_head(sick).id_index,
        amount=Decimal("25000"),
        as_of=TODAY,
    )
    MonitoringRecord.objects.create(
        department="medical_insurance",
        kind="medical_out_of_pocket",
        id_index=_head(jobless).id_index,
        amount=Decimal("15000"),
        as_of=TODAY,  # below the line
    )
    MonitoringRecord.objects.create(
        department="disabled_federation",
        kind="disability_certified",
        id_index=_head(newly_disabled).id_index,
        grade=2,
        as_of=TODAY,
    )
    MonitoringRecord.objects.create(
        department="human_resources",
        kind="unemployment_registered",
        id_index=_head(jobless).id_index,
        as_of=TODAY,
    )
    index = _head(wage_fell).id_index
    DataExchangeRecord.objects.create(
        department="tax",
        id_index=index,
        kind="wage_income",
        amount=Decimal("3000"),
        as_of=TODAY - dt.timedelta(days=90),
    )
    DataExchangeRecord.objects.create(
        department="tax", id_index=index, kind="wage_income", amount=Decimal("1500"), as_of=TODAY
    )
    result = svc.monitoring_scan(today=TODAY)
    assert (result.department_records, result.monitoring_records) == (2, 4)
    fired = {(a.rule_id, a.household_id) for a in Alert.objects.all()} - before
    assert fired == {
        (RuleCode.HIGH_MEDICAL_COST, sick.pk),
        (RuleCode.NEW_DISABILITY, newly_disabled.pk),
        (RuleCode.UNEMPLOYMENT, jobless.pk),
        (RuleCode.INCOME_DROP, wage_fell.pk),
    }
    drop = Alert.objects.get(rule_id=RuleCode.INCOME_DROP)
    assert "3000.00" in drop.message and "1500.00" in drop.message and drop.street_id == STREET_A
    # Rescanning (and re-reading everything) raises nothing twice.
    assert svc.monitoring_scan(today=TODAY).alerts == 0
    from casework.models.monitoring import ScanCursor

    ScanCursor.objects.all().delete()
    assert svc.monitoring_scan(today=TODAY).alerts == 0
    assert Alert.objects.count() == 5


@pytest.mark.django_db
def test_no_alert_when_nothing_is_worse_or_the_rule_is_off(clerk_a: User) -> None:
    household = make_household(
        clerk_a,
        [
            person(
                "赵六", dt.date(1970, 1, 1), incomes=[("wage", "2000")], disability_grade=1, disability_kind="physical"
            )
        ],
    )
    index = _head(household).id_index
    MonitoringRecord.objects.create(
        department="disabled_federation", kind="disability_certified", id_index=index, grade=2, as_of=TODAY
    )
    DataExchangeRecord.objects.create(
        department="tax", id_index=index, kind="wage_income", amount=Decimal("1900"), as_of=TODAY
    )
    DataExchangeRecord.objects.create(
        department="social_insurance", id_index=index, kind="insured_employment", value="正常", as_of=TODAY
    )
    AlertRule.objects.filter(code=RuleCode.UNEMPLOYMENT).update(enabled=False)
    MonitoringRecord.objects.create(
        department="human_resources", kind="unemployment_registered", id_index=index, as_of=TODAY
    )
    old = MonitoringRecord.objects.create(
        department="medical_insurance",
        kind="medical_out_of_pocket",
        id_index=index,
        amount=Decimal("90000"),
        as_of=TODAY - dt.timedelta(days=400),  # outside the look-back window
    )
    assert old.pk
    svc.monitoring_scan(today=TODAY)
    assert not Alert.objects.exists()


@pytest.mark.django_db
def test_new_data_about_an_enrolled_household_starts_an_immediate_recheck(clerk_a: User, approver_a: User) -> None:
    enrolment = enrol(approver_a, dibao_family(clerk_a))
    enrol(approver_a, dibao_family(clerk_a))  # no new data: not re-checked
    DataExchangeRecord.objects.create(
        department="tax",
        id_index=_head(enrolment.household).id_index,
        kind="wage_income",
        amount=Decimal("4200"),
        as_of=TODAY,
    )
    result = _scan()
    run = ReverificationRun.objects.get(pk=result.recheck_run)
    assert run.kind == RunKind.IMMEDIATE and run.household_ids == [enrolment.household_id] and run.checked == 1
    assert run.changed == 1  # the tax record disagrees with the declaration: a review task


@pytest.mark.django_db
def test_alert_queue_scoping_and_actions(clerk_a: User, reviewer_a: User, clerk_b: User) -> None:
    household = make_household(clerk_a, [person("王五", dt.date(1975, 1, 1))], medical_expense_annual=Decimal("30000"))
    svc.monitoring_scan(today=TODAY)
    alerts = list(Alert.objects.order_by("rule_id"))
    assert {a.rule_id for a in alerts} == {RuleCode.HIGH_MEDICAL_COST, RuleCode.RIGID_OVER_INCOME}
    own, other = Client(), Client()
    own.force_login(clerk_a)
    other.force_login(clerk_b)
    page = own.get("/monitoring/")
    assert page.status_code == 200 and "刚性支出超过上年收入" in page.content.decode()
    assert "王五" not in other.get("/monitoring/").content.decode()
    assert other.post(f"/monitoring/alerts/{alerts[0].pk}/application/").status_code == 404
    assert api_client(clerk_b).get(f"/api/v1/alerts/{alerts[0].pk}/").status_code == 404
    # Open an application from the alert: into the one-window intake with the household preselected.
    response = own.post(f"/monitoring/alerts/{alerts[0].pk}/application/")
    assert response.status_code == 302 and response["Location"] == f"/intake/?household={household.pk}"
    assert own.get(response["Location"]).status_code == 200
    alerts[0].refresh_from_db()
    assert alerts[0].status == AlertStatus.APPLICATION and alerts[0].handled_by == clerk_a
    with pytest.raises(ValidationError):
        svc.alert_dismiss(actor=reviewer_a, alert=alerts[1], note="")
    dismissed = svc.alert_dismiss(actor=reviewer_a, alert=alerts[1], note="入户核实，医疗费用已由大病保险报销")
    assert dismissed.status == AlertStatus.DISMISSED
    assert AuditLog.objects.filter(action__startswith="alert.").count() == 2
    with pytest.raises(BusinessError):
        svc.alert_dismiss(actor=reviewer_a, alert=alerts[1], note="再次处理")


@pytest.mark.django_db
def test_grid_worker_report_becomes_a_lead_with_a_working_day_deadline(clerk_a: User, clerk_b: User) -> None:
    client = Client()
    client.force_login(clerk_a)
    form = client.get("/monitoring/report/")
    assert form.status_code == 200 and 'name="viewport"' in form.content.decode()
    bad = client.post("/monitoring/report/", {"subject_name": "", "address": "", "reporter_name": "王建华"})
    assert bad.status_code == 400 and "该字段是必填项" in bad.content.decode()
    assert not DiscoveryLead.objects.exists()
    response = client.post(
        "/monitoring/report/",
        {
            "community": COMMUNITY_A,
            "subject_name": "胡秀英",
            "subject_phone": "13965012345",
            "address": "琥珀山庄南村12栋403室",
            "difficulties": ["elderly_alone", "illness"],
            "description": "独居老人中风后行动不便",
            "reporter_name": "王建华",
            "reporter_role": "grid_worker",
        },
    )
    lead = DiscoveryLead.objects.get()
    assert response.status_code == 302 and response["Location"] == f"/monitoring/leads/{lead.pk}/"
    expected = working_deadline(timezone.localdate(), 3)
    assert (lead.follow_up_due, lead.due_provisional, lead.status) == (
        expected.date,
        expected.provisional,
        LeadStatus.OPEN,
    )
    assert lead.subject_phone_masked == "139****2345"
    assert "13965012345" not in client.get(f"/monitoring/leads/{lead.pk}/").content.decode()
    other = Client()
    other.force_login(clerk_b)
    assert other.get(f"/monitoring/leads/{lead.pk}/").status_code == 404
    # Follow-up: a note is required; then the lead leaves the open list.
    assert client.post(f"/monitoring/leads/{lead.pk}/", {"status": "followed", "note": ""}).status_code == 400
    client.post(f"/monitoring/leads/{lead.pk}/", {"status": "followed", "note": "已入户走访，协助申请特困供养"})
    lead.refresh_from_db()
    assert lead.status == LeadStatus.FOLLOWED and lead.followed_by == clerk_a
    response = client.post(f"/monitoring/leads/{lead.pk}/", {"status": "application", "note": ""})
    assert response.status_code == 302 and response["Location"] == "/intake/"


@pytest.mark.django_db
def test_urgent_leads_are_due_next_working_day_and_overdue_ones_are_listed(clerk_a: User) -> None:
    street = Region.objects.get(code=STREET_A)
    lead = svc.lead_report(
        actor=clerk_a,
        street=street,
        community=None,
        subject_name="某某",
        address="某路1号",
        difficulties=["accident"],
        description="家中失火",
        reporter_name="李",
        reporter_role="community_staff",
        urgent=True,
    )
    assert lead.follow_up_due == working_deadline(timezone.localdate(), 1).date
    past = timezone.localdate() - dt.timedelta(days=5)
    DiscoveryLead.objects.filter(pk=lead.pk).update(reported_on=past, follow_up_due=past + dt.timedelta(days=1))
    client = Client()
    client.force_login(clerk_a)
    page = client.get("/monitoring/?tab=overdue").content.decode()
    assert 'class="overdue"' in page and "某某" in page
    with pytest.raises(ValidationError) as errors:
        svc.lead_report(
            actor=clerk_a,
            street=street,
            community=None,
            subject_name="",
            address="",
            difficulties=["nope"],
            description="",
            reporter_name="",
            reporter_role="x",
        )
    assert set(errors.value.message_dict) >= {"subject_name", "address", "difficulties", "description", "reporter_role"}


@pytest.mark.django_db
def test_alerts_fire_on_the_demo_department_data() -> None:
    from accounts.demo import load_staff
    from applications import demo as application_demo
    from casework import demo as casework_demo
    from casework import demo_enrolment
    from casework.models.enrolment import BridgingPayment, Enrolment
    from casework.models.payments import PaymentRoll
    from casework.models.reverification import ReviewTask

    context = load_staff()
    application_demo.load(context)
    casework_demo.load(context)
    demo_enrolment.load(context)  # a no-op when casework.demo already called it

    assert _rules_fired() == set(RuleCode.values)
    assert Alert.objects.filter(street_id=STREET_A).exists()
    assert DiscoveryLead.objects.filter(street_id=STREET_A).count() == 2
    # Enrolments, last month's rolls (street A's locked), review tasks of every proposal kind.
    assert Enrolment.objects.filter(case__isnull=False).exists() and BridgingPayment.objects.count() == 1
    last_month = (timezone.localdate().replace(day=1) - dt.timedelta(days=1)).replace(day=1)
    rolls = PaymentRoll.objects.filter(month=last_month)
    assert rolls.count() == 4 and rolls.get(street_id=STREET_A).status == "locked"
    assert all(r.line_count > 0 for r in rolls)
    proposals = set(ReviewTask.objects.values_list("proposed_outcome", flat=True))
    assert {"raise", "gradual_exit", "lower"} <= proposals, list(
        ReviewTask.objects.values_list(
            "household_id", "old_tier", "old_amount", "new_tier", "new_amount", "employment_driven", "proposed_outcome"
        )
    )
    assert ReviewTask.objects.filter(status="resolved", outcome="raise").exists()
    clerk = context.staff["clerk_a"]
    client = Client()
    client.force_login(clerk)
    assert "监测预警" in client.get("/monitoring/").content.decode()
    for url in ("/enrolments/", "/payment-rolls/", "/review-tasks/", "/reverification/"):
        assert client.get(url).status_code == 200, url
