"""The consumer role of the Open Badges 3.0 API: a learner connects another host (another
Plaudit is one) from their wallet page, and their credentials are sent to it.

Connecting: the host's Service Description Document is read, Plaudit registers itself there
(RFC 7591, at the document's ``x-imssf-registrationUrl``) and sends the learner's browser to
the host's authorization page with PKCE (S256) and a state; the host sends the browser back to
Plaudit's callback, which exchanges the code for tokens. The state is random, stored hashed on
the pending connection (which names the learner), valid for ten minutes and taken once by a
conditional UPDATE: a replayed or forged answer finds nothing.

Pushing: each chosen credential is sent with upsertCredential, as it was issued (its JSON with
its embedded proof, or an imported VC-JWT's compact JWS), by a job. A network failure, a 5xx,
a 429 is tried again later (``BACKOFF``), until ``MAX_ATTEMPTS``; an expired access token is
refreshed first; a refusal (4xx) is final. Every outcome is kept on the push, for the learner's
wallet page and the dashboard.

Every request to the host goes through plaudit.outbound's SSRF guard: public https addresses
only, unless PLAUDIT_OBAPI_HOSTS_ALLOW_PRIVATE_NETWORKS says otherwise.
"""

from __future__ import annotations

import base64
import hashlib
import json
import secrets
import uuid
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any, Final
from urllib.parse import urlencode, urlsplit

from sqlalchemy import and_, or_, select, update
from sqlalchemy.orm import Session

from plaudit.db import unit_of_work, utcnow
from plaudit.imports.items import Format
from plaudit.models.award import Credential
from plaudit.models.learner import Learner
from plaudit.models.obapi_host import HostStatus, ObApiHost, ObApiPush, PushStatus
from plaudit.models.organization import Organization
from plaudit.obapi import remote, scopes, urls
from plaudit.runtime import Runtime
from plaudit.vault import Vault, hash_secret

CALLBACK_PATH: Final = "/obapi/hosts/callback"
STATE_TTL: Final = timedelta(minutes=10)
# Seconds before the 2nd, 3rd, 4th and 5th attempts (scaled by PLAUDIT_DELIVERY_BACKOFF_SCALE).
BACKOFF: Final = (60, 300, 1800, 7200)
MAX_ATTEMPTS: Final = len(BACKOFF) + 1
SCOPE: Final = scopes.CREDENTIAL_UPSERT
# Refreshed this long before it expires, so that it does not expire on the way.
EARLY_REFRESH: Final = timedelta(seconds=30)


class HostRefused(Exception):
    """The host cannot be connected, or the answer at the callback is not taken; the message
    says why, for the learner."""


def _seal(vault: Vault, row_id: uuid.UUID, purpose: str, value: str) -> bytes:
    return vault.seal(value.encode(), context=f"obapi_hosts:{row_id}:{purpose}")


def _open(vault: Vault, row_id: uuid.UUID, purpose: str, sealed: bytes | None) -> str | None:
    if sealed is None:
        return None
    return vault.open(sealed, context=f"obapi_hosts:{row_id}:{purpose}").decode()


# --- discovery and registration -----------------------------------------------------------


@dataclass(frozen=True)
class Described:
    """What a Service Description Document says of a host."""

    name: str
    discovery_url: str
    api_url: str
    registration_url: str
    authorize_url: str
    token_url: str


def discovery_url(given: str) -> str:
    """The document's address: as given when it ends in /discovery, else the API's base URL
    with ``/ims/ob/v3p0/discovery`` appended (how the specification finds it)."""
    url = given.strip()
    path = urlsplit(url).path.rstrip("/")
    if path.endswith("/discovery"):
        return url
    if path.endswith(urls.VERSION_PATH):
        return url.rstrip("/") + "/discovery"
    return url.rstrip("/") + urls.VERSION_PATH + "/discovery"


def _https_or_allowed(value: Any, allow_private: bool) -> bool:
    if not isinstance(value, str) or len(value) > 2048:
        return False
    parts = urlsplit(value)
    schemes = ("https", "http") if allow_private else ("https",)
    return parts.scheme in schemes and bool(parts.hostname)


