"""Demo departments of the recipient-status interface (issue 7), loaded by ``manage.py load_demo``.

- 合肥市医疗保障局 (``medical_insurance``, the whole city, the preset entitlements: all four tiers,
  since-month, no amount);
- 蜀山区住房和城乡建设局 (``housing_shushan``, 蜀山区 only, the housing preset: 低保 and 特困).

Each gets one token through ``oversight.departments`` (registration and issue audited, actor the
demo administrator). The service makes the secret and stores only its hash, so the raw tokens exist
only in what ``load`` returns: ``load_demo`` prints them once, with the demo accounts. Loaded once
per department code: a second run issues nothing (a new token: ``manage.py issue_department_token
<code> --rotate``). ``load_demo`` refuses to run unless ``DEMO_DATA_ALLOWED`` (DEBUG, or DEMO_DATA=1).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from django.db import transaction

from accounts.demo import DemoContext
from accounts.models import Region
from oversight import departments as svc
from oversight.models import DepartmentClient

TOKEN_LABEL = "演示令牌(仅限演示环境)"  # noqa: S105 (a label, not a secret)


@dataclass(frozen=True)
class DemoDepartment:
    code: str
    region: str
    name: str
    allowed_tiers: list[str] | None  # None: the preset of ``code``


DEPARTMENTS: list[DemoDepartment] = [
    DemoDepartment("medical_insurance", "3401", "合肥市医疗保障局", None),
    DemoDepartment(
        "housing_shushan", "340104", "蜀山区住房和城乡建设局", list(svc.PRESETS["housing"]["allowed_tiers"])
    ),
]


@dataclass(frozen=True)
class IssuedToken:
    client: DepartmentClient
    raw: str


@transaction.atomic
def load(context: DemoContext | Any) -> list[IssuedToken]:
    """Register the demo departments that do not exist yet, one token each; the raw tokens issued."""
    actor = getattr(context, "staff", {}).get("admin")
    issued: list[IssuedToken] = []
    for spec in DEPARTMENTS:
        if DepartmentClient.objects.filter(code=spec.code).exists():
            continue
        region = Region.objects.filter(code=spec.region).first()
        if region is None:
            continue
        client = svc.department_client_create(
            code=spec.code, region=region, actor=actor, name=spec.name, allowed_tiers=spec.allowed_tiers
        )
        _token, raw = svc.department_token_issue(client=client, actor=actor, label=TOKEN_LABEL)
        issued.append(IssuedToken(client=client, raw=raw))
    return issued


def summary_lines(issued: list[IssuedToken]) -> list[str]:
    """What ``load_demo`` prints under the demo accounts."""
    lines: list[str] = []
    for spec in DEPARTMENTS:
        client = DepartmentClient.objects.filter(code=spec.code).first()
        if client is None:
            continue
        raw = next((t.raw for t in issued if t.client.pk == client.pk), None)
        scope = f"{client.region_id} {','.join(client.allowed_tiers)}"
        if raw is not None:
            lines.append(f"  {client.code:<20} {client.name:<16} {scope}")
            lines.append(f"    Authorization: Department {raw}")
        else:
            lines.append(f"  {client.code:<20} {client.name:<16} {scope}  (令牌已在首次载入时显示)")
    return lines
