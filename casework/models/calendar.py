"""China's official working-day calendar (DOMAIN §6), as data an administrator can extend."""

from __future__ import annotations

from django.db import models
from django.utils.translation import gettext_lazy as _


class WorkingCalendar(models.Model):
    """One row per date of a published year: holidays (节假日) and make-up working days (调休) included.

    Seeded by migration 0002 from ``chinesecalendar`` (2004–2026). An administrator adds each later
    year when the State Council publishes it; a date with no row is treated as a plain weekday and
    every deadline reaching it is marked provisional.
    """

    date = models.DateField(_("日期"), primary_key=True)
    is_working_day = models.BooleanField(_("工作日"))
    note = models.CharField(_("说明"), max_length=64, blank=True, default="")

    class Meta:
        verbose_name = _("工作日历")
        verbose_name_plural = _("工作日历")
        ordering = ["date"]

    def __str__(self) -> str:
        return f"{self.date:%Y-%m-%d} {'班' if self.is_working_day else '休'} {self.note}".strip()
