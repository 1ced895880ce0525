"""OAuth 2.0 for the Open Badges API, on Authlib's framework-agnostic server components.

Authlib implements the protocol: the authorization code grant (RFC 6749 §4.1) with PKCE
(RFC 7636), refresh tokens (§6), client authentication (client_secret_basic, or none for a
public client), dynamic client registration (RFC 7591), revocation (RFC 7009) and bearer token
checks (RFC 6750). It has no FastAPI integration, so this module gives it what a framework
integration gives it: requests (`OAuthRequest`, `JsonBody`), answers (`Server.handle_response`),
and storage (`Server.query_client`, `save_token`, the grants' hooks). One `Server` is built per
request, around that request's session and organization: every query is scoped to the
organization in the URL.

What Plaudit decides on top of Authlib:
- PKCE is required of every client, with S256 only (1EdTech: "PKCE MUST be used").
- A code is used once across processes: its exchange is a conditional UPDATE of `used_at`. A
  code presented again is a replay: every token of its grant is revoked (RFC 6749 §4.1.2).
- Refresh tokens rotate (a conditional UPDATE of `rotated_at`); a rotated one presented again
  revokes its grant too (the OAuth 2.0 Security BCP's reuse detection).
- Codes, tokens and client secrets are stored as their SHA-256 (random 256-bit values: see
  plaudit.vault.hash_secret), never in clear.
"""

from __future__ import annotations

import hmac
import secrets
import uuid
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any, Final
from urllib.parse import urlsplit

from authlib.oauth2 import rfc6749, rfc6750, rfc7009, rfc7591, rfc7636  # type: ignore[import-untyped]
from authlib.oauth2.rfc6749 import OAuth2Error as OAuth2Error  # type: ignore[import-untyped]
from fastapi.responses import JSONResponse, RedirectResponse, Response
from joserfc.errors import InvalidClaimError
from sqlalchemy import select, update
from sqlalchemy.orm import Session

from plaudit.db import utcnow
from plaudit.models.learner import Learner
from plaudit.models.oauth import ObApiClient, ObApiCode, ObApiToken
from plaudit.models.organization import Organization
from plaudit.obapi import scopes
from plaudit.vault import hash_secret

CODE_TTL: Final = timedelta(minutes=5)
ACCESS_TTL: Final = timedelta(hours=1)
REFRESH_TTL: Final = timedelta(days=90)

GRANT_TYPES: Final = ("authorization_code", "refresh_token")
AUTH_METHODS: Final = ("client_secret_basic", "none")
LOOPBACK_HOSTS: Final = frozenset({"localhost", "127.0.0.1", "::1"})


# --- requests and answers ------------------------------------------------------------------


class _Payload(rfc6749.OAuth2Payload):  # type: ignore[misc]
    def __init__(self, values: Mapping[str, Sequence[str]]) -> None:
        self._datalist = {name: list(given) for name, given in values.items()}
        self._data = {name: given[0] for name, given in self._datalist.items() if given}

    @property
    def data(self) -> dict[str, str]:
        return self._data

    @property
    def datalist(self) -> dict[str, list[str]]:
        return self._datalist


class OAuthRequest(rfc6749.OAuth2Request):  # type: ignore[misc]
    """An HTTP request as Authlib reads it. ``params`` are the OAuth parameters: the query of an
    authorization request, the form body of a token or revocation request. ``uri`` is the public
    URL (the proxy's https address), which Authlib insists on."""

    def __init__(
        self,
        method: str,
        uri: str,
        headers: Mapping[str, str],
        params: Mapping[str, Sequence[str]],
    ) -> None:
        super().__init__(method, uri, headers=headers)
        self.payload = _Payload(params)

    @property
    def args(self) -> dict[str, str]:
        data: dict[str, str] = self.payload.data
        return data

    @property
    def form(self) -> dict[str, str]:
        data: dict[str, str] = self.payload.data
        return data


class _JsonPayload(rfc6749.JsonPayload):  # type: ignore[misc]
    def __init__(self, data: dict[str, Any]) -> None:
        self._data = data

    @property
    def data(self) -> dict[str, Any]:
        return self._data


class JsonBody(rfc6749.JsonRequest):  # type: ignore[misc]
    def __init__(self, uri: str, headers: Mapping[str, str], data: dict[str, Any]) -> None:
        super().__init__("POST", uri, headers)
        self.payload = _JsonPayload(data)


# --- the stored records, as Authlib's mixins --------------------------------------------------


