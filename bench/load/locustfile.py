"""Locust scenario of issue 8 ("Load"): street staff working the system at once.

Run by ``bench/load_test.py`` (which prepares the fixture and starts gunicorn); by hand:

    LOAD_FIXTURE=var/bench/load_fixture.json .venv/bin/locust -f bench/load/locustfile.py --headless \
        -u 50 -r 10 -t 90s --host http://127.0.0.1:8077

Every simulated user works with the session of one of the street staff accounts of the fixture
(signed in through the login page by the driver beforehand), with a short think time, in this mix
(weights):

- work queue: 待我处理 (6), all cases page N (2), overdue (1)              ``/cases/``
- case detail of a case of the user's street (6)                          ``/cases/<id>/``
- household search: household number, masked ID or a name (3)             ``/households/?q=``
- household detail (4)                                                    ``/households/<id>/``
- intake (clerks): a new household + application accepted into a case     ``POST /api/v1/intake/`` (2)
- evaluate: stateless five-tier evaluation                                ``POST /api/v1/eligibility/evaluate/`` (2)

Writes use the API with the user's token and an ``Idempotency-Key``; every successful intake's
application id is appended to a file so the driver can compare it with the rows in the database.
"""

from __future__ import annotations

import itertools
import json
import os
import random
import sys
import uuid
from typing import Any

from locust import between, events, task
from locust.contrib.fasthttp import FastHttpUser

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from ids import resident_id  # unique per run: the driver passes an offset past every earlier run

FIXTURE: dict[str, Any] = json.loads(open(os.environ["LOAD_FIXTURE"], encoding="utf-8").read())
ACCOUNTS = itertools.cycle(FIXTURE["accounts"])
PASSWORD = FIXTURE["password"]
RUN = FIXTURE["run"]
WRITES_LOG = os.environ.get("LOAD_WRITES_LOG", "")
_person = itertools.count(int(FIXTURE["person_offset"]))
_writes: list[str] = []


class StreetStaff(FastHttpUser):
    wait_time = between(0.05, 0.25)

    def on_start(self) -> None:
        account = next(ACCOUNTS)
        self.account = account
        self.street: dict[str, Any] = FIXTURE["streets"][account["street"]]
        self.api_headers = {"Authorization": f"Token {account['token']}", "Content-Type": "application/json"}
        # Signed in by the driver through the login page (bench/load_test.py: sign_in).
        self.cookies: dict[str, str] = dict(account["cookies"])

    def _cookie(self) -> str:
        return "; ".join(f"{k}={v}" for k, v in self.cookies.items())

    def _page(self, url: str, name: str) -> None:
        with self.client.get(url, name=name, headers={"Cookie": self._cookie()}, catch_response=True) as r:
            if r.status_code != 200:
                r.failure(f"{r.status_code}")
            elif 'name="password"' in (r.text or ""):
                r.failure("redirected to the login page")

    # --- reading ------------------------------------------------------------------------------

    @task(6)
    def queue_mine(self) -> None:
        self._page("/cases/", "queue (mine)")

    @task(2)
    def queue_all(self) -> None:
        self._page(f"/cases/?tab=all&page={random.randint(1, 40)}", "queue (all, page N)")

    @task(1)
    def queue_overdue(self) -> None:
        self._page("/cases/?tab=overdue", "queue (overdue)")

    @task(6)
    def case_detail(self) -> None:
        self._page(f"/cases/{random.choice(self.street['cases'])}/", "case detail")

    @task(3)
    def household_search(self) -> None:
        kind = random.random()
        if kind < 0.5:
            term = str(random.choice(self.street["households"]))
        elif kind < 0.8:
            term = random.choice(self.street["masked_ids"])
        else:
            term = random.choice(self.street["names"])
        self._page(f"/households/?q={term}", "household search")

    @task(4)
    def household_detail(self) -> None:
        self._page(f"/households/{random.choice(self.street['households'])}/", "household detail")

    # --- writing ------------------------------------------------------------------------------

    @task(2)
    def intake(self) -> None:
        if self.account["role"] != "clerk":
            return self.evaluate()
        n = next(_person)
        spouse = next(_person)
        body = {
            "street": self.account["street"],
            "community": random.choice(self.street["communities"]),
            "address": f"压测路{n}号",
            "phone": "13812345678",
            "bank_name": "徽商银行",
            "bank_account": "6228480012345678901",
            "financial_assets": "3000.00",
            "homes": 1,
            "members": [
                {
                    "name": "压测甲",
                    "id_number": resident_id(n),
                    "relation": "self",
                    "incomes": [{"kind": "wage", "monthly": f"{random.randint(300, 2500)}.00"}],
                    "authorisation_signed": True,
                },
                {
                    "name": "压测乙",
                    "id_number": resident_id(spouse),
                    "relation": "spouse",
                    "authorisation_signed": True,
                },
            ],
            "application": {"channel": "window", "assistance_types": ["dibao"], "help_text": f"LOADTEST {RUN}"},
        }
        headers = {**self.api_headers, "Idempotency-Key": str(uuid.uuid4())}
        with self.client.post(
            "/api/v1/intake/", data=json.dumps(body), headers=headers, name="intake (POST)", catch_response=True
        ) as r:
            if r.status_code != 201:
                r.failure(f"{r.status_code} {(r.text or '')[:200]}")
            else:
                _writes.append(str(json.loads(r.text)["application"]["id"]))

    @task(2)
    def evaluate(self) -> None:
        members = [
            {
                "ref": "m1",
                "birth_date": "1978-04-02",
                "incomes": [{"kind": "wage", "monthly": f"{random.randint(0, 3000)}.00"}],
            },
            {"ref": "m2", "birth_date": "1981-10-20"},
        ]
        if random.random() < 0.5:
            members.append({"ref": "m3", "birth_date": "2013-06-01", "student": True})
        if random.random() < 0.3:
            members.append(
                {"ref": "m4", "birth_date": "1946-02-11", "disability_grade": 2, "disability_kind": "physical"}
            )
        body = {"region": self.street["county"], "as_of": FIXTURE["as_of"], "members": members}
        with self.client.post(
            "/api/v1/eligibility/evaluate/",
            data=json.dumps(body),
            headers=self.api_headers,
            name="evaluate (POST)",
            catch_response=True,
        ) as r:
            if r.status_code != 200:
                r.failure(f"{r.status_code} {(r.text or '')[:200]}")


