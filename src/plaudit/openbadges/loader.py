"""The JSON-LD contexts Plaudit ships, and a PyLD document loader that serves only those."""

from __future__ import annotations

import copy
import functools
import json
from collections.abc import Mapping
from importlib import resources
from typing import Any, Final

# Context URL -> file in plaudit/openbadges/contexts. URLs match exactly: no scheme, slash or
# fragment folding, because a looser match could hand a signed document a different context
# from the one its issuer meant, and the canonical form (so the signature) would change.
CONTEXTS: Final[dict[str, str]] = {
    # W3C Verifiable Credentials and Data Integrity.
    "https://www.w3.org/ns/credentials/v2": "credentials-v2.jsonld",
    "https://www.w3.org/2018/credentials/v1": "credentials-v1.jsonld",
    "https://www.w3.org/ns/credentials/examples/v2": "credentials-examples-v2.jsonld",
    "https://www.w3.org/ns/credentials/undefined-terms/v2": "credentials-undefined-terms-v2.jsonld",
    "https://w3id.org/security/data-integrity/v2": "data-integrity-v2.jsonld",
    "https://w3id.org/security/data-integrity/v1": "data-integrity-v1.jsonld",
    "https://w3id.org/security/multikey/v1": "multikey-v1.jsonld",
    "https://w3id.org/security/jwk/v1": "jwk-v1.jsonld",
    "https://www.w3.org/ns/credentials/status/v1": "credentials-status-v1.jsonld",
    "https://w3id.org/security/suites/ed25519-2020/v1": "ed25519-signature-2020-v1.jsonld",
    "https://www.w3.org/ns/did/v1": "did-v1.jsonld",
    # Open Badges 3.0. context-3.0.3 is the spec repository's copy, the one 1EdTech's signed
    # fixtures verify against (the validator's copy adds terms that would change no signature).
    "https://purl.imsglobal.org/spec/ob/v3p0/context-3.0.3.json": "context-3.0.3.json",
    "https://purl.imsglobal.org/spec/ob/v3p0/context-3.0.2.json": "context-3.0.2.json",
    "https://purl.imsglobal.org/spec/ob/v3p0/context-3.0.1.json": "context-3.0.1.json",
    "https://purl.imsglobal.org/spec/ob/v3p0/context.json": "context.json",
    "https://purl.imsglobal.org/spec/ob/v3p0/extensions.json": "extensions.json",
    # Open Badges 2.0.
    "https://w3id.org/openbadges/v2": "v2-context.json",
    "https://w3id.org/openbadges/v1": "v1-context.json",
}


class UnknownContext(ValueError):
    """A context URL that Plaudit does not bundle; it is refused, never fetched."""

    def __init__(self, url: str) -> None:
        super().__init__(
            f"the context {url} is not bundled with Plaudit; contexts are never fetched"
        )
        self.url = url


@functools.cache
def _parsed(url: str) -> dict[str, Any]:
    name = CONTEXTS.get(url)
    if name is None:
        raise UnknownContext(url)
    text = (
        resources.files("plaudit.openbadges").joinpath("contexts", name).read_text(encoding="utf-8")
    )
    document = json.loads(text)
    if not isinstance(document, dict):
        raise TypeError(f"bundled context {name} is not a JSON object")
    return document


def load_context(url: str) -> dict[str, Any]:
    """The bundled context document for `url`, as parsed JSON; raises UnknownContext."""
    # A copy, so a caller (or PyLD) that edits the result cannot corrupt the cache.
    return copy.deepcopy(_parsed(url))


def document_loader(url: str, options: Mapping[str, Any] | None = None) -> dict[str, Any]:
    """A PyLD `documentLoader` that serves bundled contexts and refuses every other URL."""
    return {"contextUrl": None, "documentUrl": url, "document": load_context(url)}


def unknown_context_in(error: BaseException) -> UnknownContext | None:
    """The UnknownContext behind an error PyLD raised, if that is what went wrong."""
    # PyLD wraps loader failures in JsonLdError, chaining the original with `raise ... from`.
    seen: set[int] = set()
    current: BaseException | None = error
    while current is not None and id(current) not in seen:
        if isinstance(current, UnknownContext):
            return current
        seen.add(id(current))
        current = current.__cause__ or current.__context__
    return None
