"""A credential's evidence as its public page tells it: what was done, when, with what result,
in the page's language. (The Open Badges JSON keeps the machine form: event type, time, id.)"""

from __future__ import annotations

import math
import uuid
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any
from urllib.parse import urlsplit

from sqlalchemy import select
from sqlalchemy.orm import Session

from plaudit.models.award import Credential
from plaudit.models.event import Event
from plaudit.templates.localize import format_date, format_number


@dataclass(frozen=True)
class EventFacts:
    """What the page may say of the event that earned a credential."""

    type: str
    entity_type: str | None
    entity_id: str | None
    entity_title: str | None
    data: dict[str, Any]


@dataclass(frozen=True)
class EvidenceItem:
    what: str  # a sentence: "Completed the course “Safety 101”"
    when: datetime | None
    when_text: str | None  # the date as a reader of the page's language writes it
    results: list[str]  # "Score: 85 out of 100", "Passed"
    narrative: str | None
    url: str | None  # an http(s) address only
    link_text: str | None


def event_facts(
    session: Session, *, organization_id: uuid.UUID, credential: Credential
) -> dict[str, EventFacts]:
    """The events the credential's evidence names, by the sender's id (one query)."""
    ids = [str(e["id"]) for e in credential.evidence if e.get("type") == "event" and e.get("id")]
    if not ids:
        return {}
    rows = session.execute(
        select(
            Event.external_id, Event.type, Event.entity_type, Event.entity_id, Event.entity_title
        )
        .add_columns(Event.data)
        .where(Event.organization_id == organization_id, Event.external_id.in_(ids))
    ).all()
    return {
        external_id: EventFacts(type, entity_type, entity_id, title, data or {})
        for external_id, type, entity_type, entity_id, title, data in rows
    }


def _web_address(value: Any) -> str | None:
    if not isinstance(value, str):
        return None
    parts = urlsplit(value)
    return value if parts.scheme in ("http", "https") and parts.netloc else None


def _moment(value: Any) -> datetime | None:
    if not isinstance(value, str):
        return None
    try:
        moment = datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        return None
    return moment if moment.tzinfo is not None else None


def _number(value: Any, lang: str) -> str | None:
    if isinstance(value, bool) or not isinstance(value, int | float) or not math.isfinite(value):
        return None
    return format_number(int(value) if float(value).is_integer() else value, lang)


def _what(
    entry: dict[str, Any], facts: EventFacts | None, fallback: str | None, t: Mapping[str, str]
) -> str:
    event_type = str(entry.get("event_type") or (facts.type if facts else ""))
    title = (facts.entity_title or facts.entity_id if facts else None) or fallback
    key = f"evidence.{event_type}"
    if title and key in t:
        return t[key].format(title=title)
    # A type of the sender's own making, or no title: said in the type's own words.
    words = event_type.replace(".", " ").replace("_", " ").strip() or "-"
    if title:
        return t["evidence.other_titled"].format(event=words, title=title)
    return t["evidence.other"].format(event=words)


def _results(data: Mapping[str, Any], t: Mapping[str, str], lang: str) -> list[str]:
    results = []
    score, most = _number(data.get("score"), lang), _number(data.get("max_score"), lang)
    if score is not None:
        results.append(
            t["evidence.score_of"].format(score=score, max=most)
            if most is not None
            else t["evidence.score"].format(score=score)
        )
    if data.get("passed") is True:
        results.append(t["evidence.passed"])
    elif data.get("passed") is False:
        results.append(t["evidence.not_passed"])
    return results


def describe(
    credential: Credential,
    events: Mapping[str, EventFacts],
    t: Mapping[str, str],
    lang: str,
) -> list[EvidenceItem]:
    items = []
    # The activity the credential records, for an event no longer stored.
    only = len(credential.evidence) == 1
    for entry in credential.evidence:
        if entry.get("type") == "event":
            facts = events.get(str(entry.get("id")))
            when = _moment(entry.get("occurred_at"))
            items.append(
                EvidenceItem(
                    what=_what(entry, facts, credential.activity_title if only else None, t),
                    when=when,
                    when_text=format_date(when.date(), lang) if when else None,
                    results=_results(facts.data, t, lang) if facts else [],
                    narrative=None,
                    url=None,
                    link_text=None,
                )
            )
            continue
        # Given with the award (bulk issuance, the API, an import): its words and its link.
        url = _web_address(entry.get("id"))
        name = entry.get("name") if isinstance(entry.get("name"), str) else None
        narrative = entry.get("narrative") if isinstance(entry.get("narrative"), str) else None
        if not (name or narrative or url):
            continue
        items.append(
            EvidenceItem(
                what=name or narrative or t["evidence.document"],
                when=None,
                when_text=None,
                results=[],
                narrative=narrative if name else None,
                url=url,
                link_text=t["evidence.link"] if url else None,
            )
        )
    return items
