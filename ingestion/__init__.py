"""Ingestion: sources, landing zone, import batches, validation, normalisation, upsert, replay."""
