"""Domain events and their outbox (filled by the events issue)."""
