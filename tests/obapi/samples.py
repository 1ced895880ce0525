"""1EdTech's OB 3.0 samples, as a client sends them: JSON, a compact JWS, or either baked into
an image."""

from __future__ import annotations

import base64
import json
from typing import Any

from plaudit.openbadges import baking
from tests.fixtures.paths import standards

OB3 = standards() / "ob3" / "validator-fixtures"
OB2 = standards() / "ob2" / "validator-fixtures"


def fixture(name: str) -> dict[str, Any]:
    """A JSON sample."""
    return dict(json.loads((OB3 / name).read_text(encoding="utf-8")))


def sample(name: str) -> dict[str, Any] | str:
    """The credential a file holds: JSON, a compact JWS, or either baked into an image."""
    data = (OB3 / name).read_bytes()
    if name.endswith((".png", ".svg")):
        text = baking.extract(data).strip()
    else:
        text = data.decode("utf-8").strip()
    return dict(json.loads(text)) if text.startswith("{") else text


def id_of(credential: dict[str, Any] | str) -> str:
    """The credential's id (a VC-JWT's from its payload)."""
    if isinstance(credential, dict):
        return str(credential["id"])
    payload = credential.split(".")[1]
    decoded = json.loads(base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4)))
    return str(decoded.get("vc", decoded).get("id") or decoded.get("jti"))
