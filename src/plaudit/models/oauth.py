"""The Open Badges 3.0 API's OAuth 2.0 records: registered clients, authorization codes, tokens;
and what a learner's profile holds beyond the learner's own columns."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

from sqlalchemy import ForeignKey, Index, String, Text, Uuid
from sqlalchemy.orm import Mapped, mapped_column

from plaudit.db import Base, UTCDateTime
from plaudit.models._types import CreatedAt, IdPk, JSONType, OrgFk, UpdatedAt


class ObApiClient(Base):
    """A client registered with an organization (RFC 7591). Its secret is stored hashed, and
    only confidential clients have one; public clients rely on PKCE alone."""

    __tablename__ = "obapi_clients"

    id: Mapped[IdPk]
    organization_id: Mapped[OrgFk]
    client_id: Mapped[str] = mapped_column(String(64), unique=True)
    secret_hash: Mapped[str | None] = mapped_column(String(64))
    # client_secret_basic, or none (a public client).
    auth_method: Mapped[str] = mapped_column(String(32))
    name: Mapped[str] = mapped_column(String(200))
    redirect_uris: Mapped[list[str]] = mapped_column(JSONType)
    grant_types: Mapped[list[str]] = mapped_column(JSONType)
    # Space-separated, as OAuth writes scopes.
    scope: Mapped[str] = mapped_column(Text)
    # The metadata as registered and answered (client_uri, logo_uri, software_id, ...).
    registration: Mapped[dict[str, Any]] = mapped_column(JSONType, default=dict)
    # Approved by an administrator to read every learner's credentials (client_credentials
    # grant, credential.readonly only): when, and by whom (their email). None: not approved.
    organization_wide_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    organization_wide_by: Mapped[str | None] = mapped_column(String(320))
    created_at: Mapped[CreatedAt]
    updated_at: Mapped[UpdatedAt]


class ObApiCode(Base):
    """An authorization code: the learner's consent, exchanged once for tokens. Its id names the
    grant that every token bought with it (and their refreshed successors) belongs to, so that a
    replayed code or refresh token revokes all of them."""

    __tablename__ = "obapi_codes"

    id: Mapped[IdPk]
    organization_id: Mapped[OrgFk]
    client_id: Mapped[uuid.UUID] = mapped_column(
        Uuid, ForeignKey("obapi_clients.id", ondelete="CASCADE"), index=True
    )
    learner_id: Mapped[uuid.UUID] = mapped_column(
        Uuid, ForeignKey("learners.id", ondelete="CASCADE"), index=True
    )
    code_hash: Mapped[str] = mapped_column(String(64), unique=True)
    # As sent in the authorization request (None when it was left out): the token request
    # must repeat it.
    redirect_uri: Mapped[str | None] = mapped_column(String(2048))
    scope: Mapped[str] = mapped_column(Text)
    code_challenge: Mapped[str] = mapped_column(String(128))
    code_challenge_method: Mapped[str] = mapped_column(String(8))
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime)
    # Set by the one exchange that wins (a conditional UPDATE).
    used_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    created_at: Mapped[CreatedAt]


class ObApiToken(Base):
    """An access token and its refresh token, both stored hashed. Refreshing rotates: the row
    is marked rotated and revoked, and a new row carries the new pair. A token without a
    learner is an organization-wide client's (client_credentials: no refresh token)."""

    __tablename__ = "obapi_tokens"
    __table_args__ = (Index("ix_obapi_tokens_grant", "grant_id"),)

    id: Mapped[IdPk]
    organization_id: Mapped[OrgFk]
    client_id: Mapped[uuid.UUID] = mapped_column(
        Uuid, ForeignKey("obapi_clients.id", ondelete="CASCADE"), index=True
    )
    learner_id: Mapped[uuid.UUID | None] = mapped_column(
        Uuid, ForeignKey("learners.id", ondelete="CASCADE"), index=True
    )
    # The authorization code the family of tokens descends from (ObApiCode.id); no foreign key,
    # so that old codes can be purged without touching the tokens.
    grant_id: Mapped[uuid.UUID] = mapped_column(Uuid)
    access_token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    refresh_token_hash: Mapped[str | None] = mapped_column(String(64), unique=True)
    scope: Mapped[str] = mapped_column(Text)
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime)
    refresh_expires_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    revoked_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    # Its refresh token was exchanged (once: a conditional UPDATE); using it again is a replay.
    rotated_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    created_at: Mapped[CreatedAt]


class ObApiProfile(Base):
    """The properties of a learner's Open Badges Profile that Plaudit has no column for (phone,
    address, ...), as the learner's client last put them. Names and email stay the learner's."""

    __tablename__ = "obapi_profiles"

    learner_id: Mapped[uuid.UUID] = mapped_column(
        Uuid, ForeignKey("learners.id", ondelete="CASCADE"), primary_key=True
    )
    organization_id: Mapped[OrgFk]
    properties: Mapped[dict[str, Any]] = mapped_column(JSONType, default=dict)
    created_at: Mapped[CreatedAt]
    updated_at: Mapped[UpdatedAt]
