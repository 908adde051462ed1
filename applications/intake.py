"""Intake services (一门受理, DOMAIN §6.1–6.2): applications, online submissions, authorisations.

Each write is one transaction with its audit row. Acceptance itself (which opens a case) lives in
``casework.services.intake``: this app must not know about cases, it only offers
``application_mark_accepted`` for that service to call inside its transaction.
"""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Collection, Iterable, Mapping, Sequence
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import UploadedFile
from django.db import connection, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from accounts.audit import audit_entry, audit_record, audit_record_many
from accounts.crypto import blind_index, mask_id
from accounts.errors import BusinessError, Conflict
from accounts.models import Region, User
from applications.ids import parse_resident_id
from applications.models import (
    Application,
    ApplicationStatus,
    AssistanceType,
    Channel,
    EconomicCheckAuthorisation,
    Household,
    Member,
    Relation,
    validate_scan,
)

ADULT_AGE = 18
EMERGENCY_FIELDS = ("emergency_kind", "emergency_date", "emergency_cost", "emergency_insurance", "emergency_other_aid")


def next_receipt_no(*, street_code: str, year: int) -> str:
    """``340104001-2026-000123``: one atomic upsert, so two windows never get the same number."""
    with connection.cursor() as cur:
        cur.execute(
            "INSERT INTO applications_receiptcounter (street_id, year, last) VALUES (%s, %s, 1) "
            "ON CONFLICT (street_id, year) DO UPDATE SET last = applications_receiptcounter.last + 1 "
            "RETURNING last",
            [street_code, year],
        )
        row = cur.fetchone()
    assert row is not None
    return f"{street_code}-{year}-{int(row[0]):06d}"


def age_on(birth: dt.date, on: dt.date) -> int:
    return on.year - birth.year - ((on.month, on.day) < (birth.month, birth.day))


def adult_members(household: Household, *, on: dt.date) -> list[Member]:
    return _adults(household.members.filter(active=True).order_by("id"), on=on)


def _adults(members: Iterable[Member], *, on: dt.date) -> list[Member]:
    return [m for m in members if age_on(m.birth_date, on) >= ADULT_AGE]


def adults_without_authorisation(
    application: Application,
    *,
    on: dt.date,
    members: Sequence[Member] | None = None,
    signed: Collection[int] | None = None,
) -> list[Member]:
    """Adult members (age ≥ 18 on ``on``) with no signed authorisation on this application.

    ``members``: the household's active members in id order, when the caller holds them already;
    ``signed``: the ids of the members whose authorisation is signed, when the caller knows every
    authorisation of the application (it created them all in its transaction).
    """
    if application.household_id is None:
        return []
    if signed is None:
        signed = set(
            EconomicCheckAuthorisation.objects.filter(application=application, signed=True).values_list(
                "member_id", flat=True
            )
        )
    if members is None:
        assert application.household is not None
        adults = adult_members(application.household, on=on)
    else:
        adults = _adults(members, on=on)
    return [m for m in adults if m.pk not in signed]


def _check_types(types: Sequence[str]) -> list[str]:
    valid = set(AssistanceType.values)
    cleaned = list(dict.fromkeys(t for t in types if t))
    if not cleaned:
        raise ValidationError({"assistance_types": _("请至少选择一个申请救助类别。")})
    unknown = [t for t in cleaned if t not in valid]
    if unknown:
        raise ValidationError({"assistance_types": _("未知的救助类别：%(t)s") % {"t": "、".join(unknown)}})
    return cleaned


def _check_emergency(types: Sequence[str], emergency: Mapping[str, Any]) -> dict[str, Any]:
    values = {f: emergency.get(f) for f in EMERGENCY_FIELDS}
    if AssistanceType.EMERGENCY not in types:
        return {f: ("" if f == "emergency_kind" else None) for f in EMERGENCY_FIELDS}
    if not values["emergency_kind"]:
        raise ValidationError({"emergency_kind": _("申请临时救助(急难)时须选择急难事由。")})
    if values["emergency_kind"] != "stranded" and not values["emergency_date"]:
        raise ValidationError({"emergency_date": _("请填写事发日期。")})
    for f in ("emergency_cost", "emergency_insurance", "emergency_other_aid"):
        if values[f] is not None and Decimal(str(values[f])) < 0:
            raise ValidationError({f: _("金额不能为负数。")})
    values["emergency_kind"] = values["emergency_kind"] or ""
    return values


