from django.conf import settings
from django.conf.urls.static import static
from django.contrib import admin
from django.contrib.auth import views as auth_views
from django.urls import include, path
from drf_spectacular.views import SpectacularAPIView, SpectacularSwaggerSplitView
from rest_framework.routers import DefaultRouter

from accounts import views as account_views
from applications import api as application_api
from applications import views as application_views

router = DefaultRouter()
router.register("households", application_api.HouseholdViewSet, basename="household")
router.register("members", application_api.MemberViewSet, basename="member")

api_v1 = [
    path("", include(router.urls)),
    path("", include("eligibility.api_urls")),
    path("", include("casework.api_urls")),
    path("", include("charity.api_urls")),
    path("", include("oversight.api_urls")),
]

urlpatterns = [
    path("", account_views.home, name="home"),
    path("accounts/login/", auth_views.LoginView.as_view(), name="login"),
    path("accounts/logout/", auth_views.LogoutView.as_view(), name="logout"),
    path("accounts/otp/", include("accounts.otp_urls")),
    path("households/", application_views.household_list, name="household-list"),
    path("households/<int:pk>/", application_views.household_detail, name="household-detail"),
    path("members/<int:pk>/reveal/", application_views.member_reveal, name="member-reveal"),
    path("", include("eligibility.urls")),
    path("", include("casework.urls")),
    path("", include("charity.urls")),
    path("", include("oversight.urls")),
    path("admin/", admin.site.urls),
    path("api/v1/", include((api_v1, "api"), namespace="v1")),
    path("api/schema/", SpectacularAPIView.as_view(), name="schema"),
    path("api/docs/", SpectacularSwaggerSplitView.as_view(url_name="schema"), name="swagger-ui"),
    path("i18n/", include("django.conf.urls.i18n")),
]
if settings.DEBUG:
    urlpatterns += static(settings.MEDIA_URL, document_root=settings.MEDIA_ROOT)
