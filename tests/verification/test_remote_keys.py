"""Other issuers' keys, fetched from a real local server: resolved when allowed, refused safely."""

from __future__ import annotations

import base64
import json
import threading
import time
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import pytest
from cryptography.hazmat.primitives.asymmetric import rsa
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey
from cryptography.hazmat.primitives.asymmetric.rsa import RSAPublicKey
from cryptography.hazmat.primitives.serialization import Encoding, PublicFormat

from plaudit import outbound
from plaudit.openbadges import dataintegrity, multikey
from plaudit.openbadges.report import Verdict
from plaudit.openbadges.verify import verify
from plaudit.verification import fetch
from tests.fixtures.paths import standards

FIXTURES = standards() / "ob3" / "validator-fixtures"
NOW = datetime(2025, 6, 1, tzinfo=UTC)
DID = "did:web:issuer.example:orgs:acme"


@dataclass
class Route:
    body: bytes = b""
    status: int = 200
    headers: dict[str, str] = field(default_factory=dict)
    delay: float = 0.0


@dataclass
class Server:
    base: str
    routes: dict[str, Route]
    hits: Counter[str]

    def serve(self, path: str, document: Any, **kw: Any) -> str:
        self.routes[path] = Route(body=json.dumps(document).encode(), **kw)
        return self.base + path


