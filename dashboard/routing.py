"""WebSocket URL routes."""

from django.urls import re_path

from dashboard.consumers import ProgressConsumer

websocket_urlpatterns = [
    re_path(r"^ws/progress/(?P<topic>[A-Za-z0-9._-]{1,80})/$", ProgressConsumer.as_asgi()),
]
