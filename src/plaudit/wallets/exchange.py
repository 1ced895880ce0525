"""The VC API exchange a wallet claims a credential through (VCALM), and the Learner Credential
Wallet's older request link: the wallet proves a DID, the credential comes back bound to it.

Both are one claim's addresses (plaudit.claims.links): `{base}/claims/{token}/exchange`, the
`vcapi` protocol of the interaction URL, and `{base}/claims/{token}/request`, the
`vc_request_url` of the LCW link. The challenge the wallet signs is derived from the claim
(plaudit.claims.tokens), so nothing is stored between the request for it and its use.
"""

from __future__ import annotations

import hmac
from collections.abc import Mapping
from typing import Annotated, Any, Final
from urllib.parse import urlsplit

from fastapi import APIRouter, Body, Header
from fastapi.responses import JSONResponse
from sqlalchemy.orm import Session

from plaudit.api.deps import RuntimeDep, SessionDep
from plaudit.api.routing import UnitOfWorkRoute
from plaudit.claims import links, tokens
from plaudit.claims import service as claims
from plaudit.errors import PlauditError, Unauthenticated
from plaudit.models.claim import Claim
from plaudit.openbadges import verify as ob_verify
from plaudit.openbadges.report import Verdict
from plaudit.runtime import Runtime
from plaudit.vcapi import service as vcapi
from plaudit.wallets import deliver

router = APIRouter(tags=["wallets"], route_class=UnitOfWorkRoute)

VC_V2: Final = "https://www.w3.org/ns/credentials/v2"
# What the DID-authentication presentation may be signed with: the DID methods whose keys the
# verifier resolves, and the proofs it checks (VCALM's names, as in its DID-auth workflow).
DID_METHODS: Final = ("key", "web", "jwk")
CRYPTOSUITES: Final = ("eddsa-rdfc-2022", "eddsa-jcs-2022", "ed25519-2020")
# The interact service type of the Verifiable Presentation Request specification: the wallet
# posts its presentation straight to the endpoint, no person in between.
INTERACT_SERVICE: Final = "UnmediatedHttpPresentationService2021"
# Members of an exchange message (VCALM ExchangeParticipationClientMessage) this exchange
# understands; anything else is refused, as VCALM expects of members it does not recognise.
_MESSAGE_MEMBERS: Final = frozenset({"verifiablePresentation", "referenceId"})
_HOLDER_MAX: Final = 2000  # the claims.holder column
_WALLET_MAX: Final = 200  # the claims.wallet column
_NO_STORE: Final = {"Cache-Control": "no-store"}


class ClaimUnavailable(PlauditError):
    """The claim cannot be taken (unknown, used, expired, withdrawn, credential revoked)."""

    slug = "claim-unavailable"
    title = "This claim cannot be used"

    def __init__(self, refused: claims.ClaimRefused) -> None:
        super().__init__(refused.description, extra={"error": refused.error})
        self.status = refused.status


class PresentationRefused(PlauditError):
    """The DID-authentication presentation does not prove the holder's DID for this claim."""

    status = 400
    slug = "did-authentication-failed"
    title = "The DID authentication was refused"


class UnknownMessage(PlauditError):
    status = 400
    slug = "unknown-exchange-message"
    title = "This exchange does not understand the message"


# --- what the exchange asks and checks ----------------------------------------------------


def domain(runtime: Runtime) -> str:
    """The domain the holder's proof must be bound to: this instance's public host."""
    return urlsplit(runtime.settings.public_base_url).netloc


def presentation_request(runtime: Runtime, claim: Claim) -> dict[str, Any]:
    """The Verifiable Presentation Request (VCALM): a DID authentication, for this claim's
    challenge and this instance's domain, answered at this exchange."""
    base = runtime.settings.public_base_url
    return {
        "query": [
            {
                "type": "DIDAuthentication",
                "acceptedMethods": [{"method": method} for method in DID_METHODS],
                "acceptedCryptosuites": [{"cryptosuite": suite} for suite in CRYPTOSUITES],
            }
        ],
        "challenge": tokens.challenge(runtime.vault, claim.id),
        "domain": domain(runtime),
        "interact": {
            "service": [
                {
                    "type": INTERACT_SERVICE,
                    "serviceEndpoint": links.exchange_url(base, runtime.vault, claim),
                }
            ]
        },
    }


