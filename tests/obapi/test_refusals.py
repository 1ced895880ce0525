"""What the Open Badges API and its OAuth endpoints refuse, and how they say it."""

from __future__ import annotations

import json
from datetime import timedelta
from typing import Any

from sqlalchemy import select, update

from plaudit.db import unit_of_work, utcnow
from plaudit.models.oauth import ObApiClient, ObApiCode, ObApiToken
from plaudit.obapi import consent, scopes
from plaudit.vault import hash_secret
from tests.fixtures.tenants import make_tenant
from tests.obapi.conftest import Live
from tests.obapi.obclient import REDIRECT_URI, pkce, redirect_query, tokens_of
from tests.obapi.samples import OB2, fixture


def imsx(response: Any, status: int, minor: str) -> dict[str, Any]:
    assert response.status_code == status, response.text
    assert response.headers["content-type"].startswith("application/json")
    body = dict(response.json())
    assert body["imsx_codeMajor"] in {"failure", "unsupported"}
    assert body["imsx_severity"] == "error"
    fields = body["imsx_codeMinor"]["imsx_codeMinorField"]
    assert [f["imsx_codeMinorFieldValue"] for f in fields] == [minor], body
    return body


def oauth_error(response: Any, status: int, error: str) -> dict[str, Any]:
    assert response.status_code == status, response.text
    body = dict(response.json())
    assert body["error"] == error, body
    return body


# --- registration ------------------------------------------------------------------------------


def test_registration_follows_rfc_7591_and_the_api_s_rules(live: Live) -> None:
    ob = live.ob()
    url = ob.scheme["x-imssf-registrationUrl"]
    good = {
        "client_name": "W",
        "redirect_uris": [REDIRECT_URI],
        "scope": scopes.CREDENTIAL_READ,
    }
    # Defaults filled in and answered: a confidential client with both grant types.
    answer = ob.http.post(url, json=good)
    assert answer.status_code == 201, answer.text
    body = answer.json()
    assert body["token_endpoint_auth_method"] == "client_secret_basic"
    assert body["grant_types"] == ["authorization_code", "refresh_token"]
    assert body["client_secret"] and body["client_secret_expires_at"] == 0
    assert isinstance(body["client_id_issued_at"], int)
    # A public client gets no secret.
    public = ob.http.post(url, json={**good, "token_endpoint_auth_method": "none"}).json()
    assert "client_secret" not in public and public["client_id"]
    # Refused: plain http (but on localhost), a fragment, none at all.
    for uris in (["http://wallet.example.org/cb"], ["https://w.example.org/cb#x"], []):
        refused = ob.http.post(url, json={**good, "redirect_uris": uris})
        oauth_error(refused, 400, "invalid_redirect_uri")
    loopback = ob.http.post(url, json={**good, "redirect_uris": ["http://127.0.0.1:8765/cb"]})
    assert loopback.status_code == 201, loopback.text
    # Refused: a scope this server does not have, no scope, no name, an unknown auth method,
    # an http client_uri, an implicit grant.
    for change in (
        {"scope": "https://purl.imsglobal.org/spec/clr/v2p0/scope/readonly"},
        {"scope": ""},
        {"client_name": ""},
        {"token_endpoint_auth_method": "private_key_jwt"},
        {"client_uri": "http://wallet.example.org/"},
        {"grant_types": ["implicit"]},
    ):
        refused = ob.http.post(url, json={**good, **change})
        oauth_error(refused, 400, "invalid_client_metadata")
    oauth_error(
        ob.http.post(url, content=b"[1]", headers={"Content-Type": "application/json"}),
        400,
        "invalid_client_metadata",
    )


# --- authorization -----------------------------------------------------------------------------


def test_an_unregistered_redirect_uri_is_never_redirected_to(live: Live) -> None:
    ob = live.ob()
    client = ob.register()
    _, challenge = pkce()
    evil = ob.authorization_url(client, challenge=challenge, redirect_uri="https://evil.example/")
    page = ob.http.get(evil)
    assert page.status_code == 400 and "location" not in page.headers
    assert "cannot be made" in page.text and "evil.example" in page.text
    # An unknown client too.
    unknown = ob.http.get(evil.replace(client.client_id, "nobody"))
    assert unknown.status_code == 400 and "location" not in unknown.headers


