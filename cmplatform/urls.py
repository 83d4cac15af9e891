"""Top-level URL configuration."""

from django.contrib import admin
from django.urls import path
from django.views.generic import RedirectView

from cmplatform.core.views import healthz

admin.site.site_header = "cmplatform operations console"
admin.site.site_title = "cmplatform"
admin.site.index_title = "Source of truth"

urlpatterns = [
    path("healthz", healthz, name="healthz"),
    path("admin/", admin.site.urls),
    path("", RedirectView.as_view(pattern_name="admin:index", permanent=False)),
]
