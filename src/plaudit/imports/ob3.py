"""An Open Badges 3.0 credential, as an import reads it (the verifier checks it afterwards)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from plaudit.imports.fields import (
    MAX_NAME,
    MAX_TEXT,
    as_list,
    clip,
    digest_id,
    email,
    evidence_of,
    fit_id,
    id_of,
    parse_moment,
    plain_text,
    web_url,
)
from plaudit.imports.items import Achievement, Format, Issuer, Item, Problem, Recipient


def read_credential(
    credential: dict[str, Any],
    *,
    where: str,
    original: dict[str, Any] | str,
    fallback_id: str | None,
) -> Item | Problem:
    issuer_value = credential.get("issuer")
    issuer = Issuer(
        id=id_of(issuer_value),
        name=clip(plain_text(issuer_value.get("name")), MAX_NAME)
        if isinstance(issuer_value, Mapping)
        else None,
        url=web_url(id_of(issuer_value.get("url"))) if isinstance(issuer_value, Mapping) else None,
    )
    subjects = [s for s in as_list(credential.get("credentialSubject")) if isinstance(s, Mapping)]
    if not subjects:
        return Problem(where, "the credential has no credentialSubject")
    subject = subjects[0]
    ident = id_of(credential.get("id")) or fallback_id
    legacy_id = fit_id(ident) if ident else digest_id(original)
    moments = [
        parse_moment(str(credential[key]))
        for key in ("awardedDate", "validFrom", "issuanceDate")
        if isinstance(credential.get(key), str)
    ]
    issued_at = next((m for m in moments if m is not None), None)
    if issued_at is None:
        return Problem(
            where, "the credential has no readable validFrom (or issuanceDate)", legacy_id=legacy_id
        )
    end = credential.get("validUntil", credential.get("expirationDate"))
    expires_at = parse_moment(end) if isinstance(end, str) else None
    # The recipient: a mailto: subject id, or IdentityObjects (emailAddress, name).
    address, hashes, full_name = None, [], None
    subject_id = id_of(subject.get("id"))
    if subject_id and subject_id.lower().startswith("mailto:"):
        address = email(subject_id[7:])
    for identifier in as_list(subject.get("identifier")):
        if not isinstance(identifier, Mapping) or not isinstance(
            identifier.get("identityHash"), str
        ):
            continue
        kind, value = identifier.get("identityType"), identifier["identityHash"]
        hashed = identifier.get("hashed") is True
        if kind == "emailAddress" and hashed:
            hashes.append((value, str(identifier.get("salt") or "")))
        elif kind == "emailAddress":
            address = address or email(value)
        elif kind == "name" and not hashed:
            full_name = clip(value.strip(), MAX_NAME)
    achievement_value = subject.get("achievement")
    if not isinstance(achievement_value, Mapping) and plain_text(credential.get("name")):
        # Some credentials name what was achieved only in their own name.
        achievement_value = {"name": credential["name"]}
    achievement = None
    if isinstance(achievement_value, Mapping):
        name = plain_text(achievement_value.get("name")) or plain_text(credential.get("name"))
        criteria = achievement_value.get("criteria")
        key = id_of(achievement_value.get("id")) or f"name:{issuer.id}:{name}"
        achievement = Achievement(
            key=fit_id(key),
            name=clip(name, MAX_NAME) or "Imported achievement",
            description=clip(plain_text(achievement_value.get("description")), 5_000) or "",
            criteria_narrative=clip(plain_text(criteria.get("narrative")), MAX_TEXT)
            if isinstance(criteria, Mapping)
            else None,
            criteria_url=web_url(id_of(criteria)),
            image_url=web_url(id_of(achievement_value.get("image"))),
        )
    return Item(
        where=where,
        format=Format.OB3,
        legacy_id=legacy_id,
        recipient=Recipient(
            email=address,
            hashes=tuple(hashes),
            other=subject_id,
            first_name=full_name,
        ),
        issued_at=issued_at,
        expires_at=expires_at,
        achievement=achievement,
        issuer=issuer,
        evidence=evidence_of(credential.get("evidence")),
        original=original,
        verifiable=original,
    )
