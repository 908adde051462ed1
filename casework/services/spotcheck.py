"""Spot checks (抽查, issue 7): draw a reproducible sample, record results, rectification loop.

Population: the cases of one street that the street confirmed — status ``approved`` with an approving
``Decision`` whose ``decided_on`` lies in [period_start, period_end] — ordered by case id.
Sample size: ``ceil(percentage × N / 100)``, at least 1 when N > 0 (23 cases at 10 % → 3).
Sample: ``random.Random(seed).sample(sorted_ids, n)``, stored sorted. ``seed`` is a string (a fresh
``secrets.token_hex(8)`` unless the supervisor states one); Python seeds ``Random`` from a string
deterministically (SHA-512, not the per-process ``hash``), so the same population and seed give the
same sample on any machine.

A result other than "correct" opens a rectification (整改) for the street, due in
``RECTIFY_DAYS`` days. The street answers "rectified" or "disputed"; money never changes here:
a wrong amount is corrected, and a case that should not be enrolled is stopped, only through the
existing re-verification procedure (即时复核 → 复核待办 → 提高/降低/停止), and "rectified" is accepted
only once the enrolment shows it. The supervisor then closes the rectification (销号) or returns it.
Every write is one transaction with its audit row.
"""

from __future__ import annotations

import datetime as dt
import random
import secrets
from collections.abc import Sequence
from decimal import ROUND_CEILING, Decimal, InvalidOperation
from typing import Any

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from accounts.audit import audit_record
from accounts.errors import BusinessError, Conflict
from accounts.models import Region, User
from accounts.selectors import region_visible_to
from casework.models import Case, CaseStatus, Outcome
from casework.models.enrolment import Enrolment, EnrolmentStatus
from casework.models.reverification import ReviewTask, TaskStatus
from casework.models.spotcheck import (
    FAULT_RESULTS,
    CheckResult,
    RectificationStatus,
    SpotCheck,
    SpotCheckItem,
    SpotCheckStatus,
    StreetResponse,
)
from casework.selectors_spotcheck import is_overseer, is_street_responder

RECTIFY_DAYS = 30  # calendar days the street has to rectify (整改期限)
MIN_NOTE = 4
CENT = Decimal("0.01")
HUNDRED = Decimal("100")

# --- sampling (pure) -------------------------------------------------------------------------------


def sample_size(population: int, percentage: Decimal) -> int:
    """``ceil(percentage × population / 100)``, at least 1 when the population is not empty."""
    if population <= 0:
        return 0
    n = int((Decimal(percentage) * population / HUNDRED).to_integral_value(rounding=ROUND_CEILING))
    return min(population, max(1, n))


def draw_sample(population_ids: Sequence[int], percentage: Decimal, seed: str) -> list[int]:
    """The sampled ids (sorted): the same ids and seed always give the same sample."""
    ordered = sorted(population_ids)
    n = sample_size(len(ordered), percentage)
    return sorted(random.Random(seed).sample(ordered, n))


def new_seed() -> str:
    return secrets.token_hex(8)


def population_ids(street_code: str, period_start: dt.date, period_end: dt.date) -> list[int]:
    """Ids of the street's confirmed cases decided in the period, ascending."""
    return list(
        Case.objects.filter(
            street_id=street_code,
            status=CaseStatus.APPROVED,
            decision__outcome=Outcome.APPROVED,
            decision__decided_on__gte=period_start,
            decision__decided_on__lte=period_end,
        )
        .order_by("id")
        .values_list("id", flat=True)
    )


# --- guards ----------------------------------------------------------------------------------------


def _require_overseer(actor: User) -> None:
    if not is_overseer(actor):
        raise BusinessError(_("只有县级民政监督人员可以开展抽查。"), code="role_forbidden", status=403)


def _require_visible(actor: User, street_code: str, what: str) -> None:
    if not region_visible_to(actor, street_code):
        raise BusinessError(what, code="out_of_scope", status=404)


def _percentage(value: Any) -> Decimal:
    try:
        pct = Decimal(str(value)).quantize(CENT)
    except (InvalidOperation, ValueError, TypeError):
        raise ValidationError({"percentage": [_("请输入抽查比例(百分数，如 10)。")]}) from None
    if not (Decimal("0") < pct <= HUNDRED):
        raise ValidationError({"percentage": [_("抽查比例须大于0且不超过100%。")]})
    return pct


