"""Pick the best translation for a request: ?lang=, then Accept-Language, then the default."""

from __future__ import annotations

from collections.abc import Iterable


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
    """First exact match (case-insensitive), then a match on the primary subtag, else default.

    'pt-BR' matches 'pt-BR', then 'pt'; 'pt' also matches 'pt-PT' when no plain 'pt' exists.
    """
    by_lower = {lang.lower(): lang for lang in available}
    for tag in wanted:
        tag = tag.lower()
        if tag in by_lower:
            return by_lower[tag]
        primary = tag.split("-")[0]
        if primary in by_lower:
            return by_lower[primary]
        for lower, original in by_lower.items():
            if lower.split("-")[0] == primary:
                return original
    return default
