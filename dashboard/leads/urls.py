"""Lead pages: search, the lead detail, merge and unmerge."""

from django.urls import path

from dashboard.leads import views

app_name = "leads"

urlpatterns = [
    path("", views.lead_search, name="search"),
    path("<int:person_id>/", views.lead_detail, name="detail"),
    path("<int:person_id>/merge/", views.lead_merge, name="merge"),
    path("<int:person_id>/unmerge/", views.lead_unmerge, name="unmerge"),
]
