from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.views.decorators.http import require_POST

from accounts.api import staff_user
from accounts.errors import BusinessError
from accounts.hooks import collect
from accounts.models import AuditLog
from accounts.selectors import streets_visible_to
from applications import selectors, services
from applications.models import Member


@login_required
def household_list(request: HttpRequest) -> HttpResponse:
    qs = selectors.households_visible_to(request.user)
    q = request.GET.get("q", "")
    street = request.GET.get("street", "")
    qs = selectors.household_search(qs, q)
    if street:
        qs = qs.filter(street_id=street)
    page = Paginator(qs.order_by("-id"), 25).get_page(request.GET.get("page"))
    return render(
        request,
        "applications/household_list.html",
        {"page_obj": page, "q": q, "street": street, "streets": streets_visible_to(request.user)},
    )


def _detail_context(request: HttpRequest, pk: int) -> dict[str, object]:
    household = get_object_or_404(selectors.households_visible_to(request.user), pk=pk)
    member_ids = [str(m.pk) for m in household.members.all()]
    audit_rows = AuditLog.objects.filter(object_type="applications.household", object_id=str(household.pk)) | (
        AuditLog.objects.filter(object_type="applications.member", object_id__in=member_ids)
    )
    return {
        "household": household,
        "audit_rows": audit_rows.order_by("-at")[:50],
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
