"""Demo data for plans, purchased services, referrals, facilities, stranded persons and volunteers.

Called from ``casework.demo.load`` after the demo cases exist. Everything goes through the same
services the pages call; only dates are shifted back afterwards (a referral sent three weeks ago
is overdue). Needs the demo staff of ``accounts.demo`` (``context.staff`` by username).
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any

from django.db import transaction
from django.utils import timezone

from accounts.models import Region, User
from applications.models import CareMode
from casework.models import Case, CaseStatus
from casework.models.facilities import Placement
from casework.models.plans import SpecialKind
from casework.models.referrals import Referral
from casework.models.services_catalogue import DeliveryKind, ServiceCategory, ServiceContract, ServiceItem
from casework.services import conference, facilities, referrals, stranded, volunteers
from casework.services import plans as plan_services
from casework.services import services_catalogue as svc

COUNTIES = {"340104": "supervisor_shushan", "340111": "supervisor_baohe", "340123": "supervisor_feixi"}
LEADS = {  # street → (reviewer, approver, social worker or None)
    "340104001": ("reviewer_a", "approver_a", "socialworker_a"),
    "340104002": ("reviewer_b", "approver_b", None),
    "340111003": ("reviewer_c", "approver_c", None),
    "340123100": ("reviewer_d", "approver_d", None),
}
CATALOGUE = [
    ("ZL-01", "居家照料护理", ServiceCategory.CARE, "小时", "45.00", "为失能、半失能对象提供生活照料、助浴助洁。"),
    ("XL-01", "心理疏导", ServiceCategory.COUNSELLING, "次", "200.00", "个案心理评估与疏导，每次不少于60分钟。"),
    ("ZY-01", "资源链接", ServiceCategory.RESOURCE_LINKING, "次", "80.00", "链接慈善、志愿、社区资源。"),
    ("NL-01", "能力提升小组", ServiceCategory.CAPABILITY, "次", "150.00", "就业技能、家庭理财等小组活动。"),
    ("RH-01", "社会融入活动", ServiceCategory.SOCIAL_INTEGRATION, "次", "120.00", "社区融入、亲子活动。"),
    ("HD-01", "协助经济状况核对", ServiceCategory.ECONOMIC_CHECK, "户", "60.00", "协助收集材料、签署授权书。"),
    ("FW-01", "建档访视", ServiceCategory.FILE_VISIT, "户", "100.00", "入户建档、需求评估、定期回访。"),
]
ORGANISATIONS = {
    "340104": ("蜀山区阳光社会工作服务中心", "52340104MJ1234567X", "刘敏", "0551-65551234"),
    "340111": ("包河区爱邻社会工作服务社", "52340111MJ7654321Y", "许杰", "0551-63334567"),
}
FACILITIES: dict[str, list[tuple[str, str, str | None, int, int]]] = {  # county → [(name, kind, street, beds, care)]
    "340104": [("蜀山区社会福利中心(特困供养)", "county", None, 120, 70)],
    "340111": [("包河区特困人员供养服务中心", "county", None, 100, 40)],
    "340123": [
        ("肥西县社会福利中心", "county", None, 150, 82),
        ("上派镇敬老院", "township", "340123100", 60, 24),
    ],
}


def _u(context: Any, username: str) -> User:
    return context.staff[username]


def _approved(street: str) -> Case | None:
    return (
        Case.objects.filter(street_id=street, status=CaseStatus.APPROVED, decision__outcome="approved")
        .order_by("id")
        .first()
    )


def _catalogue_and_contracts(context: Any, today: dt.date) -> dict[str, ServiceContract]:
    contracts: dict[str, ServiceContract] = {}
    for county_code, username in COUNTIES.items():
        supervisor = _u(context, username)
        county = Region.objects.get(code=county_code)
        items = [
            svc.service_item_create(
                actor=supervisor,
                county=county,
                code=code,
                name=name,
                category=category,
                unit=unit,
                unit_price=Decimal(price),
                description=description,
            )
            for code, name, category, unit, price, description in CATALOGUE
        ]
        if county_code not in ORGANISATIONS:
            continue
        name, credit, contact, phone = ORGANISATIONS[county_code]
        org = svc.organisation_create(
            actor=supervisor, county=county, name=name, credit_code=credit, contact=contact, phone=phone
        )
        contracts[county_code] = svc.contract_create(
            actor=supervisor,
            organisation=org,
            contract_no=f"{county_code}-GM-{today.year}-01",
            title=f"{county.name}{today.year}年度社会救助服务类社会组织购买服务项目",
            services=items,
            starts_on=dt.date(today.year, 1, 1),
            ends_on=dt.date(today.year, 12, 31),
            budget=Decimal("300000.00"),
        )
    return contracts


def _plan(context: Any, case: Case, contract: ServiceContract | None, today: dt.date) -> None:
    reviewer_name, approver_name, worker_name = LEADS[case.street_id]
    reviewer, approver = _u(context, reviewer_name), _u(context, approver_name)
    plan_services.plan_create(
        actor=reviewer,
        case=case,
        goals="保障基本生活；为患病成员链接医疗救助；通过社工服务帮助家庭增强自我发展能力。",
    )
    rice = plan_services.in_kind_add(
        actor=reviewer,
        case=case,
        name="米面油慰问包",
        quantity=Decimal("1"),
        unit="份",
        value=Decimal("200.00"),
        source="街道储备",
    )
    plan_services.in_kind_deliver(actor=reviewer, item=rice, delivered_on=today, note="入户发放，本人签收")
    plan_services.in_kind_add(
        actor=reviewer,
        case=case,
        name="冬季棉被",
        quantity=Decimal("2"),
        unit="床",
        value=Decimal("360.00"),
        source="慈善捐赠",
    )
    if worker_name:
        plan_services.case_assign_social_worker(
            actor=approver, case=case, social_worker=_u(context, worker_name), note="负责建档访视和个案服务"
        )
    if contract is not None:
        visit = ServiceItem.objects.get(county_id=contract.county_id, code="FW-01")
        talk = ServiceItem.objects.get(county_id=contract.county_id, code="XL-01")
        order = svc.service_order_create(actor=reviewer, case=case, contract=contract, service=visit, quantity=2)
        svc.service_order_create(
            actor=reviewer, case=case, contract=contract, service=talk, quantity=4, note="每两周一次"
        )
        if worker_name:
            worker = _u(context, worker_name)
            svc.delivery_record(
                actor=worker,
                case=case,
                kind=DeliveryKind.VISIT,
                delivered_on=today,
                order=order,
                quantity=1,
                content="首次入户建档访视：核实家庭成员、居住和健康状况，建立个案档案。",
            )
            svc.delivery_record(
                actor=worker,
                case=case,
                kind=DeliveryKind.NEEDS,
                delivered_on=today,
                content="与申请人面谈，评估家庭需求。",
                needs="1. 成员慢性病门诊费用负担重；2. 孩子课后辅导；3. 申请人有就业意愿，需技能培训。",
            )


def _referrals(context: Any, cases: dict[str, Case], today: dt.date) -> None:
    case_a = cases.get("340104001")
    if case_a is not None:
        reviewer, worker = _u(context, "reviewer_a"), _u(context, "socialworker_a")
        meeting = conference.conference_record(
            actor=worker,
            case=case_a,
            held_on=today,
            place="三里庵街道社工站",
            participants=["李强 街道审核", "周婷 社工", "社区居委会主任", "蜀山区阳光社会工作服务中心 督导"],
            discussion="家庭因病支出大，门诊慢特病费用负担重；孩子上初中需要课后辅导。",
            measures=["转介区医疗保障局申请医疗救助", "链接志愿者开展课后辅导", "社工每两周回访一次"],
        )
        item = plan_services.special_assistance_add(
            actor=reviewer, case=case_a, kind=SpecialKind.MEDICAL, need="成员慢性病门诊费用高，申请门诊慢特病医疗救助"
        )
        referral = Referral.objects.get(special_item=item)
        Referral.objects.filter(pk=referral.pk).update(conference=meeting)
        referrals.referral_act(actor=reviewer, referral=referral, action="send")
        referrals.referral_act(actor=reviewer, referral=referral, action="acknowledge")
        referrals.referral_act(
            actor=reviewer,
            referral=referral,
            action="answer",
            result="accepted",
            answer="经审核符合门诊慢特病医疗救助条件，自本月起按规定比例救助。",
        )
    case_b = cases.get("340104002")
    if case_b is not None:
        reviewer = _u(context, "reviewer_b")
        item = plan_services.special_assistance_add(
            actor=reviewer, case=case_b, kind=SpecialKind.EDUCATION, need="孩子就读高中，申请国家助学金"
        )
        referral = Referral.objects.get(special_item=item)
        sent_on = today - dt.timedelta(days=21)
        Referral.objects.filter(pk=referral.pk).update(
            created_at=timezone.make_aware(dt.datetime.combine(sent_on, dt.time(9)))
        )
        referrals.referral_act(actor=reviewer, referral=referral, action="send", on=sent_on)


def _facilities(context: Any, today: dt.date) -> None:
    for county_code, rows in FACILITIES.items():
        supervisor = _u(context, COUNTIES[county_code])
        county = Region.objects.get(code=county_code)
        created = [
            facilities.facility_create(
                actor=supervisor,
                county=county,
                name=name,
                kind=kind,
                beds=beds,
                care_beds=care_beds,
                street=Region.objects.get(code=street) if street else None,
            )
            for name, kind, street, beds, care_beds in rows
        ]
        # Approved 特困 persons in institutional care of this county (if the demo cases hold any).
        tekun = Case.objects.filter(
            street__code__startswith=county_code, decision__outcome="approved", decision__tier="tekun"
        )
        for case in tekun:
            for member in case.household.members.filter(active=True, care_mode=CareMode.INSTITUTIONAL):
                if not Placement.objects.filter(member=member, ended_on__isnull=True).exists():
                    facilities.facility_place(actor=supervisor, facility=created[0], case=case, member=member)


def _stranded(context: Any, today: dt.date) -> None:
    reviewer = _u(context, "reviewer_a")
    street = Region.objects.get(code="340104001")
    person = stranded.stranded_register(
        actor=_u(context, "clerk_a"),
        street=street,
        found_on=today - dt.timedelta(days=2),
        found_place="长江西路与潜山路交口天桥下",
        name="张某",
        sex="M",
        approx_age=58,
        description="衣着单薄，左腿行动不便，自述身体无其他疾病。",
        claimed_origin="安徽省阜阳市颍上县",
    )
    for kind, amount, note in (
        ("food", "30.00", "提供热饭"),
        ("lodging", "120.00", "安排临时住宿两晚"),
        ("ticket", "68.00", "购买返乡车票"),
    ):
        stranded.stranded_help_record(
            actor=reviewer, person=person, kind=kind, given_on=today, amount=Decimal(amount), note=note
        )
    stranded.stranded_transition(
        actor=reviewer,
        person=person,
        action="return_home",
        outcome="安徽省阜阳市颍上县，由其侄子在车站接回",
        note="已与颍上县民政局联系确认",
    )
    other = stranded.stranded_register(
        actor=_u(context, "clerk_b"),
        street=Region.objects.get(code="340104002"),
        found_on=today,
        found_place="稻香村菜市场门口",
        sex="F",
        approx_age=70,
        description="神志清楚，不能说清住址。",
    )
    stranded.stranded_help_record(
        actor=_u(context, "reviewer_b"), person=other, kind="family", given_on=today, note="已报公安协助寻亲"
    )


def _volunteers(context: Any, cases: dict[str, Case], today: dt.date) -> None:
    reviewer, worker = _u(context, "reviewer_a"), _u(context, "socialworker_a")
    street = Region.objects.get(code="340104001")
    people = [
        volunteers.volunteer_register(actor=reviewer, street=street, name=name, phone=phone, skills=skills)
        for name, phone, skills in (
            ("刘洋", "13955112233", "理发、家电维修"),
            ("陈静", "13955114455", "中学数学辅导"),
            ("黄志强", "13955116677", "助餐送餐"),
        )
    ]
    task = volunteers.volunteer_task_create(
        actor=worker,
        street=street,
        social_worker=worker,
        title="课后辅导与助餐",
        description="每周二、四为困难家庭孩子辅导功课；为行动不便的成员送餐。",
        scheduled_on=today,
        volunteers=people[1:],
        case=cases.get("340104001"),
    )
    volunteers.volunteer_hours_record(
        actor=worker, task=task, volunteer=people[1], worked_on=today, hours=Decimal("2.0")
    )
    volunteers.volunteer_hours_record(
        actor=worker, task=task, volunteer=people[2], worked_on=today, hours=Decimal("1.5")
    )
    done = volunteers.volunteer_task_create(
        actor=worker,
        street=street,
        social_worker=worker,
        title="社区义剪",
        scheduled_on=today - dt.timedelta(days=7),
        volunteers=people[:1],
    )
    volunteers.volunteer_hours_record(
        actor=worker, task=done, volunteer=people[0], worked_on=today - dt.timedelta(days=7), hours=Decimal("3.0")
    )
    volunteers.volunteer_task_close(actor=worker, task=done)


@transaction.atomic
def load(context: Any) -> None:
    today = timezone.localdate()
    for street, brand in (("340104001", "三里庵“暖心驿站”"),):
        Region.objects.filter(code=street, service_brand="").update(service_brand=brand)
    contracts = _catalogue_and_contracts(context, today)
    cases = {street: case for street in LEADS if (case := _approved(street)) is not None}
    for street, case in cases.items():
        _plan(context, case, contracts.get(street[:6]), today)
    _referrals(context, cases, today)
    for county_code, contract in contracts.items():
        svc.contract_evaluate(
            actor=_u(context, COUNTIES[county_code]),
            contract=contract,
            period=f"{today.year}年第一次评估",
            quality=5 if county_code == "340104" else 4,
            timeliness=4,
            satisfaction=5 if county_code == "340104" else 3,
            comment="服务记录完整，回访及时。" if county_code == "340104" else "部分订单进度偏慢，需加强督导。",
        )
    _facilities(context, today)
    _stranded(context, today)
    _volunteers(context, cases, today)