def describe(document: Any, *, at: str, allow_private: bool) -> Described:
    """The host's API and OAuth endpoints from its Service Description Document; HostRefused
    when it is not an Open Badges 3.0 one (an OpenAPI 3 document with an OAuth 2.0
    authorization code flow, a registration URL, the credential.upsert scope and the
    /credentials path)."""

    def refuse(why: str) -> HostRefused:
        return HostRefused(f"{at} is not an Open Badges 3.0 host: {why}.")

    if not isinstance(document, dict) or not str(document.get("openapi", "")).startswith("3."):
        raise refuse("it is not an OpenAPI 3 service description")
    paths = document.get("paths")
    if not isinstance(paths, dict) or "/credentials" not in paths:
        raise refuse("it has no /credentials path")
    servers = document.get("servers")
    first = servers[0] if isinstance(servers, list) and servers else None
    api = first.get("url") if isinstance(first, dict) else None
    if not _https_or_allowed(api, allow_private):
        raise refuse("it names no server URL Plaudit may use")
    components = document.get("components")
    schemes = components.get("securitySchemes") if isinstance(components, dict) else None
    for scheme in (schemes or {}).values() if isinstance(schemes, dict) else ():
        if not isinstance(scheme, dict) or scheme.get("type") != "oauth2":
            continue
        flows = scheme.get("flows")
        flow = flows.get("authorizationCode") if isinstance(flows, dict) else None
        if not isinstance(flow, dict):
            continue
        registration = scheme.get("x-imssf-registrationUrl")
        endpoints = (registration, flow.get("authorizationUrl"), flow.get("tokenUrl"))
        if not all(_https_or_allowed(e, allow_private) for e in endpoints):
            continue
        offered = flow.get("scopes")
        if not isinstance(offered, dict) or SCOPE not in offered:
            raise refuse("it does not take credentials (no credential.upsert scope)")
        info = document.get("info")
        title = info.get("title") if isinstance(info, dict) else None
        name = str(scheme.get("x-imssf-name") or title or urlsplit(str(api)).hostname)[:200]
        return Described(
            name=name,
            discovery_url=at,
            api_url=str(api).rstrip("/"),
            registration_url=str(registration),
            authorize_url=str(flow["authorizationUrl"]),
            token_url=str(flow["tokenUrl"]),
        )
    raise refuse("it offers no OAuth 2.0 authorization code flow with dynamic registration")


def discover(given: str, *, allow_private: bool) -> Described:
    at = discovery_url(given)
    if not _https_or_allowed(at, allow_private):
        raise HostRefused(f"Give the host's https address, not {given[:200]!r}.")
    try:
        answer = remote.get_json(at, allow_private=allow_private)
    except remote.RemoteError as exc:
        raise HostRefused(f"The host could not be reached: {exc}.") from None
    if answer.status != 200:
        raise HostRefused(f"{at} is not an Open Badges 3.0 host: it answered {answer.summary}.")
    return describe(answer.json(), at=at, allow_private=allow_private)


def _register(
    host: Described, *, organization: Organization, callback: str, allow_private: bool
) -> tuple[str, str | None]:
    """Plaudit registered as a confidential client of the host: (client_id, client_secret)."""
    metadata = {
        "client_name": f"Plaudit: {organization.name}"[:200],
        "redirect_uris": [callback],
        "grant_types": ["authorization_code", "refresh_token"],
        "response_types": ["code"],
        "token_endpoint_auth_method": "client_secret_basic",
        "scope": SCOPE,
    }
    if organization.url and organization.url.startswith("https://"):
        metadata["client_uri"] = organization.url
    try:
        answer = remote.post_json(host.registration_url, metadata, allow_private=allow_private)
    except remote.RemoteError as exc:
        raise HostRefused(f"The host could not be reached: {exc}.") from None
    registered = answer.json()
    if answer.status not in (200, 201) or not isinstance(registered, dict):
        raise HostRefused(f"The host refused to register Plaudit: {answer.summary}.")
    client_id = registered.get("client_id")
    secret = registered.get("client_secret")
    if not isinstance(client_id, str) or not client_id or len(client_id) > 255:
        raise HostRefused("The host's registration answer has no client_id.")
    return client_id, secret if isinstance(secret, str) and secret else None


