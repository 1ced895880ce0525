"""The reader's language: direction, dates, numbers and negotiation from Babel."""

from __future__ import annotations

from datetime import date

import pytest

from plaudit.templates.localize import best_language, direction, format_date, format_number

DAY = date(2026, 12, 4)


@pytest.mark.parametrize(
    ("lang", "expected"),
    [
        ("ar", "rtl"),
        ("ar-EG", "rtl"),
        ("AR-eg", "rtl"),
        ("ar_EG", "rtl"),
        ("he", "rtl"),
        ("fa-IR", "rtl"),
        ("ur", "rtl"),
        ("ckb", "rtl"),  # Central Kurdish: not in the old hand-written list
        ("en", "ltr"),
        ("fr-CA", "ltr"),
        ("ja", "ltr"),
        ("zh-Hant-TW", "ltr"),
        ("ar-XX", "rtl"),  # an unknown region keeps its language
        ("en-US-x-twain", "ltr"),
        # Not languages at all: never an error, always English's direction.
        ("", "ltr"),
        ("   ", "ltr"),
        ("x-klingon", "ltr"),
        ("not a language", "ltr"),
        ("123", "ltr"),
        ("-", "ltr"),
        ("zz", "ltr"),
    ],
)
def test_the_direction_of_a_language_comes_from_its_locale(lang: str, expected: str) -> None:
    assert direction(lang) == expected


@pytest.mark.parametrize(
    ("lang", "expected"),
    [
        ("fr", "4 décembre 2026"),
        ("fr-CH", "4 décembre 2026"),
        ("de", "4. Dezember 2026"),
        ("es", "4 de diciembre de 2026"),
        ("en", "December 4, 2026"),
        ("en-GB", "4 December 2026"),
        ("ja", "2026年12月4日"),
        ("ar", "4 ديسمبر 2026"),
        ("x-klingon", "December 4, 2026"),
        ("", "December 4, 2026"),
    ],
)
def test_dates_are_written_as_the_reader_writes_them(lang: str, expected: str) -> None:
    assert format_date(DAY, lang) == expected


def test_a_date_pattern_is_independent_of_the_servers_locale() -> None:
    assert format_date(DAY, "en", form="d MMM") == "4 Dec"
    assert format_date(DAY, "de", form="d MMM") == "4 Dez."


def test_numbers_take_the_readers_grouping() -> None:
    assert format_number(1234, "en") == "1,234"
    assert format_number(1234, "de") == "1.234"
    assert format_number(1234, "fr") == "1\u202f234"
    assert format_number(30, "bogus tag") == "30"


@pytest.mark.parametrize(
    ("wanted", "available", "expected"),
    [
        (["it"], ["en", "it"], "it"),
        (["IT"], ["en", "it"], "it"),  # the available spelling is returned
        (["it-CH"], ["en", "it"], "it"),  # primary subtag
        (["fr"], ["en", "it"], "de"),  # the default
        (["fr-FR", "it", "en"], ["en", "it"], "it"),  # in order of preference
        (["pt-BR"], ["pt-br", "pt"], "pt-br"),  # the exact tag before the primary one
        (["pt"], ["en", "pt-BR"], "pt-BR"),  # any variant of the language
        (["pt"], ["pt-BR", "pt-PT"], "pt-PT"),  # Babel's alias for a bare 'pt'
        (["no"], ["en", "nb-NO"], "nb-NO"),  # Babel's alias: Norwegian is Bokmål
        (["zh_TW"], ["zh-TW"], "zh-TW"),  # POSIX spelling
        ([""], ["en"], "de"),
        (["!!"], ["en"], "de"),
        ([], ["en"], "de"),
    ],
)
def test_negotiation(wanted: list[str], available: list[str], expected: str) -> None:
    assert best_language(wanted, available, "de") == expected