def _refresh_status(spot_check: SpotCheck) -> None:
    items = spot_check.items.all()
    if items.filter(result=CheckResult.PENDING).exists():
        status = SpotCheckStatus.CHECKING
    elif items.filter(rectification_status__in=[RectificationStatus.OPEN, RectificationStatus.RESPONDED]).exists():
        status = SpotCheckStatus.RECTIFYING
    else:
        status = SpotCheckStatus.CLOSED
    if status != spot_check.status:
        spot_check.status = status
        spot_check.closed_at = timezone.now() if status == SpotCheckStatus.CLOSED else None
        spot_check.save(update_fields=["status", "closed_at"])


def _enrolment_of(case: Case) -> Enrolment | None:
    return (
        Enrolment.objects.filter(case=case).order_by("-id").first()
        or Enrolment.objects.filter(household_id=case.household_id, status=EnrolmentStatus.ACTIVE)
        .order_by("-id")
        .first()
    )


# --- create ----------------------------------------------------------------------------------------


@transaction.atomic
def spot_check_create(
    *,
    actor: User,
    street_code: str,
    period_start: dt.date,
    period_end: dt.date,
    percentage: Any,
    seed: str = "",
    note: str = "",
) -> SpotCheck:
    """Draw the sample of a street's confirmed cases and open one item per sampled case."""
    _require_overseer(actor)
    street = Region.objects.filter(code=street_code, level=Region.Level.STREET).first()
    if street is None or not region_visible_to(actor, street.code):
        raise BusinessError(_("该街道(乡镇)不存在或不在您的管辖范围内。"), code="out_of_scope", status=404)
    pct = _percentage(percentage)
    errors: dict[str, list[str]] = {}
    if period_end < period_start:
        errors["period_end"] = [_("结束日期不能早于开始日期。")]
    elif period_end > timezone.localdate():
        errors["period_end"] = [_("结束日期不能晚于今天。")]
    seed = (seed or "").strip()
    if len(seed) > 64:
        errors["seed"] = [_("随机种子不超过64个字符。")]
    if errors:
        raise ValidationError(errors)
    ids = population_ids(street.code, period_start, period_end)
    if not ids:
        raise ValidationError({"period_start": [_("该街道在此期间没有已审批确认的案件，无法抽查。")]})
    seed = seed or new_seed()
    sample = draw_sample(ids, pct, seed)
    spot_check = SpotCheck.objects.create(
        street=street,
        period_start=period_start,
        period_end=period_end,
        percentage=pct,
        seed=seed,
        population_size=len(ids),
        population_ids=ids,
        sample_size=len(sample),
        sample_ids=sample,
        note=note.strip(),
        created_by=actor,
    )
    cases = Case.objects.select_related("decision").in_bulk(sample)
    items = []
    for seq, case_id in enumerate(sample, start=1):
        case = cases[case_id]
        enrolment = _enrolment_of(case)
        items.append(
            SpotCheckItem(
                spot_check=spot_check,
                case=case,
                street=street,
                seq=seq,
                tier=case.decision.tier,
                decided_amount=case.decision.monthly_amount,
                enrolment=enrolment,
                amount_at_draw=enrolment.monthly_amount if enrolment is not None else None,
            )
        )
    SpotCheckItem.objects.bulk_create(items)
    audit_record(
        actor=actor,
        action="spot_check.create",
        obj=spot_check,
        region_code=street.code,
        after={
            "street": street.code,
            "period_start": period_start,
            "period_end": period_end,
            "percentage": pct,
            "seed": seed,
            "population_size": len(ids),
            "sample_ids": sample,
        },
        reason=note.strip(),
    )
    return spot_check


# --- results ---------------------------------------------------------------------------------------