class Client(rfc6749.ClientMixin):  # type: ignore[misc]
    def __init__(self, row: ObApiClient) -> None:
        self.row = row

    def get_client_id(self) -> str:
        return self.row.client_id

    def get_default_redirect_uri(self) -> str | None:
        # With several registered, the request must name one (RFC 6749 §3.1.2.3).
        uris = self.row.redirect_uris
        return uris[0] if len(uris) == 1 else None

    def get_allowed_scope(self, scope: str | None) -> str | None:
        """The scope asked for, if the client registered all of it; else None (refused).
        Asking for none means the scope it registered (RFC 6749 §3.3)."""
        registered = scopes.as_list(self.row.scope)
        if not scope:
            return " ".join(registered)
        wanted = scopes.as_list(scope)
        return " ".join(wanted) if set(wanted) <= set(registered) else None

    def check_redirect_uri(self, redirect_uri: str) -> bool:
        return redirect_uri in self.row.redirect_uris  # exact match, no patterns

    def check_client_secret(self, client_secret: str) -> bool:
        stored = self.row.secret_hash
        return stored is not None and hmac.compare_digest(stored, hash_secret(client_secret))

    def check_endpoint_auth_method(self, method: str, endpoint: str) -> bool:
        return method == self.row.auth_method

    def check_response_type(self, response_type: str) -> bool:
        return response_type == "code"

    def check_grant_type(self, grant_type: str) -> bool:
        if grant_type == "client_credentials":
            # Only once an administrator approved it for the whole organization.
            return self.row.organization_wide_at is not None and self.row.secret_hash is not None
        return grant_type in self.row.grant_types


class Code(rfc6749.AuthorizationCodeMixin):  # type: ignore[misc]
    def __init__(self, row: ObApiCode) -> None:
        self.row = row
        self.code_challenge = row.code_challenge
        self.code_challenge_method = row.code_challenge_method

    def get_redirect_uri(self) -> str | None:
        return self.row.redirect_uri

    def get_scope(self) -> str:
        return self.row.scope


class Token(rfc6749.TokenMixin):  # type: ignore[misc]
    def __init__(self, row: ObApiToken, client: ObApiClient) -> None:
        self.row = row
        self.client = client

    def check_client(self, client: Client) -> bool:
        return self.row.client_id == client.row.id

    def get_scope(self) -> str:
        return self.row.scope

    def get_expires_in(self) -> int:
        return max(0, int((self.row.expires_at - utcnow()).total_seconds()))

    def is_expired(self) -> bool:
        return self.row.expires_at <= utcnow()

    def is_revoked(self) -> bool:
        return self.row.revoked_at is not None

    def get_client(self) -> Client:
        return Client(self.client)

    def get_user(self) -> uuid.UUID | None:
        return self.row.learner_id


# --- grants -----------------------------------------------------------------------------------


class S256Challenge(rfc7636.CodeChallenge):  # type: ignore[misc]
    """PKCE for every client, and only its S256 method: a code_challenge_method left out would
    mean "plain", which is refused too."""

    SUPPORTED_CODE_CHALLENGE_METHOD: Final = ["S256"]
    DEFAULT_CODE_CHALLENGE_METHOD: Final = "S256"

    def validate_code_challenge(self, grant: Any, redirect_uri: str) -> None:
        data = grant.request.payload.data
        if not data.get("code_challenge"):
            raise rfc6749.InvalidRequestError("PKCE is required: send a 'code_challenge'.")
        if data.get("code_challenge_method") != "S256":
            raise rfc6749.InvalidRequestError("Send 'code_challenge_method=S256'.")
        super().validate_code_challenge(grant, redirect_uri)


