"""Hand-off pages: the overview, the list, referring a case, a hand-off with its timeline and actions."""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.db.models import Count
from django.http import FileResponse, Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from accounts.api import staff_user
from accounts.errors import BusinessError
from accounts.models import Role, User
from casework.selectors import cases_visible_to
from charity import selectors
from charity.forms import ACTION_FORMS, ReferralForm, apply_errors
from charity.models import ACTIONS, OPEN_STATUSES, REFERRER_ROLES, FundKind, HandOff, HandOffStatus, next_steps
from charity.services import grants, handoffs

COUNTY_ROLES = frozenset({Role.CHARITY, Role.SUPERVISOR, Role.ADMIN})


def action_forms(handoff: HandOff, user: User, bound: dict[str, Any] | None = None) -> list[dict[str, Any]]:
    """One form per step the user may take now: the page's buttons come from the transition table."""
    bound = bound or {}
    result = []
    for _target, step in next_steps(handoff.status, user.role):
        form_class = ACTION_FORMS[step.action]
        form = bound.get(step.action)
        if form is None:
            initial = {"amount": handoff.amount_asked} if step.action == "approve" else None
            form = form_class(initial=initial, prefix=step.action)
        result.append(
            {
                "action": step.action,
                "label": step.label,
                "form": form,
                "open": step.action in bound,
                "danger": step.action in {"decline", "cancel", "withdraw"},
            }
        )
    return result


def _status_counts(user: User) -> list[tuple[str, str, int]]:
    counts = dict(
        selectors.handoffs_visible_to(user)
        .order_by()
        .values_list("status")
        .annotate(n=Count("id"))
        .values_list("status", "n")
    )
    return [(code, str(label), counts.get(code, 0)) for code, label in HandOffStatus.choices]


@login_required
def charity_home(request: HttpRequest) -> HttpResponse:
    user = staff_user(request)
    funds = list(selectors.fund_detail_queryset(user).filter(active=True)) if user.role in COUNTY_ROLES else []
    queue = selectors.handoff_queue(user) if user.role == Role.CHARITY else selectors.handoffs_visible_to(user)
    context = {
        "funds": funds,
        "county_funds": [f for f in funds if f.kind == FundKind.COUNTY],
        "queue": list(queue.filter(status__in=OPEN_STATUSES)[:30]),
        "recent": list(selectors.handoffs_visible_to(user).order_by("-status_changed_at", "-id")[:10]),
        "status_counts": _status_counts(user),
        "is_charity": user.role == Role.CHARITY,
        "is_county": user.role in COUNTY_ROLES,
    }
    return render(request, "charity/index.html", context)


@login_required
def handoff_list(request: HttpRequest) -> HttpResponse:
    user = staff_user(request)
    status = request.GET.get("status", "")
    q = request.GET.get("q", "")
    qs = selectors.handoff_search(selectors.handoffs_visible_to(user), status=status, q=q)
    page = Paginator(qs, 30).get_page(request.GET.get("page"))
    return render(
        request,
        "charity/handoff_list.html",
        {"page_obj": page, "status": status, "q": q, "statuses": HandOffStatus.choices},
    )


def _case(request: HttpRequest, case_pk: int) -> Any:
    return get_object_or_404(cases_visible_to(request.user).select_related("application"), pk=case_pk)


@login_required
def case_handoffs(request: HttpRequest, case_pk: int) -> HttpResponse:
    """The case's hand-offs with their timelines (the same panel the case page shows)."""
    from charity.hooks import case_panel_context

    case = _case(request, case_pk)
    return render(request, "charity/case_handoffs.html", {"case": case, "panel": case_panel_context(request, case)})


