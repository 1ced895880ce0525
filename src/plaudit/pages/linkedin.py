"""LinkedIn's Add to Profile and share links (no API access needed: plain URLs)."""

from __future__ import annotations

from datetime import datetime
from urllib.parse import urlencode


def add_to_profile_url(
    *,
    name: str,
    organization_name: str,
    issued: datetime,
    expires: datetime | None,
    credential_url: str,
    credential_id: str,
) -> str:
    params: dict[str, str | int] = {
        "startTask": "CERTIFICATION_NAME",
        "name": name,
        "organizationName": organization_name,
        "issueYear": issued.year,
        "issueMonth": issued.month,
    }
    if expires is not None:
        params["expirationYear"] = expires.year
        params["expirationMonth"] = expires.month
    params["certUrl"] = credential_url
    params["certId"] = credential_id
    return "https://www.linkedin.com/profile/add?" + urlencode(params)


def share_url(page_url: str) -> str:
    return "https://www.linkedin.com/sharing/share-offsite/?" + urlencode({"url": page_url})
