"""`make bench`: synthetic feeds on PostgreSQL, the ingest and recompute measured against their floors."""
