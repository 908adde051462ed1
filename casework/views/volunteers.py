"""Volunteers (社工+志愿者): the street register, tasks under a social worker, hours."""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.forms import Form
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from accounts.models import Region, Role, User
from casework import forms_plans as f
from casework import selectors_plans as sel
from casework.models.volunteers import TaskStatus, VolunteerTask
from casework.services import volunteers as svc
from casework.views.plans import submit, user_of


def _street(user: User) -> Region | None:
    ok = user.region_id and len(user.region_id) == 9 and user.role in svc.VOLUNTEER_STAFF
    return user.region if ok else None


def _workers(street: Region, user: User) -> Any:
    qs = User.objects.filter(role=Role.SOCIAL_WORKER, region=street, is_active=True).order_by("username")
    return qs.filter(pk=user.pk) if user.role == Role.SOCIAL_WORKER else qs


def _task_form(user: User, street: Region, data: Any = None) -> f.VolunteerTaskForm:
    return f.VolunteerTaskForm(
        data,
        workers=_workers(street, user),
        volunteers=sel.volunteers_visible_to(user).filter(street=street, active=True),
        cases=sel.cases_for_user(user).filter(street=street).order_by("-accepted_on", "-id"),
        initial={"social_worker": user.pk} if user.role == Role.SOCIAL_WORKER else None,
    )


def _context(request: HttpRequest, bound: dict[str, Form] | None = None) -> dict[str, Any]:
    user = user_of(request)
    bound = bound or {}
    street = _street(user)
    return {
        "volunteers": sel.volunteers_visible_to(user)[:300],
        "tasks": sel.volunteer_tasks_visible_to(user).prefetch_related("volunteers")[:100],
        "street": street,
        "volunteer_form": (bound.get("volunteer") or f.VolunteerForm()) if street else None,
        "task_form": (bound.get("task") or _task_form(user, street)) if street else None,
        "open_action": next(iter(bound), ""),
    }


@login_required
def volunteers_page(request: HttpRequest) -> HttpResponse:
    return render(request, "casework/plans/volunteers.html", _context(request))


@login_required
@require_POST
def volunteers_act(request: HttpRequest, action: str) -> HttpResponse:
    user = user_of(request)
    street = _street(user)
    if street is None:
        messages.error(request, _("只有街道(乡镇)审核、审批人员和社工可以登记志愿者和派发任务。"))
        return redirect("volunteers")
    form: Form
    if action == "volunteer":
        form = f.VolunteerForm(request.POST)

        def call(cd: dict[str, Any]) -> Any:
            return svc.volunteer_register(actor=user, street=street, **cd)

        message = _("志愿者已登记。")
    elif action == "task":
        form = _task_form(user, street, request.POST)

        def call(cd: dict[str, Any]) -> Any:
            return svc.volunteer_task_create(actor=user, street=street, **{**cd, "volunteers": list(cd["volunteers"])})

        message = _("志愿服务任务已派发。")
    else:
        raise Http404
    result, status = submit(form, call)
    if status != 200:
        return render(request, "casework/plans/volunteers.html", _context(request, {action: form}), status=status)
    messages.success(request, message)
    if action == "task":
        return redirect("volunteer-task", pk=result.pk)
    return redirect("volunteers")


def _task_context(request: HttpRequest, task: VolunteerTask, form: Form | None = None) -> dict[str, Any]:
    user = user_of(request)
    may_record = task.status == TaskStatus.OPEN and (
        user.role in {Role.REVIEWER, Role.APPROVER} or task.social_worker_id == user.pk
    )
    return {
        "task": task,
        "hours": sel.hours_of(task),
        "hours_form": (form or f.VolunteerHoursForm(volunteers=task.volunteers.all())) if may_record else None,
        "may_close": may_record,
    }


@login_required
def task_page(request: HttpRequest, pk: int) -> HttpResponse:
    task = get_object_or_404(sel.volunteer_tasks_visible_to(request.user), pk=pk)
    return render(request, "casework/plans/task.html", _task_context(request, task))


@login_required
@require_POST
def task_act(request: HttpRequest, pk: int, action: str) -> HttpResponse:
    user = user_of(request)
    task = get_object_or_404(sel.volunteer_tasks_visible_to(user), pk=pk)
    if action == "hours":
        form = f.VolunteerHoursForm(request.POST, volunteers=task.volunteers.all())
        _result, status = submit(form, lambda cd: svc.volunteer_hours_record(actor=user, task=task, **cd))
        if status != 200:
            fresh = get_object_or_404(sel.volunteer_tasks_visible_to(user), pk=pk)
            return render(request, "casework/plans/task.html", _task_context(request, fresh, form), status=status)
        messages.success(request, _("服务时长已登记。"))
    elif action == "close":
        plain = Form(request.POST)
        _result, status = submit(plain, lambda cd: svc.volunteer_task_close(actor=user, task=task))
        if status != 200:
            messages.error(request, "；".join(str(e) for e in plain.non_field_errors()))
        else:
            messages.success(request, _("任务已完成。"))
    else:
        raise Http404
    return redirect("volunteer-task", pk=task.pk)
