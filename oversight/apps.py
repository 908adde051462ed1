from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class OversightConfig(AppConfig):
    """County/city supervision: dashboard, monthly reports and the department data interface."""

    default_auto_field = "django.db.models.BigAutoField"
    name = "oversight"
    verbose_name = _("监督指导与统计")
