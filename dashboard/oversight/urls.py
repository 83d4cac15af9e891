"""Oversight pages: the compliance view with its review queue, and the audit log."""

from django.urls import path

from dashboard.oversight import views

app_name = "oversight"

urlpatterns = [
    path("compliance/", views.compliance_overview, name="compliance"),
    path("compliance/review/<int:suppression_id>/", views.review_decide, name="review-decide"),
    path("audit/", views.audit_log, name="audit"),
    path("audit/export.csv", views.audit_export, name="audit-export"),
]
