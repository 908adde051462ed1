from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class CharityConfig(AppConfig):
    default_auto_field = "django.db.models.BigAutoField"
    name = "charity"
    verbose_name = _("慈善救助衔接")

    def ready(self) -> None:
        from accounts.audit import register_action_labels

        register_action_labels(
            {
                "charity.fund_create": "设立慈善救助基金",
                "charity.donation": "登记捐赠",
                "charity.transfer": "基金调拨",
                "charity.reverse": "冲销凭证",
                "charity.ledger_post": "记账",
                "charity.handoff_refer": "转介慈善救助",
                "charity.handoff_accept": "受理慈善转介",
                "charity.handoff_decline": "不予慈善资助",
                "charity.handoff_withdraw": "撤回慈善转介",
                "charity.handoff_approve": "批准慈善资助",
                "charity.handoff_cancel": "撤销慈善资助",
                "charity.handoff_pay": "支付慈善资助款",
                "charity.handoff_close": "慈善衔接结案",
                "charity.handoff_reverse_payment": "冲销慈善资助支付",
            }
        )
