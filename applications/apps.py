from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class ApplicationsConfig(AppConfig):
    default_auto_field = "django.db.models.BigAutoField"
    name = "applications"
    verbose_name = _("救助申请与家庭")

    def ready(self) -> None:
        from accounts.audit import register_action_labels

        register_action_labels(
            {
                "household.create": "建立家庭档案",
                "household.update": "修改家庭信息",
                "member.add": "增加家庭成员",
                "member.update": "修改成员信息",
                "member.deactivate": "成员移出家庭",
                "member.reveal_id": "查看完整身份证号",
            }
        )
