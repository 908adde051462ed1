"""Department data interface (部门数据共享): tokens and the recipient-status query.

A department (医保局, 教育局, 住建局, 人社局 …) asks "is this person currently a recipient?" and learns
only what its ``DepartmentClient`` row entitles it to:

- only the tiers in ``allowed_tiers`` (a person enrolled in another tier is simply "not a recipient"
  for that department);
- the since-month only with ``may_see_since``, the monthly amount only with ``may_see_amount``;
- only people whose enrolment's street lies inside the department's region (a county department
  gets "not a recipient" for someone enrolled in another county).

A person is a recipient when they are an active member of a household whose enrolment is open
(在保 or 渐退中 — 渐退 households keep their status until the last paid month) and has not passed its
last paid month, and the current period covers them (its ``members`` list, or every counted member
when the list is empty). A household confirmed this month, paid from next month, is a recipient
already (its "since" is then next month's first day). "since" is the first month of the unbroken run
of periods in the same tier (a raise or lower does not reset it).

Tokens: ``<prefix>.<secret>``; only the SHA-256 of the secret is stored, the prefix finds the row.
The raw token is returned once by ``department_token_issue`` and never again.
Every query — answered, invalid or refused by the rate limit — is written to ``DepartmentQueryLog``
with the masked ID and the blind index only.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import hmac
import secrets
from dataclasses import dataclass, field
from typing import Any

from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Q, QuerySet
from django.utils import timezone
from django.utils.translation import gettext as _

from accounts.audit import audit_record, register_action_labels
from accounts.crypto import blind_index, mask_id
from accounts.models import Region, Role, User
from accounts.selectors import scope_prefix
from applications.ids import parse_resident_id
from applications.models import Member
from casework.models.enrolment import Enrolment, EnrolmentPeriod, EnrolmentStatus, add_months, month_start
from casework.ratelimit import hit
from oversight.models import (
    DEPARTMENT_TIER_CHOICES,
    DepartmentClient,
    DepartmentQueryLog,
    DepartmentToken,
    QueryOutcome,
)

AUTH_SCHEME = "Department"  # the Authorization header keyword
PREFIX_BYTES = 4  # 8 hex characters
SECRET_BYTES = 32
# ``last_used_at`` is refreshed at most this often (a write per query would serialise the callers).
LAST_USED_RESOLUTION = dt.timedelta(minutes=1)

register_action_labels(
    {
        "department_client.create": "登记数据共享部门",
        "department_token.issue": "签发部门接口令牌",
        "department_token.revoke": "吊销部门接口令牌",
    }
)


def _hash(secret: str) -> str:
    return hashlib.sha256(secret.encode("utf-8")).hexdigest()


# Entitlements of the usual departments (what each needs for its own assistance, and no more):
# medical assistance covers all four tiers; housing (公租房/廉租房 保障) and education grants only
# 低保/特困; employment (人社) 低保/特困/低收入. Nobody learns amounts unless the row says so.
PRESETS: dict[str, dict[str, Any]] = {
    "medical_insurance": {
        "name": "医疗保障局",
        "allowed_tiers": ["tekun", "dibao", "low_income", "expenditure_hardship"],
    },
    "education": {"name": "教育局", "allowed_tiers": ["tekun", "dibao"]},
    "housing": {"name": "住房和城乡建设局", "allowed_tiers": ["tekun", "dibao"]},
    "human_resources": {"name": "人力资源和社会保障局", "allowed_tiers": ["tekun", "dibao", "low_income"]},
}


@transaction.atomic
def department_client_create(
    *,
    code: str,
    region: Region,
    actor: User | None,
    name: str = "",
    allowed_tiers: list[str] | None = None,
    may_see_since: bool = True,
    may_see_amount: bool = False,
) -> DepartmentClient:
    """Register a department; unknown codes need a name and tiers, known codes take the preset."""
    preset = PRESETS.get(code, {})
    tiers = allowed_tiers if allowed_tiers is not None else list(preset.get("allowed_tiers", []))
    valid = {value for value, _label in DEPARTMENT_TIER_CHOICES}
    if not tiers or not set(tiers) <= valid:
        raise ValidationError({"allowed_tiers": [_("请选择该部门可查询的保障类别。")]})
    if region.level not in (Region.Level.CITY, Region.Level.COUNTY):
        raise ValidationError({"region": [_("查询范围只能是全市或一个县(市、区)。")]})
    client = DepartmentClient.objects.create(
        code=code,
        name=name or preset.get("name", "") or code,
        region=region,
        allowed_tiers=sorted(set(tiers)),
        may_see_since=may_see_since,
        may_see_amount=may_see_amount,
    )
    audit_record(
        actor=actor,
        action="department_client.create",
        obj=client,
        region_code=region.code,
        after={
            "code": client.code,
            "name": client.name,
            "allowed_tiers": client.allowed_tiers,
            "may_see_since": may_see_since,
            "may_see_amount": may_see_amount,
        },
        actor_label=None if actor else "manage.py",
    )
    return client


# --- tokens ------------------------------------------------------------------------------------


@transaction.atomic
def department_token_issue(
    *,
    client: DepartmentClient,
    actor: User | None,
    label: str = "",
    expires_at: dt.datetime | None = None,
    revoke_others: bool = False,
) -> tuple[DepartmentToken, str]:
    """Create a token; return it and the raw ``<prefix>.<secret>`` (shown once, never stored).

    ``revoke_others`` rotates: every other usable token of the department is revoked in the same
    transaction.
    """
    if revoke_others:
        for old in DepartmentToken.objects.select_for_update().filter(client=client, revoked_at__isnull=True):
            _revoke(old, actor=actor, reason=_("轮换令牌"))
    while True:
        prefix = secrets.token_hex(PREFIX_BYTES)
        if not DepartmentToken.objects.filter(prefix=prefix).exists():
            break
    secret = secrets.token_urlsafe(SECRET_BYTES)
    token = DepartmentToken.objects.create(
        client=client,
        prefix=prefix,
        secret_hash=_hash(secret),
        label=label.strip(),
        expires_at=expires_at,
        created_by=actor,
    )
    audit_record(
        actor=actor,
        action="department_token.issue",
        obj=token,
        region_code=client.region_id,
        after={"client": client.code, "prefix": prefix, "expires_at": expires_at, "label": token.label},
        actor_label=None if actor else "manage.py",
    )
    return token, f"{prefix}.{secret}"


def _revoke(token: DepartmentToken, *, actor: User | None, reason: str) -> None:
    token.revoked_at = timezone.now()
    token.revoked_by = actor
    token.save(update_fields=["revoked_at", "revoked_by"])
    audit_record(
        actor=actor,
        action="department_token.revoke",
        obj=token,
        region_code=token.client.region_id,
        after={"client": token.client.code, "prefix": token.prefix},
        reason=reason,
        actor_label=None if actor else "manage.py",
    )


@transaction.atomic
def department_token_revoke(*, token: DepartmentToken, actor: User | None, reason: str = "") -> DepartmentToken:
    """Revoke at once; revoking a revoked token changes nothing."""
    token = DepartmentToken.objects.select_for_update().select_related("client").get(pk=token.pk)
    if token.revoked_at is None:
        _revoke(token, actor=actor, reason=reason.strip() or _("吊销令牌"))
    return token


def department_token_authenticate(raw: str) -> DepartmentToken | None:
    """The usable token of an active department for ``raw``, or None (unknown, wrong, revoked…)."""
    prefix, sep, secret = (raw or "").strip().partition(".")
    if not sep or not prefix or not secret:
        return None
    token = DepartmentToken.objects.select_related("client", "client__region").filter(prefix=prefix).first()
    if token is None or not hmac.compare_digest(token.secret_hash, _hash(secret)):
        return None
    if not token.is_usable or not token.client.is_active:
        return None
    now = timezone.now()
    if token.last_used_at is None or now - token.last_used_at > LAST_USED_RESOLUTION:
        DepartmentToken.objects.filter(pk=token.pk).update(last_used_at=now)
        token.last_used_at = now
    return token


# --- the query -----------------------------------------------------------------------------------


@dataclass
class RecipientAnswer:
    recipient: bool
    tiers: list[dict[str, Any]] = field(default_factory=list)
    as_of: dt.date = field(default_factory=timezone.localdate)
    region_code: str = ""

    def as_dict(self) -> dict[str, Any]:
        return {"recipient": self.recipient, "tiers": self.tiers, "as_of": self.as_of.isoformat()}


class RateLimited(Exception):
    pass


def _since(enrolment: Enrolment, current: EnrolmentPeriod) -> dt.date:
    """First month of the unbroken run of periods in the current period's tier."""
    since = current.start_month
    earlier = [p for p in enrolment.periods.all() if p.seq < current.seq]
    for period in sorted(earlier, key=lambda p: p.seq, reverse=True):
        if period.end_month is not None and period.end_month < period.start_month:
            continue  # closed before it began: paid nothing, interrupts nothing
        if period.tier != current.tier or period.kind == "stop":
            break
        if period.end_month is not None and add_months(period.end_month, 1) < since:
            break
        since = period.start_month
    return since


