"""Writes on households and members. Each function is one transaction with its audit row."""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

from django.core.exceptions import ValidationError
from django.db import IntegrityError, models, transaction
from django.utils.translation import gettext as _

from accounts.audit import audit_record, diff
from accounts.crypto import blind_index, mask_id
from accounts.errors import BusinessError
from accounts.models import Region, Role, User
from applications.ids import parse_resident_id
from applications.models import Household, IncomeItem, Member, Vehicle

HOUSEHOLD_FIELDS = [
    "street",
    "community",
    "address",
    "bank_name",
    "financial_assets",
    "homes",
    "business_employs_others_12m",
    "business_avg_monthly_net_profit",
    "medical_expense_annual",
    "education_expense_annual",
    "rehabilitation_expense_annual",
]
MEMBER_FIELDS = [
    "name",
    "relation",
    "lives_together",
    "excluded",
    "disability_grade",
    "disability_kind",
    "serious_illness",
    "student",
    "work_capacity",
    "adl_incapable",
    "has_able_supporter",
    "care_mode",
]


#: Who may change a household file directly (declared data, members, economic-check authorisations):
#: the street's window, investigators and approver, the county supervisor and the city administrator.
#: Social workers change declared data only through the home-visit findings of a case assigned to them
#: (casework.services.investigation); charity officers never change it.
HOUSEHOLD_EDITORS = frozenset({Role.CLERK, Role.REVIEWER, Role.APPROVER, Role.SUPERVISOR, Role.ADMIN})


def require_household_editor(actor: User) -> None:
    """Refuse (403) a direct change of a household file by a role that may only read it."""
    if not (actor.is_superuser or actor.role in HOUSEHOLD_EDITORS):
        raise BusinessError(_("您的岗位不能直接修改家庭档案或核对授权书。"), code="role_forbidden", status=403)


def household_snapshot(household: Household) -> dict[str, Any]:
    """Audit view of a household: plain fields, masked identifiers, members and incomes."""
    members = [(m, list(m.incomes.all())) for m in household.members.all()]
    return _household_view(household, members, list(household.vehicles.all()))


def member_snapshot(member: Member) -> dict[str, Any]:
    return _member_view(member, list(member.incomes.all()))


def _household_view(
    household: Household, members: Sequence[tuple[Member, Sequence[IncomeItem]]], vehicles: Sequence[Vehicle]
) -> dict[str, Any]:
    data: dict[str, Any] = {
        f: (getattr(household, f"{f}_id") if f in {"street", "community"} else getattr(household, f))
        for f in HOUSEHOLD_FIELDS
    }
    data["phone"] = household.phone_masked
    data["bank_account"] = household.bank_account_masked
    data["vehicles"] = [[str(v.price), v.business_use] for v in vehicles]
    data["members"] = [_member_view(m, incomes) for m, incomes in members]
    return data


def _member_view(member: Member, incomes: Sequence[IncomeItem]) -> dict[str, Any]:
    data = {f: getattr(member, f) for f in MEMBER_FIELDS}
    data["id"] = member.id_masked
    data["active"] = member.active
    data["incomes"] = [[i.kind, str(i.monthly)] for i in incomes]
    return data


def _as_stored(obj: models.Model, names: Iterable[str]) -> None:
    """Give a row just inserted the values a re-read would return (``Decimal("900")`` → ``"900.00"``),
    so it can be passed along instead of being read back."""
    for name in names:
        field = obj._meta.get_field(name)
        assert isinstance(field, models.Field)
        value = field.to_python(getattr(obj, field.attname))
        if isinstance(field, models.DecimalField) and value is not None:
            value = value.quantize(Decimal(1).scaleb(-field.decimal_places), rounding=ROUND_HALF_UP)
        setattr(obj, field.attname, value)


def _check_community(street: Region, community: Region) -> None:
    if street.level != Region.Level.STREET:
        raise ValidationError({"street": _("请选择街道(乡镇)。")})
    if community.parent_id != street.code:
        raise ValidationError({"community": _("社区(村)不属于所选街道。")})


