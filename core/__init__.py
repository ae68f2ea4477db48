"""Plumbing with no domain: business day, CSV rows, the API framework, lock ids, health checks."""
