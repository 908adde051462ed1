"""One-window intake (一门受理): register an application from one page and accept it into a case.

``intake_register`` is the single write behind the intake page and ``POST /api/v1/intake/``:
household (new or existing), application, each adult's authorisation and — when asked — the
acceptance, all in one transaction. ``case_accept`` opens the case, computes the working-day
deadlines, puts public-emergency applications on the fast track, and starts the economic check
when every adult has signed.
"""

from __future__ import annotations

import copy
import datetime as dt
from collections.abc import Collection, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from accounts.audit import audit_batch, audit_record
from accounts.crypto import blind_index, mask_id
from accounts.errors import BusinessError
from accounts.models import Role, User
from accounts.selectors import region_visible_to
from applications import intake as app_intake
from applications.ids import parse_resident_id
from applications.models import Application, AssistanceType, Household, Member
from applications.services import household_create_with_members, household_update, member_add, member_update
from casework.models import Case, CaseStatus, CaseTransition, PublicEmergency
from casework.selectors import Duplicate, duplicates_for
from casework.workdays import working_deadlines

CHECK_DAYS = 3
OPINION_DAYS = 7
CONFIRM_DAYS = 3
CASE_DAYS = 20
INTAKE_ROLES = frozenset({Role.CLERK})


class DuplicateApplication(BusinessError):
    status = 409

    def __init__(self, duplicates: list[Duplicate]) -> None:
        super().__init__(
            _("有家庭成员已在办理中的申请或案件中，请核实后再登记。"),
            code="duplicate_application",
            duplicates=[d.message for d in duplicates],
        )
        self.duplicates = duplicates


@dataclass
class IntakeResult:
    application: Application
    case: Case | None


def require_intake_role(actor: User, street_code: str) -> None:
    if actor.role not in INTAKE_ROLES:
        raise BusinessError(_("只有窗口受理人员可以登记和受理申请。"), code="role_forbidden", status=403)
    if not region_visible_to(actor, street_code):
        raise BusinessError(_("该街道不在您的管辖范围内。"), code="out_of_scope", status=404)


def public_emergency_for(community_code: str, on: dt.date) -> PublicEmergency | None:
    """The declared public emergency covering ``community_code`` on ``on`` (region codes nest)."""
    prefixes = [community_code[:n] for n in (4, 6, 9, 12) if len(community_code) >= n]
    return (
        PublicEmergency.objects.filter(region_id__in=prefixes, starts_on__lte=on, ends_on__gte=on)
        .order_by("-starts_on", "-id")
        .first()
    )


@transaction.atomic
def case_accept(*, actor: User, application: Application) -> Case:
    """受理: the application becomes a case with a receipt number and working-day deadlines."""
    return _case_open(actor=actor, application=application)


def _case_open(
    *,
    actor: User,
    application: Application,
    current: bool = False,
    members: Sequence[Member] | None = None,
    signed: Collection[int] | None = None,
) -> Case:
    """``case_accept`` inside the caller's transaction (which is undone as a whole when this raises).

    ``current``: the caller created or locked ``application`` in this transaction (see
    ``application_mark_accepted``); ``members``: the household's active members in id order, if held;
    ``signed``: the members with a signed authorisation, if the caller wrote every authorisation.
    """
    require_intake_role(actor, application.street_id)
    application = app_intake.application_mark_accepted(actor=actor, application=application, current=current)
    household = application.household
    assert household is not None
    today = timezone.localdate()
    check, opinion, whole = working_deadlines(today, CHECK_DAYS, OPINION_DAYS, CASE_DAYS)
    emergency = public_emergency_for(household.community_id, today)
    case = Case.objects.create(
        application=application,
        household=household,
        street_id=application.street_id,
        receipt_no=application.receipt_no,
        accepted_on=today,
        accepted_by=actor,
        fast_track=emergency is not None or AssistanceType.EMERGENCY in application.assistance_types,
        public_emergency=emergency,
        check_due=check.date,
        opinion_due=opinion.date,
        case_due=whole.date,
        deadlines_provisional=check.provisional or opinion.provisional or whole.provisional,
    )
    CaseTransition.objects.create(
        case=case,
        from_status="",
        to_status=CaseStatus.ACCEPTED,
        action="accept",
        actor=actor,
        actor_label=actor.username,
    )
    audit_record(
        actor=actor,
        action="case.accept",
        obj=case,
        region_code=case.street_id,
        after={
            "receipt_no": case.receipt_no,
            "status": case.status,
            "check_due": case.check_due,
            "opinion_due": case.opinion_due,
            "case_due": case.case_due,
            "fast_track": case.fast_track,
            "public_emergency": case.public_emergency_id,
        },
    )
    if not app_intake.adults_without_authorisation(application, on=today, members=members, signed=signed):
        from casework.services.check import check_begin

        # The check moves its own copy on: the case returned (and shown in the intake response)
        # is the case as accepted, as it was when the check re-read the row for itself.
        check_begin(actor=actor, case=copy.copy(case), missing=[])
    return case


