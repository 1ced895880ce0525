"""The client's side of the Open Badges API, played over real HTTP: discovery, registration,
authorization with PKCE through the consent page, tokens, and the API's calls. Every response
of the API's own paths is recorded, for the test that validates them against the OpenAPI
document."""

from __future__ import annotations

import base64
import hashlib
import html
import re
import secrets
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import parse_qs, urlencode, urlsplit

import httpx2

from plaudit.obapi import scopes

REDIRECT_URI = "https://wallet.example.org/callback"
ALL_SCOPES = " ".join(
    [scopes.CREDENTIAL_READ, scopes.CREDENTIAL_UPSERT, scopes.PROFILE_READ, scopes.PROFILE_UPDATE]
)
# The API's operations, by path ending: what the OpenAPI document describes.
OPERATIONS = ("/discovery", "/credentials", "/profile")


@dataclass(frozen=True)
class Recorded:
    method: str
    path: str  # the operation's path in the OpenAPI document: /discovery, /credentials, ...
    status: int
    content_type: str
    body: bytes


@dataclass
class Recorder:
    responses: list[Recorded] = field(default_factory=list)

    def __call__(self, response: httpx2.Response) -> None:
        path = urlsplit(str(response.request.url)).path
        operation = next((op for op in OPERATIONS if path.endswith(op)), None)
        if operation is None or "/ims/ob/v3p0/" not in path:
            return
        response.read()
        self.responses.append(
            Recorded(
                response.request.method,
                operation,
                response.status_code,
                response.headers.get("content-type", ""),
                response.content,
            )
        )


def pkce() -> tuple[str, str]:
    verifier = secrets.token_urlsafe(48)
    digest = hashlib.sha256(verifier.encode("ascii")).digest()
    return verifier, base64.urlsafe_b64encode(digest).rstrip(b"=").decode()


@dataclass
class Registered:
    client_id: str
    client_secret: str | None
    body: dict[str, Any]

    def auth(self) -> tuple[str, str] | None:
        return (self.client_id, self.client_secret) if self.client_secret else None


@dataclass
class Tokens:
    access_token: str
    refresh_token: str | None
    scope: str
    body: dict[str, Any]

    @property
    def headers(self) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.access_token}"}


