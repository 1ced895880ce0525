"""The reader's language: direction, dates, numbers and negotiation from Babel; the word catalogs
translators edit (src/plaudit/locale)."""

from __future__ import annotations

import string
from datetime import date
from pathlib import Path

import pytest
from babel.messages.pofile import read_po

from plaudit.notifications.messages import words as email_words
from plaudit.templates.localize import best_language, direction, format_date, format_number
from plaudit.templates.words import LOCALE_DIR, catalogs, messages, read_catalogs

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


def _fields(text: str) -> set[str]:
    return {name for _, name, _, _ in string.Formatter().parse(text) if name is not None}


def test_every_shipped_translation_is_used() -> None:
    """A translation left out (stale, fuzzy, broken placeholder or unknown key) fails here, with
    its language and key, instead of silently showing English."""
    shipped = catalogs()
    assert set(shipped.translations) >= {"fr", "de", "es"}
    for path in sorted(LOCALE_DIR.glob("*/LC_MESSAGES/plaudit.po")):
        lang = path.parent.parent.name.replace("_", "-")
        with path.open("rb") as file:
            written = {str(m.context) for m in read_po(file) if m.id and m.string}
        assert written - set(shipped.translations[lang]) == set(), lang
        for key, text in shipped.translations[lang].items():
            assert _fields(text) == _fields(shipped.english[key]), (lang, key)


def test_the_words_come_from_the_catalogs_with_english_for_what_is_missing() -> None:
    french = messages("fr-FR")
    assert french["valid"] == "Certificat valide"
    assert french["certificate.expires_on"] == "Valable jusqu'au"
    assert french["details"] == "Details"  # not translated yet: English
    assert messages("it")["valid"] == "Valid credential"
    assert messages("not a language")["valid"] == "Valid credential"
    assert "credential.issued.subject" not in french  # email words are the emails'
    assert email_words("de")["credential.issued.subject"] == "Sie haben {credential} erhalten"
    assert email_words("de")["credential.issued.expires"] == "Er ist bis zum {date} gültig."
    assert "valid" not in email_words("de")


POT = """\
msgid ""
msgstr ""
"Content-Type: text/plain; charset=utf-8\\n"

msgctxt "hello"
msgid "Hello {name}"
msgstr ""

msgctxt "bye"
msgid "Goodbye"
msgstr ""

msgctxt "thanks"
msgid "Thank you"
msgstr ""

msgctxt "later"
msgid "See you later"
msgstr ""
"""

PO = """\
msgid ""
msgstr ""
"Content-Type: text/plain; charset=utf-8\\n"

msgctxt "hello"
msgid "Hello {name}"
msgstr "Bonjour {nom}"

msgctxt "bye"
msgid "Good bye"
msgstr "Au revoir"

#, fuzzy
msgctxt "thanks"
msgid "Thank you"
msgstr "Merci"

msgctxt "later"
msgid "See you later"
msgstr "À plus tard"

msgctxt "unknown"
msgid "Unknown"
msgstr "Inconnu"
"""


def test_a_translation_is_used_only_for_the_english_it_was_made_from(tmp_path: Path) -> None:
    (tmp_path / "plaudit.pot").write_text(POT, encoding="utf-8")
    french = tmp_path / "fr_CA" / "LC_MESSAGES"
    french.mkdir(parents=True)
    (french / "plaudit.po").write_text(PO, encoding="utf-8")
    (tmp_path / "de" / "LC_MESSAGES").mkdir(parents=True)
    (tmp_path / "de" / "LC_MESSAGES" / "plaudit.po").write_text(
        PO.replace("Bonjour {nom}", "Hallo {name").replace("À plus tard", "Bis später"),
        encoding="utf-8",
    )
    read = read_catalogs(tmp_path)
    assert read.english == {
        "hello": "Hello {name}",
        "bye": "Goodbye",
        "thanks": "Thank you",
        "later": "See you later",
    }
    # A wrong placeholder would raise when filled in; the English since changed; a draft; a key
    # the code never asks for: only the sound translation is kept.
    assert read.translations == {"fr-CA": {"later": "À plus tard"}, "de": {"later": "Bis später"}}
