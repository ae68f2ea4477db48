"""The project boots: settings, migrations' defaults, health endpoints."""

import pytest

from metrics.models import App, Connector, MetricPolicy
from verticals.models import Vertical

pytestmark = pytest.mark.django_db


def test_migrations_create_the_five_verticals_and_default_catalogs():
    assert list(Vertical.objects.values_list("code", flat=True)) == [
        "manufacturing",
        "consumer_retail",
        "energy_resources",
        "agri_food",
        "conglomerate_services",
    ]
    assert App.objects.get(code="bi").category == "analytics"
    assert Connector.objects.get(code="kingdee_k3").vendor == "Kingdee"
    assert MetricPolicy.objects.latest().window_days == 30


def test_healthz_and_readyz(client):
    assert client.get("/healthz").status_code == 200
    response = client.get("/readyz")
    assert response.status_code == 200
    assert response.json()["database"] is True


def test_readyz_is_503_when_the_broker_is_unreachable(client, settings):
    settings.CELERY_BROKER_URL = "redis://127.0.0.1:1/0"
    response = client.get("/readyz")
    assert response.status_code == 503
    assert response.json()["broker"] is False
