from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class CaseworkConfig(AppConfig):
    default_auto_field = "django.db.models.BigAutoField"
    name = "casework"
    verbose_name = _("一门受理与案件办理")

    def ready(self) -> None:
        # The daily job that moves cases whose 7-day notice ended without objection to review.
        # django-celery-beat's DatabaseScheduler copies ``beat_schedule`` entries into its table.
        from celery.schedules import crontab

        from hefei_aid.celery import app

        schedule = dict(app.conf.beat_schedule or {})
        schedule.setdefault(
            "公示期满转审批(每日)",
            {"task": "casework.close_ended_notices", "schedule": crontab(minute="10", hour="0")},
        )
        app.conf.beat_schedule = schedule

        # Issue 5: audit labels of enrolment, payment rolls, re-verification and monitoring.
        from accounts.audit import register_action_labels

        register_action_labels(
            {
                "enrolment.create": "纳入保障",
                "enrolment.redecision": "重新审批(新保障期间)",
                "enrolment.import": "历史在册对象导入",
                "enrolment.bridging": "发放过渡期临时救助",
                "enrolment.close": "渐退期满停止发放",
                "payment_roll.generate": "生成发放名册",
                "payment_roll.lock": "锁定发放名册",
                "reverification.run": "发起动态复核",
                "reverification.resume": "重新派发复核分片",
                "review_task.resolve": "复核待办处理决定",
                "alert.application": "监测预警转入申请",
                "alert.dismissed": "监测预警核实关闭",
                "lead.report": "登记主动发现线索",
                "lead.follow_up": "主动发现线索跟进",
            }
        )
