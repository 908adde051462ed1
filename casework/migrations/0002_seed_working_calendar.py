"""Seed the working calendar from ``chinesecalendar`` for every year it knows (2004–2026).

Holidays (法定节假日) and make-up working days (调休上班) come from the State Council notices the
package encodes. Later years are added by an administrator (admin → 工作日历) when published.
"""

import datetime as dt

from django.db import migrations


NAMES = {
    "New Year's Day": "元旦",
    "Spring Festival": "春节",
    "Tomb-sweeping Day": "清明节",
    "Labour Day": "劳动节",
    "Dragon Boat Festival": "端午节",
    "National Day": "国庆节",
    "Mid-autumn Festival": "中秋节",
    "Anti-Fascist 70th Day": "中国人民抗日战争胜利70周年纪念日",
}


def seed(apps, schema_editor):
    import chinese_calendar

    WorkingCalendar = apps.get_model("casework", "WorkingCalendar")
    holidays = chinese_calendar.constants.holidays
    workdays = chinese_calendar.constants.workdays
    first = min(holidays).year
    last = max(holidays).year
    rows = []
    day = dt.date(first, 1, 1)
    while day.year <= last:
        working = chinese_calendar.is_workday(day)
        if day in holidays:
            note = NAMES.get(holidays[day], "节假日")
        elif day in workdays:
            note = f"{NAMES.get(workdays[day], '')}调休上班"
        else:
            note = ""
        rows.append(WorkingCalendar(date=day, is_working_day=working, note=note[:64]))
        day += dt.timedelta(days=1)
    WorkingCalendar.objects.bulk_create(rows, batch_size=2000)


def unseed(apps, schema_editor):
    apps.get_model("casework", "WorkingCalendar").objects.all().delete()


class Migration(migrations.Migration):
    dependencies = [("casework", "0001_initial")]
    operations = [migrations.RunPython(seed, unseed)]
