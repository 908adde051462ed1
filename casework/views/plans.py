"""The assistance plan page (资金+实物+服务) of a case, the social worker's case list, and the hub.

Every case is looked up through ``selectors_plans.cases_for_user``: another street's case, or a
case not assigned to the signed-in social worker, is a 404. Forms validate input; the services
decide; a refused write re-renders the page with the bound form and status 400 (or the business
error's status), and nothing is written.
"""

from __future__ import annotations

from collections.abc import Callable
from decimal import Decimal
from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.db.models import Sum
from django.forms import Form
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from accounts.errors import BusinessError
from accounts.models import Role, User
from casework import forms_plans as f
from casework import selectors_plans as sel
from casework.models import Case
from casework.models.plans import CASE_HANDLERS, STREET_LEADS, CaseAssignment, InKindItem
from casework.models.referrals import WAITING_STATUSES, referral_overdue_q
from casework.models.services_catalogue import OrderStatus, ServiceItem, ServiceOrder
from casework.models.stranded import STRANDED_CLOSED
from casework.services import plans as plan_services
from casework.services import services_catalogue as svc


def user_of(request: HttpRequest) -> User:
    assert isinstance(request.user, User)
    return request.user


def submit(form: Form, call: Callable[[dict[str, Any]], Any]) -> tuple[Any, int]:
    """Validate ``form`` and run ``call``; (result, 200) or (None, error status) with errors on the form."""
    if not form.is_valid():
        return None, 400
    try:
        return call(form.cleaned_data), 200
    except ValidationError as exc:
        if hasattr(exc, "error_dict"):
            for field, errors in exc.message_dict.items():
                form.add_error(field if field in form.fields else None, errors)
        else:
            form.add_error(None, exc.messages)
        return None, 400
    except BusinessError as exc:
        if exc.status == 404:
            raise Http404(exc.message) from exc
        form.add_error(None, exc.message)
        return None, exc.status


def case_or_404(request: HttpRequest, pk: int) -> Case:
    return get_object_or_404(sel.cases_for_user(request.user), pk=pk)


# --- the plan page ------------------------------------------------------------------------------


def _plan_context(request: HttpRequest, case: Case, bound: dict[str, Form] | None = None) -> dict[str, Any]:
    user = user_of(request)
    bound = bound or {}
    today = timezone.localdate()
    plan = sel.plan_for(case)
    decision = getattr(case, "decision", None)
    in_kind = list(plan.in_kind_items.all()) if plan else []
    special = list(plan.special_items.all()) if plan else []
    orders = list(sel.service_orders_visible_to(user).filter(case=case).order_by("ordered_at", "id"))
    deliveries = list(sel.deliveries_visible_to(user).filter(case=case))
    open_orders = [o for o in orders if o.status == OrderStatus.ORDERED]
    lead = user.role in STREET_LEADS
    handler = user.role in CASE_HANDLERS
    contracts = sel.contracts_for_case(user, case, today=today)
    paid = case.emergency_payments.filter(status="paid").aggregate(s=Sum("amount"))["s"] or Decimal("0")
    referrals = sel.referrals_visible_to(user).filter(case=case)
    return {
        "case": case,
        "application": case.application,
        "brand": case.street.service_brand,
        "plan": plan,
        "decision": decision if decision is not None and decision.outcome == "approved" else None,
        "emergency_paid": paid,
        "in_kind": [
            (item, bound.get(f"deliver-{item.pk}") or f.InKindDeliverForm(prefix=f"d{item.pk}")) for item in in_kind
        ],
        "in_kind_total": sum((i.value for i in in_kind), Decimal("0")),
        "special": special,
        "orders": orders,
        "orders_total": sum((o.amount for o in orders if o.status != OrderStatus.CANCELLED), Decimal("0")),
        "deliveries": deliveries,
        "assignments": list(sel.active_assignments(case)),
        "referral_count": referrals.count(),
        "overdue_referrals": referrals.filter(referral_overdue_q(today)).count(),
        "conference_count": sel.conferences_visible_to(user).filter(case=case).count(),
        "can_lead": lead,
        "can_handle": handler,
        "is_social_worker": user.role == Role.SOCIAL_WORKER,
        "goals_form": bound.get("goals") or f.PlanGoalsForm(initial={"goals": plan.goals if plan else ""}),
        "in_kind_form": bound.get("in_kind") or f.InKindForm(),
        "special_form": bound.get("special") or f.SpecialItemForm(),
        "assign_form": bound.get("assign") or f.AssignForm(workers=sel.assignable_social_workers(case)),
        "order_form": bound.get("order") or f.ServiceOrderForm(contracts=contracts),
        "delivery_form": bound.get("delivery") or f.DeliveryForm(orders=open_orders),
        "has_contracts": contracts.exists(),
        "open_action": next(iter(bound), ""),
        "today": today,
    }


