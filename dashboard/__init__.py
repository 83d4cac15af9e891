"""Dashboard: operator pages, live progress over WebSockets, saved filters, exports."""
