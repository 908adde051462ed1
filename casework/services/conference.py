"""Case conferences (个案会商): who met, what was discussed, which measures were agreed."""

from __future__ import annotations

import datetime as dt

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils.translation import gettext as _

from accounts.audit import audit_record
from accounts.models import User
from casework.models import Case
from casework.models.plans import CASE_HANDLERS
from casework.models.referrals import CaseConference
from casework.services.plans import not_in_future, require_case, require_role


def _clean_lines(lines: list[str]) -> list[str]:
    return [line.strip() for line in lines if line and line.strip()]


@transaction.atomic
def conference_record(
    *,
    actor: User,
    case: Case | int,
    held_on: dt.date,
    participants: list[str],
    discussion: str,
    measures: list[str],
    place: str = "",
) -> CaseConference:
    require_role(actor, CASE_HANDLERS, _("记录个案会商"))
    locked = require_case(actor, case)
    people, agreed = _clean_lines(participants), _clean_lines(measures)
    errors: dict[str, list[str]] = {}
    if len(people) < 2:
        errors["participants"] = [_("个案会商至少有两名参会人员(每行一人)。")]
    if not discussion.strip():
        errors["discussion"] = [_("请填写会商情况。")]
    if not agreed:
        errors["measures"] = [_("请填写至少一项议定措施(每行一项)。")]
    if errors:
        raise ValidationError(errors)
    not_in_future(held_on, "held_on")
    conference = CaseConference.objects.create(
        case=locked,
        held_on=held_on,
        place=place,
        participants=people,
        discussion=discussion.strip(),
        measures=agreed,
        recorded_by=actor,
    )
    audit_record(
        actor=actor,
        action="conference.record",
        obj=conference,
        region_code=locked.street_id,
        after={"held_on": held_on, "participants": people, "measures": agreed},
    )
    return conference
