"""What recipients and verifiers do with a credential, counted per day: no visitor data."""

from __future__ import annotations

import enum
import uuid
from datetime import date

from sqlalchemy import Date, ForeignKey, Index, Integer, String, Uuid
from sqlalchemy.orm import Mapped, mapped_column

from plaudit.db import Base
from plaudit.models._types import OrgFk


class Engagement(enum.StrEnum):
    VIEW = "view"
    DOWNLOAD_JSON = "download_json"
    DOWNLOAD_JWT = "download_jwt"
    DOWNLOAD_PNG = "download_png"
    DOWNLOAD_SVG = "download_svg"
    DOWNLOAD_PDF = "download_pdf"
    LINKEDIN_ADD = "linkedin_add"
    LINKEDIN_SHARE = "linkedin_share"
    VERIFICATION = "verification"
    WALLET = "wallet"  # taken into a wallet app (a claim completed)


class EngagementCount(Base):
    __tablename__ = "engagement_counts"
    __table_args__ = (Index("ix_engagement_counts_org_day", "organization_id", "day"),)

    credential_id: Mapped[uuid.UUID] = mapped_column(
        Uuid, ForeignKey("credentials.id", ondelete="CASCADE"), primary_key=True
    )
    day: Mapped[date] = mapped_column(Date, primary_key=True)
    kind: Mapped[str] = mapped_column(String(32), primary_key=True)
    organization_id: Mapped[OrgFk]
    count: Mapped[int] = mapped_column(Integer, default=0)
