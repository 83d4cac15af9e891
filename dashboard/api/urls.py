"""REST API routes (``/api/``)."""

from django.urls import path

from dashboard.api import views

urlpatterns = [
    path("persons/", views.PersonSearch.as_view(), name="api-persons"),
]
