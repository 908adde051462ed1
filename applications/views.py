from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.core.paginator import Page, Paginator
from django.db.models import Model, QuerySet
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.views.decorators.http import require_POST

from accounts.api import staff_user
from accounts.errors import BusinessError
from accounts.hooks import collect
from accounts.labels import choice_labels
from accounts.selectors import STREET_CODE_LENGTH, scope_prefix, streets_visible_to
from applications import selectors, services
from applications.models import Household, IncomeItem, Member

HOUSEHOLDS_PER_PAGE = 25


def _household_page(qs: QuerySet[Household], number: str | None) -> Page:
    """``Paginator(qs, 25).get_page(number)``, the same page, without the COUNT when the first page
    is asked for and the result fits on it (a search's usual answer): one query of 26 rows tells
    both which rows and how many there are."""
    paginator = Paginator(qs, HOUSEHOLDS_PER_PAGE)
    if number in (None, "1"):
        rows = list(qs[: HOUSEHOLDS_PER_PAGE + 1])
        if len(rows) <= HOUSEHOLDS_PER_PAGE:
            paginator.count = len(rows)  # a cached_property, known here without a query
        rows, page_number = rows[:HOUSEHOLDS_PER_PAGE], 1
    else:
        page = paginator.get_page(number)
        rows, page_number = list(page.object_list), page.number
    selectors.household_list_load(rows)
    return Page(rows, page_number, paginator)


def _street_choices(user: Any) -> Any:
    """The street filter's options: none for a user inside one street (the template shows the filter
    only for more than one), so a street's staff do not pay a query for it on every search."""
    prefix = scope_prefix(user)
    if prefix is not None and len(prefix) >= STREET_CODE_LENGTH:
        return []
    return streets_visible_to(user)


@login_required
def household_list(request: HttpRequest) -> HttpResponse:
    q = request.GET.get("q", "")
    street = request.GET.get("street", "")
    qs = selectors.household_search(selectors.household_list_rows(request.user), q)
    if street:
        qs = qs.filter(street_id=street)
    return render(
        request,
        "applications/household_list.html",
        {
            "page_obj": _household_page(qs.order_by("-id"), request.GET.get("page")),
            "q": q,
            "street": street,
            "streets": _street_choices(request.user),
        },
    )


def _display(model: type[Model], field: str, value: Any) -> Any:
    """What ``instance.get_<field>_display()`` returns for ``value`` (from the per-language table of
    ``accounts.labels``: Django's method translates every label of the field's choices on each call,
    thirteen for an income kind)."""
    labels = choice_labels((model, field), lambda: model._meta.get_field(field).flatchoices)  # type: ignore[union-attr]
    return labels.get(value, value)


def _member_rows(household: Household) -> list[dict[str, Any]]:
    """The member table: each active member (``m``) with the labels of its coded columns."""
    return [
        {
            "m": m,
            "relation": _display(Member, "relation", m.relation),
            "sex": _display(Member, "sex", m.sex),
            "excluded": _display(Member, "excluded", m.excluded),
            "disability_kind": _display(Member, "disability_kind", m.disability_kind),
            "work_capacity": _display(Member, "work_capacity", m.work_capacity),
            "incomes": [(_display(IncomeItem, "kind", i.kind), i.monthly) for i in m.incomes.all()],
        }
        for m in household.members.all()
    ]


def _detail_context(request: HttpRequest, pk: int) -> dict[str, object]:
    household = selectors.household_page_load(get_object_or_404(selectors.household_page_queryset(request.user), pk=pk))
    return {
        "household": household,
        "member_rows": _member_rows(household),
        "audit_rows": selectors.household_audit_rows(household),
        "extra_panels": collect("household_panels", request, household),
        "can_reveal": request.user.is_superuser or getattr(request.user, "can_reveal_ids", False),
    }


@login_required
def household_detail(request: HttpRequest, pk: int) -> HttpResponse:
    return render(request, "applications/household_detail.html", _detail_context(request, pk))


@login_required
@require_POST
def member_reveal(request: HttpRequest, pk: int) -> HttpResponse:
    visible = selectors.households_visible_to(request.user).values("pk")
    member = get_object_or_404(Member.objects.filter(household__in=visible).select_related("household"), pk=pk)
    try:
        number = services.member_reveal_id(
            actor=staff_user(request), member=member, reason=request.POST.get("reason", "")
        )
    except ValidationError as exc:
        messages.error(request, "；".join(exc.messages))
        return redirect("household-detail", pk=member.household_id)
    except BusinessError as exc:
        messages.error(request, exc.message)
        return redirect("household-detail", pk=member.household_id)
    context = _detail_context(request, member.household_id)
    context["revealed"] = (member.pk, number)
    return render(request, "applications/household_detail.html", context)
