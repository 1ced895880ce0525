"""Verify an Open Badges 3.0 credential offline, listing every check with a verdict and a reason."""

from __future__ import annotations

import functools
import json
import re
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from enum import StrEnum
from importlib import resources
from typing import Any, Final

import jwt
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey
from cryptography.hazmat.primitives.asymmetric.rsa import RSAPublicKey
from jsonschema import Draft201909Validator

from plaudit.openbadges import baking, jose, loader, multikey
from plaudit.openbadges.dataintegrity import ProofError, verify_ed25519_2020, verify_rdfc
from plaudit.openbadges.jcs import verify_jcs
from plaudit.openbadges.rdfc import WorkLimitExceeded

VC_V2: Final = "https://www.w3.org/ns/credentials/v2"
VC_V1: Final = "https://www.w3.org/2018/credentials/v1"
OB_CONTEXT_CURRENT: Final = "https://purl.imsglobal.org/spec/ob/v3p0/context-3.0.3.json"
_OB_CONTEXT: Final = re.compile(
    r"https://purl\.imsglobal\.org/spec/ob/v3p0/context(-3\.\d\.\d)?\.json"
)
_OB_TYPES: Final = ("OpenBadgeCredential", "AchievementCredential")
_JWS: Final = re.compile(r"[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]*")
# XML Schema dateTimeStamp: a dateTime that must carry its time zone.
_DATETIME_STAMP: Final = re.compile(
    r"-?\d{4,}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?(Z|[+-]\d{2}:\d{2})"
)
_SCHEMA_ERRORS_SHOWN: Final = 3


class Verdict(StrEnum):
    PASSED = "passed"
    FAILED = "failed"
    WARNING = "warning"


@dataclass(frozen=True)
class Check:
    name: str
    verdict: Verdict
    message: str


@dataclass(frozen=True)
class Report:
    checks: tuple[Check, ...]
    credential: dict[str, Any] | None

    @property
    def valid(self) -> bool:
        return all(check.verdict is not Verdict.FAILED for check in self.checks)

    @property
    def outcome(self) -> str:
        """'Valid', 'Warning' or 'Invalid', as 1EdTech's validator words its results."""
        if not self.valid:
            return "Invalid"
        if any(check.verdict is Verdict.WARNING for check in self.checks):
            return "Warning"
        return "Valid"

    def check(self, name: str) -> Check | None:
        """The check called `name`, if it ran."""
        return next((check for check in self.checks if check.name == name), None)


PublicKey = Ed25519PublicKey | RSAPublicKey
KeyResolver = Callable[[str], PublicKey | None]
StatusChecker = Callable[[Mapping[str, Any]], str | None]


class StatusUnavailable(Exception):
    """The status list could not be fetched or read; the status is unknown, not 'active'."""


def offline_key(verification_method: str) -> Ed25519PublicKey | None:
    """The Ed25519 key a verification method names without any lookup, or None.

    A did:key carries its key; so does 1EdTech's '<controller>#z6Mk...' form, whose fragment
    is the publicKeyMultibase. Such a key is only as trustworthy as the controller check the
    verifier makes afterwards (issuer_key).
    """
    try:
        if verification_method.startswith("did:key:"):
            raw = multikey.public_key_from_did_key(verification_method)
            return Ed25519PublicKey.from_public_bytes(raw)
        controller, sep, fragment = verification_method.partition("#")
        if sep and controller and fragment.startswith("z6Mk"):
            return Ed25519PublicKey.from_public_bytes(
                multikey.ed25519_public_from_multibase(fragment)
            )
    except ValueError:
        return None
    return None


def _as_list(value: Any) -> list[Any]:
    if value is None:
        return []
    return list(value) if isinstance(value, list) else [value]


def _issuer_id(credential: Mapping[str, Any]) -> str | None:
    issuer = credential.get("issuer")
    if isinstance(issuer, str):
        return issuer
    if isinstance(issuer, Mapping) and isinstance(issuer.get("id"), str):
        return str(issuer["id"])
    return None


def _passed(name: str, message: str) -> Check:
    return Check(name, Verdict.PASSED, message)


def _failed(name: str, message: str) -> Check:
    return Check(name, Verdict.FAILED, message)


def _warning(name: str, message: str) -> Check:
    return Check(name, Verdict.WARNING, message)


# --- format -------------------------------------------------------------------------------


class _FormatError(ValueError):
    pass


@dataclass(frozen=True)
class _Parsed:
    credential: dict[str, Any]
    token: str | None  # the compact JWS, when the credential came as a VC-JWT
    source: str


