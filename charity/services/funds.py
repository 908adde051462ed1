"""Setting up funds, recording donations and transferring money between funds."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from accounts.audit import audit_record
from accounts.errors import BusinessError
from accounts.models import Region, Role, User
from accounts.selectors import region_visible_to
from charity.models import (
    AccountKind,
    Donation,
    DonorKind,
    EntryKind,
    Fund,
    FundKind,
    JournalEntry,
    purpose_label,
)
from charity.selectors import available_for
from charity.services.common import (
    InsufficientFunds,
    check_purpose,
    money,
    require_fund_officer,
    require_reason,
    yuan,
)
from charity.services.ledger import Line, lock_funds, post_entry

FUND_LEVELS = {
    FundKind.COUNTY: {Region.Level.COUNTY},
    FundKind.MUTUAL_AID: {Region.Level.STREET, Region.Level.COMMUNITY},
}


@transaction.atomic
def fund_create(*, actor: User, kind: str, name: str, holder: str, region: Region) -> Fund:
    if actor.role not in {Role.CHARITY, Role.ADMIN} and not actor.is_superuser:
        raise BusinessError(_("只有慈善专员或系统管理员可以设立基金。"), code="role_forbidden", status=403)
    if not region_visible_to(actor, region.code):
        raise BusinessError(_("该区划不在您的管辖范围内。"), code="out_of_scope", status=404)
    errors: dict[str, str] = {}
    if kind not in FundKind.values:
        errors["kind"] = _("基金类别无效。")
    elif region.level not in FUND_LEVELS[FundKind(kind)]:
        errors["region"] = (
            _("社会救助专项基金须设在县(市、区)。")
            if kind == FundKind.COUNTY
            else _("村居慈善公益互助会须设在街道(乡镇)或社区(村)。")
        )
    if not (name or "").strip():
        errors["name"] = _("请填写基金名称。")
    if not (holder or "").strip():
        errors["holder"] = _("请填写托管(运营)的慈善组织。")
    if errors:
        raise ValidationError(errors)
    if kind == FundKind.COUNTY and Fund.objects.filter(kind=kind, region=region).exists():
        raise ValidationError({"region": _("%(r)s 已设立社会救助专项基金。") % {"r": region.name}})
    fund = Fund.objects.create(kind=kind, name=name.strip(), holder=holder.strip(), region=region, created_by=actor)
    audit_record(
        actor=actor,
        action="charity.fund_create",
        obj=fund,
        region_code=region.code,
        after={"kind": kind, "name": fund.name, "holder": fund.holder, "region": region.code},
    )
    return fund


@transaction.atomic
def fund_donation_record(
    *,
    actor: User,
    fund: Fund,
    donor_kind: str,
    donor_name: str,
    amount: Decimal | str,
    received_on: dt.date,
    purpose: str = "",
    receipt_no: str = "",
    note: str = "",
) -> Donation:
    """登记捐赠: cash in, donation income out, both in the donor's purpose (or unrestricted)."""
    require_fund_officer(actor, fund)
    errors: dict[str, str] = {}
    donor_name = (donor_name or "").strip()
    if donor_kind not in DonorKind.values:
        errors["donor_kind"] = _("请选择捐赠人类别。")
    elif donor_kind == DonorKind.ANONYMOUS:
        donor_name = donor_name or _("匿名捐赠人")
    elif not donor_name:
        errors["donor_name"] = _("请填写捐赠人(个人姓名或单位名称)。")
    if received_on is None:
        errors["received_on"] = _("请填写到账日期。")
    elif received_on > timezone.localdate():
        errors["received_on"] = _("到账日期不能晚于今天。")
    try:
        value = money(amount)
        purpose = check_purpose(purpose)
    except ValidationError as exc:
        errors.update({k: v[0] for k, v in exc.message_dict.items()})
    if errors:
        raise ValidationError(errors)
    entry = post_entry(
        actor=actor,
        kind=EntryKind.DONATION,
        lines=[
            Line(fund=fund, kind=AccountKind.CASH, purpose=purpose, debit=value),
            Line(fund=fund, kind=AccountKind.DONATIONS, purpose=purpose, credit=value),
        ],
        booked_on=received_on,
        memo=_("%(d)s 捐赠(%(p)s)") % {"d": donor_name, "p": purpose_label(purpose)},
        audit_extra={"donor_kind": donor_kind, "donor_name": donor_name, "receipt_no": receipt_no},
    )
    return Donation.objects.create(
        fund=fund,
        entry=entry,
        donor_kind=donor_kind,
        donor_name=donor_name,
        amount=value,
        purpose=purpose,
        received_on=received_on,
        receipt_no=(receipt_no or "").strip(),
        note=(note or "").strip(),
        created_by=actor,
    )


@transaction.atomic
def fund_transfer(
    *,
    actor: User,
    source: Fund,
    target: Fund,
    amount: Decimal | str,
    reason: str,
    purpose: str = "",
    on: dt.date | None = None,
) -> JournalEntry:
    """基金调拨 within one county (e.g. the county fund tops up a community mutual-aid fund).

    Four lines keep each fund's own books balanced: 调出/存款 in the source, 存款/调入 in the target.
    Restricted money stays restricted to the same purpose in the target fund."""
    require_fund_officer(actor, source)
    require_fund_officer(actor, target)
    if source.pk == target.pk:
        raise ValidationError({"target": _("调出与调入不能是同一基金。")})
    if source.county_code != target.county_code:
        raise ValidationError({"target": _("只能在同一县(市、区)的基金之间调拨。")})
    value = money(amount)
    purpose = check_purpose(purpose)
    reason = require_reason(reason)
    booked_on = on or timezone.localdate()
    locked = lock_funds([source, target])
    available = available_for(locked[source.pk], purpose)[0 if purpose else 1]
    if value > available:
        raise InsufficientFunds(
            _("“%(f)s”%(p)s余额为 %(have)s，不足调拨 %(a)s，调拨未执行。")
            % {"f": source.name, "p": purpose_label(purpose), "have": yuan(available), "a": yuan(value)},
            fund=source.pk,
        )
    return post_entry(
        actor=actor,
        kind=EntryKind.TRANSFER,
        lines=[
            Line(fund=source, kind=AccountKind.TRANSFER_OUT, purpose=purpose, debit=value),
            Line(fund=source, kind=AccountKind.CASH, purpose=purpose, credit=value),
            Line(fund=target, kind=AccountKind.CASH, purpose=purpose, debit=value),
            Line(fund=target, kind=AccountKind.TRANSFER_IN, purpose=purpose, credit=value),
        ],
        booked_on=booked_on,
        memo=_("%(s)s 调拨至 %(t)s(%(p)s)") % {"s": source.name, "t": target.name, "p": purpose_label(purpose)},
        reason=reason,
        audit_extra={"from": source.name, "to": target.name},
    )