def test_the_authorization_request_must_carry_pkce_s256_and_a_registered_scope(
    live: Live,
) -> None:
    learner = live.learner(credentials=0)
    ob = live.ob()
    client = ob.register(scope=scopes.CREDENTIAL_READ)
    verifier, challenge = pkce()
    # Errors after the redirect URI is known go back to the client, with the state.
    wrong_scope = ob.http.get(
        ob.authorization_url(client, challenge=challenge, scope=scopes.CREDENTIAL_UPSERT)
    )
    assert redirect_query(wrong_scope) == {
        "error": "invalid_scope",
        "error_description": redirect_query(wrong_scope)["error_description"],
        "state": "xyz",
    }
    unknown_scope = ob.http.get(ob.authorization_url(client, challenge=challenge, scope="email"))
    assert redirect_query(unknown_scope)["error"] == "invalid_scope"
    plain = ob.authorization_url(client, challenge=challenge, scope=scopes.CREDENTIAL_READ)
    plain = plain.replace("code_challenge_method=S256", "code_challenge_method=plain")
    assert redirect_query(ob.http.get(plain))["error"] == "invalid_request"
    without = ob.authorization_url(client, challenge=challenge, scope=scopes.CREDENTIAL_READ)
    without = without.replace(f"&code_challenge={challenge}", "")
    assert redirect_query(ob.http.get(without))["error"] == "invalid_request"
    # The learner denies.
    denied = ob.consent(
        ob.authorization_url(client, challenge=challenge, scope=scopes.CREDENTIAL_READ),
        wallet=learner.wallet,
        decision="deny",
    )
    assert redirect_query(denied)["error"] == "access_denied"
    # A link that is not a wallet link of this organization: the page says so, no code.
    other = live.learner(make_tenant(live.runtime, name="Other"), credentials=0)
    for wallet in (other.wallet, learner.wallet[:-3] + "AAA", "not a link"):
        answer = ob.consent(
            ob.authorization_url(client, challenge=challenge, scope=scopes.CREDENTIAL_READ),
            wallet=wallet,
        )
        assert answer.status_code == 400 and "location" not in answer.headers
        assert "not the link to a wallet page of Acme Academy" in answer.text
    # ?wallet= names the learner on the page.
    named = ob.http.get(
        ob.authorization_url(client, challenge=challenge, scope=scopes.CREDENTIAL_READ)
        + "&wallet="
        + learner.wallet
    )
    assert named.status_code == 200 and learner.email in named.text
    assert named.headers["x-frame-options"] == "DENY"
    assert named.headers["referrer-policy"] == "no-referrer"
    assert verifier  # (used by the other tests)


def test_a_code_is_exchanged_once_with_its_verifier(live: Live) -> None:
    learner = live.learner(credentials=1)
    ob = live.ob()
    client = ob.register()
    # A wrong verifier: refused, and the code is still good for the right one.
    code, verifier = ob.authorize(client, wallet=learner.wallet)
    wrong, _ = pkce()
    oauth_error(ob.exchange(client, code, wrong), 400, "invalid_grant")
    # Another client cannot use it; nor can the client without its secret.
    other = ob.register()
    oauth_error(ob.exchange(other, code, verifier), 400, "invalid_grant")
    anonymous = ob.token_request(
        client,
        {"grant_type": "authorization_code", "code": code, "code_verifier": verifier},
        auth=False,
    )
    oauth_error(anonymous, 401, "invalid_client")
    tokens = tokens_of(ob.exchange(client, code, verifier))
    assert ob.get("/credentials", tokens).status_code == 200
    # Replayed: refused, and what the code bought is revoked.
    oauth_error(ob.exchange(client, code, verifier), 400, "invalid_grant")
    imsx(ob.get("/credentials", tokens), 401, "unauthorizedrequest")
    assert tokens.refresh_token is not None
    oauth_error(ob.refresh(client, tokens.refresh_token), 400, "invalid_grant")
    # An expired code.
    code, verifier = ob.authorize(client, wallet=learner.wallet)
    with unit_of_work(live.runtime.sessions) as session:
        session.execute(
            update(ObApiCode)
            .where(ObApiCode.code_hash == hash_secret(code))
            .values(expires_at=utcnow() - timedelta(seconds=1))
        )
    oauth_error(ob.exchange(client, code, verifier), 400, "invalid_grant")


