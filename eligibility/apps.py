from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class EligibilityConfig(AppConfig):
    default_auto_field = "django.db.models.BigAutoField"
    name = "eligibility"
    verbose_name = _("资格认定")

    def ready(self) -> None:
        from accounts.audit import register_action_labels

        register_action_labels({"parameter.add": "新增政策参数取值", "parameter.update": "更正未生效的参数取值"})