def _result_errors(item: SpotCheckItem, result: str, note: str, correct_amount: Decimal | None) -> dict[str, list[str]]:
    errors: dict[str, list[str]] = {}
    if result not in CheckResult.values or result == CheckResult.PENDING:
        errors["result"] = [_("请选择检查结果。")]
        return errors
    if result in FAULT_RESULTS and len(note) < MIN_NOTE:
        errors["note"] = [_("检查结果不是“认定正确”时，须写明问题(至少4个字)。")]
    if result == CheckResult.WRONG_AMOUNT:
        current = item.amount_at_draw if item.amount_at_draw is not None else item.decided_amount
        if correct_amount is None:
            errors["correct_amount"] = [_("救助金额有误时，须填写核定的应发月救助金。")]
        elif correct_amount < 0:
            errors["correct_amount"] = [_("金额不能为负数。")]
        elif correct_amount.quantize(CENT) == current:
            errors["correct_amount"] = [
                _("核定金额与现发放金额 %(a)s 元相同；金额无误请选择“认定正确”。") % {"a": current}
            ]
    elif correct_amount is not None:
        errors["correct_amount"] = [_("只有“救助金额有误”时才填写核定金额。")]
    return errors


@transaction.atomic
def spot_check_record(
    *, actor: User, item: SpotCheckItem, result: str, note: str = "", correct_amount: Decimal | None = None
) -> SpotCheckItem:
    """Record (or, before the street has answered, correct) the result of one sampled case."""
    _require_overseer(actor)
    item = SpotCheckItem.objects.select_for_update().select_related("spot_check").get(pk=item.pk)
    _require_visible(actor, item.street_id, _("该抽查案件不在您的管辖范围内。"))
    if item.rectification_status not in {RectificationStatus.NONE, RectificationStatus.OPEN}:
        raise Conflict(_("街道已反馈整改情况，检查结果不能再修改。"), code="already_responded")
    note = (note or "").strip()
    errors = _result_errors(item, result, note, correct_amount)
    if errors:
        raise ValidationError(errors)
    amount = correct_amount.quantize(CENT) if correct_amount is not None else None
    if (item.result, item.note, item.correct_amount) == (result, note, amount):
        return item  # nothing changes: no write, no audit row
    before = {
        "result": item.result,
        "note": item.note,
        "correct_amount": item.correct_amount,
        "rectification_status": item.rectification_status,
    }
    today = timezone.localdate()
    item.result = result
    item.note = note
    item.correct_amount = amount
    item.checked_by = actor
    item.checked_at = timezone.now()
    if result in FAULT_RESULTS:
        if item.rectification_status != RectificationStatus.OPEN:
            item.rectify_due = today + dt.timedelta(days=RECTIFY_DAYS)
        item.rectification_status = RectificationStatus.OPEN
    else:
        item.rectification_status = RectificationStatus.NONE
        item.rectify_due = None
    item.save()
    audit_record(
        actor=actor,
        action="spot_check.result",
        obj=item,
        region_code=item.street_id,
        before=before,
        after={
            "spot_check": item.spot_check_id,
            "case": item.case_id,
            "result": item.result,
            "note": item.note,
            "correct_amount": item.correct_amount,
            "rectification_status": item.rectification_status,
            "rectify_due": item.rectify_due,
        },
        reason=note,
    )
    _refresh_status(item.spot_check)
    return item


# --- the street's response -------------------------------------------------------------------------


def _resolved_task_since(item: SpotCheckItem) -> ReviewTask | None:
    if item.enrolment_id is None or item.checked_at is None:
        return None
    return (
        ReviewTask.objects.filter(
            enrolment_id=item.enrolment_id, status=TaskStatus.RESOLVED, resolved_at__gte=item.checked_at
        )
        .order_by("-resolved_at", "-id")
        .first()
    )


def rectification_state(item: SpotCheckItem) -> dict[str, Any]:
    """Whether the enrolment already shows the correction the result asks for (for page and guard)."""
    enrolment = Enrolment.objects.filter(pk=item.enrolment_id).first() if item.enrolment_id else None
    done = True
    if enrolment is not None and item.result == CheckResult.WRONG_AMOUNT:
        done = enrolment.status != EnrolmentStatus.ACTIVE or enrolment.monthly_amount == item.correct_amount
    elif enrolment is not None and item.result == CheckResult.SHOULD_NOT_BE_ENROLLED:
        done = enrolment.status != EnrolmentStatus.ACTIVE
    return {"enrolment": enrolment, "done": done, "review_task": _resolved_task_since(item)}