def _refuse_constant(name: str) -> Any:
    raise _FormatError(f"JSON does not allow {name}")


def _parse_text(text: str, source: str) -> _Parsed:
    text = text.strip().lstrip("\ufeff")
    if _JWS.fullmatch(text):
        try:
            _, claims = jose.decode_vc_jwt(text)
            credential = jose.credential_from_jwt_claims(claims)
        except ValueError as exc:
            raise _FormatError(f"the JWT cannot be read: {exc}") from exc
        return _Parsed(credential, text, f"{source}VC-JWT")
    try:
        document = json.loads(text, parse_constant=_refuse_constant)
    except (ValueError, RecursionError) as exc:
        raise _FormatError(f"neither JSON nor a compact JWT: {exc}") from exc
    if not isinstance(document, dict):
        raise _FormatError("the JSON is not an object")
    return _Parsed(document, None, f"{source}JSON")


def _parse(data: Mapping[str, Any] | str | bytes, max_bytes: int) -> _Parsed:
    if isinstance(data, Mapping):
        try:
            size = len(json.dumps(data).encode("utf-8"))
        except (TypeError, ValueError, RecursionError) as exc:
            raise _FormatError(f"the credential is not JSON data: {exc}") from exc
        if size > max_bytes:
            raise _FormatError(f"the credential is {size} bytes; the limit is {max_bytes}")
        return _Parsed(json.loads(json.dumps(data)), None, "JSON")
    raw = data.encode("utf-8") if isinstance(data, str) else bytes(data)
    if len(raw) > max_bytes:
        raise _FormatError(f"the input is {len(raw)} bytes; the limit is {max_bytes}")
    if baking.is_png(raw) or baking.is_svg(raw):
        kind = "PNG" if baking.is_png(raw) else "SVG"
        try:
            text = baking.extract(raw)
        except baking.BakingError as exc:
            raise _FormatError(str(exc)) from exc
        return _parse_text(text, f"{kind}-baked ")
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise _FormatError("the input is neither UTF-8 text nor a PNG or SVG image") from exc
    return _parse_text(text, "")


def _format_check(parsed: _Parsed) -> Check:
    credential = parsed.credential
    contexts = _as_list(credential.get("@context"))
    types = _as_list(credential.get("type"))
    if "https://w3id.org/openbadges/v2" in contexts or "Assertion" in types:
        return _failed("format", "an Open Badges 2.0 assertion; this verifier checks OB 3.0")
    if "VerifiableCredential" not in types and not contexts:
        return _failed("format", "the document is not a verifiable credential")
    return _passed("format", f"read as {parsed.source}")


# --- context ------------------------------------------------------------------------------


def _context_check(credential: Mapping[str, Any]) -> Check:
    contexts = _as_list(credential.get("@context"))
    if not contexts:
        return _failed("context", "the credential has no @context")
    first = contexts[0]
    if first not in (VC_V2, VC_V1):
        return _failed("context", f"the first @context must be {VC_V2}, not {first!r}")
    urls = [context for context in contexts if isinstance(context, str)]
    unknown = [url for url in urls if url not in loader.CONTEXTS]
    if unknown:
        return _failed(
            "context",
            f"the context {unknown[0]} is not bundled; contexts are never fetched",
        )
    ob = [url for url in urls if _OB_CONTEXT.fullmatch(url)]
    if not ob:
        return _failed("context", "no Open Badges 3.0 context (context-3.0.x.json)")
    if first == VC_V1:
        return _warning("context", "a VC 1.1 credential (credentials/v1); OB 3.0 now uses VC 2.0")
    if OB_CONTEXT_CURRENT not in ob:
        return _warning("context", f"an older Open Badges context {ob[0]}; current is 3.0.3")
    return _passed("context", "VC 2.0 and Open Badges 3.0.3 contexts, all bundled")


# --- schema -------------------------------------------------------------------------------


@functools.cache
def _schema_validator() -> Draft201909Validator:
    text = (
        resources.files("plaudit.openbadges")
        .joinpath("schemas", "achievementcredential.json")
        .read_text(encoding="utf-8")
    )
    return Draft201909Validator(json.loads(text))


