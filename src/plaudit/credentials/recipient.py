"""How a credential names its recipient to people (pages, emails, the dashboard)."""

from __future__ import annotations

from plaudit.models.award import Credential


def recipient_name(credential: Credential) -> str:
    """The learner's name as issued; never their email."""
    parts = [credential.recipient_first_name or "", credential.recipient_last_name or ""]
    return " ".join(p for p in parts if p).strip()
