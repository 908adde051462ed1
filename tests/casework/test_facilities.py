"""Care facilities: the county's care-type share against the ≥ 50 % target, and placements under a lock."""

from __future__ import annotations

import threading
from decimal import Decimal
from typing import Any

import pytest
from django.db import connection

from accounts.errors import BusinessError
from accounts.models import AuditLog, Region, User
from casework.models.facilities import CareFacility, CareShare, Placement
from casework.services import facilities as fac
from tests.casework.plans_support import client_for, tekun_case
from tests.casework.reference_data import ALL_APPS
from tests.support import api_client


def _facility(supervisor: User, *, beds: int, care_beds: int, name: str = "蜀山区社会福利中心") -> CareFacility:
    return fac.facility_create(
        actor=supervisor,
        county=Region.objects.get(code="340104"),
        name=name,
        kind="county",
        beds=beds,
        care_beds=care_beds,
    )


def test_care_share_meets_the_target_at_half() -> None:
    assert CareShare(beds=100, care_beds=50).meets_target
    assert not CareShare(beds=100, care_beds=49).meets_target
    assert not CareShare(beds=0, care_beds=0).meets_target
    assert CareShare(beds=3, care_beds=2).percent == Decimal("66.7")


@pytest.mark.django_db
def test_county_page_shows_the_care_type_share_against_the_target(
    supervisor_shushan: User, supervisor_feixi: User, reviewer_a: User
) -> None:
    _facility(supervisor_shushan, beds=120, care_beds=50)
    page = client_for(supervisor_shushan).get("/facilities/").content.decode()
    assert "41.7%" in page and 'data-share="bad"' in page and "未达标" in page
    _facility(supervisor_shushan, beds=80, care_beds=60, name="三里庵敬老院")
    page = client_for(supervisor_shushan).get("/facilities/").content.decode()
    assert "55.0%" in page and 'data-share="ok"' in page
    assert "三里庵敬老院" in client_for(reviewer_a).get("/facilities/").content.decode()  # the street reads its county
    assert "三里庵敬老院" not in client_for(supervisor_feixi).get("/facilities/").content.decode()
    api = api_client(supervisor_shushan).get("/api/v1/care-facilities/").json()["results"]
    assert {f["name"]: f["free"] for f in api} == {"蜀山区社会福利中心": 120, "三里庵敬老院": 80}


@pytest.mark.django_db
def test_care_beds_cannot_exceed_beds_and_bad_input_is_400(supervisor_shushan: User) -> None:
    response = client_for(supervisor_shushan).post(
        "/facilities/new/", {"name": "某敬老院", "kind": "township", "beds": "10", "care_beds": "12"}
    )
    assert response.status_code == 400 and "护理型床位数不能超过床位数" in response.content.decode()
    assert not CareFacility.objects.exists()


@pytest.mark.django_db
def test_placement_takes_an_approved_institutional_tekun_person_and_a_care_bed(
    clerk_a: User, reviewer_a: User, reviewer_a2: User, approver_a: User, supervisor_shushan: User
) -> None:
    case = tekun_case(clerk_a, reviewer_a, reviewer_a2, approver_a)
    member = case.household.members.get()
    facility = _facility(supervisor_shushan, beds=2, care_beds=1)
    page = client_for(approver_a).get(f"/facilities/{facility.pk}/").content.decode()
    assert "孙老汉" in page  # offered as a candidate
    response = client_for(approver_a).post(
        f"/facilities/{facility.pk}/place/", {"person": f"{case.pk}:{member.pk}", "care": "auto", "placed_on": ""}
    )
    assert response.status_code == 400  # placed_on is required
    response = api_client(approver_a).post(
        f"/api/v1/care-facilities/{facility.pk}/place/", {"case": case.pk, "member": member.pk}, format="json"
    )
    assert response.status_code == 201, response.content
    assert response.json()["care_bed"] is True  # cannot look after herself → care-type bed
    assert AuditLog.objects.filter(action="facility.place", region_code=case.street_id).exists()
    again = api_client(approver_a).post(
        f"/api/v1/care-facilities/{facility.pk}/place/", {"case": case.pk, "member": member.pk}, format="json"
    )
    assert again.status_code == 409 and "已在供养服务设施入住" in again.json()["detail"]
    with pytest.raises(Exception) as shrink:
        fac.facility_update_beds(actor=supervisor_shushan, facility=facility, beds=2, care_beds=0, reason="改造")
    assert "care_beds" in str(shrink.value)


@pytest.mark.django_db
def test_a_case_that_is_not_tekun_cannot_be_placed(clerk_a: User, approver_a: User, supervisor_shushan: User) -> None:
    from tests.casework.plans_support import open_case

    case = open_case(clerk_a)
    facility = _facility(supervisor_shushan, beds=5, care_beds=3)
    with pytest.raises(BusinessError) as refused:
        fac.facility_place(actor=approver_a, facility=facility, case=case, member=case.household.members.first())
    assert refused.value.code == "not_tekun"


@pytest.mark.django_db(transaction=True, available_apps=ALL_APPS)
def test_two_placements_racing_for_the_last_bed_place_exactly_one(
    clerk_a: User, reviewer_a: User, reviewer_a2: User, approver_a: User, supervisor_shushan: User
) -> None:
    first = tekun_case(clerk_a, reviewer_a, reviewer_a2, approver_a, seq=701, adl=0)
    second = tekun_case(clerk_a, reviewer_a, reviewer_a2, approver_a, seq=702, adl=0)
    facility = _facility(supervisor_shushan, beds=1, care_beds=0)
    barrier = threading.Barrier(2)
    outcomes: list[Any] = []

    def place(case: Any) -> None:
        try:
            barrier.wait()
            fac.facility_place(actor=approver_a, facility=facility.pk, case=case, member=case.household.members.get())
            outcomes.append("placed")
        except BusinessError as exc:
            outcomes.append(exc.code)
        finally:
            connection.close()

    threads = [threading.Thread(target=place, args=(c,)) for c in (first, second)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert sorted(outcomes) == ["no_bed", "placed"]
    assert Placement.objects.filter(facility=facility, ended_on__isnull=True).count() == 1
