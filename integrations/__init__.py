"""Integrations: Pipedrive sync and RingCentral call-log ingestion."""
