"""Pages of assistance plans, purchased services, referrals, facilities, stranded persons and
volunteers (appended to ``casework.urls``)."""

from django.urls import path

from casework.views import facilities, plans, referrals, services_catalogue, stranded, volunteers

urlpatterns = [
    path("cases/<int:pk>/plan/", plans.plan_page, name="case-plan"),
    path("cases/<int:pk>/plan/act/<slug:action>/", plans.plan_act, name="case-plan-act"),
    path("cases/<int:pk>/referrals/", referrals.chain_page, name="case-referrals"),
    path("cases/<int:pk>/referrals/act/<slug:action>/", referrals.chain_act, name="case-referrals-act"),
    path("referrals/<int:pk>/<slug:action>/", referrals.referral_step, name="referral-step"),
    path("my-cases/", plans.my_cases, name="my-cases"),
    path("assistance/", plans.hub, name="assistance-hub"),
    path("services/", services_catalogue.services_page, name="services"),
    path("services/act/<slug:action>/", services_catalogue.services_act, name="services-act"),
    path("services/contracts/<int:pk>/", services_catalogue.contract_page, name="contract-detail"),
    path("services/contracts/<int:pk>/evaluate/", services_catalogue.contract_evaluate, name="contract-evaluate"),
    path("facilities/", facilities.facilities_page, name="facilities"),
    path("facilities/new/", facilities.facility_create, name="facility-create"),
    path("facilities/<int:pk>/", facilities.facility_page, name="facility-detail"),
    path("facilities/<int:pk>/<slug:action>/", facilities.facility_act, name="facility-act"),
    path("stranded/", stranded.stranded_list, name="stranded-list"),
    path("stranded/new/", stranded.stranded_create, name="stranded-create"),
    path("stranded/<int:pk>/", stranded.stranded_detail, name="stranded-detail"),
    path("stranded/<int:pk>/<slug:action>/", stranded.stranded_act, name="stranded-act"),
    path("volunteers/", volunteers.volunteers_page, name="volunteers"),
    path("volunteers/act/<slug:action>/", volunteers.volunteers_act, name="volunteers-act"),
    path("volunteers/tasks/<int:pk>/", volunteers.task_page, name="volunteer-task"),
    path("volunteers/tasks/<int:pk>/<slug:action>/", volunteers.task_act, name="volunteer-task-act"),
]