def test_tokens_are_stored_hashed_and_a_public_client_uses_pkce_alone(live: Live) -> None:
    learner = live.learner(credentials=1)
    ob = live.ob()
    client = ob.register(public=True)
    assert client.client_secret is None
    tokens = ob.tokens(client, wallet=learner.wallet)
    assert ob.get("/credentials", tokens).status_code == 200
    with unit_of_work(live.runtime.sessions) as session:
        rows = list(session.scalars(select(ObApiToken)))
        stored = {r.access_token_hash for r in rows} | {r.refresh_token_hash for r in rows}
    assert tokens.access_token not in stored and hash_secret(tokens.access_token) in stored
    assert tokens.refresh_token and hash_secret(tokens.refresh_token) in stored
    # It refreshes with its client_id alone, too.
    refreshed = tokens_of(ob.refresh(client, tokens.refresh_token))
    assert ob.get("/credentials", refreshed).status_code == 200
    # ... and revokes them so.
    assert ob.revoke(client, refreshed.access_token).status_code == 200
    assert ob.get("/credentials", refreshed).status_code == 401
    # A confidential client's secret is stored hashed as well.
    confidential = ob.register()
    with unit_of_work(live.runtime.sessions) as session:
        row = session.scalars(
            select(ObApiClient).where(ObApiClient.client_id == confidential.client_id)
        ).one()
    assert confidential.client_secret is not None
    assert row.secret_hash == hash_secret(confidential.client_secret)


# --- tokens at the API -------------------------------------------------------------------------


def test_scopes_expiry_revocation_and_reuse_of_refresh_tokens(live: Live) -> None:
    learner = live.learner(credentials=1)
    ob = live.ob()
    client = ob.register()
    reader = ob.tokens(client, wallet=learner.wallet, scope=scopes.CREDENTIAL_READ)
    assert ob.get("/credentials", reader).status_code == 200
    # The wrong scope: 403, naming the scope wanted.
    refused = ob.upsert(reader, fixture("simple.json"))
    imsx(refused, 403, "forbidden")
    assert 'error="insufficient_scope"' in refused.headers["www-authenticate"]
    imsx(ob.get("/profile", reader), 403, "forbidden")
    # No token, a made-up one, a Basic one.
    imsx(ob.get("/credentials", None), 401, "unauthorizedrequest")
    assert ob.get("/credentials", None).headers["www-authenticate"].startswith("Bearer")
    made_up = ob.http.get(f"{ob.api}/credentials", headers={"Authorization": "Bearer nope"})
    imsx(made_up, 401, "unauthorizedrequest")
    assert 'error="invalid_token"' in made_up.headers["www-authenticate"]
    basic = ob.http.get(f"{ob.api}/credentials", auth=("a", "b"))
    imsx(basic, 401, "unauthorizedrequest")

    # Expired.
    with unit_of_work(live.runtime.sessions) as session:
        session.execute(
            update(ObApiToken)
            .where(ObApiToken.access_token_hash == hash_secret(reader.access_token))
            .values(expires_at=utcnow() - timedelta(seconds=1))
        )
    imsx(ob.get("/credentials", reader), 401, "unauthorizedrequest")
    # ... and refreshed: rotated, the old refresh token is spent.
    assert reader.refresh_token is not None
    fresh = tokens_of(ob.refresh(client, reader.refresh_token))
    assert ob.get("/credentials", fresh).status_code == 200
    assert fresh.scope == scopes.CREDENTIAL_READ
    # Asking for more than was granted is refused, and spends nothing.
    assert fresh.refresh_token is not None
    wider = ob.token_request(
        client,
        {
            "grant_type": "refresh_token",
            "refresh_token": fresh.refresh_token,
            "scope": scopes.CREDENTIAL_UPSERT,
        },
    )
    oauth_error(wider, 400, "invalid_scope")
    fresher = tokens_of(ob.refresh(client, fresh.refresh_token))
    assert ob.get("/credentials", fresher).status_code == 200
    # A spent one presented again: the whole grant is revoked (it was stolen, or the client
    # is confused: either way, the learner must consent again).
    oauth_error(ob.refresh(client, reader.refresh_token), 400, "invalid_grant")
    imsx(ob.get("/credentials", fresher), 401, "unauthorizedrequest")
    assert fresher.refresh_token is not None
    oauth_error(ob.refresh(client, fresher.refresh_token), 400, "invalid_grant")

    # Revoked (RFC 7009): answered 200, even for an unknown token.
    tokens = ob.tokens(client, wallet=learner.wallet)
    assert ob.revoke(client, "unknown").status_code == 200
    other = ob.register()
    oauth_error(ob.revoke(other, tokens.access_token), 400, "invalid_grant")
    assert ob.get("/credentials", tokens).status_code == 200
    assert ob.revoke(client, tokens.access_token).status_code == 200
    imsx(ob.get("/credentials", tokens), 401, "unauthorizedrequest")
    assert tokens.refresh_token is not None
    oauth_error(ob.refresh(client, tokens.refresh_token), 400, "invalid_grant")


