"""Work queue (待我处理), case search, the case page with its timeline, and the step actions."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.db.models import Model, QuerySet
from django.http import FileResponse, Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.template.defaultfilters import date as date_filter
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, ngettext
from django.views.decorators.http import require_POST
from django_stubs_ext import StrOrPromise

from accounts.counts import count_together
from accounts.errors import BusinessError
from accounts.hooks import render_panels
from accounts.labels import choice_labels
from accounts.models import Role, User
from applications import intake as app_intake
from applications.models import EconomicCheckAuthorisation, Member
from casework import forms as f
from casework import selectors
from casework.models import Case, CaseStatus, Decision, Department, PaymentStatus, Step, Tier, next_steps
from casework.services import check as check_services
from casework.services import emergency, enrolment, investigation, notice, review
from casework.services.evaluation import engine_proposal, evaluate_case
from casework.views.intake import _error_messages
from casework.views.rows import queue_rows, status_class

TABS = {
    "mine": gettext_lazy("待我处理"),
    "overdue": gettext_lazy("逾期案件"),
    "all": gettext_lazy("全部案件"),
}


def _user(request: HttpRequest) -> User:
    assert isinstance(request.user, User)
    return request.user


@login_required
def case_queue(request: HttpRequest) -> HttpResponse:
    user = _user(request)
    today = timezone.localdate()
    tab = request.GET.get("tab") or ("all" if request.GET.get("q") else "mine")
    if tab not in selectors.QUEUE_TABS:
        tab = "mine"
    q = request.GET.get("q", "").strip()
    # Page over ids (an index-only scan of the street's cases, also for page 40 of "all cases"),
    # then load the page's 30 rows. The list, the overdue cases (the overdue tab's count, unless the
    # list is that tab unfiltered) and the applications waiting (clerks) counted in one statement.
    # Without a search term the ids and counts are statements compiled once (accounts/frozen.py).
    if q:
        listed = selectors.case_search(selectors.queue_list(user, tab=tab, today=today), q).values_list("pk", flat=True)
        to_count: list[QuerySet[Any]] = [listed, selectors.overdue_cases(user, today=today)]
        if user.role == Role.CLERK:
            to_count.append(selectors.submitted_applications(user))
        counts = count_together(*to_count)
        listed_count, overdue_count = counts[0], counts[1]
        submitted_count = counts[2] if user.role == Role.CLERK else 0
        paginator = Paginator(listed, 30)
        paginator.count = listed_count  # a cached_property: known here without another query
        page = paginator.get_page(request.GET.get("page"))
        ids = list(page)
    else:
        listed_count, overdue_count, submitted_count = selectors.queue_counts(user, tab=tab, today=today)
        paginator = Paginator([], 30)
        paginator.count = listed_count
        page = paginator.get_page(request.GET.get("page"))
        ids = selectors.queue_ids(user, tab=tab, today=today, offset=(page.number - 1) * 30, limit=30)
        page.object_list = ids
    rows = queue_rows(selectors.queue_page(ids), today=today)
    context = {
        "tab": tab,
        "tabs": TABS,
        "q": q,
        "page_obj": page,
        "rows": rows,  # printed by templates/jinja2/casework/queue_rows.html, included by the page
        "today": today,
        "intro": _("按岗位（%(role)s）列出需要您处理的案件；红色标记为已超过办理时限（按工作日计算，含调休）。")
        % {"role": user.get_role_display()},
        "submitted_count": submitted_count,
        "overdue_count": overdue_count,
        "payments": selectors.payments_waiting_for_county(user) if user.role == Role.SUPERVISOR else [],
    }
    return render(request, "casework/queue.html", context, using="jinja2")


def _case(request: HttpRequest, pk: int) -> Case:
    return get_object_or_404(selectors.case_detail_queryset(request.user), pk=pk)


def _page_case(request: HttpRequest, pk: int) -> Case:
    """The case with what its page shows (``selectors.case_page_queryset``), or 404."""
    user = _user(request)
    case = selectors.case_page_case(user, pk)
    if case is None:
        raise Http404
    return selectors.case_page_load(case, user)


def _action_forms(case: Case, user: User, bound: dict[str, Any] | None = None) -> list[tuple[str, Any, Any]]:
    """(target, step, form) per step the user may take now: the page's buttons come from the table."""
    bound = bound or {}
    forms: dict[str, Any] = {}
    today = timezone.localdate()
    for _to, step in next_steps(case.status, user.role):
        action = step.action
        if action in bound:
            forms[action] = bound[action]
        elif action == "start_check":
            forms[action] = f.CheckStartForm()
        elif action == "record_investigation":
            check = _latest_check(case)
            forms[action] = f.InvestigationForm(
                staff=investigation.eligible_investigators(case),
                discrepancies=check.discrepancies if check else [],
                initial={"investigators": [user.pk]},
            )
        elif action == "issue_opinion":
            forms[action] = _opinion_form(case, today)
        elif action == "publish_notice":
            forms[action] = f.NoticeForm()
        elif action == "record_objection":
            forms[action] = f.ObjectionForm()
        elif action == "confirm":
            forms[action] = f.ConfirmForm()
        elif action == "refuse":
            forms[action] = f.RefuseForm()
        elif action == "close_notice":
            forms[action] = None
        else:
            forms[action] = f.ReasonForm()
    return [(to, step, forms[step.action]) for to, step in next_steps(case.status, user.role)]


