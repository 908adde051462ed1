"""Pages of county/city supervision (included at the site root by hefei_aid/urls.py)."""

from django.urls import path

urlpatterns: list = []
