"""Dashboard figures on a small, hand-built caseload: every number below is counted by hand.

Three streets: 三里庵 (A, 340104001) and 稻香村 (B, 340104002) in 蜀山区, 上派镇 (F, 340123100) in 肥西县.
Period 2026-09 … 2026-11; the summary is refreshed "today" = 2026-11-20.

Cases (working days after acceptance up to the decision, official calendar with the 2026 National Day
holiday 1–7 Oct and the make-up Saturday 10 Oct):
  c1 A 09-28 → approved 10-12: 9-29, 9-30, 10-8, 10-9, 10-10, 10-12               = 6
  c2 A 11-02 → refused 11-09: 11-3 … 11-6, 11-9                                   = 5
  c3 B 10-15 → approved 10-22: 10-16, 10-19 … 10-22                                = 5
  c4 B 08-20 → approved 09-03 (received before the period): 8-21, 8-24 … 8-28, 8-31, 9-1 … 9-3 = 10
  c5 A 11-05 investigation, opinion due 11-10            → overdue: opinion
  c6 B 11-16 accepted, check due 11-17                   → overdue: check
  c7 F 10-10 → approved 10-20: 10-12 … 10-16, 10-19, 10-20                         = 7
  c8 A 07-01 review, confirm due 11-01, case due 08-01   → overdue: confirm + case
蜀山: received 5 (c1 c2 c3 c5 c6), approved 3 (c1 c3 c4), refused 1, average (6+5+5+10)/4 = 6.5.
"""

from __future__ import annotations

import datetime as dt
import itertools
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

import pytest
from django.utils import timezone

from accounts.models import User
from applications.models import Application, Household, Member
from casework.models.case import Case, overdue_q
from casework.models.emergency import EmergencyPayment
from casework.models.enrolment import Enrolment, EnrolmentPeriod
from casework.models.monitoring import Alert
from casework.models.payments import PaymentRoll, RollLine
from casework.models.reverification import ReviewTask
from charity.models import Fund, HandOff
from oversight import figures
from oversight.models_summary import FigureCell, FigureRefresh
from tests.support import STREET_A, STREET_B, STREET_F

TODAY = dt.date(2026, 11, 20)
PERIOD = {"from": "2026-09", "to": "2026-11"}
D = dt.date
_seq = itertools.count(1)


@dataclass
class Data:
    cases: dict[str, Case] = field(default_factory=dict)
    enrolments: dict[str, Enrolment] = field(default_factory=dict)
    funds: dict[str, Fund] = field(default_factory=dict)


def _household(street: str, members: int, excluded: int = 0) -> tuple[Household, list[Member]]:
    h = Household.objects.create(street_id=street, community_id=f"{street}001", address="测试路1号")
    people = []
    for i in range(members + excluded):
        n = next(_seq)
        people.append(
            Member.objects.create(
                household=h,
                name=f"成员{n}",
                id_number=f"34010419800101{n:04d}",
                id_index=f"idx-{n}",
                id_masked=f"340104********{n:04d}",
                birth_date=D(1980, 1, 1),
                sex="M",
                relation="self" if i == 0 else "child",
                excluded="" if i < members else "other",
            )
        )
    return h, people


def _case(
    actor: User,
    street: str,
    accepted: dt.date,
    status: str,
    *,
    closed: dt.date | None = None,
    check_due: dt.date | None = None,
    opinion_due: dt.date | None = None,
    case_due: dt.date | None = None,
    confirm_due: dt.date | None = None,
) -> Case:
    household, _members = _household(street, 1)
    n = next(_seq)
    application = Application.objects.create(
        receipt_no=f"T{n:08d}",
        street_id=street,
        household=household,
        assistance_types=["dibao"],
        status="accepted",
        applicant_name=f"申请人{n}",
        applicant_id_number="340104198001010000",
        applicant_id_index=f"app-{n}",
        applicant_id_masked="340104********0000",
    )
    far = accepted + dt.timedelta(days=300)
    return Case.objects.create(
        application=application,
        household=household,
        street_id=street,
        receipt_no=f"C{n:08d}",
        status=status,
        accepted_on=accepted,
        accepted_by=actor,
        check_due=check_due or far,
        opinion_due=opinion_due or far,
        case_due=case_due or far,
        confirm_due=confirm_due,
        closed_on=closed,
    )


