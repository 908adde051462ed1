"""Dated, regional policy parameters (DOMAIN §5, §8) and the stored determinations of the caseload."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from django.conf import settings
from django.contrib.postgres.fields import ArrayField
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from accounts.models import Region


class ParameterName(models.TextChoices):
    DIBAO_STANDARD = "dibao_standard", _("低保标准(元/人/月)")
    TEKUN_BASIC_ANNUAL = "tekun_basic_annual", _("特困基本生活标准(元/人/年)")
    TEKUN_CARE_ANNUAL = "tekun_care_annual", _("特困照料护理标准(元/人/年，按供养方式与护理等级)")
    LOW_INCOME_MULTIPLIER = "low_income_multiplier", _("低收入认定倍数")
    EMPLOYMENT_COST_DEDUCTION_RATIO = "employment_cost_deduction_ratio", _("就业成本扣减比例")
    ASSET_FINANCIAL_MULTIPLIER = "asset_financial_multiplier", _("人均金融资产上限倍数")
    ASSET_FINANCIAL_MULTIPLIER_VULNERABLE = (
        "asset_financial_multiplier_vulnerable",
        _("人均金融资产上限倍数(有重残重病成员)"),
    )
    VEHICLE_PRICE_LIMIT = "vehicle_price_limit", _("非营运车辆价格上限(元)")
    MAX_HOMES = "max_homes", _("住房套数上限")
    BUSINESS_PROFIT_MULTIPLIER = "business_profit_multiplier", _("经营月均净利润上限倍数")
    INCREMENT_CLASS_A = "increment_class_a", _("分类施保A类增发比例")
    INCREMENT_CLASS_B = "increment_class_b", _("分类施保B类增发比例")
    GRADUAL_EXIT_MONTHS = "gradual_exit_months", _("渐退期(月)")
    EMERGENCY_LOOKBACK_DAYS = "emergency_lookback_days", _("急难事件回溯天数")
    EMERGENCY_MIN_MULTIPLIER = "emergency_min_multiplier", _("临时救助下限倍数")
    EMERGENCY_MAX_MULTIPLIER = "emergency_max_multiplier", _("临时救助上限倍数")
    STREET_APPROVAL_MULTIPLIER = "street_approval_multiplier", _("街道审批权限倍数")
    TEMPORARY_GRANTS_PER_YEAR = "temporary_grants_per_year", _("每12个月临时救助次数上限")
    RESERVE_FUND_ANNUAL_MIN = "reserve_fund_annual_min", _("街道备用金年度下限(元)")


STRUCTURED_PARAMETERS = frozenset({ParameterName.TEKUN_CARE_ANNUAL})


class PolicyParameter(models.Model):
    """One dated value of a parameter for a region. Rows are never edited once in force:
    a change is a new row with a later ``effective_from``, so past evaluations keep their values."""

    name = models.CharField(_("参数"), max_length=64, choices=ParameterName.choices, db_index=True)
    region = models.ForeignKey(Region, on_delete=models.PROTECT, related_name="+", verbose_name=_("适用区划"))
    effective_from = models.DateField(_("生效日期"))
    value = models.DecimalField(_("取值"), max_digits=18, decimal_places=6, null=True, blank=True)
    # The exact decimal text as shipped or entered ("717.00", "0.3"): parameters_used echoes it verbatim.
    value_text = models.CharField(_("取值(原文)"), max_length=40, blank=True, default="")
    value_json = models.JSONField(_("结构化取值"), null=True, blank=True)
    source = models.CharField(_("政策依据"), max_length=300)
    note = models.TextField(_("说明"), blank=True, default="")
    changed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("修改人"),
    )
    changed_at = models.DateTimeField(_("修改时间"), auto_now=True)

    class Meta:
        verbose_name = _("政策参数")
        verbose_name_plural = _("政策参数")
        ordering = ["name", "region_id", "-effective_from"]
        constraints = [
            models.UniqueConstraint(fields=["name", "region", "effective_from"], name="parameter_once_per_date"),
            models.CheckConstraint(
                condition=(Q(value__isnull=False) & Q(value_json__isnull=True))
                | (Q(value__isnull=True) & Q(value_json__isnull=False)),
                name="parameter_one_value_kind",
            ),
            models.CheckConstraint(condition=Q(value__isnull=True) | Q(value__gte=0), name="parameter_not_negative"),
        ]

    def __str__(self) -> str:
        return f"{self.name}@{self.region_id} {self.effective_from}: {self.display_value}"

    @property
    def typed_value(self) -> Decimal | dict[str, Any]:
        if self.value_json is not None:
            return dict(self.value_json)
        return Decimal(self.value_text)

    @property
    def display_value(self) -> str:
        if self.value_json is not None:
            return "；".join(
                f"{mode}: " + " / ".join(f"{tier} {amount}" for tier, amount in tiers.items())
                for mode, tiers in self.value_json.items()
            )
        return f"{self.typed_value}"


class Determination(models.Model):
    """The latest engine result for a stored household (written by the batch path only when it changes).

    Amounts are integer fen; ``tiers`` is a bitmask (1 tekun, 2 dibao, 4 single-person dibao,
    8 low_income, 16 expenditure_hardship). The batch path (``eligibility.batch``) compares the new
    result with these columns and rewrites a row only when one of them differs; ``as_of``,
    ``evaluated_at`` and ``changed_at`` then record the evaluation that produced the values, and
    ``previous`` the values they replaced (for the re-verification review tasks of issue 5).
    ``error`` is set when the latest evaluation failed (e.g. a missing parameter); the other columns
    then keep the last successful result (``primary_tier`` is "" when there never was one).
    """

    household = models.OneToOneField(
        "applications.Household", on_delete=models.CASCADE, related_name="determination", primary_key=True
    )
    as_of = models.DateField(_("评估日期"))
    primary_tier = models.CharField(_("主要类别"), max_length=24)
    tiers = models.PositiveSmallIntegerField(_("符合类别(位掩码)"), default=0)
    monthly_amount_fen = models.BigIntegerField(_("月保障金额(分)"), default=0)
    # Recurring cash per tier; their sum is monthly_amount_fen.
    tekun_fen = models.BigIntegerField(_("特困供养金(分)"), default=0)
    dibao_fen = models.BigIntegerField(_("低保金(分)"), default=0)
    single_fen = models.BigIntegerField(_("单人户低保金(分)"), default=0)
    # Member ids rather than positions: a mask would shift when a member joins or leaves.
    tekun_members = ArrayField(models.BigIntegerField(), verbose_name=_("特困人员(成员ID)"), default=list, blank=True)
    single_members = ArrayField(
        models.BigIntegerField(), verbose_name=_("单人户低保成员(成员ID)"), default=list, blank=True
    )
    # The values this row replaced when it last changed (None for a first determination).
    previous = models.JSONField(_("变化前结果"), null=True, blank=True)
    error = models.CharField(_("评估错误"), max_length=200, blank=True, default="")
    evaluated_at = models.DateTimeField(_("评估时间"))
    changed_at = models.DateTimeField(_("变化时间"))

    class Meta:
        verbose_name = _("资格认定结果")
        verbose_name_plural = _("资格认定结果")

    def __str__(self) -> str:
        return f"{self.household_id}: {self.primary_tier} {self.monthly_amount_fen / 100:.2f}"
