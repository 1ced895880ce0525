"""Read what an import brings into plain items: pure, no database and no network.

Formats: a CSV of rows (csv_rows), an Open Badges 3.0 credential (ob3: JSON, a VC-JWT, or either
baked into a PNG or SVG), an Open Badges 2.0 assertion (ob2: JSON, a signed JWS, or baked). This
module tells them apart. Each document or row becomes an `Item`, or a `Problem` saying precisely
what is wrong (line and column for a CSV). Nothing here follows a URL: an OB 2.0 badge or issuer
given only by its address is kept as that address, and the item says so in its notes.
"""

from __future__ import annotations

import base64
import binascii
import json
import re
from collections.abc import Mapping
from typing import Any, Final

from plaudit import safejson
from plaudit.imports import ob2, ob3
from plaudit.imports.csv_rows import read_csv
from plaudit.imports.fields import as_list
from plaudit.imports.items import Item, Problem, Reading
from plaudit.openbadges import baking

# imports.routes reads these through this module (parse.X).
__all__ = ["Problem", "Reading", "read_csv", "read_document", "read_file"]

_JWS: Final = re.compile(r"[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]*")


def _jws_payload(token: str) -> dict[str, Any] | None:
    """The payload of a compact JWS, unverified (the verifier checks OB 3.0 signatures)."""
    try:
        part = token.split(".")[1]
        decoded = json.loads(base64.urlsafe_b64decode(part + "=" * (-len(part) % 4)))
    except (IndexError, ValueError, binascii.Error, RecursionError):
        return None
    return decoded if isinstance(decoded, dict) else None


def _is_vc(document: Mapping[str, Any]) -> bool:
    types = as_list(document.get("type"))
    return "VerifiableCredential" in types or any(
        isinstance(c, str) and "credentials" in c for c in as_list(document.get("@context"))
    )


def read_document(data: Mapping[str, Any] | str, *, where: str) -> Item | Problem:
    """One OB 3.0 credential or OB 2.0 assertion, as an object or as text (JSON or a JWS)."""
    if isinstance(data, str):
        text = data.strip().lstrip("\ufeff")
        if _JWS.fullmatch(text):
            payload = _jws_payload(text)
            if payload is None:
                return Problem(where, "a compact JWS whose payload is not a JSON object")
            if ob2.is_assertion(payload):
                return ob2.read_assertion(payload, where=where, original=text, signed=True)
            credential = payload.get("vc", payload)
            if not isinstance(credential, dict) or not _is_vc(credential):
                return Problem(where, "a JWT that carries no verifiable credential ('vc' claim)")
            jti = payload.get("jti") if isinstance(payload.get("jti"), str) else None
            return ob3.read_credential(credential, where=where, original=text, fallback_id=jti)
        try:
            parsed = safejson.parse(text)
        except safejson.UnsafeJson as exc:
            return Problem(where, str(exc))
        except ValueError as exc:
            return Problem(where, f"neither JSON nor a compact JWT: {exc}")
        if not isinstance(parsed, dict):
            return Problem(where, "the JSON is not an object")
        data = parsed
    document = dict(data)
    if found := safejson.flaws(document):
        return Problem(where, str(safejson.UnsafeJson(found)))
    if ob2.is_assertion(document):
        return ob2.read_assertion(document, where=where, original=document, signed=False)
    if _is_vc(document):
        return ob3.read_credential(document, where=where, original=document, fallback_id=None)
    return Problem(where, "neither an Open Badges 2.0 assertion nor an Open Badges 3.0 credential")


def looks_like_csv(data: bytes, *, name: str | None, content_type: str | None) -> bool:
    if (name or "").lower().endswith(".csv") or (content_type or "").startswith("text/csv"):
        return True
    head = data[:1024].lstrip(b"\xef\xbb\xbf \t\r\n")
    return not head.startswith((b"{", b"[", b"<")) and not _JWS.fullmatch(
        head.decode("utf-8", "replace").strip()
    )


def read_file(data: bytes, *, name: str, content_type: str | None) -> Reading:
    """Everything in one uploaded file: a CSV's rows, a JSON array's documents, or one
    document (JSON, JWT, or baked into a PNG or SVG)."""
    if baking.is_png(data) or baking.is_svg(data):
        try:
            text = baking.extract(data)
        except baking.BakingError as exc:
            return Reading([Problem(name, f"the image carries no credential: {exc}")])
        return Reading([read_document(text, where=name)])
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError:
        return Reading(
            [Problem(name, "neither UTF-8 text (JSON, JWT, CSV) nor a PNG or SVG image")]
        )
    if looks_like_csv(data, name=name, content_type=content_type):
        return read_csv(text, where=name)
    stripped = text.strip()
    if not stripped.startswith("["):
        return Reading([read_document(stripped, where=name)])
    try:
        documents = safejson.parse(stripped)
    except safejson.UnsafeJson as exc:
        return Reading([Problem(name, str(exc))])
    except ValueError as exc:
        return Reading([Problem(name, f"the JSON cannot be read: {exc}")])
    return Reading(
        [
            read_document(d, where=f"{name}[{i}]")
            if isinstance(d, (dict, str))
            else Problem(f"{name}[{i}]", "neither a JSON object nor a JWT string")
            for i, d in enumerate(documents)
        ]
    )
