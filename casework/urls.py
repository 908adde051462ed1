"""Staff pages of this app (included at the site root by hefei_aid/urls.py)."""

from django.urls import path  # noqa: F401

urlpatterns: list = []
