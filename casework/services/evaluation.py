"""Call the eligibility engine for a case (the engine lives in ``eligibility``; casework only calls it)."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any

from django.utils.translation import gettext as _

from accounts.errors import BusinessError
from applications.models import AssistanceType
from casework.models import Case, Decision, EmergencyPayment, Outcome, PaymentStatus, Tier
from eligibility.rules.parameters import MissingParameter
from eligibility.services import evaluate_household, parameter_set


def emergency_input(case: Case) -> dict[str, Any] | None:
    app = case.application
    if AssistanceType.EMERGENCY not in app.assistance_types or not app.emergency_kind:
        return None
    return {
        "kind": app.emergency_kind,
        "date": app.emergency_date.isoformat() if app.emergency_date else None,
        "cost": f"{app.emergency_cost or 0:.2f}",
        "insurance": f"{app.emergency_insurance or 0:.2f}",
        "other_aid": f"{app.emergency_other_aid or 0:.2f}",
    }


def _earlier_grants(case: Case, as_of: dt.date) -> tuple[int, bool]:
    """Temporary-assistance grants to this household in the 12 months before ``as_of`` (other cases)."""
    since = as_of - dt.timedelta(days=365)
    decisions = Decision.objects.filter(
        case__household=case.household,
        outcome=Outcome.APPROVED,
        tier=Tier.EMERGENCY,
        decided_on__gt=since,
    ).exclude(case=case)
    payments = EmergencyPayment.objects.filter(
        case__household=case.household, status=PaymentStatus.PAID, paid_on__gt=since
    ).exclude(case=case)
    paid_cases = set(payments.values_list("case_id", flat=True))
    granted_cases = set(decisions.values_list("case_id", flat=True)) | paid_cases
    kind = case.application.emergency_kind
    same_cause = bool(kind) and (
        Decision.objects.filter(
            case__household=case.household,
            outcome=Outcome.APPROVED,
            tier=Tier.EMERGENCY,
            case__application__emergency_kind=kind,
            case__application__emergency_date=case.application.emergency_date,
        )
        .exclude(case=case)
        .exists()
    )
    return len(granted_cases), same_cause


def evaluate_case(case: Case, *, as_of: dt.date) -> dict[str, Any]:
    """The engine's public evaluation JSON for the case's household (verified data) on ``as_of``."""
    grants, same_cause = _earlier_grants(case, as_of)
    try:
        return evaluate_household(
            case.household,
            as_of=as_of,
            emergency=emergency_input(case),
            temporary_grants_last_12_months=grants,
            same_cause_granted=same_cause,
        )
    except MissingParameter as exc:
        raise BusinessError(
            _("缺少政策参数，无法测算：%(e)s。请联系县级管理员维护参数。") % {"e": exc},
            code="missing_parameter",
            status=409,
        ) from None
    except ValueError as exc:
        raise BusinessError(_("家庭数据无法测算：%(e)s") % {"e": exc}, code="evaluation_input") from None


def tier_entry(evaluation: dict[str, Any], tier: str) -> dict[str, Any] | None:
    return next((t for t in evaluation.get("tiers", []) if t["tier"] == tier and t["eligible"]), None)


def engine_proposal(evaluation: dict[str, Any]) -> tuple[str, Decimal, Decimal, str]:
    """(tier, monthly amount, one-off amount, approval level) the engine proposes."""
    primary = str(evaluation.get("primary_tier") or Tier.NONE)
    monthly = Decimal(evaluation.get("monthly_amount") or "0")
    emergency = tier_entry(evaluation, Tier.EMERGENCY)
    one_off = Decimal(emergency["recommended_amount"]) if emergency else Decimal("0")
    level = str(emergency.get("approval_level") or "street") if emergency else "street"
    if primary not in Tier.values:
        primary = Tier.NONE
    return primary, monthly, one_off, level


def street_limit(case: Case, evaluation: dict[str, Any], as_of: dt.date) -> Decimal:
    """street_approval_multiplier × S in force (DOMAIN §5): above it, the county approves."""
    standard = Decimal(evaluation["dibao_standard"])
    for p in evaluation.get("parameters_used", []):
        if p["name"] == "street_approval_multiplier":
            return (Decimal(str(p["value"])) * standard).quantize(Decimal("0.01"))
    try:
        multiplier = parameter_set(case.street_id, as_of).value("street_approval_multiplier")
    except MissingParameter as exc:
        raise BusinessError(str(exc), code="missing_parameter", status=409) from None
    return (multiplier * standard).quantize(Decimal("0.01"))