def _schema_check(credential: Mapping[str, Any]) -> Check:
    if _as_list(credential.get("@context"))[:1] != [VC_V2]:
        return _warning(
            "schema", "not validated: the OB 3.0 JSON Schema describes VC 2.0 credentials"
        )
    document = dict(credential)
    # The schema snapshot wants an array, the data model allows one object (README caveat 1).
    if isinstance(document.get("proof"), Mapping):
        document["proof"] = [document["proof"]]
    errors = sorted(
        _schema_validator().iter_errors(document), key=lambda error: list(error.absolute_path)
    )
    if not errors:
        return _passed("schema", "matches the OB 3.0 AchievementCredential JSON Schema")
    shown = "; ".join(
        f"{error.json_path}: {error.message[:200]}" for error in errors[:_SCHEMA_ERRORS_SHOWN]
    )
    more = len(errors) - _SCHEMA_ERRORS_SHOWN
    suffix = f" (and {more} more)" if more > 0 else ""
    return _failed("schema", f"does not match the OB 3.0 JSON Schema: {shown}{suffix}")


# --- structure ----------------------------------------------------------------------------


def _structure_check(credential: Mapping[str, Any], claims: Mapping[str, Any] | None) -> Check:
    types = _as_list(credential.get("type"))
    problems: list[str] = []
    if "VerifiableCredential" not in types:
        problems.append("type lacks VerifiableCredential")
    if not any(kind in types for kind in _OB_TYPES):
        problems.append("type lacks OpenBadgeCredential (or AchievementCredential)")
    issuer = _issuer_id(credential)
    if issuer is None:
        problems.append("the issuer has no id")
    if not credential.get("credentialSubject"):
        problems.append("there is no credentialSubject")
    v1 = _as_list(credential.get("@context"))[:1] == [VC_V1]
    start = "issuanceDate" if v1 else "validFrom"
    if start not in credential and "validFrom" not in credential:
        problems.append(f"there is no {start}")
    if claims is not None and "iss" in claims and issuer is not None and claims["iss"] != issuer:
        problems.append(f"the token's iss {claims['iss']!r} is not the issuer {issuer!r}")
    if problems:
        return _failed("structure", "; ".join(problems))
    return _passed("structure", "an Open Badges credential with issuer, subject and dates")


# --- proof and issuer key -----------------------------------------------------------------


def _verify_one_proof(credential: Mapping[str, Any], proof: Mapping[str, Any], key: Any) -> bool:
    single = {**credential, "proof": proof}
    kind = proof.get("type")
    if not isinstance(key, Ed25519PublicKey):
        raise ProofError("the key is not an Ed25519 key")
    if kind == "Ed25519Signature2020":
        return verify_ed25519_2020(single, public_key=key)
    if proof.get("cryptosuite") == "eddsa-jcs-2022":
        try:
            return verify_jcs(single, public_key=key)
        except ValueError as exc:
            raise ProofError(str(exc)) from exc
    return verify_rdfc(single, public_key=key)


def _supported(proof: Mapping[str, Any]) -> bool:
    if proof.get("type") == "Ed25519Signature2020":
        return True
    return proof.get("type") == "DataIntegrityProof" and proof.get("cryptosuite") in (
        "eddsa-rdfc-2022",
        "eddsa-2022",
        "eddsa-jcs-2022",
    )


def _key_checks(issuer: str | None, methods: Iterable[tuple[str, bool]]) -> Check:
    """The issuer_key check over (verification method, key found) pairs."""
    for method, found in methods:
        if not found:
            return _failed("issuer_key", f"the issuer's key could not be found: {method}")
        # The method's controller is the part before '#': a did:key names itself, and
        # 1EdTech's '<controller>#z6Mk...' form names the issuer that holds the key.
        if issuer is None:
            return _failed("issuer_key", "the credential names no issuer to own the key")
        if method.partition("#")[0] != issuer:
            return _warning(
                "issuer_key",
                f"the key {method} is not controlled by the issuer {issuer}: "
                "nothing ties the signer to the issuer",
            )
    return _passed("issuer_key", f"the signing key belongs to the issuer {issuer}")


