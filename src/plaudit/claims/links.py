"""Where a claim is reached: one definition for the page, the wallets' protocols and the emails.

The interaction URL is the one thing a learner carries (as a QR code or a link): a browser
gets the claim page there, a wallet the protocols it can use (VC API exchange, OpenID4VCI).
"""

from __future__ import annotations

import json
from urllib.parse import quote, urlencode

from plaudit.claims import tokens
from plaudit.models.claim import Claim
from plaudit.vault import Vault

# The Learner Credential Wallet's deep link (the DCC's "request" link, which LCW opens).
LCW_REQUEST = "https://lcw.app/request.html"


def token(vault: Vault, claim: Claim) -> str:
    return tokens.token_for(vault, claim.id, purpose=tokens.INTERACTION)


def interaction_url(base_url: str, vault: Vault, claim: Claim) -> str:
    """The claim's one address; `iuv=1` tells a wallet it is an interaction URL (DCC)."""
    return f"{base_url}/claims/{token(vault, claim)}?iuv=1"


def exchange_url(base_url: str, vault: Vault, claim: Claim) -> str:
    """The VC API exchange a wallet posts to (VCALM: DID authentication, then the credential)."""
    return f"{base_url}/claims/{token(vault, claim)}/exchange"


def request_url(base_url: str, vault: Vault, claim: Claim) -> str:
    """The older LCW flow's vc_request_url: a DID-auth presentation in, the credential out."""
    return f"{base_url}/claims/{token(vault, claim)}/request"


def lcw_link(base_url: str, vault: Vault, claim: Claim) -> str:
    """'Open in Learner Credential Wallet': the DCC request link in its bearer form."""
    query = urlencode(
        {
            "issuer": base_url,
            "auth_type": "bearer",
            "challenge": tokens.challenge(vault, claim.id),
            "vc_request_url": request_url(base_url, vault, claim),
        }
    )
    return f"{LCW_REQUEST}?{query}"


def credential_issuer(base_url: str, organization_slug: str) -> str:
    """The OpenID4VCI Credential Issuer Identifier: one per organization."""
    return f"{base_url}/orgs/{organization_slug}"


def offer_uri(base_url: str, vault: Vault, claim: Claim) -> str:
    """Where the OpenID4VCI credential offer is served (credential_offer_uri)."""
    return f"{base_url}/claims/{token(vault, claim)}/offer"


def offer_link(base_url: str, vault: Vault, claim: Claim) -> str:
    """'Open in my wallet': the credential offer by reference, as OpenID4VCI wallets scan it."""
    return "openid-credential-offer://?" + urlencode(
        {"credential_offer_uri": offer_uri(base_url, vault, claim)}
    )


def protocols(base_url: str, vault: Vault, claim: Claim) -> dict[str, str]:
    """What the interaction URL answers a wallet (the DCC/VCALM `protocols` object)."""
    return {
        "vcapi": exchange_url(base_url, vault, claim),
        "OID4VCI": offer_link(base_url, vault, claim),
    }


def lcw_protocols_link(base_url: str, vault: Vault, claim: Claim) -> str:
    """LCW's newer deep link: the protocols object itself as the `request` parameter."""
    request = json.dumps({"protocols": protocols(base_url, vault, claim)}, separators=(",", ":"))
    return f"{LCW_REQUEST}?request={quote(request)}"
