"""A program at a glance: the overview's figures for one organization over a period of days.

Every figure is aggregated in SQL (``analytics.queries``, whose docstring defines them) and
bounded by the organization and the period, so the overview costs the same for ten credentials
as for a million.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy.orm import Session

from plaudit.analytics import queries
from plaudit.analytics.periods import Period, period
from plaudit.analytics.queries import (
    Engaged,
    Expiring,
    FailedDelivery,
    TemplateCount,
    Totals,
    Unawarded,
)


@dataclass(frozen=True)
class Overview:
    period: Period
    issued_per_day: list[int]
    by_template: list[TemplateCount]
    engaged: Engaged
    engagement_per_day: dict[str, list[int]]
    expiring_count: int
    expiring: list[Expiring]
    failed_count: int
    failed: list[FailedDelivery]
    unawarded_count: int
    unawarded: list[Unawarded]
    totals: Totals

    @property
    def issued(self) -> int:
        return sum(self.issued_per_day)


def overview(session: Session, organization_id: uuid.UUID, *, days: int, now: datetime) -> Overview:
    span = period(days, now=now)
    expiring_count, expiring = queries.expiring_soon(session, organization_id, now=now)
    failed_count, failed = queries.failed_deliveries(session, organization_id, span)
    unawarded_count, unawarded = queries.events_without_award(session, organization_id, span)
    per_day = queries.issued_per_day(session, organization_id, span)
    return Overview(
        period=span,
        issued_per_day=per_day,
        by_template=queries.issued_by_template(session, organization_id, span),
        engaged=queries.engagement(session, organization_id, span, issued=sum(per_day)),
        engagement_per_day=queries.engagement_per_day(session, organization_id, span),
        expiring_count=expiring_count,
        expiring=expiring,
        failed_count=failed_count,
        failed=failed,
        unawarded_count=unawarded_count,
        unawarded=unawarded,
        totals=queries.totals(session, organization_id, now=now),
    )
