"""The OpenAPI schema is valid, warning-free, and documents every endpoint and error."""

from __future__ import annotations

import pytest
import yaml
from django.core.management import call_command

pytestmark = pytest.mark.django_db

ENDPOINTS = {
    ("/api/v1/accounts/", "get"),
    ("/api/v1/accounts/{external_id}/", "get"),
    ("/api/v1/accounts/{external_id}/health/", "get"),
    ("/api/v1/accounts/{external_id}/health/history/", "get"),
    ("/api/v1/verticals/", "get"),
    ("/api/v1/verticals/{code}/pipeline/", "get"),
    ("/api/v1/visits/", "get"),
    ("/api/v1/visits/", "post"),
    ("/api/v1/usage/", "post"),
    ("/api/v1/connector-usage/", "post"),
    ("/api/v1/webhooks/", "get"),
    ("/api/v1/webhooks/", "post"),
    ("/api/v1/webhooks/{id}/", "get"),
    ("/api/v1/webhooks/{id}/", "patch"),
    ("/api/v1/webhooks/{id}/deliveries/", "get"),
}


@pytest.fixture(scope="module")
def schema(tmp_path_factory, django_db_blocker):
    path = tmp_path_factory.mktemp("schema") / "schema.yaml"
    with django_db_blocker.unblock():
        # Raises on any warning or on an invalid OpenAPI document.
        call_command("spectacular", "--validate", "--fail-on-warn", "--file", str(path))
    return yaml.safe_load(path.read_text())


def test_schema_documents_every_endpoint_with_its_errors(schema):
    operations = {
        (path, method): operation
        for path, item in schema["paths"].items()
        for method, operation in item.items()
    }
    assert set(operations) >= ENDPOINTS
    for key in ENDPOINTS:
        operation = operations[key]
        responses = operation["responses"]
        assert {"400", "401", "403", "429"} <= set(responses), key
        if "{" in key[0]:
            assert "404" in responses, key
        assert operation.get("summary"), key
        assert {"tokenAuth": []} in operation["security"], key
        for code, response in responses.items():
            assert response["content"]["application/json"].get("examples"), (key, code)


def test_schema_and_docs_are_served_offline(client, superuser):
    client.force_login(superuser)
    assert client.get("/api/schema/").status_code == 200
    docs = client.get("/api/docs/").content.decode()
    assert "swagger-ui" in docs
    assert "cdn" not in docs.lower() and "https://" not in docs.split("<body")[1]


def test_unknown_api_paths_answer_json_404(client):
    response = client.get("/api/v1/nothing-here/")
    assert response.status_code == 404
    assert response.json()["errors"][0]["reason"].startswith("No such API endpoint")
    assert client.get("/api/v1/accounts").status_code == 301  # APPEND_SLASH still applies


def test_wrong_media_type_and_method_answer_json(coo):
    from tests.api.conftest import token_client

    client = token_client(coo, write=True)
    response = client.post("/api/v1/usage/", "a,b", content_type="text/csv")
    assert response.status_code == 415
    assert response.json()["errors"][0]["reason"]
    response = client.delete("/api/v1/accounts/")
    assert response.status_code == 405
    assert response.json()["errors"][0]["reason"]


def test_the_schema_declares_the_constraints_the_server_applies(schema):
    """What the server refuses with a 400 is stated in the schema (schemathesis' ST202 relies on it)."""
    plan = schema["paths"]["/api/v1/visit-plan/"]["get"]
    limit = next(p for p in plan["parameters"] if p["name"] == "limit")["schema"]
    assert (limit["minimum"], limit["maximum"]) == (1, 5000)

    body = schema["paths"]["/api/v1/policy/what-if/"]["post"]["requestBody"]
    ref = body["content"]["application/json"]["schema"]["$ref"].rsplit("/", 1)[-1]
    policy = schema["components"]["schemas"][ref]["properties"]["policy"]
    assert policy["additionalProperties"] is False
    assert policy["properties"]["dag_min_minutes"]["type"] == "integer"
    assert policy["properties"]["deep_min_dag_rate"]["type"] == "number"
    assert all("minimum" in s and "maximum" in s for s in policy["properties"].values())

    visit = schema["components"]["schemas"]["VisitRequest"]["properties"]
    assert visit["summary"]["maxLength"] == 10_000
