"""Shared set-up for the plans/services/referrals tests: social workers, cases, a contract."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any

from django.test import Client
from django.utils import timezone

from accounts.models import Region, Role, User
from casework.models import Case
from casework.models.services_catalogue import ServiceCategory, ServiceContract, ServiceItem
from casework.services import services_catalogue as svc
from tests.casework.helpers import accept, post, walk_to_review
from tests.support import STREET_A, make_resident_id


def staff(username: str, role: str, region: str = STREET_A, **extra: Any) -> User:
    return User.objects.create_user(
        username=username, password="pw-Test-12345", role=role, region_id=region, full_name=username, **extra
    )


def social_worker(username: str = "sw_a", region: str = STREET_A) -> User:
    return staff(username, Role.SOCIAL_WORKER, region)


def client_for(user: User) -> Client:
    client = Client()
    client.force_login(user)
    return client


def open_case(clerk: User, seq: int = 123, **overrides: Any) -> Case:
    """A freshly accepted (and checked) case of street A; ``seq`` varies the applicant's ID."""
    if seq != 123:
        overrides.setdefault(
            "members",
            [
                {
                    "name": "王芳",
                    "id_number": make_resident_id(seq=seq),
                    "relation": "self",
                    "incomes": [{"kind": "wage", "monthly": "800.00"}],
                }
            ],
        )
    body = accept(clerk, **overrides)
    return Case.objects.get(pk=body["case"]["id"])


def approved_case(clerk: User, reviewer: User, reviewer2: User, approver: User, **kwargs: Any) -> Case:
    case_id = walk_to_review(clerk, reviewer, reviewer2, **kwargs)
    response = post(approver, case_id, "confirm")
    assert response.status_code == 200, response.content
    return Case.objects.get(pk=case_id)


def contract(supervisor: User, *, budget: str = "10000.00", price: str = "200.00") -> ServiceContract:
    """A 蜀山区 contract in force today with two catalogue services (visit, counselling)."""
    county = Region.objects.get(code="340104")
    visit = svc.service_item_create(
        actor=supervisor,
        county=county,
        code="FW-01",
        name="建档访视",
        category=ServiceCategory.FILE_VISIT,
        unit_price=Decimal(price),
    )
    talk = svc.service_item_create(
        actor=supervisor,
        county=county,
        code="XL-01",
        name="心理疏导",
        category=ServiceCategory.COUNSELLING,
        unit_price=Decimal("300.00"),
    )
    org = svc.organisation_create(actor=supervisor, county=county, name="蜀山区阳光社会工作服务中心")
    today = timezone.localdate()
    return svc.contract_create(
        actor=supervisor,
        organisation=org,
        contract_no="SS-2026-001",
        title="蜀山区社会救助服务项目",
        services=[visit, talk],
        starts_on=today - dt.timedelta(days=30),
        ends_on=today + dt.timedelta(days=300),
        budget=Decimal(budget),
    )


def service(code: str) -> ServiceItem:
    return ServiceItem.objects.get(code=code)


def tekun_case(clerk: User, reviewer: User, reviewer2: User, approver: User, *, seq: int = 700, adl: int = 3) -> Case:
    """An approved 特困 case of one elderly person in institutional care (集中供养)."""
    from tests.casework.helpers import end_notice, investigate

    member = {
        "name": "孙老汉",
        "id_number": make_resident_id(birth=dt.date(1948, 2, 3), seq=seq),
        "relation": "self",
        "work_capacity": "none",
        "adl_incapable": adl,
        "has_able_supporter": False,
        "care_mode": "institutional",
    }
    case_id = accept(clerk, members=[member], types=["tekun"])["case"]["id"]
    assert investigate(reviewer, reviewer2, case_id).status_code == 200
    opinion = post(
        reviewer, case_id, "opinion", {"tier": "tekun", "adjustment_reason": "无劳动能力、无生活来源、无法定赡养人"}
    )
    assert opinion.status_code == 200, opinion.content
    assert post(reviewer, case_id, "notice").status_code == 200
    end_notice(case_id)
    assert post(reviewer, case_id, "close-notice").status_code == 200
    confirmed = post(approver, case_id, "confirm")
    assert confirmed.status_code == 200, confirmed.content
    case = Case.objects.select_related("decision").get(pk=case_id)
    assert case.decision.tier == "tekun"
    return case
