"""Staff pages of the charity hand-off (included at the site root by hefei_aid/urls.py)."""

from django.urls import path

from charity.views import funds, handoffs, reports

urlpatterns = [
    path("charity/", handoffs.charity_home, name="charity-home"),
    path("charity/handoffs/", handoffs.handoff_list, name="charity-handoff-list"),
    path("charity/handoffs/<int:pk>/", handoffs.handoff_detail, name="charity-handoff-detail"),
    path("charity/handoffs/<int:pk>/act/<slug:action>/", handoffs.handoff_act, name="charity-handoff-act"),
    path("charity/handoffs/<int:pk>/consent-scan/", handoffs.consent_scan, name="charity-consent-scan"),
    path("charity/cases/<int:case_pk>/", handoffs.case_handoffs, name="charity-case"),
    path("charity/cases/<int:case_pk>/refer/", handoffs.handoff_refer, name="charity-refer"),
    path("charity/funds/<int:pk>/", funds.fund_detail, name="charity-fund-detail"),
    path("charity/funds/<int:pk>/donations/new/", funds.donation_new, name="charity-donation-new"),
    path("charity/funds/<int:pk>/transfers/new/", funds.transfer_new, name="charity-transfer-new"),
    path("charity/funds/<int:pk>/statement/", reports.statement, name="charity-statement"),
    path("charity/entries/<int:pk>/", funds.entry_detail, name="charity-entry-detail"),
    path("charity/reports/grants/", reports.grants_report, name="charity-grants-report"),
]
