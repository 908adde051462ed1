"""Demo data of the charity hand-off (loaded by ``manage.py load_demo`` after the casework cases).

蜀山区's special social-assistance fund held with 蜀山区慈善会, with donations (some restricted to a
purpose), a community mutual-aid association (梅山路社区) with its own fund topped up from the county
fund, and — when the casework demo has opened cases in 蜀山区 — hand-offs in every state, a refused
case first. Everything goes through the same services the pages call.
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any

from django.utils import timezone

from accounts.demo import DemoContext
from accounts.models import Region, Role, User
from charity.models import DonorKind, Fund, FundKind, HandOff
from charity.services import funds, grants, handoffs

COUNTY = "340104"
COMMUNITY = "340104001001"

DONATIONS: list[tuple[int, str, str, str, str]] = [
    # (days ago, donor kind, donor, amount, purpose)
    (75, DonorKind.ORGANISATION, "安徽皖信建设集团有限公司", "100000.00", ""),
    (60, DonorKind.ORGANISATION, "合肥市蜀山区工商业联合会", "30000.00", "medical"),
    (41, DonorKind.PERSON, "张建国", "2000.00", "education"),
    (20, DonorKind.ANONYMOUS, "", "5000.00", ""),
    (6, DonorKind.ORGANISATION, "合肥高新区某科技有限公司", "20000.00", "disaster"),
]

# (need type, amount asked, amount granted, target state, description)
HANDOFFS: list[tuple[str, str, str, str, str]] = [
    (
        "medical",
        "8000.00",
        "6000.00",
        "paid",
        "不予批准低保，但妻子今年住院自付费用 2.3 万元，超出医疗救助限额，家庭无力承担。",
    ),
    ("education", "3000.00", "3000.00", "closed", "长子大学学费及住宿费，助学贷款后仍有缺口。"),
    ("living", "2000.00", "1500.00", "approved", "丈夫失业三个月，家庭基本生活临时困难。"),
    ("housing", "12000.00", "", "accepted", "老房屋顶漏雨，需修缮，危房改造项目未覆盖。"),
    ("other", "1000.00", "", "declined", "购买电动自行车用于送外卖。"),
    ("medical", "5000.00", "", "referred", "孩子先天性心脏病术后康复费用，医保报销后自付部分较高。"),
]


def _user(context: DemoContext, street: str, role: str) -> User | None:
    for user in context.staff.values():
        if user.region_id == street and user.role == role:
            return user
    return None


def _cases() -> list[Any]:
    """Demo cases of 蜀山区, the refused ones first (the hand-off is meant for them), if casework made any."""
    from casework.models import Case, CaseStatus

    cases = list(Case.objects.filter(street__code__startswith=COUNTY).select_related("household", "application"))
    return sorted(cases, key=lambda c: (c.status != CaseStatus.REFUSED, c.status != CaseStatus.APPROVED, c.pk))


def load(context: DemoContext) -> None:
    officer = context.staff.get("charity_shushan")
    if officer is None or officer.role != Role.CHARITY:
        return
    today = timezone.localdate()
    county_fund = funds.fund_create(
        actor=officer,
        kind=FundKind.COUNTY,
        name="蜀山区社会救助专项基金",
        holder="蜀山区慈善会",
        region=Region.objects.get(code=COUNTY),
    )
    for days, kind, donor, amount, purpose in DONATIONS:
        funds.fund_donation_record(
            actor=officer,
            fund=county_fund,
            donor_kind=kind,
            donor_name=donor,
            amount=Decimal(amount),
            purpose=purpose,
            received_on=today - dt.timedelta(days=days),
            receipt_no=f"皖慈捐{today.year}{days:04d}",
        )
    community = funds.fund_create(
        actor=officer,
        kind=FundKind.MUTUAL_AID,
        name="梅山路社区慈善公益互助会",
        holder="梅山路社区慈善公益互助会",
        region=Region.objects.get(code=COMMUNITY),
    )
    funds.fund_donation_record(
        actor=officer,
        fund=community,
        donor_kind=DonorKind.PERSON,
        donor_name="梅山路社区居民(集体)",
        amount=Decimal("3560.00"),
        received_on=today - dt.timedelta(days=30),
    )
    funds.fund_transfer(
        actor=officer,
        source=county_fund,
        target=community,
        amount=Decimal("10000.00"),
        reason="县级专项基金拨付社区互助会，用于社区内小额应急帮扶",
        on=today - dt.timedelta(days=15),
    )
    _handoffs(context, officer, county_fund, today)


def _handoffs(context: DemoContext, officer: User, fund: Fund, today: dt.date) -> None:
    cases = _cases()
    for (need, asked, granted, target, description), case in zip(HANDOFFS, cases, strict=False):
        referrer = _user(context, case.street_id, Role.CLERK) or _user(context, COUNTY, Role.SUPERVISOR)
        if referrer is None:
            continue
        handoff: HandOff = handoffs.handoff_refer(
            actor=referrer,
            case=case,
            fund=fund,
            need_type=need,
            description=description,
            amount_asked=Decimal(asked),
            consent_by=case.application.applicant_name,
            consent_relation="本人",
            consent_on=today - dt.timedelta(days=3),
        )
        if target == "referred":
            continue
        if target == "declined":
            handoffs.handoff_decline(
                actor=officer, handoff=handoff, reason="不属于基金资助范围(生产经营性支出)，建议申请就业创业扶持。"
            )
            continue
        handoffs.handoff_accept(actor=officer, handoff=handoff, note="材料齐全，予以受理。")
        if target == "accepted":
            continue
        grants.handoff_approve(
            actor=officer, handoff=handoff, amount=Decimal(granted), note="经慈善会评审小组审议同意。"
        )
        if target == "approved":
            continue
        grants.fund_grant_pay(actor=officer, handoff=handoff, note="转账至家庭社保卡账户。")
        if target == "closed":
            handoffs.handoff_close(actor=officer, handoff=handoff, note="资助已到账，家庭确认。")