def test_a_token_reaches_its_own_learner_in_its_own_organization_only(live: Live) -> None:
    ada = live.learner(credentials=1)
    bob = live.learner(credentials=2)
    ob = live.ob()
    client = ob.register()
    ada_tokens = ob.tokens(client, wallet=ada.wallet)
    bob_tokens = ob.tokens(client, wallet=bob.wallet)
    ada_ids = {c["id"] for c in ob.all_credentials(ada_tokens)["credential"]}
    bob_ids = {c["id"] for c in ob.all_credentials(bob_tokens)["credential"]}
    assert len(ada_ids) == 1 and len(bob_ids) == 2 and not ada_ids & bob_ids
    # Bob holds an imported credential: Ada can neither replace it nor see it.
    sample = fixture("simple.json")
    assert ob.upsert(bob_tokens, sample).status_code == 201
    imsx(ob.upsert(ada_tokens, sample), 403, "forbidden")
    assert sample not in ob.all_credentials(ada_tokens)["credential"]
    # Nor one Plaudit issued to Bob.
    [bobs] = [c for c in ob.all_credentials(bob_tokens)["credential"] if c["id"] != sample["id"]][
        :1
    ]
    imsx(ob.upsert(ada_tokens, bobs), 403, "forbidden")
    # Bob's own, sent back: nothing changes.
    assert ob.upsert(bob_tokens, bobs).status_code == 200

    # Another organization: its API knows neither the token nor the client.
    other = make_tenant(live.runtime, name="Other Org")
    elsewhere = live.ob(other)
    imsx(elsewhere.get("/credentials", ada_tokens), 401, "unauthorizedrequest")
    _, challenge = pkce()
    page = ob.http.get(elsewhere.authorization_url(client, challenge=challenge))
    assert page.status_code == 400 and "location" not in page.headers
    code, verifier = ob.authorize(client, wallet=ada.wallet)
    crossed = elsewhere.token_request(
        client,
        {
            "grant_type": "authorization_code",
            "code": code,
            "redirect_uri": REDIRECT_URI,
            "code_verifier": verifier,
        },
    )
    oauth_error(crossed, 401, "invalid_client")


# --- the API's own errors -----------------------------------------------------------------------