def _applicant_of(members: Sequence[Member]) -> Member:
    if not members:
        raise ValidationError({"members": _("家庭至少需要一名在册成员。")})
    return next((m for m in members if m.relation == Relation.SELF), members[0])


def _snapshot(application: Application) -> dict[str, Any]:
    return {
        "receipt_no": application.receipt_no,
        "status": application.status,
        "channel": application.channel,
        "assistance_types": list(application.assistance_types),
        "household": application.household_id,
        "applicant": application.applicant_id_masked,
    }


def application_register(
    *,
    actor: User,
    household: Household,
    channel: str,
    assistance_types: Sequence[str],
    help_text: str = "",
    agent_note: str = "",
    emergency: Mapping[str, Any] | None = None,
    online_application: Application | None = None,
    members: Sequence[Member] | None = None,
    savepoint: bool = True,
) -> Application:
    """Register an application for a household at the window (or complete an online one).

    The application stays ``submitted`` until ``casework.services.intake.case_accept`` accepts it.
    ``members``: the household's active members in id order, when the caller holds them already.
    ``savepoint=False``: the caller's transaction is undone as a whole when this raises.
    """
    with transaction.atomic(savepoint=savepoint):
        return _register(
            actor=actor,
            household=household,
            channel=channel,
            assistance_types=assistance_types,
            help_text=help_text,
            agent_note=agent_note,
            emergency=emergency,
            online_application=online_application,
            members=members,
        )


def _register(
    *,
    actor: User,
    household: Household,
    channel: str,
    assistance_types: Sequence[str],
    help_text: str,
    agent_note: str,
    emergency: Mapping[str, Any] | None,
    online_application: Application | None,
    members: Sequence[Member] | None,
) -> Application:
    if channel not in Channel.values:
        raise ValidationError({"channel": _("未知的申请渠道。")})
    types = _check_types(assistance_types)
    emergency_values = _check_emergency(types, emergency or {})
    if members is None:
        members = list(household.members.filter(active=True).order_by("id"))
    applicant = _applicant_of(members)
    indexes = sorted({m.id_index for m in members})
    if online_application is not None:
        application = Application.objects.select_for_update().get(pk=online_application.pk)
        if application.status != ApplicationStatus.SUBMITTED:
            raise Conflict(_("该申请已处理(当前状态：%(s)s)。") % {"s": application.get_status_display()})
        if application.street_id != household.street_id:
            raise ValidationError({"street": _("家庭所在街道与网上申请的街道不一致。")})
        before = _snapshot(application)
        action = "application.complete_online"
    else:
        application = Application(
            receipt_no=next_receipt_no(street_code=household.street_id, year=timezone.localdate().year),
            street_id=household.street_id,
            channel=channel,
            submitted_by=actor,
        )
        if Household.street.is_cached(household):  # the response shows the street's name
            application.street = household.street
        before = None
        action = "application.register"
    application.household = household
    application.community_id = household.community_id
    application.assistance_types = types
    application.help_text = help_text
    application.agent_note = agent_note
    application.applicant_name = applicant.name
    application.applicant_id_number = applicant.id_number
    application.applicant_id_index = applicant.id_index
    application.applicant_id_masked = applicant.id_masked
    application.applicant_phone = household.phone or application.applicant_phone
    application.id_indexes = sorted(set(indexes) | set(application.id_indexes or []))
    for field, value in emergency_values.items():
        setattr(application, field, value)
    application.save()
    audit_record(
        actor=actor,
        action=action,
        obj=application,
        region_code=application.street_id,
        before=before,
        after=_snapshot(application),
    )
    return application


