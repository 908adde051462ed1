"""Payment roll: generated once (idempotent, also under concurrency), masked, totals per tier,
bridging line once, locked by the county (service + database), exports, scoping."""

from __future__ import annotations

import csv
import datetime as dt
import io
import threading
from decimal import Decimal

import pytest
from django.db import DatabaseError, connection, transaction
from django.test import Client
from openpyxl import load_workbook

from accounts.errors import BusinessError, Conflict
from accounts.models import AuditLog, Region, Role, User
from casework.models.enrolment import BridgingPayment, Enrolment, add_months, month_start
from casework.models.payments import LineKind, PaymentRoll, RollLine, RollStatus
from casework.services.payments import payment_roll_generate, payment_roll_lock, payment_rolls_generate_all
from tests.casework.test_enrolment import TODAY, dibao_family, enrol, make_household, person
from tests.support import STREET_A, api_client

THIS_MONTH = month_start(TODAY)
LAST_MONTH = add_months(THIS_MONTH, -1)


def _street() -> Region:
    return Region.objects.get(code=STREET_A)


def _caseload(clerk: User, approver: User) -> list[Enrolment]:
    """Two 低保 families (925.20 and 325.20) and one 特困 person, enrolled three months ago."""
    a = enrol(approver, dibao_family(clerk, wage="1200"))
    b = enrol(approver, dibao_family(clerk, wage="1800"))
    elder = make_household(
        clerk,
        [
            person(
                "孤老",
                dt.date(TODAY.year - 80, 1, 1),
                incomes=[("resident_basic_pension", "165")],
                has_able_supporter=False,
            )
        ],
        bank_account="6217000012349999",
    )
    c = enrol(approver, elder)
    assert (a.tier, b.tier, c.tier) == ("dibao", "dibao", "tekun")
    return [a, b, c]


@pytest.mark.django_db
def test_roll_lists_payees_with_masked_identifiers_and_totals_per_tier(clerk_a: User, approver_a: User) -> None:
    a, b, c = _caseload(clerk_a, approver_a)
    roll = payment_roll_generate(street=_street(), month=LAST_MONTH, actor=approver_a)
    lines = {line.enrolment_id: line for line in roll.lines.all()}
    assert set(lines) == {a.pk, b.pk, c.pk}
    line = lines[a.pk]
    assert (line.payee_name, line.tier, line.amount, line.kind) == ("张三", "dibao", Decimal("925.20"), "monthly")
    assert (
        line.account_masked == "***************8901" and line.id_masked.startswith("340104") and "*" in line.id_masked
    )
    assert lines[b.pk].amount == Decimal("325.20")  # 924 × 2 − (1800 − 277.20)
    totals = {(t["tier"], t["kind"]): t for t in roll.totals["by_tier"]}
    assert totals[("dibao", "monthly")]["count"] == 2 and totals[("dibao", "monthly")]["total"] == "1250.40"
    assert totals[("tekun", "monthly")]["count"] == 1
    assert roll.line_count == 3 and roll.total_amount == Decimal("1250.40") + lines[c.pk].amount


@pytest.mark.django_db
def test_generating_twice_creates_nothing_twice(clerk_a: User, approver_a: User) -> None:
    _caseload(clerk_a, approver_a)
    first = payment_roll_generate(street=_street(), month=LAST_MONTH, actor=approver_a)
    second = payment_roll_generate(street=_street(), month=LAST_MONTH, actor=approver_a)
    assert first.pk == second.pk and PaymentRoll.objects.count() == 1
    assert RollLine.objects.count() == 3
    assert AuditLog.objects.filter(action="payment_roll.generate").count() == 1  # the no-op wrote nothing
    # The beat job for the same month adds nothing either.
    assert payment_rolls_generate_all(month=LAST_MONTH) == [first.pk]
    assert RollLine.objects.count() == 3


