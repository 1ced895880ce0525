"""Who calls the vendors' APIs: a Plaudit API key, sent the way each vendor's clients send theirs.

Open edX's Credly client sends ``Authorization: Basic base64(<token>)`` (no colon: it encodes the
bare token), Credly's documentation ``Basic base64(<token>:)``; Open edX's Accredible client
sends ``Bearer <key>``, Accredible's documentation ``Token token=<key>``. Each vendor's routes
take all of its forms, and ``Bearer`` too. The key is checked exactly as the rest of the API
checks it (``plaudit.api.deps``): same table, same hash, same scopes.
"""

from __future__ import annotations

import base64
import binascii
from collections.abc import Callable
from typing import Annotated

from fastapi import Depends, Request
from sqlalchemy.orm import Session

from plaudit.api.deps import (
    Principal,
    SessionDep,
    ensure_scope,
    parse_token,
    principal_of_key,
)
from plaudit.errors import Unauthenticated
from plaudit.models.apikey import Scope


def credly_token(header: str) -> str:
    scheme, _, value = header.partition(" ")
    value = value.strip()
    if scheme.lower() == "basic" and value:
        try:
            decoded = base64.b64decode(value, validate=True).decode("utf-8")
        except (binascii.Error, UnicodeDecodeError):
            raise Unauthenticated(
                "The Basic credentials are not base64; send base64(<API key>)."
            ) from None
        token, _, password = decoded.partition(":")
        if password:
            raise Unauthenticated(
                "Send the API key as the Basic username with no password, as Credly's "
                "authorization token is sent."
            )
        return token
    if scheme.lower() == "bearer" and value:
        return value
    raise Unauthenticated(
        "Send a Plaudit API key as Credly's clients send their token: "
        "'Authorization: Basic base64(<key>)'."
    )


def accredible_token(header: str) -> str:
    scheme, _, value = header.partition(" ")
    value = value.strip()
    if scheme.lower() == "bearer" and value:
        return value
    if scheme.lower() == "token" and value:
        # Accredible's documented form: Token token=<key> (sometimes with the key quoted).
        return value.removeprefix("token=").strip().strip('"')
    raise Unauthenticated(
        "Send a Plaudit API key as Accredible's clients send theirs: "
        "'Authorization: Bearer <key>' or 'Authorization: Token token=<key>'."
    )


def principal_for(request: Request, session: Session, token: str) -> Principal:
    """The key's principal, checked and recorded as for every other API request."""
    return principal_of_key(request, session, parse_token(token))


def _requiring(token_of: Callable[[str], str], scope: Scope) -> object:
    def check(request: Request, session: SessionDep) -> Principal:
        principal = principal_for(
            request, session, token_of(request.headers.get("authorization", ""))
        )
        return ensure_scope(principal, scope)

    return Depends(check)


CredlyReader = Annotated[Principal, _requiring(credly_token, Scope.READ)]
CredlyIssuer = Annotated[Principal, _requiring(credly_token, Scope.ISSUE)]
AccredibleReader = Annotated[Principal, _requiring(accredible_token, Scope.READ)]
AccredibleIssuer = Annotated[Principal, _requiring(accredible_token, Scope.ISSUE)]
