"""Where an organization's Open Badges API and its OAuth endpoints are. Pure.

The API of an organization is at ``{base}/orgs/{slug}/ims/ob/v3p0``: the organization's base
(``{base}/orgs/{slug}``, also its did:web and OpenID4VCI issuer) is the API's "baseUrl", to
which a client appends ``/ims/ob/v3p0/discovery`` as the specification says.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Final

VERSION_PATH: Final = "/ims/ob/v3p0"
# Route templates (FastAPI paths).
API: Final = "/orgs/{slug}" + VERSION_PATH
OAUTH: Final = API + "/oauth"


@dataclass(frozen=True)
class Urls:
    api: str  # the OpenAPI server URL: {base}/orgs/{slug}/ims/ob/v3p0

    @property
    def discovery(self) -> str:
        return f"{self.api}/discovery"

    @property
    def credentials(self) -> str:
        return f"{self.api}/credentials"

    @property
    def profile(self) -> str:
        return f"{self.api}/profile"

    @property
    def register(self) -> str:
        return f"{self.api}/oauth/register"

    @property
    def authorize(self) -> str:
        return f"{self.api}/oauth/authorize"

    @property
    def token(self) -> str:
        return f"{self.api}/oauth/token"

    @property
    def revoke(self) -> str:
        return f"{self.api}/oauth/revoke"


def of(base_url: str, slug: str) -> Urls:
    return Urls(api=f"{base_url}{API.format(slug=slug)}")