def _embedded_proof_checks(
    credential: Mapping[str, Any], resolve_key: KeyResolver
) -> tuple[Check, Check | None]:
    proofs = _as_list(credential.get("proof"))
    if not proofs:
        return _failed("proof", "the credential has no proof"), None
    problems: list[str] = []
    methods: list[tuple[str, bool]] = []
    for proof in proofs:
        if not isinstance(proof, Mapping):
            problems.append("a proof is not a JSON object")
            continue
        label = proof.get("cryptosuite") or proof.get("type")
        if not _supported(proof):
            problems.append(f"the proof type {label!r} is not supported")
            continue
        method = proof.get("verificationMethod")
        if not isinstance(method, str):
            problems.append(f"the {label} proof has no verificationMethod")
            continue
        key = resolve_key(method)
        methods.append((method, key is not None))
        if key is None:
            problems.append(f"the {label} proof was not checked: no key for {method}")
            continue
        try:
            if not _verify_one_proof(credential, proof, key):
                problems.append(f"the {label} signature does not match the credential")
        except WorkLimitExceeded:
            problems.append(
                "refused: the document is too complex to canonicalise (possible attack)"
            )
        except ProofError as exc:
            problems.append(f"the {label} proof is invalid: {exc}")
    key_check = _key_checks(_issuer_id(credential), methods) if methods else None
    if problems:
        return _failed("proof", "; ".join(problems)), key_check
    return _passed("proof", f"{len(proofs)} signature(s) verified"), key_check


def _jwt_key_candidates(kid: str, issuer: str | None) -> list[str]:
    candidates = [kid]
    if kid.startswith("z6Mk"):
        candidates.append(f"did:key:{kid}")
    if issuer and not kid.startswith(issuer):
        candidates.append(f"{issuer}{kid}" if kid.startswith("#") else f"{issuer}#{kid}")
    return candidates


def _jwt_checks(
    token: str, credential: Mapping[str, Any], resolve_key: KeyResolver
) -> tuple[Check, Check]:
    header = jwt.get_unverified_header(token)
    issuer = _issuer_id(credential)
    kid = header.get("kid")
    key: Any = None
    if isinstance(kid, str) and kid:
        method = kid
        for candidate in _jwt_key_candidates(kid, issuer):
            key = resolve_key(candidate)
            if key is not None:
                method = candidate
                break
        if key is None:
            return (
                _failed("proof", f"the JWT was not checked: no key for {kid}"),
                _failed("issuer_key", f"the issuer's key could not be found: {kid}"),
            )
        key_check = _key_checks(issuer, [(method, True)])
    elif isinstance(header.get("jwk"), Mapping):
        try:
            key = jwt.PyJWK(dict(header["jwk"])).key
        except jwt.PyJWTError as exc:
            return _failed("proof", f"the JWT's jwk header is not a usable key: {exc}"), _failed(
                "issuer_key", "the issuer's key could not be found: the jwk header is unusable"
            )
        # A key the token carries proves only that the token is intact; 1EdTech's validator
        # accepts it, but nothing ties it to the issuer.
        key_check = _warning(
            "issuer_key",
            f"the token carries its own key (jwk header); nothing ties it to the issuer {issuer}",
        )
    else:
        return (
            _failed("proof", "the JWT names no key (no kid and no jwk header)"),
            _failed("issuer_key", "the issuer's key could not be found: the JWT names none"),
        )
    try:
        jose.decode_vc_jwt(token, public_key=key)
    except (ValueError, TypeError) as exc:
        return _failed("proof", f"the JWT signature is invalid: {exc}"), key_check
    return _passed("proof", f"the JWT signature ({header.get('alg')}) verified"), key_check


# --- validity and status ------------------------------------------------------------------


def parse_datetime(value: Any) -> datetime | None:
    """An XML Schema dateTimeStamp (time zone required) as an aware datetime, else None."""
    if not isinstance(value, str) or not _DATETIME_STAMP.fullmatch(value):
        return None
    # fromisoformat takes at most microseconds; finer fractions cannot change the verdict.
    text = re.sub(r"(\.\d{6})\d+", r"\1", value)
    try:
        return datetime.fromisoformat(text)
    except ValueError:
        return None


def _validity_check(credential: Mapping[str, Any], now: datetime) -> Check:
    start_key = "validFrom" if "validFrom" in credential else "issuanceDate"
    end_key = "validUntil" if "validUntil" in credential else "expirationDate"
    start = parse_datetime(credential.get(start_key))
    if start_key in credential and start is None:
        return _failed("validity", f"{start_key} is not a dateTime with a time zone")
    end = parse_datetime(credential.get(end_key))
    if end_key in credential and end is None:
        return _failed("validity", f"{end_key} is not a dateTime with a time zone")
    if start is not None and start > now:
        return _failed("validity", f"not yet valid ({start_key} {credential[start_key]})")
    if end is not None and end < now:
        return _failed("validity", f"expired on {credential[end_key]}")
    if end is not None:
        return _passed("validity", f"valid until {credential[end_key]}")
    return _passed("validity", "valid now, with no expiry")


