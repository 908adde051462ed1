"""Load inputs from the database, hand plain values to the pure rules, store parameter changes.

- ``evaluate_payload``: the stateless public evaluation (POST /api/v1/eligibility/evaluate/).
- ``evaluate_household``: the engine on a stored household (preliminary opinion, decisions).
- ``parameter_add`` / ``parameter_update``: county administrators' edits, audited; a row already in
  force is never changed (a change is a new dated row), so past decisions keep their values.
"""

from __future__ import annotations

import copy
import datetime as dt
import re
from collections.abc import Mapping
from decimal import Decimal
from typing import Any

from django.core.exceptions import ValidationError
from django.db import IntegrityError, connections, router, transaction
from django.db.models import QuerySet
from django.db.models.expressions import RawSQL
from django.utils import timezone
from django.utils.translation import gettext as _

from accounts.audit import audit_record
from accounts.errors import BusinessError
from accounts.frozen import FrozenQuery
from accounts.models import Region, Role, User
from applications.models import Household
from eligibility.models import STRUCTURED_PARAMETERS, PolicyParameter
from eligibility.rules.evaluate import evaluate
from eligibility.rules.parameters import MissingParameter, ParameterSet, ParamValue
from eligibility.rules.payload import evaluation_to_payload, household_from_payload

_PATH = re.compile(r"^(?P<path>[a-z_\[\]0-9.]+): (?P<message>.+)$", re.S)


class EvaluationInputError(Exception):
    """Bad evaluation input: ``errors`` maps a field path to messages (rendered as HTTP 400)."""

    def __init__(self, errors: dict[str, list[str]]) -> None:
        super().__init__(errors)
        self.errors = errors


def today() -> dt.date:
    return timezone.localdate()


def _evaluation_region(code: str) -> QuerySet[Region]:
    return Region.objects.filter(code=code).exclude(level=Region.Level.CITY)


_EVALUATION_REGION: FrozenQuery[Region] = FrozenQuery(_evaluation_region)  # compiled once per code length


def region_for_evaluation(code: object) -> Region:
    """A county-level unit or a street (or community) of Hefei; its county gives the standard area."""
    if not isinstance(code, str) or not code:
        raise EvaluationInputError({"region": [_("请填写县(市、区)或街道(乡镇)区划代码。")]})
    # Division codes are digits: anything else (a NUL character, say) is unknown without a query.
    found = (
        _EVALUATION_REGION.rows("region", code=code) if code.isascii() and code.isdigit() and len(code) <= 12 else []
    )
    region = found[0] if found else None
    if region is None:
        raise EvaluationInputError({"region": [_("未知的区划代码：%(code)s") % {"code": code}]})
    return region


def standard_area_of(region: Region) -> str:
    if region.level == Region.Level.COUNTY:
        return region.standard_area
    # A street read with its parent (``select_related("street__parent")``) has its county at hand.
    parent = region.parent if _REGION_PARENT.is_cached(region) else None
    county = parent if parent is not None and parent.code == region.code[:6] else None
    if county is None:
        county = Region.objects.get(code=region.code[:6])
    return county.standard_area


_REGION_PARENT = Region._meta.get_field("parent")
_HOUSEHOLD_STREET = Household._meta.get_field("street")

# --- policy parameters: a per-process copy, checked against the table at every use ----------------
#
# Every evaluation needs the parameter rows of its region chain (a few dozen rows that change a few
# times a year). Each process keeps the rows it last read per chain together with their fingerprint:
# a SHA-256 over the rows' full text (``row::text``: every column, ``changed_at`` included), in id
# order. Each use asks PostgreSQL for the fingerprint of the chain's rows as they are now (one
# single-row query, no rows to instantiate) and reloads them on any difference. So a parameter
# added, corrected or removed — by any process, a migration or plain SQL — is used by the very next
# evaluation. A reload reads the rows and their fingerprint with one statement (one snapshot), so a
# cached copy is never paired with the fingerprint of another state of the table.

_TABLE = PolicyParameter._meta.db_table
_ROW_TEXTS = f"string_agg(\"{_TABLE}\"::text, ','{{order}}){{window}}"  # only the model's table name goes in
_ALL_ROWS = " OVER (ORDER BY id ROWS BETWEEN UNBOUNDED PRECEDING AND UNBOUNDED FOLLOWING)"
_CHAIN_FINGERPRINT = f"encode(sha256(convert_to({_ROW_TEXTS.format(order=' ORDER BY id', window='')}, 'UTF8')), 'hex')"
_ROWS_FINGERPRINT = f"encode(sha256(convert_to({_ROW_TEXTS.format(order='', window=_ALL_ROWS)}, 'UTF8')), 'hex')"
_CHECK_SQL = f'SELECT {_CHAIN_FINGERPRINT} FROM "{_TABLE}" WHERE region_id = ANY(%s)'  # noqa: S608
_parameter_cache: dict[tuple[str, tuple[str, ...]], tuple[str | None, tuple[ParamValue, ...]]] = {}