def _enrol(
    street: str, tier: str, amount: str, *, members: int, excluded: int = 0, status: str = "active", named: int = 0
) -> Enrolment:
    household, people = _household(street, members, excluded)
    enrolment = Enrolment.objects.create(
        household=household,
        street_id=street,
        status=status,
        tier=tier,
        monthly_amount=Decimal(amount),
        start_month=D(2026, 1, 1),
        next_review_due=D(2027, 1, 1),
        last_verified_on=D(2026, 1, 1),
    )
    period = EnrolmentPeriod.objects.create(
        enrolment=enrolment,
        seq=1,
        kind="enrol",
        tier=tier,
        monthly_amount=Decimal(amount),
        start_month=D(2026, 1, 1),
        members=[p.pk for p in people[:named]],
    )
    enrolment.current_period = period
    enrolment.save(update_fields=["current_period"])
    return enrolment


def _line(roll: PaymentRoll, enrolment: Enrolment, amount: str) -> RollLine:
    assert enrolment.current_period is not None
    return RollLine.objects.create(
        roll=roll,
        enrolment=enrolment,
        period=enrolment.current_period,
        household=enrolment.household,
        payee_name="领款人",
        id_masked="340104********0000",
        tier=enrolment.tier,
        amount=Decimal(amount),
    )


