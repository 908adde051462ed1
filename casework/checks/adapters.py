"""Department data-sharing adapters for the economic check (DOMAIN §6.3).

One adapter class per department source, registered by department code. The shipped
``LocalDataExchangeAdapter`` family reads the local ``DataExchangeRecord`` table (filled by the
data-exchange platform's nightly import, or the demo); a deployment that talks to a department
directly registers its own class in ``settings.CASEWORK_CHECK_ADAPTERS``
(``{"tax": "mypackage.adapters.TaxBureauAdapter"}``). Adapters get the person's blind index and,
for remote services that need it, the number itself — which they must never log.
"""

from __future__ import annotations

import datetime as dt
from abc import ABC, abstractmethod
from dataclasses import dataclass
from decimal import Decimal
from typing import ClassVar

from django.conf import settings
from django.utils.module_loading import import_string

from casework.models import DataExchangeRecord, Department


class AdapterUnavailable(Exception):
    """The department service did not answer; the Celery task retries later."""


@dataclass(frozen=True)
class Person:
    member_id: int
    name: str
    id_index: str
    id_masked: str
    id_number: str  # for remote services only: never log or store it


@dataclass(frozen=True)
class Finding:
    department: str
    member_id: int
    kind: str
    value: str
    amount: Decimal | None
    employs_others: bool
    as_of: dt.date


class DepartmentAdapter(ABC):
    department: ClassVar[str]

    @abstractmethod
    def query(self, person: Person, *, as_of: dt.date) -> list[Finding]:
        """Every record the department holds about ``person`` as of ``as_of``."""


class LocalDataExchangeAdapter(DepartmentAdapter):
    """Reads ``DataExchangeRecord`` rows of this adapter's department (latest data on or before as_of)."""

    def query(self, person: Person, *, as_of: dt.date) -> list[Finding]:
        rows = DataExchangeRecord.objects.filter(
            department=self.department, id_index=person.id_index, as_of__lte=as_of
        ).order_by("kind", "id")
        return [
            Finding(
                department=self.department,
                member_id=person.member_id,
                kind=r.kind,
                value=r.value,
                amount=r.amount,
                employs_others=r.employs_others,
                as_of=r.as_of,
            )
            for r in rows
        ]


REGISTRY: dict[str, type[DepartmentAdapter]] = {}


def register(cls: type[DepartmentAdapter]) -> type[DepartmentAdapter]:
    REGISTRY[cls.department] = cls
    return cls


@register
class LocalHukouAdapter(LocalDataExchangeAdapter):
    department = Department.HUKOU


@register
class LocalTaxAdapter(LocalDataExchangeAdapter):
    department = Department.TAX


@register
class LocalSocialInsuranceAdapter(LocalDataExchangeAdapter):
    department = Department.SOCIAL_INSURANCE


@register
class LocalRealEstateAdapter(LocalDataExchangeAdapter):
    department = Department.REAL_ESTATE


@register
class LocalVehiclesAdapter(LocalDataExchangeAdapter):
    department = Department.VEHICLES


@register
class LocalBusinessRegistrationAdapter(LocalDataExchangeAdapter):
    department = Department.BUSINESS_REGISTRATION


@register
class LocalHousingFundAdapter(LocalDataExchangeAdapter):
    department = Department.HOUSING_FUND


@register
class LocalBankSecuritiesAdapter(LocalDataExchangeAdapter):
    department = Department.BANK_SECURITIES


def adapters() -> list[DepartmentAdapter]:
    """One adapter per department, in the order of ``Department``; settings may replace any."""
    overrides: dict[str, str] = getattr(settings, "CASEWORK_CHECK_ADAPTERS", {})
    result: list[DepartmentAdapter] = []
    for department in Department.values:
        cls: type[DepartmentAdapter] = (
            import_string(overrides[department]) if department in overrides else REGISTRY[department]
        )
        result.append(cls())
    return result
