"""Pages of the monthly statistics report (printable page + Excel) and the department query log.

Who sees what (scoped by ``accounts.selectors``; a region outside the user's area is a 404):
- city administrators: the whole city (one row per county), or a chosen county (one row per street);
- county supervisors: their county, one row per street;
- street clerks, reviewers and approvers: their own street's row only (the street fills in its part
  of the county report);
- social workers and charity officers: 403 (they do not handle the statistics).
The department query log: supervisors (their county) and administrators only.
"""

from __future__ import annotations

import datetime as dt

from django import forms
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from accounts.models import STREET_ROLES, Region, Role, User
from accounts.selectors import scope_prefix, streets_visible_to
from casework.models.enrolment import add_months, month_start
from oversight import departments, reports

REPORT_ROLES = frozenset({Role.SUPERVISOR, Role.ADMIN, Role.CLERK, Role.REVIEWER, Role.APPROVER})


def _staff(request: HttpRequest) -> User:
    user = request.user
    if not isinstance(user, User):
        raise PermissionDenied
    return user


class ReportForm(forms.Form):
    month = forms.CharField(
        label=gettext_lazy("统计月份"), required=False, widget=forms.DateInput(attrs={"type": "month"})
    )
    county = forms.ChoiceField(label=gettext_lazy("县(市、区)"), required=False)
    street = forms.ChoiceField(label=gettext_lazy("街道(乡镇)"), required=False)

    def __init__(self, *args: object, user: User, **kwargs: object) -> None:
        super().__init__(*args, **kwargs)  # type: ignore[arg-type]
        prefix = scope_prefix(user) or ""
        counties = Region.objects.filter(level=Region.Level.COUNTY, code__startswith=prefix[:6])
        county_field = self.fields["county"]
        assert isinstance(county_field, forms.ChoiceField)
        if len(prefix) < 6:
            county_field.choices = [("", _("全市(按县区汇总)")), *((c.code, c.name) for c in counties)]
        else:
            county_field.choices = [(c.code, c.name) for c in counties]
            county_field.widget = forms.HiddenInput()
        street_field = self.fields["street"]
        assert isinstance(street_field, forms.ChoiceField)
        streets = streets_visible_to(user)
        chosen = str(self.data.get("county") or "") if self.is_bound else ""
        if chosen:
            streets = streets.filter(code__startswith=chosen)
        street_field.choices = [("", _("全部街道(乡镇)")), *((s.code, s.name) for s in streets)]
        if len(prefix) >= 9:
            street_field.widget = forms.HiddenInput()

    def clean_month(self) -> dt.date:
        raw = (self.cleaned_data.get("month") or "").strip()
        if not raw:
            return add_months(month_start(timezone.localdate()), -1)
        try:
            year, month = (int(x) for x in raw.split("-")[:2])
            return dt.date(year, month, 1)
        except ValueError:
            raise forms.ValidationError(_("请输入有效的月份(YYYY-MM)。")) from None


def _report(request: HttpRequest) -> tuple[reports.MonthlyReport, ReportForm, User]:
    user = _staff(request)
    if not (user.is_superuser or user.role in REPORT_ROLES):
        raise PermissionDenied(_("您的岗位不能查看统计月报。"))
    prefix = scope_prefix(user)
    if prefix is None:
        raise PermissionDenied(_("您的账号未设置所属区划。"))
    data = request.GET.copy()
    if not data.get("month"):
        data["month"] = f"{add_months(month_start(timezone.localdate()), -1):%Y-%m}"
    if len(prefix) >= 6 and not data.get("county"):
        data["county"] = prefix[:6]
    if len(prefix) >= 9 and not data.get("street"):
        data["street"] = prefix[:9]
    form = ReportForm(data, user=user)
    form.is_valid()
    if "county" in form.errors or "street" in form.errors:
        raise Http404  # a county or street outside the user's area is not among the choices
    month = form.cleaned_data.get("month") or add_months(month_start(timezone.localdate()), -1)
    county_code = form.cleaned_data.get("county") or ""
    street_code = form.cleaned_data.get("street") or ""
    county_code = county_code or street_code[:6]  # a street chosen without its county
    if county_code:
        region = Region.objects.select_related("parent").get(code=county_code)
    else:
        region = Region.objects.get(level=Region.Level.CITY, code=prefix[:4] or "3401")
    rows_for, _len = reports.row_regions(region, list(streets_visible_to(user)))
    street_only = user.role in STREET_ROLES
    if street_code:
        if region.level != Region.Level.COUNTY or not street_code.startswith(region.code):
            raise Http404
        rows_for = [s for s in rows_for if s.code == street_code]
        street_only = True
    report = reports.monthly_report(region=region, month=month, rows_for=rows_for, street_only=street_only)
    return report, form, user


def _footer(report: reports.MonthlyReport, user: User) -> reports.ReportFooter:
    if report.street_only and report.rows:
        unit = report.rows[0].name
    else:
        unit = _("%(r)s民政局") % {"r": report.region.name}
    return reports.ReportFooter(unit=unit, preparer=user.display_name, prepared_on=timezone.localdate())


@login_required
def monthly_report_page(request: HttpRequest) -> HttpResponse:
    report, form, user = _report(request)
    query = request.GET.urlencode()
    return render(
        request,
        "oversight/report_monthly.html",
        {
            "report": report,
            "form": form,
            "groups": reports.COLUMN_GROUPS,
            "columns": reports.COLUMNS,
            "footer": _footer(report, user),
            "query": query,
        },
    )


@login_required
def monthly_report_xlsx(request: HttpRequest) -> HttpResponse:
    report, _form, user = _report(request)
    body = reports.report_xlsx(report, _footer(report, user))
    response = HttpResponse(body, content_type="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet")
    response["Content-Disposition"] = f'attachment; filename="{reports.report_filename(report, "xlsx")}"'
    return response


@login_required
def department_query_log(request: HttpRequest) -> HttpResponse:
    user = _staff(request)
    if not (user.is_superuser or user.role in departments.LOG_ROLES):
        raise PermissionDenied(_("只有县级民政监督和系统管理员可以查看部门查询日志。"))
    logs = departments.query_logs_visible_to(user)
    client = request.GET.get("client", "").strip()
    if client:
        logs = logs.filter(client__code=client)
    page = Paginator(logs, 50).get_page(request.GET.get("page"))
    clients = sorted({(c, n) for c, n in logs.values_list("client__code", "client__name").distinct()})
    return render(
        request,
        "oversight/report_department_queries.html",
        {"page_obj": page, "clients": clients, "client": client},
    )
