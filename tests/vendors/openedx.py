"""Open edX's two badge provider clients, as they send their requests, on a TestClient.

Each request is built as ``credentials/apps/badges`` builds it (``base_api_client.py``,
``credly/api_client.py``, ``accredible/api_client.py``): the base URL joined with the path by
``urljoin``, the same headers, the same JSON bodies (``credly/data.py``, ``accredible/data.py``,
filled as ``issuers.py`` fills them). Only the transport differs (httpx instead of requests).
"""

from __future__ import annotations

import base64
from datetime import datetime
from typing import Any
from urllib.parse import urljoin

from fastapi.testclient import TestClient
from httpx2 import Response

# What the Open edX operator sets as BADGES_CONFIG[...]["..._API_BASE_URL"] (docs/open-edx.md).
CREDLY_API_BASE_URL = "http://testserver/credly/v1/"
ACCREDIBLE_API_BASE_URL = "http://testserver/accredible/v1/"
# How issuers.py writes dates: strftime("%Y-%m-%d %H:%M:%S %z").
OPENEDX_DATE = "%Y-%m-%d %H:%M:%S %z"
# The reason CredlyBadgeTemplateIssuer.revoke_credly_badge sends.
OPENEDX_REVOKE_REASON = "Open edX internal user credential was revoked"


class Credly:
    """``CredlyAPIClient(organization_id, api_key)``."""

    def __init__(self, http: TestClient, organization_id: str, api_key: str) -> None:
        self.http = http
        self.api_key = api_key
        self.base_api_url = urljoin(CREDLY_API_BASE_URL, f"organizations/{organization_id}/")

    def headers(self) -> dict[str, str]:
        token = base64.b64encode(self.api_key.encode("ascii")).decode("ascii")
        return {
            "Accept": "application/json",
            "Content-Type": "application/json",
            "Authorization": f"Basic {token}",
        }

    def perform_request(
        self, method: str, url_suffix: str, data: dict[str, Any] | None = None
    ) -> Response:
        url = urljoin(self.base_api_url, url_suffix)
        return self.http.request(method.upper(), url, headers=self.headers(), json=data)

    def fetch_organization(self) -> Response:
        return self.perform_request("get", "")

    def fetch_badge_templates(self, suffix: str = "") -> list[dict[str, Any]]:
        """All pages, followed as Open edX follows them (``suffix`` adds a page size, to reach a
        second page without fifty templates)."""
        response = self.perform_request("get", f"badge_templates/?filter=state::active{suffix}")
        assert response.status_code == 200, response.text
        body = response.json()
        results = list(body.get("data", []))
        metadata = body.get("metadata", {})
        total_pages = metadata.get("total_pages", 1)
        next_page_url = metadata.get("next_page_url")
        for _ in range(2, total_pages + 1):
            if not next_page_url:
                break
            response = self.perform_request("get", next_page_url)
            assert response.status_code == 200, response.text
            results.extend(response.json().get("data", []))
            next_page_url = response.json().get("metadata", {}).get("next_page_url")
        return results

    def fetch_event_information(self, event_id: str) -> Response:
        return self.perform_request("get", f"events/{event_id}/")

    def issue_badge(self, data: dict[str, Any]) -> Response:
        return self.perform_request("post", "badges/", data)

    def revoke_badge(self, badge_id: str, data: dict[str, Any] | None = None) -> Response:
        return self.perform_request("put", f"badges/{badge_id}/revoke/", data=data)


def credly_badge_data(
    *, email: str, first: str, last: str, template_id: str, template_created: datetime
) -> dict[str, Any]:
    """``asdict(CredlyBadgeData(...))`` as CredlyBadgeTemplateIssuer.issue_credly_badge fills it."""
    return {
        "recipient_email": email,
        "issued_to_first_name": first,
        "issued_to_last_name": last,
        "badge_template_id": template_id,
        "issued_at": template_created.strftime(OPENEDX_DATE),
    }


class Accredible:
    """``AccredibleAPIClient(api_config_id)``."""

    def __init__(self, http: TestClient, api_key: str) -> None:
        self.http = http
        self.api_key = api_key

    def headers(self) -> dict[str, str]:
        return {
            "Accept": "application/json",
            "Content-Type": "application/json",
            "Authorization": f"Bearer {self.api_key}",
        }

    def perform_request(
        self, method: str, url_suffix: str, data: dict[str, Any] | None = None
    ) -> Response:
        url = urljoin(ACCREDIBLE_API_BASE_URL, url_suffix)
        return self.http.request(method.upper(), url, headers=self.headers(), json=data)

    def fetch_all_groups(self) -> Response:
        return self.perform_request("get", "issuer/all_groups")

    def fetch_design_image(self, design_id: int) -> str | None:
        response = self.perform_request("get", f"designs/{design_id}")
        assert response.status_code == 200, response.text
        url: str | None = response.json().get("design", {}).get("rasterized_content_url")
        return url

    def issue_badge(self, data: dict[str, Any]) -> Response:
        return self.perform_request("post", "credentials", data)

    def revoke_badge(self, badge_id: int, data: dict[str, Any]) -> Response:
        return self.perform_request("patch", f"credentials/{badge_id}", data)


def accredible_badge_data(
    *, name: str, email: str, group_id: int, group_name: str, created: datetime
) -> dict[str, Any]:
    """``asdict(AccredibleBadgeData(...))`` as AccredibleBadgeTemplateIssuer fills it."""
    return {
        "credential": {
            "recipient": {"name": name, "email": email},
            "group_id": group_id,
            "name": group_name,
            "issued_on": created.strftime(OPENEDX_DATE),
            "complete": True,
        }
    }


def accredible_expire_data(now: datetime) -> dict[str, Any]:
    """``asdict(AccredibleExpireBadgeData(...))``: Open edX's ``datetime.now()`` is naive, so its
    ``%z`` is empty and the date ends with a space."""
    return {"credential": {"expired_on": now.strftime(OPENEDX_DATE)}}
