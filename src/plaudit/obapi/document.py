"""1EdTech's OpenAPI document of the Open Badges 3.0 API (shipped beside this module, as
published): its schemas check what clients send, and each organization's Service Description
Document is a profiled copy of it."""

from __future__ import annotations

import copy
import json
from functools import cache
from pathlib import Path
from typing import Any, Final

from jsonschema import Draft7Validator

from plaudit.models.organization import Organization
from plaudit.obapi import scopes
from plaudit.obapi.urls import Urls

OPENAPI_FILE: Final = Path(__file__).parent / "openapi.json"


@cache
def openapi() -> dict[str, Any]:
    document: dict[str, Any] = json.loads(OPENAPI_FILE.read_text(encoding="utf-8"))
    return document


@cache
def validator(schema: str) -> Draft7Validator:
    """A validator of one of the document's component schemas (OpenAPI 3.0 schemas are JSON
    Schema draft 4/7 with extensions a validator ignores; their $refs point into the document).

    One known flaw of the published snapshot is mended: it requires an AchievementCredential's
    `proof` to be an array, while the data model allows one proof object too (1EdTech's own
    `simple-did-web-method.json` sample has one)."""
    components = copy.deepcopy(openapi()["components"])
    proof = components["schemas"]["AchievementCredential"]["properties"]["proof"]
    components["schemas"]["AchievementCredential"]["properties"]["proof"] = {
        "oneOf": [proof, {"$ref": "#/components/schemas/Proof"}]
    }
    return Draft7Validator({"$ref": f"#/components/schemas/{schema}", "components": components})


def problems(schema: str, value: Any, *, limit: int = 5) -> list[str]:
    """Where and why ``value`` is not a ``schema`` (empty when it is one)."""
    found = []
    for error in validator(schema).iter_errors(value):
        where = "/".join(str(p) for p in error.absolute_path) or "(top level)"
        found.append(f"{where}: {error.message[:200]}")
        if len(found) == limit:
            break
    return found


def service_description(organization: Organization, urls: Urls, *, base_url: str) -> dict[str, Any]:
    """The Service Description Document: the OpenAPI document, served from this organization's
    own URL, with the OAuth 2.0 endpoints its clients register with and are authorized by.

    The terms of service and privacy policy are the organization's own site (its `url`), or
    Plaudit's public address when it has none; dedicated addresses are a later setting."""
    document = copy.deepcopy(openapi())
    site = organization.url or base_url
    info = document["info"]
    info.update(
        {
            "title": f"{organization.name}: Open Badges",
            "description": f"The Open Badges 3.0 API of {organization.name}, served by Plaudit.",
            "termsOfService": site,
            "x-imssf-privacyPolicyUrl": site,
        }
    )
    if organization.logo_url and organization.logo_url.startswith(("https://", "data:")):
        info["x-imssf-image"] = organization.logo_url
    document["servers"] = [{"url": urls.api, "description": organization.name}]
    document["components"]["securitySchemes"] = {
        "OAuth2ACG": {
            "type": "oauth2",
            "description": "OAuth 2.0 Authorization Code Grant authorization (PKCE with S256)",
            "x-imssf-name": organization.name,
            "x-imssf-privacyPolicyUrl": site,
            "x-imssf-registrationUrl": urls.register,
            "x-imssf-termsOfServiceUrl": site,
            "flows": {
                "authorizationCode": {
                    "authorizationUrl": urls.authorize,
                    "tokenUrl": urls.token,
                    "refreshUrl": urls.token,
                    "scopes": dict(scopes.DESCRIPTIONS),
                }
            },
        }
    }
    return document