def _clean_online_members(members: Iterable[Mapping[str, Any]]) -> list[dict[str, Any]]:
    cleaned: list[dict[str, Any]] = []
    seen: set[str] = set()
    for i, raw in enumerate(members):
        name = str(raw.get("name", "")).strip()
        if not name:
            raise ValidationError({"members": _("第%(n)d位成员未填写姓名。") % {"n": i + 1}})
        try:
            rid = parse_resident_id(str(raw.get("id_number", "")))
        except ValidationError as exc:
            raise ValidationError(
                {"members": _("第%(n)d位成员：%(m)s") % {"n": i + 1, "m": "；".join(exc.messages)}}
            ) from None
        if rid.number in seen:
            raise ValidationError({"members": _("同一身份证号码在本户中重复填写。")})
        seen.add(rid.number)
        incomes = [
            {"kind": str(inc["kind"]), "monthly": str(Decimal(inc["monthly"]))}
            for inc in raw.get("incomes", [])
            if inc.get("monthly") not in (None, "")
        ]
        cleaned.append(
            {
                "name": name,
                "id_number": rid.number,
                "relation": str(raw.get("relation") or Relation.OTHER),
                "authorised": bool(raw.get("authorised", False)),
                "incomes": incomes,
                **{
                    k: raw[k]
                    for k in ("disability_grade", "disability_kind", "serious_illness", "student")
                    if raw.get(k) not in (None, "")
                },
            }
        )
    if not cleaned:
        raise ValidationError({"members": _("至少需要登记一名家庭成员。")})
    return cleaned


@transaction.atomic
def application_submit_online(
    *,
    street: Region,
    community: Region,
    address: str,
    phone: str,
    assistance_types: Sequence[str],
    help_text: str,
    members: Sequence[Mapping[str, Any]],
    assets: Mapping[str, Any] | None = None,
    emergency: Mapping[str, Any] | None = None,
    client_label: str = "online",
) -> Application:
    """掌上办: a resident submits without logging in. The first member is the applicant.

    Nothing is written to the household tables yet: the window verifies the ID card and the
    signed authorisations in person, then turns the payload into a household when it accepts.
    """
    if street.level != Region.Level.STREET:
        raise ValidationError({"street": _("请选择街道(乡镇)。")})
    if community.parent_id != street.code:
        raise ValidationError({"community": _("社区(村)不属于所选街道。")})
    types = _check_types(assistance_types)
    emergency_values = _check_emergency(types, emergency or {})
    cleaned = _clean_online_members(members)
    applicant = cleaned[0]
    payload = {
        "address": address,
        "phone": phone,
        "members": cleaned,
        "assets": {k: str(v) for k, v in (assets or {}).items() if v not in (None, "")},
    }
    application = Application(
        receipt_no=next_receipt_no(street_code=street.code, year=timezone.localdate().year),
        street=street,
        community=community,
        channel=Channel.ONLINE,
        assistance_types=types,
        help_text=help_text,
        applicant_name=applicant["name"],
        applicant_id_number=applicant["id_number"],
        applicant_id_index=blind_index(applicant["id_number"]),
        applicant_id_masked=mask_id(applicant["id_number"]),
        applicant_phone=phone,
        id_indexes=sorted({blind_index(m["id_number"]) for m in cleaned}),
        online_payload=json.dumps(payload, ensure_ascii=False),
        **emergency_values,
    )
    application.save()
    audit_record(
        actor=None,
        actor_label=client_label,
        action="application.submit_online",
        obj=application,
        region_code=street.code,
        after=_snapshot(application),
    )
    return application


def online_payload(application: Application) -> dict[str, Any]:
    if not application.online_payload:
        return {}
    data: dict[str, Any] = json.loads(application.online_payload)
    return data


def application_lookup_for_resident(*, receipt_no: str, id_number: str) -> Application | None:
    """Status query: the application only when receipt number *and* applicant ID match.

    Both failure modes (unknown receipt, wrong ID) return ``None`` so a caller cannot learn
    whether a receipt number or an ID exists.
    """
    number = (id_number or "").strip().upper()
    index = blind_index(number) if number else ""
    application = Application.objects.filter(receipt_no=(receipt_no or "").strip()).first()
    if application is None or not index or application.applicant_id_index != index:
        return None
    return application


