"""Shared helpers of the platform. This package imports no app (see DESIGN.md §2)."""
