"""Priority-list pages."""

from django.urls import path

from dashboard.lists import views

app_name = "lists"

urlpatterns = [
    path("", views.builder, name="builder"),
    path("count/", views.count, name="count"),
    path("save/", views.save, name="save"),
    path("saved/<int:filter_id>/", views.saved, name="saved"),
    path("saved/<int:filter_id>/rename/", views.rename_saved, name="saved_rename"),
    path("saved/<int:filter_id>/delete/", views.delete_saved, name="saved_delete"),
    path("exports/", views.export_list, name="exports"),
    path("exports/new/", views.export, name="export"),
    path("exports/<int:export_id>/", views.export_detail, name="export_detail"),
    path("exports/<int:export_id>/download/", views.export_download, name="export_download"),
]
