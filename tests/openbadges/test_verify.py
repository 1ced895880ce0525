"""The offline verifier against 1EdTech's fixtures, the VC 2.0 suite inputs, and tampering."""

from __future__ import annotations

import copy
import json
from collections.abc import Mapping
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest

from plaudit.openbadges import baking, jose, statuslist
from plaudit.openbadges.checks.datamodel import check_vc_data_model
from plaudit.openbadges.checks.validity import StatusUnavailable
from plaudit.openbadges.report import Report, Verdict
from plaudit.openbadges.verify import verify
from tests.fixtures.paths import standards

STANDARDS = standards()
FIXTURES = STANDARDS / "ob3" / "validator-fixtures"
EXPECTED: dict[str, dict[str, str]] = json.loads(
    (STANDARDS / "validator-fixtures-expected.json").read_text(encoding="utf-8")
)["ob3"]
VCDM2 = STANDARDS / "w3c" / "vcdm2-test-suite-inputs"
# Fixed, so that "not yet valid" and "expired" fixtures keep their verdicts over the years.
NOW = datetime(2025, 6, 1, tzinfo=UTC)

# Fixtures whose verdict depends on something remote; the report must say so, never "Valid".
NEEDS_NETWORK: dict[str, str] = {
    "complete.json": "its 1EdTechRevocationList status and its credentialSchema extension "
    "schemas are remote (1EdTech's Invalid comes from failing to fetch those schemas)",
    "complete_v1.json": "its key https://1edtech.edu/issuers/565049#key-1 must be dereferenced "
    "(and it expired in 2020)",
    "credential-status-revoked.json": "its 1EdTechRevocationList status list is on dc.1edtech.org",
}

# Fixtures where this verifier is stricter than 1EdTech's validator on purpose: our outcome.
DEVIATIONS: dict[str, tuple[str, str]] = {
    "simple-did-key-method.json": (
        "Warning",
        "the did:key signer is not the issuer (urn:uuid:...); 1EdTech does not bind them",
    ),
    "simple-jwt.png": ("Warning", "the JWT carries its own key (jwk header), not the issuer's"),
    "simple-jwt.svg": ("Warning", "the JWT carries its own key (jwk header), not the issuer's"),
    "simple-jwt_v1.png": (
        "Warning",
        "VC 1.1 plus a self-carried jwk; 1EdTech itself says Warning for the same token in .svg",
    ),
    "sd/derivedcredential.json": (
        "Invalid",
        "ecdsa-sd-2023 (selective disclosure, P-256) is not a supported cryptosuite",
    ),
}

_STATUS_LIST_URL = (
    "https://raw.githubusercontent.com/1EdTech/digital-credentials-public-validator/refs/heads/"
    "main/inspector-vc/src/test/resources/ob30/bit-string-list/testlist"
)


def bitstring_checker(entry: Mapping[str, Any]) -> str | None:
    """Reads the Bitstring Status List shipped beside the fixtures; anything else is remote."""
    if entry.get("statusListCredential") != _STATUS_LIST_URL:
        raise StatusUnavailable(f"{entry.get('statusListCredential')} is not available offline")
    status_list = json.loads((FIXTURES / "bit-string-list" / "testlist").read_text())
    bits = statuslist.decode(status_list["credentialSubject"]["encodedList"])
    if statuslist.get(bits, int(entry["statusListIndex"])):
        return "revoked" if entry.get("statusPurpose") == "revocation" else "suspended"
    return None


def _report(name: str) -> Report:
    return verify((FIXTURES / name).read_bytes(), check_status=bitstring_checker, now=NOW)


def _failed(report: Report) -> list[str]:
    return [check.name for check in report.checks if check.verdict is Verdict.FAILED]


def test_every_fixture_is_accounted_for() -> None:
    assert set(NEEDS_NETWORK) <= set(EXPECTED)
    assert set(DEVIATIONS) <= set(EXPECTED)
    assert not set(NEEDS_NETWORK) & set(DEVIATIONS)
    for name in EXPECTED:
        assert (FIXTURES / name).is_file(), name