def build_dataset(actor: User) -> Data:
    data = Data()
    c = data.cases
    c["c1"] = _case(actor, STREET_A, D(2026, 9, 28), "approved", closed=D(2026, 10, 12))
    c["c2"] = _case(actor, STREET_A, D(2026, 11, 2), "refused", closed=D(2026, 11, 9))
    c["c3"] = _case(actor, STREET_B, D(2026, 10, 15), "approved", closed=D(2026, 10, 22))
    c["c4"] = _case(actor, STREET_B, D(2026, 8, 20), "approved", closed=D(2026, 9, 3))
    c["c5"] = _case(actor, STREET_A, D(2026, 11, 5), "investigation", opinion_due=D(2026, 11, 10))
    c["c6"] = _case(
        actor, STREET_B, D(2026, 11, 16), "accepted", check_due=D(2026, 11, 17), opinion_due=D(2026, 11, 30)
    )
    c["c7"] = _case(actor, STREET_F, D(2026, 10, 10), "approved", closed=D(2026, 10, 20))
    c["c8"] = _case(
        actor,
        STREET_A,
        D(2026, 7, 1),
        "review",
        case_due=D(2026, 8, 1),
        confirm_due=D(2026, 11, 1),
        opinion_due=D(2026, 7, 15),
    )

    e = data.enrolments
    e["E1"] = _enrol(STREET_A, "dibao", "1000.00", members=3, excluded=1)  # people 3
    e["E2"] = _enrol(STREET_A, "tekun", "1500.50", members=2, named=1)  # people 1 (the 特困 person)
    e["E3"] = _enrol(STREET_B, "dibao", "800.00", members=2)  # people 2
    e["E4"] = _enrol(STREET_B, "low_income", "150.00", members=1, status="exiting")  # people 1
    e["E5"] = _enrol(STREET_B, "dibao", "700.00", members=4, status="closed")  # not counted
    e["F1"] = _enrol(STREET_F, "dibao", "900.00", members=2)

    def roll(street: str, month: dt.date) -> PaymentRoll:
        return PaymentRoll.objects.create(street_id=street, month=month)

    a_aug, a_oct, a_nov = roll(STREET_A, D(2026, 8, 1)), roll(STREET_A, D(2026, 10, 1)), roll(STREET_A, D(2026, 11, 1))
    b_oct, f_oct = roll(STREET_B, D(2026, 10, 1)), roll(STREET_F, D(2026, 10, 1))
    _line(a_aug, e["E1"], "1000.00")  # before the period
    _line(a_oct, e["E1"], "1000.00")
    _line(a_oct, e["E2"], "1500.50")
    _line(a_nov, e["E1"], "1000.00")
    _line(b_oct, e["E3"], "800.00")
    _line(b_oct, e["E4"], "150.00")
    _line(f_oct, e["F1"], "900.00")

    for case, amount, status, paid in [
        (c["c5"], "500.00", "paid", D(2026, 11, 6)),
        (c["c6"], "3000.00", "pending_county", None),
        (c["c7"], "400.00", "paid", D(2026, 10, 11)),
    ]:
        EmergencyPayment.objects.create(
            case=case,
            amount=Decimal(amount),
            street_limit=Decimal("1000.00"),
            status=status,
            reason="急难",
            evaluation={},
            requested_by=actor,
            paid_on=paid,
        )

    def task(enrolment: Enrolment, outcome: str, resolved: dt.date | None) -> ReviewTask:
        return ReviewTask.objects.create(
            enrolment=enrolment,
            household=enrolment.household,
            street_id=enrolment.street_id,
            trigger="scheduled",
            status="resolved" if resolved else "open",
            proposed_outcome=outcome or "keep",
            old_tier=enrolment.tier,
            old_amount=enrolment.monthly_amount,
            new_tier=enrolment.tier,
            new_amount=enrolment.monthly_amount,
            as_of=D(2026, 10, 1),
            outcome=outcome if resolved else "",
            reason="收入增加" if outcome in {"lower", "stop"} else "",
            resolved_by=actor if resolved else None,
            resolved_on=resolved,
        )

    task(e["E1"], "keep", D(2026, 10, 20))
    task(e["E3"], "lower", D(2026, 11, 3))
    task(e["E2"], "raise", D(2026, 8, 1))  # before the period
    task(e["E4"], "", None)  # open
    task(e["F1"], "stop", D(2026, 10, 5))

    for n, (street, rule, status) in enumerate(
        [
            (STREET_A, "high_medical_cost", "open"),
            (STREET_B, "unemployment", "open"),
            (STREET_A, "unemployment", "dismissed"),
            (STREET_F, "high_medical_cost", "open"),
        ]
    ):
        Alert.objects.create(
            rule_id=rule,
            household=e["E1"].household,
            street_id=street,
            message="预警",
            dedupe_key=f"test-{n}",
            status=status,
        )

    data.funds["shushan"] = Fund.objects.create(
        kind="county",
        name="蜀山区社会救助专项基金",
        holder="蜀山区慈善会",
        region_id="340104",
        balance=Decimal("12345.67"),
    )
    data.funds["feixi"] = Fund.objects.create(
        kind="county",
        name="肥西县社会救助专项基金",
        holder="肥西县慈善会",
        region_id="340123",
        balance=Decimal("500.00"),
    )

    def handoff(case: Case, fund: Fund, status: str, referred: dt.date, grant: str | None = None) -> HandOff:
        at = timezone.make_aware(dt.datetime.combine(referred, dt.time(10, 0)))
        return HandOff.objects.create(
            case=case,
            street_id=case.street_id,
            fund=fund,
            need_type="medical",
            description="医疗费用缺口",
            amount_asked=Decimal("5000.00"),
            consent_by="本人",
            consent_on=referred,
            status=status,
            referred_by=actor,
            referred_at=at,
            grant_amount=Decimal(grant) if grant else None,
        )

    handoff(c["c1"], data.funds["shushan"], "referred", D(2026, 10, 15))
    handoff(c["c3"], data.funds["shushan"], "approved", D(2026, 11, 1), "3000.00")
    handoff(c["c2"], data.funds["shushan"], "referred", D(2026, 7, 1))  # before the period
    handoff(c["c7"], data.funds["feixi"], "referred", D(2026, 10, 12))
    return data


@pytest.fixture
def dataset(clerk_a: User) -> Data:
    data = build_dataset(clerk_a)
    figures.refresh_figures(today=TODAY)
    return data


def _figures(user: User, **params: str) -> dict[str, Any]:
    filters = figures.parse_filters(user, {**PERIOD, **params}, today=TODAY)
    return figures.compute_figures(user, filters)


def _by(items: list[dict[str, Any]], key: str) -> dict[str, dict[str, Any]]:
    return {item[key]: item for item in items}


