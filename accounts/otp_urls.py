"""Two-factor (TOTP) pages, included under /accounts/otp/ by hefei_aid/urls.py."""

from django.urls import path

from accounts import views

urlpatterns = [
    path("verify/", views.otp_verify, name="otp-verify"),
    path("setup/", views.otp_setup, name="otp-setup"),
]
