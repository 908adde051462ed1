"""Plain, frozen input and output values of the eligibility rules (DOMAIN §2–§4, §8).

Money is ``Decimal`` yuan (never float); monthly amounts are monthly averages, annual amounts are
totals over the last 12 months. Inputs validate themselves so the rules never see a negative
amount, an unknown kind or an out-of-range grade, whoever built them (API, batch or tests).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal

from eligibility.rules.parameters import ParamValue

# --- vocabularies --------------------------------------------------------------------------

EXEMPT_INCOME_KINDS: frozenset[str] = frozenset(
    {
        "martyr_pension",  # 优待抚恤金
        "family_planning_award",  # 计划生育奖励扶助金
        "scholarship",  # 奖学金
        "award",  # 见义勇为等奖励
        "social_assistance",  # 政府社会救助金及实物
        "resident_basic_pension",  # 城乡居民基础养老金
    }
)
EARNED_INCOME_KINDS: frozenset[str] = frozenset({"wage", "business"})
COUNTED_INCOME_KINDS: frozenset[str] = frozenset(
    {"wage", "business", "property", "pension", "maintenance", "agriculture", "other"}
)
INCOME_KINDS: frozenset[str] = EXEMPT_INCOME_KINDS | COUNTED_INCOME_KINDS

EXCLUSION_REASONS: frozenset[str] = frozenset({"prison", "rehab", "conscript", "missing", "clergy"})
DISABILITY_KINDS: frozenset[str] = frozenset(
    {"physical", "intellectual", "mental", "visual", "hearing", "speech", "multiple"}
)
WORK_CAPACITIES: frozenset[str] = frozenset({"none", "partial", "full"})
CARE_MODES: frozenset[str] = frozenset({"home", "institutional"})
CARE_TIERS: tuple[str, ...] = ("self_care", "partial", "full")
EMERGENCY_KINDS: frozenset[str] = frozenset(
    {"fire", "accident", "sudden_illness", "public_health", "disaster", "stranded"}
)
STANDARD_AREAS: frozenset[str] = frozenset({"district", "county"})
APPROVAL_LEVELS: frozenset[str] = frozenset({"street", "county"})

TEKUN = "tekun"
DIBAO = "dibao"
LOW_INCOME = "low_income"
EXPENDITURE_HARDSHIP = "expenditure_hardship"
EMERGENCY = "emergency"
TIERS: tuple[str, ...] = (TEKUN, DIBAO, LOW_INCOME, EXPENDITURE_HARDSHIP, EMERGENCY)
NO_TIER = "none"

EXCLUSION_LABELS: dict[str, str] = {
    "prison": "服刑",
    "rehab": "强制隔离戒毒",
    "conscript": "服兵役",
    "missing": "宣告失踪",
    "clergy": "出家且离家3年以上",
}
INCOME_LABELS: dict[str, str] = {
    "martyr_pension": "优待抚恤金",
    "family_planning_award": "计划生育奖励扶助金",
    "scholarship": "奖学金",
    "award": "见义勇为等奖励",
    "social_assistance": "政府社会救助金",
    "resident_basic_pension": "城乡居民基础养老金",
    "wage": "工资",
    "business": "经营收入",
    "property": "财产性收入",
    "pension": "养老金",
    "maintenance": "赡(抚、扶)养费",
    "agriculture": "农业收入",
    "other": "其他收入",
}
DISABILITY_LABELS: dict[str, str] = {
    "physical": "肢体",
    "intellectual": "智力",
    "mental": "精神",
    "visual": "视力",
    "hearing": "听力",
    "speech": "言语",
    "multiple": "多重",
}


def _require(condition: bool, message: str) -> None:
    if not condition:
        raise ValueError(message)


def _money_ok(value: Decimal, what: str) -> None:
    _require(isinstance(value, Decimal), f"{what} must be Decimal, not {type(value).__name__}")
    _require(value.is_finite() and value >= 0, f"{what} must be a finite amount ≥ 0: {value}")


# --- inputs --------------------------------------------------------------------------------


@dataclass(frozen=True)
class Income:
    kind: str
    monthly: Decimal

    def __post_init__(self) -> None:
        _require(self.kind in INCOME_KINDS, f"unknown income kind: {self.kind!r}")
        _money_ok(self.monthly, "income.monthly")


@dataclass(frozen=True)
class Member:
    ref: str
    birth_date: date
    lives_together: bool = True
    excluded: str | None = None
    disability_grade: int | None = None
    disability_kind: str | None = None
    serious_illness: bool = False
    student: bool = False
    work_capacity: str | None = None
    adl_incapable: int = 0
    has_able_supporter: bool = True
    care_mode: str = "home"
    incomes: tuple[Income, ...] = ()

    def __post_init__(self) -> None:
        _require(bool(self.ref), "member ref must not be empty")
        _require(
            self.excluded is None or self.excluded in EXCLUSION_REASONS,
            f"unknown exclusion reason: {self.excluded!r}",
        )
        _require(
            self.disability_grade is None or self.disability_grade in (1, 2, 3, 4),
            f"disability grade must be 1–4: {self.disability_grade!r}",
        )
        _require(
            self.disability_kind is None or self.disability_kind in DISABILITY_KINDS,
            f"unknown disability kind: {self.disability_kind!r}",
        )
        _require(
            self.work_capacity is None or self.work_capacity in WORK_CAPACITIES,
            f"unknown work capacity: {self.work_capacity!r}",
        )
        _require(
            isinstance(self.adl_incapable, int) and 0 <= self.adl_incapable <= 6,
            f"adl_incapable must be 0–6: {self.adl_incapable!r}",
        )
        _require(self.care_mode in CARE_MODES, f"unknown care mode: {self.care_mode!r}")

    @property
    def counted(self) -> bool:
        """共同生活的家庭成员: lives together and not excluded (DOMAIN §8)."""
        return self.lives_together and self.excluded is None


@dataclass(frozen=True)
class Vehicle:
    price: Decimal
    business_use: bool = False

    def __post_init__(self) -> None:
        _money_ok(self.price, "vehicle.price")


@dataclass(frozen=True)
class Business:
    employs_others_12m: bool = False
    avg_monthly_net_profit: Decimal = Decimal("0")

    def __post_init__(self) -> None:
        _money_ok(self.avg_monthly_net_profit, "business.avg_monthly_net_profit")


@dataclass(frozen=True)
class Assets:
    financial: Decimal = Decimal("0")
    vehicles: tuple[Vehicle, ...] = ()
    homes: int = 1
    business: Business | None = None

    def __post_init__(self) -> None:
        _money_ok(self.financial, "assets.financial")
        _require(isinstance(self.homes, int) and self.homes >= 0, "assets.homes must be ≥ 0")


@dataclass(frozen=True)
class RigidExpenditure:
    """Out-of-pocket rigid expenditure over the last 12 months (annual totals)."""

    medical: Decimal = Decimal("0")
    education: Decimal = Decimal("0")
    rehabilitation: Decimal = Decimal("0")

    def __post_init__(self) -> None:
        _money_ok(self.medical, "rigid_expenditure.medical")
        _money_ok(self.education, "rigid_expenditure.education")
        _money_ok(self.rehabilitation, "rigid_expenditure.rehabilitation")

    @property
    def total(self) -> Decimal:
        return self.medical + self.education + self.rehabilitation


@dataclass(frozen=True)
class Emergency:
    kind: str
    date: date
    cost: Decimal = Decimal("0")
    insurance: Decimal = Decimal("0")
    other_aid: Decimal = Decimal("0")

    def __post_init__(self) -> None:
        _require(self.kind in EMERGENCY_KINDS, f"unknown emergency kind: {self.kind!r}")
        _money_ok(self.cost, "emergency.cost")
        _money_ok(self.insurance, "emergency.insurance")
        _money_ok(self.other_aid, "emergency.other_aid")


@dataclass(frozen=True)
class Household:
    region: str
    standard_area: str
    as_of: date
    members: tuple[Member, ...]
    assets: Assets = field(default_factory=Assets)
    rigid_expenditure_annual: RigidExpenditure = field(default_factory=RigidExpenditure)
    emergency: Emergency | None = None
    temporary_grants_last_12_months: int = 0
    same_cause_granted: bool = False

    def __post_init__(self) -> None:
        _require(self.standard_area in STANDARD_AREAS, f"unknown standard area: {self.standard_area!r}")
        refs = [m.ref for m in self.members]
        _require(len(refs) == len(set(refs)), f"member refs must be unique: {refs}")
        _require(
            isinstance(self.temporary_grants_last_12_months, int) and self.temporary_grants_last_12_months >= 0,
            "temporary_grants_last_12_months must be ≥ 0",
        )


# --- outputs -------------------------------------------------------------------------------


@dataclass(frozen=True)
class Reason:
    code: str  # stable, machine-readable: "<area>.<condition>" (see package docstring)
    message: str  # Chinese, with the concrete figures
    source: str  # policy source


@dataclass(frozen=True)
class PropertyTest:
    passed: bool
    reasons: tuple[Reason, ...]


@dataclass(frozen=True)
class TierResult:
    tier: str
    eligible: bool
    members: tuple[str, ...] = ()
    monthly_amount: Decimal = Decimal("0.00")
    recommended_amount: Decimal = Decimal("0.00")
    approval_level: str | None = None
    reasons: tuple[Reason, ...] = ()
    # Per-person recurring amounts (特困: one per person); not part of the public JSON.
    member_amounts: tuple[tuple[str, Decimal], ...] = ()


@dataclass(frozen=True)
class Evaluation:
    as_of: date
    region: str
    standard_area: str
    dibao_standard: Decimal
    household_size: int
    counted_income: Decimal  # rounded to the fen for display; the rules use the exact value
    per_capita_income: Decimal  # rounded to the fen for display
    property_test: PropertyTest
    tiers: tuple[TierResult, ...]
    primary_tier: str
    monthly_amount: Decimal
    parameters_used: tuple[ParamValue, ...]

    def tier(self, name: str) -> TierResult:
        """The (household) entry of a tier; single-person dibao entries come after it."""
        return next(t for t in self.tiers if t.tier == name)

    def single_person_dibao(self) -> tuple[TierResult, ...]:
        dibao = [t for t in self.tiers if t.tier == DIBAO]
        return tuple(dibao[1:])