@dataclass(frozen=True, slots=True)
class ActionPanel:
    """One step of the page's "下一步" panel, as templates/jinja2/casework/case_detail.html prints it."""

    action: str
    label: StrOrPromise
    form: Any  # the step's form; None for close_notice, or when ``error`` stands instead of it
    error: str  # the evaluation engine's refusal, shown instead of the opinion form
    open: bool  # the <details> is open: the step just posted, else the first one (but not withdraw)


def _action_panels(action_forms: list[tuple[str, Step, Any]], open_action: str) -> list[ActionPanel]:
    panels = []
    for i, (_to, step, form) in enumerate(action_forms):
        error = form.message if isinstance(form, BusinessError) else ""
        opened = open_action == step.action or (not open_action and i == 0 and step.action != "withdraw")
        panels.append(ActionPanel(step.action, step.label, None if error else form, error, opened))
    return panels


def _opinion_form(case: Case, today: Any) -> Any:
    try:
        evaluation = evaluate_case(case, as_of=today)
    except BusinessError as exc:
        return exc
    tier, monthly, one_off, _level = engine_proposal(evaluation)
    return f.OpinionForm(
        initial={
            "as_of": today,
            "tier": tier,
            "monthly_amount": monthly,
            "one_off_amount": one_off,
            "recommendation": "refuse" if tier == "none" else "approve",
        }
    )


STAGES = [
    gettext_lazy("受理"),
    gettext_lazy("经济状况核对"),
    gettext_lazy("入户调查"),
    gettext_lazy("初审意见"),
    gettext_lazy("公示"),
    gettext_lazy("联审联批"),
    gettext_lazy("办结"),
]
STAGE_OF: dict[str, int] = {
    CaseStatus.ACCEPTED: 0,
    CaseStatus.CHECKING: 1,
    CaseStatus.INVESTIGATION: 2,
    CaseStatus.OPINION: 3,
    CaseStatus.NOTICE_PENDING: 4,
    CaseStatus.NOTICE: 4,
    CaseStatus.REVIEW: 5,
    CaseStatus.APPROVED: 7,
    CaseStatus.REFUSED: 7,
    CaseStatus.WITHDRAWN: 7,
}


def _stages(case: Case) -> list[tuple[str, str]]:
    current = STAGE_OF.get(case.status, 0)
    return [
        (str(label), "done" if i < current else ("current" if i == current else "")) for i, label in enumerate(STAGES)
    ]


def labelled_tiers(evaluation: dict[str, Any] | None) -> list[dict[str, Any]]:
    labels = dict(Tier.choices)
    return [{**t, "label": labels.get(t["tier"], t["tier"])} for t in (evaluation or {}).get("tiers", [])]


def _latest(case: Case, relation: str, keep: Any = None) -> Any:
    """The newest (highest id) row of a ``relation`` of ``case`` that ``keep`` accepts, read from
    what ``selectors.case_page_load`` loaded (no query); ``None`` when there is none."""
    rows = [r for r in getattr(case, relation).all() if keep is None or keep(r)]
    return max(rows, key=lambda r: r.pk) if rows else None


def _latest_check(case: Case) -> Any:
    if "checks" in getattr(case, "_prefetched_objects_cache", {}):
        return _latest(case, "checks")
    return check_services.latest_check(case)


