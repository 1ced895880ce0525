"""Liveness, readiness and metrics."""

from __future__ import annotations

from fastapi.testclient import TestClient
from sqlalchemy import Engine

from plaudit import migrate


def test_healthz_and_readyz(client: TestClient) -> None:
    assert client.get("/healthz").json() == {"status": "ok"}
    ready = client.get("/readyz")
    assert ready.status_code == 200
    assert ready.json() == {"status": "ready", "schema": migrate.head()}


def test_readyz_fails_when_the_schema_is_behind(client: TestClient, engine: Engine) -> None:
    from sqlalchemy import text

    with engine.begin() as conn:
        conn.execute(text("UPDATE alembic_version SET version_num = 'older'"))
    try:
        response = client.get("/readyz")
        assert response.status_code == 503
        assert "plaudit db upgrade" in response.json()["detail"]
    finally:
        with engine.begin() as conn:
            conn.execute(
                text("UPDATE alembic_version SET version_num = :head"), {"head": migrate.head()}
            )


def test_metrics_count_requests_by_route(client: TestClient) -> None:
    client.get("/healthz")
    client.get("/api/v1/organization")
    text = client.get("/metrics").text
    assert 'plaudit_http_requests_total{method="GET",route="/healthz",status="200"}' in text
    assert 'route="/api/v1/organization",status="401"' in text
    assert "plaudit_http_request_duration_seconds_bucket" in text


def test_openapi_and_docs_are_served(client: TestClient) -> None:
    spec = client.get("/openapi.json").json()
    assert "/api/v1/api-keys" in spec["paths"]
    docs = client.get("/docs")
    assert docs.status_code == 200
    # Swagger UI comes from Plaudit itself (tests/browser/test_api_docs.py renders it offline).
    assert "https://" not in docs.text
    assert client.get("/static/swagger-ui/swagger-ui-bundle.js").status_code == 200