@pytest.fixture
def server() -> Iterator[Server]:
    routes: dict[str, Route] = {}
    hits: Counter[str] = Counter()

    class Handler(BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            hits[self.path] += 1
            route = routes.get(self.path, Route(status=404))
            time.sleep(route.delay)
            try:
                self.send_response(route.status)
                for name, value in route.headers.items():
                    self.send_header(name, value)
                self.send_header("Content-Length", str(len(route.body)))
                self.end_headers()
                self.wfile.write(route.body)
            except OSError:
                pass  # the client gave up first, as it should

        def log_message(self, format: str, *args: Any) -> None:
            pass

    httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    try:
        yield Server(f"http://127.0.0.1:{httpd.server_address[1]}", routes, hits)
    finally:
        httpd.shutdown()
        httpd.server_close()


def _raw(key: Ed25519PrivateKey) -> bytes:
    return key.public_key().public_bytes(Encoding.Raw, PublicFormat.Raw)


def _signed(key: Ed25519PrivateKey, method: str, issuer: str) -> dict[str, Any]:
    document: dict[str, Any] = json.loads((FIXTURES / "simple.json").read_text())
    del document["proof"]
    document["issuer"]["id"] = issuer
    return dataintegrity.sign_rdfc(
        document, private_key=key, verification_method=method, created="2024-01-01T00:00:00Z"
    )


def _multikey_document(method: str, key: Ed25519PrivateKey) -> dict[str, Any]:
    return {
        "id": method,
        "type": "Multikey",
        "controller": method,
        "publicKeyMultibase": multikey.ed25519_public_multibase(_raw(key)),
    }


def _did_document(key: Ed25519PrivateKey) -> dict[str, Any]:
    return {
        "@context": ["https://www.w3.org/ns/did/v1", "https://w3id.org/security/multikey/v1"],
        "id": DID,
        "verificationMethod": [
            {"id": "#other", "type": "JsonWebKey", "controller": DID, "publicKeyJwk": {}},
            {
                "id": "#key-1",
                "type": "JsonWebKey",
                "controller": DID,
                "publicKeyJwk": multikey.jwk_from_ed25519(_raw(key)),
            },
        ],
        "assertionMethod": ["#key-1"],
    }


def _proof(report_of: Any) -> tuple[Verdict, str]:
    check = report_of.check("proof")
    assert check is not None
    return check.verdict, check.message


def test_an_https_url_key_resolves_and_its_proof_passes(server: Server) -> None:
    key = Ed25519PrivateKey.generate()
    method = server.serve("/keys/1", _multikey_document(f"{server.base}/keys/1", key))
    cache = fetch.KeyCache()

    report = verify(
        _signed(key, method, issuer=method),
        resolve_key=lambda m: fetch.resolve_remote_key(m, cache=cache, allow_private=True),
        now=NOW,
    )

    assert _proof(report) == (Verdict.PASSED, "1 signature(s) verified")
    key_check = report.check("issuer_key")
    assert key_check is not None and key_check.verdict is Verdict.PASSED


def test_a_did_web_key_resolves_from_its_did_document(
    server: Server, monkeypatch: pytest.MonkeyPatch
) -> None:
    key = Ed25519PrivateKey.generate()
    document_url = server.serve("/orgs/acme/did.json", _did_document(key))
    # did:web is https only; point its document at the local server for this test.
    monkeypatch.setattr(multikey, "did_web_document_url", lambda did: document_url)
    cache = fetch.KeyCache()

    report = verify(
        _signed(key, f"{DID}#key-1", issuer=DID),
        resolve_key=lambda m: fetch.resolve_remote_key(m, cache=cache, allow_private=True),
        now=NOW,
    )

    assert _proof(report) == (Verdict.PASSED, "1 signature(s) verified")
    assert report.valid


def test_a_controller_document_yields_multikey_and_rsa_methods() -> None:
    ed = Ed25519PrivateKey.generate()
    rsa_key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    numbers = rsa_key.public_key().public_numbers()

    def b64(n: int) -> str:
        raw = n.to_bytes((n.bit_length() + 7) // 8, "big")
        return base64.urlsafe_b64encode(raw).rstrip(b"=").decode()

    controller = {
        "id": "https://issuer.example/issuers/1",
        "verificationMethod": [
            {
                "id": "https://issuer.example/issuers/1#ed",
                "publicKeyMultibase": multikey.ed25519_public_multibase(_raw(ed)),
            },
            {"id": "#rsa", "publicKeyJwk": {"kty": "RSA", "n": b64(numbers.n), "e": "AQAB"}},
        ],
    }

    found = fetch.find_method(controller, "https://issuer.example/issuers/1#ed")
    assert found is not None
    ed_key = fetch.public_key_of(found)
    assert isinstance(ed_key, Ed25519PublicKey) and _raw(ed) == ed_key.public_bytes(
        Encoding.Raw, PublicFormat.Raw
    )
    found = fetch.find_method(controller, "https://issuer.example/issuers/1#rsa")
    assert found is not None
    rsa_public = fetch.public_key_of(found)
    assert isinstance(rsa_public, RSAPublicKey)
    assert rsa_public.public_numbers() == numbers
    # A document that claims another id vouches for nothing at this address.
    assert fetch.find_method(controller, "https://elsewhere.example/issuers/1#ed") is None


def test_by_default_loopback_is_refused_and_the_key_is_not_found(server: Server) -> None:
    key = Ed25519PrivateKey.generate()
    method = server.serve("/keys/1", _multikey_document(f"{server.base}/keys/1", key))

    with pytest.raises(fetch.FetchError, match="loopback"):
        fetch.fetch_json(method.replace("http://", "https://"))
    with pytest.raises(fetch.FetchError, match="only https"):
        fetch.fetch_json(method)

    cache = fetch.KeyCache()
    report = verify(
        _signed(key, method, issuer=method),
        resolve_key=lambda m: fetch.resolve_remote_key(m, cache=cache),
        now=NOW,
    )
    key_check = report.check("issuer_key")
    assert key_check is not None
    assert key_check.verdict is Verdict.FAILED
    assert key_check.message == f"the issuer's key could not be found: {method}"
    assert _proof(report)[0] is Verdict.FAILED
    assert not report.valid
    assert server.hits["/keys/1"] == 0


UNSPECIFIED = ".".join("0" * 4)  # spelled out of the way of the "binds to all interfaces" lint


@pytest.mark.parametrize("host", ["localhost", "[::1]", "10.0.0.1", "169.254.169.254", UNSPECIFIED])
def test_private_addresses_are_refused_before_connecting(host: str) -> None:
    with pytest.raises(fetch.FetchError, match="is not fetched"):
        fetch.fetch_json(f"https://{host}/key.json", timeout=1)


def test_a_response_larger_than_the_limit_is_refused(server: Server) -> None:
    url = server.serve("/big", {"padding": "x" * 5_000})
    assert fetch.fetch_json(url, allow_private=True)["padding"] == "x" * 5_000
    with pytest.raises(fetch.FetchError, match="larger than 1000 bytes"):
        fetch.fetch_json(url, max_bytes=1_000, allow_private=True)


def test_a_slow_server_is_given_up_on_within_the_timeout(server: Server) -> None:
    url = server.serve("/slow", {"id": "x"}, delay=2.0)
    started = time.monotonic()
    with pytest.raises(fetch.FetchError, match="took too long"):
        fetch.fetch_json(url, timeout=0.5, allow_private=True)
    assert time.monotonic() - started < 1.0


def test_non_json_and_errors_are_refused(server: Server) -> None:
    server.routes["/text"] = Route(body=b"<html>")
    with pytest.raises(fetch.FetchError, match="not JSON"):
        fetch.fetch_json(f"{server.base}/text", allow_private=True)
    with pytest.raises(fetch.FetchError, match="answered 404"):
        fetch.fetch_json(f"{server.base}/missing", allow_private=True)


def test_redirects_are_followed_twice_at_most(server: Server) -> None:
    target = server.serve("/target", {"ok": True})
    server.routes["/r1"] = Route(status=302, headers={"Location": "/target"})
    server.routes["/r2"] = Route(status=302, headers={"Location": "/r1"})
    server.routes["/r3"] = Route(status=302, headers={"Location": "/r2"})

    assert fetch.fetch_json(f"{server.base}/r2", allow_private=True) == {"ok": True}
    with pytest.raises(fetch.FetchError, match="redirects too many times"):
        fetch.fetch_json(f"{server.base}/r3", allow_private=True)
    assert server.hits[target.removeprefix(server.base)] == 1


@pytest.mark.parametrize("location", ["http://10.0.0.1/key", "http://169.254.169.254/latest"])
def test_a_redirect_to_a_private_address_is_refused(
    server: Server, monkeypatch: pytest.MonkeyPatch, location: str
) -> None:
    # Let the local server stand in for a public one; every other address is checked as usual.
    real = outbound.address_refusal
    monkeypatch.setattr(outbound, "PUBLIC_SCHEMES", ("https", "http"))
    monkeypatch.setattr(
        outbound, "address_refusal", lambda ip: None if str(ip) == "127.0.0.1" else real(ip)
    )
    server.serve("/ok", {"ok": True})
    server.routes["/away"] = Route(status=301, headers={"Location": location})

    assert fetch.fetch_json(f"{server.base}/ok") == {"ok": True}
    with pytest.raises(fetch.FetchError, match="is not fetched"):
        fetch.fetch_json(f"{server.base}/away")


def test_the_cache_saves_a_second_fetch_until_it_expires(server: Server) -> None:
    key = Ed25519PrivateKey.generate()
    method = server.serve("/keys/1", _multikey_document(f"{server.base}/keys/1", key))
    now = [0.0]
    cache = fetch.KeyCache(ttl_seconds=60, clock=lambda: now[0])

    first = fetch.resolve_remote_key(method, cache=cache, allow_private=True)
    second = fetch.resolve_remote_key(method, cache=cache, allow_private=True)
    assert first is not None and second is not None
    assert server.hits["/keys/1"] == 1

    now[0] = 61.0
    assert fetch.resolve_remote_key(method, cache=cache, allow_private=True) is not None
    assert server.hits["/keys/1"] == 2


def test_the_cache_keeps_at_most_max_entries() -> None:
    cache = fetch.KeyCache(max_entries=2)
    for name in "abc":
        cache.put(name, {"id": name})
    assert cache.get("a") is None
    assert cache.get("c") == {"id": "c"}


def test_unresolvable_methods_give_none_never_an_error() -> None:
    cache = fetch.KeyCache()
    assert fetch.resolve_remote_key("did:web:bad%host", cache=cache) is None
    assert fetch.resolve_remote_key("urn:uuid:1234", cache=cache) is None
    assert fetch.resolve_remote_key("https://no-such-host.invalid/k", cache=cache) is None
