"""The words Plaudit prints around a credential (its public page, certificates, emails), read
from gettext catalogs translators edit: src/plaudit/locale (docs/translations.md). A template's
own text comes from its translations, not from here."""

from __future__ import annotations

import string
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Final

from babel.messages.catalog import Catalog
from babel.messages.pofile import read_po

from plaudit.templates.localize import FALLBACK, best_language

LOCALE_DIR: Final = Path(__file__).parent.parent / "locale"
DOMAIN: Final = "plaudit"
EMAIL_PREFIX: Final = "email."


def _read(path: Path) -> Catalog:
    with path.open("rb") as file:
        return read_po(file, domain=DOMAIN)


def _fields(text: str) -> set[str] | None:
    """The {placeholders} of a text; None if its braces do not parse (a translator's typo)."""
    try:
        return {name for _, name, _, _ in string.Formatter().parse(text) if name is not None}
    except ValueError:
        return None


@dataclass(frozen=True)
class Catalogs:
    english: dict[str, str]  # every word by its key (the msgctxt): the template's msgids
    translations: dict[str, dict[str, str]]  # per language tag, its usable translations


def read_catalogs(directory: Path) -> Catalogs:
    """The English template (plaudit.pot) and each <lang>/LC_MESSAGES/plaudit.po of `directory`
    (a folder 'pt_BR' is read as the tag 'pt-BR').

    As gettext does, a translation counts only for the English it was made from, so an English
    text edited since shows in English until translated again; fuzzy entries are drafts. One
    whose {placeholders} differ from the English is left out: it would fail when filled in.
    """
    english = {
        str(message.context): str(message.id)
        for message in _read(directory / f"{DOMAIN}.pot")
        if message.id and message.context
    }
    translations: dict[str, dict[str, str]] = {}
    for path in sorted(directory.glob(f"*/LC_MESSAGES/{DOMAIN}.po")):
        translations[path.parent.parent.name.replace("_", "-")] = {
            key: str(message.string)
            for message in _read(path)
            if (key := str(message.context)) in english
            and message.string
            and not message.fuzzy
            and english[key] == message.id
            and _fields(str(message.string)) == _fields(english[key])
        }
    return Catalogs(english, translations)


@cache
def catalogs() -> Catalogs:
    """The shipped catalogs, read once per process on first use."""
    return read_catalogs(LOCALE_DIR)


def catalog(lang: str) -> dict[str, str]:
    """All the words in `lang` where translated, English otherwise (word by word)."""
    shipped = catalogs()
    chosen = best_language([lang], shipped.translations, FALLBACK)
    return {**shipped.english, **shipped.translations.get(chosen, {})}


def messages(lang: str) -> dict[str, str]:
    """The words of pages and certificates (emails have theirs: notifications.messages)."""
    return {key: text for key, text in catalog(lang).items() if not key.startswith(EMAIL_PREFIX)}
