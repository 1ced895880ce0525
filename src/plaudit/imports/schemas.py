"""Request and response shapes of imports."""

from __future__ import annotations

import uuid
from typing import Annotated, Any, Literal

from pydantic import EmailStr, Field, model_validator

from plaudit.schemas import Input, Output, worded_pattern

MAX_DOCUMENTS = 100
MAX_CSV_CHARS = 1_000_000

SourceLabel = Annotated[
    str,
    worded_pattern(
        r"^[A-Za-z0-9._:-]+$",
        "letters, digits, dots, underscores, colons and hyphens only (no spaces)",
        min_length=1,
        max_length=100,
    ),
]


class ImportOptions(Input):
    template_id: uuid.UUID | None = Field(
        default=None,
        description="Import every item as this template (published at least once). Default: "
        "a CSV row's own 'template' column; for Open Badges documents, one template per "
        "achievement, created (archived) when the organization has none for it yet.",
    )
    recipient_email: EmailStr | None = Field(
        default=None,
        description="Whose documents these are, when they name the recipient by a hashed "
        "email (checked against the hash) or not by email at all. Ignored for CSV rows.",
    )
    source: SourceLabel | None = Field(
        default=None,
        description="CSV only: the system the rows come from (default 'csv'). A legacy id is "
        "imported once per source.",
    )


class ImportIn(ImportOptions):
    # Each document and each CSV row is reported on its own (imports.parse checks them).
    checked_per_item = frozenset({"credentials", "csv"})

    credentials: list[dict[str, Any] | str] = Field(
        default_factory=list,
        max_length=MAX_DOCUMENTS,
        description="Open Badges 3.0 credentials (JSON objects or VC-JWT strings) and Open "
        "Badges 2.0 assertions (objects, or signed JWS strings).",
    )
    csv: str | None = Field(
        default=None, max_length=MAX_CSV_CHARS, description="CSV text, with a header line."
    )

    @model_validator(mode="after")
    def _something(self) -> ImportIn:
        if not self.credentials and self.csv is None:
            raise ValueError("send 'credentials', 'csv', or both")
        return self


class ImportItemOut(Output):
    where: str = Field(description="The file (and line, for a CSV) or the document's position.")
    status: Literal["imported", "duplicate", "invalid"]
    reason: str | None = Field(
        description="Why it is invalid or a duplicate; for an imported item that could not "
        "be verified, why not."
    )
    format: Literal["csv", "ob2", "ob3"] | None
    line: int | None
    column: str | None
    legacy_id: str | None
    credential_id: uuid.UUID | None
    public_id: str | None
    template_id: uuid.UUID | None
    verified: bool | None
    notes: list[str]


class TemplateCreatedOut(Output):
    id: uuid.UUID
    name: str


class ImportOut(Output):
    imported: int
    duplicates: int
    invalid: int
    items: list[ImportItemOut]
    templates_created: list[TemplateCreatedOut] = Field(
        description="Archived templates made for achievements the organization had none for."
    )
    warnings: list[str] = Field(description="E.g. CSV columns that were not read.")
