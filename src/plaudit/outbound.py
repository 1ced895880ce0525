"""Outbound HTTP to addresses Plaudit does not control (other issuers' keys and status lists,
webhook endpoints), guarded against SSRF: only public addresses unless the caller allows
private ones, the address checked once and then pinned (a second DNS answer cannot move the
connection), and deadlines on the lookup and on the whole exchange. Every feature that
contacts such an address goes through here."""

from __future__ import annotations

import contextlib
import http.client
import ipaddress
import socket
import ssl
import threading
import time
import urllib.parse
from dataclasses import dataclass
from typing import Any

# Schemes allowed when private networks are off. Tests widen this to let a local server stand
# in for a public one.
PUBLIC_SCHEMES: tuple[str, ...] = ("https",)


class OutboundError(Exception):
    """The address may not, or could not, be contacted; the message says why, for people."""


def address_refusal(ip: ipaddress.IPv4Address | ipaddress.IPv6Address) -> str | None:
    """Why ``ip`` may not be contacted, or None for a public address."""
    if isinstance(ip, ipaddress.IPv6Address) and ip.ipv4_mapped is not None:
        ip = ip.ipv4_mapped
    for kind in ("loopback", "private", "link_local", "multicast", "reserved", "unspecified"):
        if getattr(ip, f"is_{kind}"):
            return f"{ip} is a {kind.replace('_', '-')} address"
    if not ip.is_global:
        return f"{ip} is not a public address"
    return None


def resolve(host: str, port: int, deadline: float) -> list[tuple[Any, ...]]:
    """getaddrinfo, bounded by the deadline: the resolver has no timeout of its own."""
    found: list[tuple[Any, ...]] = []
    failure: list[BaseException] = []

    def lookup() -> None:
        try:
            found.extend(socket.getaddrinfo(host, port, type=socket.SOCK_STREAM))
        except (OSError, UnicodeError) as exc:
            failure.append(exc)

    worker = threading.Thread(target=lookup, name="plaudit-dns", daemon=True)
    worker.start()
    worker.join(max(deadline - time.monotonic(), 0))
    if worker.is_alive():
        raise OutboundError(f"looking up {host} took too long")
    if failure:
        raise OutboundError(f"{host} could not be found: {failure[0]}")
    return found


class PinnedConnection(http.client.HTTPConnection):
    """Connects to an address checked beforehand, so a second DNS answer cannot redirect it.

    The URL's host is still sent as Host and used for TLS (SNI and certificate matching).
    """

    def __init__(self, host: str, port: int, *, address: str, tls: bool, timeout: float):
        super().__init__(host, port, timeout=timeout)
        self.default_port = 443 if tls else 80
        self._address = address
        self._tls = tls

    def connect(self) -> None:
        sock = socket.create_connection((self._address, self.port), self.timeout)
        if self._tls:
            context = ssl.create_default_context()
            sock = context.wrap_socket(sock, server_hostname=self.host)
        self.sock = sock


def interrupt(conn: http.client.HTTPConnection) -> None:
    """Make a read blocked on ``conn`` return (a watchdog's way to enforce a deadline)."""
    # socket.socket.shutdown on the fd itself: SSLSocket.shutdown would also drop its TLS
    # state under the reading thread. A shut-down socket makes the blocked read return.
    sock = conn.sock
    if sock is not None:
        with contextlib.suppress(OSError):
            socket.socket.shutdown(sock, socket.SHUT_RDWR)


def connect(
    url: str, *, deadline: float, allow_private: bool, verb: str = "fetched"
) -> tuple[PinnedConnection, str]:
    """A connection to ``url``'s host, pinned to an address that may be contacted, and the
    path (with query) to ask for; OutboundError saying why not. ``verb`` words the refusals
    ("fetched", "sent to")."""
    parts = urllib.parse.urlsplit(url)
    schemes = ("https", "http") if allow_private else PUBLIC_SCHEMES
    if parts.scheme not in schemes:
        raise OutboundError(f"only {' or '.join(schemes)} addresses are {verb}, not {url}")
    if parts.username or parts.password:
        raise OutboundError(f"an address with credentials is not {verb}: {url}")
    host = parts.hostname
    try:
        port = parts.port or (443 if parts.scheme == "https" else 80)
    except ValueError as exc:
        raise OutboundError(f"invalid port in {url}") from exc
    if not host:
        raise OutboundError(f"no host in {url}")
    address: str | None = None
    refusals: list[str] = []
    for *_, sockaddr in resolve(host, port, deadline):
        ip = ipaddress.ip_address(str(sockaddr[0]).partition("%")[0])
        refusal = None if allow_private else address_refusal(ip)
        if refusal is None:
            address = str(ip)
            break
        refusals.append(refusal)
    if address is None:
        raise OutboundError(f"{host} is not {verb}: {'; '.join(refusals) or 'no address'}")
    remaining = deadline - time.monotonic()
    if remaining <= 0:
        raise OutboundError(f"{url} took too long")
    conn = PinnedConnection(
        host, port, address=address, tls=parts.scheme == "https", timeout=remaining
    )
    return conn, urllib.parse.urlunsplit(("", "", parts.path or "/", parts.query, ""))


@dataclass(frozen=True)
class Reply:
    status: int
    reason: str
    headers: http.client.HTTPMessage
    body: bytes

    def header(self, name: str) -> str:
        return str(self.headers.get(name) or "")


def exchange(
    method: str,
    url: str,
    *,
    deadline: float,
    allow_private: bool,
    max_bytes: int,
    headers: dict[str, str] | None = None,
    body: bytes | None = None,
    verb: str = "fetched",
) -> Reply:
    """One request to ``url`` and its whole answer, by ``deadline`` and at most ``max_bytes``
    long; OutboundError saying why not (refused address, network, too slow, too large)."""
    conn, path = connect(url, deadline=deadline, allow_private=allow_private, verb=verb)
    # Socket timeouts bound each read, not their sum; the watchdog bounds the whole exchange.
    watchdog = threading.Timer(max(deadline - time.monotonic(), 0), interrupt, (conn,))
    watchdog.daemon = True
    try:
        conn.request(method, path, body=body, headers=headers or {})
        watchdog.start()
        response = conn.getresponse()
        declared = response.getheader("Content-Length")
        if declared and declared.isdigit() and int(declared) > max_bytes:
            raise OutboundError(f"{url} is larger than {max_bytes} bytes")
        data = bytearray()
        while chunk := response.read1(65_536):
            data += chunk
            if len(data) > max_bytes:
                raise OutboundError(f"{url} is larger than {max_bytes} bytes")
    except (OSError, http.client.HTTPException) as exc:
        if time.monotonic() >= deadline:
            raise OutboundError(f"{url} took too long") from exc
        raise OutboundError(f"{url} could not be reached: {exc}") from exc
    finally:
        watchdog.cancel()
        conn.close()
    # The watchdog's interruption can look like the end of a short answer.
    if time.monotonic() >= deadline:
        raise OutboundError(f"{url} took too long")
    return Reply(response.status, response.reason, response.headers, bytes(data))
