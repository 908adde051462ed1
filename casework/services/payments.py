"""Monthly payment roll (发放名册): generate once per street and month, lock by the county.

Generation is idempotent and safe under concurrency: a transaction-scoped advisory lock on
(street, month) serialises generators, the roll is ``get_or_create``-d under it, lines are unique
per (roll, enrolment, kind), and a second run only adds lines that are missing (e.g. a bridging
payment granted after the first run) — nothing twice. A locked roll is refused by the service and
by database triggers.

Lines carry only masked identifiers: the account and the resident ID are masked when the line is
written, so neither the page nor the exports can leak them.
"""

from __future__ import annotations

import datetime as dt
import hashlib
from collections import defaultdict
from decimal import Decimal
from typing import Any

from django.db import connection, transaction
from django.db.models import Count, Q, QuerySet, Sum
from django.utils import timezone
from django.utils.translation import gettext as _

from accounts.audit import audit_record
from accounts.crypto import mask_account
from accounts.errors import BusinessError, Conflict
from accounts.models import Region, Role, User
from accounts.selectors import region_visible_to, scope_by_region
from applications.models import Household, Member, Relation
from casework.models import Tier
from casework.models.enrolment import BridgingPayment, Enrolment, EnrolmentPeriod, month_start
from casework.models.payments import ROLL_TRANSITIONS, LineKind, PaymentRoll, RollLine, RollStatus

ZERO = Decimal("0.00")


# --- selectors -----------------------------------------------------------------------------------


#: Roles that never see payment rolls (a roll lists every payee of the street with bank details).
ROLL_BLIND_ROLES = frozenset({Role.SOCIAL_WORKER, Role.CHARITY})


def rolls_visible_to(user: Any) -> QuerySet[PaymentRoll]:
    qs = PaymentRoll.objects.select_related("street", "generated_by", "locked_by")
    if getattr(user, "role", None) in ROLL_BLIND_ROLES:
        return qs.none()  # names and bank accounts of the whole street: not for these roles
    return scope_by_region(qs, user, "street__code")


def roll_totals(roll: PaymentRoll) -> dict[str, Any]:
    """Count and sum per tier and line kind, and overall (always computed from the lines)."""
    rows = (
        RollLine.objects.filter(roll=roll)
        .values("tier", "kind")
        .annotate(n=Count("id"), total=Sum("amount"))
        .order_by("tier", "kind")
    )
    labels = dict(Tier.choices)
    kind_labels = dict(LineKind.choices)
    by_tier: list[dict[str, Any]] = []
    count, total = 0, ZERO
    for r in rows:
        by_tier.append(
            {
                "tier": r["tier"],
                "tier_label": str(labels.get(r["tier"], r["tier"])),
                "kind": r["kind"],
                "kind_label": str(kind_labels.get(r["kind"], r["kind"])),
                "count": r["n"],
                "total": f"{r['total']:.2f}",
            }
        )
        count += r["n"]
        total += r["total"]
    return {"by_tier": by_tier, "count": count, "total": f"{total:.2f}"}


def allowed_roll_actions(roll: PaymentRoll, user: Any) -> list[str]:
    role = getattr(user, "role", None)
    return [action for _to, (action, roles) in ROLL_TRANSITIONS.get(roll.status, {}).items() if role in roles]


# --- generation ----------------------------------------------------------------------------------


def _lock_key(street_code: str, month: dt.date) -> int:
    digest = hashlib.blake2b(f"payment_roll:{street_code}:{month:%Y-%m}".encode(), digest_size=8).digest()
    return int.from_bytes(digest, "big", signed=True)


def _payees(household_ids: list[int]) -> dict[int, tuple[str, str]]:
    """Household → (name, masked ID) of its applicant (or first active member)."""
    out: dict[int, tuple[str, str]] = {}
    applicant: set[int] = set()
    rows = (
        Member.objects.filter(household_id__in=household_ids, active=True)
        .order_by("household_id", "id")
        .values_list("household_id", "name", "id_masked", "relation")
    )
    for hid, name, masked, relation in rows:
        if hid in applicant or (hid in out and relation != Relation.SELF):
            continue
        out[hid] = (name, masked)
        if relation == Relation.SELF:
            applicant.add(hid)
    return out


def _line(
    *, roll: PaymentRoll, enrolment: Enrolment, household: Household, payee: tuple[str, str], **values: Any
) -> RollLine:
    return RollLine(
        roll=roll,
        enrolment=enrolment,
        household=household,
        payee_name=payee[0],
        id_masked=payee[1],
        community_name=household.community.name if household.community_id else "",
        bank_name=household.bank_name,
        account_masked=mask_account(household.bank_account),
        **values,
    )


def _require_generator(actor: User | None, street_code: str) -> None:
    if actor is None:
        return  # Celery beat
    if not (actor.is_superuser or actor.role in {Role.APPROVER, Role.ADMIN}):
        raise BusinessError(_("只有街道审批人员可以生成发放名册。"), code="role_forbidden", status=403)
    if not region_visible_to(actor, street_code):
        raise BusinessError(_("该街道不在您的管辖范围内。"), code="out_of_scope", status=404)


