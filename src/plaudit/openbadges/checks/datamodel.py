"""The W3C VC 2.0 data model's rules alone, for unsigned credentials and presentations."""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any, Final

from plaudit.openbadges.checks.document import VC_V2
from plaudit.openbadges.checks.fields import as_list
from plaudit.openbadges.checks.validity import parse_datetime
from plaudit.openbadges.report import Check, failed, passed

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
