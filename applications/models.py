"""Households and their members: the inputs of DOMAIN §2–§3 and §8.

Identifiers (resident ID, phone, bank account, free-text health notes) are
encrypted at rest; the structured amounts and grades the rules compute on stay
in plain columns (they name nobody without the identifiers).
"""

from __future__ import annotations

from decimal import Decimal

from django.conf import settings
from django.contrib.postgres.fields import ArrayField
from django.contrib.postgres.indexes import GinIndex
from django.core.files import File
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from accounts.crypto import EncryptedTextField, mask_account, mask_phone
from accounts.models import Region


class NameBigrams(models.Func):
    """``hefei_name_bigrams(name)``: the distinct pairs of adjacent characters of a name, as an array
    (``'王小丽'`` → ``{王小,小丽}``); an immutable SQL function created by migration 0004. A
    two-character term is part of a name exactly when it is one of its pairs: ``@> ARRAY[term]``,
    answered by the GIN index ``member_name_bigrams``."""

    function = "hefei_name_bigrams"
    output_field = ArrayField(models.TextField())


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
        indexes = [
            # Household search by (part of) a name: ``name LIKE '%…%'`` through the trigram index
            # instead of every member of the street (applications.selectors.household_search).
            GinIndex(fields=["name"], name="member_name_trgm", opclasses=["gin_trgm_ops"]),
            # ... and by a two-character part (王丽, most given names): pg_trgm takes no trigram from
            # it, so the name's character pairs are indexed (``NameBigrams``, migration 0004). Not a
            # partial index: PostgreSQL estimates ``@>`` from a whole index's statistics only, and the
            # estimate is what sends a pair found in many names to the street's households instead.
            GinIndex(NameBigrams("name"), name="member_name_bigrams"),
        ]
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


# ---------------------------------------------------------------------------
# Intake (一门受理): applications and the signed economic-check authorisations (一证一书).
# Acceptance turns an application into a casework.Case; this app never imports casework.
# ---------------------------------------------------------------------------


class AssistanceType(models.TextChoices):
    DIBAO = "dibao", _("最低生活保障")
    TEKUN = "tekun", _("特困人员救助供养")
    LOW_INCOME = "low_income", _("低收入家庭认定")
    EXPENDITURE_HARDSHIP = "expenditure_hardship", _("支出型困难家庭救助")
    EMERGENCY = "emergency", _("临时救助(急难)")
    MEDICAL = "medical", _("医疗救助")
    EDUCATION = "education", _("教育救助")
    HOUSING = "housing", _("住房救助")
    EMPLOYMENT = "employment", _("就业救助")


class Channel(models.TextChoices):
    WINDOW = "window", _("窗口申请")
    ONLINE = "online", _("掌上办(网上申请)")
    COMMUNITY = "community", _("社区代办")
    ACTIVE_DISCOVERY = "active_discovery", _("主动发现")


class ApplicationStatus(models.TextChoices):
    SUBMITTED = "submitted", _("已提交(待受理)")
    ACCEPTED = "accepted", _("已受理")
    WITHDRAWN = "withdrawn", _("已撤回")
    REJECTED_AT_WINDOW = "rejected_at_window", _("不予受理")


class EmergencyKind(models.TextChoices):
    FIRE = "fire", _("火灾")
    ACCIDENT = "accident", _("交通事故等意外")
    SUDDEN_ILLNESS = "sudden_illness", _("突发重大疾病")
    PUBLIC_HEALTH = "public_health", _("突发公共卫生事件")
    DISASTER = "disaster", _("自然灾害")
    STRANDED = "stranded", _("生活无着")


SCAN_EXTENSIONS = {"pdf": b"%PDF-", "jpg": b"\xff\xd8\xff", "jpeg": b"\xff\xd8\xff", "png": b"\x89PNG\r\n\x1a\n"}
SCAN_MAX_BYTES = 5 * 1024 * 1024


def validate_scan(upload: File) -> None:
    """PDF, JPG or PNG only (by extension *and* leading bytes), at most 5 MB."""
    from django.core.exceptions import ValidationError

    name = (upload.name or "").lower()
    ext = name.rsplit(".", 1)[-1] if "." in name else ""
    if ext not in SCAN_EXTENSIONS:
        raise ValidationError(_("授权书扫描件只接受 PDF、JPG 或 PNG 文件。"), code="scan_type")
    if upload.size is not None and upload.size > SCAN_MAX_BYTES:
        raise ValidationError(_("授权书扫描件不能超过 5 MB。"), code="scan_size")
    handle = upload.file
    if handle is None:
        raise ValidationError(_("无法读取上传的文件。"), code="scan_unreadable")
    position = handle.tell()
    handle.seek(0)
    head = handle.read(8)
    handle.seek(position)
    if not bytes(head).startswith(SCAN_EXTENSIONS[ext]):
        raise ValidationError(_("文件内容与扩展名不符，请上传真实的 PDF、JPG 或 PNG 文件。"), code="scan_content")


def scan_upload_to(instance: models.Model, filename: str) -> str:
    """Random file names: a scan's path must not carry a name or an ID number."""
    import uuid

    from django.utils import timezone

    ext = filename.rsplit(".", 1)[-1].lower() if "." in filename else "bin"
    return f"authorisations/{timezone.now():%Y/%m}/{uuid.uuid4().hex}.{ext}"


