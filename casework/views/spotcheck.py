"""Spot-check pages (抽查, issue 7): the county's batches, the sample with result recording, and the
street's rectification list (整改). Views validate with forms; the services decide and audit."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.paginator import Paginator
from django.db.models import Count, Q
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from accounts.errors import BusinessError
from accounts.labels import choice_labels
from accounts.links import link
from accounts.models import Region
from casework import selectors_spotcheck as sel
from casework.forms_spotcheck import CloseForm, RespondForm, ResultForm, SpotCheckForm
from casework.models.spotcheck import (
    CheckResult,
    RectificationStatus,
    SpotCheckItem,
    SpotCheckStatus,
)
from casework.services import spotcheck as svc
from casework.views.enrolment import apply_errors, staff


@login_required
def spotcheck_list(request: HttpRequest) -> HttpResponse:
    user = staff(request)
    if not sel.is_overseer(user):
        return redirect("spotcheck-rectifications")
    qs = sel.spot_checks_visible_to(user).annotate(
        faults=Count("items", filter=~Q(items__result__in=[CheckResult.PENDING, CheckResult.CORRECT])),
        pending=Count("items", filter=Q(items__result=CheckResult.PENDING)),
        open_rect=Count(
            "items",
            filter=Q(items__rectification_status__in=[RectificationStatus.OPEN, RectificationStatus.RESPONDED]),
        ),
    )
    status = request.GET.get("status", "")
    if status in SpotCheckStatus.values:
        qs = qs.filter(status=status)
    street = request.GET.get("street", "")
    if street:
        qs = qs.filter(street_id=street)
    page = Paginator(qs.order_by("-created_at", "-id"), 30).get_page(request.GET.get("page"))
    return render(
        request,
        "casework/spotcheck/list.html",
        {"page_obj": page, "status": status, "statuses": SpotCheckStatus.choices, "street": street},
    )


@login_required
def spotcheck_create(request: HttpRequest) -> HttpResponse:
    user = staff(request)
    if not sel.is_overseer(user):
        raise PermissionDenied(_("只有县级民政监督人员可以开展抽查。"))
    if request.method == "POST":
        form = SpotCheckForm(request.POST, user=user)
        if form.is_valid():
            cd = form.cleaned_data
            try:
                spot_check = svc.spot_check_create(
                    actor=user,
                    street_code=cd["street"].code,
                    period_start=cd["period_start"],
                    period_end=cd["period_end"],
                    percentage=cd["percentage"],
                    seed=cd.get("seed") or "",
                    note=cd.get("note") or "",
                )
            except ValidationError as exc:
                apply_errors(form, exc)
            except BusinessError as exc:
                form.add_error(None, exc.message)
            else:
                messages.success(
                    request,
                    _("已从 %(n)d 件案件中抽取 %(k)d 件(随机种子 %(s)s)。")
                    % {"n": spot_check.population_size, "k": spot_check.sample_size, "s": spot_check.seed},
                )
                return redirect("spotcheck-detail", spot_check.pk)
        return render(request, "casework/spotcheck/create.html", {"form": form}, status=400)
    today = timezone.localdate()
    form = SpotCheckForm(
        user=user,
        initial={"period_start": today.replace(month=1, day=1), "period_end": today, "percentage": "10"},
    )
    return render(request, "casework/spotcheck/create.html", {"form": form})


@login_required
def spotcheck_detail(request: HttpRequest, pk: int) -> HttpResponse:
    user = staff(request)
    spot_check = get_object_or_404(sel.spot_checks_visible_to(user), pk=pk)
    items = list(sel.spot_check_items(spot_check))
    counts: dict[str, int] = {}
    for item in items:
        counts[item.result] = counts.get(item.result, 0) + 1
    summary = [(label, counts.get(value, 0)) for value, label in CheckResult.choices]
    context = {
        "spot_check": spot_check,
        "items": items,
        "summary": summary,
        # Redraw from the stored population and seed: must give the stored sample.
        "reproduced": svc.draw_sample(spot_check.population_ids, spot_check.percentage, spot_check.seed)
        == list(spot_check.sample_ids),
    }
    return render(request, "casework/spotcheck/detail.html", context)


@login_required
def spotcheck_print(request: HttpRequest, pk: int) -> HttpResponse:
    """抽查记录表: the batch, the sampling record and each result, for the county's file."""
    user = staff(request)
    spot_check = get_object_or_404(sel.spot_checks_visible_to(user), pk=pk)
    county = Region.objects.filter(code=spot_check.street_id[:6]).first()
    return render(
        request,
        "casework/spotcheck/print.html",
        {"spot_check": spot_check, "items": list(sel.spot_check_items(spot_check)), "county": county},
    )


