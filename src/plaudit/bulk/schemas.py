"""Response shapes of bulk issuance: the preview report and the job's progress."""

from __future__ import annotations

import uuid
from datetime import datetime

from pydantic import Field, computed_field

from plaudit.models.bulk import BulkStatus
from plaudit.schemas import Output


class RowErrorOut(Output):
    line: int = Field(description="Line of the file where the row starts (the header is 1).")
    column: str | None = Field(description="The column's header as written; null: the row.")
    code: str = Field(
        description="unknown_template, template_not_published, ambiguous_template, "
        "invalid_email, invalid_date, invalid_url, invalid_number, missing_value, "
        "missing_column, duplicate_column, duplicate_row, unknown_field, too_long, "
        "malformed_row, nul_character or empty_file."
    )
    message: str


class TemplateRowsOut(Output):
    template_id: uuid.UUID
    name: str
    rows: int


class LateRowOut(Output):
    """A valid row whose credential would arrive expired, or about to expire."""

    line: int
    email: str
    template_id: uuid.UUID
    template_name: str
    issued_at: datetime = Field(description="The issue date the row gives.")
    expires_at: datetime = Field(description="When its credential would expire.")
    state: str = Field(
        description="expired: already expired when issued; expiring: expires within "
        "window_days of being issued."
    )
    window_days: int = Field(description="The template's farthest reminder before expiry.")
    can_redate: bool = Field(
        description="Issuing it dated today would give it a later expiry (the template's "
        "expiry is a duration and the row states no expiry_date)."
    )


class BulkPreviewOut(Output):
    rows: int = Field(description="Rows read (blank lines are not rows).")
    valid: int
    invalid: int
    to_issue: int = Field(description="Valid rows not issued yet: what applying would issue.")
    already_issued: int = Field(description="Valid rows issued before (by any file).")
    templates: list[TemplateRowsOut] = Field(description="Valid rows per template.")
    error_count: int
    errors: list[RowErrorOut] = Field(description="The first errors, in file order.")
    errors_truncated: bool = Field(description="True when more errors than listed were found.")
    expired_count: int = Field(
        default=0, description="Rows to issue whose credential would arrive already expired."
    )
    expiring_count: int = Field(
        default=0,
        description="Rows to issue whose credential would expire within the template's "
        "reminder window of arriving.",
    )
    late: list[LateRowOut] = Field(
        default_factory=list, description="The first of those rows, in file order."
    )
    late_truncated: bool = False


class BulkIssuanceOut(Output):
    id: uuid.UUID
    status: BulkStatus
    filename: str | None
    sha256: str
    size_bytes: int
    notify: bool
    skip_invalid: bool
    total_rows: int
    processed_rows: int
    issued: int
    skipped: int = Field(
        description="Rows already issued, or set aside in the preview: nothing done."
    )
    failed: int = Field(description="Rows invalid when applied (see errors).")
    errors: list[RowErrorOut]
    error: str | None
    created_at: datetime
    started_at: datetime | None
    finished_at: datetime | None

    @computed_field  # type: ignore[prop-decorator]
    @property
    def progress(self) -> float:
        """Share of rows processed, from 0 to 1."""
        if self.total_rows == 0:
            return 1.0 if self.status is BulkStatus.COMPLETED else 0.0
        return round(min(self.processed_rows / self.total_rows, 1.0), 4)
