"""OpenID for Verifiable Credential Issuance 1.0, pre-authorized code flow.

Each organization is a Credential Issuer, `{base}/orgs/{slug}`, and its own Authorization Server
(anonymous pre-authorized code grant only). A claim's offer names the issuer and a
pre-authorized code; the code buys one short-lived access token (with the transaction code
when the claim requires one); the token buys the credential once, bound to the key the wallet
proves. Errors are OAuth's JSON objects ({"error", "error_description"}), not problem+json: a
wallet reads the codes the specification lists.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Annotated, Any, Final
from urllib.parse import parse_qs

from fastapi import APIRouter, Depends, Request, Response
from fastapi.responses import JSONResponse
from sqlalchemy.orm import Session

from plaudit import safejson
from plaudit.api.deps import RuntimeDep, SessionDep
from plaudit.api.limits import per_address
from plaudit.api.routing import UnitOfWorkRoute
from plaudit.claims import links, tokens
from plaudit.claims import service as claims
from plaudit.claims.service import ClaimRefused
from plaudit.db import unit_of_work
from plaudit.models.claim import Claim, WalletNotice
from plaudit.models.organization import Organization
from plaudit.openbadges.credential import OB_V3, VC_V2
from plaudit.organizations import service as organizations
from plaudit.runtime import Runtime
from plaudit.wallets import deliver
from plaudit.wallets import oid4vci_proofs as proofs

PRE_AUTHORIZED_GRANT: Final = "urn:ietf:params:oauth:grant-type:pre-authorized_code"
# §6.1, §7.2, §8.3, RFC 6749 §5.1: what a token, a nonce or a credential says is never cached.
NO_STORE: Final = {"Cache-Control": "no-store", "Pragma": "no-cache"}
TX_CODE_DESCRIPTION: Final = "The 6-digit code shown on your claim page and in your award email."
NOTIFICATION_EVENTS: Final = {
    "credential_accepted": WalletNotice.ACCEPTED,
    "credential_deleted": WalletNotice.DELETED,
    "credential_failure": WalletNotice.FAILURE,
}


@dataclass(frozen=True)
class Configuration:
    """One entry of credential_configurations_supported: the same Open Badge, in one format."""

    id: str
    format: str
    proof_format: str  # what deliver() signs: Plaudit's name for the format
    signing_alg: str


LDP_VC = Configuration("OpenBadgeCredential_ldp_vc", "ldp_vc", "eddsa-rdfc-2022", "eddsa-rdfc-2022")
JWT_VC_JSON = Configuration("OpenBadgeCredential_jwt_vc_json", "jwt_vc_json", "vc-jwt", "EdDSA")
CONFIGURATIONS: Final = {c.id: c for c in (LDP_VC, JWT_VC_JSON)}


# --- metadata (§12.2 Credential Issuer, §12.3 and RFC 8414 Authorization Server) -------------


def _endpoint(base_url: str, organization: Organization, name: str) -> str:
    return f"{links.credential_issuer(base_url, organization.slug)}/{name}"


def _configuration_metadata(configuration: Configuration) -> dict[str, Any]:
    definition: dict[str, Any] = {"type": ["VerifiableCredential", "OpenBadgeCredential"]}
    if configuration.format == "ldp_vc":
        definition = {"@context": [VC_V2, OB_V3], **definition}
    return {
        "format": configuration.format,
        "cryptographic_binding_methods_supported": list(proofs.BINDING_METHODS),
        "credential_signing_alg_values_supported": [configuration.signing_alg],
        "proof_types_supported": {
            proofs.JWT: {"proof_signing_alg_values_supported": list(proofs.JWT_ALGORITHMS)},
            proofs.DI_VP: {"proof_signing_alg_values_supported": list(proofs.DI_VP_CRYPTOSUITES)},
        },
        "credential_definition": definition,
        # credential_metadata is also what tells 1.0 from earlier drafts to some wallets.
        "credential_metadata": {
            "display": [
                {
                    "name": "Open Badge",
                    "locale": "en",
                    "description": "An Open Badges 3.0 credential: an achievement, verifiable.",
                }
            ]
        },
    }


def _display(organization: Organization) -> dict[str, Any]:
    display: dict[str, Any] = {"name": organization.name, "locale": organization.default_language}
    logo = organization.logo_url
    if logo and logo.startswith(("https://", "data:")):
        display["logo"] = {"uri": logo, "alt_text": organization.name}
    return display


def _configurations_in_order(organization: Organization) -> list[Configuration]:
    """Both formats, the organization's preferred one first (a wallet that takes the first
    offered gets what the organization chose)."""
    if organization.default_proof_format == "vc-jwt":
        return [JWT_VC_JSON, LDP_VC]
    return [LDP_VC, JWT_VC_JSON]


def issuer_metadata(base_url: str, organization: Organization) -> dict[str, Any]:
    return {
        "credential_issuer": links.credential_issuer(base_url, organization.slug),
        "credential_endpoint": _endpoint(base_url, organization, "credential"),
        "nonce_endpoint": _endpoint(base_url, organization, "nonce"),
        "notification_endpoint": _endpoint(base_url, organization, "notification"),
        "display": [_display(organization)],
        "credential_configurations_supported": {
            c.id: _configuration_metadata(c) for c in _configurations_in_order(organization)
        },
    }


def authorization_server_metadata(base_url: str, organization: Organization) -> dict[str, Any]:
    return {
        "issuer": links.credential_issuer(base_url, organization.slug),
        "token_endpoint": _endpoint(base_url, organization, "token"),
        "grant_types_supported": [PRE_AUTHORIZED_GRANT],
        "token_endpoint_auth_methods_supported": ["none"],
        "pre-authorized_grant_anonymous_access_supported": True,
    }


# --- the flow ---------------------------------------------------------------------------------


def credential_offer(session: Session, runtime: Runtime, claim: Claim | None) -> dict[str, Any]:
    """The Credential Offer (§4.1.1) a wallet fetches from credential_offer_uri."""
    claims.claimable(session, claim)
    assert claim is not None
    organization = organizations.get(session, claim.organization_id)
    grant: dict[str, Any] = {
        "pre-authorized_code": tokens.token_for(
            runtime.vault, claim.id, purpose=tokens.PRE_AUTHORIZED_CODE
        )
    }
    if claim.tx_code_required:
        grant["tx_code"] = {
            "input_mode": "numeric",
            "length": tokens.TX_CODE_DIGITS,
            "description": TX_CODE_DESCRIPTION,
        }
    return {
        "credential_issuer": links.credential_issuer(
            runtime.settings.public_base_url, organization.slug
        ),
        "credential_configuration_ids": [c.id for c in _configurations_in_order(organization)],
        "grants": {PRE_AUTHORIZED_GRANT: grant},
    }


def token(
    session: Session, runtime: Runtime, *, organization: Organization, form: Mapping[str, str]
) -> dict[str, Any]:
    """The Token Request (§6.1) with the pre-authorized code, answered per RFC 6749 §5.1."""
    grant_type = form.get("grant_type")
    if grant_type is None:
        raise ClaimRefused("invalid_request", "The grant_type parameter is missing.")
    if grant_type != PRE_AUTHORIZED_GRANT:
        raise ClaimRefused(
            "unsupported_grant_type", f"This server accepts only {PRE_AUTHORIZED_GRANT}."
        )
    code = form.get("pre-authorized_code")
    if not code:
        raise ClaimRefused("invalid_request", "The pre-authorized_code parameter is missing.")
    # Wallets of draft 11 send the transaction code as user_pin (some send both).
    tx_code = form.get("tx_code", form.get("user_pin"))
    claim = claims.by_token(session, runtime.vault, code, purpose=tokens.PRE_AUTHORIZED_CODE)
    if claim is None or claim.organization_id != organization.id:
        raise ClaimRefused("invalid_grant", "The pre-authorized code is not valid.")
    # §6.3: a missing or unexpected transaction code is a malformed request (not a wrong code).
    if claim.tx_code_required and tx_code is None:
        raise ClaimRefused("invalid_request", "This offer needs its transaction code (tx_code).")
    if not claim.tx_code_required and tx_code is not None:
        raise ClaimRefused("invalid_request", "This offer takes no transaction code.")
    _, access_token = claims.redeem_code(session, runtime.vault, code=code, tx_code=tx_code)
    return {
        "access_token": access_token,
        "token_type": "Bearer",
        "expires_in": claims.ACCESS_TOKEN_SECONDS,
    }


def nonce(session: Session) -> dict[str, Any]:
    """A fresh c_nonce (§7.2)."""
    value, _seconds = claims.new_nonce(session)
    return {"c_nonce": value}


def _authorized(session: Session, organization: Organization, access_token: str) -> Claim:
    claim = claims.by_access_token(session, access_token)
    if claim.organization_id != organization.id:
        raise ClaimRefused("invalid_token", "The access token is not valid here.", 401)
    return claim


def _configuration(body: Mapping[str, Any]) -> Configuration:
    if "credential_identifier" in body:
        raise ClaimRefused(
            "invalid_credential_request",
            "No credential_identifiers were issued: ask by credential_configuration_id.",
        )
    wanted = body.get("credential_configuration_id")
    if wanted is None and isinstance(body.get("format"), str):
        # Wallets of drafts 13 and 14 ask by format instead.
        by_format = {c.format: c for c in CONFIGURATIONS.values()}
        found = by_format.get(body["format"])
        if found is None:
            raise ClaimRefused(
                "unknown_credential_configuration", f"The format {body['format']!r} is not issued."
            )
        return found
    if not isinstance(wanted, str):
        raise ClaimRefused(
            "invalid_credential_request", "The credential_configuration_id is missing."
        )
    found = CONFIGURATIONS.get(wanted)
    if found is None:
        raise ClaimRefused(
            "unknown_credential_configuration",
            f"Not a configuration of this issuer; it issues {', '.join(CONFIGURATIONS)}.",
        )
    return found


def credential(
    session: Session,
    runtime: Runtime,
    *,
    organization: Organization,
    access_token: str,
    body: Any,
    wallet: str | None,
) -> dict[str, Any]:
    """The Credential Request (§8.2): the claim's credential in the configuration asked,
    bound to the holder its key proof names (§8.1, appendix F)."""
    claim = _authorized(session, organization, access_token)
    if not isinstance(body, Mapping):
        raise ClaimRefused("invalid_credential_request", "The request must be a JSON object.")
    configuration = _configuration(body)
    kind, proof = proofs.the_proof(body)
    base = runtime.settings.public_base_url
    holder = proofs.holder_of(
        session,
        base_url=base,
        credential_issuer=links.credential_issuer(base, organization.slug),
        kind=kind,
        proof=proof,
    )
    try:
        document, notification_id = deliver.deliver(
            session,
            runtime,
            claim,
            holder=holder,
            protocol=deliver.OID4VCI,
            wallet=wallet,
            proof_format=configuration.proof_format,
        )
    except ClaimRefused as refused:
        # The access token was good, but the claim can no longer be taken (used by an earlier
        # request, withdrawn, the credential revoked): the wallet should not try again.
        raise ClaimRefused("credential_request_denied", refused.description) from refused
    return {"credentials": [{"credential": document}], "notification_id": notification_id}


def notify(session: Session, *, organization: Organization, access_token: str, body: Any) -> None:
    """The Notification Request (§11.1): what the wallet did with the credential."""
    claim = _authorized(session, organization, access_token)
    if not isinstance(body, Mapping) or not isinstance(body.get("notification_id"), str):
        raise ClaimRefused(
            "invalid_notification_request", "The request needs a notification_id and an event."
        )
    event = NOTIFICATION_EVENTS.get(str(body.get("event")))
    if event is None:
        raise ClaimRefused(
            "invalid_notification_request",
            f"The event must be one of {', '.join(NOTIFICATION_EVENTS)}.",
        )
    deliver.notice(session, claim, notification_id=body["notification_id"], event=event)


# --- HTTP -------------------------------------------------------------------------------------

# error_description is ASCII without '"' and '\' (RFC 6749 §5.2): it may go in a header too.
_NOT_IN_DESCRIPTIONS = re.compile(r"[^\x20-\x21\x23-\x5b\x5d-\x7e]")


def _described(text: str) -> str:
    return _NOT_IN_DESCRIPTIONS.sub("?", text.replace('"', "'"))


def refusal(refused: ClaimRefused) -> JSONResponse:
    """An OAuth 2.0 / OpenID4VCI error response; a bad access token as RFC 6750 §3 says."""
    description = _described(refused.description)
    headers = dict(NO_STORE)
    if refused.status == 401:
        headers["WWW-Authenticate"] = (
            f'Bearer error="{refused.error}", error_description="{description}"'
        )
    return JSONResponse(
        {"error": refused.error, "error_description": description},
        status_code=refused.status,
        headers=headers,
    )


def _access_token(request: Request) -> str:
    scheme, _, value = request.headers.get("authorization", "").partition(" ")
    if scheme.lower() != "bearer" or not value.strip():
        raise ClaimRefused(
            "invalid_token", "Send the access token from the token endpoint as Bearer.", 401
        )
    return value.strip()


def _json(body: bytes) -> Any:
    try:
        return safejson.loads(body)
    except ValueError:  # not JSON, or JSON that cannot be stored (safejson.UnsafeJson)
        return None


def _form(request: Request, body: bytes) -> dict[str, str]:
    """The token request's form (RFC 6749 §3.2: each parameter at most once)."""
    media_type = request.headers.get("content-type", "").split(";")[0].strip().lower()
    if media_type != "application/x-www-form-urlencoded":
        raise ClaimRefused(
            "invalid_request", "Send the token request as application/x-www-form-urlencoded."
        )
    try:
        parsed = parse_qs(body.decode("utf-8"), keep_blank_values=True, strict_parsing=False)
    except (UnicodeDecodeError, ValueError) as exc:
        raise ClaimRefused("invalid_request", "The form is not readable.") from exc
    repeated = sorted(name for name, values in parsed.items() if len(values) > 1)
    if repeated:
        raise ClaimRefused("invalid_request", f"Parameters repeated: {', '.join(repeated)}.")
    form = {name: values[0] for name, values in parsed.items()}
    if any("\x00" in name or "\x00" in value for name, value in form.items()):
        raise ClaimRefused("invalid_request", "The form holds a NUL character.")
    return form


