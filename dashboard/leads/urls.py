"""Lead pages: search and the lead detail."""

from django.urls import path

from dashboard.leads import views

app_name = "leads"

urlpatterns = [
    path("", views.lead_search, name="search"),
    path("<int:person_id>/", views.lead_detail, name="detail"),
]