def _covers(period: EnrolmentPeriod, member: Member) -> bool:
    if period.members:
        return member.pk in period.members
    return member.is_counted


def recipient_status(*, client: DepartmentClient, id_number: str, today: dt.date | None = None) -> RecipientAnswer:
    """What ``client`` may learn about the (already validated) ``id_number`` today."""
    today = today or timezone.localdate()
    month = month_start(today)
    answer = RecipientAnswer(recipient=False, as_of=today)
    members = list(Member.objects.filter(id_index=blind_index(id_number), active=True))
    if not members:
        return answer
    by_household = {m.household_id: m for m in members}
    enrolments = (
        Enrolment.objects.filter(
            household_id__in=list(by_household),
            status__in=[EnrolmentStatus.ACTIVE, EnrolmentStatus.EXITING],
            street__code__startswith=client.region_id,
            current_period__isnull=False,
        )
        .filter(Q(end_month__isnull=True) | Q(end_month__gte=month))
        .select_related("current_period")
        .prefetch_related("periods")
        .order_by("pk")
    )
    allowed = set(client.allowed_tiers)
    for enrolment in enrolments:
        period = enrolment.current_period
        assert period is not None
        if period.tier not in allowed or not _covers(period, by_household[enrolment.household_id]):
            continue
        entry: dict[str, Any] = {"tier": period.tier}
        if client.may_see_since:
            entry["since"] = _since(enrolment, period).isoformat()
        if client.may_see_amount:
            entry["monthly_amount"] = str(period.monthly_amount)
        answer.tiers.append(entry)
        answer.region_code = answer.region_code or enrolment.street_id
    answer.recipient = bool(answer.tiers)
    return answer