class ReceiptCounter(models.Model):
    """Last receipt sequence per street and year; bumped with one atomic upsert (see intake.next_receipt_no)."""

    street = models.ForeignKey(Region, on_delete=models.PROTECT, related_name="+")
    year = models.PositiveSmallIntegerField()
    last = models.PositiveIntegerField(default=0)

    class Meta:
        verbose_name = _("受理编号计数器")
        verbose_name_plural = _("受理编号计数器")
        constraints = [models.UniqueConstraint(fields=["street", "year"], name="receipt_counter_street_year")]

    def __str__(self) -> str:
        return f"{self.street_id}-{self.year}: {self.last}"


class Application(models.Model):
    receipt_no = models.CharField(_("受理编号"), max_length=24, unique=True, editable=False)
    street = models.ForeignKey(
        Region, on_delete=models.PROTECT, related_name="+", verbose_name=_("街道(乡镇)"), db_index=False
    )
    community = models.ForeignKey(
        Region, on_delete=models.PROTECT, null=True, blank=True, related_name="+", verbose_name=_("社区(村)")
    )
    household = models.ForeignKey(
        Household,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="applications",
        verbose_name=_("家庭"),
    )
    channel = models.CharField(_("申请渠道"), max_length=20, choices=Channel.choices, default=Channel.WINDOW)
    assistance_types = ArrayField(
        models.CharField(max_length=24, choices=AssistanceType.choices), verbose_name=_("申请救助类别")
    )
    help_text = models.TextField(_("申请事由及所需帮助"), blank=True, default="")
    agent_note = models.CharField(_("代办人/发现来源"), max_length=100, blank=True, default="")
    status = models.CharField(
        _("状态"), max_length=20, choices=ApplicationStatus.choices, default=ApplicationStatus.SUBMITTED
    )
    status_reason = models.TextField(_("不予受理/撤回原因"), blank=True, default="")

    applicant_name = models.CharField(_("申请人姓名"), max_length=32)
    applicant_id_number = EncryptedTextField(_("申请人身份证号码"))
    applicant_id_index = models.CharField(max_length=64, db_index=True, editable=False)
    applicant_id_masked = models.CharField(_("申请人证件号(脱敏)"), max_length=18, db_index=True, editable=False)
    applicant_phone = EncryptedTextField(_("联系电话"), blank=True, default="")
    # Blind indexes of every person named in the application: the duplicate guard looks here.
    id_indexes = ArrayField(models.CharField(max_length=64), default=list, editable=False)
    # An online submission, as the resident typed it (identifiers inside, so encrypted); the window
    # turns it into a household record when it accepts.
    online_payload = EncryptedTextField(_("网上申请原始数据"), blank=True, default="")

    emergency_kind = models.CharField(
        _("急难事由"), max_length=20, choices=EmergencyKind.choices, blank=True, default=""
    )
    emergency_date = models.DateField(_("事发日期"), null=True, blank=True)
    emergency_cost = models.DecimalField(_("事件支出(元)"), max_digits=14, decimal_places=2, null=True, blank=True)
    emergency_insurance = models.DecimalField(_("保险赔付(元)"), max_digits=14, decimal_places=2, null=True, blank=True)
    emergency_other_aid = models.DecimalField(_("其他救助(元)"), max_digits=14, decimal_places=2, null=True, blank=True)

    submitted_at = models.DateTimeField(_("提交时间"), auto_now_add=True)
    submitted_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("登记人"),
    )
    decided_at = models.DateTimeField(_("受理/不予受理时间"), null=True, blank=True)
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )

    class Meta:
        verbose_name = _("救助申请")
        verbose_name_plural = _("救助申请")
        ordering = ["-submitted_at", "-id"]
        indexes = [
            models.Index(fields=["street", "status"], name="application_street_status"),
            models.Index(fields=["street"], name="application_street_like", opclasses=["varchar_pattern_ops"]),
            GinIndex(fields=["id_indexes"], name="application_id_indexes"),
        ]
        constraints = [
            models.CheckConstraint(condition=~Q(assistance_types=[]), name="application_has_assistance_type"),
            models.CheckConstraint(
                condition=Q(emergency_cost__isnull=True) | Q(emergency_cost__gte=0),
                name="application_emergency_cost_not_negative",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.receipt_no} {self.applicant_name}"

    @property
    def is_open(self) -> bool:
        return self.status == ApplicationStatus.SUBMITTED

    def assistance_type_labels(self) -> list[str]:
        labels = dict(AssistanceType.choices)
        return [str(labels.get(t, t)) for t in self.assistance_types]


class EconomicCheckAuthorisation(models.Model):
    """家庭经济状况核对授权书: one per adult member and application (DOMAIN §6.1, §6.3)."""

    application = models.ForeignKey(
        Application, on_delete=models.CASCADE, related_name="authorisations", verbose_name=_("申请")
    )
    member = models.ForeignKey(Member, on_delete=models.PROTECT, related_name="+", verbose_name=_("成员"))
    signed = models.BooleanField(_("已签署"), default=False)
    signed_on = models.DateField(_("签署日期"), null=True, blank=True)
    scan = models.FileField(
        _("授权书扫描件"), upload_to=scan_upload_to, blank=True, default="", validators=[validate_scan]
    )
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    recorded_at = models.DateTimeField(_("登记时间"), auto_now=True)

    class Meta:
        verbose_name = _("经济状况核对授权书")
        verbose_name_plural = _("经济状况核对授权书")
        ordering = ["application_id", "member_id"]
        constraints = [
            models.UniqueConstraint(fields=["application", "member"], name="authorisation_once_per_member"),
            models.CheckConstraint(
                condition=Q(signed=False) | Q(signed_on__isnull=False), name="authorisation_signed_has_date"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.application_id}/{self.member_id} {'✓' if self.signed else '✗'}"
