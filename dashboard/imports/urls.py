"""Import pages: upload, mapping, tracker, reports."""

from django.urls import path

from dashboard.imports import views

app_name = "imports"

urlpatterns = [
    path("", views.import_list, name="list"),
    path("upload/", views.upload, name="upload"),
    path("uploads/", views.upload_create, name="upload_create"),
    path("uploads/<str:upload_id>/", views.upload_status, name="upload_status"),
    path("uploads/<str:upload_id>/parts/", views.upload_part, name="upload_part"),
    path("uploads/<str:upload_id>/finish/", views.upload_finish, name="upload_finish"),
    path("uploads/<str:upload_id>/discard/", views.upload_discard, name="upload_discard"),
    path("uploads/<str:upload_id>/mapping/", views.mapping, name="mapping"),
    path("uploads/<str:upload_id>/start/", views.start, name="start"),
    path("<int:batch_id>/", views.detail, name="detail"),
    path("<int:batch_id>/status/", views.status, name="status"),
    path("<int:batch_id>/reports/errors/", views.error_report, name="error_report"),
    path("<int:batch_id>/reports/<str:kind>/", views.report, name="report"),
    path("<int:batch_id>/replay/", views.replay, name="replay"),
    path("<int:batch_id>/cancel/", views.cancel, name="cancel"),
    path("<int:batch_id>/resume/", views.resume, name="resume"),
]
