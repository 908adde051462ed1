from __future__ import annotations

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext_lazy as _
from django_otp import login as otp_login
from django_otp.plugins.otp_totp.models import TOTPDevice

from accounts.api import staff_user
from accounts.hooks import collect
from accounts.models import AuditLog, Region, User
from accounts.security import logger as security_logger
from accounts.security import (
    otp_eligible,
    otp_required,
    pending_device,
    qr_svg,
    remember_otp_state,
    secret_for_display,
)
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


# --- Two-factor (TOTP) sign-in step and enrolment (issue 8) -------------------------------------


class OTPTokenForm(forms.Form):
    otp_token = forms.CharField(
        label=_("动态验证码"),
        min_length=6,
        max_length=6,
        widget=forms.TextInput(attrs={"autocomplete": "one-time-code", "inputmode": "numeric", "pattern": "[0-9]*"}),
    )

    def clean_otp_token(self) -> str:
        token = str(self.cleaned_data["otp_token"]).strip()
        if not token.isdigit():
            raise forms.ValidationError(_("请输入 6 位数字验证码。"))
        return token


def _safe_next(request: HttpRequest) -> str:
    target = request.POST.get("next") or request.GET.get("next") or ""
    if target and url_has_allowed_host_and_scheme(target, {request.get_host()}, request.is_secure()):
        return target
    return reverse("home")


def _verify_any_device(user: User, token: str) -> TOTPDevice | None:
    for device in TOTPDevice.objects.filter(user=user, confirmed=True):
        if device.verify_token(token):
            return device
    return None


@login_required
def otp_verify(request: HttpRequest) -> HttpResponse:
    """Second step of the sign-in for a user with a confirmed TOTP device."""
    user = staff_user(request)
    if getattr(request.user, "is_verified", lambda: False)():
        return redirect(_safe_next(request))
    if not otp_required(user):
        remember_otp_state(request, required=False)  # e.g. the device was removed meanwhile
        return redirect(_safe_next(request))
    form = OTPTokenForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        device = _verify_any_device(user, form.cleaned_data["otp_token"])
        if device is not None:
            otp_login(request, device)
            security_logger.info("otp verified user=%s", user.get_username())
            return redirect(_safe_next(request))
        security_logger.warning("otp failed user=%s", user.get_username())
        form.add_error("otp_token", _("验证码错误或已过期,请查看身份验证器中的最新验证码后重试。"))
    context = {"form": form, "next": request.POST.get("next") or request.GET.get("next", "")}
    return render(request, "accounts/otp_verify.html", context)


@login_required
def otp_setup(request: HttpRequest) -> HttpResponse:
    """Enrol (scan the QR code / type the secret, confirm with a code) or switch off the TOTP factor."""
    user = staff_user(request)
    if not otp_eligible(user):
        return render(request, "accounts/otp_setup.html", {"eligible": False}, status=403)
    confirmed = TOTPDevice.objects.filter(user=user, confirmed=True).exists()
    form = OTPTokenForm(request.POST or None)
    action = request.POST.get("action", "")
    if request.method == "POST" and form.is_valid():
        token = form.cleaned_data["otp_token"]
        if action == "disable" and confirmed:
            if _verify_any_device(user, token) is not None:
                TOTPDevice.objects.filter(user=user).delete()
                remember_otp_state(request, required=False)
                security_logger.warning("otp disabled by user=%s", user.get_username())
                messages.success(request, _("已停用二次验证。"))
                return redirect("otp-setup")
            form.add_error("otp_token", _("验证码错误,未停用。"))
        elif action == "confirm" and not confirmed:
            device = pending_device(user)
            if device.verify_token(token):
                device.confirmed = True
                device.save(update_fields=["confirmed"])
                otp_login(request, device)
                remember_otp_state(request, required=True)
                security_logger.warning("otp enrolled user=%s", user.get_username())
                messages.success(request, _("二次验证已启用:以后登录时需输入身份验证器中的动态验证码。"))
                return redirect("otp-setup")
            form.add_error("otp_token", _("验证码错误,请确认手机时间准确并输入最新的 6 位验证码。"))
    context: dict[str, object] = {"eligible": True, "confirmed": confirmed, "form": form}
    if not confirmed:
        device = pending_device(user)
        context.update({"secret": secret_for_display(device), "qr_svg": qr_svg(device)})
    return render(request, "accounts/otp_setup.html", context)