@transaction.atomic
def payment_roll_generate(*, street: Region, month: dt.date, actor: User | None) -> PaymentRoll:
    """The roll of ``street`` for ``month``; created once, completed with any missing line."""
    _require_generator(actor, street.code)
    month = month_start(month)
    with connection.cursor() as cur:
        cur.execute("SELECT pg_advisory_xact_lock(%s)", [_lock_key(street.code, month)])
    roll, created = PaymentRoll.objects.select_for_update().get_or_create(
        street=street, month=month, defaults={"generated_by": actor}
    )
    if roll.is_locked:
        raise Conflict(_("%(m)s 的发放名册已锁定，不能再生成或修改。") % {"m": f"{month:%Y-%m}"}, code="roll_locked")
    have = set(RollLine.objects.filter(roll=roll).values_list("enrolment_id", "kind"))
    periods = list(
        EnrolmentPeriod.objects.filter(enrolment__street=street, start_month__lte=month, monthly_amount__gt=0)
        .filter(Q(end_month__isnull=True) | Q(end_month__gte=month))
        .select_related("enrolment")
        .order_by("enrolment_id", "seq")
    )
    bridgings = list(
        BridgingPayment.objects.filter(
            enrolment__street=street, pay_from_month__lte=month, roll_line__isnull=True
        ).select_related("enrolment")
    )
    household_ids = sorted({p.enrolment.household_id for p in periods} | {b.enrolment.household_id for b in bridgings})
    households = {h.pk: h for h in Household.objects.filter(pk__in=household_ids).select_related("community")}
    payees = _payees(household_ids)
    new: list[RollLine] = []
    for p in periods:
        if (p.enrolment_id, LineKind.MONTHLY) in have:
            continue
        hid = p.enrolment.household_id
        new.append(
            _line(
                roll=roll,
                enrolment=p.enrolment,
                household=households[hid],
                payee=payees.get(hid, ("", "")),
                kind=LineKind.MONTHLY,
                period=p,
                tier=p.tier,
                amount=p.monthly_amount,
            )
        )
        have.add((p.enrolment_id, LineKind.MONTHLY))
    for b in bridgings:
        if (b.enrolment_id, LineKind.BRIDGING) in have:
            continue
        hid = b.enrolment.household_id
        new.append(
            _line(
                roll=roll,
                enrolment=b.enrolment,
                household=households[hid],
                payee=payees.get(hid, ("", "")),
                kind=LineKind.BRIDGING,
                bridging=b,
                tier=b.enrolment.tier,
                amount=b.amount,
            )
        )
    RollLine.objects.bulk_create(new, batch_size=2000)
    if created or new:
        totals = roll_totals(roll)
        roll.line_count, roll.total_amount, roll.totals = totals["count"], Decimal(totals["total"]), totals
        roll.save(update_fields=["line_count", "total_amount", "totals"])
        audit_record(
            actor=actor,
            action="payment_roll.generate",
            obj=roll,
            region_code=street.code,
            after={"month": month, "lines_added": len(new), "lines": roll.line_count, "total": roll.total_amount},
        )
    return roll


def payment_rolls_generate_all(*, month: dt.date) -> list[int]:
    """Beat: the roll of every street that has anything to pay in ``month`` (locked rolls skipped)."""
    month = month_start(month)
    streets = (
        EnrolmentPeriod.objects.filter(start_month__lte=month, monthly_amount__gt=0)
        .filter(Q(end_month__isnull=True) | Q(end_month__gte=month))
        .values_list("enrolment__street_id", flat=True)
        .distinct()
    )
    done: list[int] = []
    for code in sorted(set(streets)):
        try:
            roll = payment_roll_generate(street=Region.objects.get(code=code), month=month, actor=None)
        except Conflict:
            continue
        done.append(roll.pk)
    return done


# --- lock ----------------------------------------------------------------------------------------


@transaction.atomic
def payment_roll_lock(*, actor: User, roll: PaymentRoll) -> PaymentRoll:
    """A county supervisor locks the roll (draft → locked); the totals are frozen with it."""
    roll = PaymentRoll.objects.select_for_update().get(pk=roll.pk)
    if not region_visible_to(actor, roll.street_id):
        raise BusinessError(_("该名册不在您的管辖范围内。"), code="out_of_scope", status=404)
    step = ROLL_TRANSITIONS.get(roll.status, {}).get(RollStatus.LOCKED)
    if step is None:
        raise Conflict(_("名册已锁定，不能再变更。"), code="roll_locked")
    if actor.role not in step[1]:
        raise BusinessError(_("只有县级民政部门监督人员可以锁定发放名册。"), code="role_forbidden", status=403)
    totals = roll_totals(roll)
    before = {"status": roll.status}
    roll.status = RollStatus.LOCKED
    roll.locked_at = timezone.now()
    roll.locked_by = actor
    roll.line_count, roll.total_amount, roll.totals = totals["count"], Decimal(totals["total"]), totals
    roll.save(update_fields=["status", "locked_at", "locked_by", "line_count", "total_amount", "totals"])
    audit_record(
        actor=actor,
        action="payment_roll.lock",
        obj=roll,
        region_code=roll.street_id,
        before=before,
        after={"status": roll.status, "lines": roll.line_count, "total": roll.total_amount},
    )
    return roll


def by_community(lines: list[RollLine]) -> dict[str, list[RollLine]]:
    groups: dict[str, list[RollLine]] = defaultdict(list)
    for line in lines:
        groups[line.community_name].append(line)
    return dict(groups)