class CodeGrant(rfc6749.AuthorizationCodeGrant):  # type: ignore[misc]
    TOKEN_ENDPOINT_AUTH_METHODS: Final = list(AUTH_METHODS)
    AUTHORIZATION_CODE_LENGTH: Final = 48

    def save_authorization_code(self, code: str, request: OAuthRequest) -> None:
        server: Server = self.server
        learner: Learner = request.user
        client: Client = request.client
        data = request.payload.data
        server.session.add(
            ObApiCode(
                organization_id=server.organization.id,
                client_id=client.row.id,
                learner_id=learner.id,
                code_hash=hash_secret(code),
                redirect_uri=request.payload.redirect_uri,
                scope=request.scope,
                code_challenge=data["code_challenge"],
                code_challenge_method=data["code_challenge_method"],
                expires_at=utcnow() + CODE_TTL,
            )
        )
        server.session.flush()

    def query_authorization_code(self, code: str, client: Client) -> Code | None:
        """The code, claimed for this exchange: whichever request sets `used_at` first wins, in
        this process or another; any later one finds it used, a replay."""
        server: Server = self.server
        row = server.session.scalar(
            select(ObApiCode).where(
                ObApiCode.code_hash == hash_secret(code),
                ObApiCode.organization_id == server.organization.id,
            )
        )
        if row is None or row.client_id != client.row.id:
            return None
        now = utcnow()
        if row.used_at is not None:
            server.compromised_grants.add(row.id)
            return None
        if row.expires_at <= now:
            return None
        claimed = server.session.execute(
            update(ObApiCode)
            .where(ObApiCode.id == row.id, ObApiCode.used_at.is_(None))
            .values(used_at=now)
            .execution_options(synchronize_session=False)
        )
        if getattr(claimed, "rowcount", 0) != 1:
            server.compromised_grants.add(row.id)
            return None
        return Code(row)

    def delete_authorization_code(self, authorization_code: Code) -> None:
        """Kept, marked used: a replay must find it to revoke what it bought."""

    def authenticate_user(self, authorization_code: Code) -> Learner | None:
        server: Server = self.server
        return server.learner(authorization_code.row.learner_id)


class OrganizationGrant(rfc6749.ClientCredentialsGrant):  # type: ignore[misc]
    """An organization-wide client's token (RFC 6749 §4.4): no learner, no refresh token, and
    credential.readonly only, whatever the client registered."""

    TOKEN_ENDPOINT_AUTH_METHODS: Final = ["client_secret_basic"]

    def validate_requested_scope(self) -> None:
        asked = scopes.as_list(self.request.payload.scope)
        if asked and asked != [scopes.CREDENTIAL_READ]:
            raise rfc6749.InvalidScopeError(
                "An organization-wide client may ask for credential.readonly only."
            )


class RefreshGrant(rfc6749.RefreshTokenGrant):  # type: ignore[misc]
    TOKEN_ENDPOINT_AUTH_METHODS: Final = list(AUTH_METHODS)
    INCLUDE_NEW_REFRESH_TOKEN: Final = True

    def authenticate_refresh_token(self, refresh_token: str) -> Token | None:
        """The refresh token, claimed for this exchange (it is rotated: usable once)."""
        server: Server = self.server
        row = server.session.scalar(
            select(ObApiToken).where(
                ObApiToken.refresh_token_hash == hash_secret(refresh_token),
                ObApiToken.organization_id == server.organization.id,
            )
        )
        if row is None:
            return None
        if row.rotated_at is not None:
            server.compromised_grants.add(row.grant_id)
            return None
        now = utcnow()
        expired = row.refresh_expires_at is None or row.refresh_expires_at <= now
        if row.revoked_at is not None or expired:
            return None
        claimed = server.session.execute(
            update(ObApiToken)
            .where(ObApiToken.id == row.id, ObApiToken.rotated_at.is_(None))
            .values(rotated_at=now, revoked_at=now)
            .execution_options(synchronize_session=False)
        )
        if getattr(claimed, "rowcount", 0) != 1:
            server.compromised_grants.add(row.grant_id)
            return None
        client = server.session.get(ObApiClient, row.client_id)
        return Token(row, client) if client is not None else None

    def authenticate_user(self, refresh_token: Token) -> Learner | None:
        server: Server = self.server
        learner_id = refresh_token.row.learner_id
        return server.learner(learner_id) if learner_id is not None else None

    def revoke_old_credential(self, refresh_token: Token) -> None:
        """Done when it was claimed (authenticate_refresh_token)."""


# --- registration (RFC 7591) ------------------------------------------------------------------


def _acceptable_uri(value: Any, *, redirect: bool) -> bool:
    """https, or http on a loopback address (a native application's redirect, RFC 8252 §7.3,
    and tests); absolute, without a fragment or credentials."""
    if not isinstance(value, str) or len(value) > 2048:
        return False
    try:
        parts = urlsplit(value)
    except ValueError:
        return False
    if not parts.hostname or parts.fragment or parts.username or parts.password:
        return False
    if parts.scheme == "https":
        return True
    return redirect and parts.scheme == "http" and parts.hostname in LOOPBACK_HOSTS