def _parameter_fingerprint(alias: str, chain: list[str]) -> str | None:
    with connections[alias].cursor() as cursor:
        cursor.execute(_CHECK_SQL, [chain])
        row = cursor.fetchone()
    return row[0] if row else None


def _load_parameter_rows(alias: str, chain: list[str]) -> tuple[str | None, tuple[ParamValue, ...]]:
    """The chain's rows (in the model's ordering) and their fingerprint, from one statement."""
    params = list(
        PolicyParameter.objects.using(alias)
        .filter(region_id__in=chain)
        .annotate(chain_fingerprint=RawSQL(_ROWS_FINGERPRINT, ()))  # noqa: S611
    )
    rows = tuple(
        ParamValue(name=p.name, region=p.region_id, effective_from=p.effective_from, value=p.typed_value)
        for p in params
    )
    return (params[0].chain_fingerprint if params else None), rows


def parameter_rows(region_code: str) -> list[ParamValue]:
    chain = Region(code=region_code).chain_codes()
    alias = router.db_for_read(PolicyParameter)
    key = (alias, tuple(chain))
    cached = _parameter_cache.get(key)
    if cached is None or cached[0] != _parameter_fingerprint(alias, chain):
        cached = _parameter_cache[key] = _load_parameter_rows(alias, chain)
    # A structured value is a dict: each caller gets its own copy.
    return [
        ParamValue(p.name, p.region, p.effective_from, copy.deepcopy(p.value)) if isinstance(p.value, Mapping) else p
        for p in cached[1]
    ]


def parameter_set(region_code: str, as_of: dt.date) -> ParameterSet:
    return ParameterSet(parameter_rows(region_code), Region(code=region_code).chain_codes(), as_of)


def _missing_error(exc: MissingParameter) -> EvaluationInputError:
    message = _("参数 %(name)s 在地区 %(region)s 于 %(date)s 没有生效的取值。") % {
        "name": exc.name,
        "region": exc.region,
        "date": exc.as_of.isoformat(),
    }
    return EvaluationInputError({"as_of": [message], "parameter": [exc.name]})


def evaluate_payload(data: Mapping[str, Any]) -> dict[str, Any]:
    """The public contract: request JSON in, response JSON out; bad input → EvaluationInputError."""
    if not isinstance(data, Mapping):
        raise EvaluationInputError({"non_field_errors": [_("请求体应为 JSON 对象。")]})
    region = region_for_evaluation(data.get("region"))
    try:
        household = household_from_payload(data, standard_area=standard_area_of(region))
    except ValueError as exc:
        match = _PATH.match(str(exc))
        if match:
            raise EvaluationInputError({match["path"]: [match["message"]]}) from None
        raise EvaluationInputError({"non_field_errors": [str(exc)]}) from None
    try:
        return evaluation_to_payload(evaluate(household, parameter_set(region.code, household.as_of)))
    except MissingParameter as exc:
        raise _missing_error(exc) from None


def household_to_payload(
    household: Household,
    *,
    as_of: dt.date,
    emergency: Mapping[str, Any] | None = None,
    temporary_grants_last_12_months: int = 0,
    same_cause_granted: bool = False,
) -> dict[str, Any]:
    """A stored household as the public request JSON (members' ``ref`` is their database id)."""
    members = [m for m in household.members.all() if m.active]
    return {
        "region": household.street_id,
        "as_of": as_of.isoformat(),
        "members": [
            {
                "ref": str(m.pk),
                "birth_date": m.birth_date.isoformat(),
                "lives_together": m.lives_together,
                "excluded": m.excluded or None,
                "disability_grade": m.disability_grade,
                "disability_kind": m.disability_kind or None,
                "serious_illness": m.serious_illness,
                "student": m.student,
                "work_capacity": m.work_capacity or None,
                "adl_incapable": m.adl_incapable,
                "has_able_supporter": m.has_able_supporter,
                "care_mode": m.care_mode,
                "incomes": [{"kind": i.kind, "monthly": f"{i.monthly:.2f}"} for i in m.incomes.all()],
            }
            for m in members
            if m.birth_date <= as_of
        ],
        "assets": {
            "financial": f"{household.financial_assets:.2f}",
            "vehicles": [{"price": f"{v.price:.2f}", "business_use": v.business_use} for v in household.vehicles.all()],
            "homes": household.homes,
            "business": {
                "employs_others_12m": household.business_employs_others_12m,
                "avg_monthly_net_profit": f"{household.business_avg_monthly_net_profit:.2f}",
            },
        },
        "rigid_expenditure_annual": {
            "medical": f"{household.medical_expense_annual:.2f}",
            "education": f"{household.education_expense_annual:.2f}",
            "rehabilitation": f"{household.rehabilitation_expense_annual:.2f}",
        },
        "emergency": dict(emergency) if emergency else None,
        "temporary_grants_last_12_months": temporary_grants_last_12_months,
        "same_cause_granted": same_cause_granted,
    }


