"""Where Plaudit's public pages are: one definition for every part that prints a link to one."""

from __future__ import annotations


def credential_url(base_url: str, public_id: str) -> str:
    """A credential's public page, which is also its id (``https://…/credentials/<id>``)."""
    return f"{base_url}/credentials/{public_id}"
