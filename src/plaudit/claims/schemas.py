"""A claim as the API shows it: where a wallet takes the credential, and what became of it."""

from __future__ import annotations

import uuid
from datetime import datetime

from pydantic import BaseModel, Field

from plaudit.models.claim import ClaimStatus, WalletNotice


class ClaimOut(BaseModel):
    id: uuid.UUID
    credential_id: uuid.UUID
    status: ClaimStatus = Field(description="open, claimed (taken by a wallet) or revoked.")
    expires_at: datetime
    interaction_url: str = Field(
        description="The claim's one address: show it as a QR code. A browser gets the claim "
        "page, a wallet the protocols it can use (docs/wallets.md)."
    )
    offer_uri: str = Field(description="The OpenID4VCI credential offer (credential_offer_uri).")
    offer_link: str = Field(description="openid-credential-offer:// link for OpenID4VCI wallets.")
    lcw_link: str = Field(description="Opens the Learner Credential Wallet on this claim.")
    tx_code: str | None = Field(
        description="The transaction code an OpenID4VCI wallet asks for (PLAUDIT_CLAIM_TX_CODE)."
    )
    claimed_at: datetime | None
    protocol: str | None = Field(description="How a wallet took it: vcapi, lcw-request, oid4vci.")
    wallet: str | None = Field(description="The wallet, as it named itself.")
    holder: str | None = Field(description="The DID the credential was bound to.")
    notice: WalletNotice | None = Field(
        description="What an OpenID4VCI wallet reported: accepted, deleted or failure."
    )
    noticed_at: datetime | None
    created_at: datetime
