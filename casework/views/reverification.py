"""Re-verification pages (动态管理): schedules (from django-celery-beat) and runs for supervisors,
review tasks for the street, the resolution form and the printable notice."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.db.models import Count, Q
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_POST
from django_celery_beat.models import PeriodicTask

from accounts.errors import BusinessError
from accounts.models import Region
from accounts.selectors import scope_prefix
from casework.models.enrolment import EnrolmentStatus
from casework.models.reverification import (
    REASON_REQUIRED,
    ReviewOutcome,
    RunKind,
    RunStatus,
    TaskStatus,
)
from casework.services import enrolment as enrolment_svc
from casework.services import reverification as svc
from casework.views.enrolment import apply_errors, error_text, staff

ISSUE5_TASKS = (
    "casework.generate_payment_rolls",
    "casework.reverification_daily",
    "casework.reverification_watchdog",
    "casework.monitoring_scan",
)


def describe_schedule(task: PeriodicTask) -> str:
    """A beat schedule in words (crontab: minute hour day-of-month; interval: every n minutes)."""
    if task.interval_id and task.interval:
        return _("每 %(n)d %(unit)s") % {"n": task.interval.every, "unit": task.interval.get_period_display()}
    c = task.crontab
    if c is None:
        return "—"
    time = (
        f"{int(c.hour):02d}:{int(c.minute):02d}" if c.hour.isdigit() and c.minute.isdigit() else f"{c.hour}:{c.minute}"
    )
    if c.day_of_month != "*":
        return _("每月%(d)s日 %(t)s") % {"d": c.day_of_month, "t": time}
    return _("每日 %(t)s") % {"t": time}


def schedules() -> list[dict[str, Any]]:
    rows = PeriodicTask.objects.filter(task__in=ISSUE5_TASKS).select_related("crontab", "interval").order_by("name")
    return [
        {
            "name": t.name,
            "task": t.task,
            "description": t.description,
            "schedule": describe_schedule(t),
            "enabled": t.enabled,
            "last_run_at": t.last_run_at,
            "total_run_count": t.total_run_count,
        }
        for t in rows
    ]


class RunForm(forms.Form):
    kind = forms.ChoiceField(
        label=gettext_lazy("复核类别"),
        choices=[(RunKind.SCHEDULED, RunKind.SCHEDULED.label), (RunKind.FULL, RunKind.FULL.label)],
    )
    scope = forms.ModelChoiceField(queryset=Region.objects.none(), label=gettext_lazy("范围"))
    as_of = forms.DateField(label=gettext_lazy("核对基准日"), widget=forms.DateInput(attrs={"type": "date"}))

    def __init__(self, *args: Any, user: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        prefix = scope_prefix(user) or ""
        regions = Region.objects.filter(code__startswith=prefix, level__in=[Region.Level.COUNTY, Region.Level.STREET])
        field = self.fields["scope"]
        assert isinstance(field, forms.ModelChoiceField)
        field.queryset = regions.order_by("code")


@login_required
def reverification_home(request: HttpRequest) -> HttpResponse:
    user = staff(request)
    today = timezone.localdate()
    enrolments = enrolment_svc.enrolments_visible_to(user).filter(status=EnrolmentStatus.ACTIVE)
    due = enrolments.aggregate(
        due_now=Count("pk", filter=Q(next_review_due__lte=today)),
        due_30=Count("pk", filter=Q(next_review_due__gt=today, next_review_due__lte=today + dt.timedelta(days=30))),
        every_6=Count("pk", filter=Q(review_interval_months=6)),
        every_12=Count("pk", filter=Q(review_interval_months=12)),
        total=Count("pk"),
    )
    runs = Paginator(svc.runs_visible_to(user), 20).get_page(request.GET.get("page"))
    can_run = user.role in svc.RUN_ROLES or user.is_superuser
    form = RunForm(user=user, initial={"as_of": today, "kind": RunKind.SCHEDULED}) if can_run else None
    return render(
        request,
        "casework/reverification/home.html",
        {
            "schedules": schedules(),
            "due": due,
            "page_obj": runs,
            "form": form,
            "today": today,
            "open_tasks": svc.review_tasks_visible_to(user).filter(status=TaskStatus.OPEN).count(),
        },
    )


@login_required
@require_POST
def run_start(request: HttpRequest) -> HttpResponse:
    user = staff(request)
    form = RunForm(request.POST, user=user)
    if not form.is_valid():
        messages.error(request, "；".join(str(e) for errors in form.errors.values() for e in errors))
        return redirect("reverification-home")
    try:
        run = svc.reverification_run_create(
            kind=form.cleaned_data["kind"],
            as_of=form.cleaned_data["as_of"],
            actor=user,
            scope_code=form.cleaned_data["scope"].code,
            trigger=_("%(who)s 手动发起") % {"who": user.display_name},
        )
    except (ValidationError, BusinessError) as exc:
        messages.error(request, error_text(exc))
        return redirect("reverification-home")
    messages.success(
        request, _("已发起复核：%(n)d 户，%(c)d 个分片。") % {"n": run.households_total, "c": run.chunks_total}
    )
    return redirect("reverification-run", run.pk)


@login_required
def run_detail(request: HttpRequest, pk: int) -> HttpResponse:
    user = staff(request)
    run = get_object_or_404(svc.runs_visible_to(user), pk=pk)
    return render(
        request,
        "casework/reverification/run.html",
        {
            "run": run,
            "chunks": run.chunks.order_by("seq")[:500],
            "can_resume": (user.role in svc.RUN_ROLES or user.is_superuser) and run.status != RunStatus.DONE,
            "tasks": svc.review_tasks_visible_to(user).filter(run=run).count(),
        },
    )


@login_required
@require_POST
def run_resume(request: HttpRequest, pk: int) -> HttpResponse:
    user = staff(request)
    run = get_object_or_404(svc.runs_visible_to(user), pk=pk)
    try:
        ids = svc.reverification_run_resume(run=run, actor=user)
    except (ValidationError, BusinessError) as exc:
        messages.error(request, error_text(exc))
    else:
        messages.success(request, _("已重新派发 %(n)d 个分片。") % {"n": len(ids)})
    return redirect("reverification-run", run.pk)


# --- review tasks -----------------------------------------------------------------------------------


@login_required
def task_list(request: HttpRequest) -> HttpResponse:
    user = staff(request)
    status = request.GET.get("status", TaskStatus.OPEN)
    qs = svc.review_tasks_visible_to(user)
    if status in TaskStatus.values:
        qs = qs.filter(status=status)
    outcome = request.GET.get("proposed", "")
    if outcome in ReviewOutcome.values:
        qs = qs.filter(proposed_outcome=outcome)
    qs = qs.prefetch_related("household__members").order_by("-created_at", "-id")
    page = Paginator(qs, 50).get_page(request.GET.get("page"))
    return render(
        request,
        "casework/reverification/tasks.html",
        {"page_obj": page, "status": status, "proposed": outcome, "outcomes": ReviewOutcome.choices},
    )


class ResolveForm(forms.Form):
    outcome = forms.ChoiceField(label=gettext_lazy("处理结果"), choices=ReviewOutcome.choices)
    monthly_amount = forms.DecimalField(
        label=gettext_lazy("新月救助金(元)"),
        required=False,
        max_digits=14,
        decimal_places=2,
        min_value=Decimal("0"),
        help_text=gettext_lazy("提高/降低时填写；留空则按系统复核测算金额。"),
    )
    reason = forms.CharField(
        label=gettext_lazy("理由(降低、停止、渐退必填)"),
        required=False,
        max_length=1000,
        widget=forms.Textarea(attrs={"rows": 3}),
    )

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        if data.get("outcome") in REASON_REQUIRED and len((data.get("reason") or "").strip()) < 4:
            self.add_error("reason", _("降低、停止救助或渐退须填写书面理由(至少4个字)。"))
        return data


def _task_context(request: HttpRequest, task: Any, form: ResolveForm | None) -> dict[str, Any]:
    user = staff(request)
    can_resolve = task.status == TaskStatus.OPEN and (user.role in svc.RESOLVE_ROLES or user.is_superuser)
    return {
        "task": task,
        "enrolment": task.enrolment,
        "form": (form or ResolveForm(initial={"outcome": task.proposed_outcome, "monthly_amount": task.new_amount}))
        if can_resolve
        else None,
        "reason_required": sorted(REASON_REQUIRED),
    }


@login_required
def task_detail(request: HttpRequest, pk: int) -> HttpResponse:
    user = staff(request)
    task = get_object_or_404(svc.review_tasks_visible_to(user), pk=pk)
    if request.method == "POST":
        form = ResolveForm(request.POST)
        if form.is_valid():
            cd = form.cleaned_data
            try:
                svc.review_task_resolve(
                    actor=user,
                    task=task,
                    outcome=cd["outcome"],
                    reason=cd.get("reason") or "",
                    monthly_amount=cd.get("monthly_amount")
                    if cd["outcome"] in {ReviewOutcome.RAISE, ReviewOutcome.LOWER}
                    else None,
                )
            except ValidationError as exc:
                apply_errors(form, exc)
            except BusinessError as exc:
                form.add_error(None, exc.message)
            else:
                messages.success(request, _("复核待办已处理，请打印通知书送达家庭。"))
                return redirect("review-task-detail", task.pk)
        return render(request, "casework/reverification/task.html", _task_context(request, task, form), status=400)
    return render(request, "casework/reverification/task.html", _task_context(request, task, None))


@login_required
def task_notice(request: HttpRequest, pk: int) -> HttpResponse:
    user = staff(request)
    task = get_object_or_404(svc.review_tasks_visible_to(user).filter(status=TaskStatus.RESOLVED), pk=pk)
    county = Region.objects.filter(code=task.street_id[:6]).first()
    head = task.household.head
    return render(
        request,
        "casework/reverification/notice.html",
        {
            "task": task,
            "county": county,
            "head": head,
            "review_days": 60,
            "lawsuit_months": 6,
            "parameters": (task.evaluation or {}).get("parameters_used", []),
        },
    )