def test_county_figures_equal_hand_counts(dataset: Data, supervisor_shushan: User) -> None:
    f = _figures(supervisor_shushan)
    assert f["area"] == {"code": "340104", "name": "蜀山区", "street": ""}
    assert f["coverage"] == {"households": 4, "people": 7}
    tiers = _by(f["caseload"]["tiers"], "tier")
    assert (tiers["dibao"]["households"], tiers["dibao"]["people"]) == (2, 5)
    assert (tiers["tekun"]["households"], tiers["tekun"]["people"]) == (1, 1)
    assert (tiers["low_income"]["households"], tiers["low_income"]["people"]) == (1, 1)
    assert tiers["expenditure_hardship"]["households"] == 0

    apps = f["applications"]
    assert (apps["received"], apps["approved"], apps["refused"], apps["decided"]) == (5, 3, 1, 4)
    assert apps["avg_working_days"] == Decimal("6.5")
    monthly = _by(apps["monthly"], "month")
    assert [monthly[m]["received"] for m in ("2026-09", "2026-10", "2026-11")] == [1, 1, 3]
    assert [monthly[m]["approved"] for m in ("2026-09", "2026-10", "2026-11")] == [1, 2, 0]
    assert [monthly[m]["refused"] for m in ("2026-09", "2026-10", "2026-11")] == [0, 0, 1]

    spending = f["spending"]
    by_tier = _by(spending["by_tier"], "tier")
    assert by_tier["dibao"]["amount"] == Decimal("2800.00") and by_tier["dibao"]["payments"] == 3
    assert by_tier["tekun"]["amount"] == Decimal("1500.50")
    assert by_tier["low_income"]["amount"] == Decimal("150.00")
    assert by_tier["emergency"]["amount"] == Decimal("500.00") and by_tier["emergency"]["payments"] == 1
    assert spending["total"] == Decimal("4950.50")
    months = _by(spending["monthly"], "month")
    assert months["2026-10"]["total"] == Decimal("3450.50")
    assert months["2026-11"]["by_tier"] == {
        "tekun": Decimal("0.00"),
        "dibao": Decimal("1000.00"),
        "low_income": Decimal("0.00"),
        "expenditure_hardship": Decimal("0.00"),
        "emergency": Decimal("500.00"),
    }
    assert months["2026-09"]["total"] == Decimal("0.00")

    overdue = f["overdue"]
    assert overdue["total"] == 3
    assert {s["step"]: s["count"] for s in overdue["steps"]} == {
        "check": 1,
        "opinion": 1,
        "confirm": 1,
        "case": 1,
        "emergency": 0,
    }
    assert f["reviews"]["open"] == 1
    assert f["reviews"]["resolved"] == 2
    outcomes = {o["outcome"]: o["count"] for o in f["reviews"]["outcomes"]}
    assert outcomes == {"raise": 0, "lower": 1, "gradual_exit": 0, "stop": 0, "keep": 1}
    assert f["alerts"]["open"] == 2
    assert {r["rule"]: r["count"] for r in f["alerts"]["rules"]}["high_medical_cost"] == 1

    charity = f["charity"]
    assert {h["status"]: h["count"] for h in charity["handoffs"] if h["count"]} == {"referred": 1, "approved": 1}
    assert charity["handoffs_total"] == 2 and charity["granted"] == Decimal("3000.00")
    assert [(x["name"], x["balance"]) for x in charity["funds"]] == [("蜀山区社会救助专项基金", Decimal("12345.67"))]
    assert charity["funds_total"] == Decimal("12345.67")

    streets = _by(f["caseload"]["streets"], "code")
    assert len(streets) == 12  # every street of 蜀山区 is listed, with zeros where nothing happened
    a, b = streets[STREET_A], streets[STREET_B]
    assert (a["households"], a["people"], a["received"], a["approved"], a["refused"], a["overdue"]) == (
        2,
        4,
        3,
        1,
        1,
        2,
    )
    assert (b["households"], b["people"], b["received"], b["approved"], b["refused"], b["overdue"]) == (
        2,
        3,
        2,
        2,
        0,
        1,
    )
    assert a["by_tier"] == {"tekun": 1, "dibao": 1, "low_income": 0, "expenditure_hardship": 0}
    assert (a["alerts_open"], b["alerts_open"]) == (1, 1)


