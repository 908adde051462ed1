"""Households and their members: the inputs of DOMAIN §2–§3 and §8.

Identifiers (resident ID, phone, bank account, free-text health notes) are
encrypted at rest; the structured amounts and grades the rules compute on stay
in plain columns (they name nobody without the identifiers).
"""

from __future__ import annotations

from decimal import Decimal

from django.conf import settings
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from accounts.crypto import EncryptedTextField, mask_account, mask_phone
from accounts.models import Region

ZERO = Decimal("0")


class IncomeKind(models.TextChoices):
    WAGE = "wage", _("工资性收入")
    BUSINESS = "business", _("经营净收入")
    PROPERTY = "property", _("财产净收入")
    PENSION = "pension", _("养老金/退休金")
    MAINTENANCE = "maintenance", _("赡养(抚养、扶养)费")
    AGRICULTURE = "agriculture", _("农业收入")
    OTHER = "other", _("其他收入")
    MARTYR_PENSION = "martyr_pension", _("优待抚恤金(豁免)")
    FAMILY_PLANNING_AWARD = "family_planning_award", _("计划生育奖励扶助金(豁免)")
    SCHOLARSHIP = "scholarship", _("奖学金(豁免)")
    AWARD = "award", _("见义勇为等奖励(豁免)")
    SOCIAL_ASSISTANCE = "social_assistance", _("社会救助金(豁免)")
    RESIDENT_BASIC_PENSION = "resident_basic_pension", _("城乡居民基础养老金(豁免)")


EXEMPT_INCOME_KINDS = frozenset(
    {
        IncomeKind.MARTYR_PENSION,
        IncomeKind.FAMILY_PLANNING_AWARD,
        IncomeKind.SCHOLARSHIP,
        IncomeKind.AWARD,
        IncomeKind.SOCIAL_ASSISTANCE,
        IncomeKind.RESIDENT_BASIC_PENSION,
    }
)
EARNED_INCOME_KINDS = frozenset({IncomeKind.WAGE, IncomeKind.BUSINESS})


class Relation(models.TextChoices):
    SELF = "self", _("申请人本人")
    SPOUSE = "spouse", _("配偶")
    CHILD = "child", _("子女")
    PARENT = "parent", _("父母")
    GRANDCHILD = "grandchild", _("孙子女/外孙子女")
    GRANDPARENT = "grandparent", _("祖父母/外祖父母")
    SIBLING = "sibling", _("兄弟姐妹")
    OTHER = "other", _("其他")


class Exclusion(models.TextChoices):
    PRISON = "prison", _("服刑")
    REHAB = "rehab", _("强制隔离戒毒")
    CONSCRIPT = "conscript", _("服义务兵役")
    MISSING = "missing", _("宣告失踪")
    CLERGY = "clergy", _("宗教教职人员(离家3年以上)")


class DisabilityKind(models.TextChoices):
    PHYSICAL = "physical", _("肢体")
    INTELLECTUAL = "intellectual", _("智力")
    MENTAL = "mental", _("精神")
    VISUAL = "visual", _("视力")
    HEARING = "hearing", _("听力")
    SPEECH = "speech", _("言语")
    MULTIPLE = "multiple", _("多重")


class WorkCapacity(models.TextChoices):
    NONE = "none", _("无劳动能力")
    PARTIAL = "partial", _("部分劳动能力")
    FULL = "full", _("有劳动能力")


class CareMode(models.TextChoices):
    HOME = "home", _("分散供养")
    INSTITUTIONAL = "institutional", _("集中供养")


class Household(models.Model):
    street = models.ForeignKey(
        Region,
        on_delete=models.PROTECT,
        related_name="+",
        verbose_name=_("街道(乡镇)"),
        limit_choices_to={"level": Region.Level.STREET},
    )
    community = models.ForeignKey(
        Region,
        on_delete=models.PROTECT,
        related_name="+",
        verbose_name=_("社区(村)"),
        limit_choices_to={"level": Region.Level.COMMUNITY},
    )
    address = models.CharField(_("户籍地址"), max_length=200)
    phone = EncryptedTextField(_("联系电话"), blank=True, default="")
    bank_name = models.CharField(_("开户银行"), max_length=64, blank=True, default="")
    bank_account = EncryptedTextField(_("银行账号"), blank=True, default="")

    financial_assets = models.DecimalField(_("金融资产(元)"), max_digits=14, decimal_places=2, default=ZERO)
    homes = models.PositiveSmallIntegerField(_("住房套数"), default=1)
    business_employs_others_12m = models.BooleanField(_("经营企业雇工满12个月"), default=False)
    business_avg_monthly_net_profit = models.DecimalField(
        _("企业月均净利润(元)"), max_digits=14, decimal_places=2, default=ZERO
    )
    medical_expense_annual = models.DecimalField(_("年自付医疗支出(元)"), max_digits=14, decimal_places=2, default=ZERO)
    education_expense_annual = models.DecimalField(_("年教育支出(元)"), max_digits=14, decimal_places=2, default=ZERO)
    rehabilitation_expense_annual = models.DecimalField(
        _("年残疾康复支出(元)"), max_digits=14, decimal_places=2, default=ZERO
    )

    created_at = models.DateTimeField(_("建档时间"), auto_now_add=True)
    updated_at = models.DateTimeField(_("更新时间"), auto_now=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )

    class Meta:
        verbose_name = _("家庭")
        verbose_name_plural = _("家庭")
        ordering = ["-id"]
        indexes = [models.Index(fields=["street"], name="household_street_like", opclasses=["varchar_pattern_ops"])]
        constraints = [
            models.CheckConstraint(
                condition=Q(financial_assets__gte=0)
                & Q(business_avg_monthly_net_profit__gte=0)
                & Q(medical_expense_annual__gte=0)
                & Q(education_expense_annual__gte=0)
                & Q(rehabilitation_expense_annual__gte=0),
                name="household_amounts_not_negative",
            ),
        ]

    def __str__(self) -> str:
        head = self.head
        return f"{head.name if head else _('家庭')}户 #{self.pk}"

    @property
    def head(self) -> Member | None:
        members = [m for m in self.members.all() if m.active]
        for m in members:
            if m.relation == Relation.SELF:
                return m
        return members[0] if members else None

    @property
    def phone_masked(self) -> str:
        return mask_phone(self.phone)

    @property
    def bank_account_masked(self) -> str:
        return mask_account(self.bank_account)