@dataclass
class ObClient:
    """One client application, against one organization's API (its discovery URL)."""

    http: httpx2.Client
    discovery_url: str
    document: dict[str, Any] = field(default_factory=dict)

    def discover(self) -> dict[str, Any]:
        response = self.http.get(self.discovery_url)
        assert response.status_code == 200, response.text
        self.document = dict(response.json())
        return self.document

    @property
    def scheme(self) -> dict[str, Any]:
        if not self.document:
            self.discover()
        return dict(self.document["components"]["securitySchemes"]["OAuth2ACG"])

    @property
    def flow(self) -> dict[str, Any]:
        return dict(self.scheme["flows"]["authorizationCode"])

    @property
    def api(self) -> str:
        if not self.document:
            self.discover()
        return str(self.document["servers"][0]["url"])

    def register(
        self, *, scope: str = ALL_SCOPES, public: bool = False, **metadata: Any
    ) -> Registered:
        body: dict[str, Any] = {
            "client_name": "Test Wallet",
            "client_uri": "https://wallet.example.org/",
            "logo_uri": "https://wallet.example.org/logo.png",
            "tos_uri": "https://wallet.example.org/terms",
            "policy_uri": "https://wallet.example.org/privacy",
            "software_id": "c88b6ed8-269e-448e-99be-7e2ff47167d1",
            "software_version": "1.0",
            "redirect_uris": [REDIRECT_URI],
            "token_endpoint_auth_method": "none" if public else "client_secret_basic",
            "grant_types": ["authorization_code", "refresh_token"],
            "response_types": ["code"],
            "scope": scope,
            **metadata,
        }
        response = self.http.post(self.scheme["x-imssf-registrationUrl"], json=body)
        assert response.status_code == 201, response.text
        answer = dict(response.json())
        return Registered(answer["client_id"], answer.get("client_secret"), answer)

    def authorization_url(
        self,
        client: Registered,
        *,
        challenge: str,
        scope: str = ALL_SCOPES,
        state: str = "xyz",
        redirect_uri: str = REDIRECT_URI,
        **extra: str,
    ) -> str:
        query = {
            "response_type": "code",
            "client_id": client.client_id,
            "redirect_uri": redirect_uri,
            "scope": scope,
            "state": state,
            "code_challenge": challenge,
            "code_challenge_method": "S256",
            **extra,
        }
        return f"{self.flow['authorizationUrl']}?{urlencode(query)}"

    def consent(self, url: str, *, wallet: str, decision: str = "allow") -> httpx2.Response:
        """As the learner's browser: open the consent page, paste the wallet link, answer."""
        page = self.http.get(url)
        assert page.status_code == 200, page.text
        action = re.search(r'<form method="post" action="([^"]+)"', page.text)
        assert action is not None, page.text
        return self.http.post(
            html.unescape(action.group(1)), data={"wallet": wallet, "decision": decision}
        )

    def authorize(
        self, client: Registered, *, wallet: str, scope: str = ALL_SCOPES
    ) -> tuple[str, str]:
        """A code and its PKCE verifier."""
        verifier, challenge = pkce()
        answer = self.consent(
            self.authorization_url(client, challenge=challenge, scope=scope), wallet=wallet
        )
        assert answer.status_code == 302, answer.text
        return code_of(answer), verifier

    def token_request(
        self, client: Registered, form: dict[str, str], *, auth: bool = True
    ) -> httpx2.Response:
        data = dict(form)
        if client.client_secret is None:
            data["client_id"] = client.client_id
        basic = client.auth() if auth else None
        return self.http.post(
            self.flow["tokenUrl"], data=data, auth=basic or httpx2.USE_CLIENT_DEFAULT
        )

    def exchange(self, client: Registered, code: str, verifier: str) -> httpx2.Response:
        return self.token_request(
            client,
            {
                "grant_type": "authorization_code",
                "code": code,
                "redirect_uri": REDIRECT_URI,
                "code_verifier": verifier,
            },
        )

    def tokens(self, client: Registered, *, wallet: str, scope: str = ALL_SCOPES) -> Tokens:
        code, verifier = self.authorize(client, wallet=wallet, scope=scope)
        return tokens_of(self.exchange(client, code, verifier))

    def refresh(self, client: Registered, refresh_token: str) -> httpx2.Response:
        return self.token_request(
            client, {"grant_type": "refresh_token", "refresh_token": refresh_token}
        )

    def revoke(self, client: Registered, token: str) -> httpx2.Response:
        url = self.flow["tokenUrl"].replace("/token", "/revoke")
        data = {"token": token}
        if client.client_secret is None:
            data["client_id"] = client.client_id
        return self.http.post(url, data=data, auth=client.auth() or httpx2.USE_CLIENT_DEFAULT)

    # The API.

    def get(self, path: str, tokens: Tokens | None, **params: Any) -> httpx2.Response:
        return self.http.get(
            f"{self.api}{path}", params=params, headers=tokens.headers if tokens else {}
        )

    def upsert(self, tokens: Tokens, credential: dict[str, Any] | str) -> httpx2.Response:
        if isinstance(credential, str):
            return self.http.post(
                f"{self.api}/credentials",
                content=credential,
                headers={**tokens.headers, "Content-Type": "text/plain", "Accept": "text/plain"},
            )
        return self.http.post(f"{self.api}/credentials", json=credential, headers=tokens.headers)

    def all_credentials(self, tokens: Tokens, *, limit: int = 100) -> dict[str, list[Any]]:
        response = self.get("/credentials", tokens, limit=limit)
        assert response.status_code == 200, response.text
        return dict(response.json())


def code_of(response: httpx2.Response) -> str:
    location = response.headers["location"]
    assert location.startswith(REDIRECT_URI), location
    query = parse_qs(urlsplit(location).query)
    assert "code" in query, location
    return query["code"][0]


def redirect_query(response: httpx2.Response) -> dict[str, str]:
    assert response.status_code == 302, response.text
    return {k: v[0] for k, v in parse_qs(urlsplit(response.headers["location"]).query).items()}


def tokens_of(response: httpx2.Response) -> Tokens:
    assert response.status_code == 200, response.text
    body = dict(response.json())
    return Tokens(body["access_token"], body.get("refresh_token"), body["scope"], body)
