"""Dashboard: the overview (how the program is doing at a glance, over the last 7/30/90 days)."""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import Response

from plaudit.admin import charts
from plaudit.admin.web import ADMIN, Viewer, render
from plaudit.analytics import service as analytics
from plaudit.analytics.periods import PERIODS, period_of
from plaudit.api.deps import SessionDep
from plaudit.api.routing import UnitOfWorkRoute
from plaudit.db import utcnow

router = APIRouter(prefix=ADMIN, include_in_schema=False, route_class=UnitOfWorkRoute)


def percent(rate: float | None) -> str:
    """A rate as a whole percentage ("—" when there is nothing to divide by)."""
    return "—" if rate is None else f"{rate * 100:.0f}%"


def ratio(rate: float | None) -> str:
    return "—" if rate is None else f"{rate:.1f}"


def plural(count: int, one: str, many: str | None = None) -> str:
    """The noun that goes with ``count``: "1 credential", "3 credentials"."""
    return one if count == 1 else (many or one + "s")


def _engagement_noun(group: str, count: int) -> str:
    """ "1 view", "2 LinkedIn clicks": the engagement groups' names as counted nouns."""
    if group == "LinkedIn":
        return plural(count, "LinkedIn click")
    return plural(count, group.lower().removesuffix("s"), group.lower())


def _charts(data: analytics.Overview) -> dict[str, charts.Chart]:
    span = data.period
    dates = span.dates
    first, last = charts.day_label(span.first_day), charts.day_label(span.last_day)
    busiest = max(data.issued_per_day, default=0)
    issued = charts.line_chart(
        dates,
        [charts.Series("issued", data.issued_per_day)],
        ident="chart-issued",
        title=f"Credentials issued per day, {first} to {last}",
        description=(
            f"{data.issued} {plural(data.issued, 'credential')} issued in the last "
            f"{span.days} days; at most {busiest} on one day."
        ),
        y_label="Credentials",
    )
    by_template = charts.bar_chart(
        [(t.name, t.count) for t in data.by_template],
        ident="chart-templates",
        title="Credentials issued by template",
        description=(
            f"{len(data.by_template)} {plural(len(data.by_template), 'template')} issued "
            f"in the last {span.days} days, the most issued first."
            if data.by_template
            else "No credentials issued in this period."
        ),
        value_label="Issued",
        item_label="Template",
    )
    engagement = charts.line_chart(
        dates,
        [charts.Series(name, values) for name, values in data.engagement_per_day.items()],
        ident="chart-engagement",
        title=f"Engagement per day with all credentials, {first} to {last}",
        description=", ".join(
            f"{sum(values)} {_engagement_noun(name, sum(values))}"
            for name, values in data.engagement_per_day.items()
        )
        + f" in the last {span.days} days.",
        y_label="Actions",
        area=False,
    )
    return {"issued": issued, "by_template": by_template, "engagement": engagement}


@router.get("")
@router.get("/")
def overview(request: Request, admin: Viewer, session: SessionDep) -> Response:
    days = period_of(request.query_params.get("days"))
    data = analytics.overview(session, admin.organization_id, days=days, now=utcnow())
    return render(
        request,
        admin,
        "admin/overview.html",
        {
            "o": data,
            "days": days,
            "periods": PERIODS,
            "charts": _charts(data),
            "percent": percent,
            "ratio": ratio,
            "plural": plural,
        },
        section="overview",
    )