class RegistrationClaims(rfc7591.ClientMetadataClaims):  # type: ignore[misc]
    """RFC 7591's checks, and what the Open Badges API asks of a client on top."""

    def validate(self, now: Any = None, leeway: int = 0) -> None:
        uris = self.get("redirect_uris")
        if not isinstance(uris, list) or not uris:
            raise rfc7591.InvalidRedirectURIError("Register at least one redirect URI.")
        if not all(_acceptable_uri(uri, redirect=True) for uri in uris):
            raise rfc7591.InvalidRedirectURIError(
                "Redirect URIs must be https (or http on localhost), without a fragment."
            )
        super().validate(now, leeway)
        for key in ("client_uri", "logo_uri", "tos_uri", "policy_uri"):
            if key in self and not _acceptable_uri(self[key], redirect=False):
                raise InvalidClaimError(key)
        name = self.get("client_name")
        if not isinstance(name, str) or not name.strip() or len(name) > 200:
            raise InvalidClaimError("client_name")
        scope = self.get("scope")
        if not isinstance(scope, str) or not scopes.as_list(scope):
            raise InvalidClaimError("scope")
        # What this server does, unless the client asked for less (RFC 7591 §2 lets the server
        # fill in what was left out).
        self.setdefault("grant_types", list(GRANT_TYPES))
        self.setdefault("response_types", ["code"])
        if "authorization_code" not in self["grant_types"]:
            raise InvalidClaimError("grant_types")


class Registration(rfc7591.ClientRegistrationEndpoint):  # type: ignore[misc]
    """Open registration: 1EdTech's clients register themselves, with no initial token."""

    def __init__(self, server: Server) -> None:
        super().__init__(server, claims_classes=[RegistrationClaims])

    def authenticate_token(self, request: JsonBody) -> bool:
        return True

    def get_server_metadata(self) -> dict[str, Any]:
        return {
            "scopes_supported": list(scopes.SUPPORTED),
            "response_types_supported": ["code"],
            "grant_types_supported": list(GRANT_TYPES),
            "token_endpoint_auth_methods_supported": list(AUTH_METHODS),
        }

    def generate_client_id(self, request: JsonBody) -> str:
        return secrets.token_urlsafe(24)

    def generate_client_secret(self, request: JsonBody) -> str:
        return secrets.token_urlsafe(32)

    def generate_client_info(self, request: JsonBody) -> dict[str, Any]:
        info: dict[str, Any] = super().generate_client_info(request)
        if request.payload.data.get("token_endpoint_auth_method") == "none":
            # A public client gets no secret (it could not keep one).
            info.pop("client_secret", None)
            info.pop("client_secret_expires_at", None)
        return info

    def save_client(
        self, client_info: dict[str, Any], client_metadata: dict[str, Any], request: JsonBody
    ) -> ObApiClient:
        server: Server = self.server
        secret = client_info.get("client_secret")
        row = ObApiClient(
            organization_id=server.organization.id,
            client_id=client_info["client_id"],
            secret_hash=hash_secret(secret) if secret else None,
            auth_method=client_metadata["token_endpoint_auth_method"],
            name=client_metadata["client_name"].strip(),
            redirect_uris=list(client_metadata["redirect_uris"]),
            grant_types=list(client_metadata["grant_types"]),
            scope=" ".join(scopes.as_list(client_metadata["scope"])),
            registration={
                **client_metadata,
                "client_id_issued_at": client_info["client_id_issued_at"],
            },
        )
        server.session.add(row)
        server.session.flush()
        return row


# --- revocation (RFC 7009) --------------------------------------------------------------------


class Revocation(rfc7009.RevocationEndpoint):  # type: ignore[misc]
    CLIENT_AUTH_METHODS: Final = list(AUTH_METHODS)

    def query_token(self, token_string: str, token_type_hint: str | None) -> Token | None:
        server: Server = self.server
        digest = hash_secret(token_string)
        row = server.session.scalar(
            select(ObApiToken).where(
                ObApiToken.organization_id == server.organization.id,
                (ObApiToken.access_token_hash == digest)
                | (ObApiToken.refresh_token_hash == digest),
            )
        )
        if row is None:
            return None
        client = server.session.get(ObApiClient, row.client_id)
        return Token(row, client) if client is not None else None

    def revoke_token(self, token: Token, request: OAuthRequest) -> None:
        """Everything of the grant: RFC 7009 §2.1 asks that revoking a refresh token revoke
        the access tokens of its grant, and an access token's own refresh token goes with it
        (the learner, or the client, means to end the connection)."""
        server: Server = self.server
        revoke_grant(server.session, token.row.grant_id)


