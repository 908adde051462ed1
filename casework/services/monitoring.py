"""Monitoring alerts (防止返贫/低收入人口动态监测, DOMAIN §7) and active-discovery leads (主动发现, §6.1).

``monitoring_scan`` (Celery beat, every 15 minutes) reads what arrived since the last scan —
department records (``DataExchangeRecord``, ``MonitoringRecord``) by id, households by change time —
and applies the rules:

- ``high_medical_cost``: 医保 out-of-pocket cost over the last 12 months (or the household's declared
  annual medical expenditure) at or above the threshold (default 20,000 yuan);
- ``new_disability``: a 残联 certification of a member with no grade on file, or a more severe grade;
- ``unemployment``: a 人社 unemployment registration, or insured employment reported stopped;
- ``income_drop``: a member's wage per the tax records fell by at least the threshold (default 30 %)
  against the previous record (or, with none, against the declared wage);
- ``rigid_over_income``: the household's rigid expenditure (medical + education + rehabilitation,
  last 12 months) above its counted income of the last 12 months.

Each alert names its rule and goes to the household's street (``Alert.street``). A dedupe key
(rule + source record, or rule + household + year) makes a rescan raise nothing twice. Department
records about an enrolled household also start an immediate re-check (``recheck_households``).
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from django.core.exceptions import ValidationError
from django.db import connection, transaction
from django.db.models import QuerySet
from django.utils import timezone
from django.utils.translation import gettext as _

from accounts.audit import audit_record
from accounts.errors import BusinessError, Conflict
from accounts.models import STREET_ROLES, Region, User
from accounts.selectors import region_visible_to, scope_by_region
from applications.models import Household, IncomeItem, Member
from casework.models import DataExchangeRecord, RecordKind
from casework.models.monitoring import (
    Alert,
    AlertRule,
    AlertStatus,
    Difficulty,
    DiscoveryLead,
    LeadStatus,
    MonitoringKind,
    MonitoringRecord,
    ReporterRole,
    RuleCode,
    ScanCursor,
)
from casework.workdays import working_deadline
from eligibility.rules.types import COUNTED_INCOME_KINDS

LEAD_FOLLOW_UP_DAYS = 3  # working days to visit a reported household
LEAD_FOLLOW_UP_DAYS_URGENT = 1
STOPPED_EMPLOYMENT = frozenset({"stopped", "terminated", "中断", "停保", "终止"})
DEFAULT_THRESHOLDS = {
    RuleCode.HIGH_MEDICAL_COST: Decimal("20000"),
    RuleCode.INCOME_DROP: Decimal("0.30"),
    RuleCode.RIGID_OVER_INCOME: Decimal("1.0"),
}
SCAN_BATCH = 20_000

# --- selectors -----------------------------------------------------------------------------------


def alerts_visible_to(user: Any) -> QuerySet[Alert]:
    qs = Alert.objects.select_related("rule", "household", "household__community", "member", "street", "handled_by")
    return scope_by_region(qs, user, "street__code")


def leads_visible_to(user: Any) -> QuerySet[DiscoveryLead]:
    qs = DiscoveryLead.objects.select_related("street", "community", "household", "reported_by", "followed_by")
    return scope_by_region(qs, user, "street__code")


# --- the scan ------------------------------------------------------------------------------------


@dataclass
class Candidate:
    rule: str
    household_id: int
    member_id: int | None
    street_id: str
    message: str
    facts: dict[str, Any]
    dedupe_key: str


@dataclass
class ScanResult:
    department_records: int = 0
    monitoring_records: int = 0
    households: int = 0
    alerts: int = 0
    recheck_households: list[int] = field(default_factory=list)
    recheck_run: int | None = None


def _rules() -> dict[str, AlertRule]:
    return {r.code: r for r in AlertRule.objects.filter(enabled=True)}


def _threshold(rule: AlertRule) -> Decimal:
    if rule.threshold is not None:
        return rule.threshold
    return DEFAULT_THRESHOLDS.get(RuleCode(rule.code), Decimal("0"))


def _yuan(value: Decimal) -> str:
    return f"{value.quantize(Decimal('0.01'))}"


def _cursor(key: str) -> ScanCursor:
    cursor, _created = ScanCursor.objects.get_or_create(key=key)
    return ScanCursor.objects.select_for_update().get(pk=cursor.pk)


@dataclass(frozen=True)
class Person:
    member_id: int
    household_id: int
    street_id: str
    name: str
    disability_grade: int | None


def _people(indexes: Iterable[str]) -> dict[str, list[Person]]:
    out: dict[str, list[Person]] = defaultdict(list)
    for mid, hid, street, name, grade, index in Member.objects.filter(
        id_index__in=set(indexes), active=True
    ).values_list("id", "household_id", "household__street_id", "name", "disability_grade", "id_index"):
        out[index].append(Person(mid, hid, street, name, grade))
    return out


def _declared_wages(member_ids: Iterable[int]) -> dict[int, Decimal]:
    wages: dict[int, Decimal] = defaultdict(Decimal)
    for mid, monthly in IncomeItem.objects.filter(member_id__in=set(member_ids), kind="wage").values_list(
        "member_id", "monthly"
    ):
        wages[mid] += monthly
    return wages


def rules_for_department_records(
    records: list[DataExchangeRecord], people: Mapping[str, list[Person]], rules: Mapping[str, AlertRule]
) -> list[Candidate]:
    """Alerts from economic-check department records: income drop, stopped employment."""
    out: list[Candidate] = []
    wages = [r for r in records if r.kind == RecordKind.WAGE_INCOME and r.amount is not None]
    drop_rule = rules.get(RuleCode.INCOME_DROP)
    if drop_rule is not None and wages:
        ratio = _threshold(drop_rule)
        declared = _declared_wages(p.member_id for r in wages for p in people.get(r.id_index, []))
        for r in wages:
            assert r.amount is not None
            previous = (
                DataExchangeRecord.objects.filter(
                    id_index=r.id_index, kind=RecordKind.WAGE_INCOME, as_of__lt=r.as_of, amount__isnull=False
                )
                .order_by("-as_of", "-id")
                .values_list("amount", flat=True)
                .first()
            )
            for p in people.get(r.id_index, []):
                base = previous if previous is not None else declared.get(p.member_id, Decimal("0"))
                if base and base > 0 and (base - r.amount) >= base * ratio:
                    source = _("上期税务记录") if previous is not None else _("申报工资")
                    out.append(
                        Candidate(
                            RuleCode.INCOME_DROP,
                            p.household_id,
                            p.member_id,
                            p.street_id,
                            _("%(name)s 月工资收入由%(src)s %(a)s 元降至 %(b)s 元(降幅 %(pct)s%%)")
                            % {
                                "name": p.name,
                                "src": source,
                                "a": _yuan(base),
                                "b": _yuan(r.amount),
                                "pct": f"{(base - r.amount) / base * 100:.0f}",
                            },
                            {"before": _yuan(base), "after": _yuan(r.amount), "as_of": r.as_of.isoformat()},
                            f"{RuleCode.INCOME_DROP}:dx{r.pk}:m{p.member_id}",
                        )
                    )
    unemployment = rules.get(RuleCode.UNEMPLOYMENT)
    if unemployment is not None:
        for r in records:
            if r.kind != RecordKind.INSURED_EMPLOYMENT or r.value.strip().lower() not in STOPPED_EMPLOYMENT:
                continue
            for p in people.get(r.id_index, []):
                out.append(
                    Candidate(
                        RuleCode.UNEMPLOYMENT,
                        p.household_id,
                        p.member_id,
                        p.street_id,
                        _("%(name)s 社保显示在职参保已中断(%(d)s)") % {"name": p.name, "d": r.as_of.isoformat()},
                        {"as_of": r.as_of.isoformat(), "value": r.value},
                        f"{RuleCode.UNEMPLOYMENT}:dx{r.pk}:m{p.member_id}",
                    )
                )
    return out


def rules_for_monitoring_records(
    records: list[MonitoringRecord],
    people: Mapping[str, list[Person]],
    rules: Mapping[str, AlertRule],
    today: dt.date,
) -> list[Candidate]:
    """Alerts from monitoring feeds: medical cost, disability certification, unemployment."""
    out: list[Candidate] = []
    for r in records:
        rule = rules.get(
            {
                MonitoringKind.MEDICAL_OUT_OF_POCKET: RuleCode.HIGH_MEDICAL_COST,
                MonitoringKind.DISABILITY_CERTIFIED: RuleCode.NEW_DISABILITY,
                MonitoringKind.UNEMPLOYMENT_REGISTERED: RuleCode.UNEMPLOYMENT,
            }.get(MonitoringKind(r.kind), "")
            if r.kind in MonitoringKind.values
            else ""
        )
        if rule is None or (today - r.as_of).days > rule.window_days:
            continue
        for p in people.get(r.id_index, []):
            key = f"{rule.code}:mr{r.pk}:m{p.member_id}"
            if rule.code == RuleCode.HIGH_MEDICAL_COST:
                limit = _threshold(rule)
                if r.amount is None or r.amount < limit:
                    continue
                message = _("%(name)s 近12个月个人自付医疗费用 %(a)s 元，达到预警线 %(l)s 元") % {
                    "name": p.name,
                    "a": _yuan(r.amount),
                    "l": _yuan(limit),
                }
                facts: dict[str, Any] = {"amount": _yuan(r.amount), "threshold": _yuan(limit)}
            elif rule.code == RuleCode.NEW_DISABILITY:
                if r.grade is None or (p.disability_grade is not None and p.disability_grade <= r.grade):
                    continue
                message = _("%(name)s 新认定残疾%(g)s级(%(v)s)，档案中为%(old)s") % {
                    "name": p.name,
                    "g": r.grade,
                    "v": r.value or _("残疾人证"),
                    "old": _("无残疾") if p.disability_grade is None else _("%(g)s级") % {"g": p.disability_grade},
                }
                facts = {"grade": r.grade, "previous_grade": p.disability_grade}
            else:
                message = _("%(name)s 已办理失业登记(%(d)s)") % {"name": p.name, "d": r.as_of.isoformat()}
                facts = {}
            out.append(
                Candidate(
                    rule.code,
                    p.household_id,
                    p.member_id,
                    p.street_id,
                    message,
                    {**facts, "as_of": r.as_of.isoformat(), "department": r.department},
                    key,
                )
            )
    return out


def _household_rule_sql() -> str:
    h, m, i = Household._meta.db_table, Member._meta.db_table, IncomeItem._meta.db_table
    kinds = ", ".join(f"'{k}'" for k in sorted(COUNTED_INCOME_KINDS))
    return f"""