def _apply_member(member: Member, data: Mapping[str, Any]) -> None:
    for field in MEMBER_FIELDS:
        if field in data:
            value = data[field]
            setattr(
                member,
                field,
                "" if value is None and field in {"excluded", "disability_kind", "work_capacity"} else value,
            )
    if "health_notes" in data:
        member.health_notes = data["health_notes"] or ""
    if "id_number" in data:
        rid = parse_resident_id(data["id_number"])
        member.id_number = rid.number
        member.id_index = blind_index(rid.number)
        member.id_masked = mask_id(rid.number)
        member.birth_date = rid.birth_date
        member.sex = rid.sex


# The unique constraint on an active member's ID number (a person is in one household at a time).
_ACTIVE_ID_CONSTRAINT = "member_id_active_once"


def _id_taken(member: Member) -> ValidationError:
    return ValidationError({"id_number": _("身份证号码 %(id)s 已是其他在册家庭的成员。") % {"id": member.id_masked}})


def _save_member(member: Member) -> None:
    try:
        with transaction.atomic():
            member.save()
    except IntegrityError as exc:
        if _ACTIVE_ID_CONSTRAINT in str(exc):
            raise _id_taken(member) from None
        raise


def _replace_incomes(member: Member, incomes: Iterable[Mapping[str, Any]]) -> None:
    member.incomes.all().delete()
    _add_incomes([(member, incomes)])


def _add_incomes(rows: Iterable[tuple[Member, Iterable[Mapping[str, Any]]]]) -> list[list[IncomeItem]]:
    """Insert the incomes of members that have none yet (one statement); each member's, as stored."""
    per_member = [
        [
            IncomeItem(member=member, kind=i["kind"], monthly=Decimal(i["monthly"]), note=i.get("note", ""))
            for i in items
        ]
        for member, items in rows
    ]
    IncomeItem.objects.bulk_create([item for items in per_member for item in items])
    for items in per_member:
        for item in items:
            _as_stored(item, ("kind", "monthly", "note"))
    return per_member


def _add_vehicles(household: Household, vehicles: Iterable[Mapping[str, Any]]) -> list[Vehicle]:
    rows = Vehicle.objects.bulk_create(
        Vehicle(
            household=household,
            price=Decimal(v["price"]),
            business_use=bool(v.get("business_use", False)),
            description=v.get("description", ""),
        )
        for v in vehicles
    )
    for row in rows:
        _as_stored(row, ("description", "price", "business_use"))
    return rows


def _insert_members(members: list[Member]) -> None:
    """Insert new members with one statement; the active-ID constraint as a validation error."""
    try:
        Member.objects.bulk_create(members)
    except IntegrityError as exc:
        if _ACTIVE_ID_CONSTRAINT not in str(exc):
            raise
        # Rows are inserted in order, so the DETAIL names the first member taken elsewhere.
        raise _id_taken(next((m for m in members if m.id_index in str(exc)), members[0])) from None
    for member in members:
        _as_stored(member, [*MEMBER_FIELDS, "health_notes", "active"])


def _check_ids_unique_in_request(members: list[Mapping[str, Any]]) -> None:
    seen: set[str] = set()
    for m in members:
        number = str(m.get("id_number", "")).strip().upper()
        if number in seen:
            raise ValidationError({"members": _("同一身份证号码在本户中重复填写。")})
        seen.add(number)


def household_create(*, actor: User, data: Mapping[str, Any]) -> Household:
    """Create a household with its members, incomes and vehicles (one transaction, one audit row)."""
    return household_create_with_members(actor=actor, data=data)[0]