def _status_check(credential: Mapping[str, Any], check_status: StatusChecker | None) -> Check:
    entries = _as_list(credential.get("credentialStatus"))
    if check_status is None:
        return _warning("status", "status could not be checked: no status checker was given")
    for entry in entries:
        if not isinstance(entry, Mapping):
            return _failed("status", "a credentialStatus entry is not a JSON object")
        try:
            state = check_status(entry)
        except StatusUnavailable as exc:
            return _warning("status", f"status could not be checked: {exc}")
        if state == "revoked":
            return _failed("status", "revoked")
        if state == "suspended":
            return _failed("status", "suspended")
        if state is not None:
            return _failed("status", f"status {state!r}")
    return _passed("status", "not revoked or suspended")


# --- entry point --------------------------------------------------------------------------


def verify(
    data: Mapping[str, Any] | str | bytes,
    *,
    resolve_key: KeyResolver = offline_key,
    check_status: StatusChecker | None = None,
    now: datetime | None = None,
    max_bytes: int = 1_000_000,
) -> Report:
    """Check a credential (JSON, a VC-JWT, or a baked PNG or SVG) and report every check.

    Nothing is fetched: keys come from `resolve_key`, status from `check_status`.
    """
    try:
        parsed = _parse(data, max_bytes)
    except _FormatError as exc:
        return Report((_failed("format", str(exc)),), None)
    credential = parsed.credential
    format_check = _format_check(parsed)
    if format_check.verdict is Verdict.FAILED:
        return Report((format_check,), credential)
    claims = None
    if parsed.token is not None:
        _, claims = jose.decode_vc_jwt(parsed.token)
    checks = [
        format_check,
        _context_check(credential),
        _schema_check(credential),
        _structure_check(credential, claims),
    ]
    if parsed.token is not None:
        checks.extend(_jwt_checks(parsed.token, credential, resolve_key))
    else:
        proof_check, key_check = _embedded_proof_checks(credential, resolve_key)
        checks.append(proof_check)
        if key_check is not None:
            checks.append(key_check)
    checks.append(_validity_check(credential, now or datetime.now(UTC)))
    if "credentialStatus" in credential:
        checks.append(_status_check(credential, check_status))
    return Report(tuple(checks), credential)


# --- the VC 2.0 data model alone (unsigned documents) -------------------------------------

_URL: Final = re.compile(r"[A-Za-z][A-Za-z0-9+.\-]*:[^\s<>\"{}|^`\\]*")
_LANGUAGE_KEYS: Final = frozenset({"@value", "@language", "@direction"})
_TYPED_PROPERTIES: Final = (
    "evidence",
    "credentialStatus",
    "credentialSchema",
    "termsOfUse",
    "refreshService",
    "proof",
)


def _is_url(value: Any) -> bool:
    return isinstance(value, str) and bool(_URL.fullmatch(value))


def _has_type(value: Any) -> bool:
    types = _as_list(value)
    return bool(types) and all(isinstance(kind, str) and kind for kind in types)


def _language_value_ok(value: Any) -> bool:
    if isinstance(value, str):
        return True
    if isinstance(value, list):
        return bool(value) and all(_language_value_ok(item) for item in value)
    return (
        isinstance(value, Mapping)
        and isinstance(value.get("@value"), str)
        and set(value) <= _LANGUAGE_KEYS
    )


def _context_problems(document: Mapping[str, Any]) -> list[str]:
    contexts = _as_list(document.get("@context"))
    if not contexts or contexts[0] != VC_V2:
        return [f"the first @context must be {VC_V2}"]
    problems: list[str] = []
    protected: dict[str, Any] = {}
    for context in contexts[1:]:
        if isinstance(context, str):
            if not _is_url(context):
                problems.append(f"the @context {context!r} is not a URL")
            continue
        if not isinstance(context, Mapping):
            problems.append(f"the @context entry {context!r} is neither a URL nor an object")
            continue
        for term, definition in context.items():
            if term in ("VerifiableCredential", "VerifiablePresentation"):
                problems.append(f"the @context redefines the protected term {term}")
            if term in protected and protected[term] != definition:
                problems.append(f"the @context redefines the protected term {term}")
            if not term.startswith("@") and isinstance(definition, str) and not _is_url(definition):
                problems.append(f"the term {term} maps to {definition!r}, not a URL")
        if context.get("@protected") is True:
            protected.update((k, v) for k, v in context.items() if not k.startswith("@"))
    return problems


