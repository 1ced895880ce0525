"""VC API issuing and verifying: the organization's keys and our verifier behind W3C's shapes."""

from __future__ import annotations

import uuid
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any, Final

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey
from cryptography.hazmat.primitives.asymmetric.rsa import RSAPrivateKey
from sqlalchemy.orm import Session

from plaudit.credentials import issuance
from plaudit.db import utcnow
from plaudit.errors import InvalidInput, NotFound
from plaudit.keys import service as keys
from plaudit.models.organization import Organization
from plaudit.models.signing_key import KeyAlgorithm, SigningKey
from plaudit.openbadges import jose, loader
from plaudit.openbadges import verify as ob_verify
from plaudit.openbadges.credential import iso
from plaudit.openbadges.dataintegrity import sign_rdfc, verify_rdfc
from plaudit.openbadges.jcs import sign_jcs, verify_jcs
from plaudit.openbadges.rdfc import WorkLimitExceeded
from plaudit.openbadges.report import Check, Verdict
from plaudit.runtime import Runtime
from plaudit.verification import service as verification

RDFC: Final = "eddsa-rdfc-2022"
JCS: Final = "eddsa-jcs-2022"
VC_JWT: Final = "vc-jwt"
PROOF_FORMATS: Final = (RDFC, JCS, VC_JWT)
# Issuer ids a client may send to mean "whoever the API key issues for".
PLACEHOLDER_ISSUERS: Final = frozenset({"", "did:example:issuer", "urn:plaudit:issuer"})
_PROBLEM_BASE: Final = "https://plaudit.dev/problems/vc-api/"
_ENVELOPED_JWT_PREFIXES: Final = ("data:application/vc+jwt,", "data:application/jwt,")


# --- issue --------------------------------------------------------------------------------


def _issuer_id(issuer: Any) -> str | None:
    if isinstance(issuer, str):
        return issuer
    if isinstance(issuer, Mapping):
        value = issuer.get("id")
        return value if isinstance(value, str) else None
    return None


def _with_issuer(credential: dict[str, Any], did: str) -> dict[str, Any]:
    issuer = credential.get("issuer")
    current = _issuer_id(issuer)
    if issuer is not None and current is None:
        raise InvalidInput("The credential's issuer must be a URL or an object with an id.")
    if current is not None and current not in PLACEHOLDER_ISSUERS and current != did:
        raise InvalidInput(
            f"This API key issues as {did}, not as {current}: leave issuer out (or send a "
            "placeholder) and it is filled in."
        )
    if isinstance(issuer, Mapping):
        return {**credential, "issuer": {**issuer, "id": did}}
    return {**credential, "issuer": did}


def _check_unsigned(credential: Mapping[str, Any]) -> None:
    """Refuse what is not an unsigned VC whose contexts we hold (contexts are never fetched)."""
    if "proof" in credential:
        raise InvalidInput("The credential already has a proof; send it unsigned.")
    contexts = credential.get("@context")
    context_list = contexts if isinstance(contexts, list) else [contexts]
    unknown = [c for c in context_list if isinstance(c, str) and c not in loader.CONTEXTS]
    if unknown:
        raise InvalidInput(f"The context {unknown[0]} is unknown here; contexts are never fetched.")
    if "VerifiablePresentation" in _as_list(credential.get("type")):
        raise InvalidInput("This is a presentation; /credentials/issue signs credentials.")
    problems = [
        c.message for c in ob_verify.check_vc_data_model(credential) if c.verdict is Verdict.FAILED
    ]
    if problems:
        raise InvalidInput("Not a VC 2.0 credential: " + "; ".join(problems) + ".")


@dataclass(frozen=True)
class IssueOptions:
    proof_format: str = RDFC
    created: str | None = None
    alg: str | None = None


def issue(
    session: Session,
    runtime: Runtime,
    *,
    organization_id: uuid.UUID,
    credential: Mapping[str, Any],
    options: IssueOptions,
) -> dict[str, Any] | str:
    """The credential signed by the organization's active key: a document, or a VC-JWT."""
    organization = session.get(Organization, organization_id)
    if organization is None:
        raise NotFound("The API key's organization no longer exists.")
    base = runtime.settings.public_base_url
    active = {
        k.algorithm: k
        for k in keys.provision(session, organization_id=organization.id, vault=runtime.vault)
    }
    who = issuance.identity(base, organization, active[KeyAlgorithm.ED25519])
    document = _with_issuer(dict(credential), who.did)
    now = iso(utcnow())
    # VC 2.0 makes validFrom optional; a VC-JWT needs it for nbf, and it is the issuance time.
    document.setdefault("validFrom", now)
    _check_unsigned(document)
    created = options.created or now
    try:
        if options.proof_format == VC_JWT:
            return _sign_jwt(
                runtime,
                document,
                alg=options.alg or "EdDSA",
                who=who,
                rsa_key=active[KeyAlgorithm.RSA],
            )
        private = keys.load_private_key(who.key, vault=runtime.vault)
        assert isinstance(private, Ed25519PrivateKey)
        sign = sign_jcs if options.proof_format == JCS else sign_rdfc
        return sign(
            document,
            private_key=private,
            verification_method=who.verification_method,
            created=created,
        )
    except WorkLimitExceeded as exc:
        raise InvalidInput("The credential is too complex to canonicalise.") from exc
    except ValueError as exc:  # ProofError is a ValueError: JSON-LD the signer refuses
        raise InvalidInput(f"The credential cannot be signed: {exc}") from exc


