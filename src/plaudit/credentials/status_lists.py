"""The organization's two status lists in storage: index allocation and bit flips.

Both lists are created lazily and locked (SELECT ... FOR UPDATE, always in the same order)
while an index is taken or a bit flips, so concurrent signers and revokers serialise on them.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterable

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from plaudit.errors import Conflict
from plaudit.models.award import Credential, CredentialStatus
from plaudit.models.status_list import StatusList, StatusPurpose
from plaudit.openbadges import statuslist


class StatusListFull(Conflict):
    pass


def list_url(base_url: str, slug: str, purpose: StatusPurpose) -> str:
    return f"{base_url}/status/{slug}/{purpose.value}"


def _locked(session: Session, organization_id: uuid.UUID) -> dict[StatusPurpose, StatusList]:
    rows = session.scalars(
        select(StatusList)
        .where(StatusList.organization_id == organization_id)
        .order_by(StatusList.purpose)
        .with_for_update()
    )
    return {row.purpose: row for row in rows}


def lists(session: Session, *, organization_id: uuid.UUID) -> dict[StatusPurpose, StatusList]:
    """Both lists of the organization, created if missing, locked until the transaction ends."""
    found = _locked(session, organization_id)
    missing = [purpose for purpose in StatusPurpose if purpose not in found]
    if not missing:
        return found
    for purpose in missing:
        try:
            with session.begin_nested():
                session.add(
                    StatusList(
                        organization_id=organization_id,
                        purpose=purpose,
                        next_index=0,
                        bits=bytes(statuslist.empty()),
                        version=1,
                    )
                )
        except IntegrityError:
            pass  # a concurrent transaction created it first; it is read below
    return _locked(session, organization_id)


def allocate(session: Session, *, organization_id: uuid.UUID) -> int:
    """The next free index; one index serves the revocation and the suspension list alike.

    Indices are handed out in order. The spec suggests random allocation so that an index
    does not reveal when a credential was issued; sequential is simpler and what we ship now.
    """
    found = lists(session, organization_id=organization_id)
    index = found[StatusPurpose.REVOCATION].next_index
    if index >= statuslist.LIST_SIZE:
        # Future work: open a second pair of lists (a list number in the URL) when one fills.
        raise StatusListFull(
            f"This organization's status lists are full ({statuslist.LIST_SIZE} credentials); "
            "a further list is not supported yet."
        )
    for status_list in found.values():
        status_list.next_index = index + 1
    return index


def allocate_many(session: Session, *, organization_id: uuid.UUID, count: int) -> range:
    """``count`` consecutive free indices, the lists locked once (see ``allocate``)."""
    found = lists(session, organization_id=organization_id)
    start = found[StatusPurpose.REVOCATION].next_index
    if start + count > statuslist.LIST_SIZE:
        raise StatusListFull(
            f"This organization's status lists are full ({statuslist.LIST_SIZE} credentials); "
            "a further list is not supported yet."
        )
    for status_list in found.values():
        status_list.next_index = start + count
    return range(start, start + count)


def apply(
    session: Session, *, organization_id: uuid.UUID, credentials: Iterable[Credential]
) -> bool:
    """Set each indexed credential's bits from its status; True when a list changed.

    Credentials without an index are skipped: the signer applies their status when it
    allocates one.
    """
    indexed = [c for c in credentials if c.status_index is not None]
    if not indexed:
        return False
    found = lists(session, organization_id=organization_id)
    changed = False
    for purpose, status_list in found.items():
        bits = bytearray(status_list.bits)
        wanted = (
            CredentialStatus.REVOKED
            if purpose is StatusPurpose.REVOCATION
            else CredentialStatus.SUSPENDED
        )
        flipped = False
        for credential in indexed:
            assert credential.status_index is not None
            value = credential.status is wanted
            if statuslist.get(bits, credential.status_index) != value:
                statuslist.set_bit(bits, credential.status_index, value)
                flipped = True
        if flipped:
            status_list.bits = bytes(bits)
            status_list.version += 1
            changed = True
    session.flush()
    return changed
