"""Printable reports and their .xlsx exports: the fund statement, grants by street and need type."""

from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, render
from django.utils.translation import gettext as _

from accounts.api import staff_user
from accounts.models import Region
from accounts.selectors import scope_prefix
from charity import reports, selectors
from charity.forms import period_from

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def _xlsx(content: bytes, filename: str) -> HttpResponse:
    response = HttpResponse(content, content_type=XLSX)
    response["Content-Disposition"] = f"attachment; filename*=UTF-8''{filename}"
    return response


@login_required
def statement(request: HttpRequest, pk: int) -> HttpResponse:
    user = staff_user(request)
    fund = get_object_or_404(selectors.funds_visible_to(user), pk=pk)
    form, start, end = period_from(request.GET)
    result = reports.fund_statement(fund, start, end)
    if request.GET.get("format") == "xlsx":
        return _xlsx(reports.statement_xlsx(result), f"fund-{fund.pk}-statement-{start}-{end}.xlsx")
    return render(request, "charity/statement.html", {"fund": fund, "form": form, "s": result})


@login_required
def grants_report(request: HttpRequest) -> HttpResponse:
    user = staff_user(request)
    form, start, end = period_from(request.GET)
    result = reports.grants_by_street_and_need(selectors.handoffs_visible_to(user), start, end)
    prefix = scope_prefix(user) or ""
    region = Region.objects.filter(code=prefix).first() if prefix else None
    scope_name = region.name if region else _("合肥市")
    if request.GET.get("format") == "xlsx":
        return _xlsx(reports.grants_xlsx(result, scope_name), f"charity-grants-{start}-{end}.xlsx")
    return render(request, "charity/grants_report.html", {"form": form, "r": result, "scope_name": scope_name})