def _sign_jwt(
    runtime: Runtime,
    document: Mapping[str, Any],
    *,
    alg: str,
    who: issuance.IssuerIdentity,
    rsa_key: SigningKey,
) -> str:
    if alg == "EdDSA":
        private = keys.load_private_key(who.key, vault=runtime.vault)
        return jose.sign_vc_jwt(document, private_key=private, kid=who.verification_method, alg=alg)
    if alg != "RS256":
        raise InvalidInput(f"Unsupported alg {alg!r}: use EdDSA or RS256.")
    if not who.did.startswith("did:web:"):
        # A did:key names one Ed25519 key: an RSA key under it could not be resolved.
        raise InvalidInput("RS256 needs a did:web issuer (an https PLAUDIT_PUBLIC_BASE_URL).")
    private = keys.load_private_key(rsa_key, vault=runtime.vault)
    assert isinstance(private, RSAPrivateKey)
    return jose.sign_vc_jwt(document, private_key=private, kid=f"{who.did}#{rsa_key.id}", alg=alg)


# --- verify -------------------------------------------------------------------------------


@dataclass
class Result:
    """The VC API's VerificationResult: passed check names, then warnings and errors."""

    checks: list[str] = field(default_factory=list)
    warnings: list[dict[str, str]] = field(default_factory=list)
    errors: list[dict[str, str]] = field(default_factory=list)

    @property
    def verified(self) -> bool:
        return not self.errors

    def add(self, check: Check, *, prefix: str = "") -> None:
        name = f"{prefix}{check.name}"
        if check.verdict is Verdict.PASSED:
            if name not in self.checks:
                self.checks.append(name)
            return
        problem = {
            "type": _PROBLEM_BASE + check.name,
            "title": name,
            "detail": check.message,
        }
        (self.errors if check.verdict is Verdict.FAILED else self.warnings).append(problem)

    def body(self) -> dict[str, Any]:
        return {
            "verified": self.verified,
            "checks": self.checks,
            "warnings": self.warnings,
            "errors": self.errors,
        }


def verify_credential(
    session: Session, *, base_url: str, credential: Mapping[str, Any] | str
) -> Result:
    result = Result()
    for check in verification.verify(session, base_url=base_url, data=credential).checks:
        result.add(check)
    return result


def _embedded(credential: Any) -> Mapping[str, Any] | str | None:
    """A presentation's credential: an object, or the VC-JWT an enveloped credential holds."""
    if isinstance(credential, str):
        return credential
    if not isinstance(credential, Mapping):
        return None
    ident = credential.get("id")
    if isinstance(ident, str):
        for prefix in _ENVELOPED_JWT_PREFIXES:
            if ident.startswith(prefix):
                return ident.removeprefix(prefix)
    return credential


def _holder_proof(
    session: Session, base_url: str, presentation: Mapping[str, Any], challenge: str | None
) -> Check:
    proof = presentation.get("proof")
    if proof is None:
        if challenge is not None:
            return Check(
                "holder_proof",
                Verdict.FAILED,
                "a challenge was set but the presentation has no proof",
            )
        return Check(
            "holder_proof",
            Verdict.WARNING,
            "the presentation is unsigned: nothing proves who presents it",
        )
    if not isinstance(proof, Mapping):
        return Check(
            "holder_proof", Verdict.FAILED, "the presentation's proof is not a single object"
        )
    if challenge is not None and proof.get("challenge") != challenge:
        return Check(
            "holder_proof", Verdict.FAILED, "the proof does not carry the expected challenge"
        )
    method = proof.get("verificationMethod")
    key = verification.resolver(session, base_url)(method) if isinstance(method, str) else None
    if not isinstance(key, Ed25519PublicKey):
        return Check(
            "holder_proof", Verdict.FAILED, f"the holder's key could not be found: {method}"
        )
    try:
        suite = proof.get("cryptosuite")
        if suite == JCS:
            ok = verify_jcs(presentation, public_key=key)
        elif suite == RDFC:
            ok = verify_rdfc(presentation, public_key=key)
        else:
            return Check(
                "holder_proof", Verdict.FAILED, f"the proof suite {suite!r} is not supported"
            )
    except (ValueError, WorkLimitExceeded) as exc:
        return Check("holder_proof", Verdict.FAILED, f"the holder's proof is invalid: {exc}")
    if not ok:
        return Check("holder_proof", Verdict.FAILED, "the holder's signature does not match")
    return Check("holder_proof", Verdict.PASSED, "the holder's signature verified")


def verify_presentation(
    session: Session,
    *,
    base_url: str,
    presentation: Mapping[str, Any],
    challenge: str | None = None,
) -> Result:
    result = Result()
    model = ob_verify.check_vc_data_model(presentation)
    if "VerifiablePresentation" not in _as_list(presentation.get("type")):
        model.append(Check("structure", Verdict.FAILED, "type must include VerifiablePresentation"))
    for check in model:
        result.add(check, prefix="presentation.")
    result.add(_holder_proof(session, base_url, presentation, challenge))
    credentials = _as_list(presentation.get("verifiableCredential"))
    for index, item in enumerate(credentials):
        embedded = _embedded(item)
        prefix = f"verifiableCredential[{index}]."
        if embedded is None:
            result.add(Check("format", Verdict.FAILED, "not a credential"), prefix=prefix)
            continue
        for check in verification.verify(session, base_url=base_url, data=embedded).checks:
            result.add(check, prefix=prefix)
    return result


def _as_list(value: Any) -> list[Any]:
    if value is None:
        return []
    return list(value) if isinstance(value, list) else [value]