def revoke_grant(session: Session, grant_id: uuid.UUID) -> None:
    session.execute(
        update(ObApiToken)
        .where(ObApiToken.grant_id == grant_id, ObApiToken.revoked_at.is_(None))
        .values(revoked_at=utcnow())
        .execution_options(synchronize_session=False)
    )


def revoke_consent(
    session: Session,
    *,
    organization_id: uuid.UUID,
    client_id: uuid.UUID,
    learner_id: uuid.UUID | None = None,
) -> int:
    """End what a client holds, for one learner or (``learner_id`` None) for all: every token
    is revoked, and every code not yet exchanged is marked used, so that none buys a token
    later. The client stays registered; a learner may consent again. Returns how many tokens
    stopped working."""
    now = utcnow()
    scoped = [ObApiToken.organization_id == organization_id, ObApiToken.client_id == client_id]
    codes = [ObApiCode.organization_id == organization_id, ObApiCode.client_id == client_id]
    if learner_id is not None:
        scoped.append(ObApiToken.learner_id == learner_id)
        codes.append(ObApiCode.learner_id == learner_id)
    session.execute(
        update(ObApiCode)
        .where(*codes, ObApiCode.used_at.is_(None))
        .values(used_at=now)
        .execution_options(synchronize_session=False)
    )
    ended = session.execute(
        update(ObApiToken)
        .where(*scoped, ObApiToken.revoked_at.is_(None))
        .values(revoked_at=now)
        .execution_options(synchronize_session=False)
    )
    return int(getattr(ended, "rowcount", 0))


class NotConfidential(Exception):
    """A public client (no secret) cannot be approved for the whole organization: anyone who
    has its client_id could then read every learner's credentials."""


def approve_organization_wide(client: ObApiClient, *, by: str) -> None:
    """Let ``client`` read every learner's credentials in its organization: it gets tokens with
    the client_credentials grant, scope credential.readonly only."""
    if client.secret_hash is None:
        raise NotConfidential(client.name)
    client.organization_wide_at = utcnow()
    client.organization_wide_by = by


def withdraw_organization_wide(session: Session, client: ObApiClient) -> int:
    """End the approval: the organization-wide tokens stop working now (the learners' own
    consents stay). Returns how many tokens stopped working."""
    client.organization_wide_at = None
    client.organization_wide_by = None
    ended = session.execute(
        update(ObApiToken)
        .where(
            ObApiToken.client_id == client.id,
            ObApiToken.learner_id.is_(None),
            ObApiToken.revoked_at.is_(None),
        )
        .values(revoked_at=utcnow())
        .execution_options(synchronize_session=False)
    )
    session.flush()
    return int(getattr(ended, "rowcount", 0))


# --- the server -------------------------------------------------------------------------------