# --- connecting ---------------------------------------------------------------------------


def _pushable(session: Session, learner: Learner, public_ids: list[str]) -> list[Credential]:
    """The learner's credentials among ``public_ids`` that can go to a host as Open Badges
    3.0: signed here, or imported as OB 3.0 documents."""
    if not public_ids:
        raise HostRefused("Choose at least one credential to send.")
    found = session.scalars(
        select(Credential).where(
            Credential.learner_id == learner.id,
            Credential.public_id.in_(public_ids[:100]),
            or_(
                and_(Credential.imported.is_(False), Credential.signed_at.is_not(None)),
                and_(Credential.imported.is_(True), Credential.import_format == Format.OB3.value),
            ),
        )
    ).all()
    if len(found) != len(set(public_ids)):
        raise HostRefused("Some of the chosen credentials cannot be sent as Open Badges 3.0.")
    return list(found)


def _challenge(verifier: str) -> str:
    digest = hashlib.sha256(verifier.encode("ascii")).digest()
    return base64.urlsafe_b64encode(digest).rstrip(b"=").decode()


@dataclass(frozen=True)
class Started:
    host_name: str
    authorize_url: str  # where the learner's browser goes next


def connect(
    session: Session,
    vault: Vault,
    *,
    learner: Learner,
    host_url: str,
    public_ids: list[str],
    base_url: str,
    allow_private: bool,
) -> Started:
    """Register with the host and record a pending connection, with the chosen credentials
    waiting to be sent; the host's authorization URL to send the learner's browser to."""
    credentials = _pushable(session, learner, public_ids)
    organization = session.get(Organization, learner.organization_id)
    assert organization is not None
    described = discover(host_url, allow_private=allow_private)
    callback = base_url + CALLBACK_PATH
    client_id, secret = _register(
        described, organization=organization, callback=callback, allow_private=allow_private
    )
    state, verifier = secrets.token_urlsafe(32), secrets.token_urlsafe(48)
    host = ObApiHost(
        id=uuid.uuid4(),
        organization_id=learner.organization_id,
        learner_id=learner.id,
        status=HostStatus.PENDING,
        name=described.name,
        discovery_url=described.discovery_url,
        api_url=described.api_url,
        authorize_url=described.authorize_url,
        token_url=described.token_url,
        client_id=client_id,
        scope=SCOPE,
        state_hash=hash_secret(state),
        state_expires_at=utcnow() + STATE_TTL,
    )
    host.client_secret = _seal(vault, host.id, "client_secret", secret) if secret else None
    host.code_verifier = _seal(vault, host.id, "code_verifier", verifier)
    session.add(host)
    for credential in credentials:
        session.add(
            ObApiPush(
                organization_id=learner.organization_id,
                host_id=host.id,
                credential_id=credential.id,
                status=PushStatus.PENDING,
            )
        )
    session.flush()
    query = {
        "response_type": "code",
        "client_id": client_id,
        "redirect_uri": callback,
        "scope": SCOPE,
        "state": state,
        "code_challenge": _challenge(verifier),
        "code_challenge_method": "S256",
    }
    separator = "&" if "?" in described.authorize_url else "?"
    return Started(described.name, f"{described.authorize_url}{separator}{urlencode(query)}")


@dataclass(frozen=True)
class Finished:
    learner_id: uuid.UUID
    host: ObApiHost
    due: list[uuid.UUID]  # the pushes to send now


def _token_headers(vault: Vault, host: ObApiHost) -> dict[str, str]:
    secret = _open(vault, host.id, "client_secret", host.client_secret)
    return {"Authorization": remote.basic(host.client_id, secret)} if secret else {}


def _keep_tokens(vault: Vault, host: ObApiHost, tokens: dict[str, Any]) -> None:
    host.access_token = _seal(vault, host.id, "access_token", str(tokens["access_token"]))
    refresh = tokens.get("refresh_token")
    if isinstance(refresh, str) and refresh:
        host.refresh_token = _seal(vault, host.id, "refresh_token", refresh)
    expires_in = tokens.get("expires_in")
    seconds = expires_in if isinstance(expires_in, int) and expires_in > 0 else 3600
    host.expires_at = utcnow() + timedelta(seconds=seconds)