def _log(
    *,
    token: DepartmentToken,
    outcome: str,
    client_ip: str,
    id_masked: str = "",
    id_index: str = "",
    answer: RecipientAnswer | None = None,
    detail: str = "",
) -> DepartmentQueryLog:
    summary: dict[str, Any] = {}
    if answer is not None:
        summary = {"tiers": answer.tiers}
    if detail:
        summary["detail"] = detail
    return DepartmentQueryLog.objects.create(
        client=token.client,
        token=token,
        id_masked=id_masked[:18],
        id_index=id_index,
        outcome=outcome,
        recipient=bool(answer and answer.recipient),
        answer=summary,
        region_code=answer.region_code if answer else "",
        client_ip=client_ip[:64],
    )


def recipient_status_malformed(*, token: DepartmentToken, client_ip: str, detail: str) -> None:
    """Log a request whose body had no usable ``id_number`` at all (still a query to account for)."""
    with transaction.atomic():
        _log(token=token, outcome=QueryOutcome.INVALID, client_ip=client_ip, detail=detail[:200])


def recipient_status_query(*, token: DepartmentToken, raw_id: str, client_ip: str) -> RecipientAnswer:
    """Rate-limit, validate, answer and log one query of ``token``'s department.

    Raises ``RateLimited`` or ``ValidationError`` (``{"id_number": [...]}``); both are logged too.
    """
    client = token.client
    if not hit("department-query", token.prefix, limit=client.rate_limit_per_minute, window=60):
        with transaction.atomic():
            _log(token=token, outcome=QueryOutcome.RATE_LIMITED, client_ip=client_ip)
        raise RateLimited()
    try:
        number = parse_resident_id(raw_id).number
    except ValidationError as exc:
        cleaned = (raw_id or "").strip().upper()
        with transaction.atomic():
            _log(
                token=token,
                outcome=QueryOutcome.INVALID,
                client_ip=client_ip,
                id_masked=mask_id(cleaned),
                detail="; ".join(exc.messages),
            )
        raise ValidationError({"id_number": exc.messages}) from None
    with transaction.atomic():
        answer = recipient_status(client=client, id_number=number)
        _log(
            token=token,
            outcome=QueryOutcome.ANSWERED,
            client_ip=client_ip,
            id_masked=mask_id(number),
            id_index=blind_index(number),
            answer=answer,
        )
    return answer


# --- the staff view of the log -------------------------------------------------------------------

LOG_ROLES = frozenset({Role.SUPERVISOR, Role.ADMIN})


def query_logs_visible_to(user: User) -> QuerySet[DepartmentQueryLog]:
    """City admins see every query; a county supervisor the queries of departments of their county
    and the queries that found someone enrolled in their county; nobody else anything."""
    qs = DepartmentQueryLog.objects.select_related("client", "token")
    if not (user.is_superuser or user.role in LOG_ROLES):
        return qs.none()
    prefix = scope_prefix(user)
    if prefix is None:
        return qs.none()
    if prefix == "":
        return qs
    return qs.filter(Q(client__region__code__startswith=prefix) | Q(region_code__startswith=prefix))
