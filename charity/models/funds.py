"""Funds of the charity hand-off (DOMAIN §7): the county special fund and community mutual-aid funds."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from accounts.models import Region

MONEY: dict[str, Any] = {"max_digits": 14, "decimal_places": 2}


class FundKind(models.TextChoices):
    COUNTY = "county", _("社会救助专项基金")
    MUTUAL_AID = "mutual_aid", _("村居慈善公益互助会")


class NeedType(models.TextChoices):
    """What a hand-off asks for; also the purpose a restricted donation is given for."""

    MEDICAL = "medical", _("医疗救助")
    EDUCATION = "education", _("教育救助")
    HOUSING = "housing", _("住房救助")
    LIVING = "living", _("基本生活")
    DISASTER = "disaster", _("受灾救助")
    OTHER = "other", _("其他")


UNRESTRICTED = ""  # purpose of money that may fund any grant


def purpose_label(purpose: str) -> str:
    if not purpose:
        return str(_("非限定"))
    return str(_("限定：%(p)s") % {"p": NeedType(purpose).label})


class Fund(models.Model):
    """A fund with its own books. ``balance`` caches the cash on hand; the ledger is the truth.

    The cached balance is updated only by ``charity.services.ledger.post_entry`` under this row's lock
    (``select_for_update``), and the database refuses a negative value (CheckConstraint), so two
    concurrent payments can never together overdraw the fund.
    """

    kind = models.CharField(_("类别"), max_length=12, choices=FundKind.choices)
    name = models.CharField(_("基金名称"), max_length=100, unique=True)
    holder = models.CharField(_("托管(运营)组织"), max_length=100)
    region = models.ForeignKey(Region, on_delete=models.PROTECT, related_name="+", verbose_name=_("所属区划"))
    balance = models.DecimalField(_("余额(元)"), **MONEY, default=0)
    active = models.BooleanField(_("启用"), default=True)
    created_at = models.DateTimeField(_("设立时间"), auto_now_add=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )

    class Meta:
        verbose_name = _("慈善救助基金")
        verbose_name_plural = _("慈善救助基金")
        ordering = ["region_id", "kind", "name"]
        constraints = [
            models.CheckConstraint(condition=Q(balance__gte=0), name="charity_fund_balance_not_negative"),
            models.UniqueConstraint(
                fields=["region"], condition=Q(kind="county"), name="charity_one_county_fund_per_county"
            ),
        ]

    def __str__(self) -> str:
        return self.name

    @property
    def county_code(self) -> str:
        return self.region_id[:6]

    def covers(self, region_code: str) -> bool:
        """A fund helps families living inside its region (a county fund: the whole county)."""
        return region_code.startswith(self.region_id)
