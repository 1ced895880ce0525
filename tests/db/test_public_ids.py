"""Credentials' public ids: random, URL-safe, and never starting like an option or a formula."""

from __future__ import annotations

import re

from plaudit.db import new_public_id


def test_a_public_id_starts_with_a_letter_or_digit_and_stays_url_safe() -> None:
    drawn = [new_public_id() for _ in range(4000)]
    # Drawn plainly, about 1 in 32 would start with '-' or '_' (so about 125 of these).
    assert all(re.fullmatch(r"[A-Za-z0-9][A-Za-z0-9_-]{15}", public_id) for public_id in drawn)
    assert len(set(drawn)) == len(drawn)
