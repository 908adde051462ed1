"""REST endpoints of the one-window workflow (included under /api/v1/ by hefei_aid/urls.py)."""

from django.urls import include, path
from rest_framework.routers import SimpleRouter

from casework import api

router = SimpleRouter()
router.register("applications", api.ApplicationViewSet, basename="application")
router.register("cases", api.CaseViewSet, basename="case")
router.register("emergency-payments", api.EmergencyPaymentViewSet, basename="emergency-payment")
router.register("public-emergencies", api.PublicEmergencyViewSet, basename="public-emergency")
router.register("reserve-funds", api.ReserveFundViewSet, basename="reserve-fund")

urlpatterns = [
    path("intake/", api.IntakeView.as_view(), name="intake"),
    path("", include(router.urls)),
]

# Issue 6: plans, service orders, delivery records, referrals, conferences, volunteers, facilities.
from casework.api_plans import router as plans_router  # noqa: E402

urlpatterns += [path("", include(plans_router.urls))]

# Issue 5: enrolments, payment rolls, re-verification runs/schedules, review tasks, alerts, leads.
from casework import api_enrolment  # noqa: E402

_issue5 = SimpleRouter()
api_enrolment.register(_issue5)
urlpatterns += [
    path("reverification-schedules/", api_enrolment.ScheduleView.as_view(), name="reverification-schedules"),
    path("", include(_issue5.urls)),
]

# Issue 7: spot checks (抽查) and rectifications.
from casework.api_spotcheck import register as _register_spotcheck  # noqa: E402

_issue7 = SimpleRouter()
_register_spotcheck(_issue7)
urlpatterns += [path("", include(_issue7.urls))]
