"""Pages of the monthly statistics report and the department query log."""

from django.urls import path

from oversight import views_reports

urlpatterns = [
    path("oversight/reports/monthly/", views_reports.monthly_report_page, name="oversight-monthly-report"),
    path("oversight/reports/monthly.xlsx", views_reports.monthly_report_xlsx, name="oversight-monthly-report-xlsx"),
    path("oversight/departments/queries/", views_reports.department_query_log, name="oversight-department-queries"),
]
