"""The W3C VC 2.0 data model's rules alone, for unsigned credentials and presentations."""

from __future__ import annotations

import base64
import binascii
import re
from collections.abc import Mapping
from typing import Any, Final

from plaudit.openbadges import loader
from plaudit.openbadges.checks.document import VC_V1, VC_V2
from plaudit.openbadges.checks.fields import as_list
from plaudit.openbadges.checks.validity import parse_datetime
from plaudit.openbadges.multikey import b58decode
from plaudit.openbadges.report import Check, Verdict, failed, passed

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
    types = as_list(value)
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
    contexts = as_list(document.get("@context"))
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
    inline = [c for c in as_list(document.get("@context")) if isinstance(c, Mapping)]
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


# Subresource Integrity's hash algorithms, and the bytes of their digests.
_SRI_LENGTHS: Final = {"sha256": 32, "sha384": 48, "sha512": 64}
# Multihash codes of the SHA-2 and SHA-3 digests, and the bytes of their digests.
_MULTIHASH_LENGTHS: Final = {0x12: 32, 0x13: 64, 0x20: 48, 0x16: 32, 0x15: 48, 0x14: 64}


def _sri_ok(value: Any) -> bool:
    """An SRI hash-expression: 'sha384-' and the base64 of a digest of that length."""
    if not isinstance(value, str):
        return False
    algorithm, _, encoded = value.partition("-")
    length = _SRI_LENGTHS.get(algorithm)
    if length is None or not re.fullmatch(r"[A-Za-z0-9+/]+={0,2}", encoded):
        return False
    try:
        return len(base64.b64decode(encoded, validate=True)) == length
    except binascii.Error:
        return False


def _multibase_digest_ok(value: Any) -> bool:
    """A multibase ('u' base64url or 'z' base58btc) multihash of a SHA-2 or SHA-3 digest."""
    if not isinstance(value, str) or len(value) < 2:
        return False
    try:
        if value[0] == "u":
            raw = base64.urlsafe_b64decode(value[1:] + "=" * (-len(value[1:]) % 4))
        elif value[0] == "z":
            raw = b58decode(value[1:])
        else:
            return False
    except (ValueError, binascii.Error):
        return False
    return len(raw) >= 2 and _MULTIHASH_LENGTHS.get(raw[0]) == raw[1] == len(raw) - 2


def _related_resource_problems(value: Any) -> list[str]:
    """VC 2.0 section 5.3: each related resource has a unique id URL and a well-formed digest."""
    problems: list[str] = []
    seen: set[str] = set()
    for item in as_list(value):
        if not isinstance(item, Mapping):
            problems.append("each relatedResource must be an object with an id and a digest")
            continue
        ident = item.get("id")
        if not isinstance(ident, str) or not _is_url(ident):
            problems.append("each relatedResource needs an id URL")
        elif ident in seen:
            problems.append(f"the relatedResource {ident} is listed twice")
        else:
            seen.add(ident)
        if "digestSRI" not in item and "digestMultibase" not in item:
            problems.append(
                f"the relatedResource {ident} has neither digestSRI nor digestMultibase"
            )
        if "digestSRI" in item and not all(_sri_ok(v) for v in as_list(item["digestSRI"])):
            problems.append(
                f"the relatedResource {ident} has a digestSRI that is not 'sha256-', 'sha384-' "
                "or 'sha512-' followed by the base64 of a digest of that length"
            )
        if "digestMultibase" in item and not all(
            _multibase_digest_ok(v) for v in as_list(item["digestMultibase"])
        ):
            problems.append(
                f"the relatedResource {ident} has a digestMultibase that is not a multibase "
                "multihash of a SHA-2 or SHA-3 digest"
            )
    return problems


def _credential_problems(document: Mapping[str, Any]) -> list[str]:
    problems = _object_problems(document)
    types = as_list(document.get("type"))
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
    subjects = as_list(document.get("credentialSubject"))
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
    if "relatedResource" in document:
        problems.extend(_related_resource_problems(document["relatedResource"]))
    for name in _TYPED_PROPERTIES:
        for item in as_list(document.get(name)):
            if not isinstance(item, Mapping) or not _has_type(item.get("type")):
                problems.append(f"each {name} item needs a type")
            elif "id" in item and not _is_url(item["id"]):
                problems.append(f"a {name} id must be a single URL")
            elif name == "credentialSchema" and not _is_url(item.get("id")):
                problems.append("each credentialSchema needs an id URL")
    return problems


