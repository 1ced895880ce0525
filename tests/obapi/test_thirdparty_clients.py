"""The Open Badges API driven by other people's client code, over real HTTP: OAuth 2.0 by
requests-oauthlib (oauthlib's own PKCE), the API by a client that openapi-python-client generates
from 1EdTech's OpenAPI document, and schemathesis fuzzing the API with that same document."""

from __future__ import annotations

import importlib
import json
import subprocess
import sys
import time
from collections.abc import Iterator
from types import ModuleType
from typing import Any

import pytest
import requests
import schemathesis
from oauthlib.oauth2 import InvalidGrantError
from requests_oauthlib import OAuth2Session
from schemathesis import Case
from schemathesis.checks import not_a_server_error
from schemathesis.config import SchemathesisConfig
from schemathesis.schemas import BaseSchema
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_schema_conformance,
    status_code_conformance,
)

from plaudit.obapi import scopes
from tests.fixtures.paths import standards
from tests.obapi.conftest import Live
from tests.obapi.obclient import ALL_SCOPES, REDIRECT_URI, Tokens
from tests.obapi.samples import fixture

OPENAPI = standards() / "ob3" / "openapi" / "openapi.json"
PACKAGE = "ob3_generated_client"


# 1. OAuth 2.0 by requests-oauthlib.


def test_requests_oauthlib_registers_authorizes_with_pkce_refreshes_and_is_refused_once_revoked(
    live: Live, monkeypatch: pytest.MonkeyPatch
) -> None:
    # oauthlib refuses plain http; the test server is http on 127.0.0.1 (Plaudit allows it there).
    monkeypatch.setenv("OAUTHLIB_INSECURE_TRANSPORT", "1")
    learner = live.learner(credentials=2)
    ob = live.ob()
    scheme = ob.scheme
    flow = ob.flow
    # RFC 7591 registration, a plain POST to the URL of the service description.
    registered = requests.post(
        scheme["x-imssf-registrationUrl"],
        json={
            "client_name": "requests-oauthlib wallet",
            "redirect_uris": [REDIRECT_URI],
            "grant_types": ["authorization_code", "refresh_token"],
            "response_types": ["code"],
            "token_endpoint_auth_method": "client_secret_basic",
            "scope": ALL_SCOPES,
        },
        timeout=30,
    )
    assert registered.status_code == 201, registered.text
    client_id = registered.json()["client_id"]
    secret = registered.json()["client_secret"]

    session = OAuth2Session(
        client_id, redirect_uri=REDIRECT_URI, scope=ALL_SCOPES.split(), pkce="S256"
    )
    url, state = session.authorization_url(flow["authorizationUrl"])
    assert "code_challenge_method=S256" in url
    # The learner's browser consents (oauthlib has no part in that): as the other tests do.
    answer = ob.consent(url, wallet=learner.wallet)
    assert answer.status_code == 302, answer.text
    callback = answer.headers["location"]
    assert f"state={state}" in callback
    token = session.fetch_token(
        flow["tokenUrl"], authorization_response=callback, client_secret=secret
    )
    assert set(token["scope"]) == set(ALL_SCOPES.split())
    assert token["token_type"] == "Bearer" and token["refresh_token"]

    api = ob.api
    page = session.get(f"{api}/credentials", params={"limit": 1})
    assert page.status_code == 200, page.text
    assert page.headers["X-Total-Count"] == "2" and len(page.json()["credential"]) == 1
    issued = {f"{live.base}/credentials/{i.public_id}" for i in learner.issued}
    assert page.json()["credential"][0]["id"] in issued

    # Refresh through OAuth2Session: a new pair, and the API answers the new access token.
    first = dict(session.token)
    refreshed = session.refresh_token(flow["refreshUrl"], auth=(client_id, secret))
    assert refreshed["access_token"] != first["access_token"]
    assert refreshed["refresh_token"] != first["refresh_token"]
    again = session.get(f"{api}/credentials", params={"limit": 2, "offset": 0})
    assert again.status_code == 200, again.text
    assert {c["id"] for c in again.json()["credential"]} == issued
    # The spent refresh token is refused, in the words oauthlib understands (invalid_grant),
    # and (reuse detection) the whole grant goes with it.
    with pytest.raises(InvalidGrantError):
        OAuth2Session(client_id, token=first).refresh_token(
            flow["refreshUrl"], auth=(client_id, secret)
        )
    refused = session.get(f"{api}/credentials")
    assert refused.status_code == 401, refused.text
    assert "invalid_token" in refused.headers["WWW-Authenticate"]


