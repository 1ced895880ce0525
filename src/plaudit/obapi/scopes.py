"""The Open Badges 3.0 API's OAuth scopes: what each lets a client do, in the spec's words and
in the learner's."""

from __future__ import annotations

from typing import Final

_BASE: Final = "https://purl.imsglobal.org/spec/ob/v3p0/scope/"

CREDENTIAL_READ: Final = _BASE + "credential.readonly"
CREDENTIAL_UPSERT: Final = _BASE + "credential.upsert"
PROFILE_READ: Final = _BASE + "profile.readonly"
PROFILE_UPDATE: Final = _BASE + "profile.update"
# 1EdTech's registration example asks for it beside the OB scopes; refresh tokens are what the
# refresh_token grant type buys, whether or not it is asked for.
OFFLINE_ACCESS: Final = "offline_access"

# As the service description document lists them (the OpenAPI document's own descriptions).
DESCRIPTIONS: Final = {
    CREDENTIAL_READ: "Permission to read AchievementCredentials for the authenticated entity.",
    CREDENTIAL_UPSERT: "Permission to create or update AchievementCredentials for the "
    "authenticated entity.",
    PROFILE_READ: "Permission to read the profile for the authenticated entity.",
    PROFILE_UPDATE: "Permission to update the profile for the authenticated entity.",
}

SUPPORTED: Final = (*DESCRIPTIONS, OFFLINE_ACCESS)

# What the consent page tells the learner each scope allows.
FOR_THE_LEARNER: Final = {
    CREDENTIAL_READ: "See the credentials you hold from this organization",
    CREDENTIAL_UPSERT: "Add credentials to your record here, or replace them",
    PROFILE_READ: "See your profile: your name and email address",
    PROFILE_UPDATE: "Change your name and profile details",
    OFFLINE_ACCESS: "Keep this access when you are not using the application",
}


def as_list(scope: str | None) -> list[str]:
    return [s for s in (scope or "").split(" ") if s]
