"""Care facilities (县级供养服务设施、乡镇敬老院) and the placement of institutional 特困 persons.

Each county should have at least half of its facility beds as care-type beds (护理型床位,
《关于推进养老服务发展的意见》 and the 特困供养服务设施 reform target); the county page shows the
share against ``CARE_BED_TARGET``. A placement takes one bed (a care-type bed for a person who
cannot look after herself); ``facility_place`` counts free beds under the facility's row lock.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal

from django.conf import settings
from django.db import models
from django.db.models import F, Q
from django.utils.translation import gettext_lazy as _

from accounts.models import Region
from applications.models import Member
from casework.models.case import Case

CARE_BED_TARGET = Decimal("0.50")


class FacilityKind(models.TextChoices):
    COUNTY = "county", _("县级特困人员供养服务设施")
    TOWNSHIP = "township", _("乡镇(街道)敬老院")


class CareFacility(models.Model):
    county = models.ForeignKey(Region, on_delete=models.PROTECT, related_name="+", verbose_name=_("县(市、区)"))
    street = models.ForeignKey(
        Region, on_delete=models.PROTECT, null=True, blank=True, related_name="+", verbose_name=_("所在街道(乡镇)")
    )
    name = models.CharField(_("名称"), max_length=100)
    kind = models.CharField(_("类型"), max_length=10, choices=FacilityKind.choices)
    address = models.CharField(_("地址"), max_length=200, blank=True, default="")
    beds = models.PositiveIntegerField(_("床位数"))
    care_beds = models.PositiveIntegerField(_("护理型床位数"))
    active = models.BooleanField(_("运营中"), default=True)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("供养服务设施")
        verbose_name_plural = _("供养服务设施")
        ordering = ["county_id", "name"]
        constraints = [
            models.CheckConstraint(condition=Q(care_beds__lte=F("beds")), name="facility_care_beds_within"),
            models.UniqueConstraint(fields=["county", "name"], name="facility_name_once"),
        ]

    def __str__(self) -> str:
        return self.name


@dataclass(frozen=True)
class CareShare:
    beds: int
    care_beds: int

    @property
    def share(self) -> Decimal:
        return (Decimal(self.care_beds) / Decimal(self.beds)).quantize(Decimal("0.001")) if self.beds else Decimal(0)

    @property
    def percent(self) -> Decimal:
        return (self.share * 100).quantize(Decimal("0.1"))

    @property
    def meets_target(self) -> bool:
        return self.beds > 0 and Decimal(self.care_beds) >= CARE_BED_TARGET * self.beds


class Placement(models.Model):
    """集中供养: an institutional 特困 person living in a facility (ended rows are history)."""

    facility = models.ForeignKey(CareFacility, on_delete=models.PROTECT, related_name="placements")
    case = models.ForeignKey(Case, on_delete=models.PROTECT, related_name="placements")
    member = models.ForeignKey(Member, on_delete=models.PROTECT, related_name="+", verbose_name=_("供养对象"))
    care_bed = models.BooleanField(_("护理型床位"), default=False)
    placed_on = models.DateField(_("入住日期"))
    placed_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    ended_on = models.DateField(_("离院日期"), null=True, blank=True)
    end_reason = models.CharField(_("离院原因"), max_length=200, blank=True, default="")
    ended_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("集中供养入住")
        verbose_name_plural = _("集中供养入住")
        ordering = ["-placed_on", "-id"]
        constraints = [
            models.UniqueConstraint(
                fields=["member"],
                condition=Q(ended_on__isnull=True),
                name="placement_member_once",
                violation_error_message=_("该对象已在供养服务设施入住。"),
            ),
            models.CheckConstraint(
                condition=Q(ended_on__isnull=True) | ~Q(end_reason=""), name="placement_end_has_reason"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.member_id} @ {self.facility_id}"
