from django import template
from django.utils.translation import gettext_lazy as _

register = template.Library()

TIER_LABELS = {
    "tekun": _("特困供养"),
    "dibao": _("最低生活保障"),
    "low_income": _("低收入家庭"),
    "expenditure_hardship": _("支出型困难家庭"),
    "emergency": _("急难/临时救助"),
    "none": _("不符合救助条件"),
}


@register.filter
def tier_label(code: str) -> str:
    """Chinese name of a tier code of the evaluation contract."""
    return str(TIER_LABELS.get(code, code))