def _missing_authorisations(case: Case, members: list[Member], today: Any) -> list[Member]:
    """``applications.intake.adults_without_authorisation`` on the prefetched members and
    authorisations (the same rule: active adults on ``today`` without a signed authorisation)."""
    application = case.application
    if application.household_id is None:
        return []
    if application.household_id != case.household_id:
        return app_intake.adults_without_authorisation(application, on=today)
    signed = {a.member_id for a in application.authorisations.all() if a.signed}
    adults = sorted(
        (m for m in members if m.active and app_intake.age_on(m.birth_date, today) >= app_intake.ADULT_AGE),
        key=lambda m: m.pk,
    )
    return [m for m in adults if m.pk not in signed]


def _label(obj: Model, field: str) -> str:
    """``obj.get_<field>_display()`` from the per-language table of ``accounts.labels`` (Django's
    method evaluates every lazy label of the field's choices on each call; the page shows a dozen)."""
    table = choice_labels((type(obj), field), lambda: obj._meta.get_field(field).flatchoices)  # type: ignore[union-attr]
    value = getattr(obj, field)
    return table.get(value, str(value))


def _decision(case: Case) -> Decision | None:
    try:
        return case.decision
    except Decision.DoesNotExist:
        return None


def _detail_context(
    request: HttpRequest, case: Case, bound: dict[str, Any] | None = None, open_action: str = ""
) -> dict[str, Any]:
    """The context of templates/jinja2/casework/case_detail.html. ``bound``: the posted form of the
    step ``open_action`` (re-rendered with its errors)."""
    # Everything below reads the relations loaded by selectors.case_page_load: the page's query
    # count must not grow with what the case holds (tests/perf/test_case_detail_budget.py).
    user = _user(request)
    today = timezone.localdate()
    steps = next_steps(case.status, user.role)
    check = _latest_check(case)
    members = list(case.household.members.all())
    missing = _missing_authorisations(case, members, today)
    opinion = _latest(case, "opinions")
    decision = _decision(case)
    current_notice = _latest(case, "notices", lambda n: n.closed_at is None)
    payments = list(case.emergency_payments.all())
    can_pay = (
        user.role == Role.APPROVER
        and case.is_open
        and case.fast_track
        and not any(p.status in (PaymentStatus.PAID, PaymentStatus.PENDING_COUNTY) for p in payments)
    )
    authorisations = {a.member_id: a for a in case.application.authorisations.all()}
    action_forms = _action_forms(case, user, bound)
    departments = dict(Department.choices)
    discrepancies = [
        {**d, "department_label": departments.get(d["department"], d["department"])}
        for d in (check.discrepancies if check else [])
    ]
    queries = [(q, _label(q, "department")) for q in check.queries.all()] if check else []
    notice_ended = current_notice is not None and current_notice.ends_on < today
    notice_ends_on = {"d": date_filter(current_notice.ends_on, "Y-m-d") if current_notice else ""}
    return {
        "case": case,
        "status_class": status_class(case.status),
        "status_label": _label(case, "status"),
        "application": case.application,
        "household": case.household,
        "channel_label": _label(case.application, "channel"),
        # (member, authorisation, relation label, [(income, kind label)])
        "members": [
            (m, authorisations.get(m.pk), _label(m, "relation"), [(i, _label(i, "kind")) for i in m.incomes.all()])
            for m in members
        ],
        "steps": steps,
        "actions": _action_panels(action_forms, open_action),
        "overdue": case.overdue_steps(today),
        "today": today,
        "check": check,
        "check_status_label": _label(check, "status") if check else "",
        "discrepancies": discrepancies,
        # The sentences with a number or a date are translated here, not in the template: makemessages
        # reads gettext()/ngettext() in Python, but not a Jinja2 _() or ngettext() given values.
        "discrepancies_heading": ngettext("与申报不一致 %(n)s 处", "与申报不一致 %(n)s 处", len(discrepancies))
        % {"n": len(discrepancies)},
        "queries": queries,
        "queries_heading": ngettext("查询日志(%(n)s 次)", "查询日志(%(n)s 次)", len(queries)) % {"n": len(queries)},
        "missing_authorisations": missing,
        "authorisation_form": (
            f.AuthorisationForm(members=[(m.pk, f"{m.name}({m.id_masked})") for m in missing])
            if missing and user.role == Role.CLERK and case.is_open
            else None
        ),
        "opinion": opinion,
        "opinion_labels": (
            {name: _label(opinion, name) for name in ("engine_tier", "tier", "recommendation", "approval_level")}
            if opinion
            else {}
        ),
        "current_notice": current_notice,
        "notice_ended": notice_ended,
        "notice_text": (
            _("公示已于 %(d)s 期满，未收到异议。") if notice_ended else _("公示期至 %(d)s，期满后方可提交审批。")
        )
        % notice_ends_on,
        "decision": decision,
        "decision_labels": {name: _label(decision, name) for name in ("outcome", "tier")} if decision else {},
        "payments": [(p, _label(p, "status")) for p in payments],
        "pay_form": f.EmergencyPayForm() if can_pay else None,
        "county_form": f.CountyDecisionForm() if user.role == Role.SUPERVISOR else None,
        # (transition, from label, to label, who: the user, else the recorded label)
        "transitions": [
            (
                t,
                _label(t, "from_status"),
                _label(t, "to_status"),
                (t.actor.display_name if t.actor is not None else "") or t.actor_label,
            )
            for t in case.transitions.all()
        ],
        "stages": _stages(case),
        "evaluation_tiers": labelled_tiers(opinion.evaluation if opinion else None),
        "investigations": case.investigations.all(),
        "notices": [(n, _label(n, "tier")) for n in case.notices.all()],
        # Plans, referrals, charity hand-offs …: sections added by other modules through accounts.hooks.
        "extra_panels": render_panels("case_panels", request, case=case),
        "open_action": open_action,
    }


