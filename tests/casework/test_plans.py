"""Assistance plans (资金+实物+服务): in-kind items, special assistance, purchased services, evaluation."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from django.template.loader import render_to_string
from django.test import RequestFactory

from accounts.errors import BusinessError
from accounts.hooks import collect
from accounts.models import AuditLog, Region, User
from casework.models.plans import AssistancePlan, InKindItem, SpecialKind, entitlement_for
from casework.models.referrals import Referral, ReferralStatus
from casework.models.services_catalogue import ContractEvaluation, OrderStatus, ServiceOrder
from casework.services import plans as plan_services
from casework.services import services_catalogue as svc
from tests.casework.plans_support import approved_case, client_for, contract, open_case, service, social_worker
from tests.support import api_client

pytestmark = pytest.mark.django_db


def test_entitlements_differ_for_low_income_and_expenditure_hardship_households() -> None:
    low = entitlement_for(SpecialKind.MEDICAL, "low_income")
    hardship = entitlement_for(SpecialKind.MEDICAL, "expenditure_hardship")
    assert low and hardship and low != hardship
    assert "资助参加" in low and "大病保险" in hardship
    assert entitlement_for(SpecialKind.HOUSING, "none") == ""


def test_reviewer_builds_plan_with_cash_in_kind_and_service_order_on_an_approved_case(
    clerk_a: User, reviewer_a: User, reviewer_a2: User, approver_a: User, supervisor_shushan: User
) -> None:
    Region.objects.filter(code="340104001").update(service_brand="三里庵“暖心驿站”")
    case = approved_case(clerk_a, reviewer_a, reviewer_a2, approver_a)
    deal = contract(supervisor_shushan)
    client = client_for(reviewer_a)
    response = client.post(
        f"/cases/{case.pk}/plan/act/in_kind/",
        {"ik-name": "米面油", "ik-quantity": "2", "ik-unit": "份", "ik-value": "180", "ik-source": "街道储备"},
    )
    assert response.status_code == 302
    line = f"{deal.pk}:{service('FW-01').pk}"
    response = client.post(
        f"/cases/{case.pk}/plan/act/order/", {"so-line": line, "so-quantity": "4", "so-note": "每周一次"}
    )
    assert response.status_code == 302, response.content.decode()[:2000]

    page = client.get(f"/cases/{case.pk}/plan/").content.decode()
    assert "三里庵“暖心驿站”" in page  # the street's 一街一品 brand
    assert "¥925.20" in page  # cash: the decision's monthly amount
    assert "米面油" in page and "建档访视" in page and "蜀山区阳光社会工作服务中心" in page
    order = ServiceOrder.objects.get(case=case)
    assert (order.quantity, order.amount, order.status) == (4, Decimal("800.00"), OrderStatus.ORDERED)
    assert AuditLog.objects.filter(action="plan.create", region_code=case.street_id).count() == 1
    assert AuditLog.objects.filter(action="plan.in_kind_add", actor=reviewer_a).exists()
    assert AuditLog.objects.filter(action="service.order_create", actor=reviewer_a).exists()

    body = api_client(reviewer_a).get(f"/api/v1/plans/{case.pk}/").json()
    assert body["cash"]["monthly_amount"] == "925.20" and body["service_brand"] == "三里庵“暖心驿站”"
    assert [i["name"] for i in body["in_kind"]] == ["米面油"]
    assert body["services"][0]["service_name"] == "建档访视"


def test_in_kind_delivery_is_recorded_once_and_audited(clerk_a: User, reviewer_a: User) -> None:
    case = open_case(clerk_a)
    item = plan_services.in_kind_add(
        actor=reviewer_a, case=case, name="棉被", quantity=Decimal("1"), unit="床", value=Decimal("260")
    )
    today = dt.date.today()
    plan_services.in_kind_deliver(actor=reviewer_a, item=item, delivered_on=today, note="本人签收")
    plan_services.in_kind_deliver(actor=reviewer_a, item=item, delivered_on=today)  # repeat: nothing changes
    item.refresh_from_db()
    assert item.delivered_on == today and item.delivery_note == "本人签收"
    rows = AuditLog.objects.filter(action="plan.in_kind_deliver", object_id=str(item.pk))
    assert rows.count() == 1 and rows[0].before == {"delivered_on": None}


def test_bad_in_kind_input_answers_400_with_chinese_field_errors_and_writes_nothing(
    clerk_a: User, reviewer_a: User
) -> None:
    case = open_case(clerk_a)
    response = client_for(reviewer_a).post(
        f"/cases/{case.pk}/plan/act/in_kind/", {"ik-name": "", "ik-quantity": "0", "ik-unit": "份", "ik-value": "-1"}
    )
    assert response.status_code == 400
    page = response.content.decode()
    assert "该字段是必填项" in page
    assert "确保该值大于或等于" in page
    assert not AssistancePlan.objects.exists() and not InKindItem.objects.exists()
    api = api_client(reviewer_a).post(f"/api/v1/plans/{case.pk}/in-kind/", {"name": "米", "unit": "袋"}, format="json")
    assert api.status_code == 400 and set(api.json()) >= {"quantity", "value"}


def test_clerk_may_not_build_a_plan_and_another_street_sees_404(clerk_a: User, clerk_b: User, reviewer_a: User) -> None:
    case = open_case(clerk_a)
    with pytest.raises(BusinessError) as refused:
        plan_services.plan_create(actor=clerk_a, case=case)
    assert refused.value.status == 403
    reviewer_b = User.objects.create_user(username="reviewer_b", role="reviewer", region_id="340104002")
    assert client_for(reviewer_b).get(f"/cases/{case.pk}/plan/").status_code == 404
    assert api_client(reviewer_b).get(f"/api/v1/plans/{case.pk}/").status_code == 404
    response = api_client(reviewer_b).post("/api/v1/plans/", {"case": case.pk}, format="json")
    assert response.status_code == 404


def test_special_assistance_lists_entitlement_and_drafts_a_referral_to_the_department(
    clerk_a: User, reviewer_a: User
) -> None:
    case = open_case(clerk_a)
    response = api_client(reviewer_a).post(
        f"/api/v1/plans/{case.pk}/special/", {"kind": "medical", "need": "丈夫尿毒症透析费用高"}, format="json"
    )
    assert response.status_code == 201, response.content
    item = response.json()
    assert item["department"] == "医疗保障局"
    referral = Referral.objects.get(pk=item["referral"])
    assert referral.status == ReferralStatus.DRAFTED and referral.target == "医疗保障局"
    assert referral.special_item_id == item["id"]
    page = client_for(reviewer_a).get(f"/cases/{case.pk}/plan/").content.decode()
    assert "医疗救助" in page and "草拟" in page


def test_order_beyond_the_contract_budget_is_refused_and_nothing_is_written(
    clerk_a: User, reviewer_a: User, supervisor_shushan: User
) -> None:
    case = open_case(clerk_a)
    deal = contract(supervisor_shushan, budget="1000.00")
    visit = service("FW-01")
    svc.service_order_create(actor=reviewer_a, case=case, contract=deal, service=visit, quantity=4)  # 800
    response = api_client(reviewer_a).post(
        "/api/v1/service-orders/",
        {"case": case.pk, "contract": deal.pk, "service": visit.pk, "quantity": 2},
        format="json",
    )
    assert response.status_code == 409 and "超出合同剩余金额 200.00 元" in response.json()["detail"]
    assert ServiceOrder.objects.count() == 1


def test_order_for_a_service_outside_the_contract_is_a_field_error(
    clerk_a: User, reviewer_a: User, supervisor_shushan: User
) -> None:
    case = open_case(clerk_a)
    deal = contract(supervisor_shushan)
    other = svc.service_item_create(
        actor=supervisor_shushan,
        county=Region.objects.get(code="340104"),
        code="NL-01",
        name="能力提升小组",
        category="capability",
        unit_price=Decimal("100"),
    )
    response = api_client(reviewer_a).post(
        "/api/v1/service-orders/",
        {"case": case.pk, "contract": deal.pk, "service": other.pk, "quantity": 1},
        format="json",
    )
    assert response.status_code == 400 and response.json() == {"service": ["该服务项目不在合同约定的服务范围内。"]}


def test_deliveries_complete_the_order_and_the_county_sees_completion_and_evaluates(
    clerk_a: User, reviewer_a: User, approver_a: User, supervisor_shushan: User, supervisor_feixi: User
) -> None:
    case = open_case(clerk_a)
    worker = social_worker()
    plan_services.case_assign_social_worker(actor=approver_a, case=case, social_worker=worker)
    deal = contract(supervisor_shushan)
    order = svc.service_order_create(actor=reviewer_a, case=case, contract=deal, service=service("FW-01"), quantity=2)
    talk = svc.service_order_create(actor=reviewer_a, case=case, contract=deal, service=service("XL-01"), quantity=3)
    api = api_client(worker)
    today = dt.date.today().isoformat()
    for _ in range(2):
        response = api.post(
            "/api/v1/delivery-records/",
            {
                "case": case.pk,
                "kind": "visit",
                "delivered_on": today,
                "content": "入户建档访视",
                "order": order.pk,
                "quantity": 1,
            },
            format="json",
        )
        assert response.status_code == 201, response.content
    too_many = api.post(
        "/api/v1/delivery-records/",
        {"case": case.pk, "kind": "service", "delivered_on": today, "content": "疏导", "order": talk.pk, "quantity": 4},
        format="json",
    )
    assert too_many.status_code == 400 and "1 至 3" in too_many.json()["quantity"][0]
    order.refresh_from_db()
    assert (order.delivered_quantity, order.status) == (2, OrderStatus.COMPLETED)

    detail = api_client(supervisor_shushan).get(f"/api/v1/service-contracts/{deal.pk}/").json()
    assert detail["completion"]["orders_completed"] == 1 and detail["completion"]["orders_total"] == 2
    assert detail["completion"]["units_delivered"] == 2 and detail["completion"]["units_ordered"] == 5
    response = api_client(supervisor_shushan).post(
        f"/api/v1/service-contracts/{deal.pk}/evaluate/",
        {"period": "2026年上半年", "quality": 5, "timeliness": 4, "satisfaction": 5},
        format="json",
    )
    assert response.status_code == 201, response.content
    assert response.json()["score"] == "4.7" and response.json()["completion_percent"] == 40
    page = client_for(supervisor_shushan).get(f"/services/contracts/{deal.pk}/").content.decode()
    assert "1/2" in page and "4.7" in page and "2026年上半年" in page
    bad = api_client(supervisor_shushan).post(
        f"/api/v1/service-contracts/{deal.pk}/evaluate/",
        {"period": "x", "quality": 6, "timeliness": 0, "satisfaction": 3},
        format="json",
    )
    assert bad.status_code == 400 and set(bad.json()) == {"quality", "timeliness"}
    assert api_client(supervisor_feixi).get(f"/api/v1/service-contracts/{deal.pk}/").status_code == 404
    assert ContractEvaluation.objects.count() == 1
    with pytest.raises(BusinessError):
        svc.contract_evaluate(actor=reviewer_a, contract=deal, period="p", quality=3, timeliness=3, satisfaction=3)


def test_street_staff_see_the_county_catalogue_read_only(
    reviewer_a: User, supervisor_shushan: User, supervisor_feixi: User
) -> None:
    contract(supervisor_shushan)
    page = client_for(reviewer_a).get("/services/").content.decode()
    assert "蜀山区阳光社会工作服务中心" in page and "建档访视" in page and "登记购买服务合同" not in page
    assert "蜀山区阳光社会工作服务中心" not in client_for(supervisor_feixi).get("/services/").content.decode()
    county_page = client_for(supervisor_shushan).get("/services/").content.decode()
    assert "登记购买服务合同" in county_page
    response = client_for(supervisor_shushan).post(
        "/services/act/organisation/", {"org-name": "", "org-credit_code": "abc"}
    )
    assert response.status_code == 400 and "统一社会信用代码为18位" in response.content.decode()


def test_case_page_panel_hook_shows_the_plan_summary(clerk_a: User, reviewer_a: User) -> None:
    case = open_case(clerk_a)
    plan_services.in_kind_add(
        actor=reviewer_a, case=case, name="米", quantity=Decimal("1"), unit="袋", value=Decimal("60")
    )
    request = RequestFactory().get("/")
    request.user = reviewer_a
    panels = collect("case_panels", request, case)
    mine = [p for p in panels if p["template"] == "casework/plans/panel_case.html"]
    assert mine and mine[0]["in_kind_count"] == 1 and mine[0]["in_kind_value"] == Decimal("60")
    html = render_to_string(mine[0]["template"], {"panel": mine[0]}, request=request)
    assert "折合 ¥60" in html and f"/cases/{case.pk}/plan/" in html
    case_page = client_for(reviewer_a).get(f"/cases/{case.pk}/").content.decode()
    assert 'id="plan-panel"' in case_page and 'id="referral-panel"' in case_page
    outsider = RequestFactory().get("/")
    outsider.user = social_worker()  # not assigned: no panel
    assert [p for p in collect("case_panels", outsider, case) if p["template"].startswith("casework/plans/")] == []
