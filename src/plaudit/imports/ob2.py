"""An Open Badges 2.0 assertion, as an import reads it: hosted or signed, never fetched."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, Final

from plaudit.imports.fields import (
    MAX_NAME,
    MAX_TEXT,
    as_list,
    clip,
    email,
    evidence_of,
    fit_id,
    id_of,
    parse_moment,
    plain_text,
    web_url,
)
from plaudit.imports.items import Achievement, Format, Issuer, Item, Problem, Recipient

OB2_CONTEXT: Final = "https://w3id.org/openbadges/v2"


def is_assertion(document: Mapping[str, Any]) -> bool:
    contexts = as_list(document.get("@context"))
    return OB2_CONTEXT in contexts or "Assertion" in as_list(document.get("type"))


def read_assertion(
    assertion: dict[str, Any], *, where: str, original: dict[str, Any] | str, signed: bool
) -> Item | Problem:
    ident = id_of(assertion.get("id"))
    if ident is None:
        return Problem(where, "the OB 2.0 assertion has no id")
    legacy_id = fit_id(ident)
    issued_value = assertion.get("issuedOn")
    issued_at = parse_moment(issued_value) if isinstance(issued_value, str) else None
    if issued_at is None:
        return Problem(where, "the OB 2.0 assertion has no readable issuedOn", legacy_id=legacy_id)
    expires_value = assertion.get("expires")
    expires_at = parse_moment(expires_value) if isinstance(expires_value, str) else None
    remarks: list[str] = []
    recipient_value = assertion.get("recipient")
    recipient = Recipient()
    if isinstance(recipient_value, Mapping) and isinstance(recipient_value.get("identity"), str):
        identity = recipient_value["identity"]
        if recipient_value.get("type", "email") != "email":
            recipient = Recipient(other=identity)
        elif recipient_value.get("hashed") is True:
            recipient = Recipient(hashes=((identity, str(recipient_value.get("salt") or "")),))
        else:
            recipient = Recipient(email=email(identity), other=identity)
    badge_value = assertion.get("badge")
    issuer: Issuer | None = None
    if isinstance(badge_value, Mapping):
        issuer_value = badge_value.get("issuer")
        issuer = Issuer(
            id=id_of(issuer_value),
            name=clip(plain_text(issuer_value.get("name")), MAX_NAME)
            if isinstance(issuer_value, Mapping)
            else None,
            url=web_url(id_of(issuer_value.get("url")))
            if isinstance(issuer_value, Mapping)
            else None,
        )
        if isinstance(issuer_value, str):
            remarks.append(f"the issuer is hosted at {issuer_value} and was not fetched")
        criteria = badge_value.get("criteria")
        name = plain_text(badge_value.get("name"))
        key = id_of(badge_value.get("id")) or f"name:{issuer.id}:{name}"
        achievement = Achievement(
            key=fit_id(key),
            name=clip(name, MAX_NAME) or "Imported badge",
            description=clip(plain_text(badge_value.get("description")), 5_000) or "",
            criteria_narrative=clip(plain_text(criteria.get("narrative")), MAX_TEXT)
            if isinstance(criteria, Mapping)
            else None,
            criteria_url=web_url(id_of(criteria)),
            image_url=web_url(id_of(badge_value.get("image"))),
        )
    elif isinstance(badge_value, str) and badge_value.strip():
        url = badge_value.strip()
        remarks.append(
            f"the badge class is hosted at {url} and was not fetched: its template holds only "
            "that address; rename it, or import with a template_id"
        )
        achievement = Achievement(
            key=fit_id(url),
            name=clip(f"Imported badge ({url})", MAX_NAME) or "Imported badge",
            criteria_url=web_url(url),
        )
    else:
        return Problem(where, "the OB 2.0 assertion has no badge", legacy_id=legacy_id)
    verification = assertion.get("verification")
    creator = id_of(verification.get("creator")) if isinstance(verification, Mapping) else None
    if signed:
        why = (
            f"a signed OB 2.0 assertion: its key is published at {creator or 'its issuer'}, "
            "which imports never fetch, so the signature was not checked"
        )
    else:
        why = (
            f"a hosted OB 2.0 assertion is verified by fetching {ident} from its issuer, "
            "which imports never do"
        )
    narrative = clip(plain_text(assertion.get("narrative")), MAX_TEXT)
    evidence = evidence_of(assertion.get("evidence"))
    if narrative:
        evidence = (*evidence, {"narrative": narrative})
    revoked = assertion.get("revoked") is True
    reason = plain_text(assertion.get("revocationReason")) if revoked else None
    return Item(
        where=where,
        format=Format.OB2,
        legacy_id=legacy_id,
        recipient=recipient,
        issued_at=issued_at,
        expires_at=expires_at,
        achievement=achievement,
        issuer=issuer,
        evidence=evidence,
        original=original,
        unverifiable_because=why,
        revoked_reason=(reason or "revoked by its issuer") if revoked else None,
        remarks=tuple(remarks),
    )