def test_errors_on_the_api_s_paths_are_imsx_status_info(live: Live) -> None:
    learner = live.learner(credentials=1)
    ob = live.ob()
    tokens = ob.tokens(ob.register(), wallet=learner.wallet)
    imsx(ob.http.get(f"{live.base}/orgs/nobody/ims/ob/v3p0/discovery"), 404, "not_found")
    imsx(ob.http.get(f"{live.base}/orgs/nobody/ims/ob/v3p0/credentials"), 404, "not_found")
    imsx(ob.http.get(f"{ob.api}/nothing-here"), 404, "not_found")
    deleted = ob.http.delete(f"{ob.api}/credentials", headers=tokens.headers)
    imsx(deleted, 405, "not_allowed")
    assert deleted.headers["allow"] == "GET, POST"
    imsx(ob.http.post(f"{ob.api}/profile", headers=tokens.headers), 405, "not_allowed")
    for bad in ({"limit": "0"}, {"limit": "x"}, {"offset": "-1"}, {"since": "yesterday"}):
        imsx(ob.get("/credentials", tokens, **bad), 400, "invalid_query_parameter")
    post = f"{ob.api}/credentials"
    for content, kind in (
        (b"{", "application/json"),
        (b"[]", "application/json"),
        (json.dumps({"id": "x"}).encode(), "application/json"),
        (b"not a jws", "text/plain"),
        (b"eyJhbGciOiJub25lIn0.eyJ4IjoxfQ.c2ln", "text/plain"),
    ):
        answer = ob.http.post(
            post, content=content, headers={**tokens.headers, "Content-Type": kind}
        )
        imsx(answer, 400, "invalid_data")
    imsx(
        ob.http.post(post, content=b"x", headers={**tokens.headers, "Content-Type": "image/png"}),
        415,
        "invalid_data",
    )
    # A VC 1.1 JSON credential is not an AchievementCredential; a signed OB 2.0 assertion is
    # not for this API.
    imsx(ob.upsert(tokens, fixture("simple_v1.json")), 400, "invalid_data")
    ob2 = (OB2 / "simple.jwt").read_text(encoding="utf-8").strip()
    refused = ob.upsert(tokens, ob2)
    imsx(refused, 400, "invalid_data")
    assert "Open Badges 2.0" in refused.json()["imsx_description"]
    profile = ob.get("/profile", tokens).json()
    changes: list[dict[str, Any]] = [
        {"id": "urn:uuid:other"},
        {"email": "someone@else.org"},
        {"type": []},
        {"givenName": 7},
    ]
    for change in changes:
        answer = ob.http.put(
            f"{ob.api}/profile", json={**profile, **change}, headers=tokens.headers
        )
        imsx(answer, 400, "invalid_data")


def test_the_consent_page_escapes_what_clients_registered(live: Live) -> None:
    ob = live.ob()
    client = ob.register(client_name="<script>alert(1)</script>")
    _, challenge = pkce()
    page = ob.http.get(ob.authorization_url(client, challenge=challenge))
    assert page.status_code == 200, page.text
    assert "<script>" not in page.text and "&lt;script&gt;alert(1)&lt;/script&gt;" in page.text
    policy = page.headers["content-security-policy"]
    assert "frame-ancestors 'none'" in policy
    assert "form-action 'self' https://wallet.example.org" in policy
    assert page.headers["cache-control"] == "no-store"


def test_wallet_links_are_read_pasted_whole_or_as_their_token() -> None:
    token = "AZJBmD1nfgOqWXLwD6gKTw.0Ec3oX6Nh-_i3e2vKJd0GQ"
    assert consent.wallet_token(f"https://plaudit.example/wallet/{token}") == token
    assert consent.wallet_token(f"  https://plaudit.example/wallet/{token}/ ") == token
    assert consent.wallet_token(f"https://plaudit.example/wallet/{token}?x=1") == token
    assert consent.wallet_token(token) == token
    for wrong in ("", "https://plaudit.example/wallet/", "a.b", token + "<", "not a link"):
        assert consent.wallet_token(wrong) is None