@login_required
def handoff_refer(request: HttpRequest, case_pk: int) -> HttpResponse:
    user = staff_user(request)
    case = _case(request, case_pk)
    if user.role not in REFERRER_ROLES:
        messages.error(request, _("只有街道工作人员或县级民政监督人员可以转介慈善救助。"))
        return redirect("charity-case", case_pk=case.pk)
    funds = selectors.funds_for_case(user, case)
    county = funds.filter(kind=FundKind.COUNTY).first()
    form = ReferralForm(
        request.POST or None,
        request.FILES or None,
        funds=funds,
        initial={"fund": county, "consent_by": case.application.applicant_name, "consent_relation": _("本人")},
    )
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            handoff = handoffs.handoff_refer(
                actor=user,
                case=case,
                fund=data["fund"],
                need_type=data["need_type"],
                description=data["description"],
                amount_asked=data["amount_asked"],
                consent_by=data["consent_by"],
                consent_relation=data["consent_relation"],
                consent_on=data["consent_on"],
                consent_scan=data.get("consent_scan"),
            )
        except ValidationError as exc:
            apply_errors(form, exc)
        except BusinessError as exc:
            form.add_error(None, exc.message)
        else:
            messages.success(request, _("已转介慈善救助(%(h)s)，等待慈善专员受理。") % {"h": handoff.number})
            return redirect("charity-handoff-detail", pk=handoff.pk)
    return render(request, "charity/handoff_form.html", {"case": case, "form": form, "has_funds": funds.exists()})


def _handoff(request: HttpRequest, pk: int) -> HandOff:
    return get_object_or_404(selectors.handoff_detail_queryset(request.user), pk=pk)


@login_required
def handoff_detail(request: HttpRequest, pk: int, bound: dict[str, Any] | None = None) -> HttpResponse:
    user = staff_user(request)
    handoff = _handoff(request, pk)
    restricted, unrestricted = selectors.available_for(handoff.fund, handoff.need_type)
    context = {
        "h": handoff,
        "case": handoff.case,
        "actions": action_forms(handoff, user, bound),
        "payment": selectors.current_payment(handoff),
        "available": {"restricted": restricted, "unrestricted": unrestricted, "total": restricted + unrestricted},
        "can_see_ledger": selectors.funds_visible_to(user).filter(pk=handoff.fund_id).exists(),
    }
    return render(request, "charity/handoff_detail.html", context, status=400 if bound else 200)


@login_required
@require_POST
def handoff_act(request: HttpRequest, pk: int, action: str) -> HttpResponse:
    user = staff_user(request)
    handoff = _handoff(request, pk)
    if action not in ACTIONS or action not in ACTION_FORMS:
        raise Http404
    form = ACTION_FORMS[action](request.POST, prefix=action)
    if not form.is_valid():
        return handoff_detail(request, pk, bound={action: form})
    data = form.cleaned_data
    try:
        if action == "accept":
            handoffs.handoff_accept(actor=user, handoff=handoff, note=data["note"])
        elif action in {"decline", "cancel"}:
            handoffs.handoff_decline(actor=user, handoff=handoff, reason=data["reason"])
        elif action == "withdraw":
            handoffs.handoff_withdraw(actor=user, handoff=handoff, reason=data["reason"])
        elif action == "approve":
            grants.handoff_approve(actor=user, handoff=handoff, amount=data["amount"], note=data["note"])
        elif action == "pay":
            grants.fund_grant_pay(actor=user, handoff=handoff, note=data["note"])
        elif action == "close":
            handoffs.handoff_close(actor=user, handoff=handoff, note=data["note"])
    except ValidationError as exc:
        apply_errors(form, exc)
        return handoff_detail(request, pk, bound={action: form})
    except BusinessError as exc:
        if exc.status == 404:
            raise Http404 from exc
        messages.error(request, exc.message)
        return redirect("charity-handoff-detail", pk=pk)
    messages.success(request, _("已完成：%(a)s。") % {"a": ACTIONS[action][1].label})
    return redirect("charity-handoff-detail", pk=pk)


@login_required
def consent_scan(request: HttpRequest, pk: int) -> FileResponse:
    """The consent scan is served only through the scope check (never as public media)."""
    handoff = get_object_or_404(selectors.handoffs_visible_to(request.user).exclude(consent_scan=""), pk=pk)
    return FileResponse(handoff.consent_scan.open("rb"), filename=handoff.consent_scan.name.rsplit("/", 1)[-1])
