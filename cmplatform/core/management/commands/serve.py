"""Serve the platform over ASGI (HTTP + WebSockets) with daphne."""

from __future__ import annotations

from typing import Any

from daphne.cli import CommandLineInterface
from django.conf import settings
from django.core.management.base import BaseCommand, CommandParser

from cmplatform.celery import app as celery_app
from cmplatform.lib.embedded_worker import embedded_worker_start


class Command(BaseCommand):
    help = (
        "Serve the ASGI application. In the embedded mode (file-based Celery queue) a worker "
        "thread runs in the same process so that live progress reaches browsers."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--host", default="127.0.0.1")
        parser.add_argument("--port", type=int, default=8000)
        parser.add_argument(
            "--worker",
            choices=("auto", "yes", "no"),
            default="auto",
            help="run a Celery worker thread in this process (auto: in the embedded mode only)",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        embedded = settings.CELERY_BROKER_URL.startswith("filesystem://")
        if options["worker"] == "yes" or (options["worker"] == "auto" and embedded):
            embedded_worker_start(celery_app)
            self.stdout.write("Celery worker thread started in this process.")
        self.stdout.write(
            f"Serving on http://{options['host']}:{options['port']}/ (run mode {settings.RUN_MODE})"
        )
        module, _, attribute = settings.ASGI_APPLICATION.rpartition(".")
        CommandLineInterface().run(
            ["--bind", options["host"], "--port", str(options["port"]), f"{module}:{attribute}"]
        )