def test_street_and_period_filters(dataset: Data, supervisor_shushan: User) -> None:
    f = _figures(supervisor_shushan, street=STREET_B)
    assert f["area"] == {"code": STREET_B, "name": "稻香村街道", "street": STREET_B}
    assert f["coverage"] == {"households": 2, "people": 3}
    assert (f["applications"]["received"], f["applications"]["approved"]) == (2, 2)
    assert f["applications"]["avg_working_days"] == Decimal("7.5")  # (5 + 10) / 2
    assert f["spending"]["total"] == Decimal("950.00")
    assert f["overdue"]["total"] == 1
    assert [s["code"] for s in f["caseload"]["streets"]] == [STREET_B]
    assert f["charity"]["handoffs_total"] == 1

    october = _figures(supervisor_shushan, **{"from": "2026-10", "to": "2026-10"})
    apps = october["applications"]
    assert (apps["received"], apps["approved"], apps["refused"]) == (1, 2, 0)
    assert apps["avg_working_days"] == Decimal("5.5")  # (6 + 5) / 2
    assert october["spending"]["total"] == Decimal("3450.50")
    assert october["reviews"]["resolved"] == 1
    assert october["coverage"]["households"] == 4  # current caseload: not bound to the period
    assert october["charity"]["handoffs_total"] == 1


def test_feixi_supervisor_sees_only_feixi(dataset: Data, supervisor_feixi: User) -> None:
    f = _figures(supervisor_feixi)
    assert f["area"]["code"] == "340123"
    assert f["coverage"] == {"households": 1, "people": 2}
    assert (f["applications"]["received"], f["applications"]["approved"]) == (1, 1)
    assert f["applications"]["avg_working_days"] == Decimal("7.0")
    assert f["spending"]["total"] == Decimal("1300.00")
    assert f["overdue"]["total"] == 0
    assert f["alerts"]["open"] == 1
    assert [x["name"] for x in f["charity"]["funds"]] == ["肥西县社会救助专项基金"]
    assert all(s["code"].startswith("340123") for s in f["caseload"]["streets"])
    with pytest.raises(figures.Http404):
        figures.parse_filters(supervisor_feixi, {"street": STREET_A})


def test_city_admin_sees_the_whole_city(dataset: Data, city_admin: User) -> None:
    f = _figures(city_admin)
    assert f["area"] == {"code": "3401", "name": "合肥市", "street": ""}
    assert f["coverage"] == {"households": 5, "people": 9}
    assert f["applications"]["received"] == 6
    assert f["applications"]["avg_working_days"] == Decimal("6.6")  # (6+5+5+10+7) / 5 = 6.6
    assert f["spending"]["total"] == Decimal("6250.50")


DRILLDOWNS = [
    ("received", "", lambda f: f["applications"]["received"]),
    ("approved", "", lambda f: f["applications"]["approved"]),
    ("refused", "", lambda f: f["applications"]["refused"]),
    ("decided", "", lambda f: f["applications"]["decided"]),
    ("overdue", "", lambda f: f["overdue"]["total"]),
    ("overdue", "confirm", lambda f: _by(f["overdue"]["steps"], "step")["confirm"]["count"]),
    ("overdue", "check", lambda f: _by(f["overdue"]["steps"], "step")["check"]["count"]),
    ("caseload", "", lambda f: f["coverage"]["households"]),
    ("caseload", "dibao", lambda f: _by(f["caseload"]["tiers"], "tier")["dibao"]["households"]),
    ("spending", "dibao", lambda f: _by(f["spending"]["by_tier"], "tier")["dibao"]["payments"]),
    ("spending", "emergency", lambda f: _by(f["spending"]["by_tier"], "tier")["emergency"]["payments"]),
    ("reviewed", "", lambda f: f["reviews"]["resolved"]),
    ("reviewed", "lower", lambda f: _by(f["reviews"]["outcomes"], "outcome")["lower"]["count"]),
    ("review_open", "", lambda f: f["reviews"]["open"]),
    ("alerts", "", lambda f: f["alerts"]["open"]),
    ("handoffs", "", lambda f: f["charity"]["handoffs_total"]),
    ("handoffs", "approved", lambda f: _by(f["charity"]["handoffs"], "status")["approved"]["count"]),
]


