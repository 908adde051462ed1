"""REST endpoints of county/city supervision (included under /api/v1/ by hefei_aid/urls.py)."""

from django.urls import path

urlpatterns: list = []