@transaction.atomic
def rectification_respond(*, actor: User, item: SpotCheckItem, response: str, note: str) -> SpotCheckItem:
    """The street reports what it did (rectified) or why it disagrees (disputed)."""
    item = SpotCheckItem.objects.select_for_update().select_related("spot_check").get(pk=item.pk)
    _require_visible(actor, item.street_id, _("该整改事项不在您的管辖范围内。"))
    if not is_street_responder(actor):
        raise BusinessError(_("只有街道审核、审批人员可以反馈整改情况。"), code="role_forbidden", status=403)
    if item.rectification_status != RectificationStatus.OPEN:
        raise Conflict(_("该事项当前不需要反馈(已反馈或已销号)。"), code="not_open")
    note = (note or "").strip()
    errors: dict[str, list[str]] = {}
    if response not in StreetResponse.values:
        errors["response"] = [_("请选择反馈类型。")]
    if len(note) < MIN_NOTE:
        errors["note"] = [_("请写明整改情况或异议理由(至少4个字)。")]
    state = rectification_state(item)
    if response == StreetResponse.RECTIFIED and not state["done"]:
        if item.result == CheckResult.WRONG_AMOUNT:
            errors["response"] = [
                _(
                    "该户月救助金仍为 %(a)s 元，与核定金额 %(c)s 元不符。请先对该户发起即时复核，"
                    "在复核待办中调整救助金后再反馈整改完成；如不同意抽查结论，请选择“有异议”。"
                )
                % {"a": state["enrolment"].monthly_amount, "c": item.correct_amount}
            ]
        else:
            errors["response"] = [
                _(
                    "该户仍在保障中。请先对该户发起即时复核，在复核待办中作出停止救助(或渐退)决定后"
                    "再反馈整改完成；如不同意抽查结论，请选择“有异议”。"
                )
            ]
    if errors:
        raise ValidationError(errors)
    item.rectification_status = RectificationStatus.RESPONDED
    item.response = response
    item.response_note = note
    item.responded_by = actor
    item.responded_at = timezone.now()
    item.review_task = state["review_task"] if response == StreetResponse.RECTIFIED else None
    item.save()
    enrolment = state["enrolment"]
    audit_record(
        actor=actor,
        action="spot_check.respond",
        obj=item,
        region_code=item.street_id,
        before={"rectification_status": RectificationStatus.OPEN},
        after={
            "rectification_status": item.rectification_status,
            "response": response,
            "review_task": item.review_task_id,
            "enrolment_status": enrolment.status if enrolment else None,
            "monthly_amount": enrolment.monthly_amount if enrolment else None,
        },
        reason=note,
    )
    return item


@transaction.atomic
def rectification_close(*, actor: User, item: SpotCheckItem, accept: bool, note: str = "") -> SpotCheckItem:
    """The supervisor closes (销号) a responded rectification, or returns it to the street."""
    _require_overseer(actor)
    item = SpotCheckItem.objects.select_for_update().select_related("spot_check").get(pk=item.pk)
    _require_visible(actor, item.street_id, _("该抽查案件不在您的管辖范围内。"))
    if item.rectification_status != RectificationStatus.RESPONDED:
        raise Conflict(_("街道尚未反馈整改情况，不能销号或退回。"), code="not_responded")
    note = (note or "").strip()
    if not accept and len(note) < MIN_NOTE:
        raise ValidationError({"note": [_("退回整改须写明理由(至少4个字)。")]})
    before = {"rectification_status": item.rectification_status, "response": item.response}
    item.supervisor_note = note
    if accept:
        item.rectification_status = RectificationStatus.CLOSED
        item.closed_by = actor
        item.closed_at = timezone.now()
        action = "spot_check.close"
    else:
        item.rectification_status = RectificationStatus.OPEN
        item.returned_count += 1
        item.response = ""
        item.rectify_due = timezone.localdate() + dt.timedelta(days=RECTIFY_DAYS)
        action = "spot_check.return"
    item.save()
    audit_record(
        actor=actor,
        action=action,
        obj=item,
        region_code=item.street_id,
        before=before,
        after={"rectification_status": item.rectification_status, "returned_count": item.returned_count},
        reason=note,
    )
    _refresh_status(item.spot_check)
    return item


__all__ = [
    "RECTIFY_DAYS",
    "draw_sample",
    "new_seed",
    "population_ids",
    "rectification_close",
    "rectification_respond",
    "rectification_state",
    "sample_size",
    "spot_check_create",
    "spot_check_record",
]
