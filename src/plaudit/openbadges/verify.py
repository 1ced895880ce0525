"""Verify an Open Badges 3.0 credential offline, listing every check with a verdict and a reason."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import UTC, datetime
from typing import Any

from plaudit.openbadges import jose
from plaudit.openbadges.checks.datamodel import check_vc_data_model
from plaudit.openbadges.checks.document import context_check, schema_check, structure_check
from plaudit.openbadges.checks.proofs import (
    KeyResolver,
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
from plaudit.openbadges.report import Report, Verdict, failed

# verification.service and vcapi.service use these through this module (ob_verify.X).
__all__ = [
    "KeyResolver",
    "StatusChecker",
    "StatusUnavailable",
    "check_vc_data_model",
    "offline_key",
    "verify",
]


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
    checks = [
        read_as,
        context_check(credential),
        schema_check(credential),
        structure_check(credential, claims),
    ]
    if parsed.token is not None:
        checks.extend(jwt_checks(parsed.token, credential, resolve_key))
    else:
        proof_check, key_check = embedded_proof_checks(credential, resolve_key)
        checks.append(proof_check)
        if key_check is not None:
            checks.append(key_check)
    checks.append(validity_check(credential, now or datetime.now(UTC)))
    if "credentialStatus" in credential:
        checks.append(status_check(credential, check_status))
    return Report(tuple(checks), credential)