SELECT h.id, h.street_id, h.medical_expense_annual,
       h.medical_expense_annual + h.education_expense_annual + h.rehabilitation_expense_annual,
       12 * coalesce(inc.total, 0), h.updated_at
FROM {h} h
LEFT JOIN (
    SELECT mb.household_id, sum(it.monthly) AS total
    FROM {m} mb JOIN {i} it ON it.member_id = mb.id
    WHERE mb.active AND mb.lives_together AND mb.excluded = '' AND it.kind IN ({kinds})
    GROUP BY mb.household_id
) inc ON inc.household_id = h.id
WHERE h.updated_at > %(since)s
  AND (h.medical_expense_annual >= %(medical)s
       OR h.medical_expense_annual + h.education_expense_annual + h.rehabilitation_expense_annual
          > %(ratio)s * 12 * coalesce(inc.total, 0))
ORDER BY h.updated_at, h.id
"""  # noqa: S608 (table names from the models; values are parameters)


def rules_for_households(
    rules: Mapping[str, AlertRule], since: dt.datetime, year: int
) -> tuple[list[Candidate], dt.datetime | None]:
    """Case-data rules over households changed since ``since``: medical cost, rigid > income."""
    medical_rule, rigid_rule = rules.get(RuleCode.HIGH_MEDICAL_COST), rules.get(RuleCode.RIGID_OVER_INCOME)
    if medical_rule is None and rigid_rule is None:
        return [], None
    medical_limit = _threshold(medical_rule) if medical_rule else Decimal("1e15")
    ratio = _threshold(rigid_rule) if rigid_rule else Decimal("1e15")
    out: list[Candidate] = []
    latest: dt.datetime | None = None
    with connection.cursor() as cur:
        cur.execute(_household_rule_sql(), {"since": since, "medical": medical_limit, "ratio": ratio})
        for hid, street, medical, rigid, income, updated in cur.fetchall():
            latest = updated if latest is None or updated > latest else latest
            if medical_rule is not None and medical >= medical_limit:
                out.append(
                    Candidate(
                        RuleCode.HIGH_MEDICAL_COST,
                        hid,
                        None,
                        street,
                        _("家庭年自付医疗支出 %(a)s 元，达到预警线 %(l)s 元")
                        % {"a": _yuan(medical), "l": _yuan(medical_limit)},
                        {"amount": _yuan(medical), "threshold": _yuan(medical_limit)},
                        f"{RuleCode.HIGH_MEDICAL_COST}:h{hid}:{year}",
                    )
                )
            if rigid_rule is not None and rigid > ratio * income and rigid > 0:
                out.append(
                    Candidate(
                        RuleCode.RIGID_OVER_INCOME,
                        hid,
                        None,
                        street,
                        _("家庭年刚性支出 %(r)s 元(医疗、教育、康复)，超过上年家庭收入 %(i)s 元")
                        % {
                            "r": _yuan(rigid),
                            "i": _yuan(income),
                        },
                        {"rigid_expenditure": _yuan(rigid), "annual_income": _yuan(income)},
                        f"{RuleCode.RIGID_OVER_INCOME}:h{hid}:{year}",
                    )
                )
    return out, latest


def _store(candidates: list[Candidate], rules: Mapping[str, AlertRule]) -> int:
    if not candidates:
        return 0
    existing = set(
        Alert.objects.filter(dedupe_key__in=[c.dedupe_key for c in candidates]).values_list("dedupe_key", flat=True)
    )
    fresh: dict[str, Alert] = {}
    for c in candidates:
        if c.dedupe_key in existing or c.dedupe_key in fresh:
            continue
        fresh[c.dedupe_key] = Alert(
            rule=rules[c.rule],
            household_id=c.household_id,
            member_id=c.member_id,
            street_id=c.street_id,
            message=c.message[:300],
            facts=c.facts,
            dedupe_key=c.dedupe_key,
        )
    created = Alert.objects.bulk_create(list(fresh.values()), ignore_conflicts=True, batch_size=2000)
    return len(created)


def monitoring_scan(*, today: dt.date | None = None, recheck: bool = True) -> ScanResult:
    """Apply the rules to everything new since the last scan; queue immediate re-checks."""
    today = today or timezone.localdate()
    result = ScanResult()
    with transaction.atomic():
        dx_cursor, mr_cursor, hh_cursor = (
            _cursor("department_records"),
            _cursor("monitoring_records"),
            _cursor("households"),
        )
        rules = _rules()
        dx = list(DataExchangeRecord.objects.filter(pk__gt=dx_cursor.last_id).order_by("pk")[:SCAN_BATCH])
        mr = list(MonitoringRecord.objects.filter(pk__gt=mr_cursor.last_id).order_by("pk")[:SCAN_BATCH])
        people = _people({r.id_index for r in dx} | {r.id_index for r in mr})
        candidates = rules_for_department_records(dx, people, rules)
        candidates += rules_for_monitoring_records(mr, people, rules, today)
        since = hh_cursor.last_at or dt.datetime(2000, 1, 1, tzinfo=dt.UTC)
        household_candidates, latest = rules_for_households(rules, since, today.year)
        candidates += household_candidates
        result.alerts = _store(candidates, rules)
        result.department_records, result.monitoring_records = len(dx), len(mr)
        result.households = len({c.household_id for c in household_candidates})
        if dx:
            dx_cursor.last_id = dx[-1].pk
            dx_cursor.save()
        if mr:
            mr_cursor.last_id = mr[-1].pk
            mr_cursor.save()
        if latest is not None:
            hh_cursor.last_at = latest
            hh_cursor.save()
        indexes = {r.id_index for r in dx} | {r.id_index for r in mr}
        touched = sorted({p.household_id for index in indexes for p in people.get(index, [])})
        result.recheck_households = touched
        if recheck and touched:
            from casework.services.reverification import recheck_households

            run = recheck_households(
                household_ids=touched, trigger=_("部门共享数据变化(%(n)d条新记录)") % {"n": len(dx) + len(mr)}
            )
            result.recheck_run = run.pk if run else None
    return result


# --- staff actions on alerts ---------------------------------------------------------------------


def _require_street_staff(actor: User, street_code: str) -> None:
    if not (actor.is_superuser or actor.role in STREET_ROLES):
        raise BusinessError(_("只有街道工作人员可以处理。"), code="role_forbidden", status=403)
    if not region_visible_to(actor, street_code):
        raise BusinessError(_("不在您的管辖范围内。"), code="out_of_scope", status=404)


def _set_alert_status(*, actor: User, alert: Alert, status: str, note: str, application_id: int | None = None) -> Alert:
    alert = Alert.objects.select_for_update().get(pk=alert.pk)
    _require_street_staff(actor, alert.street_id)
    if alert.status != AlertStatus.OPEN:
        raise Conflict(_("该预警已处理。"), code="alert_handled")
    alert.status = status
    alert.handled_by = actor
    alert.handled_at = timezone.now()
    alert.handling_note = note
    if application_id:
        alert.application_id = application_id
    alert.save(update_fields=["status", "handled_by", "handled_at", "handling_note", "application"])
    audit_record(
        actor=actor,
        action=f"alert.{status}",
        obj=alert,
        region_code=alert.street_id,
        before={"status": AlertStatus.OPEN},
        after={"status": status, "rule": alert.rule_id, "household": alert.household_id},
        reason=note,
    )
    return alert


@transaction.atomic
def alert_dismiss(*, actor: User, alert: Alert, note: str) -> Alert:
    if len(note.strip()) < 4:
        raise ValidationError({"note": [_("请填写核实情况(至少4个字)。")]})
    return _set_alert_status(actor=actor, alert=alert, status=AlertStatus.DISMISSED, note=note.strip())


@transaction.atomic
def alert_to_application(*, actor: User, alert: Alert) -> Alert:
    """Staff open an application from the alert (the intake page opens with the household)."""
    return _set_alert_status(
        actor=actor, alert=alert, status=AlertStatus.APPLICATION, note=_("主动发现：转入一门受理登记申请")
    )


# --- active-discovery leads ------------------------------------------------------------------------


@transaction.atomic
def lead_report(
    *,
    actor: User,
    street: Region,
    community: Region | None,
    subject_name: str,
    address: str,
    difficulties: list[str],
    description: str,
    reporter_name: str,
    reporter_role: str,
    subject_phone: str = "",
    urgent: bool = False,
    household: Household | None = None,
) -> DiscoveryLead:
    """A grid worker's report becomes a lead with a follow-up deadline in working days."""
    _require_street_staff(actor, street.code)
    errors: dict[str, list[str]] = {}
    if community is not None and community.parent_id != street.code:
        errors["community"] = [_("社区(村)不属于该街道。")]
    if not subject_name.strip():
        errors["subject_name"] = [_("请填写困难群众姓名。")]
    if not address.strip():
        errors["address"] = [_("请填写住址。")]
    if not difficulties or any(d not in Difficulty.values for d in difficulties):
        errors["difficulties"] = [_("请选择困难情形。")]
    if len(description.strip()) < 4:
        errors["description"] = [_("请简要说明情况(至少4个字)。")]
    if reporter_role not in ReporterRole.values:
        errors["reporter_role"] = [_("请选择报告人身份。")]
    if not reporter_name.strip():
        errors["reporter_name"] = [_("请填写报告人。")]
    if household is not None and household.street_id != street.code:
        errors["household"] = [_("家庭不属于该街道。")]
    if errors:
        raise ValidationError(errors)
    today = timezone.localdate()
    deadline = working_deadline(today, LEAD_FOLLOW_UP_DAYS_URGENT if urgent else LEAD_FOLLOW_UP_DAYS)
    lead = DiscoveryLead.objects.create(
        street=street,
        community=community,
        household=household,
        subject_name=subject_name.strip(),
        subject_phone=subject_phone.strip(),
        address=address.strip(),
        difficulties=sorted(set(difficulties)),
        description=description.strip(),
        urgent=urgent,
        reporter_name=reporter_name.strip(),
        reporter_role=reporter_role,
        reported_by=actor,
        reported_on=today,
        follow_up_due=deadline.date,
        due_provisional=deadline.provisional,
    )
    audit_record(
        actor=actor,
        action="lead.report",
        obj=lead,
        region_code=street.code,
        after={
            "subject": lead.subject_name,
            "difficulties": lead.difficulties,
            "urgent": urgent,
            "follow_up_due": lead.follow_up_due,
            "reporter": f"{lead.get_reporter_role_display()} {lead.reporter_name}",
        },
    )
    return lead