def _fail_waiting(session: Session, host: ObApiHost, why: str) -> None:
    session.execute(
        update(ObApiPush)
        .where(ObApiPush.host_id == host.id, ObApiPush.status == PushStatus.PENDING)
        .values(status=PushStatus.FAILED, last_outcome=why, updated_at=utcnow())
        .execution_options(synchronize_session=False)
    )


def finish(
    session: Session,
    vault: Vault,
    *,
    state: str,
    code: str | None,
    error: str | None,
    base_url: str,
    allow_private: bool,
) -> Finished:
    """The host's answer at the callback. The state is taken first, once (whoever clears it
    wins); after that, whatever happens is recorded on the connection rather than raised, so
    that it is kept."""
    digest = hash_secret(state) if state else ""
    host = session.scalar(select(ObApiHost).where(ObApiHost.state_hash == digest))
    taken = session.execute(
        update(ObApiHost)
        .where(ObApiHost.state_hash == digest, ObApiHost.status == HostStatus.PENDING)
        .values(state_hash=None)
        .execution_options(synchronize_session=False)
    )
    if host is None or getattr(taken, "rowcount", 0) != 1:
        raise HostRefused(
            "This answer from the host is not expected here: it was used already, or it is "
            "not one Plaudit asked for. Start again from your wallet page."
        )
    session.refresh(host)
    verifier = _open(vault, host.id, "code_verifier", host.code_verifier)
    host.code_verifier = None
    now = utcnow()

    def refused(why: str) -> Finished:
        host.status = HostStatus.REFUSED
        host.last_error = why
        _fail_waiting(session, host, f"Not sent: {why}")
        session.flush()
        return Finished(host.learner_id, host, [])

    if host.state_expires_at is None or host.state_expires_at <= now:
        return refused("the answer came back too late; connect again")
    if error or not code or verifier is None:
        if error == "access_denied":
            return refused("you declined the connection at the host")
        return refused(f"the host refused: {(error or 'no code given')[:200]}")
    form = {
        "grant_type": "authorization_code",
        "code": code,
        "redirect_uri": base_url + CALLBACK_PATH,
        "code_verifier": verifier,
    }
    if host.client_secret is None:
        form["client_id"] = host.client_id
    try:
        answer = remote.post_form(
            host.token_url,
            form,
            allow_private=allow_private,
            headers=_token_headers(vault, host),
        )
    except remote.RemoteError as exc:
        return refused(f"the host could not be reached: {exc}")
    tokens = answer.json()
    if answer.status != 200 or not isinstance(tokens, dict) or not tokens.get("access_token"):
        return refused(f"the host did not give a token: {answer.summary}")
    _keep_tokens(vault, host, tokens)
    host.status = HostStatus.CONNECTED
    host.last_error = None
    due = list(
        session.scalars(
            select(ObApiPush.id).where(
                ObApiPush.host_id == host.id, ObApiPush.status == PushStatus.PENDING
            )
        )
    )
    session.execute(
        update(ObApiPush)
        .where(ObApiPush.id.in_(due))
        .values(next_attempt_at=now)
        .execution_options(synchronize_session=False)
    )
    session.flush()
    return Finished(host.learner_id, host, due)


# --- pushing ------------------------------------------------------------------------------


@dataclass(frozen=True)
class _Attempt:
    """What one attempt needs, read before any network call (no transaction is held open
    across one)."""

    push_id: uuid.UUID
    host_id: uuid.UUID
    credentials_url: str
    token_url: str
    access_token: str | None
    refresh_token: str | None
    expired: bool
    token_headers: dict[str, str]
    client_id: str
    has_secret: bool
    body: bytes
    content_type: str