def _holder(presentation: Mapping[str, Any]) -> str:
    holder = presentation.get("holder")
    holder_id = holder.get("id") if isinstance(holder, Mapping) else holder
    if not isinstance(holder_id, str) or not holder_id:
        raise PresentationRefused(
            "The presentation names no holder: set `holder` to the wallet's DID, the one whose "
            "key signs the presentation."
        )
    method = holder_id.split(":")[1] if holder_id.count(":") >= 2 else ""
    if not holder_id.startswith("did:") or method not in DID_METHODS:
        accepted = ", ".join(f"did:{m}" for m in DID_METHODS)
        raise PresentationRefused(f"The holder {holder_id[:100]!r} is not a {accepted} DID.")
    if len(holder_id) > _HOLDER_MAX:
        raise PresentationRefused(f"The holder DID is longer than {_HOLDER_MAX} characters.")
    return holder_id


def _signed_by_holder(presentation: Mapping[str, Any], holder: str) -> None:
    proofs = presentation.get("proof")
    if not proofs:
        raise PresentationRefused(
            "The presentation is not signed: sign it with the holder's key, for authentication, "
            "with the challenge and domain the exchange gave."
        )
    for proof in proofs if isinstance(proofs, list) else [proofs]:
        method = proof.get("verificationMethod") if isinstance(proof, Mapping) else None
        if not isinstance(method, str) or not method:
            raise PresentationRefused("A proof of the presentation names no verificationMethod.")
        # A DID's keys are the verification methods under it: did:key:z6Mk…#z6Mk…, did:web:…#…
        controller = method.partition("#")[0]
        if controller != holder:
            raise PresentationRefused(
                f"The presentation is signed with {method[:200]}, a key of {controller[:100]}, "
                f"not of its holder {holder[:100]}: a wallet proves its DID with that DID's key."
            )


def _holder_errors(presentation: Mapping[str, Any], result: vcapi.Result) -> list[dict[str, str]]:
    """The errors that concern the holder's proof. Credentials a wallet adds to a DID
    authentication were not asked for and are not judged; a VC 1.1 presentation (what older
    wallets such as the LCW still sign) is as good a DID authentication as a VC 2.0 one."""
    errors = [e for e in result.errors if not e["title"].startswith("verifiableCredential")]
    contexts = presentation.get("@context")
    first = contexts[0] if isinstance(contexts, list) and contexts else contexts
    vc11 = first == ob_verify.VC_V1 and (
        ob_verify.vc_context_check(presentation).verdict is Verdict.PASSED
    )
    if vc11:
        errors = [e for e in errors if e["title"] != "presentation.context"]
    return errors


def authenticate(
    session: Session,
    runtime: Runtime,
    claim: Claim,
    presentation: Any,
    *,
    require_domain: bool,
) -> str:
    """The DID the presentation proves for this claim: signed by that DID's key, for
    authentication, with the claim's challenge and (if `require_domain`, or if the proof
    names one) this instance's domain. Raises PresentationRefused saying what is wrong."""
    if not isinstance(presentation, Mapping):
        raise PresentationRefused("verifiablePresentation must be a JSON object.")
    kinds = presentation.get("type")
    if "VerifiablePresentation" not in (kinds if isinstance(kinds, list) else [kinds]):
        raise PresentationRefused(
            "This is not a presentation: its type must include VerifiablePresentation."
        )
    holder = _holder(presentation)
    _signed_by_holder(presentation, holder)
    proofs = presentation["proof"]
    bound = any(
        isinstance(p, Mapping) and "domain" in p
        for p in (proofs if isinstance(proofs, list) else [proofs])
    )
    result = vcapi.verify_presentation(
        session,
        base_url=runtime.settings.public_base_url,
        presentation=presentation,
        challenge=tokens.challenge(runtime.vault, claim.id),
        domain=domain(runtime) if require_domain or bound else None,
        checks=frozenset(),  # no status or validity checks of credentials nobody asked for
    )
    errors = _holder_errors(presentation, result)
    if errors:
        raise PresentationRefused(
            "The presentation does not authenticate the holder: "
            + "; ".join(e["detail"] for e in errors),
            extra={"errors": errors},
        )
    return holder


def wallet_name(user_agent: str | None) -> str | None:
    """How the wallet names itself: its User-Agent (a presentation carries no such thing)."""
    name = " ".join((user_agent or "").split())
    return name[:_WALLET_MAX] or None


def _open_claim(session: Session, runtime: Runtime, token: str) -> Claim:
    claim = claims.by_token(session, runtime.vault, token)
    try:
        claims.claimable(session, claim)
    except claims.ClaimRefused as refused:
        raise ClaimUnavailable(refused) from refused
    assert claim is not None
    return claim


