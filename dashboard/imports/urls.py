"""Import pages: upload, mapping, tracker, reports."""

from django.urls import path

from dashboard.imports import views

app_name = "imports"

urlpatterns = [
    path("", views.import_list, name="list"),
]
