"""The demo loader of plans, services, referrals, facilities, stranded persons and volunteers."""

from __future__ import annotations

import pytest
from django.utils import timezone

from casework.models.facilities import CareFacility
from casework.models.plans import AssistancePlan, CaseAssignment
from casework.models.referrals import CaseConference, Referral, ReferralStatus, referral_overdue_q
from casework.models.services_catalogue import ContractEvaluation, DeliveryRecord, ServiceItem, ServiceOrganisation
from casework.models.stranded import StrandedPerson
from casework.models.volunteers import VolunteerHours


@pytest.mark.django_db
def test_demo_loads_catalogue_contracts_plans_referrals_facilities_stranded_and_volunteers() -> None:
    from accounts.demo import load_staff
    from applications import demo as application_demo
    from casework import demo as casework_demo
    from casework import demo_plans

    context = load_staff()
    application_demo.load(context)
    casework_demo.load(context)
    if not AssistancePlan.objects.exists():  # until casework.demo calls it
        demo_plans.load(context)

    assert ServiceItem.objects.values("county").distinct().count() == 3
    assert ServiceOrganisation.objects.count() == 2 and ContractEvaluation.objects.count() == 2
    assert AssistancePlan.objects.count() >= 3
    assert CaseAssignment.objects.filter(social_worker__username="socialworker_a").exists()
    assert DeliveryRecord.objects.filter(kind="visit").exists() and DeliveryRecord.objects.filter(kind="needs").exists()
    assert Referral.objects.filter(status=ReferralStatus.ANSWERED, result="accepted").exists()
    assert Referral.objects.filter(referral_overdue_q(timezone.localdate())).count() == 1
    assert CaseConference.objects.count() == 1
    assert set(CareFacility.objects.values_list("county_id", flat=True)) == {"340104", "340111", "340123"}
    assert set(StrandedPerson.objects.values_list("status", flat=True)) == {"returned", "helping"}
    assert VolunteerHours.objects.count() == 3