class Member(models.Model):
    household = models.ForeignKey(Household, on_delete=models.CASCADE, related_name="members", verbose_name=_("家庭"))
    name = models.CharField(_("姓名"), max_length=32)
    id_number = EncryptedTextField(_("身份证号码"))
    id_index = models.CharField(_("证件号索引"), max_length=64, db_index=True, editable=False)
    id_masked = models.CharField(_("证件号(脱敏)"), max_length=18, db_index=True, editable=False)
    birth_date = models.DateField(_("出生日期"), editable=False)
    sex = models.CharField(_("性别"), max_length=1, choices=[("M", _("男")), ("F", _("女"))], editable=False)
    relation = models.CharField(_("与申请人关系"), max_length=16, choices=Relation.choices, default=Relation.SELF)
    lives_together = models.BooleanField(_("共同生活"), default=True)
    excluded = models.CharField(_("不计入原因"), max_length=16, choices=Exclusion.choices, blank=True, default="")
    disability_grade = models.PositiveSmallIntegerField(
        _("残疾等级"), null=True, blank=True, validators=[MinValueValidator(1), MaxValueValidator(4)]
    )
    disability_kind = models.CharField(
        _("残疾类别"), max_length=16, choices=DisabilityKind.choices, blank=True, default=""
    )
    serious_illness = models.BooleanField(_("重病"), default=False)
    student = models.BooleanField(_("在校学生"), default=False)
    work_capacity = models.CharField(
        _("劳动能力评估"), max_length=8, choices=WorkCapacity.choices, blank=True, default=""
    )
    adl_incapable = models.PositiveSmallIntegerField(
        _("不能自理的日常生活项目数(0-6)"), default=0, validators=[MaxValueValidator(6)]
    )
    has_able_supporter = models.BooleanField(_("有具备赡养扶养能力的法定义务人"), default=True)
    care_mode = models.CharField(_("供养方式"), max_length=16, choices=CareMode.choices, default=CareMode.HOME)
    health_notes = EncryptedTextField(_("健康/残疾说明"), blank=True, default="")
    active = models.BooleanField(_("在册"), default=True)

    class Meta:
        verbose_name = _("家庭成员")
        verbose_name_plural = _("家庭成员")
        ordering = ["household_id", "id"]
        constraints = [
            models.UniqueConstraint(
                fields=["id_index"],
                condition=Q(active=True),
                name="member_id_active_once",
                violation_error_message=_("该身份证号码已是其他在册家庭的成员。"),
            ),
            models.CheckConstraint(condition=Q(adl_incapable__lte=6), name="member_adl_0_6"),
            models.CheckConstraint(
                condition=Q(disability_grade__isnull=True) | Q(disability_grade__gte=1, disability_grade__lte=4),
                name="member_disability_grade_1_4",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.name}({self.id_masked})"

    @property
    def is_counted(self) -> bool:
        return self.active and self.lives_together and not self.excluded


class IncomeItem(models.Model):
    member = models.ForeignKey(Member, on_delete=models.CASCADE, related_name="incomes", verbose_name=_("成员"))
    kind = models.CharField(_("收入类型"), max_length=32, choices=IncomeKind.choices)
    monthly = models.DecimalField(_("月均金额(元)"), max_digits=14, decimal_places=2)
    note = models.CharField(_("说明"), max_length=200, blank=True, default="")

    class Meta:
        verbose_name = _("收入")
        verbose_name_plural = _("收入")
        constraints = [models.CheckConstraint(condition=Q(monthly__gte=0), name="income_not_negative")]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} {self.monthly}"


class Vehicle(models.Model):
    household = models.ForeignKey(Household, on_delete=models.CASCADE, related_name="vehicles", verbose_name=_("家庭"))
    description = models.CharField(_("车辆说明"), max_length=100, blank=True, default="")
    price = models.DecimalField(_("车辆价格(元)"), max_digits=14, decimal_places=2)
    business_use = models.BooleanField(_("营运车辆"), default=False)

    class Meta:
        verbose_name = _("机动车辆")
        verbose_name_plural = _("机动车辆")
        constraints = [models.CheckConstraint(condition=Q(price__gte=0), name="vehicle_price_not_negative")]

    def __str__(self) -> str:
        return f"{self.description or _('车辆')} {self.price}"
