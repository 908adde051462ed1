from typing import Any

from django.urls import reverse
from django.utils.translation import gettext as _


def nav_items(user: Any) -> list[dict[str, str]]:
    return [{"label": _("家庭档案"), "url": reverse("household-list")}]


def home_tiles(user: Any) -> list[dict[str, str]]:
    return [{"label": _("查询家庭档案"), "url": reverse("household-list")}]