def test_requests_oauthlib_refreshes_by_itself_and_a_revoked_token_is_refused(
    live: Live, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("OAUTHLIB_INSECURE_TRANSPORT", "1")
    learner = live.learner(credentials=1)
    ob = live.ob()
    client = ob.register(public=True)
    flow = ob.flow
    refreshed: list[dict[str, Any]] = []
    session = OAuth2Session(
        client.client_id,
        redirect_uri=REDIRECT_URI,
        scope=[scopes.CREDENTIAL_READ, scopes.PROFILE_READ],
        pkce="S256",
        auto_refresh_url=flow["refreshUrl"],
        auto_refresh_kwargs={"client_id": client.client_id},
        token_updater=refreshed.append,
    )
    url, _ = session.authorization_url(flow["authorizationUrl"])
    callback = ob.consent(url, wallet=learner.wallet).headers["location"]
    # A public client: no secret, its client_id in the body, PKCE alone.
    session.fetch_token(flow["tokenUrl"], authorization_response=callback, include_client_id=True)
    assert session.get(f"{ob.api}/profile").json()["email"] == learner.email

    # The token looks expired to the client: OAuth2Session refreshes before the call.
    session.token = {**session.token, "expires_at": time.time() - 10}
    profile = session.get(f"{ob.api}/profile")
    assert profile.status_code == 200, profile.text
    assert len(refreshed) == 1 and refreshed[0]["access_token"] == session.access_token

    # RFC 7009 (requests-oauthlib has no revocation call): revoked, the token is refused.
    revoke = flow["tokenUrl"].replace("/token", "/revoke")
    answer = requests.post(
        revoke, data={"token": session.access_token, "client_id": client.client_id}, timeout=30
    )
    assert answer.status_code == 200, answer.text
    refused = session.get(f"{ob.api}/credentials")
    assert refused.status_code == 401, refused.text
    assert refused.json()["imsx_codeMajor"] == "failure"


# 2. A client generated from 1EdTech's OpenAPI document by openapi-python-client.


@pytest.fixture(scope="session")
def generated(tmp_path_factory: pytest.TempPathFactory) -> Iterator[ModuleType]:
    """The client package, generated once per test process from the shipped document."""
    root = tmp_path_factory.mktemp("generated")
    config = root / "config.json"
    # No post hooks: the generator would run ruff on its output, which is not our code.
    config.write_text(json.dumps({"post_hooks": []}))
    started = time.monotonic()
    result = subprocess.run(
        [
            sys.executable,
            "-m",
            "openapi_python_client",
            "generate",
            "--path",
            str(OPENAPI),
            "--output-path",
            str(root / PACKAGE),
            "--meta",
            "none",
            "--config",
            str(config),
        ],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert time.monotonic() - started < 60
    sys.path.insert(0, str(root))
    try:
        yield importlib.import_module(PACKAGE)
    finally:
        sys.path.remove(str(root))
        for name in [n for n in sys.modules if n.split(".")[0] == PACKAGE]:
            del sys.modules[name]


def part(package: ModuleType, name: str) -> Any:
    return importlib.import_module(f"{package.__name__}.{name}")


def test_a_client_generated_from_the_openapi_document_discovers_pages_upserts_and_edits_the_profile(
    live: Live, generated: ModuleType
) -> None:
    discovery = part(generated, "api.discovery.get_service_description")
    get_credentials = part(generated, "api.open_badge_credentials.get_credentials")
    upsert_credential = part(generated, "api.open_badge_credentials.upsert_credential")
    get_profile = part(generated, "api.open_badge_credentials.get_profile")
    put_profile = part(generated, "api.open_badge_credentials.put_profile")
    models = part(generated, "models")

    ob = live.ob()
    anonymous = generated.Client(base_url=ob.api, raise_on_unexpected_status=True)
    described = discovery.sync(client=anonymous)
    assert isinstance(described, models.ServiceDescriptionDocument)
    oauth = described.components.security_schemes.o_auth_2acg
    assert oauth.type_ == "oauth2"
    assert oauth.x_imssf_registration_url == f"{ob.api}/oauth/register"
    assert described.info.title.startswith("Acme Academy")
    # What the models do not name is kept as their additional properties.
    assert oauth["flows"]["authorizationCode"]["tokenUrl"] == f"{ob.api}/oauth/token"

    # A learner whose credentials came through the API (served exactly as they came).
    learner = live.learner(credentials=0)
    tokens: Tokens = ob.tokens(ob.register(), wallet=learner.wallet)
    client = generated.AuthenticatedClient(
        base_url=ob.api, token=tokens.access_token, raise_on_unexpected_status=True
    )
    samples = [fixture("simple.json"), fixture("simple-did-key-method.json")]
    for n, sample in enumerate(samples):
        body = models.AchievementCredential.from_dict(sample)
        created = upsert_credential.sync_detailed(client=client, body=body)
        assert created.status_code == 201, created.content
        assert isinstance(created.parsed, models.AchievementCredential)
        assert created.parsed.id == sample["id"]
        assert created.parsed.to_dict() == body.to_dict()
        again = upsert_credential.sync_detailed(client=client, body=body)
        assert again.status_code == 200, (n, again.content)

    first = get_credentials.sync_detailed(client=client, limit=1, offset=0)
    assert first.status_code == 200, first.content
    assert first.headers["x-total-count"] == "2"
    page = first.parsed
    assert isinstance(page, models.GetOpenBadgeCredentialsResponse)
    assert [c.id for c in page.credential] == [samples[0]["id"]]
    expected = models.AchievementCredential.from_dict(samples[0])
    assert page.credential[0].to_dict() == expected.to_dict()
    second = get_credentials.sync(client=client, limit=1, offset=1)
    assert [c.id for c in second.credential] == [samples[1]["id"]]
    past = get_credentials.sync(client=client, limit=1, offset=2)
    assert past.credential == []

    refused = get_credentials.sync_detailed(client=client, limit=0)
    assert refused.status_code == 400
    assert isinstance(refused.parsed, models.ImsxStatusInfo)
    assert refused.parsed.imsx_code_major.value == "failure"

    profile = get_profile.sync(client=client)
    assert isinstance(profile, models.Profile)
    assert profile.email == learner.email and profile.type_ == ["Profile"]
    profile.given_name = "Grace"
    profile.phone = "+1 555 0100"
    updated = put_profile.sync(client=client, body=profile)
    assert isinstance(updated, models.Profile)
    assert (updated.given_name, updated.phone) == ("Grace", "+1 555 0100")
    reread = get_profile.sync(client=client)
    assert reread.to_dict() == updated.to_dict()
    assert reread.name is not None and reread.name.startswith("Grace ")

    anonymous_call = get_profile.sync_detailed(client=anonymous)
    assert anonymous_call.status_code == 401
    assert isinstance(anonymous_call.parsed, models.ImsxStatusInfo)


def test_a_generated_client_reads_plaudit_s_own_signed_credentials_and_they_verify(
    live: Live, generated: ModuleType
) -> None:
    get_credentials = part(generated, "api.open_badge_credentials.get_credentials")
    learner = live.learner(credentials=1)
    ob = live.ob()
    tokens = ob.tokens(ob.register(), wallet=learner.wallet)
    client = generated.AuthenticatedClient(base_url=ob.api, token=tokens.access_token)
    answer = get_credentials.sync_detailed(client=client)
    assert answer.status_code == 200, answer.content
    [credential] = answer.parsed.credential
    # Served with its proof as a one-item list (the API's schema), as sent it still verifies.
    [served] = json.loads(answer.content)["credential"]
    assert isinstance(served["proof"], list) and len(served["proof"]) == 1
    assert credential.proof[0].proof_value == served["proof"][0]["proofValue"]
    verdict = live.client.post("/api/v1/verify", json={"credential": served})
    assert verdict.status_code == 200, verdict.text
    failed = [c for c in verdict.json()["checks"] if c["verdict"] == "failed"]
    assert verdict.json()["valid"] is True, failed


# 3. Schemathesis with 1EdTech's document (not Plaudit's own /openapi.json).

CONFIG: dict[str, Any] = {
    "seed": 20261204,
    "suppress-health-check": ["too_slow", "filter_too_much", "data_too_large"],
    "generation": {"max-examples": 10, "database": "none"},
    "phases": {"stateful": {"enabled": False}, "coverage": {"enabled": False}},
}


def proof_as_the_data_model_has_it(document: dict[str, Any]) -> dict[str, Any]:
    """The one relaxation: the published schemas want `proof` as an array, where the data model
    (`Proof 0..* array-compacted`) also allows the one object Plaudit's signed credentials carry
    (standards README, caveat 1). `proof` may be either; everything else is the document's."""
    schemas = document["components"]["schemas"]
    for name in ("AchievementCredential", "EndorsementCredential"):
        proof = schemas[name]["properties"]["proof"]
        assert proof["type"] == "array", proof  # the document changed: look again
        schemas[name]["properties"]["proof"] = {
            "oneOf": [proof, {"$ref": "#/components/schemas/Proof"}]
        }
    return document


@pytest.fixture
def official(live: Live) -> BaseSchema:
    # Through `live`, the test is parametrised by database (schemathesis' lazy tests take their
    # parameters from the schema fixture's closure).
    document = proof_as_the_data_model_has_it(json.loads(OPENAPI.read_text()))
    return schemathesis.openapi.from_dict(document, config=SchemathesisConfig.from_dict(CONFIG))


@pytest.fixture
def bearer(live: Live) -> dict[str, str]:
    learner = live.learner(credentials=1)
    ob = live.ob()
    return ob.tokens(ob.register(), wallet=learner.wallet).headers


@pytest.fixture(autouse=True)
def _node_id_for_schemathesis(request: pytest.FixtureRequest) -> None:
    # As in tests/api/test_api_fuzz.py: schemathesis' lazy schemas need Node._nodeid.
    request.node._nodeid = request.node.nodeid


official_schema = schemathesis.pytest.from_fixture("official")


@official_schema.parametrize()
def test_the_api_answers_as_1edtech_s_document_says(
    case: Case[Any], live: Live, bearer: dict[str, str]
) -> None:
    case.call_and_validate(
        base_url=live.ob().api,
        headers=bearer,
        checks=[
            not_a_server_error,
            status_code_conformance,
            content_type_conformance,
            response_schema_conformance,
        ],
    )


# Found by schemathesis with the official document, kept as plain tests: refusals made before the
# API's routes (by Plaudit's request middleware) came as problem+json, not Imsx_StatusInfo.


def test_a_nul_character_in_the_query_is_refused_as_imsx_status_info(live: Live) -> None:
    learner = live.learner(credentials=0)
    ob = live.ob()
    tokens = ob.tokens(ob.register(), wallet=learner.wallet)
    answer = live.http.get(f"{ob.api}/credentials?x%00y=1&limit=1", headers=tokens.headers)
    assert answer.status_code == 400, answer.text
    assert answer.headers["content-type"] == "application/json"
    body = answer.json()
    assert body["imsx_codeMajor"] == "failure" and "NUL" in body["imsx_description"]
    assert answer.headers["x-request-id"]
    # The OAuth endpoints and the rest of Plaudit keep their own shapes.
    elsewhere = live.http.get(f"{live.base}/api/v1/templates?q=%00", headers=live.tenant.headers)
    assert elsewhere.headers["content-type"].startswith("application/problem+json")


def test_a_body_too_large_is_refused_as_imsx_status_info(live: Live) -> None:
    learner = live.learner(credentials=0)
    ob = live.ob()
    tokens = ob.tokens(ob.register(), wallet=learner.wallet)
    answer = live.http.post(
        f"{ob.api}/credentials",
        content=b"{" + b" " * 1_100_000 + b"}",
        headers={**tokens.headers, "Content-Type": "application/json"},
    )
    assert answer.status_code == 413, answer.text
    assert answer.json()["imsx_codeMajor"] == "failure"
