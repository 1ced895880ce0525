"""The typed snapshot: what publishing froze reads back as sent, and old rows still read."""

from __future__ import annotations

import io
import uuid
from datetime import UTC, date, datetime
from typing import Any

from fastapi.testclient import TestClient
from PIL import Image
from sqlalchemy import select

from plaudit.apikeys import service as apikeys
from plaudit.db import unit_of_work
from plaudit.models.apikey import Scope
from plaudit.models.template import TemplateKind, TemplateVersion
from plaudit.organizations import service as organizations
from plaudit.organizations.schemas import OrganizationCreate
from plaudit.runtime import Runtime
from plaudit.templates import service as templates
from plaudit.templates.layout import CertificateLayout
from plaudit.templates.snapshot import DEFAULT_REMINDER_DAYS, Snapshot, snapshot_of

ALIGNMENTS = [
    {
        "name": "Teamwork",
        "url": "https://skills.example/teamwork",
        "framework": "ESCO",
        "code": "T1",
        "description": "Works well with others.",
    },
    {"name": "Safety", "url": "https://skills.example/safety"},
]

BADGE: dict[str, Any] = {
    "kind": "badge",
    "name": "Onboarding Completer",
    "description": "Awarded for completing the onboarding path.",
    "criteria": {"narrative": "Finish every course.", "url": "https://academy.example/onboarding"},
    "achievement_type": "ext:Workshop",
    "language": "de",
    "translations": [
        {
            "lang": "it",
            "name": "Completamento",
            "description": "Assegnato al completamento.",
            "criteria": "Completa ogni corso.",
        },
        {"lang": "fr", "name": "Achèvement"},
    ],
    "alignments": ALIGNMENTS,
    "tags": [{"name": "path", "priority": 5}, {"name": "Onboarding", "priority": -2}],
    "expiry": {"type": "duration", "duration": "P1Y6M", "reminder_days": [14, 60]},
    "metadata": {"credits": 3, "level": "intro", "nested": {"a": [1, 2]}},
}

CERTIFICATE: dict[str, Any] = {
    "kind": "certificate",
    "name": "Safety Course",
    "description": "",
    "criteria": {"narrative": "Pass the exam."},
    "achievement_type": "Certificate",
    "language": "en",
    "translations": [{"lang": "es", "name": "Curso de seguridad", "description": "Aprobado."}],
    "alignments": ALIGNMENTS[1:],
    "tags": [{"name": "safety"}],
    "expiry": {"type": "fixed_date", "date": "2031-12-31", "reminder_days": [30]},
    "fields": [
        {"name": "recipient_name", "label": "Name", "type": "text", "required": True},
        {"name": "completed", "label": "Completed on", "type": "date"},
        {"name": "score", "label": "Score", "type": "number", "default": "100"},
        {"name": "portfolio", "label": "Portfolio", "type": "url"},
        {"name": "contact", "label": "Contact", "type": "email", "required": False},
    ],
    "layout": {
        "paper": "letter",
        "orientation": "portrait",
        "accent_color": "#AA3300",
        "title": "Certificate of Safety",
        "intro": "We certify that",
        "show_fields": ["score", "recipient_name"],
        "signatory_name": "Grace Hopper",
        "signatory_title": "Director",
        "show_qr": False,
        "show_badge_image": False,
    },
    "metadata": {"hours": 12},
}


def _png(color: tuple[int, int, int]) -> bytes:
    buffer = io.BytesIO()
    Image.new("RGB", (64, 64), color).save(buffer, format="PNG")
    return buffer.getvalue()


def _headers(runtime: Runtime) -> dict[str, str]:
    with unit_of_work(runtime.sessions) as session:
        org = organizations.create(
            session,
            data=OrganizationCreate(name="Snapshot Academy", slug=f"org-{uuid.uuid4().hex[:10]}"),
        )
        _key, token = apikeys.create(
            session, organization_id=org.id, name="test", scopes=[Scope.ADMIN]
        )
    return {"Authorization": f"Bearer {token}"}


def _upload(client: TestClient, headers: dict[str, str], path: str) -> dict[str, Any]:
    response = client.put(
        path, files={"image": ("i.png", _png((30, 120, 200)), "image/png")}, headers=headers
    )
    assert response.status_code == 200, response.text
    return dict(response.json())


def _publish(client: TestClient, runtime: Runtime, body: dict[str, Any]) -> tuple[Any, ...]:
    """Create, give images, publish: the template as the API last showed it, and its version."""
    headers = _headers(runtime)
    response = client.post("/api/v1/templates", json=body, headers=headers)
    assert response.status_code == 201, response.text
    base = f"/api/v1/templates/{response.json()['id']}"
    if body["kind"] == "certificate":
        _upload(client, headers, f"{base}/layout/background")
        _upload(client, headers, f"{base}/layout/signature")
    shown = _upload(client, headers, f"{base}/image")
    response = client.post(f"{base}/publish", headers=headers)
    assert response.status_code == 200, response.text
    with unit_of_work(runtime.sessions) as session:
        version = session.scalars(
            select(TemplateVersion).where(TemplateVersion.template_id == uuid.UUID(shown["id"]))
        ).one()
        session.expunge(version)
    return shown, version


def _image_id(url: str) -> uuid.UUID:
    return uuid.UUID(url.split("/files/images/")[1].split("/")[0])