# The token, nonce and credential endpoints need no account: each client address gets
# PLAUDIT_VERIFY_RATE_LIMIT of them, counted apart from verifications.
RATE_LIMIT = per_address("oid4vci", "Too many requests from this address; wait a few seconds.")


async def _read_body(request: Request) -> bytes:
    return await request.body()


BodyDep = Annotated[bytes, Depends(_read_body)]

router = APIRouter(tags=["openid4vci"], route_class=UnitOfWorkRoute, include_in_schema=False)


@router.get("/claims/{token}/offer")
def offer(token: str, session: SessionDep, runtime: RuntimeDep) -> Response:
    claim = claims.by_token(session, runtime.vault, token)
    try:
        document = credential_offer(session, runtime, claim)
    except ClaimRefused as refused:
        return refusal(refused)
    return JSONResponse(document, headers={"Cache-Control": "no-store"})


@router.get("/.well-known/openid-credential-issuer/orgs/{slug}")
@router.get("/orgs/{slug}/.well-known/openid-credential-issuer")
def credential_issuer_metadata(slug: str, session: SessionDep, runtime: RuntimeDep) -> Response:
    organization = organizations.get_by_slug(session, slug)
    return JSONResponse(issuer_metadata(runtime.settings.public_base_url, organization))


@router.get("/.well-known/oauth-authorization-server/orgs/{slug}")
@router.get("/orgs/{slug}/.well-known/oauth-authorization-server")
def oauth_metadata(slug: str, session: SessionDep, runtime: RuntimeDep) -> Response:
    organization = organizations.get_by_slug(session, slug)
    return JSONResponse(
        authorization_server_metadata(runtime.settings.public_base_url, organization)
    )


