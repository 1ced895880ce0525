"""Hand a claimed credential to a wallet, the same way whichever protocol asked for it."""

from __future__ import annotations

from typing import Any, Final

from sqlalchemy.orm import Session

from plaudit.claims import service as claims
from plaudit.credentials import issuance
from plaudit.engagement import counter as engagement
from plaudit.models.claim import Claim, WalletNotice
from plaudit.models.engagement import Engagement
from plaudit.runtime import Runtime
from plaudit.webhooks import service as webhooks

VCAPI: Final = "vcapi"
LCW_REQUEST: Final = "lcw-request"
OID4VCI: Final = "oid4vci"


def deliver(
    session: Session,
    runtime: Runtime,
    claim: Claim,
    *,
    holder: str | None,
    protocol: str,
    wallet: str | None,
    proof_format: str = "eddsa-rdfc-2022",
) -> tuple[dict[str, Any] | str, str]:
    """The credential for the wallet (bound to `holder`, the DID it proved, when it proved
    one) and the claim's notification id. The claim is used from now on; a credential that
    cannot be claimed (revoked, expired claim, used claim) raises ClaimRefused. All in the
    caller's transaction: if anything fails, the claim stays open."""
    credential = claims.claimable(session, claim)
    notification_id = claims.complete(
        session, claim, protocol=protocol, wallet=wallet, holder=holder
    )
    document = issuance.holder_bound(
        session, runtime, credential=credential, holder=holder, proof_format=proof_format
    )
    engagement.add(
        session,
        organization_id=credential.organization_id,
        credential_id=credential.id,
        kind=Engagement.WALLET,
    )
    webhooks.emit(
        session,
        organization_id=credential.organization_id,
        kind="credential.claimed",
        data={
            "credential_id": str(credential.id),
            "public_id": credential.public_id,
            "protocol": protocol,
            "wallet": wallet,
            "holder": holder,
        },
        occurrence=f"{claim.id}:claimed",
        credential_id=credential.id,
    )
    return document, notification_id


def notice(session: Session, claim: Claim, *, notification_id: str, event: WalletNotice) -> None:
    """Record what a wallet said it did with the credential, and tell the webhooks."""
    claims.record_notice(session, claim, notification_id=notification_id, event=event)
    webhooks.emit(
        session,
        organization_id=claim.organization_id,
        kind="credential.wallet_event",
        data={"credential_id": str(claim.credential_id), "event": event.value},
        occurrence=f"{claim.id}:{event.value}",
        credential_id=claim.credential_id,
    )