@pytest.mark.parametrize("name", sorted(set(EXPECTED) - set(NEEDS_NETWORK)))
def test_fixture_outcome(name: str) -> None:
    report = _report(name)
    expected = EXPECTED[name]["expected"]
    if name in DEVIATIONS:
        expected = DEVIATIONS[name][0]
    if expected == "Finding":
        # 1EdTech only asserts that the context check says something about the old version.
        context = report.check("context")
        assert context is not None
        assert context.verdict is Verdict.WARNING
        assert report.valid
        return
    assert report.outcome == expected, report.checks


@pytest.mark.parametrize("name", sorted(NEEDS_NETWORK))
def test_network_fixture_is_never_valid(name: str) -> None:
    report = _report(name)
    assert report.outcome != "Valid"
    messages = [check.message for check in report.checks]
    assert any(
        "status could not be checked" in message or "key could not be found" in message
        for message in messages
    ), messages


def test_bitstring_revoked_is_reported_as_revoked() -> None:
    report = _report("bit-string-list/credential-status-revoked.json")
    status = report.check("status")
    assert status is not None
    assert (status.verdict, status.message) == (Verdict.FAILED, "revoked")
    assert _failed(report) == ["status"]


def test_without_a_status_checker_the_status_is_unknown() -> None:
    data = (FIXTURES / "bit-string-list" / "credential-status-revoked.json").read_bytes()
    status = verify(data, now=NOW).check("status")
    assert status is not None
    assert status.verdict is Verdict.WARNING
    assert "status could not be checked" in status.message


def _simple() -> dict[str, Any]:
    document: dict[str, Any] = json.loads((FIXTURES / "simple.json").read_text())
    return document


def test_simple_passes_every_check() -> None:
    report = verify(_simple(), now=NOW)
    assert [check.verdict for check in report.checks] == [Verdict.PASSED] * len(report.checks)
    assert [check.name for check in report.checks] == [
        "format",
        "context",
        "schema",
        "structure",
        "proof",
        "issuer_key",
        "validity",
    ]


def test_tampered_leaf_fails_the_proof() -> None:
    document = copy.deepcopy(_simple())
    document["credentialSubject"]["achievement"]["name"] = "Leadership"
    report = verify(document, now=NOW)
    assert _failed(report) == ["proof"]


def test_status_unavailable_is_a_warning_never_not_revoked() -> None:
    def unreachable(entry: Mapping[str, Any]) -> str | None:
        raise StatusUnavailable("the list server timed out")

    document = _simple()
    document["credentialStatus"] = {"id": "https://example.com/status#1", "type": "X"}
    status = verify(document, check_status=unreachable, now=NOW).check("status")
    assert status is not None
    assert status.verdict is Verdict.WARNING
    assert status.message.startswith("status could not be checked")


@pytest.mark.parametrize("state", ["revoked", "suspended"])
def test_revoked_or_suspended_fails(state: str) -> None:
    document = _simple()
    document["credentialStatus"] = {"id": "https://example.com/status#1", "type": "X"}
    report = verify(document, check_status=lambda entry: state, now=NOW)
    assert report.check("status") is not None
    assert report.check("status") == report.checks[-1]
    assert (report.checks[-1].verdict, report.checks[-1].message) == (Verdict.FAILED, state)


def test_no_proof_fails() -> None:
    proof = verify((FIXTURES / "simple-noproof.json").read_bytes(), now=NOW).check("proof")
    assert proof is not None
    assert (proof.verdict, proof.message) == (Verdict.FAILED, "the credential has no proof")


def test_unknown_key_is_reported() -> None:
    report = verify(_simple(), resolve_key=lambda method: None, now=NOW)
    key = report.check("issuer_key")
    assert key is not None
    assert key.verdict is Verdict.FAILED
    assert key.message.startswith("the issuer's key could not be found: https://example.com/")


@pytest.mark.parametrize(
    ("data", "reason"),
    [
        (b"x" * 2_000_000, "limit"),
        ("not json", "neither JSON"),
        ("[1, 2]", "not an object"),
        (b"\x89PNG\r\n\x1a\n", "no 'openbadgecredential'"),
    ],
)
def test_format_failures_stop_early(data: str | bytes, reason: str) -> None:
    report = verify(data)
    assert len(report.checks) == 1
    assert report.checks[0].name == "format"
    assert reason in report.checks[0].message


