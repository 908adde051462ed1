"""Government-purchased services (政府购买服务, DOMAIN §7): the catalogue of a county, the social-work
organisations it contracts, service orders per case, delivery records and contract evaluations.

A contract's completion is orders delivered over orders placed (``ServiceOrder.delivered_quantity``
is kept under the order's row lock by ``delivery_record``); the county sees it beside the ratings.
"""

from __future__ import annotations

from decimal import Decimal

from django.conf import settings
from django.db import models
from django.db.models import F, Q
from django.utils.translation import gettext_lazy as _

from accounts.models import Region
from casework.models.case import Case


class ServiceCategory(models.TextChoices):
    CARE = "care", _("照料护理")
    COUNSELLING = "counselling", _("心理疏导")
    RESOURCE_LINKING = "resource_linking", _("资源链接")
    CAPABILITY = "capability", _("能力提升")
    SOCIAL_INTEGRATION = "social_integration", _("社会融入")
    ECONOMIC_CHECK = "economic_check", _("协助经济状况核对")
    FILE_VISIT = "file_visit", _("建档访视")


class ServiceItem(models.Model):
    """One line of the county's 政府购买服务目录."""

    county = models.ForeignKey(Region, on_delete=models.PROTECT, related_name="+", verbose_name=_("县(市、区)"))
    code = models.CharField(_("目录编号"), max_length=16)
    name = models.CharField(_("服务项目"), max_length=64)
    category = models.CharField(_("服务类别"), max_length=24, choices=ServiceCategory.choices)
    unit = models.CharField(_("计量单位"), max_length=8, default="次")
    unit_price = models.DecimalField(_("单价(元)"), max_digits=14, decimal_places=2)
    description = models.TextField(_("服务内容与标准"), blank=True, default="")
    active = models.BooleanField(_("在用"), default=True)

    class Meta:
        verbose_name = _("购买服务目录项")
        verbose_name_plural = _("政府购买服务目录")
        ordering = ["county_id", "code"]
        constraints = [
            models.UniqueConstraint(fields=["county", "code"], name="service_item_code_once"),
            models.CheckConstraint(condition=Q(unit_price__gte=0), name="service_item_price"),
        ]

    def __str__(self) -> str:
        return f"{self.code} {self.name}"


class ServiceOrganisation(models.Model):
    """社会工作服务机构 contracted by a county."""

    county = models.ForeignKey(Region, on_delete=models.PROTECT, related_name="+", verbose_name=_("县(市、区)"))
    name = models.CharField(_("机构名称"), max_length=100)
    credit_code = models.CharField(_("统一社会信用代码"), max_length=18, blank=True, default="")
    contact = models.CharField(_("联系人"), max_length=32, blank=True, default="")
    phone = models.CharField(_("联系电话"), max_length=20, blank=True, default="")
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("社工机构")
        verbose_name_plural = _("社工机构")
        ordering = ["county_id", "name"]
        constraints = [models.UniqueConstraint(fields=["county", "name"], name="service_org_name_once")]

    def __str__(self) -> str:
        return self.name


class ServiceContract(models.Model):
    county = models.ForeignKey(Region, on_delete=models.PROTECT, related_name="+", verbose_name=_("购买方"))
    organisation = models.ForeignKey(
        ServiceOrganisation, on_delete=models.PROTECT, related_name="contracts", verbose_name=_("承接机构")
    )
    contract_no = models.CharField(_("合同编号"), max_length=32, unique=True)
    title = models.CharField(_("项目名称"), max_length=100)
    services = models.ManyToManyField(ServiceItem, related_name="contracts", verbose_name=_("服务项目"))
    starts_on = models.DateField(_("服务期自"))
    ends_on = models.DateField(_("服务期至"))
    budget = models.DecimalField(_("合同金额(元)"), max_digits=14, decimal_places=2)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("购买服务合同")
        verbose_name_plural = _("购买服务合同")
        ordering = ["-starts_on", "-id"]
        constraints = [
            models.CheckConstraint(condition=Q(ends_on__gte=F("starts_on")), name="contract_period"),
            models.CheckConstraint(condition=Q(budget__gt=0), name="contract_budget_positive"),
        ]

    def __str__(self) -> str:
        return f"{self.contract_no} {self.title}"


class OrderStatus(models.TextChoices):
    ORDERED = "ordered", _("服务中")
    COMPLETED = "completed", _("已完成")
    CANCELLED = "cancelled", _("已取消")