def _close(
    *, actor: User, application: Application, status: str, reason: str, action: str, message: str
) -> Application:
    if len(reason.strip()) < 2:
        raise ValidationError({"reason": _("请填写原因。")})
    application = Application.objects.select_for_update().get(pk=application.pk)
    if application.status == status:
        return application
    if application.status != ApplicationStatus.SUBMITTED:
        raise Conflict(message % {"s": application.get_status_display()})
    before = _snapshot(application)
    application.status = status
    application.status_reason = reason.strip()
    application.decided_at = timezone.now()
    application.decided_by = actor
    application.save(update_fields=["status", "status_reason", "decided_at", "decided_by"])
    audit_record(
        actor=actor,
        action=action,
        obj=application,
        region_code=application.street_id,
        before=before,
        after=_snapshot(application),
        reason=reason.strip(),
    )
    return application


@transaction.atomic
def application_reject(*, actor: User, application: Application, reason: str) -> Application:
    """不予受理 at the window, with the reason told to the applicant."""
    return _close(
        actor=actor,
        application=application,
        status=ApplicationStatus.REJECTED_AT_WINDOW,
        reason=reason,
        action="application.reject",
        message=_("只有待受理的申请才能不予受理(当前状态：%(s)s)。"),
    )


@transaction.atomic
def application_withdraw(*, actor: User, application: Application, reason: str) -> Application:
    return _close(
        actor=actor,
        application=application,
        status=ApplicationStatus.WITHDRAWN,
        reason=reason,
        action="application.withdraw",
        message=_("只有待受理的申请才能在此撤回(当前状态：%(s)s)；已受理的请撤回案件。"),
    )


@transaction.atomic(savepoint=False)
def application_mark_accepted(*, actor: User, application: Application, current: bool = False) -> Application:
    """Flip ``submitted`` → ``accepted``; called by the casework acceptance in its transaction.

    ``current``: the caller created or locked ``application`` earlier in this transaction and passes
    that instance, so it is neither locked nor read again (and is the one returned, updated).
    """
    if not current:
        application = Application.objects.select_for_update().get(pk=application.pk)
    if application.status != ApplicationStatus.SUBMITTED:
        raise Conflict(
            _("该申请不能受理(当前状态：%(s)s)。") % {"s": application.get_status_display()},
            code="application_not_open",
        )
    if application.household_id is None:
        raise BusinessError(_("请先核实并登记家庭成员信息，再受理网上申请。"), code="household_missing")
    before = _snapshot(application)
    application.status = ApplicationStatus.ACCEPTED
    application.decided_at = timezone.now()
    application.decided_by = actor
    application.save(update_fields=["status", "decided_at", "decided_by"])
    audit_record(
        actor=actor,
        action="application.accept",
        obj=application,
        region_code=application.street_id,
        before=before,
        after=_snapshot(application),
    )
    return application


@dataclass(frozen=True)
class AuthorisationInput:
    """One member's authorisation for ``authorisations_record``."""

    member: Member
    signed: bool
    signed_on: dt.date | None = None
    scan: UploadedFile | None = None


def _authorisation_date(
    *, application: Application, member: Member, signed: bool, signed_on: dt.date | None, scan: UploadedFile | None
) -> dt.date | None:
    """Check one authorisation; the signing date to store."""
    if member.household_id != application.household_id or not member.active:
        raise ValidationError({"member": _("该成员不属于本申请的家庭。")})
    if signed and signed_on is None:
        signed_on = timezone.localdate()
    if signed_on is not None and signed_on > timezone.localdate():
        raise ValidationError({"signed_on": _("签署日期不能晚于今天。")})
    if scan is not None:
        try:
            validate_scan(scan)
        except ValidationError as exc:
            raise ValidationError({"scan": exc.messages}) from None
    return signed_on