def _assert_reads_as_sent(sent: dict[str, Any], shown: dict[str, Any], read: Snapshot) -> None:
    assert read.kind is TemplateKind(sent["kind"])
    assert read.name == sent["name"]
    assert read.description == sent["description"]
    assert read.criteria.narrative == sent["criteria"]["narrative"]
    assert read.criteria.url == sent["criteria"].get("url")
    assert read.achievement_type == sent["achievement_type"]
    assert read.language == sent["language"]
    assert [t.model_dump(exclude_none=True) for t in read.translations] == [
        {"description": "", **t} for t in sent["translations"]
    ]
    assert [a.as_json() for a in read.alignments] == sent["alignments"]
    # Frozen in display order: lower priority first.
    expected_tags = sorted(
        ({"priority": 0, **t} for t in sent["tags"]),
        key=lambda t: (t["priority"], t["name"].lower()),
    )
    assert [t.model_dump() for t in read.tags] == expected_tags
    expiry = sent["expiry"]
    assert read.expiry.type == expiry["type"]
    assert read.expiry.duration == expiry.get("duration")
    assert read.expiry.date == (date.fromisoformat(expiry["date"]) if "date" in expiry else None)
    assert read.expiry.reminder_days == tuple(expiry["reminder_days"])
    assert read.expiry.reminders == tuple(sorted(expiry["reminder_days"], reverse=True))
    defaults = {"type": "text", "required": False, "default": None}
    assert [f.model_dump() for f in read.fields] == [
        {**defaults, **f} for f in sent.get("fields", [])
    ]
    assert read.metadata == sent["metadata"]
    assert read.image_id == _image_id(shown["image"]["standard"])


def test_a_published_badge_reads_back_as_sent(client: TestClient, runtime: Runtime) -> None:
    shown, version = _publish(client, runtime, BADGE)
    read = snapshot_of(version)
    _assert_reads_as_sent(BADGE, shown, read)
    assert not read.certificate
    assert read.languages == ["de", "it", "fr"]
    assert read.layout == CertificateLayout()  # badges store {}
    # The model and the stored JSON name the same keys: nothing is written that is not read.
    assert set(version.snapshot) == set(Snapshot.model_fields)
    issued = datetime(2030, 1, 31, 12, tzinfo=UTC)
    assert read.expiry.ends(issued_at=issued) == datetime(2031, 7, 31, 12, tzinfo=UTC)


def test_a_published_certificate_reads_back_as_sent(client: TestClient, runtime: Runtime) -> None:
    shown, version = _publish(client, runtime, CERTIFICATE)
    read = snapshot_of(version)
    _assert_reads_as_sent(CERTIFICATE, shown, read)
    assert read.certificate
    layout = CERTIFICATE["layout"]
    assert read.layout.model_dump(
        mode="json", exclude={"background_image_id", "signature_image_id"}
    ) == {**layout}
    assert read.layout.background_image_id == uuid.UUID(shown["layout"]["background_image_id"])
    assert read.layout.signature_image_id == uuid.UUID(shown["layout"]["signature_image_id"])
    assert set(version.snapshot) == set(Snapshot.model_fields)
    assert read.expiry.ends(issued_at=datetime(2030, 1, 1, tzinfo=UTC)) == datetime(
        2031, 12, 31, 23, 59, 59, tzinfo=UTC
    )
    local = templates.localized(read, wanted=["es-MX"])
    assert local == {
        "lang": "es",
        "name": "Curso de seguridad",
        "description": "Aprobado.",
        "criteria": "Pass the exam.",  # the translation has none: the main language's
    }


def test_an_old_snapshot_reads_with_the_documented_defaults() -> None:
    read = Snapshot.read({"name": "Old Badge"})
    assert read.kind is TemplateKind.BADGE
    assert not read.certificate
    assert read.description == ""
    assert (read.criteria.narrative, read.criteria.url) == (None, None)
    assert read.achievement_type == "Badge"
    assert read.language == "en"
    assert read.languages == ["en"]
    assert (read.translations, read.alignments, read.tags, read.fields) == ((), (), (), ())
    assert read.expiry.type == "none"
    assert read.expiry.ends(issued_at=datetime(2030, 1, 1, tzinfo=UTC)) is None
    assert read.expiry.reminders == DEFAULT_REMINDER_DAYS
    assert read.layout == CertificateLayout()
    assert read.metadata == {}
    assert read.image_id is None
    assert templates.localized(read, wanted=["fr"]) == {
        "lang": "en",
        "name": "Old Badge",
        "description": "",
        "criteria": None,
    }


def test_an_old_snapshot_tolerates_what_earlier_versions_stored() -> None:
    read = Snapshot.read(
        {
            "kind": "certificate",
            "name": "Old Certificate",
            "description": None,
            "criteria": {"narrative": "Attend."},
            "translations": [{"lang": "fr", "name": "Ancien"}],
            "expiry": {"type": "duration", "duration": "P1Y", "reminder_days": []},
            "fields": [{"name": "score", "label": "Score"}],
            # A layout from before layouts were validated: printed with the default one.
            "layout": {"paper": "a3", "accent_color": "red"},
            "written_by_a_later_plaudit": True,
        }
    )
    assert read.certificate
    assert read.description == ""
    assert read.translations[0].description == ""
    assert read.translations[0].criteria is None
    assert read.expiry.reminders == ()  # an empty list means no reminders, not the default
    assert read.fields[0].type == "text"
    assert read.fields[0].required is False
    assert read.fields[0].default is None
    assert read.layout == CertificateLayout()