@pytest.mark.django_db
def test_periods_decide_which_months_are_paid(clerk_a: User, approver_a: User) -> None:
    starts_next_month = enrol(approver_a, dibao_family(clerk_a), start=add_months(THIS_MONTH, 1))
    assert payment_roll_generate(street=_street(), month=THIS_MONTH, actor=approver_a).line_count == 0
    roll = payment_roll_generate(street=_street(), month=add_months(THIS_MONTH, 1), actor=approver_a)
    assert [line.enrolment_id for line in roll.lines.all()] == [starts_next_month.pk]


@pytest.mark.django_db
def test_bridging_appears_once_as_its_own_line(
    clerk_a: User, reviewer_a: User, reviewer_a2: User, approver_a: User
) -> None:
    from tests.casework.test_enrolment import approved_case

    decision = approved_case(clerk_a, reviewer_a, reviewer_a2, approver_a)
    enrolment = Enrolment.objects.get(household=decision.case.household)
    from casework.services.enrolment import bridging_grant

    bridging_grant(actor=approver_a, enrolment=enrolment)
    start = enrolment.start_month
    roll = payment_roll_generate(street=_street(), month=start, actor=approver_a)
    kinds = sorted(roll.lines.values_list("kind", "amount"))
    assert kinds == [(LineKind.BRIDGING, Decimal("925.20")), (LineKind.MONTHLY, Decimal("925.20"))]
    assert BridgingPayment.objects.get().roll_line.roll == roll
    following = payment_roll_generate(street=_street(), month=add_months(start, 1), actor=approver_a)
    assert list(following.lines.values_list("kind", flat=True)) == [LineKind.MONTHLY]


@pytest.mark.django_db
def test_county_supervisor_locks_and_a_locked_roll_cannot_change(
    clerk_a: User, approver_a: User, supervisor_shushan: User, supervisor_feixi: User
) -> None:
    _caseload(clerk_a, approver_a)
    roll = payment_roll_generate(street=_street(), month=LAST_MONTH, actor=approver_a)
    with pytest.raises(BusinessError) as refused:
        payment_roll_lock(actor=approver_a, roll=roll)
    assert refused.value.status == 403
    with pytest.raises(BusinessError) as elsewhere:
        payment_roll_lock(actor=supervisor_feixi, roll=roll)
    assert elsewhere.value.status == 404
    locked = payment_roll_lock(actor=supervisor_shushan, roll=roll)
    assert locked.status == RollStatus.LOCKED and locked.locked_by == supervisor_shushan
    assert AuditLog.objects.filter(action="payment_roll.lock", actor=supervisor_shushan).exists()
    with pytest.raises(Conflict):
        payment_roll_lock(actor=supervisor_shushan, roll=roll)
    with pytest.raises(Conflict):
        payment_roll_generate(street=_street(), month=LAST_MONTH, actor=approver_a)
    # The database refuses it too, whoever writes.
    line = roll.lines.first()
    assert line is not None
    for attempt in (
        lambda: RollLine.objects.filter(pk=line.pk).update(amount=Decimal("1.00")),
        lambda: RollLine.objects.filter(pk=line.pk).delete(),
        lambda: RollLine.objects.create(
            roll=roll,
            enrolment=line.enrolment,
            household=line.household,
            kind=LineKind.BRIDGING,
            bridging=BridgingPayment.objects.create(
                enrolment=line.enrolment, amount=Decimal("1"), pay_from_month=LAST_MONTH, granted_by=approver_a
            ),
            payee_name="x",
            id_masked="x",
            tier="dibao",
            amount=Decimal("1"),
        ),
        lambda: PaymentRoll.objects.filter(pk=roll.pk).update(status=RollStatus.DRAFT),
        lambda: PaymentRoll.objects.filter(pk=roll.pk).delete(),
    ):
        with pytest.raises(DatabaseError), transaction.atomic():
            attempt()


