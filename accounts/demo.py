"""Demo staff for three streets in two districts and one county (loaded by `make run`, never by migrations)."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from django.apps import apps

from accounts.hooks import app_module
from accounts.models import Region, Role, User

DEMO_PASSWORD = "Hefei-demo-2026"  # noqa: S105 (published demo accounts)

# (username, full name, role, region code, can reveal IDs)
STAFF: list[tuple[str, str, str, str, bool]] = [
    ("clerk_a", "王丽(窗口)", Role.CLERK, "340104001", False),
    ("reviewer_a", "李强(审核)", Role.REVIEWER, "340104001", True),
    ("reviewer_a2", "赵敏(审核)", Role.REVIEWER, "340104001", False),
    ("approver_a", "陈志刚(审批)", Role.APPROVER, "340104001", True),
    ("socialworker_a", "周婷(社工)", Role.SOCIAL_WORKER, "340104001", False),
    ("clerk_b", "孙浩(窗口)", Role.CLERK, "340104002", False),
    ("reviewer_b", "吴静(审核)", Role.REVIEWER, "340104002", False),
    ("reviewer_b2", "郑伟(审核)", Role.REVIEWER, "340104002", False),
    ("approver_b", "冯军(审批)", Role.APPROVER, "340104002", True),
    ("clerk_c", "何芳(窗口)", Role.CLERK, "340111003", False),
    ("reviewer_c", "高峰(审核)", Role.REVIEWER, "340111003", False),
    ("reviewer_c2", "林娜(审核)", Role.REVIEWER, "340111003", False),
    ("approver_c", "罗斌(审批)", Role.APPROVER, "340111003", True),
    ("clerk_d", "梁红(窗口)", Role.CLERK, "340123100", False),
    ("reviewer_d", "宋涛(审核)", Role.REVIEWER, "340123100", False),
    ("reviewer_d2", "唐蕾(审核)", Role.REVIEWER, "340123100", False),
    ("approver_d", "许明(审批)", Role.APPROVER, "340123100", True),
    ("supervisor_shushan", "韩雪(蜀山区民政局)", Role.SUPERVISOR, "340104", True),
    ("supervisor_baohe", "曹勇(包河区民政局)", Role.SUPERVISOR, "340111", True),
    ("supervisor_feixi", "邓洁(肥西县民政局)", Role.SUPERVISOR, "340123", True),
    ("charity_shushan", "彭慧(蜀山区慈善会)", Role.CHARITY, "340104", False),
    ("admin", "系统管理员", Role.ADMIN, "3401", True),
]

DEMO_STREETS = ["340104001", "340104002", "340111003", "340123100"]

SERVICE_BRANDS = {
    "340104001": "三里庵“暖心驿站”",
    "340104002": "稻香村“邻里守望”",
    "340111003": "芜湖路“芜忧帮”",
    "340123100": "上派“派送温暖”",
}


@dataclass
class DemoContext:
    staff: dict[str, User]


def load_staff() -> DemoContext:
    staff: dict[str, User] = {}
    for username, full_name, role, region_code, can_reveal in STAFF:
        user, created = User.objects.get_or_create(
            username=username,
            defaults={"full_name": full_name, "role": role, "region_id": region_code, "can_reveal_ids": can_reveal},
        )
        if created:
            user.set_password(DEMO_PASSWORD)
            if role == Role.ADMIN:
                user.is_staff = True
                user.is_superuser = True
            user.save()
        staff[username] = user
    for code, brand in SERVICE_BRANDS.items():
        Region.objects.filter(code=code).update(service_brand=brand)
    return DemoContext(staff=staff)


def load_app_demos(context: DemoContext, labels: Iterable[str]) -> list[str]:
    """``<label>.demo.load(context)`` for each installed app of ``labels`` that has a demo module,
    in the order given (dependency order); returns the labels loaded."""
    loaded = []
    for label in labels:
        module = app_module(label, "demo") if apps.is_installed(label) else None
        if module is None:
            continue
        module.load(context)
        loaded.append(label)
    return loaded
