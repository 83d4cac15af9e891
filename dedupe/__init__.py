"""Golden records: blocking, scoring, clustering, survivorship, merge/unmerge, review."""
