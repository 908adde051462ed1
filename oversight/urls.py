"""Pages of county/city supervision (included at the site root by hefei_aid/urls.py)."""

from django.urls import include, path

from oversight import views

urlpatterns: list = [
    path("oversight/", views.dashboard, name="oversight-dashboard"),
    path("oversight/refresh/", views.refresh, name="oversight-refresh"),
    path("oversight/list/<slug:figure>/", views.drilldown, name="oversight-drilldown"),
]

urlpatterns += [path("", include("oversight.urls_reports"))]  # monthly report, department query log
