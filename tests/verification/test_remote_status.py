"""Another issuer's status list is fetched, its signature checked, and its bit read."""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator
from datetime import UTC, datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from sqlalchemy.orm import Session

from plaudit import outbound
from plaudit.openbadges import credential as ob
from plaudit.openbadges import multikey, statuslist
from plaudit.openbadges.dataintegrity import sign_rdfc
from plaudit.verification import fetch
from plaudit.verification import service as verification

KEY = Ed25519PrivateKey.generate()
DID = multikey.did_key(KEY.public_key().public_bytes_raw())
METHOD = multikey.did_key_verification_method(DID)
NOW = datetime(2026, 1, 1, tzinfo=UTC)


@pytest.fixture
def lists(monkeypatch: pytest.MonkeyPatch) -> Iterator[dict[str, Any]]:
    """A local server standing in for another issuer (loopback is let through for it alone)."""
    served: dict[str, Any] = {}

    class Handler(BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            body = json.dumps(served.get(self.path, {})).encode()
            self.send_response(200 if self.path in served else 404)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, *args: Any) -> None:
            return None

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    real = outbound.address_refusal
    monkeypatch.setattr(outbound, "PUBLIC_SCHEMES", ("https", "http"))
    monkeypatch.setattr(
        outbound, "address_refusal", lambda ip: None if str(ip) == "127.0.0.1" else real(ip)
    )
    monkeypatch.setattr(verification, "_remote_lists", fetch.KeyCache(ttl_seconds=60))
    served["base"] = f"http://127.0.0.1:{server.server_port}"
    yield served
    server.shutdown()


def _credential(list_url: str, index: int) -> dict[str, Any]:
    unsigned = ob.build_credential(
        ob.CredentialData(
            id="urn:uuid:3f6e2a52-1d2b-4c1e-9d51-5a0f2d0f7a10",
            issuer=ob.Issuer(id=DID, name="Elsewhere Academy"),
            achievement=ob.Achievement(
                id="urn:uuid:0b0e6e8e-33a5-4a89-8c76-8d5f86a1a2b1",
                name="Badge",
                description="A badge.",
            ),
            valid_from=NOW,
            statuses=[ob.StatusEntry(list_url, index)],
        )
    )
    return sign_rdfc(
        unsigned, private_key=KEY, verification_method=METHOD, created="2026-01-01T00:00:00Z"
    )


def _list(url: str, revoked: set[int]) -> dict[str, Any]:
    bits = statuslist.empty()
    for index in revoked:
        statuslist.set_bit(bits, index)
    unsigned = statuslist.build_status_list_credential(
        url=url, issuer=DID, purpose="revocation", encoded=statuslist.encode(bits), valid_from=NOW
    )
    return sign_rdfc(
        unsigned, private_key=KEY, verification_method=METHOD, created="2026-01-01T00:00:00Z"
    )


def _status(session: Session, document: dict[str, Any]) -> tuple[str, str]:
    report = verification.verify(session, base_url="http://plaudit.test", data=document)
    check = next(c for c in report.checks if c.name == "status")
    return check.verdict.value, check.message


def test_a_revoked_bit_in_a_fetched_list_fails_and_a_clear_bit_passes(
    session: Session, lists: dict[str, Any]
) -> None:
    url = f"{lists['base']}/status/1"
    lists["/status/1"] = _list(url, {5})
    assert _status(session, _credential(url, 5))[0] == "failed"
    assert _status(session, _credential(url, 6))[0] == "passed"


def test_an_unreachable_or_forged_list_is_a_warning_never_not_revoked(
    session: Session, lists: dict[str, Any]
) -> None:
    missing = f"{lists['base']}/status/missing"
    verdict, message = _status(session, _credential(missing, 1))
    assert verdict == "warning"
    assert "could not be checked" in message or "could not be fetched" in message
    forged_url = f"{lists['base']}/status/forged"
    revoked = _list(forged_url, {1})
    # Someone clears the bit in transit: the signature no longer covers the list.
    revoked["credentialSubject"]["encodedList"] = statuslist.encode(statuslist.empty())
    lists["/status/forged"] = revoked
    assert _status(session, _credential(forged_url, 1))[0] == "warning"