def _item_context(
    request: HttpRequest,
    item: SpotCheckItem,
    *,
    result_form: forms.Form | None = None,
    respond_form: forms.Form | None = None,
    close_form: forms.Form | None = None,
) -> dict[str, Any]:
    user = staff(request)
    overseer = sel.is_overseer(user)
    can_record = overseer and item.rectification_status in {RectificationStatus.NONE, RectificationStatus.OPEN}
    can_respond = sel.is_street_responder(user) and item.rectification_status == RectificationStatus.OPEN
    can_close = overseer and item.rectification_status == RectificationStatus.RESPONDED
    initial: dict[str, Any] = {}
    if item.result != CheckResult.PENDING:
        initial = {"result": item.result, "note": item.note, "correct_amount": item.correct_amount}
    return {
        "item": item,
        "spot_check": item.spot_check,
        "case": item.case,
        "overseer": overseer,
        "state": svc.rectification_state(item) if item.is_fault else None,
        "result_form": (result_form or ResultForm(initial=initial)) if can_record else None,
        "respond_form": (respond_form or RespondForm()) if can_respond else None,
        "close_form": (close_form or CloseForm()) if can_close else None,
        "today": timezone.localdate(),
    }


def _item(request: HttpRequest, pk: int) -> SpotCheckItem:
    user = staff(request)
    return get_object_or_404(
        sel.item_visible_to(user).select_related("case__household", "checked_by", "responded_by", "closed_by"), pk=pk
    )


@login_required
def item_detail(request: HttpRequest, pk: int) -> HttpResponse:
    return render(request, "casework/spotcheck/item.html", _item_context(request, _item(request, pk)))


def _submit(
    request: HttpRequest, item: SpotCheckItem, form: forms.Form, key: str, call: Any, done: str
) -> HttpResponse:
    if form.is_valid():
        try:
            call(form.cleaned_data)
        except ValidationError as exc:
            apply_errors(form, exc)
        except BusinessError as exc:
            if exc.status == 404:
                raise Http404(exc.message) from exc
            if exc.status == 403:
                raise PermissionDenied(exc.message) from exc
            form.add_error(None, exc.message)
        else:
            messages.success(request, done)
            return redirect("spotcheck-item", item.pk)
    return render(request, "casework/spotcheck/item.html", _item_context(request, item, **{key: form}), status=400)


@login_required
@require_POST
def item_result(request: HttpRequest, pk: int) -> HttpResponse:
    user = staff(request)
    item = _item(request, pk)
    if not sel.is_overseer(user):
        raise PermissionDenied(_("只有县级民政监督人员可以登记抽查结果。"))
    return _submit(
        request,
        item,
        ResultForm(request.POST),
        "result_form",
        lambda cd: svc.spot_check_record(
            actor=user,
            item=item,
            result=cd["result"],
            note=cd.get("note") or "",
            correct_amount=cd.get("correct_amount"),
        ),
        _("检查结果已登记。"),
    )


@login_required
@require_POST
def item_respond(request: HttpRequest, pk: int) -> HttpResponse:
    user = staff(request)
    item = _item(request, pk)
    if not sel.is_street_responder(user):
        raise PermissionDenied(_("只有街道审核、审批人员可以反馈整改情况。"))
    return _submit(
        request,
        item,
        RespondForm(request.POST),
        "respond_form",
        lambda cd: svc.rectification_respond(actor=user, item=item, response=cd["response"], note=cd["note"]),
        _("整改情况已反馈，等待县级民政审核销号。"),
    )


