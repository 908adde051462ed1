"""Pages of the spot checks (抽查, issue 7), included by casework/urls.py."""

from django.urls import path

from casework.views import spotcheck

urlpatterns = [
    path("spot-checks/", spotcheck.spotcheck_list, name="spotcheck-list"),
    path("spot-checks/new/", spotcheck.spotcheck_create, name="spotcheck-create"),
    path("spot-checks/<int:pk>/", spotcheck.spotcheck_detail, name="spotcheck-detail"),
    path("spot-checks/<int:pk>/print/", spotcheck.spotcheck_print, name="spotcheck-print"),
    path("spot-checks/items/<int:pk>/", spotcheck.item_detail, name="spotcheck-item"),
    path("spot-checks/items/<int:pk>/result/", spotcheck.item_result, name="spotcheck-item-result"),
    path("spot-checks/items/<int:pk>/respond/", spotcheck.item_respond, name="spotcheck-item-respond"),
    path("spot-checks/items/<int:pk>/close/", spotcheck.item_close, name="spotcheck-item-close"),
    path("rectifications/", spotcheck.rectification_list, name="spotcheck-rectifications"),
]
