"""政府购买服务 pages: the county's catalogue, organisations and contracts; a contract's orders,
completion and evaluations (the county supervisor evaluates; the county and its streets see it)."""

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
from casework.models.services_catalogue import ServiceContract
from casework.services import services_catalogue as svc
from casework.views.plans import submit, user_of


def _county(user: User) -> Region | None:
    """The county a supervisor keeps the registers of (None for everyone else)."""
    if user.role == Role.SUPERVISOR and user.region_id and len(user.region_id) == 6:
        return user.region
    return None


def _services_context(request: HttpRequest, bound: dict[str, Form] | None = None) -> dict[str, Any]:
    user = user_of(request)
    bound = bound or {}
    county = _county(user)
    contracts = list(sel.contracts_visible_to(user))
    rows = []
    for contract in contracts:
        latest = sel.evaluations_of(contract).first()
        rows.append((contract, sel.contract_completion(contract), latest))
    context: dict[str, Any] = {
        "items": sel.service_items_visible_to(user),
        "organisations": sel.organisations_visible_to(user),
        "contracts": rows,
        "county": county,
        "open_action": next(iter(bound), ""),
    }
    if county is not None:
        context.update(
            item_form=bound.get("item") or f.ServiceItemForm(),
            organisation_form=bound.get("organisation") or f.OrganisationForm(),
            contract_form=bound.get("contract") or _contract_form(user, None),
        )
    return context


def _contract_form(user: User, data: Any) -> f.ContractForm:
    return f.ContractForm(
        data,
        organisations=sel.organisations_visible_to(user),
        items=sel.service_items_visible_to(user).filter(active=True),
    )


@login_required
def services_page(request: HttpRequest) -> HttpResponse:
    return render(request, "casework/plans/services.html", _services_context(request))


@login_required
@require_POST
def services_act(request: HttpRequest, action: str) -> HttpResponse:
    user = user_of(request)
    county = _county(user)
    if county is None:
        messages.error(request, _("只有县级民政部门可以维护购买服务目录和合同。"))
        return redirect("services")
    form: Form
    if action == "item":
        form = f.ServiceItemForm(request.POST)

        def call(cd: dict[str, Any]) -> Any:
            return svc.service_item_create(actor=user, county=county, **cd)

        message = _("已加入购买服务目录。")
    elif action == "organisation":
        form = f.OrganisationForm(request.POST)

        def call(cd: dict[str, Any]) -> Any:
            return svc.organisation_create(actor=user, county=county, **cd)

        message = _("社工机构已登记。")
    elif action == "contract":
        form = _contract_form(user, request.POST)

        def call(cd: dict[str, Any]) -> Any:
            return svc.contract_create(actor=user, **{**cd, "services": list(cd["services"])})

        message = _("购买服务合同已登记。")
    else:
        raise Http404
    _result, status = submit(form, call)
    if status != 200:
        return render(
            request, "casework/plans/services.html", _services_context(request, {action: form}), status=status
        )
    messages.success(request, message)
    return redirect("services")


def _contract_context(request: HttpRequest, contract: ServiceContract, form: Form | None = None) -> dict[str, Any]:
    user = user_of(request)
    can_evaluate = user.role == Role.SUPERVISOR
    return {
        "contract": contract,
        "completion": sel.contract_completion(contract),
        "orders": sel.contract_orders(user, contract),
        "evaluations": sel.evaluations_of(contract),
        "evaluation_form": (form or f.EvaluationForm()) if can_evaluate else None,
        "remaining": contract.budget - sel.contract_completion(contract).spent,
    }


@login_required
def contract_page(request: HttpRequest, pk: int) -> HttpResponse:
    contract = get_object_or_404(sel.contracts_visible_to(request.user), pk=pk)
    return render(request, "casework/plans/contract.html", _contract_context(request, contract))


@login_required
@require_POST
def contract_evaluate(request: HttpRequest, pk: int) -> HttpResponse:
    user = user_of(request)
    contract = get_object_or_404(sel.contracts_visible_to(user), pk=pk)
    form = f.EvaluationForm(request.POST)
    _result, status = submit(form, lambda cd: svc.contract_evaluate(actor=user, contract=contract, **cd))
    if status != 200:
        return render(
            request, "casework/plans/contract.html", _contract_context(request, contract, form), status=status
        )
    messages.success(request, _("合同评估已记录。"))
    return redirect("contract-detail", pk=contract.pk)
