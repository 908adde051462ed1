"""REST endpoints of the charity hand-off (included under /api/v1/ by hefei_aid/urls.py)."""

from django.urls import include, path
from rest_framework.routers import SimpleRouter

from charity import api

router = SimpleRouter()
router.register("charity/funds", api.FundViewSet, basename="charity-fund")
router.register("charity/entries", api.EntryViewSet, basename="charity-entry")
router.register("charity/donations", api.DonationViewSet, basename="charity-donation")
router.register("charity/handoffs", api.HandOffViewSet, basename="charity-handoff")

urlpatterns = [
    path("charity/transfers/", api.TransferView.as_view(), name="charity-transfer"),
    path("charity/reports/grants/", api.GrantsReportView.as_view(), name="charity-report-grants"),
    path("", include(router.urls)),
]