class ServiceOrder(models.Model):
    """A service bought for one case under a contract (数量 in the catalogue's unit)."""

    case = models.ForeignKey(Case, on_delete=models.PROTECT, related_name="service_orders", verbose_name=_("案件"))
    contract = models.ForeignKey(ServiceContract, on_delete=models.PROTECT, related_name="orders")
    service = models.ForeignKey(ServiceItem, on_delete=models.PROTECT, related_name="orders", verbose_name=_("服务"))
    quantity = models.PositiveIntegerField(_("数量"))
    unit_price = models.DecimalField(_("单价(元)"), max_digits=14, decimal_places=2)
    amount = models.DecimalField(_("金额(元)"), max_digits=14, decimal_places=2)
    delivered_quantity = models.PositiveIntegerField(_("已完成数量"), default=0)
    status = models.CharField(_("状态"), max_length=10, choices=OrderStatus.choices, default=OrderStatus.ORDERED)
    note = models.CharField(_("服务要求"), max_length=200, blank=True, default="")
    ordered_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    ordered_at = models.DateTimeField(_("下单时间"), auto_now_add=True)
    cancel_reason = models.CharField(_("取消原因"), max_length=200, blank=True, default="")

    class Meta:
        verbose_name = _("服务订单")
        verbose_name_plural = _("服务订单")
        ordering = ["ordered_at", "id"]
        constraints = [
            models.CheckConstraint(condition=Q(quantity__gt=0), name="order_quantity_positive"),
            models.CheckConstraint(condition=Q(delivered_quantity__lte=F("quantity")), name="order_not_overdelivered"),
            models.CheckConstraint(
                condition=~Q(status="cancelled") | ~Q(cancel_reason=""), name="order_cancel_has_reason"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.service} ×{self.quantity}"

    @property
    def progress_percent(self) -> int:
        return int(self.delivered_quantity * 100 / self.quantity) if self.quantity else 0


class DeliveryKind(models.TextChoices):
    VISIT = "visit", _("建档访视")
    NEEDS = "needs", _("需求分析")
    SERVICE = "service", _("服务提供")
    FOLLOW_UP = "follow_up", _("跟进回访")


class DeliveryRecord(models.Model):
    """What a social worker did for a case; ``quantity`` counts against ``order`` when there is one."""

    case = models.ForeignKey(Case, on_delete=models.PROTECT, related_name="deliveries")
    order = models.ForeignKey(ServiceOrder, on_delete=models.PROTECT, null=True, blank=True, related_name="deliveries")
    kind = models.CharField(_("记录类型"), max_length=10, choices=DeliveryKind.choices)
    delivered_on = models.DateField(_("服务日期"))
    quantity = models.PositiveIntegerField(_("计入订单数量"), default=0)
    social_worker = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+", verbose_name=_("社工")
    )
    content = models.TextField(_("服务记录"))
    needs = models.TextField(_("需求分析"), blank=True, default="")
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("服务记录")
        verbose_name_plural = _("服务记录")
        ordering = ["-delivered_on", "-id"]
        constraints = [
            models.CheckConstraint(condition=Q(order__isnull=False) | Q(quantity=0), name="delivery_quantity_order"),
        ]

    def __str__(self) -> str:
        return f"{self.case_id} {self.kind} {self.delivered_on}"


class ContractEvaluation(models.Model):
    """The county's evaluation of a contract: ratings 1–5 and the completion at that moment."""

    contract = models.ForeignKey(ServiceContract, on_delete=models.PROTECT, related_name="evaluations")
    period = models.CharField(_("评估期间"), max_length=32)
    quality = models.PositiveSmallIntegerField(_("服务质量"))
    timeliness = models.PositiveSmallIntegerField(_("服务及时性"))
    satisfaction = models.PositiveSmallIntegerField(_("对象满意度"))
    orders_total = models.PositiveIntegerField(_("订单数"))
    orders_completed = models.PositiveIntegerField(_("已完成订单"))
    units_ordered = models.PositiveIntegerField(_("订购数量"))
    units_delivered = models.PositiveIntegerField(_("完成数量"))
    comment = models.TextField(_("评估意见"), blank=True, default="")
    evaluated_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    evaluated_on = models.DateField(_("评估日期"))
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("合同评估")
        verbose_name_plural = _("合同评估")
        ordering = ["-evaluated_on", "-id"]
        constraints = [
            models.CheckConstraint(
                condition=Q(quality__gte=1, quality__lte=5)
                & Q(timeliness__gte=1, timeliness__lte=5)
                & Q(satisfaction__gte=1, satisfaction__lte=5),
                name="evaluation_ratings_1_5",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.contract_id} {self.period}"

    @property
    def score(self) -> Decimal:
        return (Decimal(self.quality + self.timeliness + self.satisfaction) / 3).quantize(Decimal("0.1"))

    @property
    def completion_percent(self) -> int:
        return int(self.units_delivered * 100 / self.units_ordered) if self.units_ordered else 0
