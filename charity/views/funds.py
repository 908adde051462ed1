"""Fund pages: the fund's books, donations, transfers, a voucher and its reversal."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _

from accounts.api import staff_user
from accounts.errors import BusinessError
from accounts.models import Role
from charity import selectors
from charity.forms import DonationForm, ReasonForm, TransferForm, apply_errors
from charity.models import Donation, EntryKind, Fund, JournalEntry
from charity.services import funds as fund_services
from charity.services.ledger import entry_reverse


def _fund(request: HttpRequest, pk: int) -> Fund:
    return get_object_or_404(selectors.fund_detail_queryset(request.user), pk=pk)


def _refusal(request: HttpRequest, exc: BusinessError) -> None:
    if exc.status == 404:
        raise Http404 from exc
    messages.error(request, exc.message)


@login_required
def fund_detail(request: HttpRequest, pk: int) -> HttpResponse:
    user = staff_user(request)
    fund = _fund(request, pk)
    entries = selectors.fund_entries(user, fund)
    kind = request.GET.get("kind", "")
    if kind in EntryKind.values:
        entries = entries.filter(kind=kind)
    page = Paginator(entries, 25).get_page(request.GET.get("page"))
    rows = []
    for entry in page:
        own = [line for line in entry.lines.all() if line.account.fund_id == fund.pk and line.account.kind == "cash"]
        rows.append(
            {
                "entry": entry,
                "inflow": sum((x.debit for x in own), start=0),
                "outflow": sum((x.credit for x in own), start=0),
            }
        )
    context = {
        "fund": fund,
        "pockets": [a for a in fund.accounts.all() if a.balance],
        "check": selectors.ledger_check(fund),
        "page_obj": page,
        "rows": rows,
        "kind": kind,
        "kinds": EntryKind.choices,
        "can_keep_books": user.role == Role.CHARITY,
        "donations": fund.donations.select_related("entry__reversal")[:8],
        "handoffs": fund.handoffs.filter(status__in=["referred", "accepted", "approved"]).count(),
    }
    return render(request, "charity/fund_detail.html", context)


@login_required
def donation_new(request: HttpRequest, pk: int) -> HttpResponse:
    user = staff_user(request)
    fund = _fund(request, pk)
    form = DonationForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            donation = fund_services.fund_donation_record(actor=user, fund=fund, **data)
        except ValidationError as exc:
            apply_errors(form, exc)
        except BusinessError as exc:
            _refusal(request, exc)
        else:
            messages.success(
                request,
                _("已登记捐赠 ¥%(a)s(凭证 %(n)s)。") % {"a": f"{donation.amount:,.2f}", "n": donation.entry.number},
            )
            return redirect("charity-fund-detail", pk=fund.pk)
    return render(request, "charity/donation_form.html", {"fund": fund, "form": form})


@login_required
def transfer_new(request: HttpRequest, pk: int) -> HttpResponse:
    user = staff_user(request)
    fund = _fund(request, pk)
    targets = selectors.funds_visible_to(user).filter(active=True, region__code__startswith=fund.county_code)
    form = TransferForm(request.POST or None, targets=targets.exclude(pk=fund.pk))
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            entry = fund_services.fund_transfer(
                actor=user,
                source=fund,
                target=data["target"],
                amount=data["amount"],
                purpose=data["purpose"],
                reason=data["reason"],
            )
        except ValidationError as exc:
            apply_errors(form, exc)
        except BusinessError as exc:
            _refusal(request, exc)
        else:
            messages.success(request, _("已调拨(凭证 %(n)s)。") % {"n": entry.number})
            return redirect("charity-fund-detail", pk=fund.pk)
    return render(request, "charity/transfer_form.html", {"fund": fund, "form": form})


@login_required
def entry_detail(request: HttpRequest, pk: int) -> HttpResponse:
    user = staff_user(request)
    entry: JournalEntry = get_object_or_404(selectors.entries_visible_to(user), pk=pk)
    form = ReasonForm(request.POST or None, prefix="reverse")
    if request.method == "POST" and form.is_valid():
        try:
            new_entry = entry_reverse(actor=user, entry=entry, reason=form.cleaned_data["reason"])
        except ValidationError as exc:
            apply_errors(form, exc)
        except BusinessError as exc:
            _refusal(request, exc)
            return redirect("charity-entry-detail", pk=pk)
        else:
            messages.success(request, _("已冲销，冲销凭证 %(n)s。") % {"n": new_entry.number})
            return redirect("charity-entry-detail", pk=new_entry.pk)
    lines = list(entry.lines.all())
    reversal = JournalEntry.objects.filter(reverses=entry).first()
    context = {
        "entry": entry,
        "lines": lines,
        "total_debit": sum((x.debit for x in lines), start=0),
        "total_credit": sum((x.credit for x in lines), start=0),
        "reversal": reversal,
        "donation": Donation.objects.filter(entry=entry).first(),
        "can_reverse": user.role == Role.CHARITY and entry.kind != EntryKind.REVERSAL and reversal is None,
        "form": form,
    }
    return render(request, "charity/entry_detail.html", context, status=400 if form.errors else 200)
