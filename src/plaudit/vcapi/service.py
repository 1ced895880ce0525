"""VC API issuing and verifying: the organization's keys and our verifier behind W3C's shapes."""

from __future__ import annotations

import uuid
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any, Final

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from cryptography.hazmat.primitives.asymmetric.rsa import RSAPrivateKey
from sqlalchemy.orm import Session

from plaudit.credentials import issuance
from plaudit.db import utcnow
from plaudit.errors import InvalidInput, NotFound
from plaudit.keys import service as keys
from plaudit.models.organization import Organization
from plaudit.models.signing_key import KeyAlgorithm, SigningKey
from plaudit.openbadges import jose
from plaudit.openbadges import verify as ob_verify
from plaudit.openbadges.credential import iso
from plaudit.openbadges.dataintegrity import sign_rdfc
from plaudit.openbadges.jcs import sign_jcs
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
DATA_INTEGRITY_CONTEXT: Final = "https://w3id.org/security/data-integrity/v2"
# The checks a caller may name in options.checks. The data model and the proof are always
# checked; the others are made only when named (all of them when options.checks is absent).
ALWAYS_CHECKED: Final = frozenset({"format", "context", "structure", "proof", "issuer_key"})
OPTIONAL_CHECKS: Final = frozenset({"schema", "validity", "status"})
KNOWN_CHECKS: Final = ALWAYS_CHECKED | OPTIONAL_CHECKS


# --- issue --------------------------------------------------------------------------------


def _issuer_id(issuer: Any) -> str | None:
    if isinstance(issuer, str):
        return issuer
    if isinstance(issuer, Mapping):
        value = issuer.get("id")
        return value if isinstance(value, str) else None
    return None


def _with_issuer(credential: dict[str, Any], did: str) -> dict[str, Any]:
    if "issuer" in credential and credential["issuer"] is None:
        raise InvalidInput(
            "The credential's issuer is null: leave issuer out (or send a placeholder such as "
            "did:example:issuer) and it is filled in with this API key's issuer."
        )
    issuer = credential.get("issuer")
    if isinstance(issuer, Mapping) and "id" not in issuer:
        return {**credential, "issuer": {**issuer, "id": did}}  # an issuer object to complete
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
    """Refuse what the verifier would refuse: the issuer signs only what it would accept back.

    Any VC 2.0 or VC 1.1 credential whose contexts we hold (contexts are never fetched); an
    Open Badge must also pass the Open Badges 3.0 checks. Proofs it already has are kept: the
    new one joins them as a proof set (Data Integrity 4.2), each signing the document alone.
    """
    if "VerifiablePresentation" in _as_list(credential.get("type")):
        raise InvalidInput("This is a presentation; /credentials/issue signs credentials.")
    checks = [ob_verify.vc_context_check(credential), ob_verify.vc_structure_check(credential)]
    if ob_verify.is_open_badge(credential):
        checks += [
            ob_verify.context_check(credential),
            ob_verify.schema_check(credential),
            ob_verify.structure_check(credential, None),
        ]
    problems = list(dict.fromkeys(c.message for c in checks if c.verdict is Verdict.FAILED))
    if problems:
        what = "an Open Badges 3.0" if ob_verify.is_open_badge(credential) else "a VC 2.0 or 1.1"
        raise InvalidInput(f"Not {what} credential this issuer can sign: " + "; ".join(problems))


def _is_vc11(credential: Mapping[str, Any]) -> bool:
    return _as_list(credential.get("@context"))[:1] == [ob_verify.VC_V1]


def _with_proof_context(credential: dict[str, Any]) -> dict[str, Any]:
    """A VC 1.1 credential's contexts do not define Data Integrity's terms: add the context
    that does, as other Data Integrity issuers do (VC 2.0's base context defines them)."""
    contexts = _as_list(credential.get("@context"))
    if not _is_vc11(credential) or DATA_INTEGRITY_CONTEXT in contexts:
        return credential
    return {**credential, "@context": [*contexts, DATA_INTEGRITY_CONTEXT]}


def envelope(token: str) -> dict[str, Any]:
    """A VC-JWT as the object the VC API returns where a credential is expected (VC-JOSE-COSE
    section 3.1.2, EnvelopedVerifiableCredential)."""
    return {
        "@context": ob_verify.VC_V2,
        "id": f"{_ENVELOPED_JWT_PREFIXES[0]}{token}",
        "type": "EnvelopedVerifiableCredential",
    }


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
) -> dict[str, Any]:
    """The credential signed by the organization's active key: a document with its proof, or
    a VC-JWT in an EnvelopedVerifiableCredential."""
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
    if _is_vc11(document):
        # VC 1.1 requires issuanceDate: it is the issuance time unless the caller set it.
        document.setdefault("issuanceDate", now)
    else:
        # VC 2.0 makes validFrom optional; a VC-JWT needs it for nbf: the issuance time.
        document.setdefault("validFrom", now)
    _check_unsigned(document)
    created = options.created or now
    try:
        if options.proof_format == VC_JWT:
            if "proof" in document:
                raise InvalidInput(
                    "The credential already has a proof; a VC-JWT secures an unsigned "
                    "credential (a Data Integrity proof would be added to the others)."
                )
            if _is_vc11(document):
                raise InvalidInput(
                    "VC-JWTs here secure VC 2.0 credentials (VC-JOSE-COSE); sign a VC 1.1 "
                    "credential with eddsa-rdfc-2022 or eddsa-jcs-2022."
                )
            return envelope(
                _sign_jwt(
                    runtime,
                    document,
                    alg=options.alg or "EdDSA",
                    who=who,
                    rsa_key=active[KeyAlgorithm.RSA],
                )
            )
        document = _with_proof_context(document)
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