@router.post("/orgs/{slug}/nonce", dependencies=[RATE_LIMIT])
def nonce_endpoint(slug: str, session: SessionDep) -> Response:
    organizations.get_by_slug(session, slug)
    return JSONResponse(nonce(session), headers=NO_STORE)


@router.post("/orgs/{slug}/credential", dependencies=[RATE_LIMIT])
def credential_endpoint(
    slug: str, request: Request, body: BodyDep, session: SessionDep, runtime: RuntimeDep
) -> Response:
    organization = organizations.get_by_slug(session, slug)
    try:
        issued = credential(
            session,
            runtime,
            organization=organization,
            access_token=_access_token(request),
            body=_json(body),
            wallet=request.headers.get("user-agent"),
        )
    except ClaimRefused as refused:
        return refusal(refused)
    return JSONResponse(issued, headers=NO_STORE)


@router.post("/orgs/{slug}/notification")
def notification_endpoint(
    slug: str, request: Request, body: BodyDep, session: SessionDep
) -> Response:
    organization = organizations.get_by_slug(session, slug)
    try:
        notify(
            session,
            organization=organization,
            access_token=_access_token(request),
            body=_json(body),
        )
    except ClaimRefused as refused:
        return refusal(refused)
    return Response(status_code=204)


# The token endpoint runs its own unit of work: a wrong transaction code must be counted even
# though the answer is an error (UnitOfWorkRoute rolls back every answer of 400 or more), or
# the limit of TX_CODE_ATTEMPTS guesses would never be reached. Every other refusal on the way
# writes nothing, so committing whatever the request did is right in both cases.
_own_transaction = APIRouter(include_in_schema=False)


@_own_transaction.post("/orgs/{slug}/token", dependencies=[RATE_LIMIT])
def token_endpoint(slug: str, request: Request, body: BodyDep, runtime: RuntimeDep) -> Response:
    try:
        form = _form(request, body)
        with unit_of_work(runtime.request_sessions) as session:
            organization = organizations.get_by_slug(session, slug)
            try:
                answer = token(session, runtime, organization=organization, form=form)
            except ClaimRefused as refused:
                return refusal(refused)  # committed on the way out: see above
    except ClaimRefused as refused:
        return refusal(refused)
    return JSONResponse(answer, headers=NO_STORE)


router.include_router(_own_transaction)