def _prepare(session: Session, vault: Vault, push_id: uuid.UUID) -> _Attempt | None:
    push = session.get(ObApiPush, push_id)
    if push is None or push.status is not PushStatus.PENDING:
        return None
    host = session.get(ObApiHost, push.host_id)
    credential = session.get(Credential, push.credential_id)
    if host is None or credential is None or host.status is not HostStatus.CONNECTED:
        return None
    held = credential.imported_document if credential.imported else credential.document
    if isinstance(held, str):
        body, content_type = held.encode(), "text/plain"
    else:
        body = json.dumps(held, ensure_ascii=False, separators=(",", ":")).encode()
        content_type = "application/json"
    return _Attempt(
        push_id=push.id,
        host_id=host.id,
        credentials_url=host.api_url + "/credentials",
        token_url=host.token_url,
        access_token=_open(vault, host.id, "access_token", host.access_token),
        refresh_token=_open(vault, host.id, "refresh_token", host.refresh_token),
        expired=host.expires_at is None or host.expires_at <= utcnow() + EARLY_REFRESH,
        token_headers=_token_headers(vault, host),
        client_id=host.client_id,
        has_secret=host.client_secret is not None,
        body=body,
        content_type=content_type,
    )


@dataclass
class _Result:
    sent: bool = False
    final: bool = False  # no point trying again
    outcome: str = ""
    new_tokens: dict[str, Any] | None = None
    disconnected: bool = False


def _refresh(attempt: _Attempt, *, allow_private: bool) -> dict[str, Any] | None:
    if attempt.refresh_token is None:
        return None
    form = {"grant_type": "refresh_token", "refresh_token": attempt.refresh_token}
    if not attempt.has_secret:
        form["client_id"] = attempt.client_id
    answer = remote.post_form(
        attempt.token_url, form, allow_private=allow_private, headers=attempt.token_headers
    )
    tokens = answer.json()
    if answer.status == 200 and isinstance(tokens, dict) and tokens.get("access_token"):
        return tokens
    return None


def _send(attempt: _Attempt, *, allow_private: bool) -> _Result:
    result = _Result()
    access = attempt.access_token
    try:
        if attempt.expired:
            result.new_tokens = _refresh(attempt, allow_private=allow_private)
            if result.new_tokens is None:
                return _Result(
                    final=True,
                    disconnected=True,
                    outcome="The host no longer accepts Plaudit's access: connect it again.",
                )
            access = str(result.new_tokens["access_token"])
        for retry in (True, False):
            answer = remote.call(
                "POST",
                attempt.credentials_url,
                allow_private=allow_private,
                body=attempt.body,
                headers={
                    "Authorization": f"Bearer {access}",
                    "Content-Type": attempt.content_type,
                },
            )
            if answer.status == 401 and retry and result.new_tokens is None:
                # Revoked or expired early: one refresh, then once more.
                result.new_tokens = _refresh(attempt, allow_private=allow_private)
                if result.new_tokens is not None:
                    access = str(result.new_tokens["access_token"])
                    continue
            break
    except remote.RemoteError as exc:
        result.outcome = str(exc)
        return result
    result.outcome = answer.summary
    if answer.status in (200, 201):
        result.sent = True
    elif answer.status == 401:
        result.final = result.disconnected = True
        result.outcome += " (the host no longer accepts Plaudit's access: connect it again)"
    elif 400 <= answer.status < 500 and answer.status not in (408, 425, 429):
        result.final = True
    return result


def deliver(runtime: Runtime, push_id: uuid.UUID) -> PushStatus | None:
    """One attempt at sending a push, in transactions of its own around the network call; the
    push's status after it (None when there was nothing to do)."""
    vault = runtime.vault
    with unit_of_work(runtime.sessions) as session:
        attempt = _prepare(session, vault, push_id)
    if attempt is None:
        return None
    allow_private = runtime.settings.obapi_hosts_allow_private_networks
    result = _send(attempt, allow_private=allow_private)
    with unit_of_work(runtime.sessions) as session:
        push = session.get(ObApiPush, push_id)
        host = session.get(ObApiHost, attempt.host_id)
        if push is None or host is None or push.status is not PushStatus.PENDING:
            return None
        now = utcnow()
        if result.new_tokens is not None:
            _keep_tokens(vault, host, result.new_tokens)
        if result.disconnected:
            host.status = HostStatus.DISCONNECTED
            host.last_error = result.outcome
        push.attempts += 1
        push.last_outcome = result.outcome[:2000]
        if result.sent:
            push.status, push.sent_at, push.next_attempt_at = PushStatus.SENT, now, None
        elif result.final or push.attempts >= MAX_ATTEMPTS:
            push.status, push.next_attempt_at = PushStatus.FAILED, None
            if host.status is HostStatus.DISCONNECTED:
                _fail_waiting(session, host, f"Not sent: {result.outcome}")
        else:
            wait = BACKOFF[push.attempts - 1] * runtime.settings.delivery_backoff_scale
            push.next_attempt_at = now + timedelta(seconds=wait)
        return push.status


