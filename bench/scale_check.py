"""Check that a database built by ``bench/scale_data.py`` is valid for the app, not just rows.

Logs in (Django test client, real views and templates) as street staff of a demo street and of
a bench street, a county supervisor and the city admin, and opens the work queue, case pages of
generated cases in every status, household pages, enrolments, payment rolls (with lines), review
tasks, alerts and charity hand-offs; every page must answer 200. Also checks a few invariants in
SQL (one open enrolment per household, roll totals = Σ lines, every approved decision's case
closed, receipt counters ahead of every receipt number).

    .venv/bin/python bench/scale_check.py --database hefei_aid_bench_small
"""

from __future__ import annotations

import argparse
import os
import sys
from pathlib import Path

BASE_DIR = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(BASE_DIR))
sys.path.insert(0, str(BASE_DIR / "bench"))

import eligibility_batch as eb  # noqa: E402

INVARIANTS = {
    "two open enrolments for a household": (
        "SELECT count(*) FROM (SELECT household_id FROM casework_enrolment WHERE status <> 'closed' "
        "GROUP BY 1 HAVING count(*) > 1) x"
    ),
    "roll totals ≠ Σ lines": (
        "SELECT count(*) FROM casework_paymentroll p LEFT JOIN (SELECT roll_id, count(*) n, sum(amount) s "
        "FROM casework_rollline GROUP BY 1) l ON l.roll_id = p.id "
        "WHERE p.line_count <> coalesce(l.n, 0) OR p.total_amount <> coalesce(l.s, 0)"
    ),
    "decided case still open": (
        "SELECT count(*) FROM casework_decision d JOIN casework_case c ON c.id = d.case_id "
        "WHERE c.status NOT IN ('approved', 'refused')"
    ),
    "receipt counter behind a receipt": (
        "SELECT count(*) FROM applications_application a JOIN applications_receiptcounter r "
        "ON r.street_id = a.street_id AND r.year = split_part(a.receipt_no, '-', 2)::int "
        "WHERE split_part(a.receipt_no, '-', 3)::int > r.last"
    ),
    "application without counter": (
        "SELECT count(*) FROM applications_application a LEFT JOIN applications_receiptcounter r "
        "ON r.street_id = a.street_id AND r.year = split_part(a.receipt_no, '-', 2)::int WHERE r.id IS NULL"
    ),
    "current period not the enrolment's": (
        "SELECT count(*) FROM casework_enrolment e JOIN casework_enrolmentperiod p ON p.id = e.current_period_id "
        "WHERE p.enrolment_id <> e.id OR p.monthly_amount <> e.monthly_amount"
    ),
    "roll line outside its period": (
        "SELECT count(*) FROM casework_rollline l JOIN casework_paymentroll r ON r.id = l.roll_id "
        "JOIN casework_enrolmentperiod p ON p.id = l.period_id "
        "WHERE r.month < p.start_month OR (p.end_month IS NOT NULL AND r.month > p.end_month)"
    ),
    "case street ≠ household street": (
        "SELECT count(*) FROM casework_case c JOIN applications_household h ON h.id = c.household_id "
        "WHERE c.street_id <> h.street_id"
    ),
}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--database", required=True)
    parser.add_argument("--per-status", type=int, default=2)
    args = parser.parse_args()
    os.environ["DATABASE_URL"] = eb.bench_database_url(args.database)
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "hefei_aid.settings")
    import django

    django.setup()
    from django.conf import settings
    from django.db import connection
    from django.test import Client

    from accounts.models import User
    from casework.models import Case
    from casework.models.enrolment import Enrolment
    from casework.models.monitoring import Alert
    from casework.models.payments import PaymentRoll
    from casework.models.reverification import ReviewTask
    from charity.models.handoffs import HandOff

    settings.ALLOWED_HOSTS = ["*"]
    failures: list[str] = []
    with connection.cursor() as cur:
        for label, sql in INVARIANTS.items():
            cur.execute(sql)
            n = cur.fetchone()[0]
            print(f"invariant {label}: {n}")
            if n:
                failures.append(f"invariant: {label} ({n})")
        cur.execute("SELECT min(id) FROM applications_household WHERE address = 'bench'")
        bench_min = cur.fetchone()[0] or 0

    def visit(user: User, urls: list[str]) -> None:
        client = Client()
        client.force_login(user)
        for url in urls:
            response = client.get(url)
            ok = response.status_code == 200
            print(f"  {'ok ' if ok else 'BAD'} {response.status_code} {user.username:<28} {url}")
            if not ok:
                failures.append(f"{user.username} {url} → {response.status_code}")

    def street_urls(street: str) -> list[str]:
        urls = ["/cases/", "/cases/?overdue=1", "/households/", "/enrolments/", "/payment-rolls/", "/review-tasks/"]
        urls.append("/monitoring/")
        cases = Case.objects.filter(street_id=street, household_id__gte=bench_min)
        for status in cases.order_by().values_list("status", flat=True).distinct():
            for pk in cases.filter(status=status).values_list("pk", flat=True)[: args.per_status]:
                urls.append(f"/cases/{pk}/")
        for hid in cases.values_list("household_id", flat=True)[:3]:
            urls.append(f"/households/{hid}/")
        enrolments = Enrolment.objects.filter(street_id=street, household_id__gte=bench_min)
        for status in ("active", "exiting", "closed"):
            for pk in enrolments.filter(status=status).values_list("pk", flat=True)[:2]:
                urls.append(f"/enrolments/{pk}/")
        for pk in PaymentRoll.objects.filter(street_id=street, line_count__gt=0).values_list("pk", flat=True)[:2]:
            urls.append(f"/payment-rolls/{pk}/")
        for st in ("open", "resolved"):
            for pk in ReviewTask.objects.filter(street_id=street, status=st).values_list("pk", flat=True)[:2]:
                urls.append(f"/review-tasks/{pk}/")
        return urls

    print(f"bench households from id {bench_min}; alerts {Alert.objects.count()}, hand-offs {HandOff.objects.count()}")
    for username in ("clerk_a", "reviewer_a", "approver_a"):
        user = User.objects.get(username=username)
        visit(user, street_urls(str(user.region_id)))
    bench_clerk = User.objects.filter(username__startswith="bench_reviewer_").order_by("region_id").first()
    if bench_clerk is not None:
        visit(bench_clerk, street_urls(str(bench_clerk.region_id)))
    supervisor = User.objects.get(username="supervisor_shushan")
    handoffs = [f"/charity/handoffs/{pk}/" for pk in HandOff.objects.order_by("-pk").values_list("pk", flat=True)[:3]]
    visit(supervisor, ["/cases/", "/enrolments/", "/payment-rolls/", "/review-tasks/", *handoffs])
    visit(User.objects.get(username="charity_shushan"), ["/charity/", *handoffs])
    visit(User.objects.get(username="admin"), ["/cases/", "/households/"])
    if failures:
        print("FAILURES:")
        for line in failures:
            print("  ", line)
        sys.exit(1)
    print("all pages 200, invariants hold")


if __name__ == "__main__":
    main()
