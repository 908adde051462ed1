"""The demo loader builds cases in every status, overdue ones, mismatches and a public emergency."""

from __future__ import annotations

import pytest
from django.utils import timezone

from casework.models import Case, CaseStatus, EmergencyPayment, PaymentStatus, PublicEmergency, overdue_q


@pytest.mark.django_db
def test_demo_has_every_status_overdue_cases_mismatches_and_a_public_emergency() -> None:
    from accounts.demo import load_staff
    from applications import demo as application_demo
    from casework import demo as casework_demo

    context = load_staff()
    application_demo.load(context)
    casework_demo.load(context)

    statuses = set(Case.objects.values_list("status", flat=True))
    assert statuses >= {s for s in CaseStatus.values if s != CaseStatus.CHECKING}
    assert Case.objects.filter(overdue_q(timezone.localdate())).count() >= 3
    codes = {d["code"] for c in Case.objects.all() for check in c.checks.all() for d in check.discrepancies}
    assert {"wage_higher", "undeclared_vehicle", "more_homes"} <= codes
    emergency = PublicEmergency.objects.get()
    assert emergency.cases.count() >= 2
    assert set(EmergencyPayment.objects.values_list("status", flat=True)) == {
        PaymentStatus.PAID,
        PaymentStatus.PENDING_COUNTY,
    }