class CheapestPage(FastHttpUser):
    """``--scenario ceiling`` of bench/load_test.py: the same users, think time, server and machine,
    but every request is the cheapest page the system has (the sign-in form: no session, no query).
    What this reaches is the ceiling of gunicorn + Django + Locust on the machine, against which the
    mix's figures can be read."""

    wait_time = between(0.05, 0.25)

    @task
    def sign_in_page(self) -> None:
        with self.client.get("/accounts/login/", name="sign-in page", catch_response=True) as r:
            if r.status_code != 200 or 'name="password"' not in (r.text or ""):
                r.failure(f"{r.status_code}")


if os.environ.get("LOAD_SCENARIO", "mix") == "ceiling":
    StreetStaff.abstract = True
else:
    CheapestPage.abstract = True


@events.quitting.add_listener
def _write_log(environment: Any, **_: Any) -> None:
    """Ids of the successful intakes, and the final per-endpoint figures (after every user stopped)."""
    if WRITES_LOG:
        with open(WRITES_LOG, "a", encoding="utf-8") as fh:
            fh.write("".join(f"{line}\n" for line in _writes))
    stats_file = os.environ.get("LOAD_STATS_JSON", "")
    if stats_file:
        stats = environment.stats
        rows = []
        for entry in [*sorted(stats.entries.values(), key=lambda e: e.name), stats.total]:
            rows.append(
                {
                    "endpoint": "ALL" if entry is stats.total else entry.name,
                    "method": entry.method or "",
                    "requests": entry.num_requests,
                    "failures": entry.num_failures,
                    "p50_ms": entry.get_response_time_percentile(0.50),
                    "p95_ms": entry.get_response_time_percentile(0.95),
                    "p99_ms": entry.get_response_time_percentile(0.99),
                    "avg_ms": round(entry.avg_response_time, 1),
                    "max_ms": round(entry.max_response_time or 0, 1),
                    "rps": round(entry.total_rps, 1),
                }
            )
        errors = [{"endpoint": e.name, "error": str(e.error), "count": e.occurrences} for e in stats.errors.values()]
        with open(stats_file, "w", encoding="utf-8") as fh:
            json.dump({"endpoints": rows, "errors": errors}, fh, ensure_ascii=False, indent=2)