@pytest.mark.django_db
def test_exports_hold_masked_identifiers_only(clerk_a: User, approver_a: User) -> None:
    _caseload(clerk_a, approver_a)
    roll = payment_roll_generate(street=_street(), month=LAST_MONTH, actor=approver_a)
    client = Client()
    client.force_login(approver_a)
    response = client.get(f"/payment-rolls/{roll.pk}/export.xlsx")
    assert response.status_code == 200
    sheet = load_workbook(io.BytesIO(response.content)).active
    assert sheet is not None
    cells = [str(c) for row in sheet.iter_rows(values_only=True) for c in row if c is not None]
    text = "\n".join(cells)
    assert "6228480012345678901" not in text and "***************8901" in text
    assert "张三" in text and "合计" in text
    response = client.get(f"/payment-rolls/{roll.pk}/export.csv")
    rows = list(csv.reader(io.StringIO(response.content.decode("utf-8-sig"))))
    assert rows[1][0] == "序号" and len(rows) == 2 + 3 + 2 + 1  # title, header, 3 lines, 2 tier totals, total
    assert all(len(r[3]) == 18 and "*" in r[3] for r in rows[2:5])
    body = response.content.decode("utf-8-sig")
    for member_id in roll.lines.values_list("household__members__id_number", flat=True):
        assert member_id not in body


@pytest.mark.django_db
def test_pages_and_api_are_scoped(clerk_a: User, approver_a: User, clerk_b: User, supervisor_shushan: User) -> None:
    _caseload(clerk_a, approver_a)
    roll = payment_roll_generate(street=_street(), month=LAST_MONTH, actor=approver_a)
    other = Client()
    other.force_login(clerk_b)
    for url in (
        f"/payment-rolls/{roll.pk}/",
        f"/payment-rolls/{roll.pk}/export.csv",
        f"/payment-rolls/{roll.pk}/export.xlsx",
    ):
        assert other.get(url).status_code == 404
    assert other.post(f"/payment-rolls/{roll.pk}/lock/").status_code == 404
    assert api_client(clerk_b).get(f"/api/v1/payment-rolls/{roll.pk}/").status_code == 404
    assert api_client(clerk_b).get("/api/v1/payment-rolls/").json()["count"] == 0
    own = Client()
    own.force_login(approver_a)
    page = own.get(f"/payment-rolls/{roll.pk}/")
    assert page.status_code == 200 and "***************8901" in page.content.decode()
    assert "6228480012345678901" not in page.content.decode()
    response = api_client(supervisor_shushan).post(f"/api/v1/payment-rolls/{roll.pk}/lock/")
    assert response.status_code == 200 and response.json()["status"] == "locked"


@pytest.mark.django_db
def test_generate_through_the_api_is_idempotent_and_validates(clerk_a: User, approver_a: User) -> None:
    _caseload(clerk_a, approver_a)
    client = api_client(approver_a)
    body = {"street": STREET_A, "month": f"{LAST_MONTH:%Y-%m}"}
    first = client.post("/api/v1/payment-rolls/", body, format="json")
    assert first.status_code == 201 and first.json()["line_count"] == 3
    again = client.post("/api/v1/payment-rolls/", body, format="json")
    assert again.status_code == 200 and again.json()["id"] == first.json()["id"]
    bad = client.post("/api/v1/payment-rolls/", {"street": STREET_A, "month": "2026-13"}, format="json")
    assert bad.status_code == 400 and "month" in bad.json()
    assert api_client(clerk_a).post("/api/v1/payment-rolls/", body, format="json").status_code == 403


@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_two_concurrent_generate_calls_produce_one_roll(clerk_a: User, approver_a: User) -> None:
    _caseload(clerk_a, approver_a)
    deputy = User.objects.create_user(
        username="approver_a_deputy", password="pw-Test-12345", role=Role.APPROVER, region_id=STREET_A
    )
    barrier = threading.Barrier(2)
    results: list[object] = []

    def generate(user: User) -> None:
        try:
            barrier.wait(timeout=10)
            results.append(payment_roll_generate(street=_street(), month=LAST_MONTH, actor=user).pk)
        except Exception as exc:
            results.append(exc)
        finally:
            connection.close()

    threads = [threading.Thread(target=generate, args=(u,)) for u in (approver_a, deputy)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=30)
    assert len(results) == 2 and results[0] == results[1], results
    assert PaymentRoll.objects.count() == 1 and RollLine.objects.count() == 3
