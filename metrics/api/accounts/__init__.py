"""The accounts API (/api/v1/accounts/…): here, not in accounts, because it shows health."""