def _not_a_map(what: str) -> Check:
    return Check(
        "format",
        Verdict.FAILED,
        f"{what} is not a JSON object: Data Integrity verifies maps only, so a credential sent "
        "as a string is refused (send the object; a VC-JWT goes in an "
        "EnvelopedVerifiableCredential whose id is data:application/vc+jwt,<token>)",
    )


def _enveloped_token(credential: Mapping[str, Any]) -> str | None:
    """The VC-JWT an EnvelopedVerifiableCredential carries in its data: URL, else None."""
    if "EnvelopedVerifiableCredential" not in _as_list(credential.get("type")):
        return None
    ident = credential.get("id")
    if isinstance(ident, str):
        for prefix in _ENVELOPED_JWT_PREFIXES:
            if ident.startswith(prefix):
                return ident.removeprefix(prefix)
    return ""


def _credential_checks(session: Session, base_url: str, credential: Any) -> list[Check]:
    if not isinstance(credential, Mapping):
        return [_not_a_map("The credential")]
    token = _enveloped_token(credential)
    if token == "":
        return [
            Check(
                "format",
                Verdict.FAILED,
                "an EnvelopedVerifiableCredential's id must be data:application/vc+jwt, "
                "followed by the VC-JWT",
            )
        ]
    data: Mapping[str, Any] | str = credential if token is None else token
    return list(verification.verify(session, base_url=base_url, data=data).checks)


def _requested(check: Check, checks: frozenset[str] | None) -> bool:
    return checks is None or check.name not in OPTIONAL_CHECKS or check.name in checks


def verify_credential(
    session: Session,
    *,
    base_url: str,
    credential: Any,
    checks: frozenset[str] | None = None,
) -> Result:
    """A credential: an object with embedded proofs, or an enveloped VC-JWT.

    `checks` names the optional checks to make (all when None); see OPTIONAL_CHECKS.
    """
    result = Result()
    for check in _credential_checks(session, base_url, credential):
        if _requested(check, checks):
            result.add(check)
    return result


def _holder_checks(
    session: Session,
    base_url: str,
    presentation: Mapping[str, Any],
    expect: ob_verify.ProofExpectations,
) -> list[Check]:
    """The presentation's own proof: made by the holder, for authentication, with the
    challenge and domain the verifier gave."""
    if "proof" not in presentation:
        if expect.challenge is not None or expect.domain is not None:
            return [
                Check(
                    "holder_proof",
                    Verdict.FAILED,
                    "a challenge or domain was given but the presentation has no proof",
                )
            ]
        return [
            Check(
                "holder_proof",
                Verdict.WARNING,
                "the presentation is unsigned: nothing proves who presents it",
            )
        ]
    holder = presentation.get("holder")
    holder_id = holder.get("id") if isinstance(holder, Mapping) else holder
    proof_check, key_check = ob_verify.embedded_proof_checks(
        presentation,
        verification.resolver(session, base_url),
        expect,
        owner=holder_id if isinstance(holder_id, str) else None,
        role="holder",
    )
    found = [Check("holder_proof", proof_check.verdict, proof_check.message)]
    if key_check is not None and holder_id is not None:
        # Without a holder, nothing says who must control the key: the proof stands alone.
        found.append(key_check)
    return found


def verify_presentation(
    session: Session,
    *,
    base_url: str,
    presentation: Mapping[str, Any],
    challenge: str | None = None,
    domain: str | None = None,
    checks: frozenset[str] | None = None,
) -> Result:
    result = Result()
    for check in ob_verify.check_vc_data_model(presentation):
        result.add(check, prefix="presentation.")
    expect = ob_verify.ProofExpectations(
        purpose="authentication", challenge=challenge, domain=domain
    )
    for check in _holder_checks(session, base_url, presentation, expect):
        result.add(check)
    for index, item in enumerate(_as_list(presentation.get("verifiableCredential"))):
        for check in _credential_checks(session, base_url, item):
            if _requested(check, checks):
                result.add(check, prefix=f"verifiableCredential[{index}].")
    return result


def _as_list(value: Any) -> list[Any]:
    if value is None:
        return []
    return list(value) if isinstance(value, list) else [value]