def due(session: Session, *, limit: int = 500) -> list[uuid.UUID]:
    """Pushes whose (next) attempt is due, oldest first."""
    return list(
        session.scalars(
            select(ObApiPush.id)
            .join(ObApiHost, ObApiHost.id == ObApiPush.host_id)
            .where(
                ObApiPush.status == PushStatus.PENDING,
                ObApiPush.next_attempt_at <= utcnow(),
                ObApiHost.status == HostStatus.CONNECTED,
            )
            .order_by(ObApiPush.next_attempt_at)
            .limit(limit)
        )
    )


# --- what is shown ------------------------------------------------------------------------


@dataclass(frozen=True)
class PushView:
    credential_public_id: str
    credential_name: str
    status: str
    attempts: int
    outcome: str | None
    at: datetime


@dataclass(frozen=True)
class HostView:
    id: uuid.UUID
    name: str
    api_url: str
    status: str
    error: str | None
    learner_id: uuid.UUID
    learner: str
    connected_at: datetime
    pushes: list[PushView]


def _name_of(credential: Credential) -> str:
    held = credential.imported_document if credential.imported else credential.document
    if isinstance(held, dict):
        subject = held.get("credentialSubject")
        achievement = subject.get("achievement") if isinstance(subject, dict) else None
        name = achievement.get("name") if isinstance(achievement, dict) else None
        if isinstance(name, str) and name:
            return name[:300]
        if isinstance(held.get("name"), str):
            return str(held["name"])[:300]
    return credential.activity_title or credential.public_id


def connections(
    session: Session,
    *,
    organization_id: uuid.UUID,
    learner_id: uuid.UUID | None = None,
    credential_id: uuid.UUID | None = None,
    limit: int = 200,
) -> list[HostView]:
    """The hosts connected in the organization (or by one learner, or to which one credential
    went), newest first, each with its pushes."""
    query = select(ObApiHost).where(ObApiHost.organization_id == organization_id)
    if learner_id is not None:
        query = query.where(ObApiHost.learner_id == learner_id)
    if credential_id is not None:
        query = query.where(
            ObApiHost.id.in_(
                select(ObApiPush.host_id).where(ObApiPush.credential_id == credential_id)
            )
        )
    hosts = session.scalars(query.order_by(ObApiHost.created_at.desc()).limit(limit)).all()
    if not hosts:
        return []
    pushed = (
        select(ObApiPush, Credential)
        .join(Credential, Credential.id == ObApiPush.credential_id)
        .where(ObApiPush.host_id.in_([h.id for h in hosts]))
        .order_by(ObApiPush.created_at)
    )
    if credential_id is not None:
        pushed = pushed.where(ObApiPush.credential_id == credential_id)
    pushes = session.execute(pushed).all()
    learners = dict(
        session.execute(
            select(Learner.id, Learner.email).where(Learner.id.in_({h.learner_id for h in hosts}))
        ).all()
    )
    by_host: dict[uuid.UUID, list[PushView]] = {}
    for push, credential in pushes:
        by_host.setdefault(push.host_id, []).append(
            PushView(
                credential_public_id=credential.public_id,
                credential_name=_name_of(credential),
                status=push.status.value,
                attempts=push.attempts,
                outcome=push.last_outcome,
                at=push.sent_at or push.updated_at,
            )
        )
    return [
        HostView(
            id=h.id,
            name=h.name,
            api_url=h.api_url,
            status=h.status.value,
            error=h.last_error,
            learner_id=h.learner_id,
            learner=learners.get(h.learner_id) or str(h.learner_id),
            connected_at=h.created_at,
            pushes=by_host.get(h.id, []),
        )
        for h in hosts
    ]