def _deliver(
    session: Session,
    runtime: Runtime,
    claim: Claim,
    *,
    holder: str,
    protocol: str,
    wallet: str | None,
) -> dict[str, Any]:
    try:
        document, _ = deliver.deliver(
            session, runtime, claim, holder=holder, protocol=protocol, wallet=wallet
        )
    except claims.ClaimRefused as refused:  # taken meanwhile by another wallet
        raise ClaimUnavailable(refused) from refused
    return vcapi.envelope(document) if isinstance(document, str) else document


def _presentation_of(message: Mapping[str, Any]) -> Any:
    unknown = sorted(set(message) - _MESSAGE_MEMBERS)
    if unknown:
        raise UnknownMessage(
            f"This exchange does not understand {', '.join(unknown)}: post {{}} to start, then "
            '{"verifiablePresentation": <the DID authentication>}.',
            extra={"unknown_members": unknown},
        )
    return message.get("verifiablePresentation")


# --- routes -------------------------------------------------------------------------------

ExchangeMessage = Annotated[
    dict[str, Any] | None,
    Body(description='{} to start; then {"verifiablePresentation": <DID authentication>}.'),
]


@router.post(
    "/claims/{token}/exchange",
    summary="Claim a credential through a VC API exchange (VCALM, DID authentication)",
)
def exchange(
    token: str,
    session: SessionDep,
    runtime: RuntimeDep,
    message: ExchangeMessage = None,
    user_agent: Annotated[str | None, Header()] = None,
) -> JSONResponse:
    """`{}` answers a Verifiable Presentation Request for a DID authentication; the signed
    presentation answers `{"verifiablePresentation": …}` holding the credential issued to the
    holder's DID. The claim is used once the credential is delivered."""
    claim = _open_claim(session, runtime, token)
    presentation = _presentation_of(message or {})
    if presentation is None:
        return JSONResponse(
            {"verifiablePresentationRequest": presentation_request(runtime, claim)},
            headers=_NO_STORE,
        )
    holder = authenticate(session, runtime, claim, presentation, require_domain=True)
    credential = _deliver(
        session,
        runtime,
        claim,
        holder=holder,
        protocol=deliver.VCAPI,
        wallet=wallet_name(user_agent),
    )
    return JSONResponse(
        {
            "verifiablePresentation": {
                "@context": [VC_V2],
                "type": ["VerifiablePresentation"],
                "verifiableCredential": [credential],
            }
        },
        headers=_NO_STORE,
    )


def _bearer_matches(authorization: str, challenge: str) -> bool:
    scheme, _, credentials = authorization.strip().partition(" ")
    return scheme.lower() == "bearer" and hmac.compare_digest(
        credentials.strip().encode(), challenge.encode()
    )


@router.post(
    "/claims/{token}/request",
    summary="Claim a credential from the Learner Credential Wallet's request link",
)
def request_credential(
    token: str,
    session: SessionDep,
    runtime: RuntimeDep,
    body: Annotated[dict[str, Any], Body()],
    authorization: Annotated[str | None, Header()] = None,
    user_agent: Annotated[str | None, Header()] = None,
) -> JSONResponse:
    """The LCW link's `vc_request_url` (auth_type=bearer): a DID-auth presentation signed with
    the link's challenge (bare, or as `{"verifiablePresentation": …}`) answers the credential
    itself. The LCW puts the challenge in the presentation's proof and sends no Authorization
    header; a client that does send one must send `Bearer <challenge>`."""
    claim = _open_claim(session, runtime, token)
    challenge = tokens.challenge(runtime.vault, claim.id)
    if authorization is not None and not _bearer_matches(authorization, challenge):
        raise Unauthenticated(
            "The bearer token is not this claim's challenge: send the challenge of the "
            "Learner Credential Wallet link (or no Authorization header, and the challenge in "
            "the presentation's proof)."
        )
    wrapped = "verifiablePresentation" in body and "proof" not in body
    presentation = _presentation_of(body) if wrapped else body
    # The LCW signs without a domain here (the link gives none): the claim's own challenge
    # binds the proof to this claim; a domain, if the proof names one, must be ours.
    holder = authenticate(session, runtime, claim, presentation, require_domain=False)
    credential = _deliver(
        session,
        runtime,
        claim,
        holder=holder,
        protocol=deliver.LCW_REQUEST,
        wallet=wallet_name(user_agent),
    )
    return JSONResponse(credential, headers=_NO_STORE)
