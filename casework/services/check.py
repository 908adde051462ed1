"""Economic check (家庭经济状况核对, DOMAIN §6.3): start it, run it (from the Celery task).

Refused unless every adult member (age ≥ 18 on the day) signed the authorisation; every
department query is logged with purpose and operator; results are compared with the declaration.
"""

from __future__ import annotations

import datetime as dt
import logging
from collections.abc import Sequence
from decimal import Decimal

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from accounts.audit import audit_record
from accounts.errors import BusinessError
from accounts.models import User
from applications import intake as app_intake
from applications.models import Household, Member
from casework.checks.adapters import AdapterUnavailable, DepartmentAdapter, Finding, Person, adapters
from casework.checks.compare import DeclaredHousehold, DeclaredMember, compare
from casework.models import Case, CaseStatus, CheckStatus, EconomicCheck, EconomicCheckQuery
from casework.services.transitions import apply_transition, check_step, lock_case

logger = logging.getLogger(__name__)

DEFAULT_PURPOSE = "社会救助申请家庭经济状况核对(仅用于本案审核)"


def missing_authorisations(case: Case) -> list[Member]:
    return app_intake.adults_without_authorisation(case.application, on=timezone.localdate())


def _refuse_message(missing: Sequence[Member]) -> str:
    names = "、".join(f"{m.name}({m.id_masked})" for m in missing)
    return _("以下成年家庭成员尚未签署家庭经济状况核对授权书：%(names)s。未取得授权不能发起核对。") % {"names": names}


@transaction.atomic
def check_start(*, actor: User, case: Case, purpose: str = DEFAULT_PURPOSE) -> EconomicCheck:
    """Queue the check (Celery, after commit). Idempotent: a queued or running check is returned."""
    case = lock_case(case)
    running = case.checks.filter(status__in=[CheckStatus.PENDING, CheckStatus.RUNNING]).first()
    if running is not None and case.status == CaseStatus.CHECKING:
        if running.status == CheckStatus.PENDING:  # queued but maybe never sent (broker down): send again
            case_id = case.pk
            transaction.on_commit(lambda: _queue_check(case_id), robust=True)
        return running
    return check_begin(actor=actor, case=case, purpose=purpose)


def check_begin(
    *, actor: User, case: Case, purpose: str = DEFAULT_PURPOSE, missing: Sequence[Member] | None = None
) -> EconomicCheck:
    """``check_start`` for a case the caller holds in its transaction with no check queued: one it
    locked, or one it opened in this transaction (nobody else can see that row, so it is not re-read).

    ``missing``: the adults without a signed authorisation, when the caller has just worked them out.
    """
    if not transaction.get_connection().in_atomic_block:
        raise RuntimeError("check_begin must run inside the caller's transaction")
    check_step(case=case, to=CaseStatus.CHECKING, actor=actor)
    if missing is None:
        missing = missing_authorisations(case)
    if missing:
        raise BusinessError(_refuse_message(missing), code="authorisation_missing", status=409)
    check = EconomicCheck.objects.create(case=case, purpose=purpose.strip() or DEFAULT_PURPOSE, requested_by=actor)
    started: list[str] = []
    if case.check_started_on is None:  # the first check: its date is written with the status change
        case.check_started_on = timezone.localdate()
        started.append("check_started_on")
    # check_step above refused a case already checking, so the transition happens and saves the date.
    apply_transition(case=case, to=CaseStatus.CHECKING, actor=actor, reason=check.purpose, also_save=started)
    case_id = case.pk
    # robust: with the broker down the check stays PENDING (logged), and starting it again re-sends it.
    transaction.on_commit(lambda: _queue_check(case_id), robust=True)
    return check


def _queue_check(case_id: int) -> None:
    from casework.tasks import run_economic_check

    run_economic_check.delay(case_id)


STUCK_AFTER = dt.timedelta(minutes=10)


def checks_resend_stuck(*, now: dt.datetime | None = None) -> int:
    """Re-send (and count) checks queued more than 10 minutes ago that no worker has ever started.

    Such a check was committed while its Celery message was lost (broker down at commit time, see
    ``check_start``). A check that a worker started and that waits for a retry (department
    unavailable) has ``attempts > 0`` and is left to Celery's own retry. Sending twice is harmless:
    ``check_run`` locks the case and claims the check, the second delivery returns ``"nothing"``.
    """
    cutoff = (now or timezone.now()) - STUCK_AFTER
    case_ids = list(
        EconomicCheck.objects.filter(
            status=CheckStatus.PENDING,
            attempts=0,
            requested_at__lt=cutoff,
            case__status=CaseStatus.CHECKING,
        )
        .order_by("id")
        .values_list("case_id", flat=True)
    )
    sent = 0
    for case_id in case_ids:
        try:
            _queue_check(case_id)
        except Exception:  # broker still down: the next sweep tries again
            logger.exception("economic check of case %s could not be queued", case_id)
            break
        sent += 1
    return sent


