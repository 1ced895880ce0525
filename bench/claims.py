"""Benchmark: a wallet claiming a credential, offer to stored, by each protocol.

Starts the demo and a real `plaudit serve` (SQLite, or PostgreSQL with --postgres), then claims
credentials one after another as a wallet does, over HTTP:
- VC API exchange (the Learner Credential Wallet's flow): read the protocols at the interaction
  URL, ask the exchange for its request, post the DID-authentication presentation;
- OpenID4VCI pre-authorized code: offer, issuer and authorization-server metadata, token, nonce,
  credential (a jwt proof), notification.
The wallet's own signing happens between calls and is not counted in the issuer's call times.
Prints, per protocol, the HTTP calls a wallet makes and p50/p95 of each call and of a whole claim.
Run: make bench   (or .venv/bin/python bench/claims.py --claims 100 [--postgres])
"""

from __future__ import annotations

import argparse
import os
import re
import statistics
import subprocess
import sys
import tempfile
import time
from collections import defaultdict
from collections.abc import Callable
from typing import Any
from urllib.parse import parse_qs, urlsplit

import httpx2 as httpx
import jwt
from _shared import free_port, fresh_postgres
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from plaudit.openbadges.dataintegrity import sign_rdfc
from plaudit.openbadges.multikey import did_key, did_key_verification_method
from plaudit.vault import new_master_key

JSON = {"Accept": "application/json"}
Timer = Callable[[str, Callable[[], httpx.Response]], httpx.Response]


class Wallet:
    """A did:key holder that times each call it makes to the issuer."""

    def __init__(self, client: httpx.Client) -> None:
        self.client = client
        self.key = Ed25519PrivateKey.generate()
        self.did = did_key(self.key.public_key().public_bytes_raw())
        self.method = did_key_verification_method(self.did)
        self.calls: dict[str, list[float]] = defaultdict(list)

    def timed(self, name: str, call: Callable[[], httpx.Response]) -> httpx.Response:
        start = time.perf_counter()
        response = call()
        self.calls[name].append(time.perf_counter() - start)
        assert response.status_code < 300, (name, response.status_code, response.text)
        return response

    def vcapi(self, interaction_url: str) -> dict[str, Any]:
        protocols = self.timed(
            "GET interaction URL", lambda: self.client.get(interaction_url, headers=JSON)
        )
        exchange = protocols.json()["protocols"]["vcapi"]
        request = self.timed("POST exchange {}", lambda: self.client.post(exchange, json={}))
        vpr = request.json()["verifiablePresentationRequest"]
        presentation = sign_rdfc(
            {
                "@context": ["https://www.w3.org/ns/credentials/v2"],
                "type": ["VerifiablePresentation"],
                "holder": self.did,
            },
            private_key=self.key,
            verification_method=self.method,
            created=time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
            proof_purpose="authentication",
            options={"challenge": vpr["challenge"], "domain": vpr["domain"]},
        )
        answer = self.timed(
            "POST exchange (presentation)",
            lambda: self.client.post(exchange, json={"verifiablePresentation": presentation}),
        )
        credential: dict[str, Any] = answer.json()["verifiablePresentation"][
            "verifiableCredential"
        ][0]
        assert credential["credentialSubject"]["id"] == self.did
        return credential

    def oid4vci(self, offer_link: str) -> Any:
        offer_uri = parse_qs(urlsplit(offer_link).query)["credential_offer_uri"][0]
        offer = self.timed("GET offer", lambda: self.client.get(offer_uri)).json()
        issuer = offer["credential_issuer"]
        host, path = issuer.split("/orgs/", 1)
        meta = self.timed(
            "GET issuer metadata",
            lambda: self.client.get(f"{host}/.well-known/openid-credential-issuer/orgs/{path}"),
        ).json()
        auth = self.timed(
            "GET authorization server metadata",
            lambda: self.client.get(f"{host}/.well-known/oauth-authorization-server/orgs/{path}"),
        ).json()
        grant = offer["grants"]["urn:ietf:params:oauth:grant-type:pre-authorized_code"]
        token = self.timed(
            "POST token",
            lambda: self.client.post(
                auth["token_endpoint"],
                data={
                    "grant_type": "urn:ietf:params:oauth:grant-type:pre-authorized_code",
                    "pre-authorized_code": grant["pre-authorized_code"],
                },
            ),
        ).json()["access_token"]
        bearer = {"Authorization": f"Bearer {token}"}
        nonce = self.timed("POST nonce", lambda: self.client.post(meta["nonce_endpoint"])).json()[
            "c_nonce"
        ]
        proof = jwt.encode(
            {"aud": issuer, "iat": int(time.time()), "nonce": nonce},
            self.key,
            algorithm="EdDSA",
            headers={"typ": "openid4vci-proof+jwt", "kid": self.method},
        )
        configuration = next(
            name for name in offer["credential_configuration_ids"] if name.endswith("ldp_vc")
        )
        issued = self.timed(
            "POST credential",
            lambda: self.client.post(
                meta["credential_endpoint"],
                json={"credential_configuration_id": configuration, "proofs": {"jwt": [proof]}},
                headers=bearer,
            ),
        ).json()
        self.timed(
            "POST notification",
            lambda: self.client.post(
                meta["notification_endpoint"],
                json={"notification_id": issued["notification_id"], "event": "credential_accepted"},
                headers=bearer,
            ),
        )
        return issued["credentials"][0]["credential"]


