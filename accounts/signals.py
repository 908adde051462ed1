"""Security signal receivers (connected in AccountsConfig.ready): login stamps, failure and lockout
logging, and ending the sessions of a disabled account."""

from __future__ import annotations

from typing import Any

from axes.signals import user_locked_out
from django.contrib.auth.signals import user_logged_in, user_logged_out, user_login_failed
from django.db.models.signals import post_delete, post_save, pre_save
from django.dispatch import receiver
from django.http import HttpRequest
from django_otp.plugins.otp_totp.models import TOTPDevice

from accounts.backends import forget_cached_users
from accounts.models import Region, User
from accounts.security import client_ip, end_user_sessions, forget_otp_free, logger, stamp_login


@receiver(user_logged_in, dispatch_uid="security_login_stamp")
def _stamp_login(sender: Any, request: HttpRequest | None, user: User, **kwargs: Any) -> None:
    if request is not None and hasattr(request, "session"):
        stamp_login(request)
        logger.info("login ok user=%s ip=%s", user.get_username(), client_ip(request))


@receiver(user_logged_out, dispatch_uid="security_logout_log")
def _log_logout(sender: Any, request: HttpRequest | None, user: User | None, **kwargs: Any) -> None:
    if user is not None:
        logger.info("logout user=%s", user.get_username())


@receiver(user_login_failed, dispatch_uid="security_login_failed")
def _log_failure(sender: Any, credentials: dict[str, Any], request: HttpRequest | None = None, **kwargs: Any) -> None:
    ip = client_ip(request) if request is not None else None
    logger.warning("login failed user=%s ip=%s", credentials.get("username", ""), ip)


@receiver(user_locked_out, dispatch_uid="security_locked_out")
def _log_lockout(
    sender: Any, request: HttpRequest, username: str | None, ip_address: str | None, **kwargs: Any
) -> None:
    logger.warning("login locked out user=%s ip=%s", username or "", ip_address)


@receiver(pre_save, sender=User, dispatch_uid="security_track_active")
def _track_active(sender: type[User], instance: User, **kwargs: Any) -> None:
    was_active = False
    update_fields = kwargs.get("update_fields")
    if update_fields is not None and "is_active" not in update_fields:
        pass  # e.g. last_login on every sign-in: is_active is not being written
    elif instance.pk is not None:
        was_active = bool(User.objects.filter(pk=instance.pk, is_active=True).exists())
    instance._security_was_active = was_active  # type: ignore[attr-defined]


@receiver(post_save, sender=User, dispatch_uid="security_end_sessions_on_disable")
def _end_sessions_on_disable(sender: type[User], instance: User, created: bool, **kwargs: Any) -> None:
    if created or instance.is_active or not getattr(instance, "_security_was_active", False):
        return
    count = end_user_sessions(instance)
    logger.warning("account disabled user=%s sessions_ended=%d tokens_deleted", instance.get_username(), count)


@receiver(post_save, sender=TOTPDevice, dispatch_uid="security_otp_device_confirmed")
def _otp_device_confirmed(sender: type[TOTPDevice], instance: TOTPDevice, **kwargs: Any) -> None:
    """A confirmed device (enrolment page or the admin) takes effect in the user's open sessions too:
    they forget the remembered "no device" answer (accounts.security.OTP_FREE_KEY) and ask for a code."""
    if instance.confirmed:
        forget_otp_free(instance.user_id)


@receiver(post_save, sender=User, dispatch_uid="auth_user_cache_save")
@receiver(post_delete, sender=User, dispatch_uid="auth_user_cache_delete")
def _forget_cached_user(sender: Any, instance: User, **kwargs: Any) -> None:
    """The signed-in user's cached row (accounts/backends.py) is dropped on every change."""
    forget_cached_users([instance.pk])


@receiver(post_save, sender=Region, dispatch_uid="auth_user_cache_region")
def _forget_cached_users_of_region(sender: Any, instance: Region, **kwargs: Any) -> None:
    """A renamed region: the cached users who carry it read it again."""
    forget_cached_users(User.objects.filter(region_id=instance.pk).values_list("pk", flat=True))