@login_required
def case_detail(request: HttpRequest, pk: int) -> HttpResponse:
    context = _detail_context(request, _page_case(request, pk))
    return render(request, "casework/case_detail.html", context, using="jinja2")


def _bound_form(action: str, case: Case, user: User, request: HttpRequest) -> Any:
    if action == "start_check":
        return f.CheckStartForm(request.POST)
    if action == "record_investigation":
        check = check_services.latest_check(case)
        return f.InvestigationForm(
            request.POST,
            request.FILES,
            staff=investigation.eligible_investigators(case),
            discrepancies=check.discrepancies if check else [],
        )
    if action == "issue_opinion":
        return f.OpinionForm(request.POST)
    if action == "publish_notice":
        return f.NoticeForm(request.POST)
    if action == "record_objection":
        return f.ObjectionForm(request.POST)
    if action == "confirm":
        return f.ConfirmForm(request.POST)
    if action == "refuse":
        return f.RefuseForm(request.POST)
    if action == "emergency_pay":
        return f.EmergencyPayForm(request.POST)
    if action == "close_notice":
        return None
    return f.ReasonForm(request.POST)


def _run(action: str, user: User, case: Case, cd: dict[str, Any]) -> str:
    """Call the service behind ``action``; return the success message."""
    if action == "start_check":
        if cd.get("purpose"):
            check_services.check_start(actor=user, case=case, purpose=cd["purpose"])
        else:
            check_services.check_start(actor=user, case=case)
        return _("已发起经济状况核对。")
    if action == "record_investigation":
        investigation.investigation_record(
            actor=user,
            case=case,
            visited_on=cd["visited_on"],
            investigator_ids=cd["investigators"],
            findings=cd["findings"],
            adopt=cd.get("adopt", []),
            photos=cd.get("photos", []),
        )
        return _("入户调查已登记。")
    if action == "issue_opinion":
        review.opinion_issue(actor=user, case=case, **cd)
        return _("初审意见已出具。")
    if action == "reinvestigate":
        review.case_reinvestigate(actor=user, case=case, reason=cd["reason"])
        return _("已退回重新入户调查。")
    if action == "revise_opinion":
        review.opinion_revise(actor=user, case=case, reason=cd["reason"])
        return _("已退回修改初审意见。")
    if action == "publish_notice":
        notice.notice_publish(actor=user, case=case, starts_on=cd.get("starts_on"))
        return _("公示已发布，请打印公示张贴。")
    if action == "record_objection":
        notice.objection_record(actor=user, case=case, **cd)
        return _("异议已登记，案件退回重新入户调查。")
    if action == "close_notice":
        notice.notice_close(actor=user, case=case)
        return _("公示期满，已提交审批。")
    if action == "confirm":
        # Approval and enrolment (issue 5) in one transaction.
        enrolment.case_confirm_and_enrol(actor=user, case=case, note=cd.get("note", ""))
        return _("已确认批准，请打印救助决定书。")
    if action == "refuse":
        review.case_refuse(actor=user, case=case, reasons=cd["reasons"])
        return _("已作出不予批准决定，请打印不予批准通知书。")
    if action == "send_back":
        review.case_send_back(actor=user, case=case, reason=cd["reason"])
        return _("已退回重新调查。")
    if action == "withdraw":
        review.case_withdraw(actor=user, case=case, reason=cd["reason"])
        return _("申请已撤回。")
    if action == "emergency_pay":
        payment = emergency.emergency_pay(actor=user, case=case, amount=cd["amount"], reason=cd["reason"])
        if payment.status == PaymentStatus.PAID:
            return _("已从街道备用金先行支付 %(a)s 元。") % {"a": payment.amount}
        return _("金额超出街道审批限额(%(l)s 元)，已报县级民政部门审批。") % {"l": payment.street_limit}
    raise Http404