def test_unbundled_context_is_never_fetched() -> None:
    document = _simple()
    document["@context"].append("https://example.com/evil-context.json")
    context = verify(document, now=NOW).check("context")
    assert context is not None
    assert context.verdict is Verdict.FAILED
    assert "https://example.com/evil-context.json" in context.message
    assert "never fetched" in context.message


def _jwt_credential(text: str) -> dict[str, Any]:
    _, claims = jose.decode_vc_jwt(text)
    return jose.credential_from_jwt_claims(claims)


@pytest.mark.parametrize("name", ["simple-json.png", "simple-json.svg"])
def test_baked_json_is_simple_json(name: str) -> None:
    # The baked copies were signed again later: the same credential, another proof.
    baked = json.loads(baking.extract((FIXTURES / name).read_bytes()))
    assert {**baked, "proof": None} == {**_simple(), "proof": None}
    assert verify((FIXTURES / name).read_bytes(), now=NOW).outcome == "Valid"


def test_baked_jwts_match_between_png_and_svg() -> None:
    # No .jwt file holds these tokens; the PNG and SVG were baked from the same credential.
    png = _jwt_credential(baking.extract((FIXTURES / "simple-jwt.png").read_bytes()))
    svg = _jwt_credential(baking.extract((FIXTURES / "simple-jwt.svg").read_bytes()))
    # Each was signed at its own moment: only iat differs.
    assert {**png, "iat": None} == {**svg, "iat": None}
    assert png["issuer"]["id"] == "https://1edtech.edu/issuers/565049"
    png_v1 = _jwt_credential(baking.extract((FIXTURES / "simple-jwt_v1.png").read_bytes()))
    svg_v1 = _jwt_credential(baking.extract((FIXTURES / "simple-jwt_v1.svg").read_bytes()))
    assert png_v1 == svg_v1


def test_1ob_is_json_text() -> None:
    report = verify((FIXTURES / "simple.1ob").read_bytes(), now=NOW)
    assert report.credential == _simple()


def test_svg_with_entities_is_refused() -> None:
    bomb = (
        b'<?xml version="1.0"?><!DOCTYPE svg [<!ENTITY a "aaaa">]>'
        b'<svg xmlns="http://www.w3.org/2000/svg">&a;</svg>'
    )
    with pytest.raises(baking.BakingError):
        baking.extract(bomb)


# --- the W3C VC 2.0 data model suite inputs ------------------------------------------------


def _suite_input(path: Path) -> dict[str, Any]:
    # The suite's harness fills these in before handing the input to the issuer under test.
    text = path.read_text(encoding="utf-8")
    text = text.replace('"PAST DATE"', '"2020-01-01T00:00:00Z"')
    text = text.replace('"FUTURE DATE"', '"2099-01-01T00:00:00Z"')
    document: dict[str, Any] = json.loads(text)
    if "VerifiableCredential" in document.get("type", []):
        issuer = document.get("issuer")
        if "issuer" not in document:
            document["issuer"] = "did:example:issuer"
        elif isinstance(issuer, dict) and "id" not in issuer:
            issuer["id"] = "did:example:issuer"
    return document


VCDM2_INPUTS = sorted(
    path
    for path in VCDM2.rglob("*.json")
    if path.stem.endswith("-ok") or "-fail" in path.stem  # the rest have no verdict
)


def test_vcdm2_inputs_are_all_considered() -> None:
    undecided = {p.name for p in VCDM2.rglob("*.json")} - {p.name for p in VCDM2_INPUTS}
    # Self-asserted presentation inputs carry no -ok/-fail verdict in their names.
    assert all(name.startswith("presentation-self-asserted-") for name in undecided)
    assert len(VCDM2_INPUTS) > 90


@pytest.mark.parametrize("path", VCDM2_INPUTS, ids=lambda path: path.name)
def test_vcdm2_input(path: Path) -> None:
    checks = check_vc_data_model(_suite_input(path))
    failed = [check for check in checks if check.verdict is Verdict.FAILED]
    if path.stem.endswith("-ok"):
        assert not failed, failed
    else:
        assert failed
