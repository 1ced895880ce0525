"""How a certificate template's PDF is laid out: paper, orientation, wording, images, fields."""

from __future__ import annotations

import uuid
from typing import Annotated, Literal

from pydantic import Field

from plaudit.schemas import Input, worded_pattern

MAX_SHOWN_FIELDS = 10


class CertificateLayout(Input):
    """Stored on the template, frozen into each published version with the rest of it."""

    paper: Literal["a4", "letter"] = "a4"
    orientation: Literal["landscape", "portrait"] = "landscape"
    accent_color: Annotated[
        str,
        worded_pattern(r"^#[0-9A-Fa-f]{6}$", "a colour written #RRGGBB, such as #1F4E79"),
    ] = Field(default="#1F4E79", description="The colour of the title and the border, as #RRGGBB.")
    title: str = Field(default="Certificate of Achievement", min_length=1, max_length=120)
    intro: str = Field(default="This certifies that", max_length=200)
    show_fields: list[str] = Field(
        default_factory=list,
        max_length=MAX_SHOWN_FIELDS,
        description="Names of the template's dynamic fields to print, in this order.",
    )
    background_image_id: uuid.UUID | None = Field(
        default=None, description="An uploaded image covering the whole page."
    )
    signature_image_id: uuid.UUID | None = Field(
        default=None, description="An uploaded image of the signature, above the signatory."
    )
    signatory_name: str = Field(default="", max_length=120)
    signatory_title: str = Field(default="", max_length=120)
    show_qr: bool = Field(default=True, description="A QR code to the verification page.")
    show_badge_image: bool = True
