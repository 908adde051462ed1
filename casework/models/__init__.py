"""Casework models, one module per feature."""

from casework.models.calendar import WorkingCalendar
from casework.models.case import (
    CLOSED_STATUSES,
    OPEN_STATUSES,
    TRANSITIONS,
    Case,
    CaseStatus,
    CaseTransition,
    Step,
    next_steps,
    overdue_q,
    statuses_waiting_for,
)
from casework.models.check import (
    CheckStatus,
    DataExchangeRecord,
    Department,
    EconomicCheck,
    EconomicCheckQuery,
    RecordKind,
)
from casework.models.emergency import (
    EmergencyPayment,
    LedgerKind,
    PaymentStatus,
    PublicEmergency,
    ReserveFund,
    ReserveFundEntry,
)
from casework.models.investigation import Investigation, InvestigationPhoto
from casework.models.review import (
    ApprovalLevel,
    Decision,
    Objection,
    Opinion,
    Outcome,
    PublicNotice,
    Recommendation,
    Tier,
)

__all__ = [
    "CLOSED_STATUSES",
    "OPEN_STATUSES",
    "TRANSITIONS",
    "ApprovalLevel",
    "Case",
    "CaseStatus",
    "CaseTransition",
    "CheckStatus",
    "DataExchangeRecord",
    "Decision",
    "Department",
    "EconomicCheck",
    "EconomicCheckQuery",
    "EmergencyPayment",
    "Investigation",
    "InvestigationPhoto",
    "LedgerKind",
    "Objection",
    "Opinion",
    "Outcome",
    "PaymentStatus",
    "PublicEmergency",
    "PublicNotice",
    "Recommendation",
    "RecordKind",
    "ReserveFund",
    "ReserveFundEntry",
    "Step",
    "Tier",
    "WorkingCalendar",
    "next_steps",
    "overdue_q",
    "statuses_waiting_for",
]

# Issue 6 (plans, purchased services, referrals, facilities, stranded persons, volunteers): imported
# as modules so their models register; import their names from the modules themselves.
from casework.models import plans  # noqa: F401, I001
from casework.models import services_catalogue  # noqa: F401
from casework.models import referrals  # noqa: F401
from casework.models import facilities  # noqa: F401
from casework.models import stranded  # noqa: F401
from casework.models import volunteers  # noqa: F401

# Issue 5 (enrolment, payment roll, re-verification, monitoring): import names from the modules.
from casework.models import enrolment  # noqa: F401
from casework.models import payments  # noqa: F401
from casework.models import reverification  # noqa: F401
from casework.models import monitoring  # noqa: F401
from casework.models import spotcheck  # noqa: F401  (issue 7: spot checks; import names from the module)