def _presentation_problems(document: Mapping[str, Any]) -> list[str]:
    problems = _object_problems(document)
    if "VerifiablePresentation" not in as_list(document.get("type")):
        problems.append("type must include VerifiablePresentation")
    holder = document.get("holder")
    if holder is not None:
        holder_id = holder.get("id") if isinstance(holder, Mapping) else holder
        if not _is_url(holder_id):
            problems.append("holder must be a URL or an object with an id URL")
    for credential in as_list(document.get("verifiableCredential")):
        if not isinstance(credential, Mapping):
            problems.append("each verifiableCredential must be an object")
            continue
        inner = _context_problems(credential)
        if "id" in credential and str(credential["id"]).startswith("data:"):
            if "EnvelopedVerifiableCredential" not in as_list(credential.get("type")):
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
        failed("context", "; ".join(context_problems))
        if context_problems
        else passed("context", "the VC 2.0 context comes first and every context is well formed")
    )
    if "VerifiablePresentation" in as_list(document.get("type")):
        problems = _presentation_problems(document)
    else:
        problems = _credential_problems(document)
    checks.append(
        failed("structure", "; ".join(problems))
        if problems
        else passed("structure", "follows the VC 2.0 data model")
    )
    return checks


def vc_context_check(credential: Mapping[str, Any]) -> Check:
    """Any verifiable credential's contexts: the VC base context first, every URL bundled."""
    contexts = as_list(credential.get("@context"))
    if not contexts:
        return failed("context", "the credential has no @context")
    first = contexts[0]
    if first not in (VC_V2, VC_V1):
        return failed("context", f"the first @context must be {VC_V2}, not {first!r}")
    unknown = [c for c in contexts if isinstance(c, str) and c not in loader.CONTEXTS]
    if unknown:
        return failed(
            "context", f"the context {unknown[0]} is not bundled; contexts are never fetched"
        )
    if first == VC_V1:
        if VC_V2 in contexts:
            return failed("context", "a credential cannot be both VC 1.1 and VC 2.0")
        return passed("context", "a VC 1.1 credential (credentials/v1); every context bundled")
    model = check_vc_data_model(credential)[0]
    if model.verdict is not Verdict.PASSED:
        return model
    return passed("context", "the VC 2.0 context comes first; every context is bundled")


def _vc11_problems(document: Mapping[str, Any]) -> list[str]:
    """VC Data Model 1.1's required parts (section 4): the ones 2.0 names differently."""
    problems = _object_problems(document)
    if "VerifiableCredential" not in as_list(document.get("type")):
        problems.append("type must include VerifiableCredential")
    issuer = document.get("issuer")
    issuer_url = issuer.get("id") if isinstance(issuer, Mapping) else issuer
    if not _is_url(issuer_url):
        problems.append("issuer must be a URL or an object with an id URL")
    subjects = as_list(document.get("credentialSubject"))
    if not subjects or not all(isinstance(s, Mapping) and s for s in subjects):
        problems.append("each credentialSubject must be an object with at least one claim")
    if "issuanceDate" not in document:
        problems.append("there is no issuanceDate (VC 1.1 requires one)")
    for name in ("issuanceDate", "expirationDate"):
        if name in document and parse_datetime(document[name]) is None:
            problems.append(f"{name} must be an XML Schema dateTime with a time zone")
    return problems


def vc_structure_check(credential: Mapping[str, Any]) -> Check:
    """Any verifiable credential's required parts, by the version of the data model it uses."""
    if as_list(credential.get("@context"))[:1] == [VC_V1]:
        problems = _vc11_problems(credential)
        what = "follows the VC 1.1 data model"
    else:
        problems = _credential_problems(credential)
        what = "follows the VC 2.0 data model"
    return failed("structure", "; ".join(problems)) if problems else passed("structure", what)
