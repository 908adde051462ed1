from django.urls import path

from eligibility import api

urlpatterns = [
    path("eligibility/evaluate/", api.EvaluateView.as_view(), name="eligibility-evaluate"),
    path("eligibility/parameters/", api.ParameterListView.as_view(), name="eligibility-parameters"),
]