def declared_household(household: Household) -> DeclaredHousehold:
    members = tuple(
        DeclaredMember(
            member_id=m.pk,
            name=m.name,
            id_masked=m.id_masked,
            incomes=_income_totals(m),
        )
        for m in household.members.filter(active=True).prefetch_related("incomes").order_by("id")
    )
    return DeclaredHousehold(
        members=members,
        homes=household.homes,
        vehicle_prices=tuple(v.price for v in household.vehicles.all()),
        financial_assets=household.financial_assets,
        business_employs_others=household.business_employs_others_12m,
        business_profit=household.business_avg_monthly_net_profit,
    )


def _income_totals(member: Member) -> dict[str, Decimal]:
    totals: dict[str, Decimal] = {}
    for item in member.incomes.all():
        totals[item.kind] = totals.get(item.kind, Decimal("0")) + item.monthly
    return totals


def _finding_json(f: Finding, names: dict[int, tuple[str, str]]) -> dict[str, object]:
    name, masked = names.get(f.member_id, ("", ""))
    return {
        "department": f.department,
        "member_id": f.member_id,
        "name": name,
        "id_masked": masked,
        "kind": f.kind,
        "value": f.value,
        "amount": None if f.amount is None else f"{f.amount:.2f}",
        "employs_others": f.employs_others,
        "as_of": f.as_of.isoformat(),
    }


def _query_all(
    check: EconomicCheck, case: Case, members: list[Member], sources: list[DepartmentAdapter]
) -> list[Finding]:
    findings: list[Finding] = []
    today = timezone.localdate()
    for adapter in sources:
        for member in members:
            person = Person(member.pk, member.name, member.id_index, member.id_masked, member.id_number)
            found = adapter.query(person, as_of=today)
            EconomicCheckQuery.objects.create(
                check_run=check,
                case=case,
                department=adapter.department,
                member=member,
                subject_masked=member.id_masked,
                purpose=check.purpose,
                operator=check.requested_by,
                records_found=len(found),
            )
            findings.extend(found)
    return findings


def check_run(*, case_id: int) -> str:
    """Body of the Celery task: claim the queued check, query every department, compare, move on.

    Idempotent: returns ``"nothing"`` when no check is waiting (already done, or the case moved).
    An unavailable department keeps the check queued (logs survive) and re-raises for a retry.
    """
    failure: AdapterUnavailable | None = None
    with transaction.atomic():
        case = lock_case(case_id)
        check = case.checks.filter(status__in=[CheckStatus.PENDING, CheckStatus.RUNNING]).order_by("-id").first()
        if check is None or case.status != CaseStatus.CHECKING:
            return "nothing"
        missing = missing_authorisations(case)
        if missing:
            check.status = CheckStatus.REFUSED
            check.error = _refuse_message(missing)
            check.finished_at = timezone.now()
            check.save(update_fields=["status", "error", "finished_at"])
            apply_transition(case=case, to=CaseStatus.ACCEPTED, actor=None, reason=check.error)
            return "refused"
        check.status = CheckStatus.RUNNING
        check.attempts += 1
        check.started_at = timezone.now()
        members = list(case.household.members.filter(active=True).order_by("id"))
        names = {m.pk: (m.name, m.id_masked) for m in members}
        try:
            findings = _query_all(check, case, members, adapters())
        except AdapterUnavailable as exc:
            failure = exc
            check.status = CheckStatus.PENDING
            check.error = _("部门接口暂不可用，稍后自动重试：%(e)s") % {"e": exc}
            check.save(update_fields=["status", "attempts", "started_at", "error"])
        else:
            discrepancies = compare(declared_household(case.household), findings)
            check.results = [_finding_json(f, names) for f in findings]
            check.discrepancies = discrepancies
            check.status = CheckStatus.DONE
            check.error = ""
            check.finished_at = timezone.now()
            check.save()
            audit_record(
                actor=None,
                action="check.run",
                obj=check,
                region_code=case.street_id,
                after={"records": len(findings), "discrepancies": [d["code"] for d in discrepancies]},
                reason=check.purpose,
            )
            reason = (
                _("核对完成：发现 %(n)d 处与申报不一致，请入户调查核实。") % {"n": len(discrepancies)}
                if discrepancies
                else _("核对完成：与申报一致。")
            )
            apply_transition(case=case, to=CaseStatus.INVESTIGATION, actor=None, reason=reason)
    if failure is not None:
        raise failure
    return "done"


def latest_check(case: Case) -> EconomicCheck | None:
    return case.checks.order_by("-id").first()