@login_required
@require_POST
def item_close(request: HttpRequest, pk: int) -> HttpResponse:
    user = staff(request)
    item = _item(request, pk)
    if not sel.is_overseer(user):
        raise PermissionDenied(_("只有县级民政监督人员可以销号。"))
    return _submit(
        request,
        item,
        CloseForm(request.POST),
        "close_form",
        lambda cd: svc.rectification_close(
            actor=user, item=item, accept=cd["decision"] == "close", note=cd.get("note") or ""
        ),
        _("已处理街道的整改反馈。"),
    )


@login_required
def rectification_list(request: HttpRequest) -> HttpResponse:
    user = staff(request)
    status = request.GET.get("status", RectificationStatus.OPEN)
    qs = sel.rectifications_visible_to(user)
    if status in RectificationStatus.values and status:
        qs = qs.filter(rectification_status=status)
    page = Paginator(qs.order_by("rectify_due", "id"), 50).get_page(request.GET.get("page"))
    return render(
        request,
        "casework/spotcheck/rectifications.html",
        {
            "page_obj": page,
            "status": status,
            "statuses": [(v, label) for v, label in RectificationStatus.choices if v],
            "today": timezone.localdate(),
        },
    )


@dataclass(frozen=True, slots=True)
class CasePanelRow:
    """A spot-check item as the case page's panel prints it (templates/jinja2/casework/spotcheck/panel_case.html)."""

    url: str
    spot_check_id: int
    seq: int
    result_class: str
    result_label: str
    rectification_open: bool
    rectification_label: str  # "" without a rectification
    due: str  # as |date:"Y-m-d" prints the deadline; "" without one
    late: bool  # an open rectification past its deadline
    note: str


def _case_panel_rows(items: list[Any], today: Any) -> list[CasePanelRow]:
    results = choice_labels(CheckResult, lambda: CheckResult.choices)
    rectifications = choice_labels(RectificationStatus, lambda: RectificationStatus.choices)
    rows = []
    for i in items:
        status = i.rectification_status
        rows.append(
            CasePanelRow(
                url=link("spotcheck-item", i.pk),
                spot_check_id=i.spot_check_id,
                seq=i.seq,
                result_class="ok" if i.result == "correct" else "bad",
                result_label=results.get(i.result, i.result),
                rectification_open=status == "open",
                rectification_label=rectifications.get(status, status) if status else "",
                due=i.rectify_due.isoformat() if i.rectify_due else "",
                late=bool(i.rectify_due) and status == "open" and i.rectify_due < today,
                note=i.note,
            )
        )
    return rows


def case_panel(request: HttpRequest, case: Any) -> list[dict[str, Any]]:
    """The case page's panel: spot-check results and rectifications of this case the user may see."""
    user = request.user
    # Almost no case is ever sampled: one indexed EXISTS instead of the scoped 8-table join below.
    if not SpotCheckItem.objects.filter(case_id=case.pk).exists():
        return []
    items = list(sel.item_visible_to(user).filter(case=case).exclude(result=CheckResult.PENDING).order_by("-id")[:10])
    if not sel.is_overseer(user):
        items = [i for i in items if i.rectification_status]
    if not items:
        return []
    today = timezone.localdate()
    return [
        {
            "template": "casework/spotcheck/panel_case.html",
            "using": "jinja2",
            "items": _case_panel_rows(items, today),
            "today": today,
        }
    ]


# --- hooks (merged into casework/hooks.py) ----------------------------------------------------------


def nav_items(user: Any) -> list[dict[str, str]]:
    if sel.is_overseer(user):
        return [{"label": _("抽查"), "url": reverse("spotcheck-list")}]
    if sel.is_street_responder(user):
        return [{"label": _("抽查整改"), "url": reverse("spotcheck-rectifications")}]
    return []


def home_tiles(user: Any) -> list[dict[str, str]]:
    url = reverse("spotcheck-rectifications")
    n = sel.open_rectifications(user).count()
    if not sel.is_overseer(user):
        return [{"label": _("抽查待整改 %(n)d 件") % {"n": n}, "url": url}] if n else []
    waiting = sel.rectifications_visible_to(user).filter(rectification_status=RectificationStatus.RESPONDED).count()
    return [
        {"label": _("抽查待整改 %(n)d 件") % {"n": n}, "url": url},
        {"label": _("整改反馈待审核 %(n)d 件") % {"n": waiting}, "url": url + "?status=responded"},
    ]