def _member_rows(household: Household, data: Mapping[str, Any], actor: User, reason: str) -> list[Member]:
    """Update/add the members of an existing household; return them in the order given."""
    rows: list[Member] = []
    current = {m.pk: m for m in household.members.filter(active=True)}
    for raw in data.get("members", []):
        payload = {k: v for k, v in raw.items() if k != "member_id"}
        member_id = raw.get("member_id")
        if member_id:
            member = current.get(int(member_id))
            if member is None:
                raise ValidationError({"members": _("成员不属于该家庭。")})
            rows.append(member_update(actor=actor, member=member, data=payload, reason=reason))
        else:
            rows.append(member_add(actor=actor, household=household, data=payload))
    return rows


def _id_indexes(members: Sequence[Mapping[str, Any]]) -> dict[str, str]:
    """Blind index → masked ID for every valid number typed on the form."""
    result: dict[str, str] = {}
    for m in members:
        try:
            number = parse_resident_id(str(m.get("id_number", ""))).number
        except ValidationError:
            continue
        result[blind_index(number)] = mask_id(number)
    return result


def intake_duplicates(
    *, actor: User, members: Sequence[Mapping[str, Any]], exclude_application: Application | None = None
) -> list[Duplicate]:
    return duplicates_for(actor, _id_indexes(members), exclude_application_id=getattr(exclude_application, "pk", None))


@transaction.atomic
@audit_batch()
def intake_register(
    *,
    actor: User,
    data: Mapping[str, Any],
    household: Household | None = None,
    online_application: Application | None = None,
    accept: bool = True,
    allow_duplicates: bool = False,
) -> IntakeResult:
    """Register household + application + authorisations from one form, and accept it if asked.

    ``data`` holds the household fields (as ``household_create`` takes them, members and vehicles
    included), ``application`` (channel, assistance_types, help_text, agent_note, emergency_*)
    and ``authorisations`` (one dict per member row, same order: signed, signed_on, scan).

    The steps below share this one transaction (its savepoint undoes them all on an error), so
    they take no savepoints of their own, each hands on the rows it wrote instead of the next one
    reading them back, and their audit rows are inserted together at the end.
    """
    street = household.street if household is not None else data["street"]
    require_intake_role(actor, street.code)
    members_in = list(data.get("members", []))
    duplicates = intake_duplicates(actor=actor, members=members_in, exclude_application=online_application)
    if duplicates and not allow_duplicates:
        raise DuplicateApplication(duplicates)
    household_data = {k: v for k, v in data.items() if k not in {"application", "authorisations", "members"}}
    active: list[Member] | None  # all active members of the household, in id order, when known
    if household is None:
        household, members = household_create_with_members(
            actor=actor, data={**household_data, "members": members_in}, savepoint=False
        )
        active = members
    else:
        household_update(actor=actor, household=household, data=household_data, reason=_("受理登记时更新"))
        members = _member_rows(household, data, actor, _("受理登记时更新"))
        active = None
    app_data: Mapping[str, Any] = data.get("application", {})
    application = app_intake.application_register(
        actor=actor,
        household=household,
        channel=app_data.get("channel", "window"),
        assistance_types=app_data.get("assistance_types", []),
        help_text=app_data.get("help_text", ""),
        agent_note=app_data.get("agent_note", ""),
        emergency={k: app_data.get(k) for k in app_intake.EMERGENCY_FIELDS},
        online_application=online_application,
        members=active,
        savepoint=False,
    )
    new_application = online_application is None
    auths = app_intake.authorisations_record(
        actor=actor,
        application=application,
        rows=[
            app_intake.AuthorisationInput(
                member=member,
                signed=bool(auth.get("signed")),
                signed_on=auth.get("signed_on"),
                scan=auth.get("scan"),
            )
            for member, auth in zip(members, data.get("authorisations", []), strict=False)
            if auth and (auth.get("signed") or auth.get("scan"))
        ],
        savepoint=False,
        new_application=new_application,
    )
    if not accept:
        return IntakeResult(application=application, case=None)
    # A new application has no authorisations but those just recorded (a member given twice: the later
    # row is the one stored), so the acceptance need not read them back to see who signed.
    signed = {a.member_id for a in {a.member_id: a for a in auths}.values() if a.signed} if new_application else None
    # A new household is the one in hand; an existing one was updated through its own re-read row, so
    # the acceptance reads the application (and with it the household) again, as it always has.
    case = _case_open(actor=actor, application=application, current=active is not None, members=active, signed=signed)
    return IntakeResult(application=case.application, case=case)


@transaction.atomic
def application_accept(*, actor: User, application: Application, allow_duplicates: bool = False) -> Case:
    """Accept an application already registered (with its household) — e.g. one saved without accepting."""
    if application.household_id is None:
        raise BusinessError(_("请先核实并登记家庭成员信息，再受理网上申请。"), code="household_missing")
    assert application.household is not None
    others = {m.id_index: m.id_masked for m in application.household.members.filter(active=True)}
    duplicates = duplicates_for(actor, others, exclude_application_id=application.pk)
    if duplicates and not allow_duplicates:
        raise DuplicateApplication(duplicates)
    return _case_open(actor=actor, application=application)
