"""Data: beat schedule of the economic-check sweep (a check whose Celery message was lost is re-sent)."""

from django.db import migrations

NAME = "家庭经济状况核对：补发未送达的核对任务"
TASK = "casework.resend_stuck_checks"
DESCRIPTION = "每10分钟：已受理核对但10分钟内无工作进程开始处理(消息队列曾不可用)的核对任务重新派发。"


def forward(apps, schema_editor):
    from django.utils import timezone

    IntervalSchedule = apps.get_model("django_celery_beat", "IntervalSchedule")
    PeriodicTask = apps.get_model("django_celery_beat", "PeriodicTask")
    PeriodicTasks = apps.get_model("django_celery_beat", "PeriodicTasks")
    interval, _created = IntervalSchedule.objects.get_or_create(every=10, period="minutes")
    PeriodicTask.objects.update_or_create(
        name=NAME,
        defaults={"task": TASK, "description": DESCRIPTION, "enabled": True, "queue": None, "interval": interval},
    )
    PeriodicTasks.objects.update_or_create(ident=1, defaults={"last_update": timezone.now()})


def backward(apps, schema_editor):
    apps.get_model("django_celery_beat", "PeriodicTask").objects.filter(name=NAME).delete()


class Migration(migrations.Migration):
    dependencies = [
        ("casework", "0008_spot_checks"),
        ("django_celery_beat", "0019_alter_periodictasks_options"),
    ]

    operations = [migrations.RunPython(forward, backward)]
