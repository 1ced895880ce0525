"""Request and response shapes of members."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Annotated

from pydantic import EmailStr, StringConstraints

from plaudit.models.user import Role
from plaudit.schemas import Input, Output


class MemberCreate(Input):
    email: EmailStr
    name: Annotated[str, StringConstraints(min_length=1, max_length=200)] | None = None
    role: Role = Role.VIEWER


class MemberUpdate(Input):
    role: Role


class MemberOut(Output):
    user_id: uuid.UUID
    email: str
    name: str | None
    role: Role
    has_password: bool
    created_at: datetime
