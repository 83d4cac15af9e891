"""cmplatform: the source of truth for a direct-marketing company's person/lead records."""

from cmplatform.celery import app as celery_app

__all__ = ("celery_app",)