def household_create_with_members(
    *, actor: User, data: Mapping[str, Any], savepoint: bool = True
) -> tuple[Household, list[Member]]:
    """``household_create``, also returning the new members (in the order given, as stored).

    ``savepoint=False`` is for a caller whose own transaction is undone as a whole when this raises
    (it lets the error propagate): the write then needs no savepoint of its own.
    """
    with transaction.atomic(savepoint=savepoint):
        street: Region = data["street"]
        community: Region = data["community"]
        _check_community(street, community)
        rows = list(data.get("members", []))
        if not rows:
            raise ValidationError({"members": _("至少需要登记一名家庭成员。")})
        _check_ids_unique_in_request(rows)
        household = Household(created_by=actor)
        for field in HOUSEHOLD_FIELDS:
            if field in data:
                setattr(household, field, data[field])
        household.phone = data.get("phone", "") or ""
        household.bank_account = data.get("bank_account", "") or ""
        household.save()
        members = []
        for m in rows:
            member = Member(household=household)
            _apply_member(member, m)
            members.append(member)
        _insert_members(members)
        incomes = _add_incomes((member, m.get("incomes", [])) for member, m in zip(members, rows, strict=True))
        vehicles = _add_vehicles(household, data.get("vehicles", []))
        audit_record(
            actor=actor,
            action="household.create",
            obj=household,
            region_code=household.street_id,
            after=_household_view(household, list(zip(members, incomes, strict=True)), vehicles),
        )
        return household, members


@transaction.atomic
def household_update(*, actor: User, household: Household, data: Mapping[str, Any], reason: str = "") -> Household:
    """Update household-level fields (and vehicles when given); members change via member_* services."""
    household = Household.objects.select_for_update().get(pk=household.pk)
    before = household_snapshot(household)
    street = data.get("street", household.street)
    community = data.get("community", household.community)
    _check_community(street, community)
    for field in HOUSEHOLD_FIELDS:
        if field in data:
            setattr(household, field, data[field])
    for field in ("phone", "bank_account"):
        if field in data:
            setattr(household, field, data[field] or "")
    household.save()
    if "vehicles" in data:
        household.vehicles.all().delete()
        _add_vehicles(household, data["vehicles"])
    after = household_snapshot(household)
    if before == after:
        return household
    b, a = diff(before, after)
    audit_record(
        actor=actor,
        action="household.update",
        obj=household,
        region_code=household.street_id,
        before=b,
        after=a,
        reason=reason,
    )
    return household


@transaction.atomic
def member_add(*, actor: User, household: Household, data: Mapping[str, Any]) -> Member:
    household = Household.objects.select_for_update().get(pk=household.pk)
    member = Member(household=household)
    _apply_member(member, data)
    _save_member(member)
    [incomes] = _add_incomes([(member, data.get("incomes", []))])  # a new member has none to replace
    audit_record(
        actor=actor,
        action="member.add",
        obj=member,
        region_code=household.street_id,
        after=_member_view(member, incomes),
    )
    return member


@transaction.atomic
def member_update(*, actor: User, member: Member, data: Mapping[str, Any], reason: str = "") -> Member:
    member = Member.objects.select_for_update().select_related("household").get(pk=member.pk)
    before = member_snapshot(member)
    _apply_member(member, data)
    _save_member(member)
    if "incomes" in data:
        _replace_incomes(member, data["incomes"])
    after = member_snapshot(member)
    if before != after:
        b, a = diff(before, after)
        audit_record(
            actor=actor,
            action="member.update",
            obj=member,
            region_code=member.household.street_id,
            before=b,
            after=a,
            reason=reason,
        )
    return member


@transaction.atomic
def member_deactivate(*, actor: User, member: Member, reason: str) -> Member:
    if not reason.strip():
        raise ValidationError({"reason": _("请填写移出家庭的原因。")})
    member = Member.objects.select_for_update().select_related("household").get(pk=member.pk)
    if not member.active:
        return member
    member.active = False
    member.save(update_fields=["active"])
    audit_record(
        actor=actor,
        action="member.deactivate",
        obj=member,
        region_code=member.household.street_id,
        before={"active": True},
        after={"active": False},
        reason=reason,
    )
    return member


@transaction.atomic
def member_reveal_id(*, actor: User, member: Member, reason: str) -> str:
    """Return the full resident ID: needs the permission and a reason, and is audited."""
    if not (actor.is_superuser or actor.can_reveal_ids):
        raise BusinessError(_("您没有查看完整身份证号码的权限。"), code="reveal_forbidden", status=403)
    if len(reason.strip()) < 4:
        raise ValidationError({"reason": _("请填写查看完整身份证号码的理由(至少4个字)。")})
    audit_record(
        actor=actor,
        action="member.reveal_id",
        obj=member,
        region_code=member.household.street_id,
        reason=reason.strip(),
    )
    return member.id_number
