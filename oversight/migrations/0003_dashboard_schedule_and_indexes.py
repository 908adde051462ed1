"""Data: the beat schedule that refreshes the dashboard figures, and indexes for its drill-down lists.

The indexes are on casework tables (the period filters of the drill-down lists: cases received or
decided in a month range); ``IF NOT EXISTS`` so a database that already has them is left alone.
"""

from django.db import migrations

TASK_NAME = "监督看板：刷新统计数据"
TASK = "oversight.refresh_figures"

INDEXES = [
    ("oversight_case_accepted_on", "casework_case", "(accepted_on)"),
    ("oversight_case_closed_on", "casework_case", "(closed_on) WHERE closed_on IS NOT NULL"),
    ("oversight_task_resolved_on", "casework_reviewtask", "(resolved_on) WHERE resolved_on IS NOT NULL"),
]


def forward(apps, schema_editor):
    IntervalSchedule = apps.get_model("django_celery_beat", "IntervalSchedule")
    PeriodicTask = apps.get_model("django_celery_beat", "PeriodicTask")
    PeriodicTasks = apps.get_model("django_celery_beat", "PeriodicTasks")
    interval, _created = IntervalSchedule.objects.get_or_create(every=15, period="minutes")
    PeriodicTask.objects.update_or_create(
        name=TASK_NAME,
        defaults={
            "task": TASK,
            "interval": interval,
            "enabled": True,
            "queue": None,
            "description": "每15分钟重算县级/市级监督看板的汇总统计(在保、受理、审批、支出、逾期、复核、预警)。",
        },
    )
    from django.utils import timezone

    PeriodicTasks.objects.update_or_create(ident=1, defaults={"last_update": timezone.now()})


def backward(apps, schema_editor):
    apps.get_model("django_celery_beat", "PeriodicTask").objects.filter(name=TASK_NAME).delete()


class Migration(migrations.Migration):
    dependencies = [
        ("oversight", "0002_dashboard_summary"),
        ("casework", "0007_beat_schedules_and_alert_rules"),
        ("django_celery_beat", "0019_alter_periodictasks_options"),
    ]
    operations = [
        migrations.RunPython(forward, backward),
        *[
            migrations.RunSQL(
                f"CREATE INDEX IF NOT EXISTS {name} ON {table} {columns}",
                f"DROP INDEX IF EXISTS {name}",
            )
            for name, table, columns in INDEXES
        ],
    ]
