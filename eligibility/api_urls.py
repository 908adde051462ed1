"""REST endpoints of this app (included under /api/v1/ by hefei_aid/urls.py)."""

from django.urls import path  # noqa: F401

urlpatterns: list = []
