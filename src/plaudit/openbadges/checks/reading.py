"""The "format" check: reading a credential as JSON, a VC-JWT, or baked into a PNG or SVG."""

from __future__ import annotations

import json
import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, Final

from plaudit.openbadges import baking, jose
from plaudit.openbadges.checks.fields import as_list
from plaudit.openbadges.report import Check, failed, passed

_JWS: Final = re.compile(r"[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]*")


class FormatError(ValueError):
    """The input cannot be read as a credential; the report's only check says why."""


@dataclass(frozen=True)
class Parsed:
    credential: dict[str, Any]
    token: str | None  # the compact JWS, when the credential came as a VC-JWT
    source: str


def _refuse_constant(name: str) -> Any:
    raise FormatError(f"JSON does not allow {name}")


def _parse_text(text: str, source: str) -> Parsed:
    text = text.strip().lstrip("\ufeff")
    if _JWS.fullmatch(text):
        try:
            _, claims = jose.decode_vc_jwt(text)
            credential = jose.credential_from_jwt_claims(claims)
        except ValueError as exc:
            raise FormatError(f"the JWT cannot be read: {exc}") from exc
        return Parsed(credential, text, f"{source}VC-JWT")
    try:
        document = json.loads(text, parse_constant=_refuse_constant)
    except (ValueError, RecursionError) as exc:
        raise FormatError(f"neither JSON nor a compact JWT: {exc}") from exc
    if not isinstance(document, dict):
        raise FormatError("the JSON is not an object")
    return Parsed(document, None, f"{source}JSON")


def read(data: Mapping[str, Any] | str | bytes, max_bytes: int) -> Parsed:
    if isinstance(data, Mapping):
        try:
            size = len(json.dumps(data).encode("utf-8"))
        except (TypeError, ValueError, RecursionError) as exc:
            raise FormatError(f"the credential is not JSON data: {exc}") from exc
        if size > max_bytes:
            raise FormatError(f"the credential is {size} bytes; the limit is {max_bytes}")
        return Parsed(json.loads(json.dumps(data)), None, "JSON")
    raw = data.encode("utf-8") if isinstance(data, str) else bytes(data)
    if len(raw) > max_bytes:
        raise FormatError(f"the input is {len(raw)} bytes; the limit is {max_bytes}")
    if baking.is_png(raw) or baking.is_svg(raw):
        kind = "PNG" if baking.is_png(raw) else "SVG"
        try:
            text = baking.extract(raw)
        except baking.BakingError as exc:
            raise FormatError(str(exc)) from exc
        return _parse_text(text, f"{kind}-baked ")
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise FormatError("the input is neither UTF-8 text nor a PNG or SVG image") from exc
    return _parse_text(text, "")


def format_check(parsed: Parsed) -> Check:
    credential = parsed.credential
    contexts = as_list(credential.get("@context"))
    types = as_list(credential.get("type"))
    if "https://w3id.org/openbadges/v2" in contexts or "Assertion" in types:
        return failed("format", "an Open Badges 2.0 assertion; this verifier checks OB 3.0")
    if "VerifiableCredential" not in types and not contexts:
        return failed("format", "the document is not a verifiable credential")
    return passed("format", f"read as {parsed.source}")
