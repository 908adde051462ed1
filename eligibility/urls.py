from django.urls import path

from eligibility import views

urlpatterns = [
    path("parameters/", views.parameter_list, name="parameter-list"),
    path("parameters/new/", views.parameter_new, name="parameter-new"),
    path("parameters/<int:pk>/correct/", views.parameter_correct, name="parameter-correct"),
]
