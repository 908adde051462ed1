"""The demo spot check (casework/demo_spotcheck.py, loaded by ``manage.py load_demo``) and the
browse-only admin of spot checks (casework/admin.py)."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from io import StringIO

import pytest
from django.core.management import call_command
from django.test import Client
from django.utils import timezone

from accounts.models import AuditLog, User
from casework.demo_spotcheck import DEMO_SEED
from casework.models import Case
from casework.models.spotcheck import CheckResult, RectificationStatus, SpotCheck, SpotCheckItem, SpotCheckStatus
from casework.selectors_spotcheck import rectifications_visible_to
from casework.services import spotcheck as svc

STREET_A = "340104001"


@pytest.mark.django_db
def test_load_demo_adds_a_shushan_spot_check_with_one_wrong_amount_sent_back_to_the_street() -> None:
    call_command("load_demo", quiet_accounts=True, stdout=StringIO())
    today = timezone.localdate()
    supervisor = User.objects.get(username="supervisor_shushan")

    check = SpotCheck.objects.get()
    assert check.street_id == STREET_A and check.seed == DEMO_SEED == "hefei-demo-2026"
    assert check.created_by == supervisor
    assert check.percentage == Decimal("60.00")
    assert (check.period_start, check.period_end) == (today - dt.timedelta(days=90), today)
    quarter = "一二三四"[(today.month - 1) // 3]
    assert check.note == f"蜀山区民政局{today.year}年第{quarter}季度低保、特困认定抽查(三里庵街道)"
    # Street A: the casework demo confirms one case, the spot-check demo five more → 6; ceil(60 % × 6) = 4.
    assert check.population_size == 6 and len(check.population_ids) == 6
    assert check.sample_size == 4 and len(check.sample_ids) == 4
    # Reproducible: the stored population and seed redraw the stored sample; the population is the rule's.
    assert svc.population_ids(STREET_A, check.period_start, check.period_end) == check.population_ids
    assert svc.draw_sample(check.population_ids, Decimal("60"), DEMO_SEED) == check.sample_ids

    items = list(check.items.order_by("seq"))
    assert [i.case_id for i in items] == check.sample_ids
    assert [i.result for i in items] == [
        CheckResult.CORRECT,
        CheckResult.WRONG_AMOUNT,
        CheckResult.CORRECT,
        CheckResult.PENDING,
    ]
    assert check.status == SpotCheckStatus.CHECKING  # one sampled case is left for the visitor to check
    wrong = items[1]
    assert wrong.amount_at_draw is not None and wrong.amount_at_draw > Decimal("150.00")
    assert wrong.correct_amount == wrong.amount_at_draw - Decimal("150.00")
    assert wrong.enrolment is not None and wrong.enrolment.monthly_amount == wrong.amount_at_draw
    assert "150元" in wrong.note and wrong.checked_by == supervisor
    # Sent back to the street: an open rectification due in 30 days, in street A's queue only.
    assert wrong.rectification_status == RectificationStatus.OPEN
    assert wrong.rectify_due == today + dt.timedelta(days=30)
    assert list(rectifications_visible_to(User.objects.get(username="approver_a"))) == [wrong]
    assert not rectifications_visible_to(User.objects.get(username="approver_b")).exists()
    assert {i.rectification_status for i in (items[0], items[2], items[3])} == {RectificationStatus.NONE}
    # Through the audited services: one draw, three results.
    assert AuditLog.objects.filter(action="spot_check.create", object_id=str(check.pk)).count() == 1
    assert AuditLog.objects.filter(action="spot_check.result", region_code=STREET_A).count() == 3

    # Re-run safe: nothing new (no second batch, no more cases).
    cases = Case.objects.count()
    out = StringIO()
    call_command("load_demo", quiet_accounts=True, stdout=out)
    assert "演示数据已存在" in out.getvalue()
    assert SpotCheck.objects.count() == 1 and SpotCheckItem.objects.count() == 4
    assert Case.objects.count() == cases

    # The admin lists and searches it by receipt number, shows it read-only and never deletes it.
    admin = Client()
    admin.force_login(User.objects.get(username="admin"))
    link = f"/admin/casework/spotcheck/{check.pk}/change/"
    listing = admin.get("/admin/casework/spotcheck/", {"q": wrong.case.receipt_no})
    assert listing.status_code == 200 and link in listing.content.decode()
    assert link not in admin.get("/admin/casework/spotcheck/", {"q": "340104001-1999-999999"}).content.decode()
    found = admin.get("/admin/casework/spotcheckitem/", {"q": wrong.case.receipt_no})
    assert found.status_code == 200 and f"/admin/casework/spotcheckitem/{wrong.pk}/change/" in found.content.decode()
    filtered = admin.get("/admin/casework/spotcheckitem/", {"result__exact": "wrong_amount"})
    assert filtered.status_code == 200 and wrong.case.receipt_no in filtered.content.decode()
    assert admin.get(f"/admin/casework/spotcheck/{check.pk}/change/").status_code == 200  # view only
    assert admin.get(f"/admin/casework/spotcheck/{check.pk}/delete/").status_code == 403
    assert admin.get(f"/admin/casework/spotcheckitem/{wrong.pk}/delete/").status_code == 403
    assert admin.get("/admin/casework/spotcheck/add/").status_code == 403
    changed = admin.post(f"/admin/casework/spotcheckitem/{wrong.pk}/change/", {"result": "correct"})
    assert changed.status_code == 403
    wrong.refresh_from_db()
    assert wrong.result == CheckResult.WRONG_AMOUNT