LEAD_TRANSITIONS: dict[str, frozenset[str]] = {
    LeadStatus.OPEN: frozenset({LeadStatus.FOLLOWED, LeadStatus.APPLICATION, LeadStatus.CLOSED}),
    LeadStatus.FOLLOWED: frozenset({LeadStatus.APPLICATION, LeadStatus.CLOSED}),
    LeadStatus.APPLICATION: frozenset(),
    LeadStatus.CLOSED: frozenset(),
}


@transaction.atomic
def lead_follow_up(*, actor: User, lead: DiscoveryLead, status: str, note: str) -> DiscoveryLead:
    lead = DiscoveryLead.objects.select_for_update().get(pk=lead.pk)
    _require_street_staff(actor, lead.street_id)
    if status not in LEAD_TRANSITIONS.get(lead.status, frozenset()):
        raise Conflict(
            _("线索当前为“%(s)s”，不能变更为该状态。") % {"s": lead.get_status_display()}, code="lead_transition"
        )
    if status != LeadStatus.APPLICATION and len(note.strip()) < 4:
        raise ValidationError({"note": [_("请填写走访/跟进情况(至少4个字)。")]})
    before = {"status": lead.status}
    lead.status = status
    lead.follow_up_note = note.strip() or _("转入一门受理登记申请")
    lead.followed_by = actor
    lead.followed_at = timezone.now()
    lead.save(update_fields=["status", "follow_up_note", "followed_by", "followed_at"])
    audit_record(
        actor=actor,
        action="lead.follow_up",
        obj=lead,
        region_code=lead.street_id,
        before=before,
        after={"status": status},
        reason=lead.follow_up_note,
    )
    return lead


def lead_overdue(lead: DiscoveryLead, today: dt.date) -> bool:
    return lead.status == LeadStatus.OPEN and lead.follow_up_due < today