def _ms(values: list[float], q: int) -> float:
    if len(values) < 2:
        return values[0] * 1000
    return statistics.quantiles(values, n=100)[q - 1] * 1000


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--claims", type=int, default=100, help="claims per protocol")
    parser.add_argument("--postgres", action="store_true", help="PostgreSQL instead of SQLite")
    args = parser.parse_args()

    data_dir = tempfile.mkdtemp(prefix="plaudit-bench-")
    env = {**os.environ, "PLAUDIT_DATA_DIR": data_dir, "PLAUDIT_LOG_LEVEL": "WARNING"}
    env["PLAUDIT_VERIFY_RATE_LIMIT"] = "100000/second"
    store = "SQLite"
    if args.postgres:
        url = fresh_postgres("plaudit_bench_claims")
        if url is None:
            return
        env["PLAUDIT_DATABASE_URL"], store = url, "PostgreSQL"
        # Only the embedded default makes its own master key in the data folder.
        env["PLAUDIT_MASTER_KEY"] = new_master_key()
    plaudit = [sys.executable, "-m", "plaudit"]
    if args.postgres:
        subprocess.run([*plaudit, "db", "upgrade"], env=env, check=True, capture_output=True)
    demo = subprocess.run([*plaudit, "demo"], env=env, capture_output=True, text=True, check=True)
    token = re.search(r"plaudit_[A-Za-z0-9_\-]+", demo.stdout)
    assert token, demo.stdout
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    env["PLAUDIT_PUBLIC_BASE_URL"] = base
    server = subprocess.Popen(
        [*plaudit, "serve", "--port", str(port)], env=env, stderr=subprocess.DEVNULL
    )
    api = {"Authorization": f"Bearer {token.group(0)}"}
    results: dict[str, tuple[dict[str, list[float]], list[float]]] = {}
    try:
        with httpx.Client(timeout=30) as client:
            deadline = time.monotonic() + 60
            signed: list[str] = []
            while time.monotonic() < deadline and len(signed) < 5:
                try:
                    items = client.get(f"{base}/api/v1/credentials?limit=50", headers=api).json()
                    signed = [
                        i["id"]
                        for i in items["items"]
                        if i.get("status") == "active" and i.get("signed_at")
                    ]
                except (httpx.TransportError, KeyError):
                    pass
                time.sleep(0.3)
            assert signed, "no signed, active credential in the demo within a minute"

            def offer(n: int) -> dict[str, Any]:
                """The credential's open claim, or a new one once a wallet took the last."""
                made = client.post(
                    f"{base}/api/v1/credentials/{signed[n % len(signed)]}/claims",
                    headers={**api, "Idempotency-Key": f"bench-{time.time_ns()}"},
                )
                assert made.status_code == 201, made.text
                return dict(made.json())

            for protocol in ("vcapi", "oid4vci"):
                wallet = Wallet(client)
                totals = []
                for n in range(args.claims):
                    claim = offer(n)
                    calls_before = sum(map(len, wallet.calls.values()))
                    start = time.perf_counter()
                    if protocol == "vcapi":
                        wallet.vcapi(claim["interaction_url"])
                    else:
                        wallet.oid4vci(claim["offer_link"])
                    totals.append(time.perf_counter() - start)
                    assert sum(map(len, wallet.calls.values())) > calls_before
                results[protocol] = (dict(wallet.calls), totals)
    finally:
        server.terminate()
        server.wait(timeout=20)

    names = {"vcapi": "VC API exchange (LCW)", "oid4vci": "OpenID4VCI pre-authorized"}
    print(
        f"Claims, offer to stored ({store}, 1 uvicorn process, {args.claims} claims per protocol)"
    )
    for protocol, (calls, totals) in results.items():
        per_claim = sum(len(v) for v in calls.values()) / len(totals)
        print(f"  {names[protocol]}: {per_claim:.0f} HTTP calls per claim")
        print(f"    whole claim  p50 {_ms(totals, 50):6.1f} ms  p95 {_ms(totals, 95):6.1f} ms")
        for name, values in calls.items():
            print(f"    {name:<34} p50 {_ms(values, 50):6.1f} ms  p95 {_ms(values, 95):6.1f} ms")


if __name__ == "__main__":
    main()
