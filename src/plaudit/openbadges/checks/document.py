"""A credential's shape: its contexts, its required parts and, for an Open Badge, its JSON Schema.

Any VC 2.0 or VC 1.1 credential gets the W3C data model's checks; the Open Badges 3.0 checks
(its context, schema and types) are made when the credential says it is an Open Badge.
"""

from __future__ import annotations

import functools
import json
import re
from collections.abc import Mapping
from importlib import resources
from typing import Any, Final

from jsonschema import Draft201909Validator

from plaudit.openbadges import loader
from plaudit.openbadges.checks.fields import as_list, issuer_id
from plaudit.openbadges.report import Check, failed, passed, warning

VC_V2: Final = "https://www.w3.org/ns/credentials/v2"
VC_V1: Final = "https://www.w3.org/2018/credentials/v1"
OB_CONTEXT_CURRENT: Final = "https://purl.imsglobal.org/spec/ob/v3p0/context-3.0.3.json"
_OB_CONTEXT: Final = re.compile(
    r"https://purl\.imsglobal\.org/spec/ob/v3p0/context(-3\.\d\.\d)?\.json"
)
_OB_TYPES: Final = ("OpenBadgeCredential", "AchievementCredential")
_SCHEMA_ERRORS_SHOWN: Final = 3


def context_check(credential: Mapping[str, Any]) -> Check:
    contexts = as_list(credential.get("@context"))
    if not contexts:
        return failed("context", "the credential has no @context")
    first = contexts[0]
    if first not in (VC_V2, VC_V1):
        return failed("context", f"the first @context must be {VC_V2}, not {first!r}")
    urls = [context for context in contexts if isinstance(context, str)]
    unknown = [url for url in urls if url not in loader.CONTEXTS]
    if unknown:
        return failed(
            "context",
            f"the context {unknown[0]} is not bundled; contexts are never fetched",
        )
    ob = [url for url in urls if _OB_CONTEXT.fullmatch(url)]
    if not ob:
        return failed("context", "no Open Badges 3.0 context (context-3.0.x.json)")
    if first == VC_V1:
        return warning("context", "a VC 1.1 credential (credentials/v1); OB 3.0 now uses VC 2.0")
    if OB_CONTEXT_CURRENT not in ob:
        return warning("context", f"an older Open Badges context {ob[0]}; current is 3.0.3")
    return passed("context", "VC 2.0 and Open Badges 3.0.3 contexts, all bundled")


@functools.cache
def _schema_validator() -> Draft201909Validator:
    text = (
        resources.files("plaudit.openbadges")
        .joinpath("schemas", "achievementcredential.json")
        .read_text(encoding="utf-8")
    )
    return Draft201909Validator(json.loads(text))


def schema_check(credential: Mapping[str, Any]) -> Check:
    if as_list(credential.get("@context"))[:1] != [VC_V2]:
        return warning(
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
        return passed("schema", "matches the OB 3.0 AchievementCredential JSON Schema")
    shown = "; ".join(
        f"{error.json_path}: {error.message[:200]}" for error in errors[:_SCHEMA_ERRORS_SHOWN]
    )
    more = len(errors) - _SCHEMA_ERRORS_SHOWN
    suffix = f" (and {more} more)" if more > 0 else ""
    return failed("schema", f"does not match the OB 3.0 JSON Schema: {shown}{suffix}")


def structure_check(credential: Mapping[str, Any], claims: Mapping[str, Any] | None) -> Check:
    types = as_list(credential.get("type"))
    problems: list[str] = []
    if "VerifiableCredential" not in types:
        problems.append("type lacks VerifiableCredential")
    if not any(kind in types for kind in _OB_TYPES):
        problems.append("type lacks OpenBadgeCredential (or AchievementCredential)")
    issuer = issuer_id(credential)
    if issuer is None:
        problems.append("the issuer has no id")
    if not credential.get("credentialSubject"):
        problems.append("there is no credentialSubject")
    v1 = as_list(credential.get("@context"))[:1] == [VC_V1]
    start = "issuanceDate" if v1 else "validFrom"
    if start not in credential and "validFrom" not in credential:
        problems.append(f"there is no {start}")
    if claims is not None and "iss" in claims and issuer is not None and claims["iss"] != issuer:
        problems.append(f"the token's iss {claims['iss']!r} is not the issuer {issuer!r}")
    if problems:
        return failed("structure", "; ".join(problems))
    return passed("structure", "an Open Badges credential with issuer, subject and dates")


def is_open_badge(credential: Mapping[str, Any]) -> bool:
    """Whether the credential presents itself as an Open Badge: by its type or its context."""
    if any(kind in _OB_TYPES for kind in as_list(credential.get("type"))):
        return True
    return any(
        isinstance(url, str) and _OB_CONTEXT.fullmatch(url)
        for url in as_list(credential.get("@context"))
    )
