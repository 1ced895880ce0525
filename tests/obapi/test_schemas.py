"""Every response of the Open Badges API validates against the schema 1EdTech's OpenAPI document
names for its operation and status (or its `default`): the responses of this test's own tour
of every operation, success and refusal, and those every other test of this folder recorded."""

from __future__ import annotations

import json
from functools import cache
from typing import Any

import pytest
from jsonschema import Draft7Validator, ValidationError

from plaudit.obapi import document, scopes
from plaudit.obapi import service as obapi_service
from tests.fixtures.paths import standards
from tests.obapi.conftest import RECORDED, Live
from tests.obapi.obclient import Recorded
from tests.obapi.samples import fixture, sample

OPENAPI = standards() / "ob3" / "openapi" / "openapi.json"


@cache
def openapi() -> dict[str, Any]:
    return dict(json.loads(OPENAPI.read_text()))


def schema_for(recorded: Recorded) -> tuple[str, dict[str, Any]]:
    """(media type, schema) the document gives for this response."""
    path_item = openapi()["paths"][recorded.path]
    operation = path_item.get(recorded.method.lower())
    if operation is None:
        # A method the path does not have: its 405 is described by the path's operations.
        assert recorded.status == 405, recorded
        operation = next(iter(path_item.values()))
    responses = operation["responses"]
    described = responses.get(str(recorded.status)) or responses["default"]
    media_type = recorded.content_type.split(";")[0].strip()
    content = described["content"]
    assert media_type in content, (recorded, list(content))
    return media_type, content[media_type]["schema"]


def snapshot_artefact(error: ValidationError) -> bool:
    """The published schema wants `proof` as an array; the data model (and Plaudit's signed
    credentials) may carry one proof object: a known flaw of the snapshot (standards README,
    caveat 1), the only one tolerated."""
    path = list(error.absolute_path)
    return (
        bool(path)
        and path[-1] == "proof"
        and error.validator == "type"
        and isinstance(error.instance, dict)
    )


def problems(recorded: Recorded) -> list[str]:
    media_type, schema = schema_for(recorded)
    if media_type == "text/plain":
        instance: Any = recorded.body.decode("utf-8")
    else:
        instance = json.loads(recorded.body)
    validator = Draft7Validator({**schema, "components": openapi()["components"]})
    return [
        f"{list(e.absolute_path)}: {e.message[:200]}"
        for e in validator.iter_errors(instance)
        if not snapshot_artefact(e)
    ]


def test_the_shipped_document_is_1edtech_s() -> None:
    assert document.OPENAPI_FILE.read_bytes() == OPENAPI.read_bytes()


def tour(live: Live, monkeypatch: pytest.MonkeyPatch) -> None:
    """Each operation: its successes and every refusal it can give."""
    learner = live.learner(credentials=2)
    ob = live.ob()
    ob.discover()
    live.http.get(f"{live.base}/orgs/nobody/ims/ob/v3p0/discovery")
    client = ob.register()
    tokens = ob.tokens(client, wallet=learner.wallet)
    reader = ob.tokens(client, wallet=learner.wallet, scope=scopes.CREDENTIAL_READ)
    ob.get("/credentials", tokens, limit=1)
    ob.get("/credentials", tokens, limit=1, offset=1, since="2000-01-01T00:00:00Z")
    ob.get("/credentials", tokens, limit=0)
    ob.get("/credentials", None)
    ob.get("/profile", reader)
    live.http.delete(f"{ob.api}/credentials", headers=tokens.headers)
    live.http.post(f"{ob.api}/profile", headers=tokens.headers)
    live.http.patch(f"{ob.api}/discovery")
    ob.upsert(tokens, fixture("simple.json"))  # 201
    ob.upsert(tokens, fixture("simple.json"))  # 200
    ob.upsert(tokens, sample("simple.jwt"))  # 201, text/plain
    ob.upsert(tokens, fixture("simple_v1.json"))  # 400
    ob.upsert(reader, fixture("simple.json"))  # 403
    live.http.post(
        f"{ob.api}/credentials",
        content=b"x",
        headers={**tokens.headers, "Content-Type": "image/png"},
    )  # 415
    profile = ob.get("/profile", tokens).json()
    live.http.put(f"{ob.api}/profile", json={**profile, "phone": "1"}, headers=tokens.headers)
    live.http.put(f"{ob.api}/profile", json={**profile, "id": "x"}, headers=tokens.headers)
    live.http.get(f"{live.base}/orgs/nobody/ims/ob/v3p0/profile", headers=tokens.headers)

    def broken(*args: Any, **kwargs: Any) -> Any:
        raise RuntimeError("a bug")

    monkeypatch.setattr(obapi_service, "credentials", broken)
    answer = ob.get("/credentials", tokens)
    assert answer.status_code == 500 and answer.json()["imsx_codeMinor"]
    monkeypatch.undo()
    ob.all_credentials(tokens)


def test_every_response_of_the_api_validates_against_the_openapi_document(
    live: Live, monkeypatch: pytest.MonkeyPatch
) -> None:
    tour(live, monkeypatch)
    seen = {(r.path, r.method, r.status) for r in RECORDED.responses}
    for wanted in [
        ("/discovery", "GET", 200),
        ("/discovery", "GET", 404),
        ("/credentials", "GET", 200),
        ("/credentials", "POST", 200),
        ("/credentials", "POST", 201),
        ("/credentials", "POST", 400),
        ("/credentials", "POST", 403),
        ("/credentials", "GET", 401),
        ("/credentials", "GET", 500),
        ("/credentials", "DELETE", 405),
        ("/profile", "GET", 200),
        ("/profile", "PUT", 200),
        ("/profile", "PUT", 400),
        ("/profile", "GET", 403),
    ]:
        assert wanted in seen, wanted
    failures = {
        f"{r.method} {r.path} {r.status}": found
        for r in RECORDED.responses
        if (found := problems(r))
    }
    assert not failures, json.dumps(failures, indent=1)[:4000]
    assert len(RECORDED.responses) >= 20