@login_required
def plan_page(request: HttpRequest, pk: int) -> HttpResponse:
    case = case_or_404(request, pk)
    return render(request, "casework/plans/plan.html", _plan_context(request, case))


def _plan_form(action: str, request: HttpRequest, case: Case, user: User) -> tuple[str, Form, Callable[..., Any], str]:
    """(bound key, bound form, service call, success message) for a plan-page action."""
    post = request.POST
    if action == "goals":
        return (
            "goals",
            f.PlanGoalsForm(post),
            lambda cd: plan_services.plan_create(actor=user, case=case, goals=cd["goals"]),
            _("救助方案已保存。"),
        )
    if action == "in_kind":
        return (
            "in_kind",
            f.InKindForm(post),
            lambda cd: plan_services.in_kind_add(actor=user, case=case, **cd),
            _("实物救助已加入方案。"),
        )
    if action == "deliver":
        item = get_object_or_404(InKindItem, pk=post.get("item", 0), plan__case=case)
        return (
            f"deliver-{item.pk}",
            f.InKindDeliverForm(post, prefix=f"d{item.pk}"),
            lambda cd: plan_services.in_kind_deliver(actor=user, item=item, **cd),
            _("已登记实物发放。"),
        )
    if action == "special":
        return (
            "special",
            f.SpecialItemForm(post),
            lambda cd: plan_services.special_assistance_add(actor=user, case=case, **cd),
            _("专项救助已加入方案，并已草拟转介，请在“转介与会商”中发送。"),
        )
    if action == "assign":
        return (
            "assign",
            f.AssignForm(post, workers=sel.assignable_social_workers(case)),
            lambda cd: plan_services.case_assign_social_worker(
                actor=user, case=case, social_worker=cd["social_worker"], note=cd["note"]
            ),
            _("已指派社工。"),
        )
    if action == "unassign":
        assignment = get_object_or_404(CaseAssignment, pk=post.get("assignment", 0), case=case)
        return (
            "unassign",
            f.UnassignForm(post),
            lambda cd: plan_services.case_unassign_social_worker(
                actor=user, assignment=assignment, reason=cd["reason"]
            ),
            _("已取消社工指派。"),
        )
    if action == "order":
        contracts = sel.contracts_for_case(user, case, today=timezone.localdate())
        return (
            "order",
            f.ServiceOrderForm(post, contracts=contracts),
            lambda cd: _order(user, case, cd),
            _("服务订单已下达。"),
        )
    if action == "cancel_order":
        order = get_object_or_404(ServiceOrder, pk=post.get("order", 0), case=case)
        return (
            "cancel_order",
            f.OrderCancelForm(post),
            lambda cd: svc.service_order_cancel(actor=user, order=order, reason=cd["reason"]),
            _("服务订单已取消。"),
        )
    if action == "delivery":
        orders = ServiceOrder.objects.filter(case=case, status=OrderStatus.ORDERED).select_related("service")
        return (
            "delivery",
            f.DeliveryForm(post, orders=orders),
            lambda cd: _delivery(user, case, cd),
            _("服务记录已登记。"),
        )
    raise Http404