@login_required
@require_POST
def case_act(request: HttpRequest, pk: int, action: str) -> HttpResponse:
    case = _case(request, pk)
    user = _user(request)
    allowed = {s.action for _to, s in next_steps(case.status, user.role)} | {"emergency_pay"}
    if action not in allowed:
        messages.error(request, _("当前状态下您不能执行该操作。"))
        return redirect("case-detail", pk=case.pk)
    form = _bound_form(action, case, user, request)
    if form is not None and not form.is_valid():
        context = _detail_context(request, case, bound={action: form}, open_action=action)
        return render(request, "casework/case_detail.html", context, status=400, using="jinja2")
    try:
        message = _run(action, user, case, form.cleaned_data if form is not None else {})
    except ValidationError as exc:
        if form is not None and hasattr(exc, "error_dict"):
            for field, errors in exc.message_dict.items():
                form.add_error(field if field in form.fields else None, errors)
            context = _detail_context(request, _page_case(request, pk), bound={action: form}, open_action=action)
            return render(request, "casework/case_detail.html", context, status=400, using="jinja2")
        messages.error(request, "；".join(_error_messages(exc)))
    except BusinessError as exc:
        messages.error(request, exc.message)
    else:
        messages.success(request, message)
    return redirect("case-detail", pk=case.pk)


@login_required
@require_POST
def case_authorisation(request: HttpRequest, pk: int) -> HttpResponse:
    case = _case(request, pk)
    user = _user(request)
    missing = app_intake.adults_without_authorisation(case.application, on=timezone.localdate())
    form = f.AuthorisationForm(
        request.POST, request.FILES, members=[(m.pk, f"{m.name}({m.id_masked})") for m in missing]
    )
    if user.role != Role.CLERK:
        messages.error(request, _("只有窗口受理人员可以登记授权书。"))
    elif not form.is_valid():
        messages.error(request, "；".join(str(e) for errors in form.errors.values() for e in errors))
    else:
        member = get_object_or_404(Member, pk=form.cleaned_data["member"], household=case.household)
        try:
            app_intake.authorisation_record(
                actor=user,
                application=case.application,
                member=member,
                signed=form.cleaned_data["signed"],
                signed_on=form.cleaned_data.get("signed_on"),
                scan=form.cleaned_data.get("scan"),
            )
            messages.success(request, _("已登记 %(n)s 的授权书。") % {"n": member.name})
        except ValidationError as exc:
            messages.error(request, "；".join(_error_messages(exc)))
        except BusinessError as exc:
            messages.error(request, exc.message)
    return redirect("case-detail", pk=case.pk)


@login_required
def authorisation_scan(request: HttpRequest, pk: int) -> FileResponse:
    """Scans are served only through the scope check (never as public media)."""
    visible = selectors.applications_visible_to(request.user).values("pk")
    auth = get_object_or_404(EconomicCheckAuthorisation.objects.filter(application__in=visible).exclude(scan=""), pk=pk)
    return FileResponse(auth.scan.open("rb"), filename=auth.scan.name.rsplit("/", 1)[-1])


@login_required
def investigation_photo(request: HttpRequest, pk: int) -> FileResponse:
    from casework.models import InvestigationPhoto

    visible = selectors.cases_visible_to(request.user).values("pk")
    photo = get_object_or_404(InvestigationPhoto.objects.filter(investigation__case__in=visible), pk=pk)
    return FileResponse(photo.image.open("rb"))
