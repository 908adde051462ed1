"""Stranded persons register (生活无着的流浪乞讨人员): list, register, and the tracked record."""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.forms import Form
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from accounts.models import Region, User
from casework import forms_plans as f
from casework import selectors_plans as sel
from casework.models.stranded import STRANDED_CLOSED, STRANDED_STAFF, STRANDED_TRANSITIONS, StrandedPerson
from casework.services import stranded as svc
from casework.views.plans import submit, user_of


def _street(user: User) -> Region | None:
    return user.region if user.region_id and len(user.region_id) == 9 and user.role in STRANDED_STAFF else None


def _list_context(request: HttpRequest, form: Form | None = None) -> dict[str, Any]:
    user = user_of(request)
    tab = request.GET.get("tab", "open")
    people = sel.stranded_visible_to(user)
    if tab == "open":
        people = people.exclude(status__in=list(STRANDED_CLOSED))
    street = _street(user)
    return {
        "people": people[:200],
        "tab": tab,
        "tabs": {"open": _("救助中"), "all": _("全部")},
        "street": street,
        "form": (form or f.StrandedForm()) if street is not None else None,
    }


@login_required
def stranded_list(request: HttpRequest) -> HttpResponse:
    return render(request, "casework/plans/stranded_list.html", _list_context(request))


@login_required
@require_POST
def stranded_create(request: HttpRequest) -> HttpResponse:
    user = user_of(request)
    street = _street(user)
    if street is None:
        messages.error(request, _("只有街道(乡镇)工作人员可以登记。"))
        return redirect("stranded-list")
    form = f.StrandedForm(request.POST)
    person, status = submit(form, lambda cd: svc.stranded_register(actor=user, street=street, **cd))
    if status != 200:
        return render(request, "casework/plans/stranded_list.html", _list_context(request, form), status=status)
    messages.success(request, _("已登记，请及时提供临时救助。"))
    return redirect("stranded-detail", pk=person.pk)


def _detail_context(
    request: HttpRequest, person: StrandedPerson, bound: dict[str, Form] | None = None
) -> dict[str, Any]:
    user = user_of(request)
    bound = bound or {}
    steps = [
        (step, bound.get(step.action) or f.StrandedActForm(prefix=step.action))
        for _to, step in STRANDED_TRANSITIONS.get(person.status, {}).items()
        if user.role in step.roles
    ]
    return {
        "person": person,
        "helps": person.helps.select_related("given_by"),
        "events": person.events.select_related("actor"),
        "steps": steps,
        "help_form": (bound.get("help") or f.StrandedHelpForm())
        if person.is_open and user.role in STRANDED_STAFF
        else None,
        "open_action": next(iter(bound), ""),
    }


@login_required
def stranded_detail(request: HttpRequest, pk: int) -> HttpResponse:
    person = get_object_or_404(sel.stranded_visible_to(request.user), pk=pk)
    return render(request, "casework/plans/stranded_detail.html", _detail_context(request, person))


@login_required
@require_POST
def stranded_act(request: HttpRequest, pk: int, action: str) -> HttpResponse:
    user = user_of(request)
    person = get_object_or_404(sel.stranded_visible_to(user), pk=pk)
    form: Form
    if action == "help":
        form = f.StrandedHelpForm(request.POST)

        def call(cd: dict[str, Any]) -> Any:
            return svc.stranded_help_record(actor=user, person=person, **cd)

        message = _("临时救助已登记。")
    elif action in {s.action for steps in STRANDED_TRANSITIONS.values() for s in steps.values()}:
        form = f.StrandedActForm(request.POST, prefix=action)

        def call(cd: dict[str, Any]) -> Any:
            return svc.stranded_transition(actor=user, person=person, action=action, **cd)

        message = _("状态已更新。")
    else:
        raise Http404
    _result, status = submit(form, call)
    if status != 200:
        fresh = get_object_or_404(sel.stranded_visible_to(user), pk=pk)
        context = _detail_context(request, fresh, {action: form})
        return render(request, "casework/plans/stranded_detail.html", context, status=status)
    messages.success(request, message)
    return redirect("stranded-detail", pk=person.pk)
