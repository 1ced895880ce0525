"""The authorization endpoint's pages: the learner says who they are, with the signed link to
their wallet page, and whether the application may act for them.

Plaudit's learners have no password: what proves a learner is the wallet link of their award
emails (plaudit.learners.links), unforgeable without the instance's key. So the consent page
takes that link (or its token), pasted into the form or given as ``?wallet=`` by a page that
already has it. It travels in the form's body and the page carries no cookie: another site
cannot make a learner's browser consent (there is no ambient credential to ride on), and the
page may not be framed.
"""

from __future__ import annotations

import re
import uuid
from typing import Any, Final
from urllib.parse import urlsplit

from fastapi.responses import HTMLResponse
from sqlalchemy import select
from sqlalchemy.orm import Session

from plaudit.learners import links
from plaudit.models.learner import Learner
from plaudit.models.oauth import ObApiClient
from plaudit.models.organization import Organization
from plaudit.obapi import pages, scopes
from plaudit.vault import Vault

# A wallet token: the learner's id and its MAC, each base64url (plaudit.learners.links).
_TOKEN: Final = re.compile(r"[A-Za-z0-9_-]{16,64}\.[A-Za-z0-9_-]{16,64}")


def wallet_token(text: str) -> str | None:
    """The token in a pasted wallet link (``https://…/wallet/<token>``), or the token itself."""
    text = text.strip()
    if "/wallet/" in text:
        text = re.split(r"[/?#]", text.split("/wallet/", 1)[1], maxsplit=1)[0]
    return text if _TOKEN.fullmatch(text) else None


def learner_of(
    session: Session, vault: Vault, organization: Organization, wallet: str
) -> Learner | None:
    """The organization's learner whose wallet link this is; None for anything else (a typo,
    a forged token, another organization's learner)."""
    token = wallet_token(wallet)
    learner_id: uuid.UUID | None = links.learner_of(vault, token) if token else None
    if learner_id is None:
        return None
    return session.scalar(
        select(Learner).where(Learner.id == learner_id, Learner.organization_id == organization.id)
    )


def _headers(redirect_uri: str | None) -> dict[str, str]:
    # A form's answer may redirect to the client (Chrome applies form-action to redirects).
    targets = "'self'"
    if redirect_uri:
        parts = urlsplit(redirect_uri)
        targets += f" {parts.scheme}://{parts.netloc}"
    return {
        "Content-Security-Policy": (
            "default-src 'none'; style-src 'self'; img-src 'self' https: data:; "
            f"form-action {targets}; base-uri 'none'; frame-ancestors 'none'"
        ),
        "X-Frame-Options": "DENY",
        "X-Content-Type-Options": "nosniff",
        # The address may hold a wallet token (?wallet=): no other site is told it.
        "Referrer-Policy": "no-referrer",
        "Cache-Control": "no-store",
    }


def _link(value: Any) -> str | None:
    return value if isinstance(value, str) and value.startswith("https://") else None


def consent_page(
    *,
    client: ObApiClient,
    organization: Organization,
    scope: str,
    action: str,
    redirect_uri: str,
    learner: Learner | None,
    wallet: str,
    error: str | None = None,
    status: int = 200,
) -> HTMLResponse:
    registration = client.registration
    name = None
    if learner is not None:
        name = " ".join(p for p in (learner.first_name, learner.last_name) if p) or None
        if learner.email:
            name = f"{name} ({learner.email})" if name else learner.email
        name = name or "a learner of " + organization.name
    html = pages.render(
        "consent.html",
        client_name=client.name,
        client_uri=_link(registration.get("client_uri")),
        policy_uri=_link(registration.get("policy_uri")),
        tos_uri=_link(registration.get("tos_uri")),
        organization=organization.name,
        allowed=[scopes.FOR_THE_LEARNER.get(s, s) for s in scopes.as_list(scope)],
        action=action,
        learner_name=name,
        wallet=wallet if learner is not None or error else "",
        error=error,
    )
    return HTMLResponse(html, status_code=status, headers=_headers(redirect_uri))


def refused_page(error: str, description: str, *, status: int = 400) -> HTMLResponse:
    """An authorization request that cannot be sent back to its client (unknown client, or a
    redirect URI it did not register: RFC 6749 §4.1.2.1 forbids redirecting there)."""
    html = pages.render("refused.html", error=error, description=description)
    return HTMLResponse(html, status_code=status, headers=_headers(None))
