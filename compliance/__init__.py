"""Compliance: DNC registries, opt-outs, consent, quiet hours, frequency caps, status tags."""
