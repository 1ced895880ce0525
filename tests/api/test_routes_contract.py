"""Every write endpoint is retry-safe: an Idempotency-Key, or an id of its own."""

from __future__ import annotations

from fastapi.routing import APIRoute

from plaudit.api.idempotency import idempotency
from plaudit.app import FEATURE_ROUTERS

# POSTs that are safe to retry without the header, and why.
EXEMPT = {
    "/api/v1/api-keys": "replaying would store the secret token in clear",
    "/api/v1/events": "the event's own id makes it idempotent",
    "/api/v1/events/batch": "each event's own id makes it idempotent",
    "/api/v1/xapi/statements": "each statement's id makes it idempotent",
    "/api/v1/rules/simulate": "writes nothing",
    "/api/v1/rules/{rule_id}/simulate": "writes nothing",
    "/api/v1/rules/{rule_id}/backfill/preview": "writes nothing",
    "/api/v1/verify": "writes nothing",
    "/api/v1/verify/file": "writes nothing",
    "/credentials/verify": "writes nothing (VC API; not under /api/v1)",
    "/presentations/verify": "writes nothing (VC API; not under /api/v1)",
    "/api/v1/connectors": "replaying would store the connector's secret in clear",
    "/api/v1/connectors/{connector_id}/rotate-secret": "replaying would store the secret in clear",
    "/api/v1/connectors/preview": "writes nothing",
    "/api/v1/webhooks": "replaying would store the endpoint's signing secret in clear",
    "/api/v1/webhooks/{endpoint_id}/rotate-secret": "replaying would store the secret in clear",
}


def test_every_post_under_the_api_honours_idempotency_keys() -> None:
    routes = [r for router in FEATURE_ROUTERS for r in router.routes if isinstance(r, APIRoute)]
    posts = [r for r in routes if "POST" in (r.methods or set())]
    assert len(posts) >= 15  # the routers were really read
    missing = []
    for route in posts:
        if not route.path.startswith("/api/v1") or route.path in EXEMPT:
            continue
        dependencies = {d.call for d in route.dependant.dependencies}
        if idempotency not in dependencies:
            missing.append(route.path)
    assert missing == []
