from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render

from accounts.hooks import collect
from accounts.models import AuditLog, Region
from accounts.selectors import scope_by_region, scope_prefix, streets_visible_to
from applications.models import Member
from applications.selectors import households_visible_to


@login_required
def home(request: HttpRequest) -> HttpResponse:
    prefix = scope_prefix(request.user) or ""
    households = households_visible_to(request.user)
    context = {
        "household_count": households.count(),
        "member_count": Member.objects.filter(household__in=households.values("pk"), active=True).count(),
        "street_count": streets_visible_to(request.user).count(),
        "scope_region": Region.objects.filter(code=prefix).first() if prefix else None,
        "home_tiles": collect("home_tiles", request.user),
        "recent_audit": scope_by_region(AuditLog.objects.all(), request.user, "region_code")[:10],
    }
    return render(request, "accounts/home.html", context)
