"""What a credential's public page shows, gathered from its records and a live verification."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime
from urllib.parse import quote, urlencode

from sqlalchemy import select
from sqlalchemy.orm import Session

from plaudit.credentials.recipient import recipient_name
from plaudit.db import utcnow
from plaudit.models.award import Credential, CredentialStatus
from plaudit.models.organization import Organization
from plaudit.models.template import TemplateVersion
from plaudit.openbadges.report import Check, Report, Verdict
from plaudit.pages import evidence as evidence_words
from plaudit.pages import linkedin
from plaudit.templates import service as templates
from plaudit.templates.localize import direction
from plaudit.templates.snapshot import snapshot_of
from plaudit.templates.words import messages
from plaudit.verification import fetch
from plaudit.verification import service as verification

# Display names of the languages a template may be translated into (their own names).
LANGUAGE_NAMES = {
    "en": "English",
    "fr": "Français",
    "de": "Deutsch",
    "es": "Español",
    "it": "Italiano",
    "pt": "Português",
    "nl": "Nederlands",
    "pl": "Polski",
    "ru": "Русский",
    "uk": "Українська",
    "el": "Ελληνικά",
    "ar": "العربية",
    "he": "עברית",
    "tr": "Türkçe",
    "zh": "中文",
    "ja": "日本語",
    "ko": "한국어",
    "hi": "हिन्दी",
}

# A verification takes milliseconds of CPU; a popular page is viewed far more often than its
# credential changes. Reports are kept per credential version (any change to the record, such
# as a revocation, changes `updated_at`) for a minute, so expiry is seen within a minute too.
_reports = fetch.KeyCache(ttl_seconds=60, max_entries=10_000)

# The states a visitor may put on LinkedIn. A revoked, suspended, expired or failing credential
# would sit on a profile as a qualification its issuer no longer vouches for, long after the
# page said otherwise (LinkedIn keeps its own copy of the name and dates).
SHAREABLE = frozenset({"valid", "imported"})


@dataclass(frozen=True)
class Language:
    tag: str
    name: str
    href: str
    current: bool


@dataclass(frozen=True)
class Download:
    key: str
    label: str
    href: str
    filename: str


@dataclass(frozen=True)
class CredentialPage:
    public_id: str
    lang: str
    dir: str
    t: dict[str, str]
    languages: list[Language]
    state: str  # valid, expired, suspended, revoked, pending, invalid or imported
    detail: str
    reason: str | None
    kind: str
    name: str
    description: str
    criteria: str | None
    criteria_url: str | None
    image_url: str | None
    recipient_name: str
    issuer_name: str
    issuer_url: str | None
    issuer_logo: str | None
    issued: datetime
    expires: datetime | None
    alignments: list[dict[str, str]]
    tags: list[str]
    evidence: list[evidence_words.EvidenceItem]
    fields: list[tuple[str, str]]
    checks: list[Check]
    page_url: str
    json_url: str
    downloads: list[Download]
    linkedin_add: str | None  # None in a state that must not be put on LinkedIn
    linkedin_share: str | None
    private: bool = False
    # Imported from another issuer (plaudit.imports): who issued it, what was verified.
    imported: bool = False
    imported_note: str | None = None


@dataclass(frozen=True)
class Loaded:
    credential: Credential
    organization: Organization
    version: TemplateVersion
    # The events its evidence names, by the sender's id (their titles and results); left
    # empty where the evidence is not shown (the wallet's list).
    events: Mapping[str, evidence_words.EventFacts] = field(default_factory=dict)


def load(session: Session, public_id: str) -> Loaded | None:
    row = session.execute(
        select(Credential, Organization, TemplateVersion)
        .join(Organization, Organization.id == Credential.organization_id)
        .join(TemplateVersion, TemplateVersion.id == Credential.template_version_id)
        .where(Credential.public_id == public_id)
    ).one_or_none()
    if row is None:
        return None
    credential, organization, version = row
    events = evidence_words.event_facts(
        session, organization_id=organization.id, credential=credential
    )
    return Loaded(credential, organization, version, events)


def report_for(session: Session, base_url: str, credential: Credential) -> Report | None:
    if credential.document is None:
        return None
    key = f"{credential.id}:{credential.updated_at.isoformat()}"
    cached = _reports.get(key)
    if isinstance(cached, Report):
        return cached
    report = verification.verify(session, base_url=base_url, data=credential.document)
    _reports.put(key, report)
    return report


def _state(credential: Credential, report: Report | None, now: datetime) -> str:
    if credential.status is CredentialStatus.REVOKED:
        return "revoked"
    if credential.status is CredentialStatus.SUSPENDED:
        return "suspended"
    if credential.expires_at is not None and credential.expires_at <= now:
        return "expired"
    if credential.imported:
        # Never signed here, so never "valid" in our words: the page says what was found.
        return "imported"
    if report is None:
        # The wallet lists many credentials from the records, without verifying each one.
        return "pending" if credential.document is None else "valid"
    return "valid" if report.valid else "invalid"


@dataclass(frozen=True)
class ImportedFacts:
    issuer_name: str | None
    who: str
    verification: str
    checks: list[Check]


def imported_facts(
    credential: Credential, organization: Organization, t: dict[str, str]
) -> ImportedFacts:
    """What an imported credential's page says: its original issuer, and what its import
    verified (recorded then; another issuer's credential is not re-verified on every view)."""
    details = credential.import_details or {}
    issuer = details.get("issuer") or {}
    name = issuer.get("name") or issuer.get("id")
    who = (
        t["imported_detail"].format(issuer=name, organization=organization.name)
        if name
        else t["imported_detail_unknown"].format(organization=organization.name)
    )
    checked = details.get("verification") or {}
    if checked.get("verified"):
        verification = t["imported_verified"].format(date=str(checked.get("checked_at", ""))[:10])
    else:
        verification = t["imported_unverified"].format(reason=checked.get("reason") or "-")
    checks = [
        Check(str(c.get("name")), Verdict(c.get("verdict")), str(c.get("message")))
        for c in checked.get("checks", [])
        if c.get("verdict") in {v.value for v in Verdict}
    ]
    return ImportedFacts(name, who, verification, checks)


def download_links(
    prefix: str, t: dict[str, str], *, certificate: bool, has_image: bool
) -> list[Download]:
    """The files a credential comes as; `prefix` is the public or the wallet address."""
    items = [
        ("json", t["credential_json"], "credential.json"),
        ("jwt", t["credential_jwt"], "credential.jwt"),
    ]
    if has_image:
        items += [
            ("png", t["badge_png"], "badge.png"),
            ("svg", t["badge_svg"], "badge.svg"),
            ("png", t["badge_png_ob2"], "badge-ob2.png"),
        ]
    if certificate:
        items.append(("pdf", t["certificate_pdf"], "certificate.pdf"))
    return [Download(key, label, f"{prefix}/download/{name}", name) for key, label, name in items]


def build(
    loaded: Loaded, *, base_url: str, wanted: list[str], report: Report | None
) -> CredentialPage:
    credential, organization, version = loaded.credential, loaded.organization, loaded.version
    snapshot = snapshot_of(version)
    local = templates.localized(snapshot, wanted=wanted)
    lang = str(local["lang"])
    t = messages(lang)
    now = utcnow()
    state = _state(credential, report, now)
    page_url = f"{base_url}/credentials/{credential.public_id}"
    languages = [
        Language(
            tag,
            LANGUAGE_NAMES.get(tag.split("-")[0].lower(), tag),
            f"{page_url}?{urlencode({'lang': tag})}",
            tag == lang,
        )
        for tag in snapshot.languages
    ]
    details = {
        "valid": t["valid_detail"].format(issuer=organization.name),
        "expired": t["expired_detail"].format(
            date=credential.expires_at.date().isoformat() if credential.expires_at else ""
        ),
        "suspended": t["suspended_detail"],
        "revoked": t["revoked_detail"],
        "pending": t["pending_detail"],
        "invalid": t["invalid_detail"],
    }
    imported = imported_facts(credential, organization, t) if credential.imported else None
    if imported is not None:
        details["imported"] = imported.who
    image_id = snapshot.image_id
    labels = {f.name: f.label for f in snapshot.fields}
    fields = [
        (labels.get(name, name), str(value))
        for name, value in (credential.fields or {}).items()
        if name in labels and value not in (None, "")
    ]
    evidence = evidence_words.describe(credential, loaded.events, t, lang)
    name = str(local["name"])
    return CredentialPage(
        public_id=credential.public_id,
        lang=lang,
        dir=direction(lang),
        t=t,
        languages=languages if len(languages) > 1 else [],
        state=state,
        detail=details[state],
        reason=credential.revoked_reason if state in {"revoked", "suspended"} else None,
        kind=snapshot.kind.value,
        name=name,
        description=str(local["description"] or ""),
        criteria=local["criteria"],
        criteria_url=snapshot.criteria.url,
        image_url=f"{base_url}/files/images/{image_id}/standard" if image_id else None,
        recipient_name=recipient_name(credential),
        issuer_name=(imported.issuer_name if imported else None) or organization.name,
        issuer_url=organization.url,
        issuer_logo=organization.logo_url,
        issued=credential.emitted_at,
        expires=credential.expires_at,
        alignments=[a.as_json() for a in snapshot.alignments],
        tags=[tag.name for tag in snapshot.tags],
        evidence=evidence,
        fields=fields,
        checks=list(report.checks) if report else (imported.checks if imported else []),
        page_url=page_url,
        json_url=f"{page_url}?format=eddsa-rdfc-2022",
        downloads=download_links(
            page_url, t, certificate=snapshot.certificate, has_image=bool(image_id)
        )
        if credential.document is not None
        else [],
        linkedin_add=f"{page_url}/linkedin?action=add" if state in SHAREABLE else None,
        linkedin_share=f"{page_url}/linkedin?action=share" if state in SHAREABLE else None,
        private=credential.private,
        imported=imported is not None,
        imported_note=(
            None
            if imported is None
            else imported.verification
            if state == "imported"
            else f"{imported.who} {imported.verification}"
        ),
    )


def unshareable_state(session: Session, base_url: str, loaded: Loaded) -> str | None:
    """The state that keeps the credential off LinkedIn, as its page shows it; None if none."""
    report = report_for(session, base_url, loaded.credential)
    state = _state(loaded.credential, report, utcnow())
    return None if state in SHAREABLE else state


def linkedin_target(loaded: Loaded, *, base_url: str, action: str) -> str:
    credential, organization = loaded.credential, loaded.organization
    page_url = f"{base_url}/credentials/{quote(credential.public_id)}"
    if action == "share":
        return linkedin.share_url(page_url)
    local = templates.localized(snapshot_of(loaded.version), wanted=[])
    return linkedin.add_to_profile_url(
        name=str(local["name"]),
        organization_name=organization.name,
        issued=credential.emitted_at,
        expires=credential.expires_at,
        credential_url=page_url,
        credential_id=credential.public_id,
    )
