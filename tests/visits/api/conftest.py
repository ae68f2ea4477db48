"""The API tests' fixtures (tests/api/conftest.py): fresh throttle counters, token clients."""

from tests.api.conftest import _fresh_throttle_counters, make_client  # noqa: F401