class Server(rfc6749.AuthorizationServer):  # type: ignore[misc]
    """Authlib's authorization server for one request: one session, one organization."""

    def __init__(self, session: Session, organization: Organization) -> None:
        super().__init__(scopes_supported=list(scopes.SUPPORTED))
        self.session = session
        self.organization = organization
        # Grants whose code or refresh token was presented again: revoked by the caller, in a
        # transaction of its own (the refused request's is rolled back).
        self.compromised_grants: set[uuid.UUID] = set()
        self.register_grant(CodeGrant, [S256Challenge(required=True)])
        self.register_grant(RefreshGrant)
        self.register_grant(OrganizationGrant)
        self.register_endpoint(Registration(self))
        self.register_endpoint(Revocation)
        self.register_token_generator("default", self._generate_token)

    # Authlib's framework hooks.

    def query_client(self, client_id: str) -> Client | None:
        row = self.session.scalar(
            select(ObApiClient).where(
                ObApiClient.client_id == client_id,
                ObApiClient.organization_id == self.organization.id,
            )
        )
        return Client(row) if row is not None else None

    def save_token(self, token: dict[str, Any], request: OAuthRequest) -> None:
        client: Client = request.client
        learner: Learner | None = request.user
        if request.authorization_code is not None:
            grant_id = request.authorization_code.row.id
        elif request.refresh_token is not None:
            grant_id = request.refresh_token.row.grant_id
        else:  # an organization-wide client's token: a grant of its own
            grant_id = uuid.uuid4()
        now = utcnow()
        refresh = token.get("refresh_token")
        self.session.add(
            ObApiToken(
                organization_id=self.organization.id,
                client_id=client.row.id,
                learner_id=learner.id if learner is not None else None,
                grant_id=grant_id,
                access_token_hash=hash_secret(token["access_token"]),
                refresh_token_hash=hash_secret(refresh) if refresh else None,
                scope=token.get("scope") or "",
                expires_at=now + timedelta(seconds=int(token["expires_in"])),
                refresh_expires_at=now + REFRESH_TTL if refresh else None,
            )
        )
        self.session.flush()

    def send_signal(self, name: str, *args: Any, **kwargs: Any) -> None:
        """No subscribers."""

    def create_oauth2_request(self, request: OAuthRequest) -> OAuthRequest:
        return request

    def create_json_request(self, request: JsonBody) -> JsonBody:
        return request

    def handle_response(
        self, status: int, body: Any, headers: Sequence[tuple[str, str]]
    ) -> Response:
        answer_headers = dict(headers)
        if status in (301, 302, 303, 307):
            return RedirectResponse(answer_headers.pop("Location"), status_code=status)
        answer_headers.pop("Content-Type", None)
        return JSONResponse(body, status_code=status, headers=answer_headers)

    def _generate_token(
        self,
        grant_type: str,
        client: Client,
        user: Learner | None = None,
        scope: str | None = None,
        expires_in: int | None = None,
        include_refresh_token: bool = True,
    ) -> dict[str, Any]:
        if grant_type == "client_credentials":
            scope = scopes.CREDENTIAL_READ
        token: dict[str, Any] = {
            "token_type": "Bearer",
            "access_token": secrets.token_urlsafe(32),
            "expires_in": expires_in or int(ACCESS_TTL.total_seconds()),
            "scope": scope or "",
        }
        if include_refresh_token:
            token["refresh_token"] = secrets.token_urlsafe(32)
        return token

    # For the grants.

    def learner(self, learner_id: uuid.UUID) -> Learner | None:
        return self.session.scalar(
            select(Learner).where(
                Learner.id == learner_id, Learner.organization_id == self.organization.id
            )
        )


# --- protecting the API (RFC 6750) ------------------------------------------------------------


@dataclass(frozen=True)
class Access:
    """Who a valid access token speaks for: one learner of one organization (None: every
    learner of it, for an organization-wide client), through one client, within its scopes."""

    learner: Learner | None
    client_id: uuid.UUID
    scopes: frozenset[str]
    expires_at: datetime


class _Bearer(rfc6750.BearerTokenValidator):  # type: ignore[misc]
    def __init__(self, session: Session, organization: Organization) -> None:
        super().__init__(realm=organization.slug)
        self.session = session
        self.organization = organization

    def authenticate_token(self, token_string: str) -> Token | None:
        row = self.session.scalar(
            select(ObApiToken).where(
                ObApiToken.access_token_hash == hash_secret(token_string),
                ObApiToken.organization_id == self.organization.id,
            )
        )
        if row is None:
            return None
        client = self.session.get(ObApiClient, row.client_id)
        return Token(row, client) if client is not None else None


def authorize_request(
    session: Session, organization: Organization, headers: Mapping[str, str], scope: str
) -> Access:
    """The access a request's bearer token grants, if it carries ``scope``; else Authlib's
    error: invalid_token (401: missing, unknown, expired, revoked, or another organization's)
    or insufficient_scope (403)."""
    protector = rfc6749.ResourceProtector()
    protector.register_token_validator(_Bearer(session, organization))
    request = _Headers(headers)
    token: Token = protector.validate_request([scope], request)
    learner = None
    if token.row.learner_id is not None:
        # Always there: a learner's tokens go with them (ON DELETE CASCADE).
        learner = session.get(Learner, token.row.learner_id)
        assert learner is not None
    elif token.client.organization_wide_at is None:
        # Approval withdrawn: its tokens were revoked then; this is belt and braces.
        raise rfc6750.InvalidTokenError(realm=organization.slug)
    return Access(
        learner=learner,
        client_id=token.row.client_id,
        scopes=frozenset(scopes.as_list(token.row.scope)),
        expires_at=token.row.expires_at,
    )


@dataclass(frozen=True)
class _Headers:
    headers: Mapping[str, str]


def www_authenticate(error: OAuth2Error, realm: str, scope: str | None = None) -> str:
    """The WWW-Authenticate challenge of a refused bearer token (RFC 6750 §3)."""
    parts = [f'Bearer realm="{realm}"']
    if error.error and error.error != "missing_authorization":
        parts.append(f'error="{error.error}"')
    if scope and error.error == "insufficient_scope":
        parts.append(f'scope="{scope}"')
    return ", ".join(parts)
