"""The economic-check sweep: a check committed while its Celery message was lost is re-sent once."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from django.utils import timezone

from accounts.models import User
from casework.models import Case, CaseStatus, CheckStatus, EconomicCheck
from casework.services import check as check_service
from casework.services.check import checks_resend_stuck
from tests.casework.helpers import INTAKE, intake_payload
from tests.support import api_client


def _lost_message_case(clerk: User) -> Case:
    """Intake whose on-commit dispatch never runs: exactly what a broker outage at commit time leaves."""
    response = api_client(clerk).post(INTAKE, intake_payload(), format="json")
    assert response.status_code == 201, response.content
    case = Case.objects.get(pk=response.json()["case"]["id"])
    assert case.status == CaseStatus.CHECKING
    check = case.checks.get()
    assert (check.status, check.attempts) == (CheckStatus.PENDING, 0)
    return case


@pytest.mark.django_db
def test_sweep_resends_a_lost_check_after_ten_minutes_and_only_once(clerk_a: User) -> None:
    case = _lost_message_case(clerk_a)
    now = timezone.now()
    assert checks_resend_stuck(now=now) == 0  # just queued: the worker may simply not have got to it
    assert checks_resend_stuck(now=now + dt.timedelta(minutes=11)) == 1  # eager Celery runs it here
    check = EconomicCheck.objects.get(case=case)
    assert (check.status, check.attempts) == (CheckStatus.DONE, 1)
    case.refresh_from_db()
    assert case.status == CaseStatus.INVESTIGATION
    assert checks_resend_stuck(now=now + dt.timedelta(minutes=30)) == 0  # done: never sent again


@pytest.mark.django_db
def test_sweep_leaves_checks_a_worker_started_to_celery_retry(clerk_a: User) -> None:
    case = _lost_message_case(clerk_a)
    EconomicCheck.objects.filter(case=case).update(attempts=1)  # a worker tried, the department was down
    sent: list[int] = []
    with pytest.MonkeyPatch.context() as mp:
        mp.setattr(check_service, "_queue_check", sent.append)
        assert checks_resend_stuck(now=timezone.now() + dt.timedelta(hours=1)) == 0
    assert sent == []


@pytest.mark.django_db
def test_sweep_with_the_broker_still_down_logs_and_keeps_the_check(clerk_a: User, caplog: Any) -> None:
    case = _lost_message_case(clerk_a)

    def broker_down(case_id: int) -> None:
        raise ConnectionRefusedError("redis://127.0.0.1:6390")

    with pytest.MonkeyPatch.context() as mp:
        mp.setattr(check_service, "_queue_check", broker_down)
        assert checks_resend_stuck(now=timezone.now() + dt.timedelta(minutes=11)) == 0
    assert f"economic check of case {case.pk} could not be queued" in caplog.text
    assert EconomicCheck.objects.get(case=case).status == CheckStatus.PENDING


@pytest.mark.django_db
def test_sweep_runs_every_ten_minutes_from_beat() -> None:
    from django_celery_beat.models import PeriodicTask

    task = PeriodicTask.objects.get(task="casework.resend_stuck_checks")
    assert task.enabled and task.interval is not None
    assert (task.interval.every, task.interval.period) == (10, "minutes")
