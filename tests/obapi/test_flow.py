"""The Open Badges API as a client application uses it, over HTTP: discovery, registration,
authorization with PKCE and the learner's consent, then credentials page by page, an upsert
read back, the profile, and refreshed tokens."""

from __future__ import annotations

from urllib.parse import parse_qs, urlsplit

from tests.obapi.conftest import Live
from tests.obapi.obclient import ALL_SCOPES, REDIRECT_URI, tokens_of
from tests.obapi.samples import fixture


def links(header: str) -> dict[str, dict[str, str]]:
    """rel -> the query of its URL."""
    found = {}
    for part in header.split(","):
        url, rel = part.split(";")
        query = parse_qs(urlsplit(url.strip()[1:-1]).query)
        found[rel.strip().removeprefix('rel="').removesuffix('"')] = {
            k: v[0] for k, v in query.items()
        }
    return found


def test_discovery_advertises_this_organizations_endpoints(live: Live) -> None:
    ob = live.ob()
    document = ob.discover()
    api = f"{live.base}/orgs/{live.tenant.slug}/ims/ob/v3p0"
    assert document["servers"] == [{"url": api, "description": "Acme Academy"}]
    scheme = ob.scheme
    assert scheme["type"] == "oauth2"
    assert scheme["x-imssf-registrationUrl"] == f"{api}/oauth/register"
    assert ob.flow["authorizationUrl"] == f"{api}/oauth/authorize"
    assert ob.flow["tokenUrl"] == ob.flow["refreshUrl"] == f"{api}/oauth/token"
    assert set(ob.flow["scopes"]) == set(ALL_SCOPES.split())
    assert {"/credentials", "/profile", "/discovery"} <= set(document["paths"])
    assert document["info"]["x-imssf-privacyPolicyUrl"]


def test_a_client_reads_pages_upserts_reads_back_updates_the_profile_and_refreshes(
    live: Live,
) -> None:
    learner = live.learner(credentials=3)
    ob = live.ob()
    client = ob.register()
    assert client.client_secret and client.body["redirect_uris"] == [REDIRECT_URI]
    tokens = ob.tokens(client, wallet=learner.wallet)
    assert tokens.refresh_token and set(tokens.scope.split()) == set(ALL_SCOPES.split())
    assert tokens.body["token_type"] == "Bearer" and tokens.body["expires_in"] == 3600

    # Page through: 3 credentials, 2 a page.
    first = ob.get("/credentials", tokens, limit=2)
    assert first.status_code == 200, first.text
    assert first.headers["x-total-count"] == "3"
    rels = links(first.headers["link"])
    assert set(rels) == {"next", "first", "last"}
    assert rels["next"] == {"limit": "2", "offset": "2"}
    assert rels["last"] == {"limit": "2", "offset": "2"}
    second = ob.get("/credentials", tokens, limit=rels["next"]["limit"], offset=2)
    assert set(links(second.headers["link"])) == {"first", "last", "prev"}
    held = first.json()["credential"] + second.json()["credential"]
    assert len(held) == 3 and first.json()["compactJwsString"] == []
    issued_pages = {f"{live.base}/credentials/{i.public_id}" for i in learner.issued}
    assert {c["id"] for c in held} == issued_pages
    # Plaudit's own, each with its proof as a one-item list, as the API's schema has it.
    assert all([p["cryptosuite"] for p in c["proof"]] == ["eddsa-rdfc-2022"] for c in held)

    # Upsert another issuer's credential, then the same one again: a replacement.
    sample = fixture("simple.json")
    created = ob.upsert(tokens, sample)
    assert created.status_code == 201, created.text
    assert created.json() == sample
    replaced = ob.upsert(tokens, sample)
    assert replaced.status_code == 200, replaced.text
    everything = ob.all_credentials(tokens)
    assert len(everything["credential"]) == 4
    assert sample in everything["credential"]

    # The profile: read, changed, read again.
    profile = ob.get("/profile", tokens)
    assert profile.status_code == 200, profile.text
    assert profile.json()["email"] == learner.email
    assert profile.json()["givenName"] == "Ada"
    changed = {**profile.json(), "givenName": "Augusta", "phone": "111-222-3333"}
    put = ob.http.put(f"{ob.api}/profile", json=changed, headers=tokens.headers)
    assert put.status_code == 200, put.text
    assert put.json()["givenName"] == "Augusta" and put.json()["phone"] == "111-222-3333"
    again = ob.get("/profile", tokens).json()
    assert again == put.json()
    assert again["name"] == "Augusta Lovelace"

    # Refresh: a new pair; the old refresh token is spent.
    assert tokens.refresh_token is not None
    refreshed = tokens_of(ob.refresh(client, tokens.refresh_token))
    assert refreshed.access_token != tokens.access_token
    assert refreshed.refresh_token not in (None, tokens.refresh_token)
    assert ob.get("/credentials", refreshed).status_code == 200