def _authorisation_state(auth: EconomicCheckAuthorisation) -> dict[str, Any]:
    return {"signed": auth.signed, "signed_on": auth.signed_on, "scan": bool(auth.scan)}


def _authorisation_set(
    auth: EconomicCheckAuthorisation,
    *,
    actor: User,
    signed: bool,
    signed_on: dt.date | None,
    scan: UploadedFile | None,
) -> None:
    auth.signed = signed
    auth.signed_on = signed_on if signed else None
    auth.recorded_by = actor
    if scan is not None:
        auth.scan.save(scan.name or "scan.bin", scan, save=False)


@transaction.atomic
def authorisation_record(
    *,
    actor: User,
    application: Application,
    member: Member,
    signed: bool,
    signed_on: dt.date | None = None,
    scan: UploadedFile | None = None,
) -> EconomicCheckAuthorisation:
    """Record that an adult signed (or has not yet signed) the economic-check authorisation."""
    signed_on = _authorisation_date(
        application=application, member=member, signed=signed, signed_on=signed_on, scan=scan
    )
    auth, created = EconomicCheckAuthorisation.objects.select_for_update().get_or_create(
        application=application, member=member, defaults={"recorded_by": actor}
    )
    before = None if created else _authorisation_state(auth)
    _authorisation_set(auth, actor=actor, signed=signed, signed_on=signed_on, scan=scan)
    auth.save()
    after = _authorisation_state(auth)
    if before != after:
        audit_record(
            actor=actor,
            action="authorisation.record",
            obj=auth,
            region_code=application.street_id,
            before=before,
            after={**after, "member": member.id_masked},
        )
    return auth


def authorisations_record(
    *,
    actor: User,
    application: Application,
    rows: Sequence[AuthorisationInput],
    savepoint: bool = True,
    new_application: bool = False,
) -> list[EconomicCheckAuthorisation]:
    """``authorisation_record`` for several members at once (same rows, same audit rows).

    The new authorisations are inserted as recorded — signed or not — with one statement, and the
    audit rows with another. ``savepoint=False``: the caller's transaction is undone as a whole when
    this raises. ``new_application``: the caller created ``application`` in its transaction, so it
    has no authorisations yet and none are looked up.
    """
    with transaction.atomic(savepoint=savepoint):
        if len({r.member.pk for r in rows}) != len(rows):  # a member twice: the later row wins, in order
            return [
                authorisation_record(
                    actor=actor,
                    application=application,
                    member=r.member,
                    signed=r.signed,
                    signed_on=r.signed_on,
                    scan=r.scan,
                )
                for r in rows
            ]
        dates = [
            _authorisation_date(
                application=application, member=r.member, signed=r.signed, signed_on=r.signed_on, scan=r.scan
            )
            for r in rows
        ]
        existing = (
            {}
            if new_application
            else {
                a.member_id: a
                for a in EconomicCheckAuthorisation.objects.select_for_update().filter(
                    application=application, member__in=[r.member.pk for r in rows]
                )
            }
        )
        auths: list[EconomicCheckAuthorisation] = []
        befores: list[dict[str, Any] | None] = []
        new: list[EconomicCheckAuthorisation] = []
        for r, signed_on in zip(rows, dates, strict=True):
            auth = existing.get(r.member.pk)
            before = None if auth is None else _authorisation_state(auth)
            if auth is None:
                auth = EconomicCheckAuthorisation(application=application, member=r.member)
                new.append(auth)
            _authorisation_set(auth, actor=actor, signed=r.signed, signed_on=signed_on, scan=r.scan)
            if before is not None:
                auth.save()
            auths.append(auth)
            befores.append(before)
        EconomicCheckAuthorisation.objects.bulk_create(new)
        entries = []
        for r, auth, before in zip(rows, auths, befores, strict=True):
            after = _authorisation_state(auth)
            if before != after:
                entries.append(
                    audit_entry(
                        actor=actor,
                        action="authorisation.record",
                        obj=auth,
                        region_code=application.street_id,
                        before=before,
                        after={**after, "member": r.member.id_masked},
                    )
                )
        audit_record_many(entries)
        return auths
