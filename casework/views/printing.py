"""Printable documents: acceptance notice (受理通知书), public notice (公示), decision / refusal notices."""

from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, render
from django.utils import timezone

from accounts.models import Region
from casework import selectors
from casework.models import CaseStatus, Decision, Outcome, PublicNotice

ADMINISTRATIVE_REVIEW_DAYS = 60
LAWSUIT_MONTHS = 6


def _county(code: str) -> Region | None:
    return Region.objects.filter(code=code[:6]).first()


@login_required
def acceptance_notice(request: HttpRequest, pk: int) -> HttpResponse:
    case = get_object_or_404(selectors.cases_visible_to(request.user), pk=pk)
    return render(
        request,
        "casework/print/acceptance.html",
        {"case": case, "application": case.application, "county": _county(case.street_id)},
    )


@login_required
def notice_print(request: HttpRequest, pk: int) -> HttpResponse:
    case = get_object_or_404(selectors.cases_visible_to(request.user), pk=pk)
    notice = case.notices.order_by("-id").first()
    if notice is None:
        raise Http404
    return render(request, "casework/print/notice.html", {"notices": [notice], "street": case.street, "case": case})


@login_required
def notice_board(request: HttpRequest) -> HttpResponse:
    """Every notice running today in the user's area, grouped by community — one sheet to post."""
    today = timezone.localdate()
    visible = selectors.cases_visible_to(request.user).filter(status=CaseStatus.NOTICE).values("pk")
    notices = (
        PublicNotice.objects.filter(case__in=visible, closed_at__isnull=True, starts_on__lte=today, ends_on__gte=today)
        .select_related("case", "case__street")
        .order_by("community_name", "id")
    )
    return render(request, "casework/print/notice.html", {"notices": notices, "street": None, "board": True})


@login_required
def decision_print(request: HttpRequest, pk: int) -> HttpResponse:
    case = get_object_or_404(selectors.cases_visible_to(request.user), pk=pk)
    decision = get_object_or_404(Decision.objects.select_related("decided_by"), case=case)
    template = "casework/print/decision.html" if decision.outcome == Outcome.APPROVED else "casework/print/refusal.html"
    county = _county(case.street_id)
    return render(
        request,
        template,
        {
            "case": case,
            "decision": decision,
            "county": county,
            "review_days": ADMINISTRATIVE_REVIEW_DAYS,
            "lawsuit_months": LAWSUIT_MONTHS,
            "parameters": (decision.evaluation or {}).get("parameters_used", []),
        },
    )