@pytest.mark.parametrize("street", ["", STREET_A, STREET_B])
def test_drilldown_counts_equal_figures(dataset: Data, supervisor_shushan: User, street: str) -> None:
    params = {**PERIOD, "street": street}
    filters = figures.parse_filters(supervisor_shushan, params, today=TODAY)
    f = figures.compute_figures(supervisor_shushan, filters)
    for figure, key, pick in DRILLDOWNS:
        result = figures.drilldown(supervisor_shushan, filters, figure, key, today=TODAY)
        assert result.queryset.count() == pick(f), (figure, key, street)


def test_drilldown_amounts_equal_spending(dataset: Data, supervisor_shushan: User) -> None:
    filters = figures.parse_filters(supervisor_shushan, PERIOD, today=TODAY)
    lines = figures.drilldown(supervisor_shushan, filters, "spending", "dibao").queryset
    assert sum(line.amount for line in lines) == Decimal("2800.00")


def test_overdue_steps_match_case_rule(dataset: Data) -> None:
    """The per-step filters are the parts of ``overdue_q`` and say what ``Case.overdue_steps`` says."""
    labels = dict(figures.OVERDUE_STEPS)
    for case in Case.objects.filter(overdue_q(TODAY)):
        steps = [
            str(labels[s])
            for s, _label in figures.OVERDUE_STEPS
            if Case.objects.filter(figures.overdue_step_q(s, TODAY), pk=case.pk).exists()
        ]
        assert steps == case.overdue_steps(TODAY)
    assert set(Case.objects.filter(figures.overdue_step_q("any", TODAY))) == set(Case.objects.filter(overdue_q(TODAY)))


def test_refresh_replaces_cells_and_records_when(dataset: Data, supervisor_shushan: User, clerk_a: User) -> None:
    first = figures.latest_refresh()
    assert first is not None and first.as_of == TODAY and first.cells == FigureCell.objects.count() > 0
    # A new application does not show until the next refresh; then it does, and nothing is doubled.
    _case(clerk_a, STREET_A, D(2026, 11, 18), "accepted", check_due=D(2026, 11, 25))
    assert _figures(supervisor_shushan)["applications"]["received"] == 5
    from oversight.tasks import refresh_figures as task

    cells = task.delay().get()
    assert _figures(supervisor_shushan)["applications"]["received"] == 6
    assert FigureCell.objects.count() == cells
    assert _figures(supervisor_shushan)["coverage"] == {"households": 4, "people": 7}
    assert FigureRefresh.objects.count() == 2
    assert figures.latest_refresh() != first


def test_filters_validation(supervisor_shushan: User) -> None:
    default = figures.parse_filters(supervisor_shushan, {}, today=TODAY)
    assert (default.month_from, default.month_to, default.street) == (D(2025, 12, 1), D(2026, 11, 1), "")
    assert len(default.months()) == 12 and default.date_to == D(2026, 11, 30)
    only_to = figures.parse_filters(supervisor_shushan, {"to": "2026-03"}, today=TODAY)
    assert only_to.month_from == D(2025, 4, 1)
    for bad in [
        {"from": "2026-13"},
        {"from": "2026-11", "to": "2026-01"},
        {"from": "2020-01", "to": "2026-01"},
        {"to": "0001-01"},
        {"from": "2026-01\x00"},
    ]:
        with pytest.raises(figures.FilterError):
            figures.parse_filters(supervisor_shushan, bad, today=TODAY)
    with pytest.raises(figures.Http404):
        figures.parse_filters(supervisor_shushan, {"street": "340104"}, today=TODAY)  # a county, not a street
    with pytest.raises(figures.Http404):
        figures.parse_filters(supervisor_shushan, {"street": "34010400\x001"}, today=TODAY)


@pytest.mark.django_db
def test_beat_schedule_refreshes_every_15_minutes() -> None:
    from django_celery_beat.models import PeriodicTask

    from hefei_aid.celery import app

    task = PeriodicTask.objects.get(task="oversight.refresh_figures")
    assert task.enabled and task.interval is not None
    assert (task.interval.every, task.interval.period) == (15, "minutes")
    app.loader.import_default_modules()  # what a worker does at start: autodiscovery of <app>.tasks
    assert "oversight.refresh_figures" in app.tasks
