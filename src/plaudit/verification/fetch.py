"""Fetch other issuers' public keys over the network, refusing anything but small public JSON."""

from __future__ import annotations

import base64
import binascii
import json
import threading
import time
import urllib.parse
from collections import OrderedDict
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any, Final

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey
from cryptography.hazmat.primitives.asymmetric.rsa import RSAPublicKey, RSAPublicNumbers

from plaudit import outbound
from plaudit.openbadges import multikey

PublicKey = Ed25519PublicKey | RSAPublicKey

_REDIRECTS: Final = (301, 302, 303, 307, 308)
_MAX_REDIRECTS: Final = 2

# What could not be fetched (the shared outbound guard's error: the message says why).
FetchError = outbound.OutboundError


def _get(
    url: str, *, deadline: float, max_bytes: int, allow_private: bool, redirects_left: int
) -> Any:
    reply = outbound.exchange(
        "GET",
        url,
        deadline=deadline,
        allow_private=allow_private,
        max_bytes=max_bytes,
        headers={"Accept": "application/did+json, application/json"},
    )
    if reply.status in _REDIRECTS:
        location = reply.header("Location")
        if not location:
            raise FetchError(f"{url} redirects without saying where")
        if redirects_left <= 0:
            raise FetchError(f"{url} redirects too many times")
        return _get(
            urllib.parse.urljoin(url, location),
            deadline=deadline,
            max_bytes=max_bytes,
            allow_private=allow_private,
            redirects_left=redirects_left - 1,
        )
    if reply.status != 200:
        raise FetchError(f"{url} answered {reply.status} {reply.reason}")
    try:
        return json.loads(reply.body, parse_constant=_refuse_constant)
    except (ValueError, RecursionError) as exc:
        raise FetchError(f"{url} is not JSON: {exc}") from exc


def _refuse_constant(name: str) -> Any:
    raise ValueError(f"{name} is not JSON")


def fetch_json(
    url: str, *, timeout: float = 3.0, max_bytes: int = 256_000, allow_private: bool = False
) -> Any:
    """The JSON at `url`, fetched only from public addresses, small and quick, or FetchError.

    `allow_private` also permits plain http; it exists for tests and closed deployments.
    """
    return _get(
        url,
        deadline=time.monotonic() + timeout,
        max_bytes=max_bytes,
        allow_private=allow_private,
        redirects_left=_MAX_REDIRECTS,
    )


@dataclass
class KeyCache:
    """Fetched documents by URL, kept for `ttl_seconds`; the oldest go past `max_entries`."""

    ttl_seconds: float = 300
    max_entries: int = 1000
    clock: Callable[[], float] = time.monotonic
    _entries: OrderedDict[str, tuple[float, Any]] = field(
        default_factory=OrderedDict, init=False, repr=False
    )
    _lock: threading.Lock = field(default_factory=threading.Lock, init=False, repr=False)

    def get(self, url: str) -> Any | None:
        with self._lock:
            entry = self._entries.get(url)
            if entry is None:
                return None
            if entry[0] <= self.clock():
                del self._entries[url]
                return None
            return entry[1]

    def put(self, url: str, document: Any) -> None:
        with self._lock:
            self._entries[url] = (self.clock() + self.ttl_seconds, document)
            self._entries.move_to_end(url)
            while len(self._entries) > self.max_entries:
                self._entries.popitem(last=False)


def _fetch_cached(url: str, cache: KeyCache, allow_private: bool) -> Any:
    document = cache.get(url)
    if document is None:
        # Failures are not cached: an issuer's outage should not outlive it here.
        document = fetch_json(url, allow_private=allow_private)
        cache.put(url, document)
    return document


def _b64url_int(value: Any) -> int:
    if not isinstance(value, str) or "=" in value:
        raise ValueError("an RSA JWK's n and e must be unpadded base64url text")
    try:
        return int.from_bytes(base64.urlsafe_b64decode(value + "=" * (-len(value) % 4)), "big")
    except (binascii.Error, ValueError) as exc:
        raise ValueError(f"an RSA JWK member is not base64url: {exc}") from exc


def public_key_of(method: Mapping[str, Any]) -> PublicKey:
    """The key in a Multikey or JsonWebKey verification method; ValueError if it has none."""
    multibase = method.get("publicKeyMultibase")
    if isinstance(multibase, str):
        raw = multikey.ed25519_public_from_multibase(multibase)
        return Ed25519PublicKey.from_public_bytes(raw)
    jwk = method.get("publicKeyJwk")
    if not isinstance(jwk, Mapping):
        raise ValueError("the verification method has no publicKeyMultibase or publicKeyJwk")
    if jwk.get("kty") == "RSA":
        if "d" in jwk:
            raise ValueError("the JWK contains a private key ('d'); public keys only")
        return RSAPublicNumbers(_b64url_int(jwk.get("e")), _b64url_int(jwk.get("n"))).public_key()
    return Ed25519PublicKey.from_public_bytes(multikey.ed25519_from_jwk(jwk))


def find_method(document: Any, verification_method: str) -> Mapping[str, Any] | None:
    """The verification method `verification_method` in a key or controller document.

    Ids may be absolute or relative to the document ('#key-1'). A controller document must
    be the one its URL names: a document that claims another id is not trusted for keys.
    """
    if not isinstance(document, Mapping):
        return None
    base = verification_method.partition("#")[0]
    if document.get("id") == verification_method:
        return document
    if document.get("id") != base:
        return None
    candidates = [
        *_as_list(document.get("verificationMethod")),
        *_as_list(document.get("assertionMethod")),
    ]
    for candidate in candidates:
        if not isinstance(candidate, Mapping):
            continue
        ident = candidate.get("id")
        if isinstance(ident, str) and (
            ident == verification_method
            or (ident.startswith("#") and base + ident == verification_method)
        ):
            return candidate
    return None


def _as_list(value: Any) -> list[Any]:
    return value if isinstance(value, list) else [value] if value is not None else []


def resolve_remote_key(
    verification_method: str, *, cache: KeyCache, allow_private: bool = False
) -> PublicKey | None:
    """The key a did:web or https verification method names, fetched; None if it cannot be."""
    try:
        if verification_method.startswith("did:web:"):
            url = multikey.did_web_document_url(verification_method)
        elif verification_method.startswith(("https://", "http://")):
            url = verification_method.partition("#")[0]
        else:
            return None
        document = _fetch_cached(url, cache, allow_private)
        method = find_method(document, verification_method)
        return None if method is None else public_key_of(method)
    except (FetchError, ValueError, TypeError):
        return None
