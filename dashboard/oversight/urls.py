"""Oversight pages: compliance summary and the audit log."""

from django.urls import path

from dashboard.oversight import views

app_name = "oversight"

urlpatterns = [
    path("compliance/", views.compliance_overview, name="compliance"),
    path("audit/", views.audit_log, name="audit"),
]
