"""Data: the Celery beat schedules of issue 5 (django-celery-beat, shown to supervisors on the
re-verification page) and the monitoring alert rules with their default thresholds."""

from decimal import Decimal

from django.db import migrations

TZ = "Asia/Shanghai"

# (name, task, description, schedule) — schedule: ("crontab", minute, hour, day_of_month) or ("interval", minutes)
SCHEDULES = [
    (
        "发放名册：每月1日生成本月名册",
        "casework.generate_payment_rolls",
        "每月1日02:00为每个有在保对象的街道生成本月发放名册(已生成的不重复生成，已锁定的不再改动)。",
        ("crontab", "0", "2", "1"),
    ),
    (
        "动态复核：每日到期家庭复核",
        "casework.reverification_daily",
        "每日01:30：渐退期满的停止发放；已批准未纳入的补纳入；对复核到期的家庭发起定期复核"
        "(有劳动能力成员或收入不固定的低保家庭每6个月，其他家庭和特困人员每年)。",
        ("crontab", "30", "1", "*"),
    ),
    (
        "动态复核：分片看护",
        "casework.reverification_watchdog",
        "每10分钟：重新派发处理中断(工作进程退出、租约过期)的复核分片。",
        ("interval", 10),
    ),
    (
        "监测预警：部门数据扫描与即时复核",
        "casework.monitoring_scan",
        "每15分钟：对新到的部门共享数据和家庭数据运行监测预警规则；在保家庭有新数据时发起即时复核。",
        ("interval", 15),
    ),
]

RULES = [
    (
        "high_medical_cost",
        "高额自付医疗费用",
        "医保记录近12个月个人自付医疗费用，或家庭申报的年自付医疗支出，达到阈值(元)。",
        Decimal("20000"),
        365,
    ),
    (
        "new_disability",
        "新增残疾认定",
        "残联新核发残疾人证，档案中该成员无残疾等级或等级较轻。",
        None,
        365,
    ),
    ("unemployment", "失业", "人社失业登记，或社保显示在职参保中断。", None, 365),
    (
        "income_drop",
        "收入骤降",
        "税务记录的月工资收入较上期记录(无上期时较申报)下降比例达到阈值(0.30 即 30%)。",
        Decimal("0.30"),
        365,
    ),
    (
        "rigid_over_income",
        "刚性支出超过上年收入",
        "家庭近12个月刚性支出(医疗、教育、康复)超过近12个月家庭计算收入×阈值(默认1.0倍)。",
        Decimal("1.0"),
        365,
    ),
]
SOURCE = "合肥市社会救助改革实施方案(2021) · 防止返贫/低收入人口动态监测(默认值，可由管理员调整)"


def forward(apps, schema_editor):
    CrontabSchedule = apps.get_model("django_celery_beat", "CrontabSchedule")
    IntervalSchedule = apps.get_model("django_celery_beat", "IntervalSchedule")
    PeriodicTask = apps.get_model("django_celery_beat", "PeriodicTask")
    PeriodicTasks = apps.get_model("django_celery_beat", "PeriodicTasks")
    for name, task, description, schedule in SCHEDULES:
        defaults = {"task": task, "description": description, "enabled": True, "queue": None}
        if schedule[0] == "crontab":
            _, minute, hour, day = schedule
            crontab, _created = CrontabSchedule.objects.get_or_create(
                minute=minute, hour=hour, day_of_month=day, month_of_year="*", day_of_week="*", timezone=TZ
            )
            defaults["crontab"] = crontab
        else:
            interval, _created = IntervalSchedule.objects.get_or_create(every=schedule[1], period="minutes")
            defaults["interval"] = interval
        PeriodicTask.objects.update_or_create(name=name, defaults=defaults)
    # Tell a running beat to reload its schedule.
    from django.utils import timezone

    PeriodicTasks.objects.update_or_create(ident=1, defaults={"last_update": timezone.now()})

    AlertRule = apps.get_model("casework", "AlertRule")
    for code, label, description, threshold, window in RULES:
        AlertRule.objects.update_or_create(
            code=code,
            defaults={
                "label": label,
                "description": description,
                "threshold": threshold,
                "window_days": window,
                "source": SOURCE,
                "enabled": True,
            },
        )


def backward(apps, schema_editor):
    PeriodicTask = apps.get_model("django_celery_beat", "PeriodicTask")
    PeriodicTask.objects.filter(name__in=[s[0] for s in SCHEDULES]).delete()
    apps.get_model("casework", "AlertRule").objects.filter(code__in=[r[0] for r in RULES]).delete()


class Migration(migrations.Migration):
    dependencies = [
        ("casework", "0006_enrolment_roll_triggers"),
        ("django_celery_beat", "0019_alter_periodictasks_options"),
    ]
    operations = [migrations.RunPython(forward, backward)]
