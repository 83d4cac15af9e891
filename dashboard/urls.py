"""Dashboard pages, one URL module per area."""

from django.urls import include, path

from dashboard import views

app_name = "dashboard"

urlpatterns = [
    path("", views.home, name="home"),
    path("imports/", include("dashboard.imports.urls")),
    path("lists/", include("dashboard.lists.urls")),
    path("leads/", include("dashboard.leads.urls")),
    path("", include("dashboard.oversight.urls")),
]
