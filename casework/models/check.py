"""Household economic-status check (家庭经济状况核对, DOMAIN §6.3).

``DataExchangeRecord`` is the local data-exchange table the shipped adapter reads (one row per
department fact about a person, keyed by the resident-ID blind index, never the ID itself).
``EconomicCheck`` is one run for a case; ``EconomicCheckQuery`` logs every department query with
its purpose and operator (use limited to the authorised check).
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from applications.models import Member
from casework.models.case import Case


class Department(models.TextChoices):
    HUKOU = "hukou", _("公安(户籍)")
    TAX = "tax", _("税务")
    SOCIAL_INSURANCE = "social_insurance", _("人社(社会保险)")
    REAL_ESTATE = "real_estate", _("不动产登记")
    VEHICLES = "vehicles", _("公安交管(车辆)")
    BUSINESS_REGISTRATION = "business_registration", _("市场监管(工商登记)")
    HOUSING_FUND = "housing_fund", _("住房公积金")
    BANK_SECURITIES = "bank_securities", _("银行/证券")


class RecordKind(models.TextChoices):
    HUKOU_STATUS = "hukou_status", _("户籍状态")
    WAGE_INCOME = "wage_income", _("工资薪金所得(月均)")
    BUSINESS_INCOME = "business_income", _("经营所得(月均)")
    PENSION = "pension", _("养老金(月)")
    INSURED_EMPLOYMENT = "insured_employment", _("在职参保(缴费基数)")
    HOME = "home", _("不动产(住房)")
    VEHICLE = "vehicle", _("机动车")
    LEGAL_REPRESENTATIVE = "legal_representative", _("企业法定代表人")
    FUND_DEPOSIT = "fund_deposit", _("公积金缴存(缴存基数)")
    FINANCIAL_ASSET = "financial_asset", _("存款/证券余额")


class DataExchangeRecord(models.Model):
    department = models.CharField(_("部门"), max_length=24, choices=Department.choices)
    id_index = models.CharField(_("证件号索引"), max_length=64, db_index=True)
    kind = models.CharField(_("类别"), max_length=24, choices=RecordKind.choices)
    value = models.CharField(_("内容"), max_length=200, blank=True, default="")
    amount = models.DecimalField(_("金额(元)"), max_digits=14, decimal_places=2, null=True, blank=True)
    employs_others = models.BooleanField(_("雇工满12个月"), default=False)
    as_of = models.DateField(_("数据日期"))
    source_ref = models.CharField(_("来源编号"), max_length=64, blank=True, default="")

    class Meta:
        verbose_name = _("部门共享数据")
        verbose_name_plural = _("部门共享数据")
        ordering = ["department", "id"]
        indexes = [models.Index(fields=["department", "id_index"], name="dx_department_person")]

    def __str__(self) -> str:
        return f"{self.get_department_display()} {self.get_kind_display()} {self.value or self.amount}"


class CheckStatus(models.TextChoices):
    PENDING = "pending", _("排队中")
    RUNNING = "running", _("核对中")
    DONE = "done", _("已完成")
    REFUSED = "refused", _("未授权，拒绝核对")
    FAILED = "failed", _("失败")


class EconomicCheck(models.Model):
    case = models.ForeignKey(Case, on_delete=models.CASCADE, related_name="checks")
    status = models.CharField(_("状态"), max_length=10, choices=CheckStatus.choices, default=CheckStatus.PENDING)
    purpose = models.CharField(_("核对用途"), max_length=200)
    requested_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+", verbose_name=_("发起人")
    )
    requested_at = models.DateTimeField(_("发起时间"), auto_now_add=True)
    started_at = models.DateTimeField(_("开始时间"), null=True, blank=True)
    finished_at = models.DateTimeField(_("完成时间"), null=True, blank=True)
    attempts = models.PositiveSmallIntegerField(_("尝试次数"), default=0)
    # Department findings per person (masked ID, name) and the differences from the declaration.
    results = models.JSONField(_("核对结果"), default=list, blank=True)
    discrepancies = models.JSONField(_("差异"), default=list, blank=True)
    error = models.TextField(_("错误"), blank=True, default="")

    class Meta:
        verbose_name = _("经济状况核对")
        verbose_name_plural = _("经济状况核对")
        ordering = ["-requested_at", "-id"]

    def __str__(self) -> str:
        return f"{self.case_id} {self.status}"


class EconomicCheckQuery(models.Model):
    """查询日志: one row per department query — who, for which case, for what purpose, when."""

    check_run = models.ForeignKey(EconomicCheck, on_delete=models.CASCADE, related_name="queries")
    case = models.ForeignKey(Case, on_delete=models.CASCADE, related_name="check_queries")
    department = models.CharField(_("部门"), max_length=24, choices=Department.choices)
    member = models.ForeignKey(Member, on_delete=models.PROTECT, related_name="+", verbose_name=_("被核对人"))
    subject_masked = models.CharField(_("被核对人证件号(脱敏)"), max_length=18)
    purpose = models.CharField(_("用途"), max_length=200)
    operator = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+", verbose_name=_("操作人")
    )
    at = models.DateTimeField(_("查询时间"), auto_now_add=True)
    records_found = models.PositiveIntegerField(_("返回记录数"), default=0)

    class Meta:
        verbose_name = _("核对查询日志")
        verbose_name_plural = _("核对查询日志")
        ordering = ["at", "id"]

    def __str__(self) -> str:
        return f"{self.case_id} {self.department} {self.subject_masked}"