def _order(user: User, case: Case, cd: dict[str, Any]) -> ServiceOrder:
    contract_id, service_id = cd["line"]
    contract = get_object_or_404(sel.contracts_visible_to(user), pk=contract_id)
    service = get_object_or_404(ServiceItem, pk=service_id)
    return svc.service_order_create(
        actor=user, case=case, contract=contract, service=service, quantity=cd["quantity"], note=cd["note"]
    )


def _delivery(user: User, case: Case, cd: dict[str, Any]) -> Any:
    order = get_object_or_404(ServiceOrder, pk=cd["order"], case=case) if cd.get("order") else None
    return svc.delivery_record(
        actor=user,
        case=case,
        kind=cd["kind"],
        delivered_on=cd["delivered_on"],
        content=cd["content"],
        needs=cd.get("needs") or "",
        order=order,
        quantity=cd.get("quantity") or 0,
    )


@login_required
@require_POST
def plan_act(request: HttpRequest, pk: int, action: str) -> HttpResponse:
    case = case_or_404(request, pk)
    user = user_of(request)
    key, form, call, message = _plan_form(action, request, case, user)
    _result, status = submit(form, call)
    if status != 200:
        context = _plan_context(request, case_or_404(request, pk), bound={key: form})
        return render(request, "casework/plans/plan.html", context, status=status)
    messages.success(request, message)
    anchor = {"delivery": "#deliveries", "order": "#services", "cancel_order": "#services", "special": "#special"}
    return redirect(reverse("case-plan", args=[case.pk]) + anchor.get(action, ""))


# --- lists --------------------------------------------------------------------------------------


@login_required
def my_cases(request: HttpRequest) -> HttpResponse:
    """社工: the cases assigned to me; street leads: the cases with a social worker on them."""
    user = user_of(request)
    cases = list(sel.my_cases(user)[:200])
    assignments: dict[int, list[str]] = {}
    for a in CaseAssignment.objects.filter(case__in=[c.pk for c in cases], ended_at__isnull=True).select_related(
        "social_worker"
    ):
        assignments.setdefault(a.case_id, []).append(a.social_worker.display_name)
    latest: dict[int, Any] = {}  # the latest service record per case (one query)
    for record in sel.deliveries_visible_to(user).filter(case__in=[c.pk for c in cases]).order_by("delivered_on"):
        latest[record.case_id] = record
    rows = [(c, assignments.get(c.pk, []), latest.get(c.pk)) for c in cases]
    return render(request, "casework/plans/my_cases.html", {"rows": rows})


@login_required
def hub(request: HttpRequest) -> HttpResponse:
    """救助服务: entry to the registers, and the referrals waiting for an answer (overdue first)."""
    user = user_of(request)
    today = timezone.localdate()
    tab = request.GET.get("tab", "waiting")
    referrals = sel.referrals_visible_to(user)
    if tab == "overdue":
        referrals = referrals.filter(referral_overdue_q(today))
    elif tab == "waiting":
        referrals = referrals.filter(status__in=list(WAITING_STATUSES))
    referrals = referrals.order_by("due_on", "-created_at")[:100]
    contracts = sel.contracts_visible_to(user).filter(ends_on__gte=today)
    context = {
        "tab": tab,
        "tabs": {"waiting": _("待对方答复"), "overdue": _("逾期未答复"), "all": _("全部转介")},
        "referrals": [(r, r.is_overdue(today)) for r in referrals],
        "overdue_count": sel.overdue_referrals(user, today=today).count(),
        "contract_count": contracts.count(),
        "facility_count": sel.facilities_visible_to(user).count(),
        "stranded_open": sel.stranded_visible_to(user).exclude(status__in=list(STRANDED_CLOSED)).count(),
        "volunteer_count": sel.volunteers_visible_to(user).filter(active=True).count(),
        "my_case_count": sel.my_cases(user).count(),
        "today": today,
    }
    return render(request, "casework/plans/hub.html", context)
