"""Demo spot check (抽查, issue 7), loaded by ``manage.py load_demo`` after every app's demo data.

蜀山区's supervisor (supervisor_shushan) samples street A (三里庵街道, 340104001): first five more of
its cash-tier families are confirmed and enrolled through the ordinary workflow (so the street has
a population worth sampling), then 60 % of the street's cases confirmed in the last 90 days are drawn with the
recorded seed ``DEMO_SEED``, and the first three sampled cases are checked:

1. correct (认定正确);
2. wrong amount (救助金额有误): the monthly amount should be 150.00 yuan lower (an undeclared casual
   income) — a rectification (整改) is opened and the case goes back to the street, due in 30 days;
3. correct;

the rest stay "pending" for the visitor to record. Everything goes through the spot-check services
(each write audited). Loaded once: a database that already has the demo batch is left alone, so
``load_demo`` can run again (also on a database whose demo data predate spot checks).
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

from django.db import transaction
from django.utils import timezone

from accounts.demo import DEMO_STREETS, DemoContext
from applications.models import AssistanceType, Household
from casework.models import Case, CaseStatus
from casework.models.enrolment import Enrolment
from casework.models.spotcheck import CheckResult, SpotCheck, SpotCheckItem
from casework.services import enrolment as enrolment_svc
from casework.services import spotcheck as svc

STREET = DEMO_STREETS[0]  # 340104001 三里庵街道, 蜀山区
SUPERVISOR = "supervisor_shushan"
DEMO_SEED = "hefei-demo-2026"
PERCENTAGE = Decimal("60")
PERIOD_DAYS = 90
EXTRA_CONFIRMED = 5
AMOUNT_CUT = Decimal("150.00")
NOTE = "蜀山区民政局{year}年第{quarter}季度低保、特困认定抽查(三里庵街道)"
RESULTS: list[tuple[str, str]] = [
    (CheckResult.CORRECT, ""),
    (CheckResult.WRONG_AMOUNT, "入户核查发现家庭成员有灵活就业收入每月150元未申报，月救助金应核减150元。"),
    (CheckResult.CORRECT, ""),
]


def demo_spot_check() -> SpotCheck | None:
    return SpotCheck.objects.filter(street_id=STREET, seed=DEMO_SEED).first()


def _confirm_more_cases(context: DemoContext, today: dt.date) -> list[Case]:
    """Open and confirm cases for ``EXTRA_CONFIRMED`` more cash-tier families of the street."""
    from casework import demo as casework_demo

    busy = set(Case.objects.values_list("household_id", flat=True))
    busy |= set(Enrolment.objects.values_list("household_id", flat=True))
    roles = {u.role for u in context.staff.values() if u.region_id == STREET}
    if not {"clerk", "reviewer", "approver"} <= roles:
        return []  # not the demo's street staff: nothing to confirm with
    clerk = casework_demo._staff(context, STREET, "clerk")
    approver = casework_demo._staff(context, STREET, "approver")
    confirmed: list[Case] = []
    for household in Household.objects.filter(street_id=STREET).exclude(pk__in=busy).order_by("id"):
        if len(confirmed) >= EXTRA_CONFIRMED:
            break
        if casework_demo._tier(household, today) not in casework_demo.CASH:
            continue
        casework_demo._consistent_records(household, today)
        case = casework_demo._open_case(
            household, clerk, types=[AssistanceType.DIBAO], help_text="家庭收入低，申请最低生活保障。"
        )
        casework_demo._walk(case, CaseStatus.REVIEW, context)
        # Approval and enrolment in one transaction, as the case page does.
        enrolment_svc.case_confirm_and_enrol(actor=approver, case=case, note="材料齐全，公示无异议，同意")
        case.refresh_from_db()
        if case.status == CaseStatus.APPROVED:
            confirmed.append(case)
    return confirmed


@transaction.atomic
def load(context: DemoContext) -> SpotCheck | None:
    """The demo batch (created once); None when the street has no confirmed case to sample."""
    existing = demo_spot_check()
    if existing is not None:
        return existing
    supervisor = context.staff.get(SUPERVISOR)
    if supervisor is None:
        return None
    today = timezone.localdate()
    _confirm_more_cases(context, today)
    start = today - dt.timedelta(days=PERIOD_DAYS)
    if not svc.population_ids(STREET, start, today):
        return None
    spot_check = svc.spot_check_create(
        actor=supervisor,
        street_code=STREET,
        period_start=start,
        period_end=today,
        percentage=PERCENTAGE,
        seed=DEMO_SEED,
        note=NOTE.format(year=today.year, quarter="一二三四"[(today.month - 1) // 3]),
    )
    items = list(SpotCheckItem.objects.filter(spot_check=spot_check).order_by("seq"))
    for item, (result, note) in zip(items, RESULTS, strict=False):
        correct_amount = None
        if result == CheckResult.WRONG_AMOUNT:
            current = item.amount_at_draw if item.amount_at_draw is not None else item.decided_amount
            if current <= AMOUNT_CUT:  # no cash to cut: the finding is a missing document instead
                result, note = CheckResult.MISSING_DOCUMENTS, "档案中缺少入户调查照片和邻里访问记录。"
            else:
                correct_amount = current - AMOUNT_CUT
        svc.spot_check_record(actor=supervisor, item=item, result=result, note=note, correct_amount=correct_amount)
    spot_check.refresh_from_db()
    return spot_check