def evaluate_household(
    household: Household,
    *,
    as_of: dt.date,
    emergency: Mapping[str, Any] | None = None,
    temporary_grants_last_12_months: int = 0,
    same_cause_granted: bool = False,
) -> dict[str, Any]:
    """The engine's public response JSON for a stored household (raises MissingParameter)."""
    payload = household_to_payload(
        household,
        as_of=as_of,
        emergency=emergency,
        temporary_grants_last_12_months=temporary_grants_last_12_months,
        same_cause_granted=same_cause_granted,
    )
    # The household page reads the street (and its county) with the household: no query for them.
    street_loaded = _HOUSEHOLD_STREET.is_cached(household)
    region = household.street if street_loaded else Region.objects.get(code=household.street_id)
    ev = evaluate(
        household_from_payload(payload, standard_area=standard_area_of(region)), parameter_set(region.code, as_of)
    )
    return evaluation_to_payload(ev)


# --- parameter administration ------------------------------------------------------------------


def can_edit_parameters_of(user: User, region: Region) -> bool:
    """City administrators edit any region; a county supervisor edits the county and its streets."""
    if user.is_superuser or user.role == Role.ADMIN:
        return True
    return (
        user.role == Role.SUPERVISOR
        and bool(user.region_id)
        and region.code.startswith(user.region_id or "-")
        and region.level in {Region.Level.COUNTY, Region.Level.STREET}
    )


def _clean_value(name: str, value: Any) -> tuple[Decimal | None, dict[str, Any] | None]:
    if name in STRUCTURED_PARAMETERS:
        if not isinstance(value, Mapping):
            raise ValidationError({"value": _("该参数为结构化取值(供养方式 × 护理等级)。")})
        clean: dict[str, dict[str, str]] = {}
        for mode in ("institutional", "home"):
            clean[mode] = {}
            for tier in ("full", "partial", "self_care"):
                try:
                    amount = Decimal(str(value[mode][tier]))
                except Exception:
                    raise ValidationError(
                        {"value": _("缺少或无效：%(mode)s.%(tier)s") % {"mode": mode, "tier": tier}}
                    ) from None
                if amount < 0:
                    raise ValidationError({"value": _("金额不能为负。")})
                clean[mode][tier] = f"{amount:.2f}"
        return None, clean
    try:
        number = Decimal(str(value))
    except Exception:
        raise ValidationError({"value": _("请输入数值。")}) from None
    if not number.is_finite() or number < 0:
        raise ValidationError({"value": _("取值须为非负数。")})
    return number, None


@transaction.atomic
def parameter_add(
    *, actor: User, name: str, region: Region, effective_from: dt.date, value: Any, source: str, note: str = ""
) -> PolicyParameter:
    if not can_edit_parameters_of(actor, region):
        raise BusinessError(_("您无权修改该区划的政策参数。"), code="parameter_forbidden", status=403)
    if not source.strip():
        raise ValidationError({"source": _("请填写政策依据(文件名称或文号)。")})
    number, structured = _clean_value(name, value)
    param = PolicyParameter(
        name=name,
        region=region,
        effective_from=effective_from,
        value=number,
        value_json=structured,
        value_text="" if number is None else str(number),
        source=source.strip(),
        note=note.strip(),
        changed_by=actor,
    )
    try:
        with transaction.atomic():
            param.save()
    except IntegrityError:
        raise ValidationError(
            {"effective_from": _("该参数在此区划、此日期已有取值；如需更正未生效的取值，请编辑该条记录。")}
        ) from None
    audit_record(
        actor=actor,
        action="parameter.add",
        obj=param,
        region_code=region.code,
        after={
            "name": name,
            "region": region.code,
            "effective_from": effective_from,
            "value": param.display_value,
            "source": param.source,
        },
    )
    return param


@transaction.atomic
def parameter_update(
    *, actor: User, parameter: PolicyParameter, value: Any, source: str, note: str, reason: str
) -> PolicyParameter:
    """Correct a value that is not yet in force. A value in force is never changed in place."""
    parameter = PolicyParameter.objects.select_for_update().select_related("region").get(pk=parameter.pk)
    if not can_edit_parameters_of(actor, parameter.region):
        raise BusinessError(_("您无权修改该区划的政策参数。"), code="parameter_forbidden", status=403)
    if parameter.effective_from <= today():
        raise BusinessError(
            _("已生效的参数不能修改，请新增一条以后日期生效的取值。"), code="parameter_in_force", status=400
        )
    if not reason.strip():
        raise ValidationError({"reason": _("请填写更正原因。")})
    before = {"value": parameter.display_value, "source": parameter.source, "note": parameter.note}
    parameter.value, parameter.value_json = _clean_value(parameter.name, value)
    parameter.value_text = "" if parameter.value is None else str(parameter.value)
    parameter.source, parameter.note, parameter.changed_by = source.strip(), note.strip(), actor
    parameter.save()
    audit_record(
        actor=actor,
        action="parameter.update",
        obj=parameter,
        region_code=parameter.region_id,
        before=before,
        after={"value": parameter.display_value, "source": parameter.source, "note": parameter.note},
        reason=reason,
    )
    return parameter
