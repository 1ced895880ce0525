"""Ready-made mappings for common LMSs, each with an example payload (docs/connectors.md)."""

from __future__ import annotations

import functools
import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from plaudit.connectors.mapping import Mapping
from plaudit.errors import NotFound

_DIR = Path(__file__).parent


@dataclass(frozen=True)
class Preset:
    name: str
    title: str
    description: str
    mapping: Mapping
    example: Any


@functools.cache
def _load() -> dict[str, Preset]:
    found: dict[str, Preset] = {}
    for path in sorted(_DIR.glob("*.json")):
        raw = json.loads(path.read_text(encoding="utf-8"))
        found[path.stem] = Preset(
            name=path.stem,
            title=raw["title"],
            description=raw["description"],
            mapping=Mapping.model_validate(raw["mapping"]),
            example=raw["example"],
        )
    return found


def all_presets() -> list[Preset]:
    return list(_load().values())


def get(name: str) -> Preset:
    preset = _load().get(name)
    if preset is None:
        known = ", ".join(_load())
        raise NotFound(f"There is no connector preset '{name}'. Presets: {known}.")
    return preset
