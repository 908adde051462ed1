"""REST endpoints of county/city supervision (included under /api/v1/ by hefei_aid/urls.py)."""

from django.urls import path

urlpatterns: list = []

# Department recipient-status query (department token auth only).
from oversight.api_departments import RecipientStatusView  # noqa: E402

urlpatterns += [
    path("departments/recipient-status/", RecipientStatusView.as_view(), name="department-recipient-status")
]

# Supervision dashboard figures (session or token; county supervisors and city admins).
from oversight.api import FiguresView  # noqa: E402

urlpatterns += [path("oversight/figures/", FiguresView.as_view(), name="oversight-figures")]