def _defined_terms(document: Mapping[str, Any]) -> set[str] | None:
    """Terms the inline contexts define, or None when '@vocab' still maps everything."""
    inline = [c for c in _as_list(document.get("@context")) if isinstance(c, Mapping)]
    if not any("@vocab" in c and c["@vocab"] is None for c in inline):
        return None
    return {term for context in inline for term in context}


def _object_problems(document: Mapping[str, Any]) -> list[str]:
    problems: list[str] = []
    if "id" in document and not _is_url(document["id"]):
        problems.append("id must be a single URL")
    for name in ("name", "description"):
        if name in document and not _language_value_ok(document[name]):
            problems.append(f"{name} must be text or language-tagged values")
    return problems


def _credential_problems(document: Mapping[str, Any]) -> list[str]:
    problems = _object_problems(document)
    types = _as_list(document.get("type"))
    if "VerifiableCredential" not in types:
        problems.append("type must include VerifiableCredential")
    defined = _defined_terms(document)
    if defined is not None:
        undefined = [t for t in types if t != "VerifiableCredential" and t not in defined]
        undefined = [t for t in undefined if not _is_url(t)]
        if undefined:
            problems.append(f"the types {undefined} are not defined by any @context")
    issuer = document.get("issuer")
    if isinstance(issuer, Mapping):
        if not _is_url(issuer.get("id")):
            problems.append("the issuer object's id must be a URL")
        problems.extend(f"issuer: {p}" for p in _object_problems(issuer) if "id" not in p)
    elif not _is_url(issuer):
        problems.append("issuer must be a URL or an object with an id URL")
    subjects = _as_list(document.get("credentialSubject"))
    if not subjects:
        problems.append("there is no credentialSubject")
    for subject in subjects:
        if not isinstance(subject, Mapping) or not subject:
            problems.append("each credentialSubject must be an object with at least one claim")
        elif "id" in subject and not _is_url(subject["id"]):
            problems.append("a credentialSubject id must be a single URL")
    for name in ("validFrom", "validUntil"):
        if name in document and parse_datetime(document[name]) is None:
            problems.append(f"{name} must be an XML Schema dateTimeStamp (with a time zone)")
    start, end = (
        parse_datetime(document.get("validFrom")),
        parse_datetime(document.get("validUntil")),
    )
    if start is not None and end is not None and end < start:
        problems.append("validUntil is before validFrom")
    for name in _TYPED_PROPERTIES:
        for item in _as_list(document.get(name)):
            if not isinstance(item, Mapping) or not _has_type(item.get("type")):
                problems.append(f"each {name} item needs a type")
            elif "id" in item and not _is_url(item["id"]):
                problems.append(f"a {name} id must be a single URL")
            elif name == "credentialSchema" and not _is_url(item.get("id")):
                problems.append("each credentialSchema needs an id URL")
    return problems


def _presentation_problems(document: Mapping[str, Any]) -> list[str]:
    problems = _object_problems(document)
    if "VerifiablePresentation" not in _as_list(document.get("type")):
        problems.append("type must include VerifiablePresentation")
    holder = document.get("holder")
    if holder is not None:
        holder_id = holder.get("id") if isinstance(holder, Mapping) else holder
        if not _is_url(holder_id):
            problems.append("holder must be a URL or an object with an id URL")
    for credential in _as_list(document.get("verifiableCredential")):
        if not isinstance(credential, Mapping):
            problems.append("each verifiableCredential must be an object")
            continue
        inner = _context_problems(credential)
        if "id" in credential and str(credential["id"]).startswith("data:"):
            if "EnvelopedVerifiableCredential" not in _as_list(credential.get("type")):
                problems.append("an enveloped credential needs type EnvelopedVerifiableCredential")
        else:
            inner += _credential_problems(credential)
        problems.extend(f"verifiableCredential: {p}" for p in inner)
    return problems


def check_vc_data_model(document: Mapping[str, Any]) -> list[Check]:
    """The W3C VC 2.0 data model rules alone, for a credential or presentation (no proofs)."""
    checks: list[Check] = []
    context_problems = _context_problems(document)
    checks.append(
        _failed("context", "; ".join(context_problems))
        if context_problems
        else _passed("context", "the VC 2.0 context comes first and every context is well formed")
    )
    if "VerifiablePresentation" in _as_list(document.get("type")):
        problems = _presentation_problems(document)
    else:
        problems = _credential_problems(document)
    checks.append(
        _failed("structure", "; ".join(problems))
        if problems
        else _passed("structure", "follows the VC 2.0 data model")
    )
    return checks
