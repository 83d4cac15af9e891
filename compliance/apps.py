from django.apps import AppConfig


class ComplianceConfig(AppConfig):
    """DNC registries, opt-outs and consent, calling windows and caps, status tags."""

    name = "compliance"
