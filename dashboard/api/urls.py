"""REST API routes (``/api/``); the schema is at ``/api/schema/``, its docs at ``/api/docs/``."""

from django.urls import path, re_path

from dashboard.api import views

urlpatterns = [
    path("token/", views.TokenObtain.as_view(), name="api-token"),
    path("persons/", views.PersonSearch.as_view(), name="api-persons"),
    path("persons/<int:pk>/", views.PersonDetail.as_view(), name="api-person"),
    path("imports/", views.ImportList.as_view(), name="api-imports"),
    path("imports/<int:pk>/", views.ImportDetail.as_view(), name="api-import"),
    path(
        "imports/<int:pk>/reports/<str:kind>/",
        views.ImportReport.as_view(),
        name="api-import-report",
    ),
    path("lists/", views.ListRun.as_view(), name="api-lists"),
    path("saved-filters/", views.SavedFilterList.as_view(), name="api-saved-filters"),
    path(
        "saved-filters/<int:pk>/run/", views.SavedFilterRun.as_view(), name="api-saved-filter-run"
    ),
    path("compliance/check/", views.ComplianceCheck.as_view(), name="api-compliance-check"),
    re_path(r"^(?P<path>.*)$", views.not_found),
]
