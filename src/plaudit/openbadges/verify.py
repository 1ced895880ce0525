"""Verify a credential offline, listing every check with a verdict and a reason.

Any W3C verifiable credential (VC 2.0 or 1.1) is checked against its data model and proofs;
an Open Badge also against the Open Badges 3.0 context, JSON Schema and types.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import UTC, datetime
from typing import Any

from plaudit.openbadges import jose
from plaudit.openbadges.checks.datamodel import (
    check_vc_data_model,
    vc_context_check,
    vc_structure_check,
)
from plaudit.openbadges.checks.document import (
    VC_V1,
    VC_V2,
    context_check,
    is_open_badge,
    schema_check,
    structure_check,
)
from plaudit.openbadges.checks.fields import issuer_id
from plaudit.openbadges.checks.proofs import (
    KeyResolver,
    ProofExpectations,
    embedded_proof_checks,
    jwt_checks,
    offline_key,
)
from plaudit.openbadges.checks.reading import FormatError, format_check, read
from plaudit.openbadges.checks.validity import (
    StatusChecker,
    StatusUnavailable,
    status_check,
    validity_check,
)
from plaudit.openbadges.report import Check, Report, Verdict, failed

# verification.service and vcapi.service use these through this module (ob_verify.X).
__all__ = [
    "VC_V1",
    "VC_V2",
    "KeyResolver",
    "ProofExpectations",
    "StatusChecker",
    "StatusUnavailable",
    "check_vc_data_model",
    "context_check",
    "embedded_proof_checks",
    "is_open_badge",
    "offline_key",
    "schema_check",
    "structure_check",
    "vc_context_check",
    "vc_structure_check",
    "verify",
]


def _shape_checks(credential: dict[str, Any], claims: Mapping[str, Any] | None) -> list[Check]:
    """Context, schema and structure: Open Badges 3.0's for an Open Badge, else the VC model's."""
    if is_open_badge(credential):
        return [
            context_check(credential),
            schema_check(credential),
            structure_check(credential, claims),
        ]
    structure = vc_structure_check(credential)
    issuer = issuer_id(credential)
    if claims is not None and "iss" in claims and issuer is not None and claims["iss"] != issuer:
        structure = failed(
            "structure", f"the token's iss {claims['iss']!r} is not the issuer {issuer!r}"
        )
    return [vc_context_check(credential), structure]


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
        parsed = read(data, max_bytes)
    except FormatError as exc:
        return Report((failed("format", str(exc)),), None)
    credential = parsed.credential
    read_as = format_check(parsed)
    if read_as.verdict is Verdict.FAILED:
        return Report((read_as,), credential)
    claims = None
    if parsed.token is not None:
        _, claims = jose.decode_vc_jwt(parsed.token)
    moment = now or datetime.now(UTC)
    checks = [read_as, *_shape_checks(credential, claims)]
    if parsed.token is not None:
        checks.extend(jwt_checks(parsed.token, credential, resolve_key))
    else:
        proof_check, key_check = embedded_proof_checks(
            credential, resolve_key, ProofExpectations(now=moment)
        )
        checks.append(proof_check)
        if key_check is not None:
            checks.append(key_check)
    checks.append(validity_check(credential, moment))
    if "credentialStatus" in credential:
        checks.append(status_check(credential, check_status))
    return Report(tuple(checks), credential)
