"""The words of notification emails: the `email.` entries of the shared catalogs."""

from __future__ import annotations

from plaudit.templates.words import EMAIL_PREFIX, catalog


def words(lang: str) -> dict[str, str]:
    """The email words in `lang`, English where one is missing, keyed without the prefix."""
    return {
        key.removeprefix(EMAIL_PREFIX): text
        for key, text in catalog(lang).items()
        if key.startswith(EMAIL_PREFIX)
    }
