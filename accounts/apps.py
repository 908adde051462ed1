from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class AccountsConfig(AppConfig):
    default_auto_field = "django.db.models.BigAutoField"
    name = "accounts"
    verbose_name = _("机构、人员与审计")

    def ready(self) -> None:
        # Issue 8: expired Idempotency-Key rows are deleted daily (django-celery-beat copies this entry).
        from celery.schedules import crontab

        from accounts import signals  # noqa: F401  (issue 8 security: login/lockout/disable receivers)
        from hefei_aid.celery import app

        schedule = dict(app.conf.beat_schedule or {})
        schedule.setdefault(
            "清理过期幂等键(每日)",
            {"task": "accounts.purge_idempotency_keys", "schedule": crontab(minute="40", hour="3")},
        )
        app.conf.beat_schedule = schedule
