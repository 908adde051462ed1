"""掌上办: the public online application and status query (no login; mobile first).

The status query answers only when the receipt number *and* the applicant's ID number match, with
one message for every failure, so it never tells whether a receipt number or an ID exists. It is
rate-limited per client address and per receipt number.
"""

from __future__ import annotations

from typing import Any

from django.core.exceptions import ValidationError
from django.db.models import Prefetch
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.cache import never_cache

from accounts.errors import BusinessError
from accounts.models import Region
from applications import intake as app_intake
from applications.models import ApplicationStatus
from casework.forms import OnlineApplicationForm, OnlineMemberFormSet, StatusQueryForm
from casework.models import CaseStatus, Decision, Outcome
from casework.ratelimit import client_ip, hit
from casework.views.intake import _error_messages

STATUS_LIMIT = 10  # per hour, per client address and per receipt number
SUBMIT_LIMIT = 5  # online submissions per hour per client address
HOUR = 3600
NOT_FOUND = gettext_lazy("未找到与受理编号和身份证号码相符的申请，请核对后重试。")

PUBLIC_STAGE = {
    CaseStatus.ACCEPTED: gettext_lazy("已受理，正在准备家庭经济状况核对"),
    CaseStatus.CHECKING: gettext_lazy("正在进行家庭经济状况核对"),
    CaseStatus.INVESTIGATION: gettext_lazy("等待工作人员入户调查"),
    CaseStatus.OPINION: gettext_lazy("街道审核中"),
    CaseStatus.NOTICE_PENDING: gettext_lazy("街道审核中"),
    CaseStatus.NOTICE: gettext_lazy("正在社区公示"),
    CaseStatus.REVIEW: gettext_lazy("等待街道审批"),
    CaseStatus.APPROVED: gettext_lazy("已批准"),
    CaseStatus.REFUSED: gettext_lazy("不予批准"),
    CaseStatus.WITHDRAWN: gettext_lazy("已撤回"),
}


def _streets() -> list[tuple[Region, list[Region]]]:
    counties = (
        Region.objects.filter(level=Region.Level.COUNTY)
        .order_by("code")
        .prefetch_related(
            Prefetch("children", queryset=Region.objects.filter(level=Region.Level.STREET).order_by("code"))
        )
    )
    return [(c, list(c.children.all())) for c in counties]


def apply(request: HttpRequest) -> HttpResponse:
    street = Region.objects.filter(code=request.GET.get("street", ""), level=Region.Level.STREET).first()
    if street is None:
        return render(request, "casework/public/choose_street.html", {"counties": _streets()})
    errors: list[str] = []
    status = 200
    if request.method == "POST":
        form = OnlineApplicationForm(request.POST, street=street)
        members = OnlineMemberFormSet(request.POST, prefix="m")
        if form.is_valid() and members.is_valid():
            if not hit("apply", client_ip(request.META), limit=SUBMIT_LIMIT, window=HOUR):
                errors.append(_("提交过于频繁，请稍后再试或到街道便民服务中心窗口申请。"))
                status = 429
            else:
                try:
                    application = _submit(form.cleaned_data, members, street)
                except ValidationError as exc:
                    errors.extend(_error_messages(exc))
                except BusinessError as exc:
                    errors.append(exc.message)
                else:
                    request.session["apply_receipt"] = application.receipt_no
                    return redirect("apply-done")
    else:
        form = OnlineApplicationForm(street=street)
        members = OnlineMemberFormSet(prefix="m", initial=[{"relation": "self"}])
    return render(
        request,
        "casework/public/apply.html",
        {"form": form, "members": members, "street": street, "errors": errors},
        status=status,
    )


def _submit(cd: dict[str, Any], members: Any, street: Region) -> Any:
    rows = []
    for f in members.forms:
        if not f.cleaned_data:
            continue
        c = f.cleaned_data
        incomes = []
        if c.get("monthly_income"):
            incomes.append({"kind": c["income_kind"], "monthly": c["monthly_income"]})
        rows.append(
            {
                "name": c["name"],
                "id_number": c["id_number"],
                "relation": c["relation"],
                "incomes": incomes,
                "serious_illness": c.get("serious_illness", False),
                "disability_grade": c.get("disability_grade"),
                "disability_kind": c.get("disability_kind") or None,
            }
        )
    return app_intake.application_submit_online(
        street=street,
        community=cd["community"],
        address=cd["address"],
        phone=cd["phone"],
        assistance_types=cd["assistance_types"],
        help_text=cd.get("help_text", ""),
        members=rows,
        assets={
            "financial_assets": cd.get("financial_assets"),
            "homes": cd.get("homes"),
            "vehicle_price": cd.get("vehicle_price"),
        },
        emergency={k: cd.get(k) for k in app_intake.EMERGENCY_FIELDS},
    )


@never_cache
def apply_done(request: HttpRequest) -> HttpResponse:
    receipt = request.session.get("apply_receipt")
    if not receipt:
        return redirect("apply")
    return render(request, "casework/public/done.html", {"receipt_no": receipt})


@never_cache
def apply_status(request: HttpRequest) -> HttpResponse:
    form = StatusQueryForm(request.POST or None)
    result: dict[str, Any] | None = None
    error = ""
    status = 200
    if request.method == "POST" and form.is_valid():
        receipt = form.cleaned_data["receipt_no"].strip()
        ip_ok = hit("status-ip", client_ip(request.META), limit=STATUS_LIMIT, window=HOUR)
        receipt_ok = hit("status-receipt", receipt, limit=STATUS_LIMIT, window=HOUR)
        if not (ip_ok and receipt_ok):
            error = _("查询过于频繁，请一小时后再试。")
            status = 429
        else:
            application = app_intake.application_lookup_for_resident(
                receipt_no=receipt, id_number=form.cleaned_data["id_number"]
            )
            if application is None:
                error = str(NOT_FOUND)
            else:
                result = _public_status(application)
        # Never echo the ID number back into the page.
        form = StatusQueryForm(initial={"receipt_no": receipt})
    return render(
        request, "casework/public/status.html", {"form": form, "result": result, "error": error}, status=status
    )


def _public_status(application: Any) -> dict[str, Any]:
    data: dict[str, Any] = {
        "receipt_no": application.receipt_no,
        "submitted_on": application.submitted_at,
        "types": application.assistance_type_labels(),
        "stage": str(ApplicationStatus(application.status).label),
        "applicant": application.applicant_id_masked,
    }
    if application.status == ApplicationStatus.SUBMITTED:
        data["stage"] = _("已提交，请全体成年家庭成员携带身份证到街道便民服务中心签署核对授权书")
    if application.status == ApplicationStatus.REJECTED_AT_WINDOW:
        data["reason"] = application.status_reason
    case = getattr(application, "case", None) if application.status == ApplicationStatus.ACCEPTED else None
    if case is not None:
        data["stage"] = str(PUBLIC_STAGE.get(case.status, ""))
        data["accepted_on"] = case.accepted_on
        data["due"] = case.case_due if case.is_open else None
        decision = Decision.objects.filter(case=case).first()
        if decision is not None:
            data["decision"] = {
                "approved": decision.outcome == Outcome.APPROVED,
                "tier": decision.get_tier_display(),
                "monthly_amount": decision.monthly_amount,
                "start_month": decision.start_month,
                "decided_on": decision.decided_on,
            }
    return data
