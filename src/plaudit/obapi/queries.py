"""Read the Open Badges API's clients back for the dashboard: who registered, and which learners
let them in."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import and_, case, func, or_, select
from sqlalchemy.orm import Session

from plaudit.api.numbered import NumberedPage, Window, numbered_page
from plaudit.db import utcnow
from plaudit.models.learner import Learner
from plaudit.models.oauth import ObApiClient, ObApiToken
from plaudit.obapi import scopes


@dataclass(frozen=True)
class Consent:
    """A learner's consent to one client, as its tokens tell it: the first one issued, the
    latest (each refresh issues one, so it is when the client last came back), its scopes."""

    client_id: uuid.UUID
    learner: Learner
    scopes: list[str]
    granted_at: datetime
    last_token_at: datetime
    active: bool  # some token (access, or refresh) still works


def clients(
    session: Session, *, organization_id: uuid.UUID, window: Window
) -> NumberedPage[ObApiClient]:
    """The newest first."""
    stmt = (
        select(ObApiClient)
        .where(ObApiClient.organization_id == organization_id)
        .order_by(ObApiClient.created_at.desc(), ObApiClient.id.desc())
    )
    return numbered_page(session, stmt, window)


def client(
    session: Session, *, organization_id: uuid.UUID, client_id: uuid.UUID
) -> ObApiClient | None:
    return session.scalar(
        select(ObApiClient).where(
            ObApiClient.id == client_id, ObApiClient.organization_id == organization_id
        )
    )


def consents(
    session: Session, *, organization_id: uuid.UUID, client_ids: Sequence[uuid.UUID]
) -> dict[uuid.UUID, list[Consent]]:
    """The consents given to each of these clients, working ones first, the latest first."""
    if not client_ids:
        return {}
    now = utcnow()
    working = and_(
        ObApiToken.revoked_at.is_(None),
        or_(ObApiToken.expires_at > now, ObApiToken.refresh_expires_at > now),
    )
    per_pair = (
        select(
            ObApiToken.client_id,
            ObApiToken.learner_id,
            func.min(ObApiToken.created_at).label("first"),
            func.max(ObApiToken.created_at).label("last"),
            func.sum(case((working, 1), else_=0)).label("working"),
        )
        .where(
            ObApiToken.organization_id == organization_id,
            ObApiToken.client_id.in_(list(client_ids)),
        )
        .group_by(ObApiToken.client_id, ObApiToken.learner_id)
        .subquery()
    )
    # The latest token's scope is the consent's (a refresh keeps or narrows it).
    rows = session.execute(
        select(per_pair, ObApiToken.scope, Learner)
        .join(
            ObApiToken,
            and_(
                ObApiToken.client_id == per_pair.c.client_id,
                ObApiToken.learner_id == per_pair.c.learner_id,
                ObApiToken.created_at == per_pair.c.last,
            ),
        )
        .join(Learner, Learner.id == per_pair.c.learner_id)
        .order_by(per_pair.c.last.desc())
    )
    found: dict[uuid.UUID, dict[uuid.UUID, Consent]] = {}
    for client_id, learner_id, first, last, alive, scope, learner in rows:
        found.setdefault(client_id, {}).setdefault(
            learner_id,
            Consent(
                client_id=client_id,
                learner=learner,
                scopes=scopes.as_list(scope),
                granted_at=first,
                last_token_at=last,
                active=bool(alive),
            ),
        )
    return {
        ident: sorted(pairs.values(), key=lambda c: not c.active) for ident, pairs in found.items()
    }
