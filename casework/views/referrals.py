"""The assistance chain of a case: referrals (转介) with their life cycle, and case conferences (个案会商).

The buttons of a referral come from ``referral_next_steps`` (the transition table) for the user's
role; each posts to ``referral_act`` which calls the one guarded service.
"""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.forms import Form
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_POST

from casework import forms_plans as f
from casework import selectors_plans as sel
from casework.models import Case
from casework.models.plans import CASE_HANDLERS
from casework.models.referrals import ACTION_TARGETS, CaseConference, referral_next_steps
from casework.services.conference import conference_record
from casework.services.referrals import answer_workdays, referral_act, referral_create
from casework.views.plans import case_or_404, submit, user_of


def _chain_context(request: HttpRequest, case: Case, bound: dict[str, Form] | None = None) -> dict[str, Any]:
    user = user_of(request)
    bound = bound or {}
    today = timezone.localdate()
    conferences = list(sel.conferences_visible_to(user).filter(case=case))
    referrals = []
    for referral in sel.referrals_visible_to(user).filter(case=case).prefetch_related("events__actor"):
        steps = [
            (
                step,
                bound.get(f"{referral.pk}-{step.action}")
                or f.ReferralActForm(action=step.action, referral_id=referral.pk),
            )
            for _to, step in referral_next_steps(referral.status, user.role)
        ]
        referrals.append({"r": referral, "overdue": referral.is_overdue(today), "steps": steps})
    return {
        "case": case,
        "application": case.application,
        "brand": case.street.service_brand,
        "referrals": referrals,
        "conferences": conferences,
        "can_handle": user.role in CASE_HANDLERS,
        "referral_form": bound.get("referral") or f.ReferralForm(conferences=conferences),
        "conference_form": bound.get("conference") or f.ConferenceForm(),
        "answer_days": answer_workdays(),
        "open_action": next(iter(bound), ""),
        "today": today,
    }


@login_required
def chain_page(request: HttpRequest, pk: int) -> HttpResponse:
    case = case_or_404(request, pk)
    return render(request, "casework/plans/chain.html", _chain_context(request, case))


@login_required
@require_POST
def chain_act(request: HttpRequest, pk: int, action: str) -> HttpResponse:
    """New referral or new conference on a case."""
    case = case_or_404(request, pk)
    user = user_of(request)
    conferences = CaseConference.objects.filter(case=case)
    if action == "referral":
        form: Form = f.ReferralForm(request.POST, conferences=conferences)

        def call(cd: dict[str, Any]) -> Any:
            conference = conferences.filter(pk=cd["conference"]).first() if cd.get("conference") else None
            return referral_create(
                actor=user,
                case=case,
                target_kind=cd["target_kind"],
                target=cd["target"],
                need=cd["need"],
                conference=conference,
            )

        message = _("转介已草拟，请核对后发送。")
    elif action == "conference":
        form = f.ConferenceForm(request.POST)

        def call(cd: dict[str, Any]) -> Any:
            return conference_record(actor=user, case=case, **cd)

        message = _("个案会商已记录。")
    else:
        raise Http404
    _result, status = submit(form, call)
    if status != 200:
        context = _chain_context(request, case_or_404(request, pk), bound={action: form})
        return render(request, "casework/plans/chain.html", context, status=status)
    messages.success(request, message)
    return redirect(reverse("case-referrals", args=[case.pk]) + ("#conferences" if action == "conference" else ""))


STEP_MESSAGES = {
    "send": gettext_lazy("转介已发送，请在答复时限内跟踪对方答复。"),
    "acknowledge": gettext_lazy("已登记对方签收。"),
    "answer": gettext_lazy("已登记对方答复。"),
    "close": gettext_lazy("转介已办结。"),
    "withdraw": gettext_lazy("转介已撤销。"),
}


@login_required
@require_POST
def referral_step(request: HttpRequest, pk: int, action: str) -> HttpResponse:
    user = user_of(request)
    referral = get_object_or_404(sel.referrals_visible_to(user), pk=pk)
    if action not in ACTION_TARGETS:
        raise Http404
    form = f.ReferralActForm(request.POST, action=action, referral_id=referral.pk)

    def call(cd: dict[str, Any]) -> Any:
        return referral_act(
            actor=user,
            referral=referral,
            action=action,
            note=cd.get("note") or "",
            result=cd.get("result") or "",
            answer=cd.get("answer") or "",
            on=cd.get("on"),
        )

    _result, status = submit(form, call)
    if status != 200:
        context = _chain_context(request, referral.case, bound={f"{referral.pk}-{action}": form})
        return render(request, "casework/plans/chain.html", context, status=status)
    messages.success(request, STEP_MESSAGES[action])
    return redirect(reverse("case-referrals", args=[referral.case_id]) + f"#referral-{referral.pk}")
