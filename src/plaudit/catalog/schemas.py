"""Request and response shapes of the catalog."""

from __future__ import annotations

from pydantic import Field

from plaudit.models.template import TemplateKind
from plaudit.organizations.schemas import LanguageTag
from plaudit.schemas import Input, Output


class CatalogEntryOut(Output):
    key: str
    version: int
    kind: TemplateKind
    name: str
    description: str
    achievement_type: str
    languages: list[str]
    tags: list[str]
    image_url: str


class CatalogCopy(Input):
    sync_with_catalog: bool = Field(
        default=True, description="Follow later catalog updates of this entry automatically."
    )
    language: LanguageTag | None = Field(
        default=None,
        description="Main language of the copy; default: the organization's if the entry has "
        "it, else English.",
    )
