"""Pages of the one-window workflow (included at the site root by hefei_aid/urls.py)."""

from django.urls import path

from casework.views import cases, emergency, intake, printing, public

urlpatterns = [
    # Window intake (一门受理)
    path("intake/", intake.intake, name="intake"),
    path("intake/applications/", intake.application_list, name="application-list"),
    path("intake/applications/<int:pk>/", intake.application_detail, name="application-detail"),
    path("intake/applications/<int:pk>/<slug:action>/", intake.application_act, name="application-act"),
    # Cases
    path("cases/", cases.case_queue, name="case-queue"),
    path("cases/<int:pk>/", cases.case_detail, name="case-detail"),
    path("cases/<int:pk>/act/<slug:action>/", cases.case_act, name="case-act"),
    path("cases/<int:pk>/authorisation/", cases.case_authorisation, name="case-authorisation"),
    path("cases/<int:pk>/print/acceptance/", printing.acceptance_notice, name="case-print-acceptance"),
    path("cases/<int:pk>/print/notice/", printing.notice_print, name="case-print-notice"),
    path("cases/<int:pk>/print/decision/", printing.decision_print, name="case-print-decision"),
    path("notices/board/", printing.notice_board, name="notice-board"),
    path("files/authorisations/<int:pk>/", cases.authorisation_scan, name="authorisation-scan"),
    path("files/investigation-photos/<int:pk>/", cases.investigation_photo, name="investigation-photo"),
    # Emergency path
    path("emergencies/", emergency.emergency_list, name="emergency-list"),
    path("emergencies/<int:pk>/", emergency.emergency_detail, name="emergency-detail"),
    path("reserve-funds/", emergency.reserve_funds, name="reserve-funds"),
    path("emergency-payments/<int:pk>/decide/", emergency.payment_decide, name="payment-decide"),
    # 掌上办 (public, no login)
    path("apply/", public.apply, name="apply"),
    path("apply/done/", public.apply_done, name="apply-done"),
    path("apply/status/", public.apply_status, name="apply-status"),
]

# Issue 6: assistance plans, purchased services, referrals, facilities, stranded persons, volunteers.
from casework.urls_plans import urlpatterns as plans_urlpatterns  # noqa: E402

urlpatterns += plans_urlpatterns

# Issue 5: enrolment, payment rolls, re-verification, monitoring and active discovery.
from casework.views import enrolment as _enrolment  # noqa: E402
from casework.views import monitoring as _monitoring  # noqa: E402
from casework.views import payments as _payments  # noqa: E402
from casework.views import reverification as _reverification  # noqa: E402

urlpatterns += [
    path("enrolments/", _enrolment.enrolment_list, name="enrolment-list"),
    path("enrolments/<int:pk>/", _enrolment.enrolment_detail, name="enrolment-detail"),
    path("enrolments/<int:pk>/bridging/", _enrolment.enrolment_bridging, name="enrolment-bridging"),
    path("enrolments/<int:pk>/recheck/", _enrolment.enrolment_recheck, name="enrolment-recheck"),
    path("enrolments/enrol/<int:decision_pk>/", _enrolment.enrolment_enrol_decision, name="enrolment-enrol"),
    path("payment-rolls/", _payments.roll_list, name="roll-list"),
    path("payment-rolls/generate/", _payments.roll_generate, name="roll-generate"),
    path("payment-rolls/<int:pk>/", _payments.roll_detail, name="roll-detail"),
    path("payment-rolls/<int:pk>/lock/", _payments.roll_lock, name="roll-lock"),
    path("payment-rolls/<int:pk>/export.<slug:fmt>", _payments.roll_export, name="roll-export"),
    path("reverification/", _reverification.reverification_home, name="reverification-home"),
    path("reverification/runs/", _reverification.run_start, name="reverification-start"),
    path("reverification/runs/<int:pk>/", _reverification.run_detail, name="reverification-run"),
    path("reverification/runs/<int:pk>/resume/", _reverification.run_resume, name="reverification-resume"),
    path("review-tasks/", _reverification.task_list, name="review-task-list"),
    path("review-tasks/<int:pk>/", _reverification.task_detail, name="review-task-detail"),
    path("review-tasks/<int:pk>/notice/", _reverification.task_notice, name="review-task-notice"),
    path("monitoring/", _monitoring.monitoring_queue, name="monitoring-queue"),
    path("monitoring/scan/", _monitoring.monitoring_scan_now, name="monitoring-scan"),
    path("monitoring/alerts/<int:pk>/<slug:action>/", _monitoring.alert_act, name="alert-act"),
    path("monitoring/report/", _monitoring.lead_report, name="lead-report"),
    path("monitoring/leads/<int:pk>/", _monitoring.lead_detail, name="lead-detail"),
]
from casework.urls_spotcheck import urlpatterns as spotcheck_urlpatterns  # noqa: E402  (issue 7: spot checks)

urlpatterns += spotcheck_urlpatterns
