"""The reader's language, on Babel (CLDR): which translation to show, its text direction, and
its dates and numbers. Pages, emails and certificates all ask here, so they cannot disagree."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date
from functools import lru_cache

from babel import Locale, UnknownLocaleError
from babel.core import negotiate_locale
from babel.dates import format_date as _babel_date
from babel.numbers import format_decimal

FALLBACK = "en"


def parse_accept_language(header: str | None) -> list[str]:
    """Language tags in order of preference (q-values honoured, '*' dropped)."""
    if not header:
        return []
    ranked: list[tuple[float, int, str]] = []
    for position, part in enumerate(header.split(",")):
        tag, _, params = part.strip().partition(";")
        tag = tag.strip()
        if not tag or tag == "*":
            continue
        quality = 1.0
        for param in params.split(";"):
            name, _, value = param.strip().partition("=")
            if name == "q":
                try:
                    quality = float(value)
                except ValueError:
                    quality = 0.0
        if quality > 0:
            ranked.append((-quality, position, tag))
    return [tag for _, _, tag in sorted(ranked)]


def best_language(wanted: Iterable[str], available: Iterable[str], default: str) -> str:
    """Per wanted tag, in order: the exact tag (case-insensitive), Babel's alias for a bare
    language ('pt' finds 'pt-PT', 'no' finds 'nb-NO'), the primary subtag ('pt-BR' finds 'pt'),
    then any variant of that language ('pt' finds 'pt-BR'); else `default`."""
    by_lower = {lang.lower(): lang for lang in available if lang}
    for tag in wanted:
        tag = tag.replace("_", "-")
        found = negotiate_locale([tag], list(by_lower), sep="-")
        if found is not None:
            return by_lower[found.lower()]
        primary = tag.split("-")[0].lower()
        for lower, original in by_lower.items():
            if lower.split("-")[0] == primary:
                return original
    return default


@lru_cache(maxsize=512)
def locale(lang: str) -> Locale:
    """Babel's locale for a language tag: the tag itself, else its primary subtag ('fr-XX' is
    French), else English. Tags come from users and imported data: none of them may raise."""
    tag = lang.strip().replace("_", "-")
    for candidate in (tag, tag.split("-")[0]):
        try:
            return Locale.parse(candidate, sep="-")
        except (ValueError, TypeError, UnknownLocaleError):
            continue
    return Locale.parse(FALLBACK)


def direction(lang: str) -> str:
    """'rtl' or 'ltr': the HTML `dir` of a page, an email or a certificate in `lang`."""
    return "rtl" if locale(lang).character_order == "right-to-left" else "ltr"


def format_date(day: date, lang: str, *, form: str = "long") -> str:
    """A date as a reader of `lang` writes it: "4 décembre 2026", "4. Dezember 2026",
    "2026年12月4日". `form` is a CLDR width (short, medium, long, full) or pattern ("d MMM")."""
    return _babel_date(day, form, locale=locale(lang))


def format_number(value: int | float, lang: str) -> str:
    """A number with the reader's grouping and decimal marks: 1,234.5 / 1 234,5 / 1.234,5."""
    return format_decimal(value, locale=locale(lang))
