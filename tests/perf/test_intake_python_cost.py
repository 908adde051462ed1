"""The intake's Python shortcuts answer as the code they replaced (issue 8).

``IntakeInSerializer`` and ``IntakeOutSerializer`` build their field objects once per process
(``casework.serializers.FieldsBuiltOnce``) and ``duplicates_for`` reads applications and cases with one
raw statement: checked here against DRF's per-instance fields and against the ORM queries it replaced.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping
from typing import Any

import pytest
from rest_framework import serializers
from rest_framework.renderers import JSONRenderer

from accounts.crypto import blind_index, mask_id
from accounts.models import Region, User
from accounts.selectors import region_visible_to
from applications.intake import application_submit_online
from applications.models import Application, ApplicationStatus
from casework import serializers as s
from casework.models import OPEN_STATUSES, Case, CaseStatus
from casework.selectors import Duplicate, duplicates_for
from tests.casework.helpers import INTAKE, accept, intake_payload
from tests.support import COMMUNITY_A, STREET_A, api_client, make_resident_id

pytestmark = pytest.mark.django_db


class PerInstanceIntakeIn(s.IntakeInSerializer):
    fields = serializers.Serializer.fields  # DRF's own: deep-copied for every instance


class PerInstanceIntakeOut(s.IntakeOutSerializer):
    fields = serializers.Serializer.fields


def test_field_objects_are_shared_by_instances() -> None:
    first, second = s.IntakeInSerializer(data={}), s.IntakeInSerializer(data={})
    assert first.fields is second.fields
    assert s.IntakeOutSerializer(None).fields is s.IntakeOutSerializer(None).fields
    assert PerInstanceIntakeIn(data={}).fields is not PerInstanceIntakeIn(data={}).fields


def _payloads() -> list[Any]:
    member = intake_payload()["members"][0]
    return [
        intake_payload(),
        intake_payload(accept=False, allow_duplicates=True, types=["emergency", "dibao"]),
        {},
        None,
        [],
        intake_payload(members=[]),
        {**intake_payload(), "members": [{**member, "id_number": "340104198005171230"}, "x"]},
        intake_payload(members=[{**member, "disability_grade": 2, "incomes": [{"kind": "lottery", "monthly": "-1"}]}]),
        intake_payload(street=COMMUNITY_A, phone="123", homes="many", financial_assets="1.234"),
        intake_payload(street="340104002"),
        {k: v for k, v in intake_payload().items() if k not in ("street", "community", "address")},
        {**intake_payload(), "application": {"assistance_types": ["dibao", "x"], "emergency_cost": "abc"}},
        intake_payload(household_id="abc", accept="maybe"),
    ]


def test_validation_answers_as_with_fields_per_instance() -> None:
    # Twice in a row: a failed validation leaves nothing behind in the shared fields.
    for data in _payloads() * 2:
        shared, own = s.IntakeInSerializer(data=data), PerInstanceIntakeIn(data=data)
        assert shared.is_valid() == own.is_valid()
        assert shared.errors == own.errors
        assert JSONRenderer().render(shared.errors) == JSONRenderer().render(own.errors)
        assert shared.validated_data == own.validated_data


def test_response_is_rendered_as_with_fields_per_instance(clerk_a: User) -> None:
    accept(clerk_a)  # an application accepted into a case
    saved = intake_payload(accept=False, members=[{"name": "王五", "id_number": make_resident_id(seq=777)}])
    assert api_client(clerk_a).post(INTAKE, saved, format="json").status_code == 201  # no case yet
    applications = list(Application.objects.select_related("street").order_by("id"))
    assert [a.status for a in applications] == ["accepted", "submitted"]
    for application in applications:
        instance = {"application": application, "case": Case.objects.filter(application=application).first()}
        rendered = JSONRenderer().render(s.IntakeOutSerializer(instance).data)
        assert rendered == JSONRenderer().render(PerInstanceIntakeOut(instance).data)


def _orm_duplicates(
    user: User, indexes: Mapping[str, str], *, exclude_application_id: int | None = None
) -> list[Duplicate]:
    """``duplicates_for`` as it was written with the ORM (two queries)."""
    wanted = list(indexes)
    found: list[Duplicate] = []
    applications = Application.objects.filter(status=ApplicationStatus.SUBMITTED, id_indexes__overlap=wanted)
    cases = Case.objects.filter(status__in=OPEN_STATUSES, application__id_indexes__overlap=wanted)
    if exclude_application_id is not None:
        applications = applications.exclude(pk=exclude_application_id)
        cases = cases.exclude(application_id=exclude_application_id)
    for app in applications.order_by("id"):
        index = sorted(set(app.id_indexes) & set(wanted))[0]
        visible = region_visible_to(user, app.street_id)
        found.append(
            Duplicate(indexes[index], app.receipt_no if visible else None, "application", app.get_status_display())
        )
    for case in cases.select_related("application").order_by("id"):
        index = sorted(set(case.application.id_indexes) & set(wanted))[0]
        visible = region_visible_to(user, case.street_id)
        found.append(Duplicate(indexes[index], case.receipt_no if visible else None, "case", case.get_status_display()))
    return found


def test_duplicates_are_those_the_orm_queries_found(
    clerk_a: User, clerk_b: User, supervisor_shushan: User, city_admin: User
) -> None:
    zhang, li = (m["id_number"] for m in intake_payload()["members"])
    wang, nobody = make_resident_id(seq=555), make_resident_id(seq=999)
    case_app = accept(clerk_a)["application"]["id"]  # 张三 (seq 123) and 李梅: an open case
    online = application_submit_online(  # 张三 again, in an online application not yet accepted
        street=Region.objects.get(code=STREET_A),
        community=Region.objects.get(code=COMMUNITY_A),
        address="梅山路",
        phone="13800000000",
        assistance_types=["dibao"],
        help_text="",
        members=[{"name": "张三", "id_number": zhang, "relation": "self"}],
    )
    closed = accept(
        clerk_b,
        street="340104002",
        community="340104002001",
        members=[{"name": "王五", "id_number": wang, "relation": "self", "authorisation_signed": True}],
    )["case"]["id"]
    Case.objects.filter(pk=closed).update(status=CaseStatus.WITHDRAWN)
    assert blind_index(zhang) in Application.objects.get(pk=case_app).id_indexes

    def named(*numbers: str) -> dict[str, str]:
        return {blind_index(n): mask_id(n) for n in numbers}

    checked = 0
    for user in (clerk_a, clerk_b, supervisor_shushan, city_admin):
        for indexes in (named(zhang), named(li), named(zhang, li), named(wang), named(nobody), named(li, nobody)):
            for exclude in (None, case_app, online.pk):
                got = duplicates_for(user, indexes, exclude_application_id=exclude)
                assert got == _orm_duplicates(user, indexes, exclude_application_id=exclude)
                assert [d.message for d in got] == [
                    d.message for d in _orm_duplicates(user, indexes, exclude_application_id=exclude)
                ]
                checked += len(got)
    assert checked  # the records were found, visible or not
    both = duplicates_for(clerk_b, named(zhang, li))
    assert [(d.kind, d.receipt_no) for d in both] == [("application", None), ("case", None)]
    assert [dataclasses.replace(d, receipt_no=None) for d in duplicates_for(clerk_a, named(zhang, li))] == both
