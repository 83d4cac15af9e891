"""The canonical schema: persons (golden records), their contact points, campaigns, touchpoints
and the audit log."""
